"""Property-testing kit: hypothesis strategies, properties, counterexample search.

Use it on your own pipeline designs, in your own test suite::

    from hypothesis import given
    from racesim import Strategy, simulate
    from racesim.testing import histories, ends_on_newest

    MINE = Strategy(trigger="workflow_run", gate=True, reference="sha")

    @given(histories(max_pushes=2))
    def test_my_pipeline_ends_on_newest(history):
        assert ends_on_newest(simulate(MINE, history))

or ask for the shortest history that breaks it: ``find_counterexample(MINE, "ends_on_newest")``.
"""

from racesim.testing.explain import explain, story
from racesim.testing.properties import (
    PROPERTIES,
    Check,
    Property,
    as_check,
    ends_on_newest,
    never_regresses,
    never_stale,
    ships_what_it_claims,
)
from racesim.testing.search import (
    DEFAULT_GRID,
    Counterexample,
    ExhaustiveResult,
    SearchResult,
    exhaustive_check,
    find_counterexample,
    parse_property,
    plot_counterexample,
    search,
    verdict_table,
)
from racesim.testing.strategies import (
    DEFAULT_BOUNDS,
    build_outcomes,
    durations,
    histories,
    push_gaps,
    scenarios,
    strategy_values,
)

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
    "build_outcomes",
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
