"""Timing distributions: parameters checked, quantiles as described, round trips, no global RNG."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from racesim.errors import InputError
from racesim.scenarios.timing import (
    Empirical,
    Fixed,
    HeavyTailed,
    LogNormal,
    Triangular,
    Uniform,
    distribution_from_table,
)

EXAMPLES = [
    Fixed(5),
    Uniform(1, 4),
    Triangular(10, 12, 30),
    LogNormal(72, p95=95),
    LogNormal(30, sigma=0.4, shift=2),
    Empirical((3, 7, 9, 9, 12)),
    HeavyTailed(median=3, p95=20, shift=1),
]


@pytest.mark.parametrize("dist", EXAMPLES, ids=str)
def test_round_trip_through_the_table_form(dist: object) -> None:
    assert distribution_from_table(dist.to_table(), "x") == dist  # type: ignore[attr-defined]


@pytest.mark.parametrize("dist", EXAMPLES, ids=str)
def test_samples_are_non_negative_and_match_the_median(dist: object) -> None:
    rng = np.random.default_rng(12)
    sample = dist.sample(rng, 40_000)  # type: ignore[attr-defined]
    assert sample.min() >= 0
    # the sample median lands close to the distribution's own median
    assert np.median(sample) == pytest.approx(dist.quantile(0.5), rel=0.03, abs=0.05)  # type: ignore[attr-defined]


def test_lognormal_by_median_and_p95() -> None:
    d = LogNormal(72, p95=95)
    assert d.quantile(0.5) == pytest.approx(72)
    assert d.quantile(0.95) == pytest.approx(95)
    sample = d.sample(np.random.default_rng(1), 100_000)
    assert np.quantile(sample, 0.95) == pytest.approx(95, rel=0.01)


def test_heavy_tailed_fits_median_and_p95_and_has_a_long_tail() -> None:
    d = HeavyTailed(median=3, p95=20, shift=1)
    assert d.quantile(0.5) == pytest.approx(3)
    assert d.quantile(0.95) == pytest.approx(20)
    same_body = LogNormal(3, p95=20)
    assert d.quantile(0.999) > 2 * same_body.quantile(0.999)
    sample = d.sample(np.random.default_rng(2), 200_000)
    assert np.quantile(sample, 0.95) == pytest.approx(20, rel=0.03)


def test_sampling_uses_only_the_given_generator() -> None:
    d = LogNormal(10, p95=20)
    np.random.seed(0)  # noqa: NPY002 - the global state must not matter
    a = d.sample(np.random.default_rng(5), 10)
    np.random.seed(1)  # noqa: NPY002
    b = d.sample(np.random.default_rng(5), 10)
    assert np.array_equal(a, b)
    assert isinstance(d.sample(np.random.default_rng(5)), float)


@pytest.mark.parametrize(
    ("table", "field", "fragment"),
    [
        (-3, "x", ">= 0"),
        ({"dist": "uniform", "low": -1, "high": 2}, "x.low", ">= 0"),
        ({"dist": "uniform", "low": 5, "high": 2}, "x.high", "high >= low"),
        ({"dist": "lognormal", "median": 72, "p95": 60}, "x.p95", "above the median"),
        ({"dist": "lognormal", "median": 72}, "x.p95", "exactly one of p95 and sigma"),
        ({"dist": "lognormal", "median": 72, "p95": 90, "sigma": 1}, "x.p95", "exactly one"),
        ({"dist": "empirical", "values": []}, "x.values", "non-empty"),
        ({"dist": "empirical", "values": [3, -1]}, "x.values[1]", ">= 0"),
        ({"dist": "triangular", "low": 1, "mode": 9, "high": 5}, "x.mode", "low <= mode <= high"),
        ({"dist": "heavy_tailed", "median": 3, "p95": 5}, "x.p95", "too close to the median"),
        (
            {"dist": "heavy_tailed", "median": 1, "p95": 50, "shift": 2},
            "x.median",
            "above the shift",
        ),
        ({"dist": "gamma", "k": 2}, "x.dist", "expected one of"),
        ({"dist": "uniform", "low": 1}, "x.high", "missing"),
        ({"dist": "uniform", "low": 1, "high": 2, "mode": 3}, "x.mode", "unknown parameter"),
        ("fast", "x", "expected seconds or a distribution table"),
        (True, "x", "expected seconds"),
    ],
)
def test_bad_parameters_name_the_field(table: object, field: str, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        distribution_from_table(table, "x")
    assert info.value.field == field
    assert fragment in info.value.problem


def test_with_param_for_sweeps() -> None:
    assert LogNormal(72, p95=95).with_param("median", 80) == LogNormal(80, p95=95)
    assert LogNormal(72, p95=95).with_param("sigma", 0.3) == LogNormal(72, sigma=0.3)
    with pytest.raises(InputError, match="no numeric parameter 'p50'"):
        Uniform(1, 2).with_param("p50", 3)
    with pytest.raises(InputError, match="high >= low"):
        Uniform(1, 2).with_param("high", 0.5)


@given(st.floats(0.5, 100), st.floats(1.05, 5))
def test_lognormal_quantiles_are_consistent(median: float, ratio: float) -> None:
    d = LogNormal(median, p95=median * ratio)
    assert d.quantile(0.5) == pytest.approx(median)
    assert d.quantile(0.95) == pytest.approx(median * ratio)
    assert d.quantile(0.05) < median
