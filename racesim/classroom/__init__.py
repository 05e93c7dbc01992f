"""The classroom: the race on sliders, for a class in front of a projector.

Three classrooms show the same race: :class:`RaceDemo` (notebook widgets,
:mod:`~racesim.classroom.widgets`), the app ``racesim classroom`` serves with Voila (the notebook
``app.ipynb`` shipped in this package) and the kernel-free page of the docs site and
``racesim classroom --static`` (:mod:`~racesim.classroom.page`, drawn by
``static/classroom.js``). :mod:`~racesim.classroom.controls` holds what they share.
"""

from racesim.classroom.controls import SLIDERS, two_push_history, verdict_text, with_build_median
from racesim.classroom.widgets import STATIC_OUTPUT, RaceDemo

__all__ = [
    "SLIDERS",
    "STATIC_OUTPUT",
    "RaceDemo",
    "two_push_history",
    "verdict_text",
    "with_build_median",
]
