"""``assert_proved``: a test-suite assertion backed by a proof where one exists.

A property test that samples histories can pass while a proof breaks the property at once: the
breaking history needs several durations at their bounds together, and random sampling rarely
lands there. :func:`assert_proved` asks :func:`racesim.proof.prove` first, which covers every
real-valued history within the bounds. Where the encoding does not model the strategy it falls
back to the search (the corners first, then sampled and targeted histories) and, up to two pushes,
the exhaustive grid, and it says which of these decided.
"""

from __future__ import annotations

from collections.abc import Mapping

from racesim.core.strategy import Strategy, parse_strategy
from racesim.errors import InputError
from racesim.verify.explain import explain
from racesim.verify.properties import PROPERTIES, parse_property
from racesim.verify.search import exhaustive_check, search

__all__ = ["assert_proved"]


def assert_proved(
    strategy: str | Strategy,
    prop: str,
    *,
    pushes: int = 2,
    bounds: Mapping[str, object] | None = None,
    max_examples: int = 1000,
    seed: int = 0,
) -> str:
    """Assert that `strategy` keeps `prop` for every history of 1 to `pushes` pushes.

    Args:
        strategy: a preset name or a :class:`~racesim.Strategy`.
        prop: one of the four built-in properties.
        pushes: the largest push count covered (1 to 4 for a proof).
        bounds: overrides of the default bounds, as :func:`racesim.proof.prove` takes them
            (duration fields, ``gap``, ``failures``).
        max_examples: the search's budget when no proof is possible.
        seed: the search's seed.

    Returns:
        How the verdict was reached: ``"proved"`` (z3, every real-valued history), or
        ``"searched"`` / ``"searched and exhaustive"`` where the encoding refuses the
        strategy (the reason follows).

    Raises:
        AssertionError: a history breaks the property; the message tells it step by step.
    """
    from racesim.verify.proof.coverage import NotEncodedError
    from racesim.verify.proof.decide import prove

    chosen = parse_strategy(strategy)
    name, _ = parse_property(prop)
    if name not in PROPERTIES:
        raise InputError("property", f"expected a built-in property, got {prop!r}")
    try:
        result = prove(chosen, name, pushes=pushes, bounds=bounds)
    except NotEncodedError as exc:
        return _searched(chosen, name, pushes, bounds, max_examples, seed, str(exc))
    if result.counterexample is not None:
        cx = result.counterexample
        raise AssertionError(
            f"{chosen.describe()} breaks {name} (proved by z3, {cx.history.commits} push(es)): "
            + explain(cx.trace, cx.check)
        )
    return "proved"


def _searched(
    chosen: Strategy,
    name: str,
    pushes: int,
    bounds: Mapping[str, object] | None,
    max_examples: int,
    seed: int,
    why: str,
) -> str:
    durations: dict[str, tuple[float, float] | float] = {}
    max_gap = 60
    failures = False
    for key, value in (bounds or {}).items():
        if key == "gap":
            high = value[1] if isinstance(value, tuple | list) else value
            max_gap = int(float(high))  # type: ignore[arg-type]
        elif key == "failures":
            failures = bool(value)
        else:
            durations[key] = value  # type: ignore[assignment]
    found = search(
        chosen,
        name,
        pushes=pushes,
        bounds=durations,
        max_gap=max_gap,
        failures=failures,
        max_examples=max_examples,
        seed=seed,
    ).counterexample
    how = "searched"
    if found is None and pushes <= 2 and not durations and not failures:
        grid = exhaustive_check(chosen, name, pushes=pushes)
        found = grid.counterexample
        how = "searched and exhaustive"
    if found is not None:
        raise AssertionError(
            f"{chosen.describe()} breaks {name} (found by the search, {found.history.commits} "
            f"push(es); {why}): " + explain(found.trace, found.check)
        )
    return f"{how} ({why})"
