"""The classroom: the race on sliders, and a lesson, for a class in front of a projector.

Three classrooms show the same race and teach the same lesson: the notebook widgets
(:class:`RaceDemo`, and :class:`LessonDemo` which walks the lesson over it,
:mod:`~racesim.classroom.widgets`), the app ``racesim classroom`` serves with Voila (the notebook
``app.ipynb`` shipped in this package shows a :class:`LessonDemo`) and the kernel-free page of
the docs site and ``racesim classroom --static`` (:mod:`~racesim.classroom.page`, drawn by
``static/classroom.js``). The lesson itself lives only in :mod:`~racesim.classroom.lesson`;
:mod:`~racesim.classroom.controls` holds the rest of what they share, and
:mod:`~racesim.classroom.estimates` measures the static page's bars.
"""

from racesim.classroom.controls import SLIDERS, two_push_history, verdict_text, with_build_median
from racesim.classroom.lesson import LESSON, Step
from racesim.classroom.widgets import STATIC_OUTPUT, LessonDemo, RaceDemo

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
