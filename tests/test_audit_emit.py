"""`racesim emit`: every strategy as workflow YAML that validates and that the audit reads back.

The reader is the inverse of the emitter: auditing ``emit(S)`` maps back to ``S`` for every
preset and for random strategies in the emitter's range (a hypothesis property). Emitted files
are checked with actionlint and against GitHub's workflow JSON schema (check-jsonschema) when
those tools are installed; otherwise those tests skip and say why.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from racesim.core.strategy import PRESETS, Concurrency, Strategy, Wait
from racesim.errors import InputError
from racesim.github.emit import Target, emit, in_range
from racesim.github.pipelines import find_pipelines
from racesim.github.workflows import load_workflows

EMITTABLE = {name: s for name, s in PRESETS.items() if in_range(s) is None}


def _write(folder: Path, strategy: Strategy) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in emit(strategy).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _read_back(folder: Path) -> list[Strategy]:
    return [p.strategy for p in find_pipelines(load_workflows([folder]))]


def test_every_preset_but_reconcile_latest_is_emittable() -> None:
    assert set(PRESETS) - set(EMITTABLE) == {"reconcile_latest"}
    with pytest.raises(InputError, match="reconcile_latest"):
        emit("reconcile_latest")
    with pytest.raises(InputError, match="rollout_survives_cancel"):
        emit(Strategy(trigger="workflow_run", rollout_survives_cancel=False))


@pytest.mark.parametrize("name", sorted(EMITTABLE))
def test_every_job_logs_in_where_it_pushes_pulls_or_deploys(name: str) -> None:
    """Runnable as written: a job that talks to Google Cloud authenticates first (and may, by
    its permissions), and a job that pulls from or pushes to a registry logs in to it."""
    import yaml

    for text in emit(name).values():
        for job in yaml.safe_load(text)["jobs"].values():
            steps = job["steps"]
            uses = [str(step.get("uses", "")).split("@")[0] for step in steps]
            runs = "\n".join(str(step.get("run", "")) for step in steps)
            tags = "\n".join(str(step.get("with", {}).get("tags", "")) for step in steps)
            google = "gcloud" in runs or "pkg.dev" in tags
            if google:
                assert job["permissions"]["id-token"] == "write"
                auth = uses.index("google-github-actions/auth")
                assert uses.index("google-github-actions/setup-gcloud") > auth
            if "pkg.dev" in tags or ("docker push" in runs and "pkg.dev" in runs):
                assert "gcloud auth configure-docker" in runs
            if "ghcr.io" in tags or "docker pull ghcr.io" in runs:
                assert "docker/login-action" in uses
                assert job["permissions"]["packages"] in ("read", "write")


@pytest.mark.parametrize("name", sorted(EMITTABLE))
def test_audit_of_an_emitted_preset_gives_the_preset_back(name: str, tmp_path: Path) -> None:
    assert _read_back(_write(tmp_path, PRESETS[name])) == [PRESETS[name]]


concurrency = st.none() | st.builds(Concurrency, cancel_in_progress=st.booleans())
waits = st.none() | st.builds(
    lambda interval, n: Wait(interval=interval, timeout=interval * n),
    st.integers(1, 30),
    st.integers(1, 40),
)


@st.composite
def emittable(draw: st.DrawFn) -> Strategy:
    trigger = draw(st.sampled_from(["push", "workflow_run", "needs", "none"]))
    if trigger == "none":
        return Strategy(trigger="none", mirror=False, build_concurrency=draw(concurrency))
    references = ["latest", "sha"] + (["digest"] if trigger != "push" else [])
    try:
        return Strategy(
            trigger=trigger,
            gate=draw(st.booleans()) if trigger == "workflow_run" else False,
            reference=draw(st.sampled_from(references)),
            sleep=float(draw(st.integers(0, 120))),
            wait=draw(waits),
            build_concurrency=draw(concurrency),
            deploy_concurrency=draw(concurrency),
            guard=draw(st.sampled_from(["none", "newer_than_live", "tip_of_main"])),
            **draw(
                st.sampled_from(
                    [{"mirror": True}, {"mirror": False}, {"mirror": False, "direct": True}]
                )
            ),
        )
    except InputError:
        assume(False)
        raise


@given(emittable())
def test_audit_is_the_inverse_of_emit(strategy: Strategy) -> None:
    import tempfile

    assert in_range(strategy) is None
    with tempfile.TemporaryDirectory() as tmp:
        assert _read_back(_write(Path(tmp), strategy)) == [strategy]


def test_emit_uses_the_target(tmp_path: Path) -> None:
    files = emit("pinned", Target(image="ghcr.io/me/site", service="site"))
    text = "\n".join(files.values())
    assert "ghcr.io/me/site:sha-${{ github.event.workflow_run.head_sha }}" in text
    assert "gcloud run deploy site " in text


def _samples(tmp_path: Path) -> list[Path]:
    extra = [
        Strategy(trigger="workflow_run", gate=True, reference="digest", mirror=False),
        Strategy(trigger="needs", reference="digest", guard="newer_than_live", mirror=False),
        Strategy(trigger="push", wait=Wait(5, 300), mirror=False),
        Strategy(
            trigger="none", mirror=False, build_concurrency=Concurrency(cancel_in_progress=True)
        ),
    ]
    files = []
    for i, s in enumerate([*EMITTABLE.values(), *extra]):
        for name, text in emit(s).items():
            path = tmp_path / f"{i}-{name}"
            path.write_text(text, encoding="utf-8")
            files.append(path)
    return files


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip(f"{name} is not installed (pip install racesim[test] provides it)")
    return found


def test_emitted_yaml_passes_actionlint(tmp_path: Path) -> None:
    tool = _tool("actionlint")
    done = subprocess.run(
        [tool, "-no-color", *map(str, _samples(tmp_path))], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_emitted_yaml_validates_against_the_workflow_schema(tmp_path: Path) -> None:
    tool = _tool("check-jsonschema")
    done = subprocess.run(
        [tool, "--builtin-schema", "vendor.github-workflows", *map(str, _samples(tmp_path))],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _guard_script() -> str:
    """The emitted `newer_than_live` check, with the built commit as ``$SHA``."""
    deploy = emit("queued_guarded")["deploy.yml"]
    lines = deploy.splitlines()
    start = next(i for i, x in enumerate(lines) if "newer than what is live" in x) + 2
    body = []
    for line in lines[start:]:
        if not line.startswith(" " * 10):
            break
        body.append(line[10:])
    return "\n".join(body).replace("${{ github.event.workflow_run.head_sha }}", "$SHA")


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_emitted_freshness_check_passes_only_a_newer_commit_and_the_first_deploy(
    tmp_path: Path,
) -> None:
    """Run the emitted check with bash -e (GitHub's `run:` shell) against a real repository and
    a stand-in `gcloud` that reports the live commit label: it must pass when nothing is live
    yet or the live commit is an ancestor, and fail (blocking the rollout) on the same commit
    or a newer one."""
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {
        "PATH": f"{tmp_path}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    git("init", "-q")
    shas = []
    for n in range(2):
        git("commit", "-q", "--allow-empty", "-m", f"c{n}")
        shas.append(git("rev-parse", "HEAD"))
    old, new = shas
    gcloud = tmp_path / "gcloud"
    gcloud.write_text('#!/bin/sh\necho "$LIVE_LABEL"\n', encoding="utf-8")
    gcloud.chmod(0o755)
    script = _guard_script()

    def passes(live: str, sha: str) -> bool:
        done = subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=repo,
            env={**env, "LIVE_LABEL": live, "SHA": sha},
            capture_output=True,
            text=True,
        )
        return done.returncode == 0

    assert passes("", new)  # the first deploy: no label yet
    assert passes(old, new)
    assert not passes(new, new)
    assert not passes(new, old)


def test_a_guarded_deploy_labels_the_service_with_its_commit() -> None:
    """The check reads the label the rollout writes, so a guarded rollout must set it."""
    deploy = emit("queued_guarded")["deploy.yml"]
    rollout = next(x for x in deploy.splitlines() if "gcloud run deploy" in x)
    assert "--update-labels commit=${{ github.event.workflow_run.head_sha }}" in rollout
    assert "queue: max" in deploy and "fetch-depth: 0" in deploy
