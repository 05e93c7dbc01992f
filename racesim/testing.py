"""Property-testing kit: hypothesis strategies, properties, counterexample search.

Use it on your own pipeline designs, in your own test suite::

    from hypothesis import given
    from racesim import Strategy, simulate
    from racesim.testing import histories, ends_on_newest

    MINE = Strategy(trigger="workflow_run", gate=True, reference="sha")

    @given(histories(max_pushes=2))
    def test_my_pipeline_ends_on_newest(history):
        assert ends_on_newest(simulate(MINE, history))

or ask for the shortest history that breaks it: ``find_counterexample(MINE, "ends_on_newest")``,
or for a proof over every history within bounds, falling back to the search where the proof's
encoding does not model the strategy: ``assert_proved(MINE, "ends_on_newest", pushes=3)``.

This module is the kit's public face; the code lives in :mod:`racesim.verify` (properties,
generators, search, the verdict table) and :mod:`racesim.plot` (the counterexample picture,
imported on first use so that a test suite importing the kit does not pay for matplotlib).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from racesim.verify.assertion import assert_proved
from racesim.verify.counterexample import Counterexample
from racesim.verify.explain import explain, story
from racesim.verify.generators import (
    DEFAULT_BOUNDS,
    build_outcomes,
    durations,
    histories,
    push_gaps,
    scenarios,
    strategy_values,
)
from racesim.verify.properties import (
    PROPERTIES,
    Check,
    Property,
    as_check,
    ends_on_newest,
    never_regresses,
    never_stale,
    parse_property,
    ships_what_it_claims,
)
from racesim.verify.search import (
    DEFAULT_GRID,
    ExhaustiveResult,
    SearchResult,
    corner_histories,
    exhaustive_check,
    find_counterexample,
    search,
)
from racesim.verify.table import verdict_table

if TYPE_CHECKING:
    from racesim.plot.counterexample import plot_counterexample


def __getattr__(name: str) -> Any:
    """``plot_counterexample`` is imported (with matplotlib) the first time it is asked for."""
    if name == "plot_counterexample":
        from racesim.plot.counterexample import plot_counterexample

        globals()[name] = plot_counterexample
        return plot_counterexample
    raise AttributeError(f"module 'racesim.testing' has no attribute {name!r}")


__all__ = [
    "DEFAULT_BOUNDS",
    "DEFAULT_GRID",
    "PROPERTIES",
    "Check",
    "Counterexample",
    "ExhaustiveResult",
    "Property",
    "SearchResult",
    "as_check",
    "assert_proved",
    "build_outcomes",
    "corner_histories",
    "durations",
    "ends_on_newest",
    "exhaustive_check",
    "explain",
    "find_counterexample",
    "histories",
    "never_regresses",
    "never_stale",
    "parse_property",
    "plot_counterexample",
    "push_gaps",
    "scenarios",
    "search",
    "ships_what_it_claims",
    "story",
    "strategy_values",
    "verdict_table",
]
