"""The verdict table: every strategy against every property, proved where the encoding covers it.

Each pair is decided by :func:`racesim.verify.proof.prove` where the SMT encoding covers the
strategy, and by the hypothesis search (:func:`racesim.verify.search.search`) otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from racesim.core.strategy import PRESETS, Strategy
from racesim.errors import InputError
from racesim.verify.properties import PROPERTIES
from racesim.verify.search import exhaustive_check, search

__all__ = ["verdict_table"]


def verdict_table(
    strategies: Iterable[str | Strategy] | None = None,
    properties: Iterable[str] | None = None,
    *,
    pushes: int = 2,
    max_examples: int = 200,
    seed: int = 0,
    on_result: Callable[[Any], None] | None = None,
    method: str = "prove",
    reruns: int = 0,
    dispatches: int = 0,
) -> pd.DataFrame:
    """Decide every strategy against every property; one row per pair.

    With ``method="prove"`` (the default) each pair is first decided by :func:`racesim.prove`
    over its default bounds (every real duration within them, up to `pushes` pushes); a pair
    whose strategy the encoding does not cover, or any pair when `reruns` or `dispatches` widen
    the histories (the encoding has no re-runs or dispatches), is searched instead.
    ``method="sampled"`` only searches, as hypothesis does (`max_examples` histories per push
    count). With ``method="prove"``, a pair the encoding refuses and the search does not break
    is then checked on every history of the exhaustive grid (up to two pushes, no re-runs or
    dispatches): its ``method`` is then ``exhaustive``. `on_result` is called with each pair's
    ProveResult or SearchResult as it is decided.

    Columns: ``strategy``, ``property``, ``verdict`` (``holds`` or ``breaks``), ``method``
    (``proved``, ``counterexample``, ``sampled`` or ``exhaustive``), ``pushes`` (in the
    counterexample), ``examples`` (histories simulated by a search), ``seed``, ``bounds`` (the
    bounds a proof covers, empty for a search), ``explanation``.
    """
    if method not in ("prove", "sampled"):
        raise InputError("method", f"expected 'prove' or 'sampled', got {method!r}")
    # the encoding has no re-runs or dispatches: with them, every pair is searched
    proving = method == "prove" and not reruns and not dispatches
    rows = []
    for spec in list(PRESETS) if strategies is None else list(strategies):
        for name in list(PROPERTIES) if properties is None else list(properties):
            proof = _proof(spec, name, pushes) if proving else None
            if proof is not None:
                if on_result is not None:
                    on_result(proof)
                pcx = proof.counterexample
                rows.append(
                    {
                        "strategy": proof.strategy,
                        "property": name,
                        "verdict": "holds" if pcx is None else "breaks",
                        "method": proof.verdict,
                        "pushes": None if pcx is None else pcx.history.commits,
                        "examples": None,
                        "seed": None,
                        "bounds": proof.bounds.describe(),
                        "explanation": "" if pcx is None else pcx.explanation,
                    }
                )
                continue
            result = search(
                spec,
                name,
                pushes=pushes,
                max_examples=max_examples,
                seed=seed,
                reruns=reruns,
                dispatches=dispatches,
            )
            if on_result is not None:
                on_result(result)
            cx = result.counterexample
            how, examples = "sampled", result.examples
            if cx is None and method == "prove" and pushes <= 2 and not reruns and not dispatches:
                # prove refused and the sample missed: every history of the small grid decides
                # (deterministic, whatever hypothesis's generation happened to try)
                grid = exhaustive_check(spec, name, pushes=pushes)
                cx, how, examples = grid.counterexample, "exhaustive", examples + grid.checked
            rows.append(
                {
                    "strategy": result.strategy,
                    "property": name,
                    "verdict": "holds" if cx is None else "breaks",
                    "method": how,
                    "pushes": None if cx is None else cx.history.commits,
                    "examples": examples,
                    "seed": seed,
                    "bounds": "",
                    "explanation": "" if cx is None else cx.explanation,
                }
            )
    return pd.DataFrame(rows)


def _proof(spec: str | Strategy, prop: str, pushes: int) -> Any:
    """``racesim.prove``'s answer, or ``None`` when the encoding does not cover `spec`."""
    # z3 is imported only when a table is proved, not when the testing kit is imported
    from racesim.verify.proof.coverage import NotEncodedError
    from racesim.verify.proof.decide import prove

    try:
        return prove(spec, prop, pushes=pushes)
    except NotEncodedError:
        return None
