"""The scenario: what a Monte Carlo trial samples, in TOML.

A scenario gives a distribution for every step duration, the push schedule, the chance that a
build fails, optional re-runs and manual dispatches, and the strategies to compare. One trial
samples one :class:`~racesim.History` from it; every strategy is then simulated on that same
history (common random numbers). See ``docs/reference/scenario-format.md`` for the field reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from racesim._util.toml import Table, builtin_names, read_builtin_or_file, read_toml
from racesim.core.history import DURATION_FIELDS, Dispatch, Durations, History, Push, Rerun
from racesim.core.strategy import SEED_PRESETS, parse_strategy
from racesim.errors import InputError
from racesim.limits import finite_float
from racesim.scenarios.schedules import Poisson, PushSchedule, Single, schedule_from_table
from racesim.scenarios.timing import Distribution, Fixed, as_distribution, distribution_from_table

__all__ = ["RerunSpec", "Scenario", "builtin_scenarios", "load_scenario"]

FORMAT = "racesim-scenario/1"


@dataclass(frozen=True)
class RerunSpec:
    """Someone re-runs the build of push number `commit` at `time` seconds (may be random)."""

    commit: int
    time: Distribution

    def __post_init__(self) -> None:
        if isinstance(self.commit, bool) or not isinstance(self.commit, int) or self.commit < 1:
            raise InputError("commit", f"expected a push number >= 1, got {self.commit!r}")
        object.__setattr__(self, "time", as_distribution(self.time, "time"))


@dataclass(frozen=True, eq=True)
class Scenario:
    """Distributions for one Monte Carlo study.

    Attributes:
        name: short identifier.
        description: what the scenario stands for and why its numbers are what they are.
        timings: a distribution per duration field of :class:`~racesim.core.history.Durations`
            (fields left out are 0 s).
        pushes: the push schedule.
        build_failure: probability that a build fails (independently per build).
        reruns: re-runs of earlier builds.
        dispatches: times of manual deploys.
        strategies: the strategies a comparison uses by default.
        overrides: per push number (1-based), timings and ``build_failure`` that replace the
            scenario-wide ones for that push (a cached build, a commit that breaks the build).
    """

    name: str = "custom"
    description: str = ""
    timings: Mapping[str, Distribution] = field(default_factory=dict)
    pushes: PushSchedule = field(default_factory=Single)
    build_failure: float = 0.0
    reruns: tuple[RerunSpec, ...] = ()
    dispatches: tuple[Distribution, ...] = ()
    strategies: tuple[str, ...] = SEED_PRESETS
    overrides: Mapping[int, Mapping[str, Distribution | float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        timings: dict[str, Distribution] = {}
        for key, value in dict(self.timings).items():
            if key not in DURATION_FIELDS:
                raise InputError(
                    f"timings.{key}", f"unknown step; expected one of {', '.join(DURATION_FIELDS)}"
                )
            timings[key] = as_distribution(value, f"timings.{key}")
        object.__setattr__(
            self, "timings", {k: timings.get(k, Fixed(0.0)) for k in DURATION_FIELDS}
        )
        object.__setattr__(self, "build_failure", _probability("build_failure", self.build_failure))
        object.__setattr__(self, "reruns", tuple(self.reruns))
        for i, rerun in enumerate(self.reruns):
            if not isinstance(rerun, RerunSpec):
                raise InputError(f"reruns[{i}]", f"expected a RerunSpec, got {rerun!r}")
            if rerun.commit > self.pushes.most_pushes:
                raise InputError(f"reruns[{i}].commit", self._no_such_push(rerun.commit))
        object.__setattr__(
            self, "dispatches", tuple(as_distribution(d, "dispatches") for d in self.dispatches)
        )
        overrides: dict[int, dict[str, Distribution | float]] = {}
        for push, table in dict(self.overrides).items():
            where = f"overrides.{push}"
            if isinstance(push, bool) or not isinstance(push, int) or push < 1:
                raise InputError(where, "expected a push number >= 1 as the key")
            if push > self.pushes.most_pushes:
                raise InputError(where, self._no_such_push(push))
            entry: dict[str, Distribution | float] = {}
            for key, raw in dict(table).items():
                if key == "build_failure":
                    entry[key] = _probability(f"{where}.build_failure", raw)
                elif key in DURATION_FIELDS:
                    entry[key] = as_distribution(raw, f"{where}.{key}")
                else:
                    known = ", ".join([*DURATION_FIELDS, "build_failure"])
                    raise InputError(f"{where}.{key}", f"unknown field; expected one of {known}")
            overrides[push] = entry
        object.__setattr__(self, "overrides", overrides)
        object.__setattr__(self, "strategies", tuple(self.strategies))
        for i, name in enumerate(self.strategies):
            try:
                parse_strategy(name)
            except InputError as exc:
                raise InputError(f"strategies[{i}]", exc.problem) from None

    __hash__ = None  # type: ignore[assignment]

    def _no_such_push(self, push: int) -> str:
        most = self.pushes.most_pushes
        return (
            f"push {push} does not exist: the {self.pushes.kind} schedule has "
            f"{'at most ' if isinstance(self.pushes, Poisson) else ''}{most} "
            f"push{'es' if most > 1 else ''}"
        )

    # -- sampling ---------------------------------------------------------------------------------

    def sample(self, rng: np.random.Generator) -> History:
        """One history: push times, then each push's durations field by field, then the rest.

        The order of draws is fixed, so a trial's history depends on its generator alone.
        """
        times = self.pushes.times(rng)
        pushes = tuple(Push(t, self._durations(rng, k)) for k, t in enumerate(times, start=1))
        reruns = []
        for spec in self.reruns:
            durations = self._durations(rng)
            t = float(spec.time.sample(rng))
            if spec.commit <= len(pushes):
                reruns.append(Rerun(max(t, pushes[spec.commit - 1].time), spec.commit, durations))
        dispatches = tuple(
            Dispatch(float(d.sample(rng)), self._durations(rng)) for d in self.dispatches
        )
        return History(pushes, tuple(reruns), dispatches)

    def _durations(self, rng: np.random.Generator, push: int = 0) -> Durations:
        """One record: every duration field in order, then the failure coin."""
        override = self.overrides.get(push, {})
        values: dict[str, Any] = {}
        for name in DURATION_FIELDS:
            dist = override.get(name, self.timings[name])
            assert isinstance(dist, Distribution)
            values[name] = float(dist.sample(rng))
        p = float(override.get("build_failure", self.build_failure))  # type: ignore[arg-type]
        values["build_fails"] = bool(p > 0 and rng.random() < p)
        return Durations(**values)

    # -- changing one parameter (sweeps) ----------------------------------------------------------

    def with_param(self, path: str, value: float) -> Scenario:
        """A copy with one parameter changed.

        `path` is ``build_failure``, ``timings.<step>`` (a fixed value),
        ``timings.<step>.<param>`` (``median``, ``p95``, ``high``, ...), or ``pushes.<param>``
        (``count``, ``gap.median``, ``rate_per_hour``, ...).
        """
        head, _, rest = path.partition(".")
        if head == "build_failure" and not rest:
            return replace(self, build_failure=value)
        if head == "timings":
            step, _, param = rest.partition(".")
            if step not in DURATION_FIELDS:
                raise InputError(
                    path, f"unknown step {step!r}; expected one of {', '.join(DURATION_FIELDS)}"
                )
            current = self.timings[step]
            new = Fixed(value) if not param else current.with_param(param, value)
            return replace(self, timings={**self.timings, step: new})
        if head == "pushes" and rest:
            return replace(self, pushes=self.pushes.with_param(rest, value))
        raise InputError(path, "expected build_failure, timings.<step>[.<param>] or pushes.<param>")

    # -- TOML -------------------------------------------------------------------------------------

    @classmethod
    def from_toml(cls, text: str, source: str = "<scenario>") -> Scenario:
        """Parse and validate scenario text; errors name `source` and the field."""
        return _parse(Table(read_toml(text, source), "", source))

    def to_toml(self) -> str:
        """The scenario as TOML that :meth:`from_toml` reads back to an equal value."""
        doc: dict[str, Any] = {
            "format": FORMAT,
            "name": self.name,
            "description": self.description,
            "strategies": list(self.strategies),
            "build_failure": self.build_failure,
            "pushes": self.pushes.to_table(),
            "timings": {k: v.to_table() for k, v in self.timings.items()},
        }
        if self.reruns:
            doc["reruns"] = [{"commit": r.commit, "time": r.time.to_table()} for r in self.reruns]
        if self.dispatches:
            doc["dispatches"] = [{"time": d.to_table()} for d in self.dispatches]
        if self.overrides:
            doc["overrides"] = {
                str(push): {
                    k: v if isinstance(v, float) and k == "build_failure" else v.to_table()  # type: ignore[union-attr]
                    for k, v in table.items()
                }
                for push, table in self.overrides.items()
            }
        return tomli_w.dumps(doc, multiline_strings=True)


def _parse(top: Table, seen: tuple[str, ...] = ()) -> Scenario:
    fmt = top.text("format", FORMAT)
    if fmt != FORMAT:
        raise top.error("format", f"expected {FORMAT!r}, got {fmt!r}")
    base_name = top.text("base", None)
    base = Scenario()
    if base_name is not None:
        if base_name in seen:
            raise top.error("base", f"{base_name!r} extends itself")
        try:
            base = _load(base_name, (*seen, base_name))
        except InputError as exc:
            if exc.field == "scenario":  # the base itself was not found
                raise top.error("base", exc.problem) from None
            raise

    def located(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except InputError as exc:
            raise InputError(exc.field, exc.problem, top.source) from None

    timings_table = top.table("timings", optional=True)
    timings: dict[str, Distribution] = dict(base.timings) if base_name is not None else {}
    for key in list(timings_table.data):
        timings[key] = located(distribution_from_table, timings_table.raw(key), f"timings.{key}")
    schedule = base.pushes
    if top.has("pushes"):
        schedule = located(schedule_from_table, dict(top.table("pushes").data), "pushes")
    reruns = list(base.reruns)
    if top.has("reruns"):
        reruns = []
    for t in top.tables("reruns", optional=True):
        commit = t.integer("commit", minimum=1)
        reruns.append(
            RerunSpec(commit, located(distribution_from_table, t.raw("time"), f"{t.field}.time"))
        )
        t.done()
    dispatches = list(base.dispatches)
    if top.has("dispatches"):
        dispatches = []
    for t in top.tables("dispatches", optional=True):
        dispatches.append(located(distribution_from_table, t.raw("time"), f"{t.field}.time"))
        t.done()
    overrides_table = top.table("overrides", optional=True)
    overrides: dict[int, dict[str, Any]] = {k: dict(v) for k, v in base.overrides.items()}
    if top.has("overrides"):
        overrides = {}
    for key in list(overrides_table.data):
        if not (key.isascii() and key.isdigit()) or int(key) < 1:
            raise overrides_table.error(key, "expected a push number (1, 2, ...) as the table name")
        if str(int(key)) != key:
            raise overrides_table.error(
                key, f"write the push number as {int(key)}, without leading zeros"
            )
        entry = overrides_table.table(key)
        values: dict[str, Any] = {}
        for name in list(entry.data):
            if name not in (*DURATION_FIELDS, "build_failure"):
                known = ", ".join([*DURATION_FIELDS, "build_failure"])
                raise entry.error(name, f"unknown field; expected one of {known}")
            raw = entry.raw(name)
            values[name] = (
                raw
                if name == "build_failure"
                else located(distribution_from_table, raw, f"overrides.{key}.{name}")
            )
        overrides[int(key)] = values
    scenario = located(
        Scenario,
        top.text("name"),
        top.text("description", ""),
        timings,
        schedule,
        top.number("build_failure", base.build_failure, minimum=0),
        tuple(reruns),
        tuple(dispatches),
        tuple(top.strings("strategies", list(base.strategies))),
        overrides,
    )
    top.done()
    assert isinstance(scenario, Scenario)
    return scenario


def _probability(field: str, p: object) -> float:
    value = finite_float(p)
    if value is None or not 0 <= value <= 1:
        raise InputError(field, f"expected a probability between 0 and 1, got {str(p)[:40]}")
    return value


def builtin_scenarios() -> list[str]:
    """Names of the scenarios shipped with racesim."""
    return builtin_names("racesim.scenarios")


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A built-in scenario by name (``"f8af4c1"``) or a scenario file by path.

    A scenario may start from another with ``base = "<name or path>"``: its fields replace the
    base's, and its ``[timings]`` replace the base's step by step.
    """
    return _load(name_or_path, ())


def _load(name_or_path: str | Path, seen: tuple[str, ...]) -> Scenario:
    return _parse(read_builtin_or_file("racesim.scenarios", "scenario", name_or_path), seen)
