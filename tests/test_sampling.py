"""Addressed sampling: every draw has a fixed address, so sweeps and chunks never reshuffle."""

from __future__ import annotations

import numpy as np
import pytest

from racesim.core.history import DURATION_FIELDS
from racesim.scenarios import Burst, Scenario, load_scenario
from racesim.scenarios.timing import Empirical, Fixed, HeavyTailed, LogNormal, Triangular, Uniform
from racesim.studies.sampled import sample_block, trial_history
from racesim.studies.sampling import SLOTS, Draws, quantiles
from racesim.studies.sweep import sweep


def test_every_field_has_its_own_slot() -> None:
    assert set(DURATION_FIELDS) | {"build_fails", "time"} == set(SLOTS)
    assert len(set(SLOTS.values())) == len(SLOTS)


def test_a_trial_draws_the_same_numbers_in_any_block() -> None:
    whole = Draws(3, 0, 100).uniform("build", index=2)
    assert np.array_equal(whole[40:60], Draws(3, 40, 60).uniform("build", index=2))
    assert np.array_equal(whole[99:], Draws(3, 99, 100).uniform("build", index=2))
    assert not np.array_equal(whole, Draws(4, 0, 100).uniform("build", index=2))
    assert ((whole > 0) & (whole < 1)).all()


@pytest.mark.parametrize(
    "dist",
    [
        Fixed(4),
        Uniform(1, 5),
        Triangular(1, 2, 9),
        LogNormal(72, 95),
        LogNormal(5, sigma=0.4, shift=1),
        Empirical((3, 1, 2)),
        HeavyTailed(3, 20, 1),
    ],
)
def test_vectorised_quantiles_equal_the_scalar_ones(dist: object) -> None:
    u = np.array([1e-9, 0.01, 0.25, 0.5, 0.9, 0.999])
    got = quantiles(dist, u)  # type: ignore[arg-type]
    if isinstance(dist, Empirical):  # resampling: the inverse of the empirical CDF
        expected = np.quantile(dist.values, u, method="inverted_cdf").tolist()
    else:
        expected = [dist.quantile(float(q)) for q in u]  # type: ignore[attr-defined]
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_sweeping_the_failure_rate_keeps_every_duration() -> None:
    """Common random numbers for any knob: the failure coin has its own address."""
    df = sweep(load_scenario("f8af4c1"), "build_failure", [0.0, 0.3], ["parallel"], trials=200)
    wide = df.pivot(index="trial", columns="value", values="sampled_build")
    assert (wide[0.0] == wide[0.3]).all()
    failed = df.pivot(index="trial", columns="value", values="newest_built")
    assert (failed[0.0] == 1).all() and 0.15 < (failed[0.3] == 0).mean() < 0.45


def test_adding_a_push_moves_no_other_draw() -> None:
    timings = {"build": Uniform(10, 90), "prepare": LogNormal(30, 45)}
    two = Scenario(timings=timings, pushes=Burst(2, Uniform(0, 60)))
    three = Scenario(timings=timings, pushes=Burst(3, Uniform(0, 60)))
    for trial in (0, 7, 31):
        a, b = trial_history(two, 5, trial), trial_history(three, 5, trial)
        assert a.pushes == b.pushes[:2]
    block = sample_block(three, 5, 0, 40)
    assert block.history(7) == trial_history(three, 5, 7)
