"""Verdicts that agree with ``prove``, and fixes whose claims are checked by auditing them again.

The audit decides each property with :func:`racesim.proof.prove` over its bounds; only what the
proof's encoding does not cover is sampled, and then the verdict says so. A fix's claim (the
strategy after the patch and the verdicts of the properties its findings are about) must be what
an audit of the patched files finds: every shared case is patched, re-audited and compared, and
the patched files must not give actionlint anything new to complain about.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from audit_helpers import CORPUS, FAST, case, ids
from audit_score import EXPECTATIONS, load_expectations

from racesim.audit import PipelineResult, audit
from racesim.audit.claims import ABOUT, FIXED_BY_PATCH, fixed_strategy, shares_build_file
from racesim.audit.fix import _job_if, apply_patch, fix_patch, no_patch_reason
from racesim.audit.report import to_json, to_text
from racesim.proof import prove
from racesim.verify.proof.bounds import Bounds

#: builds that take at least a minute, as in the f8af4c1 incident
MINUTE_BUILDS = Bounds.of({"build": (60, 600)})


def _copy(tmp_path: Path, name: str, version: str) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(case(name, version), copy)
    return copy


def test_every_verdict_of_an_encoded_strategy_comes_from_prove() -> None:
    result = audit([case("denhamparry-talks-54", "before")], **FAST)  # type: ignore[arg-type]
    (r,) = result.results
    methods = {name: v.method for name, v in r.judgement.verdicts.items()}
    assert set(methods.values()) <= {"proved", "counterexample"}, methods
    for name, v in r.judgement.verdicts.items():
        assert v.holds == prove(r.pipeline.strategy, name, pushes=3).proved
    data = to_json(result)["pipelines"][0]
    assert data["verdicts"]["never_stale"]["method"] == "counterexample"
    assert data["bounds"]["build"] == [1.0, 180.0]


def test_cancel_superseded_is_never_said_to_hold_what_prove_breaks(tmp_path: Path) -> None:
    """The recommended fix, audited: ends_on_newest breaks under prove's default bounds, which
    the audit reports (RS105) even though no sampled run broke it; the text says how rare."""
    repo = _copy(tmp_path, "denhamparry-talks-54", "before")
    first = audit([repo], **FAST)  # type: ignore[arg-type]
    (r,) = first.results
    assert r.claim is not None and r.claim.strategy.describe() == "cancel_superseded"
    assert r.claim.open == ["ends_on_newest", "never_regresses"]
    assert r.claim.verdicts["never_stale"].method == "proved"
    apply_patch(first)
    second = audit([repo], **FAST)  # type: ignore[arg-type]
    (again,) = second.results
    v = again.judgement.verdicts["ends_on_newest"]
    assert (v.holds, v.method) == (False, "counterexample")
    assert ids(second, "error") == {"RS105"}
    text = to_text(second)
    assert "ends_on_newest: BREAKS (2 pushes)" in text
    if again.judgement.p_final_wrong[0] == 0.0:
        assert "rarer than 1 in 40" in text
    assert fix_patch(second) == ""
    reason = no_patch_reason(second)
    assert reason.startswith("# no patch although there are errors: RS105")


def test_with_builds_of_a_minute_or_more_the_fix_proves_every_property(tmp_path: Path) -> None:
    repo = _copy(tmp_path, "denhamparry-talks-54", "before")
    first = audit([repo], bounds=MINUTE_BUILDS, **FAST)  # type: ignore[arg-type]
    (r,) = first.results
    assert r.claim is not None and r.claim.holds
    assert {v.method for v in r.claim.verdicts.values()} == {"proved"}
    apply_patch(first)
    second = audit([repo], bounds=MINUTE_BUILDS, **FAST)  # type: ignore[arg-type]
    assert ids(second, "error") == set()
    assert {v.method for v in second.results[0].judgement.verdicts.values()} == {"proved"}


def test_an_unencoded_strategy_is_searched_then_checked_on_the_grid_and_says_why() -> None:
    from racesim.audit.judge import verdicts
    from racesim.core.strategy import PRESETS
    from racesim.testing import exhaustive_check

    found = verdicts(PRESETS["reconcile_latest"], 20, 0)
    assert all(v.why_sampled.startswith("prove cannot decide") for v in found.values())
    for name, v in found.items():
        assert v.method in ("sampled", "exhaustive")
        if v.holds:  # a grid "holds" is every grid history simulated, not a sample
            assert v.method == "exhaustive"
            assert exhaustive_check(PRESETS["reconcile_latest"], name).holds
    # prove refuses reconcile_latest, yet its stale deploy is still found (issue 23's example)
    assert not found["never_stale"].holds


# -- the patch keeps the user's gates ---------------------------------------------------------

NEW = "${{ github.event.workflow_run.conclusion == 'success' }}"


@pytest.mark.parametrize(
    ("gate", "kept"),
    [
        ("    if: github.ref == 'refs/heads/main'", "github.ref == 'refs/heads/main'"),
        ("    if: ${{ !contains(github.event.head_commit.message, 'skip') }}", "!contains("),
        ("    if: \"vars.DEPLOY == 'yes'\"  # opt-in", "vars.DEPLOY == 'yes'"),
        (
            "    if: >-\n      github.repository == 'o/r' &&\n      vars.DEPLOY == 'yes'",
            "github.repository == 'o/r' && vars.DEPLOY == 'yes'",
        ),
    ],
)
def test_the_patch_ands_the_new_condition_with_the_existing_gate(gate: str, kept: str) -> None:
    text = f"on: push\njobs:\n  deploy:\n{gate}\n    runs-on: ubuntu-latest\n    steps: []\n"
    out = "\n".join(_job_if(text.splitlines(), "deploy", NEW))
    (line,) = [x for x in out.splitlines() if x.strip().startswith("if:")]
    assert kept in line and "workflow_run.conclusion == 'success'" in line
    assert "runs-on: ubuntu-latest" in out and ">-" not in out


# -- every shared case: the claim is what a second audit finds -------------------------------


def _folders() -> list[str]:
    if not EXPECTATIONS.is_file():
        return []
    return [c.folder for c in load_expectations()]


def _actionlint() -> str | None:
    return shutil.which("actionlint") or shutil.which(
        "actionlint", path=str(Path(sys.executable).parent)
    )


def _lint(tool: str, files: list[Path]) -> set[tuple[str, str]]:
    """actionlint's complaints as (file name, kind: message without line-specific detail)."""
    done = subprocess.run(
        [tool, "-no-color", "-format", "{{json .}}", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = json.loads(done.stdout or "[]")
    quoted = re.compile(r'"[^"]*"')
    return {
        (Path(e["filepath"]).name, e["kind"] + ": " + quoted.sub("", e["message"])) for e in found
    }


@pytest.mark.slow
@pytest.mark.parametrize("folder", _folders())
def test_the_fix_of_every_shared_case_holds_what_it_claims(folder: str, tmp_path: Path) -> None:
    source = CORPUS / folder
    if not source.is_dir():
        pytest.skip(f"shared workflow corpus not found at {source}")
    repo = tmp_path / "repo"
    shutil.copytree(source, repo)
    first = audit([repo], **FAST)  # type: ignore[arg-type]
    changed = [Path(p) for p in apply_patch(first)]
    if not changed:
        pytest.skip(f"{folder}: racesim writes no patch here ({no_patch_reason(first)})")
    tool = _actionlint()
    originals = {p.name: (source / p.relative_to(repo)) for p in changed}
    second = audit([repo], **FAST)  # type: ignore[arg-type]

    def place(r: PipelineResult) -> tuple[object, ...]:
        p = r.pipeline
        # the fix moves a push-started deploy onto workflow_run: the same pipeline
        event = "main line" if p.event.name in ("push", "workflow_run") else p.event.name
        return (p.deploy_file, p.deploy_job, p.target, p.build_file, p.build_job, event)

    by_place: dict[tuple[object, ...], list[PipelineResult]] = {}
    for r in second.results:
        by_place.setdefault(place(r), []).append(r)
    claims = [r for r in first.results if r.claim is not None]
    for r in claims:
        claim = r.claim
        assert claim is not None
        found = by_place.get(place(r), [])
        assert found, f"{r.pipeline.name}: not found after the fix"
        same = [x for x in found if x.pipeline.strategy == claim.strategy]
        assert same, (
            f"{r.pipeline.name}: the fix claimed {claim.strategy.describe()}, the files read "
            f"as {', '.join(x.pipeline.strategy.describe() for x in found)}"
        )
        again = same[0]
        for name, v in claim.verdicts.items():
            seen = again.judgement.verdicts[name]
            assert (seen.holds, seen.method) == (v.holds, v.method), name
            if v.holds:  # proved, or every history of the grid checked: never sampled
                assert v.method in ("proved", "exhaustive"), name
        # what stays an error after the fix is what the claim said it leaves open
        open_ = set(claim.open)
        left = {f.id for f in again.findings if f.severity == "error"}
        unclaimed = {c for c in left if c in FIXED_BY_PATCH and not set(ABOUT.get(c, ())) & open_}
        assert not unclaimed, (folder, unclaimed)
    for r in first.results:
        if r.claim is None:
            errors = {f.id for f in r.findings if f.severity == "error"} & set(ABOUT)
            shared = shares_build_file(r.pipeline, [x.pipeline for x in first.results])
            assert not errors or fixed_strategy(r.pipeline, errors, shared) is None
    if tool is not None:
        before = _lint(tool, list(originals.values()))
        after = _lint(tool, changed)
        assert after <= before, sorted(after - before)


# -- what docs/reference/findings.md says of the fixes (RS104, RS105), checked by prove ---------

ALL = ("never_stale", "ships_what_it_claims", "ends_on_newest", "never_regresses")


@pytest.mark.parametrize(
    ("strategy", "bounds", "proved"),
    [
        # one workflow, deploy job needs the build, the run's group queues runs
        ("merged+queue", None, ALL),
        # ... cancelling in progress: a cancelled run's rollout goes on (Cloud Run)
        ("merged+cancel", None, ("never_stale", "ships_what_it_claims")),
        # ... unless the target stops the rollout with its job
        ("merged+cancel+stops", None, ALL),
        # ... or converges to the last request it accepted (Kubernetes, ECS)
        ("merged+cancel+request", None, ALL),
        # separate workflows, the patch: identity proved, freshness broken by a late dispatch
        ("cancel_superseded", None, ("never_stale", "ships_what_it_claims")),
        # ... and all four once no build takes under a minute
        ("cancel_superseded", {"build": (60, 600)}, ALL),
    ],
)
def test_the_findings_page_states_what_prove_proves(
    strategy: str, bounds: dict[str, object] | None, proved: tuple[str, ...]
) -> None:
    from racesim.core.strategy import PRESETS, Concurrency, Strategy

    merged = {
        "merged+queue": Strategy(trigger="needs", build_concurrency=Concurrency()),
        "merged+cancel": Strategy(
            trigger="needs", build_concurrency=Concurrency(cancel_in_progress=True)
        ),
        "merged+cancel+stops": Strategy(
            trigger="needs",
            build_concurrency=Concurrency(cancel_in_progress=True),
            rollout_survives_cancel=False,
        ),
        "merged+cancel+request": Strategy(
            trigger="needs",
            build_concurrency=Concurrency(cancel_in_progress=True),
            live_order="request",
        ),
    }
    chosen = merged.get(strategy) or PRESETS[strategy]
    page = (Path(__file__).resolve().parents[1] / "docs" / "reference" / "findings.md").read_text()
    assert "up to 3 pushes" in page and "--bounds build=60..600" in page
    words = " ".join(page.split())
    assert "`cancel-in-progress: false`" in words and "rollout dies with its job" in words
    assert "converges to the last request it accepted (Kubernetes, ECS)" in words
    for name in ALL:
        assert prove(chosen, name, pushes=3, bounds=bounds).proved == (name in proved), name
