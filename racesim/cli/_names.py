"""Names the command line offers in its help, known without importing the heavy modules.

``racesim --help`` must answer in well under a second, so the parsers cannot import pandas,
matplotlib, SimPy or hypothesis to list the built-in scenarios or the properties. The names here
are read from the shipped files or kept as literals; ``tests/test_cli_guides.py`` checks that each
list equals the one the library uses, so they cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]

#: the properties ``racesim check`` knows (racesim.testing.PROPERTIES)
PROPERTY_NAMES = ("never_stale", "ships_what_it_claims", "ends_on_newest", "never_regresses")

#: the situations of the safety matrix (racesim.matrix.SITUATIONS)
SITUATION_NAMES = (
    "one push",
    "two pushes, out of order",
    "burst of 5",
    "failed build",
    "re-run of an old build",
)

#: the short knob names ``racesim sweep`` accepts (racesim.montecarlo.SWEEP_ALIASES)
SWEEP_KNOBS = (
    "sleep",
    "build_median",
    "build_p95",
    "pickup_tail",
    "registry_lag",
    "build_failure",
    "push_count",
    "push_gap",
)


def _toml_names(folder: str) -> list[str]:
    return sorted(p.stem for p in (_PACKAGE / folder).glob("*.toml"))


def scenario_names() -> list[str]:
    """The built-in scenarios (the ``*.toml`` files shipped in ``racesim/scenarios``)."""
    return _toml_names("scenarios")


def incident_names() -> list[str]:
    """The built-in incidents (the ``*.toml`` files shipped in ``racesim/incidents``)."""
    return _toml_names("incidents")


#: the engines ``racesim compare --engine`` accepts (racesim.montecarlo.ENGINES)
ENGINE_NAMES = ("auto", "fast", "simpy")

#: the step roles ``racesim ingest --step ROLE=REGEX`` accepts (racesim.ingest.steps.ROLES)
STEP_ROLES: dict[str, str] = {
    "push": "the build step that pushes the image (its end is when the image is in the registry)",
    "pull": "the deploy step that pulls or mirrors the image (its start resolves the tag)",
    "rollout": "the deploy step that rolls the image out (its end is when it serves)",
}
