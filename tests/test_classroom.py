"""The classroom demo, driven headless: set a control as a click would, then check the picture."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from racesim._util.optional import MissingDependencyError
from racesim.classroom import RaceDemo, with_build_median
from racesim.errors import InputError
from racesim.scenarios import load_scenario
from racesim.scenarios.timing import LogNormal

needs_ipywidgets = pytest.mark.skipif(
    importlib.util.find_spec("ipywidgets") is None, reason="ipywidgets is not installed"
)


def bar_widths(demo: RaceDemo) -> list[tuple[float, float]]:
    """Left edge and width of every bar on the timeline (steps, waits, service lane)."""
    return [(p.get_x(), p.get_width()) for p in demo.timeline_ax.patches]


def bar_heights(demo: RaceDemo) -> list[float]:
    return [p.get_height() for p in demo.probability_ax.patches]


@pytest.fixture
def demo() -> RaceDemo:
    pytest.importorskip("ipywidgets")
    return RaceDemo(trials=40)


def test_opens_on_the_incident(demo: RaceDemo) -> None:
    """Defaults: the f8af4c1 durations, parallel workflows, a second push 10 s later."""
    assert demo.redraws == 1
    assert set(demo.controls) == {"build", "sleep", "gap", "strategy"}
    a, b = demo.history.pushes
    assert (a.time, a.durations.build, b.time) == (0.0, 72.0, 10.0)
    assert b.durations.build == demo.second_build == 40.0  # the scenario's push-2 median
    assert a.durations.prepare == 32.0  # observed in the incident
    assert demo.trace.outcome.stale_deploys == 2
    assert list(demo.summary["situation"]) == ["one push", "two pushes 10 s apart"]
    assert demo.image.value[:4] == b"\x89PNG"
    assert "parallel" in demo.timeline_ax.get_title()


@needs_ipywidgets
def test_one_push_takes_the_fast_path_and_two_pushes_their_own_count() -> None:
    """The one-push bars can afford many trials (fast path); the two-push bars have their own."""
    demo = RaceDemo(trials=3000, two_push_trials=30)
    assert demo.summary["trials"].tolist() == [3000, 30]
    assert "3,000 sampled runs of one push and 30 of two" in demo.probability_ax.get_title()
    assert RaceDemo(trials=40).two_push_trials == 40  # never more than the one-push count
    assert RaceDemo(trials=4000).two_push_trials == 400


@needs_ipywidgets
def test_moving_the_build_slider_redraws_with_new_data() -> None:
    """Under workflow_run a slower first build makes out-of-order finishes likelier."""
    demo = RaceDemo(trials=40, strategy="workflow_run")
    before_bars, before_p, before_png = bar_widths(demo), bar_heights(demo), demo.image.value
    demo.controls["build"].value = 120
    assert demo.redraws == 2
    assert demo.history.pushes[0].durations.build == 120.0
    assert bar_widths(demo) != before_bars
    assert bar_heights(demo) != before_p
    assert demo.image.value != before_png
    assert "build 120 s" in demo.timeline_ax.get_title()


def test_gap_and_sleep_sliders_redraw(demo: RaceDemo) -> None:
    demo.controls["gap"].value = 45
    assert demo.history.pushes[1].time == 45.0
    assert list(demo.summary["situation"]) == ["one push", "two pushes 45 s apart"]
    before = bar_widths(demo)
    demo.controls["sleep"].value = 60
    assert demo.strategy.sleep == 60.0
    assert demo.strategy_label == "parallel + sleep 60 s"
    assert bar_widths(demo) != before
    assert demo.redraws == 3


def test_changing_the_strategy_changes_title_and_data(demo: RaceDemo) -> None:
    title, bars = demo.timeline_ax.get_title(), bar_widths(demo)
    demo.controls["strategy"].value = "cancel_superseded"
    assert demo.timeline_ax.get_title() != title
    assert demo.timeline_ax.get_title().startswith("cancel_superseded:")
    assert "cancel_superseded" in demo.probability_ax.get_title()
    assert bar_widths(demo) != bars
    assert demo.trace.outcome.final_correct
    assert demo.summary["p_final_wrong"].tolist() == [0.0, 0.0]


def test_picking_sleep_60_moves_the_sleep_slider_once(demo: RaceDemo) -> None:
    demo.controls["strategy"].value = "sleep:60"
    assert demo.controls["sleep"].value == 60
    assert demo.strategy_label == "sleep:60"
    assert demo.redraws == 2  # one redraw, not one per control that moved
    demo.controls["strategy"].value = "workflow_run"
    assert demo.controls["sleep"].value == 0


def test_callback_is_a_plain_method(demo: RaceDemo) -> None:
    demo.on_change({"name": "value", "old": 0, "new": 0})
    assert demo.redraws == 2


def test_same_controls_same_estimate(demo: RaceDemo) -> None:
    """A fixed seed: returning to earlier slider values gives the earlier numbers back.

    The widget caches estimates, so the numbers are also computed afresh (a new widget and a
    cleared cache): equal numbers then come from the seed, not from the cache.
    """
    first = demo.summary.copy()
    demo.controls["build"].value = 100
    moved = demo.summary.copy()
    demo.controls["build"].value = 72
    assert demo.summary.equals(first)
    assert not moved.equals(first)  # the slider did change the numbers in between
    fresh = RaceDemo(trials=40)
    assert fresh._estimates is not demo._estimates
    assert fresh.summary.equals(first)
    demo._estimates.clear()
    demo.controls["build"].value = 100
    assert demo.summary.equals(moved)
    other_seed = RaceDemo(trials=40, seed=1)
    other_seed.controls["build"].value = 100
    assert not other_seed.summary.equals(moved)


def test_build_median_keeps_the_spread() -> None:
    scenario = load_scenario("f8af4c1")
    old = scenario.timings["build"]
    new = with_build_median(scenario, 120).timings["build"]
    assert isinstance(old, LogNormal) and isinstance(new, LogNormal)
    assert new.quantile(0.5) == pytest.approx(120)
    assert new.quantile(0.95) / 120 == pytest.approx(old.quantile(0.95) / old.quantile(0.5))


@needs_ipywidgets
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"build": 5}, "build"),
        ({"sleep": -1}, "sleep"),
        ({"gap": 1000}, "gap"),
        ({"strategy": "yolo"}, "strategy"),
        ({"trials": 0}, "trials"),
        ({"two_push_trials": 0}, "two_push_trials"),
        ({"two_push_trials": 2.5}, "two_push_trials"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_starting_values_are_refused(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as err:
        RaceDemo(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_missing_ipywidgets_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(MissingDependencyError, match=r"racesim\[notebooks\]"):
        RaceDemo()


def test_static_output_says_what_to_do_instead_of_an_empty_widget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While the docs build, the widget displays a note and its picture, not an empty cell."""
    from racesim.classroom import STATIC_OUTPUT, RaceDemo

    demo = RaceDemo(trials=5)
    assert "application/vnd.jupyter.widget-view+json" in demo._repr_mimebundle_()
    monkeypatch.setenv(STATIC_OUTPUT, "1")
    bundle = demo._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    page = bundle["text/html"]
    assert "racesim classroom" in page and "python dev.py notebooks" in page
    assert 'src="data:image/png;base64,' in page
    assert "production ends on" in page
