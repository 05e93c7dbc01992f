"""Every figure racesim draws is readable: no clipped text, no overlapping labels, no event off
its axes, an x-range that covers the history.

The check is :func:`racesim.plot.check.figure_problems` (matplotlib's own renderer extents, no
pixel goldens). It runs here over the demo's figures (every file the demo saves is checked as
it is saved), every built-in incident's replay, counterfactuals and GIF frames, the docs'
pictures, the ingest and Monte Carlo figures, and 200 generated histories of 1 to 6 pushes with
extreme gaps. The notebooks are checked the same way by ``test_notebooks.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.figure import Figure

from racesim.plot.check import FigureLayoutError, check_figure, figure_problems


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Check every figure as it is written (``savefig`` and GIF frames alike); yields the list of
    what was checked. GIF frames are checked one in eight (each frame is the same layout with the
    curtain moved), plus the last."""
    seen: list[str] = []
    problems: list[str] = []
    original = FigureCanvasBase.print_figure
    frames: dict[int, int] = {}

    def print_figure(self: FigureCanvasBase, filename: Any, *args: Any, **kwargs: Any) -> Any:
        fig = self.figure
        frame = kwargs.get("format") == "rgba"
        count = frames[id(fig)] = frames.get(id(fig), -1) + 1
        if not frame or count % 8 == 0:
            name = str(filename) if isinstance(filename, str | Path) else f"frame {count}"
            seen.append(name)
            problems.extend(f"{name}: {p}" for p in figure_problems(fig))
        return original(self, filename, *args, **kwargs)

    monkeypatch.setattr(FigureCanvasBase, "print_figure", print_figure)
    yield seen
    assert not problems, "\n".join(problems)


# -- the checker itself ---------------------------------------------------------------------


def test_the_checker_reports_each_kind_of_problem() -> None:
    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], marker="o", label="a line")
    ax.set_xlim(0, 0.5)
    ax.text(0.2, 0.5, "hello world")
    ax.text(0.22, 0.5, "hello again")
    ax.legend(loc="upper left", bbox_to_anchor=(0.9, 1.0))
    problems = figure_problems(fig, spans={ax: [0.0, 2.0]})
    text = "\n".join(problems)
    assert "texts 'hello world' and 'hello again' overlap" in text
    assert "legend ('a line', ...) is cut off" in text
    assert "marker 'o' at data (1, 1) is outside the axes" in text
    assert "misses events at 0..2" in text
    with pytest.raises(FigureLayoutError, match="is not readable"):
        check_figure(fig)


def test_the_checker_passes_a_clean_figure_and_leaves_its_canvas_alone() -> None:
    fig = Figure(figsize=(5, 3), layout="constrained")
    ax = fig.add_subplot()
    ax.bar([1, 2], [3, 4])
    ax.plot([1, 2], [1, 2], marker="o", label="dots")
    ax.set_title("clean")
    ax.legend(loc="upper left")
    canvas = fig.canvas
    assert figure_problems(fig, spans={ax: [1.0, 2.0]}) == []
    assert fig.canvas is canvas


def test_a_label_under_a_legend_and_a_bar_off_the_axes_are_reported() -> None:
    fig = Figure(figsize=(5, 3))
    ax = fig.add_subplot()
    ax.barh(0, 10, left=5)
    ax.set_xlim(0, 8)
    ax.plot([1], [0], marker="o", label="a long legend entry")
    ax.legend(loc="center")
    ax.text(0.5, 0.5, "under", transform=ax.transAxes, ha="center", va="center")
    text = "\n".join(figure_problems(fig))
    assert "text 'under' lies under the legend" in text
    assert "a bar from x=5 to 15 runs outside the axes" in text


# -- the demo, the incidents, the docs --------------------------------------------------------


def test_every_figure_the_demo_writes_is_readable(tmp_path: Path, checked: list[str]) -> None:
    from racesim.cli import main

    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--trials", "300", "--sweep-trials", "200"]) == 0
    written = sorted(p.name for p in out.glob("*.png"))
    assert written and all(any(name in s for s in checked) for name in written)


@pytest.mark.parametrize("name", ["f8af4c1", "agentstudio-47", "idrac-325"])
def test_every_incident_timeline_counterfactual_and_gif_is_readable(
    name: str, tmp_path: Path, checked: list[str]
) -> None:
    pytest.importorskip("PIL", reason="pillow draws the GIF (pip install 'racesim[notebooks]')")
    from racesim.incidents import load_incident, replay
    from racesim.plot.animate import animate_timeline
    from racesim.plot.figures import counterfactual_timelines, replay_timeline

    result = replay(load_incident(name))
    trace = result.trace
    fig = replay_timeline(result)
    epoch = result.incident.epoch
    import matplotlib.dates as mdates

    def spans(t: Any) -> list[float]:
        return [float(mdates.date2num(epoch)) + e.time / 86400.0 for e in t.events]  # type: ignore[no-untyped-call]

    check_figure(fig, spans={fig.axes[0]: spans(trace)})
    strategies = [c.strategy for c in result.counterfactuals]
    panels = counterfactual_timelines(result, strategies)
    check_figure(
        panels,
        spans={
            ax: spans(c.trace) for ax, c in zip(panels.axes, result.counterfactuals, strict=True)
        },
    )
    animate_timeline(trace, tmp_path / "race.gif", epoch=epoch, hold=0.5)
    assert any(s.startswith("frame") for s in checked)


