"""Guarantees stated in prose, each checked by ``prove`` (or by the search where it refuses).

Every entry names where the sentence lives (a docs page or a notebook), a fragment of it that
must still be there (whitespace-insensitive), and what racesim must answer for the claim to be
true. A sentence reworded without its entry here fails the first check; a model change that
makes a sentence false fails the second.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from conftest import ROOT

from racesim import Strategy
from racesim.proof import NotEncodedError, prove
from racesim.testing import exhaustive_check

#: the how-to's pipeline and the tip-of-main guard the race page names
TIP_OF_MAIN = Strategy(trigger="workflow_run", gate=True, reference="sha", guard="tip_of_main")


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
    Claim("docs/background/safety-matrix.md", "reconcile_latest --property never_stale` shows",
          "reconcile_latest", "never_stale", 2, "breaks"),
    Claim("docs/background/verdict-table.md", "every preset but `reconcile_latest`",
          "reconcile_latest", "ends_on_newest", 2, "refused"),
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
