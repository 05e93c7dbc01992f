"""Names the command line offers in its help, known without importing the heavy modules.

``racesim --help`` must answer in well under a second, so the parsers cannot import pandas,
matplotlib, SimPy or hypothesis to list the built-in scenarios or the properties. The names here
are read from the shipped files or kept as literals; ``tests/test_cli_guides.py`` checks that each
list equals the one the library uses, so they cannot drift apart.
"""

from __future__ import annotations

import re
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]

#: the properties ``racesim check`` knows (racesim.testing.PROPERTIES)
PROPERTY_NAMES = ("never_stale", "ships_what_it_claims", "ends_on_newest", "never_regresses")

#: the situations of the safety matrix (racesim.studies.matrix.SITUATIONS)
SITUATION_NAMES = (
    "one push",
    "two pushes, out of order",
    "burst of 5",
    "failed build",
    "re-run of an old build",
)

#: the safety matrix's default trials of a cell the fast path decides and of one only the SimPy
#: engine decides (racesim.studies.matrix.FAST_CELL_TRIALS, SIMPY_CELL_TRIALS)
MATRIX_CELL_TRIALS = (40_000, 500)

#: the audit's default trials of odds the fast path decides and of odds only the SimPy engine
#: decides (racesim.audit.judge.FAST_TRIALS, SIMPY_TRIALS)
AUDIT_TRIALS = (40_000, 200)

#: the short knob names ``racesim sweep`` accepts (racesim.studies.sweep.SWEEP_ALIASES)
SWEEP_KNOBS = (
    "sleep",
    "build_median",
    "build_p95",
    "pickup_tail",
    "registry_lag",
    "deploy_registry_lag",
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


#: the engines ``racesim compare --engine`` accepts (racesim.studies.trials.ENGINES)
ENGINE_NAMES = ("auto", "fast", "simpy")

#: the step roles ``racesim ingest --step ROLE=REGEX`` accepts (racesim.ingest.steps.ROLES)
STEP_ROLES: dict[str, str] = {
    "push": "the build step that pushes the image (its end is when the image is in the registry)",
    "pull": "the deploy step that pulls or mirrors the image (its start resolves the tag)",
    "rollout": "the deploy step that rolls the image out (its end is when it serves)",
}


#: the flag (or positional argument) that sets each library parameter. Library errors name the
#: parameter a bad value was passed in (``InputError("trials", ...)``) and its text names other
#: parameters in backquotes (`` `max_risk` ``); the command line shows flags instead. ``{rest}``
#: stands for what follows the parameter in the field (``patterns.push`` -> ``--step push``).
FLAGS: dict[str, str] = {
    "bounds": "--bounds",
    "build": "--build",
    "commits": "--commits",
    "deploy": "--deploy",
    "directory": "--workflows",
    "dispatches": "--dispatches",
    "engine": "--engine",
    "knob": "KNOB",
    "max_examples": "--max-examples",
    "max_risk": "--max-risk",
    "paths": "PATH",
    "patterns": "--step {rest}",
    "pushes": "--pushes",
    "reruns": "--reruns",
    "resolve": "--resolve",
    "resolution": "--resolution",
    "seed": "--seed",
    "specs": "--step",
    "steps": "--step",
    "strategies": "--strategy",
    "trials": "--trials",
    "values": "START:STOP:STEP",
}

#: per command, the parameters whose flag differs from :data:`FLAGS`
COMMAND_FLAGS: dict[str, dict[str, str]] = {
    # ingest reads run history from PATH; the workflow files it reads come from --workflows
    "ingest": {"paths": "--workflows", "strategy": "--strategy"},
    # the strategy these commands are about is their positional argument
    "check": {"strategy": "STRATEGY"},
    "emit": {"strategy": "STRATEGY"},
    "prove": {"strategy": "STRATEGY"},
}

_FIELD_HEAD = re.compile(r"[A-Za-z_]\w*")
_QUOTED = re.compile(r"`([A-Za-z_]\w*)`")


def _flags(command: str) -> dict[str, str]:
    return {**FLAGS, **COMMAND_FLAGS.get(command, {})}


def flag_of(field: str, command: str = "") -> str:
    """`field` as the command line names it: a parameter becomes the flag that sets it."""
    flags = _flags(command)
    head = _FIELD_HEAD.match(field)
    if head is None or head.group() not in flags:
        return field
    rest = field[head.end() :].lstrip(".[").rstrip("]").strip("'\"")
    return flags[head.group()].format(rest=rest).strip()


def with_flags(text: str, command: str = "") -> str:
    """`text` with every backquoted parameter name (`` `max_risk` ``) shown as its flag."""
    flags = _flags(command)
    return _QUOTED.sub(
        lambda m: flags[m[1]].format(rest="").strip() if m[1] in flags else m[0], text
    )
