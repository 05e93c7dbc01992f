"""The modelled world: what happens to the repository, registries, and concurrency groups."""

from racesim.model.history import DURATION_FIELDS, Dispatch, Durations, History, Push, Rerun
from racesim.model.registry import BASELINE_IMAGE, Image, Register, Registry

__all__ = [
    "BASELINE_IMAGE",
    "DURATION_FIELDS",
    "Dispatch",
    "Durations",
    "History",
    "Image",
    "Push",
    "Register",
    "Registry",
    "Rerun",
]
