"""Which parts of the model the SMT encoding covers, and a clear refusal for the rest.

A proof about a feature the encoding does not model would be a wrong answer that looks like a
right one, so :func:`check_coverage` refuses, naming the knob, before any solving starts. It also
refuses knobs it has never heard of (added to :class:`~racesim.Strategy` after the encoding was
written) whenever they differ from their default: their default is the behaviour the encoding
was written for.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, fields
from fractions import Fraction

from racesim.core.strategy import Strategy, Wait
from racesim.errors import RacesimError

__all__ = [
    "ENCODED_KNOBS",
    "MAX_POLLS",
    "MAX_PUSHES",
    "NotEncodedError",
    "check_coverage",
    "features",
    "polls",
]

#: the Strategy knobs the encoding knows (every value of each, except where refused below)
ENCODED_KNOBS = frozenset(
    {
        "trigger",
        "gate",
        "reference",
        "sleep",
        "wait",
        "build_concurrency",
        "deploy_concurrency",
        "guard",
        "publish_guard",
        "mirror",
        "direct",
        "rollout_survives_cancel",
        "live_order",
    }
)

#: the largest push count a proof accepts (the concurrency encoding enumerates arrival orders)
MAX_PUSHES = 4

#: the most polls a ``wait`` loop may take: each one is a registry read in the encoding
MAX_POLLS = 400


def polls(wait: Wait) -> int:
    """How many times the deploy polls before it gives up: one at once, then every interval
    while the next poll is still within the timeout (the engine's loop)."""
    return math.floor(Fraction(wait.timeout) / Fraction(wait.interval)) + 1


class NotEncodedError(RacesimError):
    """The strategy uses a feature the SMT encoding does not model, so no proof is attempted."""


def check_coverage(strategy: Strategy) -> None:
    """Raise :class:`NotEncodedError`, naming the knob, if `strategy` is outside the encoding."""
    for f in fields(strategy):
        if f.name in ENCODED_KNOBS:
            continue
        default = f.default if f.default is not MISSING else None
        if f.default_factory is not MISSING:
            default = f.default_factory()
        if getattr(strategy, f.name) != default:
            raise NotEncodedError(
                f"prove cannot decide {strategy.describe()}: the knob {f.name!r} is not in the "
                "SMT encoding yet (use racesim check for a sampled verdict)"
            )
    if strategy.wait is not None and polls(strategy.wait) > MAX_POLLS:
        raise NotEncodedError(
            f"prove unrolls a 'wait' loop to at most {MAX_POLLS} polls; this one polls "
            f"{polls(strategy.wait)} times (timeout / interval + 1): use a longer interval"
        )
    if (
        strategy.trigger == "needs"
        and strategy.build_concurrency is not None
        and strategy.deploy_concurrency is not None
    ):
        raise NotEncodedError(
            "prove cannot decide trigger 'needs' with both 'build_concurrency' and "
            "'deploy_concurrency': one run in two nested groups is not encoded"
        )


def features(strategy: Strategy) -> list[str]:
    """The model features a proof about `strategy` covers, in words (for the answer's header)."""
    s = strategy
    out = [
        {
            "push": "build and deploy both triggered by push",
            "workflow_run": "deploy triggered by workflow_run after each completed build run "
            "(dispatch delay)",
            "needs": "deploy job after the build job in one run (needs)",
            "none": "no automatic deploys",
        }[s.trigger]
    ]
    if s.gate:
        out.append("success gate")
    out.append(
        {
            "latest": "deploy reads the mutable tag latest",
            "sha": "deploy pins the sha tag",
            "digest": "deploy pins the build's digest",
        }[s.reference]
    )
    out.append(
        "registry tags: last accepted write wins; other jobs see a write after the registry's "
        "lag, the writing job at once; documented tie rule"
    )
    if s.rollout_survives_cancel:
        out.append("a rollout the target accepted goes on if its job is cancelled")
    else:
        out.append("a rollout stops when its job is cancelled")
    if s.live_order == "request":
        out.append("production converges to the last rollout request the target accepted")
    if s.sleep:
        out.append(f"sleep {s.sleep:g} s before the pull")
    if s.wait is not None:
        out.append(
            f"wait for the image: {polls(s.wait)} polls every {s.wait.interval:g} s, unrolled"
        )
    for name, group in (("build", s.build_concurrency), ("deploy", s.deploy_concurrency)):
        if group is not None:
            how = "cancel in progress" if group.cancel_in_progress else f"queue {group.queue}"
            out.append(f"{name} concurrency group ({how})")
    if s.guard != "none":
        out.append(f"guard {s.guard} before the rollout")
    if s.publish_guard:
        out.append("publish guard when the build step starts")
    if s.mirror:
        out.append("mirror to the deploy registry")
    if s.direct:
        out.append("build pushes straight to the deploy registry")
    return out
