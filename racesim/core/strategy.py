"""Deploy strategies as immutable values built from a few knobs, and the named presets.

A :class:`Strategy` says how the deploy is triggered and what it deploys. Every combination of
knobs can be simulated, swept, property-tested and drawn; the named presets are the strategies of
the f8af4c1 incident and the fixes seen in real incidents. ``parse_strategy`` turns a preset name
(what the CLI accepts) into a value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Literal, get_args

from racesim._util.suggest import did_you_mean
from racesim.errors import InputError
from racesim.limits import MAX_POLLS, check_seconds, finite_float

__all__ = [
    "PRESETS",
    "Concurrency",
    "Guard",
    "LiveOrder",
    "PublishGuardAt",
    "Queue",
    "Reference",
    "Strategy",
    "Trigger",
    "Wait",
    "parse_strategy",
    "preset_names",
    "strategy_from_table",
    "strategy_to_table",
]

Trigger = Literal["push", "workflow_run", "needs", "none"]
Reference = Literal["latest", "sha", "digest"]
Guard = Literal["none", "newer_than_live", "tip_of_main"]
Queue = Literal["single", "max"]
PublishGuardAt = Literal["build_start", "before_push"]
LiveOrder = Literal["finish", "request"]


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InputError(name, f"expected one of {', '.join(allowed)}; got {value!r}")


def _flag(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise InputError(name, f"expected true or false, got {value!r}")


def _seconds(name: str, value: object, *, positive: bool = False) -> float:
    seconds = finite_float(value)
    if seconds is None:
        raise InputError(name, f"expected a number of seconds, got {str(value)[:40]!r}")
    if seconds < 0 or (positive and seconds == 0):
        raise InputError(
            name, f"expected a duration {'> 0' if positive else '>= 0'} s, got {value!r}"
        )
    return check_seconds(name, seconds)


@dataclass(frozen=True)
class Concurrency:
    """A GitHub Actions ``concurrency:`` group on a workflow (or on the deploy job).

    At most one run is running and, with ``queue="single"`` (GitHub's default), one is pending: a
    newer pending run cancels the older pending one. ``queue="max"`` keeps pending runs first in,
    first out. ``cancel_in_progress`` also cancels the running one (invalid with ``queue="max"``,
    as on GitHub).
    """

    queue: Queue = "single"
    cancel_in_progress: bool = False

    def __post_init__(self) -> None:
        _choice("queue", self.queue, get_args(Queue))
        _flag("cancel_in_progress", self.cancel_in_progress)
        if self.queue == "max" and self.cancel_in_progress:
            raise InputError("queue", "queue 'max' cannot be combined with cancel_in_progress")


@dataclass(frozen=True)
class Wait:
    """Poll the registry every `interval` seconds until the reference shows the meant commit.

    The deploy fails (times out) if it still does not after `timeout` seconds.
    """

    interval: float = 5.0
    timeout: float = 300.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "interval", _seconds("interval", self.interval, positive=True))
        object.__setattr__(self, "timeout", _seconds("timeout", self.timeout))
        if self.timeout / self.interval > MAX_POLLS:
            raise InputError(
                "interval",
                f"polling every {self.interval:g} s for {self.timeout:g} s is more than "
                f"racesim's limit of {MAX_POLLS:,} polls; poll less often",
            )


@dataclass(frozen=True)
class Strategy:
    """How the deploy is triggered and which image it deploys.

    Attributes:
        trigger: ``push`` (build and deploy workflows both run on the push, in parallel),
            ``workflow_run`` (the deploy runs when a build run completes), ``needs`` (one
            workflow, the deploy job after the build job), or ``none`` (nothing deploys on its
            own: only manual dispatches, as with a pull-based host).
        gate: with ``workflow_run``, deploy only when the build concluded ``success``.
        reference: the image the deploy asks for: ``latest`` (mutable tag), ``sha`` (the
            ``sha-<commit>`` tag of the commit it means to ship) or ``digest`` (the digest its
            build reported; needs ``workflow_run`` or ``needs``).
        sleep: seconds the deploy sleeps before it pulls.
        wait: poll the registry until the reference shows the meant commit (or ``None``).
        build_concurrency: concurrency group of the build workflow (the whole run for ``needs``).
        deploy_concurrency: concurrency group of the deploy job (evaluated after the gate).
        guard: check before the rollout: ``newer_than_live`` (the meant commit is newer than
            what the service runs) or ``tip_of_main`` (it is still the tip of ``main``).
        publish_guard: the build skips moving ``latest`` when the registry's ``latest`` already
            holds a newer commit.
        publish_guard_at: when the publish guard is checked: ``build_start`` (when the build
            step starts, as in idrac-325, where the check ran 90 s before the push) or
            ``before_push`` (right before the image push). Either way the push takes its time
            after the check: the check-then-write window is modelled.
        reconcile_latest: after its pushes, the build runs a ``reconcile`` step that re-points
            ``latest`` to the newest commit whose image is in the registry (its ``sha-`` tag),
            and never moves it backwards (the fix of idrac-325, PR #334). The check happens when
            the step starts and the write when it ends (it takes the ``push`` duration), so two
            reconciles can still race in that window.
        mirror: the deploy pulls from the build registry and pushes to the deploy registry, and
            the service deploys from there (the f8af4c1 setup).
        direct: the build pushes straight to the deploy registry too, and the deploy deploys from
            there without a mirror step (the incident plan's Option 2).
        rollout_survives_cancel: a property of the deploy target: once the rollout step has
            sent its request, the target carries it out even if the deploy job is cancelled
            (Cloud Run, ``kubectl apply``, ECS ``update-service`` all run the operation server
            side; cancelling the job stops only the client waiting for it). ``False`` models a
            target whose operation dies with its client, such as ``actions/deploy-pages``, which
            cancels the deployment on SIGINT.
        live_order: a property of the deploy target: which of several rollouts production ends
            on. ``finish`` (Cloud Run: every deploy makes a revision that takes the traffic
            when it is ready): the rollout that finishes last. ``request`` (Kubernetes
            ``kubectl apply``/``set image``, Helm, ECS ``update-service``: the target converges
            to the last desired state it accepted): the rollout whose request came last; a
            rollout superseded by a newer request never takes over.
    """

    trigger: Trigger = "push"
    gate: bool = False
    reference: Reference = "latest"
    sleep: float = 0.0
    wait: Wait | None = None
    build_concurrency: Concurrency | None = None
    deploy_concurrency: Concurrency | None = None
    guard: Guard = "none"
    publish_guard: bool = False
    publish_guard_at: PublishGuardAt = "build_start"
    reconcile_latest: bool = False
    mirror: bool = True
    direct: bool = False
    rollout_survives_cancel: bool = True
    live_order: LiveOrder = "finish"

    def __post_init__(self) -> None:
        _choice("trigger", self.trigger, get_args(Trigger))
        _choice("reference", self.reference, get_args(Reference))
        _choice("guard", self.guard, get_args(Guard))
        _choice("publish_guard_at", self.publish_guard_at, get_args(PublishGuardAt))
        _choice("live_order", self.live_order, get_args(LiveOrder))
        for name in (
            "gate",
            "publish_guard",
            "reconcile_latest",
            "mirror",
            "direct",
            "rollout_survives_cancel",
        ):
            _flag(name, getattr(self, name))
        object.__setattr__(self, "sleep", _seconds("sleep", self.sleep))
        for name, kind in (
            ("wait", Wait),
            ("build_concurrency", Concurrency),
            ("deploy_concurrency", Concurrency),
        ):
            value = getattr(self, name)
            if value is not None and not isinstance(value, kind):
                raise InputError(name, f"expected a {kind.__name__} or None, got {value!r}")
        if self.gate and self.trigger != "workflow_run":
            raise InputError("gate", "a success gate only applies to trigger 'workflow_run'")
        if self.reference == "digest" and self.trigger not in ("workflow_run", "needs"):
            raise InputError(
                "reference",
                "'digest' needs the build's output, so trigger must be 'workflow_run' or 'needs'",
            )
        if self.publish_guard_at != "build_start" and not self.publish_guard:
            raise InputError(
                "publish_guard_at", "says when the publish guard runs: set publish_guard = true"
            )
        if self.mirror and self.direct:
            raise InputError("direct", "a build that pushes to the deploy registry needs no mirror")

    @property
    def name(self) -> str:
        """The preset name this strategy equals (``sleep:N`` included), else ``"custom"``."""
        for name, strategy in _FIXED_PRESETS.items():
            if strategy == self:
                return name
        if self.sleep > 0 and replace(self, sleep=0.0) == PRESETS["parallel"]:
            return f"sleep:{self.sleep:g}"
        return "custom"

    def describe(self) -> str:
        """The preset name, or ``custom`` with the knobs that differ from the defaults."""
        name = self.name
        if name != "custom":
            return name
        table = strategy_to_table(self)
        assert isinstance(table, dict)
        return "custom: " + ", ".join(f"{k}={_show(v)}" for k, v in table.items())

    def __str__(self) -> str:
        return self.name


def _show(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _sleep(seconds: float) -> Strategy:
    return Strategy(trigger="push", sleep=seconds)


_PINNED = Strategy(trigger="workflow_run", gate=True, reference="sha")

_FIXED_PRESETS: dict[str, Strategy] = {
    # the seed incident: both workflows on `push`, the deploy pulls `:latest`
    "parallel": Strategy(trigger="push"),
    # the chosen fix b7e8f1d: workflow_run on build completion, gated on success, still `:latest`
    "workflow_run": Strategy(trigger="workflow_run", gate=True),
    "workflow_run_ungated": Strategy(trigger="workflow_run", gate=False),
    # one workflow, deploy job `needs: build`
    "merged_job": Strategy(trigger="needs"),
    # the fixes that hold (or almost)
    "pinned": _PINNED,
    "pinned_serialized": replace(_PINNED, deploy_concurrency=Concurrency()),
    "cancel_superseded": replace(
        _PINNED,
        build_concurrency=Concurrency(cancel_in_progress=True),
        deploy_concurrency=Concurrency(),
    ),
    "guarded": replace(_PINNED, guard="newer_than_live"),
    # Option 2 of the incident plan: the build pushes to the deploy registry itself
    "direct_registry": Strategy(trigger="workflow_run", gate=True, mirror=False, direct=True),
    # workflow_run whose build re-points `latest` to the newest built commit after its push
    # (idrac-325's fix, PR #334): `latest` never moves backwards except in the step's window
    "reconcile_latest": Strategy(trigger="workflow_run", gate=True, reconcile_latest=True),
    # the fix that keeps all four properties: deploy by digest after a completed, successful
    # build, wait until the image is visible, queue deploys one at a time without dropping any
    # (`queue: max`), and roll out only a commit newer than the live one
    "queued_guarded": Strategy(
        trigger="workflow_run",
        gate=True,
        reference="digest",
        wait=Wait(),
        deploy_concurrency=Concurrency(queue="max"),
        guard="newer_than_live",
    ),
}

#: every named preset; ``sleep:N`` presets are made on demand by :func:`parse_strategy`
PRESETS: dict[str, Strategy] = {**_FIXED_PRESETS, "sleep:60": _sleep(60.0)}

#: presets whose verdicts the seed incident's plan discusses (the Monte Carlo default)
SEED_PRESETS: tuple[str, ...] = ("parallel", "workflow_run", "merged_job", "sleep:60")

_BUILDERS: dict[str, Callable[[float], Strategy]] = {"sleep": _sleep}


def preset_names() -> list[str]:
    """Names :func:`parse_strategy` accepts (``sleep:N`` stands for any number of seconds)."""
    return [*_FIXED_PRESETS, "sleep:N"]


def parse_strategy(spec: str | Strategy, field: str = "strategy") -> Strategy:
    """The strategy named by `spec`: a preset name or ``sleep:N``; a Strategy passes through."""
    if isinstance(spec, Strategy):
        return spec
    if not isinstance(spec, str):
        raise InputError(field, f"expected a strategy name, got {spec!r}")
    if spec in _FIXED_PRESETS:
        return _FIXED_PRESETS[spec]
    head, sep, arg = spec.partition(":")
    if sep and head in _BUILDERS:
        try:
            seconds = float(arg)
        except ValueError:
            raise InputError(field, f"expected {head}:SECONDS, got {spec!r}") from None
        try:
            return _BUILDERS[head](seconds)
        except InputError as exc:
            raise InputError(field, f"{spec!r}: {exc.problem}") from None
    raise InputError(
        field,
        f"unknown strategy {spec!r}; expected one of {', '.join(preset_names())}"
        + did_you_mean(spec, preset_names()),
    )


_NESTED: dict[str, type[Wait] | type[Concurrency]] = {
    "wait": Wait,
    "build_concurrency": Concurrency,
    "deploy_concurrency": Concurrency,
}


def strategy_from_table(value: object, field: str = "strategy") -> Strategy:
    """A strategy from its file form: a preset name, or a table of knobs.

    A table may start from ``preset = "<name>"`` and override knobs; ``wait`` and the two
    concurrency knobs are tables of their own (``{ interval = 5, timeout = 300 }``,
    ``{ queue = "single", cancel_in_progress = true }``). Errors name ``<field>.<knob>``.
    """
    if isinstance(value, str):
        return parse_strategy(value, field)
    if not isinstance(value, Mapping):
        raise InputError(field, f"expected a preset name or a table of knobs, got {value!r}")
    base = parse_strategy(value["preset"], f"{field}.preset") if "preset" in value else Strategy()
    knobs = {f.name for f in fields(Strategy)}
    changes: dict[str, object] = {}
    for key, raw in value.items():
        if key == "preset":
            continue
        if key not in knobs:
            raise InputError(
                f"{field}.{key}", f"unknown knob; expected one of {', '.join(sorted(knobs))}"
            )
        if key in _NESTED and raw is not None:
            kind = _NESTED[key]
            if not isinstance(raw, Mapping):
                raise InputError(f"{field}.{key}", f"expected a table, got {raw!r}")
            allowed = {f.name for f in fields(kind)}
            for sub in raw:
                if sub not in allowed:
                    raise InputError(
                        f"{field}.{key}.{sub}",
                        f"unknown field; expected {', '.join(sorted(allowed))}",
                    )
            try:
                raw = kind(**raw)
            except InputError as exc:
                raise InputError(f"{field}.{key}.{exc.field}", exc.problem) from None
        changes[key] = raw
    try:
        return replace(base, **changes)  # type: ignore[arg-type]
    except InputError as exc:
        raise InputError(f"{field}.{exc.field}", exc.problem) from None


def strategy_to_table(strategy: Strategy) -> str | dict[str, object]:
    """The file form of `strategy`: its preset name, or the knobs that differ from the defaults."""
    if strategy.name != "custom":
        return strategy.name
    default = Strategy()
    table: dict[str, object] = {}
    for f in fields(Strategy):
        value = getattr(strategy, f.name)
        if value == getattr(default, f.name):
            continue
        if isinstance(value, Wait | Concurrency):
            value = {sub.name: getattr(value, sub.name) for sub in fields(value)}
        table[f.name] = value
    return table
