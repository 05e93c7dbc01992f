"""The classroom demo, driven headless: set a control as a click would, then check the picture."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

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


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG, from its header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


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
def test_two_pushes_get_as_many_trials_as_one_where_the_fast_path_decides_them() -> None:
    """Both situations take the fast path and `trials` trials, except two pushes under a
    strategy only SimPy decides (reconcile_latest): min(trials, 400) there. A given
    `two_push_trials` holds under every strategy."""
    from racesim.classroom.widgets import SIMPY_TWO_PUSH_TRIALS

    demo = RaceDemo(trials=3000)
    assert demo.two_push_trials == 3000
    assert demo.summary["trials"].tolist() == [3000, 3000]
    assert "3,000 sampled runs of one push and 3,000 of two" in demo.probability_ax.get_title()
    demo.controls["strategy"].value = "reconcile_latest"
    assert demo.two_push_trials == SIMPY_TWO_PUSH_TRIALS == 400
    assert demo.summary["trials"].tolist() == [3000, 400]
    assert "3,000 sampled runs of one push and 400 of two" in demo.probability_ax.get_title()
    demo.controls["strategy"].value = "guarded"
    assert demo.summary["trials"].tolist() == [3000, 3000]
    small = RaceDemo(trials=40, strategy="reconcile_latest")
    assert small.two_push_trials == 40  # never more than the one-push count
    given = RaceDemo(trials=3000, two_push_trials=30)
    assert given.summary["trials"].tolist() == [3000, 30]
    assert "3,000 sampled runs of one push and 30 of two" in given.probability_ax.get_title()
    given.controls["strategy"].value = "reconcile_latest"
    assert given.summary["trials"].tolist() == [3000, 30]


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


# -- the lesson --------------------------------------------------------------------------------


def test_every_lesson_step_is_on_the_static_grid_and_asks_a_known_question() -> None:
    from racesim import PRESETS
    from racesim.classroom.lesson import ASKS, LESSON
    from racesim.classroom.page import GRID

    assert 5 <= len(LESSON) <= 8
    for step in LESSON:
        assert step.strategy in PRESETS
        for name in ("build", "gap", "sleep"):
            assert getattr(step, name) in GRID[name], (step.title, name)
        assert step.asks in ASKS
        assert len(set(step.choices)) == len(step.choices) >= 2


def test_lesson_answers_are_the_simulation_of_each_steps_settings() -> None:
    """Each answer is what simulating the step's two pushes gives, one of the step's choices;
    change a step's settings and its answer follows (nothing is written down)."""
    from dataclasses import replace

    from racesim import PRESETS, simulate
    from racesim.classroom.controls import two_push_history
    from racesim.classroom.lesson import LESSON, answer, base_durations

    base, second = base_durations()
    for step in LESSON:
        history = two_push_history(base, build=step.build, second_build=second, gap=step.gap)
        outcome = simulate(replace(PRESETS[step.strategy], sleep=step.sleep), history).outcome
        expected = (
            history.label(outcome.final_live) if step.asks == "live" else str(outcome.stale_deploys)
        )
        assert answer(step) == expected, step.title
        assert answer(step) in step.choices, step.title
    # the story the lesson tells: the merged fix loses at 10 s, a bigger gap rescues it, a slower
    # build A breaks it again
    fix, spread, slow = LESSON[1], LESSON[2], LESSON[3]
    assert (fix.strategy, spread.strategy, slow.strategy) == ("workflow_run",) * 3
    assert answer(fix) != "B" and answer(spread) == "B" and answer(slow) != "B"
    assert answer(replace(fix, gap=spread.gap)) == answer(spread)
    assert answer(replace(slow, build=fix.build)) == answer(spread)


def test_the_lesson_ends_on_the_proved_fix_and_shows_its_price() -> None:
    """The last step is queued_guarded: it ends on the newest commit in its history, and B's
    deploy waits in the queue, so B goes live later than with pinned deploys that do not queue
    (the price the step names); the step before names cancel_superseded's win as one history."""
    from dataclasses import replace

    from racesim.classroom.lesson import LESSON, answer, step_trace

    last, before = LESSON[-1], LESSON[-2]
    assert (before.strategy, last.strategy) == ("cancel_superseded", "queued_guarded")
    assert answer(before) == answer(last) == "B"
    queued = step_trace(last).outcome
    assert queued.final_correct and queued.stale_deploys == 0
    unqueued = step_trace(replace(last, strategy="pinned")).outcome
    assert unqueued.final_correct  # the same end, sooner: the queue is the price
    assert queued.push_to_live[-1] > unqueued.push_to_live[-1]
    assert "not a guarantee" in before.explain and "prove" in before.explain


