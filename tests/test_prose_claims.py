"""Guarantees stated in prose, each checked by ``prove`` (or by the search where it refuses).

Every entry names where the sentence lives (a docs page or a notebook), a fragment of it that
must still be there (whitespace-insensitive), and what racesim must answer for the claim to be
true. A sentence reworded without its entry here fails the first check; a model change that
makes a sentence false fails the second.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from conftest import ROOT

from racesim import PRESETS, Concurrency, Strategy
from racesim.audit.claims import HOLDS_ALL
from racesim.proof import NotEncodedError, prove
from racesim.testing import exhaustive_check
from racesim.verify.search import search

#: the how-to's pipeline and the tip-of-main guard the race page names
TIP_OF_MAIN = Strategy(trigger="workflow_run", gate=True, reference="sha", guard="tip_of_main")
#: the freshness guard inside a deploy group that cancels in progress, or keeps one pending run
GUARD_CANCELS = replace(PRESETS["guarded"], deploy_concurrency=Concurrency(cancel_in_progress=True))
GUARD_SINGLE = replace(PRESETS["guarded"], deploy_concurrency=Concurrency())
#: one workflow, deploy job after the build job, the run in a queueing group
MERGED_QUEUED = Strategy(trigger="needs", build_concurrency=Concurrency())
#: lagging registries and failing builds: the bounds the fix that holds is stated for
LAGGING = {"registry_lag": (0, 60), "deploy_registry_lag": (0, 60), "failures": True}
FOUR = ("never_stale", "ships_what_it_claims", "ends_on_newest", "never_regresses")


@dataclass(frozen=True)
class Claim:
    where: str  # a path under the repository root; "notebooks/x.ipynb" reads its cells
    says: str  # a fragment of the sentence, whitespace-insensitive
    strategy: Any
    prop: str
    pushes: int
    expect: str  # "proved", "counterexample", "refused" (prove) or "breaks" (exhaustive grid)
    bounds: dict[str, Any] = field(default_factory=dict)


CLAIMS = [
    Claim("notebooks/02_comparing_strategies.ipynb", "finds such a history with two pushes",
          "cancel_superseded", "ends_on_newest", 2, "counterexample"),
    Claim("notebooks/01_postmortem_f8af4c1.ipynb", "remove the race for a single push",
          "workflow_run", "never_stale", 1, "proved"),
    Claim("notebooks/01_postmortem_f8af4c1.ipynb", "--bounds registry_lag=0..30` breaks",
          "workflow_run", "never_stale", 1, "counterexample", {"registry_lag": (0, 30)}),
    Claim("notebooks/01_postmortem_f8af4c1.ipynb", "remove the race for a single push",
          "merged_job", "never_stale", 1, "proved"),
    Claim("notebooks/06_audit_your_pipeline.ipynb", "and `never_regresses` stay open",
          "cancel_superseded", "never_regresses", 2, "counterexample"),
    Claim("docs/background/the-race.md", "(`cancel_superseded`), checking before the rollout",
          "cancel_superseded", "ends_on_newest", 2, "counterexample"),
    Claim("docs/background/the-race.md", "that the commit is newer than what runs (`guarded`)",
          "guarded", "ends_on_newest", 2, "counterexample"),
    Claim("docs/background/the-race.md", "or still the tip of `main` all break `ends_on_newest`",
          TIP_OF_MAIN, "ends_on_newest", 2, "counterexample"),
    Claim("docs/background/the-race.md", "(`pinned_serialized`) does not either",
          "pinned_serialized", "ends_on_newest", 2, "counterexample"),
    Claim("docs/background/safety-matrix.md", "--property never_stale --exhaustive` shows",
          "reconcile_latest", "never_stale", 2, "breaks"),
    Claim("docs/background/verdict-table.md", "every preset but `reconcile_latest`",
          "reconcile_latest", "ends_on_newest", 2, "refused"),
]  # fmt: skip

# the fix that holds: every place that states it, for each of the four properties
CLAIMS += [
    Claim(where, says, HOLDS_ALL, prop, 4, "proved", LAGGING)
    for where, says in [
        ("docs/background/from-sampled-to-proved.md",
         "`queued_guarded` is the design `prove` finds keeping all four properties"),
        ("docs/reference/strategies.md",
         "`prove` proves the four properties for up to 4 pushes with lagging registries"),
        ("docs/reference/findings.md",
         "registries lagging up to 60 s and builds that may fail"),
        ("racesim/audit/report.py", "preset keeps all four properties"),
    ]
    for prop in FOUR
]  # fmt: skip
#: queued_guarded with one part taken away: each ends on an older commit somewhere
WITHOUT = {
    "guard": replace(PRESETS[HOLDS_ALL], guard="none"),
    "queue max": replace(PRESETS[HOLDS_ALL], deploy_concurrency=Concurrency()),
    "group": replace(PRESETS[HOLDS_ALL], deploy_concurrency=None),
    "wait": replace(PRESETS[HOLDS_ALL], wait=None),
}
LAG_30 = {"registry_lag": (0, 30), "deploy_registry_lag": (0, 30), "failures": True}
CLAIMS += [
    Claim(where, says, strategy, "ends_on_newest", 3, "counterexample", LAG_30)
    for where, says in [
        ("docs/background/the-race.md", "Take one away and `racesim prove` finds, within the same"),
        ("docs/background/from-sampled-to-proved.md", "Take a part away and the argument loses"),
    ]
    for strategy in WITHOUT.values()
]  # fmt: skip
CLAIMS += [
    Claim("docs/reference/findings.md", "no build under a minute) all four are proved up to 3",
          "cancel_superseded", "ends_on_newest", 3, "proved", {"build": (60, 600)}),
    Claim("docs/reference/findings.md", "no build under a minute) all four are proved up to 3",
          "cancel_superseded", "never_regresses", 3, "proved", {"build": (60, 600)}),
    Claim("docs/background/from-sampled-to-proved.md", "`dispatch=1..5.5`, `cancel_superseded`",
          "cancel_superseded", "ends_on_newest", 2, "counterexample", {"dispatch": (1, 5.5)}),
    Claim("notebooks/03_property_testing.ipynb", "`never_stale` breaks on another two-push history",
          "workflow_run", "never_stale", 2, "counterexample"),
    Claim("notebooks/03_property_testing.ipynb", "(`prove` breaks it with a registry lag of a few",
          "workflow_run", "never_stale", 1, "counterexample", {"registry_lag": (0, 5)}),
    Claim("docs/reference/strategies.md", "One push is safe with a registry that shows a push",
          "merged_job", "never_stale", 1, "proved"),
    Claim("docs/reference/strategies.md", "(a lag of a few seconds breaks it)",
          "merged_job", "never_stale", 1, "counterexample", {"registry_lag": (0, 5)}),
    Claim("docs/reference/findings.md", "A group that cancels in progress does not do it",
          GUARD_CANCELS, "ends_on_newest", 2, "counterexample", {"dispatch": (1, 5)}),
    Claim("docs/reference/findings.md", "is not enough either beyond two pushes",
          GUARD_SINGLE, "ends_on_newest", 2, "proved"),
    Claim("docs/reference/findings.md", "is not enough either beyond two pushes",
          GUARD_SINGLE, "ends_on_newest", 3, "counterexample"),
    Claim("docs/reference/findings.md", "is proved for histories of pushes up to 3",
          MERGED_QUEUED, "ends_on_newest", 3, "proved"),
    Claim("docs/reference/findings.md", "is proved for histories of pushes up to 3",
          MERGED_QUEUED, "never_regresses", 3, "proved"),
]  # fmt: skip


def _text(where: str) -> str:
    path = ROOT / where
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        raw = "\n".join("".join(c["source"]) for c in cells)
    else:
        raw = path.read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", raw)


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: f"{c.where.split('/')[-1]}:{c.prop}")
def test_the_sentence_is_there_and_racesim_agrees(claim: Claim) -> None:
    assert re.sub(r"\s+", " ", claim.says) in _text(claim.where), claim.says
    if claim.expect == "breaks":  # the exhaustive grid: a deterministic witness
        found = exhaustive_check(claim.strategy, claim.prop, pushes=claim.pushes)
        assert found.counterexample is not None
        return
    try:
        result = prove(claim.strategy, claim.prop, pushes=claim.pushes, bounds=claim.bounds)
    except NotEncodedError:
        assert claim.expect == "refused"
        return
    assert result.verdict == claim.expect, (claim, result.verdict)


def test_a_rerun_undoes_the_merged_queueing_run_as_the_findings_page_says() -> None:
    """`prove` encodes pushes only; the search, which samples re-runs, finds the history."""
    assert "a re-run of an older commit's run rebuilds and redeploys it last" in _text(
        "docs/reference/findings.md"
    )
    found = search(MERGED_QUEUED, "ends_on_newest", pushes=2, reruns=1, max_examples=300)
    assert found.counterexample is not None
    assert found.counterexample.history.reruns


@pytest.mark.parametrize("prop", ["ends_on_newest", "never_regresses"])
def test_the_fix_that_holds_survives_reruns_and_dispatches_in_the_search(prop: str) -> None:
    """The docs argue `queued_guarded` for re-runs and dispatches, which `prove` does not
    encode: the search, sampling them with lagging registries and failing builds, finds
    nothing, while the same search breaks `guarded` (so it does reach such histories)."""
    assert "Re-runs and dispatches add deploy runs that are blocked" in _text(
        "docs/background/from-sampled-to-proved.md"
    )
    lag = {k: v for k, v in LAGGING.items() if k != "failures"}

    def found(strategy: str) -> bool:
        result = search(
            strategy, prop, pushes=3, reruns=1, dispatches=1, failures=True, bounds=lag,
            max_examples=150,
        )  # fmt: skip
        return result.counterexample is not None

    assert not found(HOLDS_ALL)
    assert found("guarded")


def test_the_whole_second_grid_misses_what_the_real_valued_proof_finds() -> None:
    assert "the same proof on whole seconds (`grid=1`) proves it" in _text(
        "docs/background/from-sampled-to-proved.md"
    )
    bounds = {"dispatch": (1, 5.5)}
    assert prove("cancel_superseded", "ends_on_newest", bounds=bounds, grid=1).proved
