"""The classroom: the race on sliders, and a lesson, for a class in front of a projector.

Three classrooms show the same race and teach the same lesson: the notebook widgets
(:class:`RaceDemo`, :mod:`~racesim.classroom.widgets`, and :class:`LessonDemo`, which walks the
lesson over it, :mod:`~racesim.classroom.lessonapp`), the app ``racesim classroom`` serves with
Voila (the notebook ``app.ipynb`` shipped in this package shows a :class:`LessonDemo`) and the
kernel-free page of the docs site and ``racesim classroom --static``
(:mod:`~racesim.classroom.page`, drawn by ``static/classroom.js``). The lesson itself lives only
in :mod:`~racesim.classroom.lesson`; :mod:`~racesim.classroom.controls` holds the rest of what
they share, and :mod:`~racesim.classroom.estimates` measures the static page's bars.

The names below are imported on first use: the served app's first page needs only the lesson's
text and ipywidgets, not matplotlib or the Monte Carlo machinery, and it shows sooner for it.
"""

from typing import TYPE_CHECKING

from racesim._util.lazy import lazy_exports

if TYPE_CHECKING:
    from racesim.classroom.controls import (
        SLIDERS,
        two_push_history,
        verdict_text,
        with_build_median,
    )
    from racesim.classroom.lesson import LESSON, Step
    from racesim.classroom.lessonapp import LessonDemo
    from racesim.classroom.widgets import STATIC_OUTPUT, RaceDemo

_EXPORTS = {
    "SLIDERS": "racesim.classroom.controls",
    "two_push_history": "racesim.classroom.controls",
    "verdict_text": "racesim.classroom.controls",
    "with_build_median": "racesim.classroom.controls",
    "LESSON": "racesim.classroom.lesson",
    "Step": "racesim.classroom.lesson",
    "LessonDemo": "racesim.classroom.lessonapp",
    "STATIC_OUTPUT": "racesim.classroom.widgets",
    "RaceDemo": "racesim.classroom.widgets",
}

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

__all__ = [
    "LESSON",
    "SLIDERS",
    "STATIC_OUTPUT",
    "LessonDemo",
    "RaceDemo",
    "Step",
    "two_push_history",
    "verdict_text",
    "with_build_median",
]
