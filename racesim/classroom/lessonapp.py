"""The lesson as ipywidgets: what ``racesim classroom`` serves with Voila.

:class:`LessonDemo` shows a step of :data:`racesim.classroom.lesson.LESSON` (its question and
choices); *reveal* shows the :class:`racesim.classroom.RaceDemo` at the step's settings with the
answer racesim's simulation gives. This module imports only ipywidgets and the lesson's text at
first: the race demo (matplotlib, the Monte Carlo machinery) and the simulation behind the
answers are imported and run at the first reveal, so the served page shows its first question
about as soon as the kernel is up.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from racesim._util.optional import require
from racesim.classroom.lesson import LESSON, Step, choice_text
from racesim.errors import InputError

if TYPE_CHECKING:
    from racesim.classroom.widgets import RaceDemo

__all__ = ["LessonDemo"]


def _whole(name: str, value: object, minimum: int) -> int:
    """`value` if it is a whole number >= `minimum`, else an error naming `name`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(name, f"expected a whole number >= {minimum}, got {value!r}")
    return value


#: the projector-mode stylesheet of :class:`LessonDemo` (large type, high contrast)
_PROJECTOR_CSS = """<style>
.rc-projector, .rc-projector .widget-html-content, .rc-projector .widget-label,
.rc-projector button, .rc-projector .widget-readout, .rc-projector select,
.rc-projector .widget-toggle-button { font-size: 24px !important; color: #000 !important;
  line-height: 1.35 !important; }
.rc-projector button, .rc-projector .widget-toggle-button { height: auto !important;
  width: auto !important; max-width: none !important; flex: 0 0 auto !important;
  align-self: flex-start; padding: 4px 12px !important; }
.rc-projector img { max-width: 100% !important; height: auto !important; }
</style>"""


