"""What the classroom's controls set up: the slider ranges, the two-push history they describe,
the scenario with the chosen build time, and the sentence that says how a history ends.

The notebook widgets (:mod:`~racesim.classroom.widgets`) and the kernel-free page
(:mod:`~racesim.classroom.page`) both build their pictures from these, so the three classrooms
show the same race for the same control values.
"""

from __future__ import annotations

from dataclasses import replace

from racesim.core.history import Durations, History, Push
from racesim.core.trace import Trace
from racesim.scenarios import Scenario
from racesim.scenarios.timing import Distribution, LogNormal

__all__ = ["SLIDERS", "median_seconds", "two_push_history", "verdict_text", "with_build_median"]

#: slider name -> (label, lowest, highest, step) in seconds
SLIDERS: dict[str, tuple[str, float, float, float]] = {
    "build": ("build A (s)", 20.0, 180.0, 1.0),
    "sleep": ("sleep (s)", 0.0, 180.0, 5.0),
    "gap": ("gap A→B (s)", 0.0, 120.0, 1.0),
}


def median_seconds(dist: Distribution | float) -> float:
    """The median of a scenario timing (a distribution, or a plain number of seconds)."""
    if isinstance(dist, Distribution):
        return float(dist.quantile(0.5))
    return float(dist)


def with_build_median(scenario: Scenario, seconds: float) -> Scenario:
    """`scenario` with the scenario-wide build time centred on `seconds`.

    A log-normal build keeps its relative spread (its ``sigma``), so "usually 72 s, sometimes 95
    s" becomes "usually 120 s, sometimes 158 s"; any other distribution becomes a fixed value.
    Per-push overrides (the quicker second build of ``two-pushes-out-of-order``) are kept.
    """
    current = scenario.timings["build"]
    if isinstance(current, LogNormal):
        return scenario.with_param("timings.build.sigma", current.log_sigma).with_param(
            "timings.build.median", seconds
        )
    return scenario.with_param("timings.build", seconds)


def two_push_history(base: Durations, *, build: float, second_build: float, gap: float) -> History:
    """Commit ``A`` pushed at 0 s, commit ``B`` at `gap` s; their builds take `build` and
    `second_build` seconds.

    Every other duration is `base`'s (the f8af4c1 incident's in :class:`RaceDemo`).
    """
    return History(
        (
            Push(0.0, replace(base, build=build), "A"),
            Push(gap, replace(base, build=second_build), "B"),
        )
    )


def verdict_text(trace: Trace) -> str:
    """One sentence on how `trace` ends: the commit production runs and the stale deploys.

    The classroom app (Voila) and the kernel-free docs page both show it, so a test can compare
    what a browser displays with what this function says for the same controls.
    """
    out = trace.outcome
    name = trace.history.label
    stale = out.stale_deploys
    verdict = (
        "production ends on the newest commit"
        if out.final_correct
        else f"production ends on {name(out.final_live)}, "
        f"not on the newest built commit {name(out.newest_built)}"
    )
    return f"{verdict}; {stale} stale deploy{'s' if stale != 1 else ''} in this history"