@pytest.mark.slow
def test_the_last_steps_guarantee_is_what_prove_says() -> None:
    """The sentence of the last step, checked: prove keeps all four properties for the push
    count and registry lags it states; each part it says is needed breaks ends_on_newest when
    removed (three pushes, registry lag 0..30 s), and cancel_superseded is not proved."""
    from dataclasses import replace

    from racesim import PRESETS
    from racesim.classroom.lesson import (
        GITHUB_QUEUE_LIMIT,
        LESSON,
        PROOF_LAG,
        PROOF_PUSHES,
        proof_bounds,
    )
    from racesim.core.strategy import Concurrency
    from racesim.proof import prove
    from racesim.verify.properties import PROPERTIES

    text = LESSON[-1].explain
    assert f"up to {PROOF_PUSHES} pushes" in text and f"up to {PROOF_LAG:g} s" in text
    assert f"no more than {GITHUB_QUEUE_LIMIT} deploys" in text
    assert len(PROPERTIES) == 4 and "four properties" in text
    for prop in PROPERTIES:
        result = prove("queued_guarded", prop, pushes=PROOF_PUSHES, bounds=proof_bounds())
        assert result.proved, result.headline
    fix = PRESETS["queued_guarded"]
    parts = {
        "without the guard": replace(fix, guard="none"),
        "default single pending slot": replace(fix, deploy_concurrency=Concurrency()),
        "without the wait": replace(fix, wait=None),
        "without the concurrency group": replace(fix, deploy_concurrency=None),
    }
    lag = {"registry_lag": (0.0, PROOF_LAG)}
    for said, strategy in parts.items():
        assert said in text
        assert not prove(strategy, "ends_on_newest", pushes=3, bounds=lag).proved, said
    assert not prove("cancel_superseded", "ends_on_newest", pushes=2).proved


@pytest.fixture(scope="module")
def page() -> dict[str, object]:
    from racesim.classroom.page import page_data

    return page_data()


def test_the_static_page_carries_the_lesson_with_computed_answers(page: dict[str, Any]) -> None:
    from racesim.classroom.lesson import LESSON, answer
    from racesim.classroom.page import scene_key

    lesson = page["lesson"]
    assert [s["title"] for s in lesson] == [s.title for s in LESSON]
    assert [s["answer"] for s in lesson] == [answer(s) for s in LESSON]
    for shown, step in zip(lesson, LESSON, strict=True):
        scene = page["scenes"][scene_key(step.strategy, step.build, step.gap, step.sleep)]
        assert shown["verdict"] == scene["verdict"]  # the reveal and the timeline agree
        assert [c for c, _ in shown["choices"]] == list(step.choices)


def test_the_static_bars_are_measured_with_a_fixed_seed(page: dict[str, Any]) -> None:
    """The page's rates are run_trials' for the same scenario, trials and seed, for every
    strategy, build and gap of the grid; another seed measures other numbers."""
    from dataclasses import replace

    from racesim.classroom import estimates
    from racesim.classroom.page import GRID
    from racesim.core.strategy import PRESETS
    from racesim.scenarios import Explicit
    from racesim.studies.summary import summarize
    from racesim.studies.trials import run_trials

    assert set(page["twoPushes"]) == {f"{b:g}|{g:g}" for b in GRID["build"] for g in GRID["gap"]}
    assert set(page["onePush"]) == {f"{b:g}" for b in GRID["build"]}
    shown = page["twoPushes"]["100|5"]
    assert (shown["trials"], shown["seed"]) == (estimates.TWO_PUSH_TRIALS, estimates.SEED)
    # as many two-push trials as one-push ones, but for the one strategy only SimPy decides
    assert estimates.TWO_PUSH_TRIALS == estimates.ONE_PUSH_TRIALS == page["onePush"]["72"]["trials"]
    assert shown["simpy_trials"] == {"reconcile_latest": estimates.TWO_PUSH_SIMPY_TRIALS}
    assert page["onePush"]["72"]["simpy_trials"] == {}
    assert set(shown["stale"]) == set(PRESETS)
    scenario = replace(
        with_build_median(load_scenario("two-pushes-out-of-order"), 100.0),
        pushes=Explicit((0.0, 5.0)),
    )
    for name, (p, low, high) in shown["stale"].items():
        trials = shown["simpy_trials"].get(name, shown["trials"])
        results = run_trials(scenario, [name], trials=trials, seed=shown["seed"], progress=False)
        row = summarize(results).iloc[0]
        assert p == pytest.approx(row["p_stale"], abs=1e-4)
        assert (low, high) == (
            pytest.approx(row["p_stale_low"], abs=1e-4),
            pytest.approx(row["p_stale_high"], abs=1e-4),
        )
    assert page["onePush"]["72"]["stale"]["parallel"][0] > 0.5  # the incident, measured
    assert page["onePush"]["72"]["stale"]["cancel_superseded"][0] == 0.0
    assert (
        page["onePush"]["72"]["runner_s"]["sleep:60"]
        > page["onePush"]["72"]["runner_s"]["parallel"]
    )  # a sleep is paid on every deploy
    other = estimates.two_push_rates(100.0, 5.0, seed=1)
    assert other["stale"] != shown["stale"]