class LessonDemo:
    """The classroom lesson (:data:`racesim.classroom.lesson.LESSON`) over a :class:`RaceDemo`.

    Each step shows its question and choices; the class picks a prediction, then *reveal*
    sets the demo's controls to the step's settings and shows its timeline and bars, with the
    answer racesim's simulation gives (:func:`racesim.classroom.lesson.answer`). The demo is
    made at the first reveal, not before: its Monte Carlo bars are what takes time, and the
    first page (the question) should show at once. For the same reason the answers are
    simulated at the first reveal.

    Args:
        trials, two_push_trials, seed: passed to :class:`RaceDemo`.

    Attributes:
        step: the index of the current step.
        answers: the computed answer of every step (computed at the first reveal).
        demo: the :class:`RaceDemo`, once a step was revealed (``None`` before).
        widget: the whole lesson as one ipywidgets box.
    """

    def __init__(
        self, *, trials: int = 100_000, two_push_trials: int | None = None, seed: int = 0
    ) -> None:
        widgets = require(
            "ipywidgets", package="ipywidgets", extra="notebooks", feature="LessonDemo"
        )
        self.trials = _whole("trials", trials, 1)
        self.two_push_trials = (
            None if two_push_trials is None else _whole("two_push_trials", two_push_trials, 1)
        )
        self.seed = _whole("seed", seed, 0)
        self._answers: list[str] | None = None
        self.step = 0
        self.revealed = False
        self.demo: RaceDemo | None = None

        self.prev_button = widgets.Button(description="◀ back", tooltip="previous step")
        self.next_button = widgets.Button(description="next ▶", tooltip="next step")
        self.count = widgets.HTML()
        self.projector = widgets.ToggleButton(value=False, description="projector mode")
        self.header = widgets.HTML()
        self.choices = widgets.ToggleButtons(
            options=[("-", "-")], value=None, style={"button_width": "auto"}
        )
        self.reveal_button = widgets.Button(description="reveal", button_style="primary")
        self.answer = widgets.HTML()
        self.demo_box = widgets.VBox([])
        # the page's keys (racesim's Voila template) press these buttons by their class
        self.prev_button.add_class("rc-back")
        self.next_button.add_class("rc-next")
        self.projector.add_class("rc-projector-toggle")
        self.prev_button.on_click(lambda _: self.go(self.step - 1))
        self.next_button.on_click(lambda _: self.go(self.step + 1))
        self.reveal_button.on_click(lambda _: self.reveal())
        self.projector.observe(self._on_projector, names="value")
        self.choices.observe(lambda _: self._show_answer(), names="value")
        self.widget = widgets.VBox(
            [
                widgets.HTML(_PROJECTOR_CSS),
                widgets.HBox([self.prev_button, self.count, self.next_button, self.projector]),
                self.header,
                self.choices,
                self.reveal_button,
                self.answer,
                self.demo_box,
            ]
        )
        self.widget.add_class("rc-lesson-app")
        self.header.add_class("rc-header")
        self.answer.add_class("rc-answer")
        self.choices.add_class("rc-choices")
        self.go(0)

    @property
    def answers(self) -> list[str]:
        """The computed answer of every step (simulated at the first reveal, then kept)."""
        if self._answers is None:
            from racesim.classroom.lesson import answer

            self._answers = [answer(step) for step in LESSON]
        return self._answers

    @property
    def current(self) -> Step:
        """The step on show."""
        return LESSON[self.step]

    def go(self, index: int) -> None:
        """Show step `index` (ignored outside the lesson): its question, no answer yet."""
        if not 0 <= index < len(LESSON):
            return
        self.step, self.revealed = index, False
        step = self.current
        self.count.value = f"<b>step {index + 1} of {len(LESSON)}</b>"
        self.prev_button.disabled = index == 0
        self.next_button.disabled = index == len(LESSON) - 1
        self.header.value = (
            f"<h3>{html.escape(step.title)}</h3><p>{html.escape(step.setup)}</p>"
            f"<p><b>{html.escape(step.question)}</b></p>"
        )
        self.choices.options = [(choice_text(c), c) for c in step.choices]
        self.choices.value = None
        self.reveal_button.disabled = False
        self.demo_box.layout.display = "none"
        self._show_answer()

    def reveal(self) -> None:
        """Set the demo to the current step's settings and show it with the answer."""
        step = self.current
        if self.demo is None:
            from racesim.classroom.widgets import RaceDemo

            self.demo = RaceDemo(
                build=step.build,
                sleep=step.sleep,
                gap=step.gap,
                strategy=step.strategy,
                trials=self.trials,
                two_push_trials=self.two_push_trials,
                seed=self.seed,
            )
            if self.projector.value:
                self.demo.set_projector(True)
            self.demo_box.children = [self.demo.widget]
        else:
            self.demo.show(strategy=step.strategy, build=step.build, gap=step.gap, sleep=step.sleep)
        self.revealed = True
        self.reveal_button.disabled = True
        self.demo_box.layout.display = None
        self._show_answer()

    def _show_answer(self) -> None:
        if not self.revealed:
            self.answer.value = "<p><i>Predict first: pick an answer, then press reveal.</i></p>"
            return
        step, right = self.current, self.answers[self.step]
        picked = self.choices.value
        said = f"The simulation says: {html.escape(choice_text(right))}."
        if picked is not None:
            said += " Your prediction was " + ("right." if picked == right else "different.")
        self.answer.value = f"<p><b>{said}</b></p><p>{html.escape(step.explain)}</p>"

    def _on_projector(self, change: Any = None) -> None:
        """Projector mode: large type for the lesson's text (CSS) and for the demo's picture."""
        if self.projector.value:
            self.widget.add_class("rc-projector")
        else:
            self.widget.remove_class("rc-projector")
        if self.demo is not None:
            self.demo.set_projector(bool(self.projector.value))

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Display as the lesson widget."""
        return self.widget._repr_mimebundle_(**kwargs)
