"""Classroom widgets: move a slider, watch the race change.

:class:`RaceDemo` puts four controls in a notebook (build time, sleep before the pull, the gap
between two pushes, and the deploy strategy) over two pictures that follow them:

* the timeline of one two-push history (commit ``A`` at 0 s, commit ``B`` `gap` seconds later)
  with the f8af4c1 incident's durations, ``A``'s build lasting `build` seconds and ``B``'s taking
  the quicker build of the built-in ``two-pushes-out-of-order`` scenario;
* how often that strategy deploys stale code and ends on the wrong commit, estimated by a
  Monte Carlo run (10^5 trials by default, on the vectorised fast path) on the built-in
  ``f8af4c1`` (one push) and ``two-pushes-out-of-order`` scenarios with the same slider values
  applied.

The first picture is one story; the second says how typical it is. Every Monte Carlo run uses
the same seed, so moving a slider changes the answer only through the parameter, not through
fresh random noise.

:class:`racesim.classroom.lessonapp.LessonDemo` walks the lesson of
:mod:`racesim.classroom.lesson` over a :class:`RaceDemo` (a question, the class's prediction,
then the reveal): ``racesim classroom`` serves it.

Everything works headless: the widget callbacks are plain methods, ``demo.controls[name].value =
...`` triggers them as a click would, and the Axes, trace and summary behind the picture are
attributes a test can inspect. ipywidgets is optional (the ``notebooks`` extra) and imported only
when a demo is made.
"""

from __future__ import annotations

import base64
import html
import math
import os
from dataclasses import replace
from io import BytesIO
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from racesim._util.optional import require
from racesim.classroom.controls import (
    SLIDERS,
    median_seconds,
    two_push_history,
    verdict_text,
    with_build_median,
)
from racesim.core.history import Durations, History
from racesim.core.strategy import PRESETS, Strategy
from racesim.core.trace import Trace
from racesim.engine.simulation import simulate
from racesim.errors import InputError
from racesim.incidents import derive, load_incident
from racesim.plot.probability import strategy_color
from racesim.plot.timeline import plot_timeline
from racesim.scenarios import Explicit, Scenario, load_scenario
from racesim.studies.fastpath import fast_path_reason
from racesim.studies.trials import summarize_trials

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["SIMPY_TWO_PUSH_TRIALS", "RaceDemo"]

#: the default trials of the two-push situation (at most `trials`) under a strategy only the
#: SimPy engine decides with two pushes (reconcile_latest; about 0.2 ms a trial, so 0.08 s)
SIMPY_TWO_PUSH_TRIALS = 400

#: set (to anything) where no kernel will run the widgets: the docs build sets it
STATIC_OUTPUT = "RACESIM_STATIC_OUTPUT"

#: the rates the probability panel shows, with their legend text
_RATES = {"stale": "stale deploy", "final_wrong": "ends on the\nwrong commit"}
_RATE_COLORS = {"stale": "#C44E52", "final_wrong": "#4C72B0"}

#: the figure's size (inches) and resolution (dpi): on a screen, and in projector mode, where a
#: smaller figure drawn at a higher resolution gives about the same picture with larger type
_SCREEN = ((11.0, 7.2), 90)
_PROJECTOR = ((8.5, 7.5), 150)


