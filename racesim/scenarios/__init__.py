"""Scenarios for Monte Carlo studies: the file format, push schedules, built-in scenarios."""

from racesim.scenarios.format import RerunSpec, Scenario, builtin_scenarios, load_scenario
from racesim.scenarios.schedules import Burst, Explicit, Poisson, PushSchedule, Single

__all__ = [
    "Burst",
    "Explicit",
    "Poisson",
    "PushSchedule",
    "RerunSpec",
    "Scenario",
    "Single",
    "builtin_scenarios",
    "load_scenario",
]
