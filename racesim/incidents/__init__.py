"""Real incidents: the incident file format, built-in incidents, replay and counterfactuals."""

from racesim.incidents.derive import DEFAULT_ASSUMPTIONS, DurationSource, derive
from racesim.incidents.format import (
    EVENTS,
    Assumption,
    Incident,
    Observation,
    ObservedOutcome,
    builtin_incidents,
    load_incident,
)
from racesim.incidents.replay import Counterfactual, ObservedTime, Replay, replay

__all__ = [
    "DEFAULT_ASSUMPTIONS",
    "EVENTS",
    "Assumption",
    "Counterfactual",
    "DurationSource",
    "Incident",
    "Observation",
    "ObservedOutcome",
    "ObservedTime",
    "Replay",
    "builtin_incidents",
    "derive",
    "load_incident",
    "replay",
]