def _whole(name: str, value: object, minimum: int) -> int:
    """`value` if it is a whole number >= `minimum`, else an error naming `name`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(name, f"expected a whole number >= {minimum}, got {value!r}")
    return value


def _check_value(name: str, value: object) -> float:
    _, low, high, _ = SLIDERS[name]
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise InputError(
            name,
            f"expected seconds between {low:g} and {high:g} (the slider's range), got {value!r}",
        )
    return float(value)


class RaceDemo:
    """Sliders for build time, sleep and push gap, a strategy picker, and two live pictures.

    Show it by leaving ``demo`` as the last expression of a cell (or ``display(demo)``). Each
    control's change calls :meth:`on_change`, which calls :meth:`redraw`.

    Args:
        build: seconds commit ``A``'s build step takes (and the median build time of the Monte
            Carlo scenarios).
        sleep: seconds the deploy sleeps before it pulls.
        gap: seconds between the two pushes.
        strategy: a preset name from :data:`racesim.PRESETS`.
        trials: Monte Carlo trials of the one-push situation on each redraw, and of the two-push
            situation where the vectorised fast path decides it (every preset but
            ``reconcile_latest``): with 10^5 trials of each, the Monte Carlo runs take about
            0.2 s of a redraw's 0.5 s.
        two_push_trials: Monte Carlo trials of the two-push situation; default (``None``)
            `trials` where the fast path decides it under the picked strategy, else (only the
            SimPy engine decides it, about 0.2 ms a trial) the smaller of `trials` and
            :data:`SIMPY_TWO_PUSH_TRIALS`. :attr:`two_push_trials` is the count in use.
        seed: the Monte Carlo seed (the same on every redraw).

    Attributes:
        controls: the widgets by name: ``build``, ``sleep``, ``gap`` (sliders), ``strategy``
            (a dropdown).
        widget: the whole demo as one ipywidgets box.
        figure: the matplotlib figure the image shows.
        timeline_ax: the Axes of the timeline.
        probability_ax: the Axes of the Monte Carlo bars.
        history: the two-push history last drawn.
        trace: its trace under the chosen strategy.
        summary: the Monte Carlo summary last drawn, one row per situation
            (:func:`racesim.studies.summary.summarize` columns with ``situation`` in front).
        two_push_trials: the Monte Carlo trials of the two-push situation for the picked
            strategy.
        redraws: how many times the pictures have been drawn.
        projector: whether the picture is drawn for a projector (:meth:`set_projector`).
    """

    def __init__(
        self,
        *,
        build: float = 72.0,
        sleep: float = 0.0,
        gap: float = 10.0,
        strategy: str = "parallel",
        trials: int = 100_000,
        two_push_trials: int | None = None,
        seed: int = 0,
    ) -> None:
        widgets = require("ipywidgets", package="ipywidgets", extra="notebooks", feature="RaceDemo")
        values = {"build": build, "sleep": sleep, "gap": gap}
        checked = {name: _check_value(name, value) for name, value in values.items()}
        if strategy not in PRESETS:
            raise InputError(
                "strategy", f"unknown preset {strategy!r}; expected one of {', '.join(PRESETS)}"
            )
        self.trials = _whole("trials", trials, 1)
        self._two_push_trials = (
            None if two_push_trials is None else _whole("two_push_trials", two_push_trials, 1)
        )
        self.seed = _whole("seed", seed, 0)

        # the incident's durations and the scenarios, read from racesim's own files
        history, _ = derive(load_incident("f8af4c1"))
        self.base_durations: Durations = history.pushes[0].durations
        self.one_push: Scenario = load_scenario("f8af4c1")
        self.two_pushes: Scenario = load_scenario("two-pushes-out-of-order")
        second = self.two_pushes.overrides.get(2, {}).get("build", self.two_pushes.timings["build"])
        #: seconds commit B's build takes in the timeline (the scenario's median for push 2)
        self.second_build: float = median_seconds(second)

        self.controls: dict[str, Any] = {}
        for name, (label, low, high, step) in SLIDERS.items():
            self.controls[name] = widgets.FloatSlider(
                value=checked[name],
                min=low,
                max=high,
                step=step,
                description=label,
                continuous_update=False,
                readout_format=".0f",
                style={"description_width": "initial"},
            )
        self.controls["strategy"] = widgets.Dropdown(
            options=list(PRESETS), value=strategy, description="strategy"
        )
        self._strategy_name = strategy
        self._syncing = False
        for control in self.controls.values():
            control.observe(self.on_change, names="value")

        self.projector = False
        self.figure = Figure(figsize=_SCREEN[0], layout="constrained")
        grid = self.figure.add_gridspec(2, 1, height_ratios=[3, 2])
        self.timeline_ax: Axes = self.figure.add_subplot(grid[0])
        self.probability_ax: Axes = self.figure.add_subplot(grid[1])
        self.status = widgets.HTML()
        self.status.add_class("rc-status")
        self.image = widgets.Image(format="png")
        self.image.add_class("rc-image")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.controls["build"], self.controls["gap"]]),
                widgets.HBox([self.controls["sleep"], self.controls["strategy"]]),
                self.status,
                self.image,
            ]
        )
        self._estimates: dict[tuple[Any, ...], pd.DataFrame] = {}
        self.redraws = 0
        self.history: History
        self.trace: Trace
        self.summary: pd.DataFrame
        self.redraw()

    # -- what the controls say ----------------------------------------------------------------

    def value(self, name: str) -> float:
        """The current value of slider `name` (``build``, ``sleep`` or ``gap``)."""
        return float(self.controls[name].value)

    @property
    def strategy(self) -> Strategy:
        """The picked preset with the sleep slider's seconds before the pull."""
        return replace(PRESETS[str(self.controls["strategy"].value)], sleep=self.value("sleep"))

    @property
    def two_push_trials(self) -> int:
        """The Monte Carlo trials of the two-push situation under the picked strategy: the
        `two_push_trials` given, else `trials` where the vectorised fast path decides it, else
        ``min(trials, SIMPY_TWO_PUSH_TRIALS)`` (the SimPy engine decides it)."""
        if self._two_push_trials is not None:
            return self._two_push_trials
        if fast_path_reason(self.two_pushes, self.strategy) is None:
            return self.trials
        return min(self.trials, SIMPY_TWO_PUSH_TRIALS)

    @property
    def strategy_label(self) -> str:
        """The picked preset's name, with the sleep when the slider departs from the preset's."""
        name = str(self.controls["strategy"].value)
        preset, sleep = PRESETS[name], self.value("sleep")
        if sleep == preset.sleep:
            return name
        if name.startswith("sleep:"):
            return f"sleep:{sleep:g}"
        return f"{name} + sleep {sleep:g} s"

    # -- callbacks ----------------------------------------------------------------------------

    def on_change(self, change: Any = None) -> None:
        """Widget callback: a control changed, so redraw (a plain method, callable in tests).

        Picking a strategy also moves the sleep slider to that preset's own sleep (60 s for
        ``sleep:60``, 0 s for the others), so the picker means what its name says.
        """
        if self._syncing:
            return
        picked = str(self.controls["strategy"].value)
        if picked != self._strategy_name:
            self._strategy_name = picked
            self._syncing = True
            try:
                self.controls["sleep"].value = PRESETS[picked].sleep
            finally:
                self._syncing = False
        self.redraw()

    def show(self, *, strategy: str, build: float, gap: float, sleep: float) -> None:
        """Set all four controls at once and redraw once (a lesson step's settings).

        Setting the controls one by one would redraw four times, and picking the strategy
        would move the sleep slider to the preset's sleep in between.
        """
        self._syncing = True
        try:
            self.controls["strategy"].value = strategy
            self._strategy_name = strategy
            for name, value in (("build", build), ("gap", gap), ("sleep", sleep)):
                self.controls[name].value = _check_value(name, value)
        finally:
            self._syncing = False
        self.redraw()

    # -- drawing ------------------------------------------------------------------------------

    def build_history(self) -> History:
        """The two-push history the sliders describe."""
        return two_push_history(
            self.base_durations,
            build=self.value("build"),
            second_build=self.second_build,
            gap=self.value("gap"),
        )

    def estimate(self) -> pd.DataFrame:
        """Monte Carlo rates for the current controls, one row per situation (cached)."""
        build, gap = self.value("build"), self.value("gap")
        strategy = self.strategy
        key = (build, gap, strategy, self.trials, self.two_push_trials, self.seed)
        if key not in self._estimates:
            situations = {
                "one push": (with_build_median(self.one_push, build), self.trials),
                f"two pushes {gap:g} s apart": (
                    replace(with_build_median(self.two_pushes, build), pushes=Explicit((0.0, gap))),
                    self.two_push_trials,
                ),
            }
            frames = []
            for label, (scenario, trials) in situations.items():
                # engine "auto": the fast path where it decides the strategy, else SimPy; the
                # numbers of summarize(run_trials(...)), without keeping a row per trial
                summary = summarize_trials(
                    scenario, [strategy], trials=trials, seed=self.seed, progress=False
                )
                summary.insert(0, "situation", label)
                frames.append(summary)
            self._estimates[key] = pd.concat(frames, ignore_index=True)
        return self._estimates[key]

    def redraw(self) -> None:
        """Simulate and estimate for the current controls and redraw both pictures."""
        self.history = self.build_history()
        self.trace = simulate(self.strategy, self.history)
        self.summary = self.estimate()
        label = self.strategy_label

        self.timeline_ax.clear()
        plot_timeline(
            self.trace,
            self.timeline_ax,
            title=f"{label}: A pushed at 0 s (build {self.value('build'):g} s), "
            f"B at {self.value('gap'):g} s (build {self.second_build:g} s)",
        )
        self.probability_ax.clear()
        self._plot_probabilities(label)
        self.status.value = self._verdict_html(label)
        self.image.value = self.png()
        self.redraws += 1

    def _plot_probabilities(self, label: str) -> None:
        ax = self.probability_ax
        summary = self.summary
        xs = np.arange(len(summary))
        width = 0.36
        for i, rate in enumerate(_RATES):
            p = summary[f"p_{rate}"].to_numpy(float)
            low = summary[f"p_{rate}_low"].to_numpy(float)
            high = summary[f"p_{rate}_high"].to_numpy(float)
            at = xs + (i - 0.5) * width
            ax.bar(at, p, width, color=_RATE_COLORS[rate], alpha=0.85, label=_RATES[rate])
            ax.errorbar(at, p, yerr=[p - low, high - p], fmt="none", ecolor="black", capsize=4)
            for x, value, top in zip(at, p, high, strict=True):
                ax.annotate(
                    f"{value:.0%}",
                    (x, top),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    fontsize=10,
                )
        ax.set_xticks(xs, list(summary["situation"]), fontsize=10)
        ax.set_ylim(0, 1.15)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
        ax.set_ylabel("share of trials")
        ax.set_title(
            f"{label}: how often, over {self.trials:,} sampled runs of one push and "
            f"{self.two_push_trials:,} of two\n(build median {self.value('build'):g} s, "
            "95% intervals)",
            fontsize=11,
            color=strategy_color(str(self.controls["strategy"].value)),
        )
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)

    def _verdict_html(self, label: str) -> str:
        return f"<b>{html.escape(label)}</b>: {html.escape(verdict_text(self.trace))}"

    def set_projector(self, on: bool) -> None:
        """Draw the picture for a projector (larger type) or for a screen, and show it."""
        self.projector = on
        self.figure.set_size_inches(*(_PROJECTOR if on else _SCREEN)[0])
        self.image.value = self.png()

    def png(self, dpi: int | None = None) -> bytes:
        """The current figure as PNG bytes (what the image widget shows); `dpi` defaults to the
        screen's or the projector's."""
        buffer = BytesIO()
        dpi = (_PROJECTOR if self.projector else _SCREEN)[1] if dpi is None else dpi
        self.figure.savefig(buffer, format="png", dpi=dpi)
        return buffer.getvalue()

    def static_html(self) -> str:
        """What to show where no kernel runs (a notebook page of the docs site): what to do
        instead of a live widget, and the picture of the demo's current state."""
        png = base64.b64encode(self.png()).decode("ascii")
        return (
            '<div class="racesim-static-widget"><p><b>This demo is live only with a running '
            "Python kernel.</b> Here it shows its starting state. To move the sliders, open the "
            '<a href="../../tutorial/classroom/">classroom page</a> (works with no Python), run '
            "<code>racesim classroom</code> (serves it in your browser) or "
            "<code>python dev.py notebooks</code> (this notebook in Jupyter Lab).</p>"
            f"<p>{self._verdict_html(self.strategy_label)}</p>"
            f'<img src="data:image/png;base64,{png}" alt="the race for the current controls"></div>'
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Display as the widget in a notebook; as a static note and picture while the docs
        site is built (``RACESIM_STATIC_OUTPUT`` set), where a widget would render empty."""
        if os.environ.get(STATIC_OUTPUT):
            return {"text/html": self.static_html(), "text/plain": self.strategy_label}
        return self.widget._repr_mimebundle_(**kwargs)
