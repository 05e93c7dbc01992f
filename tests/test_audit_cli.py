"""`racesim audit` and `racesim emit` on the command line: outputs, exit codes, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


NESTED_GROUPS = """\
name: Ship
on:
  push:
    branches: [main]
concurrency:
  group: ship
  cancel-in-progress: true
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: docker build -t ghcr.io/o/app:latest . && docker push ghcr.io/o/app:latest
  deploy:
    needs: build
    concurrency: production
    runs-on: ubuntu-latest
    steps:
      - run: flyctl deploy --image ghcr.io/o/app:latest
"""


def test_audit_writes_nothing_into_the_current_directory(tmp_path: Path) -> None:
    """Two nested groups are outside prove's encoding, so the verdicts are searched with
    hypothesis, whose cache must not land in the user's repository."""
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ship.yml").write_text(NESTED_GROUPS)
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    done = subprocess.run(
        [sys.executable, "-m", "racesim", "audit", ".", "--trials", "10", "--json"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode in (0, 1), done.stderr
    (pipeline,) = json.loads(done.stdout)["pipelines"]
    verdicts = pipeline["verdicts"]
    why = {e["knob"]: e["why"] for e in pipeline["evidence"]}
    assert why["build_concurrency"].startswith("workflow-level group")
    assert why["deploy_concurrency"].startswith("group ")
    assert {v["method"] for v in verdicts.values()} <= {"sampled", "exhaustive"}
    assert sorted(p.name for p in repo.iterdir()) == [".github"]
