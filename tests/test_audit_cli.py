"""`racesim audit` and `racesim emit` on the command line: outputs, exit codes, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_helpers import case
from helpers import run_cli

FAST = ["--trials", "20", "--max-examples", "40"]


def test_audit_exits_1_on_errors_and_prints_evidence(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["audit", str(case("denhamparry-talks-54", "before")), *FAST], capsys)
    assert code == 1
    assert "RS101" in out and "docker pull ghcr.io/denhamparry/talks:latest" in out
    assert "P(stale)" in out and "f8af4c1" in out


def test_audit_exits_0_when_nothing_reaches_fail_on(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(case("free4chat-84", "after"))
    assert run_cli(["audit", path, *FAST], capsys)[0] == 0  # a warning only
    assert run_cli(["audit", path, *FAST, "--fail-on", "warning"], capsys)[0] == 1


def test_json_has_the_stable_keys(capsys: pytest.CaptureFixture[str]) -> None:
    _code, out, _ = run_cli(
        ["audit", str(case("denhamparry-talks-54", "after")), *FAST, "--json"], capsys
    )
    data = json.loads(out)
    (p,) = data["pipelines"]
    for key in (
        "build",
        "deploy",
        "strategy",
        "evidence",
        "unknowns",
        "verdicts",
        "p_stale",
        "p_final_wrong",
        "findings",
        "fix",
    ):
        assert key in p
    assert p["strategy"] == "workflow_run"
    for f in data["findings"]:
        assert set(f) >= {"id", "severity", "file", "line", "message"}
    assert data["fix"].startswith("--- a/")


def test_sarif(capsys: pytest.CaptureFixture[str]) -> None:
    _code, out, _ = run_cli(
        ["audit", str(case("unifi-os-kubernetes-21", "before")), *FAST, "--sarif"], capsys
    )
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"RS102"}
    assert results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] > 0


def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "wf.yml"
    bad.write_text("on: [push\n", encoding="utf-8")
    code, _out, err = run_cli(["audit", str(bad)], capsys)
    assert code == 2 and str(bad) in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli(["audit", str(tmp_path / "missing")], capsys)
    assert code == 2 and "no such file" in err


def test_fix_writes_the_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import shutil

    shutil.copytree(case("mlab-speedtest-92", "before"), tmp_path / "repo")
    code, out, _ = run_cli(["audit", str(tmp_path / "repo"), *FAST, "--fix"], capsys)
    assert code == 1 and "fixed 1 file(s)" in out
    assert run_cli(["audit", str(tmp_path / "repo"), *FAST], capsys)[0] == 0


def test_emit_prints_and_writes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run_cli(["emit", "cancel_superseded"], capsys)
    assert code == 0 and "cancel-in-progress: true" in out and "workflow_run:" in out
    code, out, _ = run_cli(["emit", "pinned", "--out", str(tmp_path)], capsys)
    assert code == 0 and (tmp_path / ".github" / "workflows" / "deploy.yml").is_file()
    code, out, _ = run_cli(["audit", str(tmp_path), *FAST], capsys)
    assert "strategy: pinned" in out
    code, _, err = run_cli(["emit", "nope"], capsys)
    assert code == 2 and "unknown strategy" in err


def test_emit_reads_a_strategy_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = tmp_path / "mine.toml"
    spec.write_text('[strategy]\npreset = "pinned"\nsleep = 30\n', encoding="utf-8")
    code, out, _ = run_cli(["emit", str(spec)], capsys)
    assert code == 0 and "run: sleep 30" in out
    spec.write_text('[strategy]\ntrigger = "sideways"\n', encoding="utf-8")
    code, _, err = run_cli(["emit", str(spec)], capsys)
    assert code == 2 and str(spec) in err and "strategy.trigger" in err