def test_the_docs_pictures_are_readable(checked: list[str]) -> None:
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("generated", ROOT / "docs/hooks/generated.py")
    assert spec is not None and spec.loader is not None
    pytest.importorskip("mkdocs", reason="the docs hooks need mkdocs (the dev extra)")
    generated = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generated)
    pictures = [k for k in generated.PICTURES if k.endswith(".png")]
    for path in pictures:
        assert generated.PICTURES[path]()
    assert len(checked) >= len(pictures) >= 3


# -- long histories get a window ---------------------------------------------------------------


def test_a_forty_push_history_is_drawn_one_screen_tall_around_its_first_stale_deploy() -> None:
    from racesim import History, Push, simulate
    from racesim.core.history import Durations
    from racesim.plot.figures import timeline_figure
    from racesim.plot.timeline import default_window, shown_runs

    # parallel: every deploy pulls before its build pushed; every fourth build is slow
    pushes = tuple(
        Push(30.0 * i, Durations(build=200.0 if i % 4 == 1 else 60.0), f"c{i}") for i in range(40)
    )
    trace = simulate("parallel", History(pushes))
    window = default_window(trace)
    assert window is not None
    shown, total = shown_runs(trace, window)
    assert total == 80 and 0 < shown <= 12
    stale = [d.pull_time for d in trace.outcome.deploys if d.stale]
    assert stale and window[0] <= stale[0] <= window[1]
    fig = timeline_figure(trace, title="forty pushes")
    width, height = fig.get_size_inches() * 130
    assert height <= 1080, f"{width:.0f}x{height:.0f} px is taller than a screen"
    assert "showing the" in fig.axes[0].get_title()
    check_figure(fig)


# -- generated histories ------------------------------------------------------------------------


@st.composite
def _raced(draw: st.DrawFn) -> Any:
    from racesim import simulate
    from racesim.core.strategy import PRESETS
    from racesim.testing import histories

    gaps = draw(st.sampled_from([(0, 0), (0, 2), (1, 60), (60, 3600), (0, 86400)]))
    history = draw(histories(max_pushes=6, min_gap=gaps[0], max_gap=gaps[1], failures=True))
    name = draw(st.sampled_from(sorted(PRESETS)))
    return simulate(name, history), name


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(_raced())
def test_timelines_of_generated_histories_are_readable(raced: Any) -> None:
    from racesim.plot.figures import timeline_figure

    trace, name = raced
    fig = timeline_figure(trace, title=f"strategy {name}")
    times = [e.time for e in trace.events if math.isfinite(e.time)]
    check_figure(fig, spans={fig.axes[0]: times})


# -- what ingest draws ---------------------------------------------------------------------------


def test_ingest_of_forty_pushes_draws_one_screen_and_says_what_it_left_out(
    tmp_path: Path, checked: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from matplotlib.image import imread

    from racesim.cli import main
    from racesim.ingest.synthetic import write_example_history
    from racesim.plot.ingest import save_fit_plots

    paths = [str(p) for p in write_example_history(tmp_path, seed=3, pushes=40)]
    png = tmp_path / "draft.png"
    argv = ["ingest", "incident", *paths, "--build", "Build", "--deploy", "Deploy"]
    code = main([*argv, "--out", str(tmp_path / "d.toml"), "--plot", str(png)])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    height, width = imread(png).shape[:2]
    assert height <= 1080, f"{width}x{height}"
    assert "of 80 runs active from" in out and "--window START..END" in out
    # a window of the user's choosing, in clock times, is drawn and said
    assert main(
        [*argv, "--out", str(tmp_path / "d.toml"), "--plot", str(png), "--window", "0..300"]
    ) in (0, 1)
    assert "--window START..END" not in capsys.readouterr().out
    from racesim.ingest import read_history
    from racesim.ingest.timings import fit_all, measure

    fits = fit_all(measure(read_history(paths), build="Build", deploy="Deploy"))
    save_fit_plots(fits, tmp_path / "fits")
    assert sum(str(png) in s for s in checked) == 2 and any("fitted-timings" in s for s in checked)


# -- the classroom's picture ---------------------------------------------------------------------


def test_the_classroom_picture_is_readable_on_screen_and_projector(checked: list[str]) -> None:
    pytest.importorskip("ipywidgets", reason="the classroom needs ipywidgets (notebooks extra)")
    from racesim.classroom import RaceDemo

    demo = RaceDemo(trials=300, two_push_trials=20)
    for strategy, build, gap, sleep in [
        ("parallel", 72.0, 10.0, 0.0),
        ("workflow_run", 140.0, 0.0, 0.0),
        ("workflow_run", 30.0, 0.0, 120.0),
        ("sleep:60", 180.0, 120.0, 0.0),
        ("cancel_superseded", 72.0, 0.0, 60.0),
    ]:
        demo.show(strategy=strategy, build=build, gap=gap, sleep=sleep)
        demo.set_projector(True)
        demo.set_projector(False)
    assert len(checked) >= 15
