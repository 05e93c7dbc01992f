"""racesim: simulate, replay and property-test the CI race between an image build and its deploy.

The public API is what this module exports. Everything else is internal and may change.
"""

from racesim.engine import simulate
from racesim.errors import InputError, RacesimError
from racesim.incidents import Incident, Replay, builtin_incidents, load_incident, replay
from racesim.model import Dispatch, Durations, History, Push, Rerun
from racesim.outcome import DeployOutcome, Outcome
from racesim.plot import animate_timeline, plot_timeline
from racesim.strategies import (
    PRESETS,
    Concurrency,
    Strategy,
    Wait,
    parse_strategy,
    preset_names,
)
from racesim.trace import Event, Trace

__version__ = "0.1.0"

__all__ = [
    "PRESETS",
    "Concurrency",
    "DeployOutcome",
    "Dispatch",
    "Durations",
    "Event",
    "History",
    "Incident",
    "InputError",
    "Outcome",
    "Push",
    "RacesimError",
    "Replay",
    "Rerun",
    "Strategy",
    "Trace",
    "Wait",
    "__version__",
    "animate_timeline",
    "builtin_incidents",
    "load_incident",
    "parse_strategy",
    "plot_timeline",
    "preset_names",
    "replay",
    "simulate",
]