@needs_ipywidgets
def test_lesson_widget_asks_first_and_reveals_the_simulation() -> None:
    """The Voila lesson: no demo (and no Monte Carlo) until the first reveal; the reveal sets the
    demo to the step's settings and says the computed answer; steps move with the buttons."""
    from racesim.classroom.lesson import LESSON, answer, choice_text
    from racesim.classroom.lessonapp import LessonDemo

    lesson = LessonDemo(trials=40)
    assert lesson.demo is None and lesson.step == 0
    assert LESSON[0].question in lesson.header.value
    assert lesson.demo_box.layout.display == "none"
    assert "Predict first" in lesson.answer.value
    lesson.choices.value = LESSON[0].choices[-1]
    lesson.reveal()
    demo = lesson.demo
    assert demo is not None and lesson.demo_box.layout.display is None
    assert demo.trace.history.label(demo.trace.outcome.final_live) == answer(LESSON[0])
    assert f"The simulation says: {choice_text(answer(LESSON[0]))}." in lesson.answer.value
    right = "right" if LESSON[0].choices[-1] == answer(LESSON[0]) else "different"
    assert f"Your prediction was {right}" in lesson.answer.value

    lesson.next_button.click()
    assert lesson.step == 1 and lesson.demo_box.layout.display == "none"
    assert lesson.choices.value is None
    redraws = demo.redraws
    lesson.go(4)  # the sleep step: the preset's sleep and a strategy change, one redraw
    lesson.reveal()
    step = LESSON[4]
    assert demo.redraws == redraws + 1
    assert (demo.strategy_label, demo.value("build"), demo.value("gap")) == (
        step.strategy,
        step.build,
        step.gap,
    )
    assert str(demo.trace.outcome.stale_deploys) == answer(step)
    lesson.go(len(LESSON))  # past the end: nothing happens
    assert lesson.step == 4
    screen = demo.image.value
    lesson.projector.value = True
    assert "rc-projector" in lesson.widget._dom_classes
    # the picture for a projector: about as wide, drawn smaller at a higher resolution
    assert demo.projector and demo.image.value != screen
    assert png_size(demo.image.value)[0] > png_size(screen)[0]
    lesson.projector.value = False
    assert png_size(demo.image.value) == png_size(screen)
    with pytest.raises(InputError):
        LessonDemo(two_push_trials=0)  # refused at once, not at the first reveal


def test_voila_is_started_with_racesims_template_and_without_broken_extensions() -> None:
    """The served page fetches nothing from a CDN and loads no lab extension that fails there."""
    import argparse

    from racesim.cli import classroom

    args = argparse.Namespace(port=9999, host="127.0.0.1", no_browser=True)
    command = classroom.voila_command(args, "app.ipynb")
    assert f"--template={classroom.TEMPLATE}" in command
    for name in classroom.HIDDEN_EXTENSIONS:
        assert f"--VoilaConfiguration.extension_denylist={name}" in command
    from importlib import resources

    data = Path(str(resources.files("racesim").joinpath("classroom")))
    template = data / "voila" / "templates" / classroom.TEMPLATE / "index.html.j2"
    assert "cdn." not in template.read_text(encoding="utf-8")
    env = classroom.voila_env(data)
    assert env["JUPYTER_PATH"].split(os.pathsep)[0] == str(data)
