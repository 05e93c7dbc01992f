"""The built-in properties as formulas that say "the property is broken" over an encoding.

Each mirrors the trace function of the same name in :mod:`racesim.verify.properties`; the
cross-check tests hold them to it on every preset.
"""

from __future__ import annotations

from collections.abc import Callable

import z3

from racesim.errors import InputError
from racesim.verify.proof.encode import Encoding

__all__ = ["VIOLATIONS", "violation"]


def _stale(enc: Encoding) -> z3.BoolRef:
    """Some deploy rolled out an image of an older commit than it meant to ship."""
    return z3.Or([z3.And(d.rolled, d.image < d.commit) for d in enc.deploys])


def _wrong_identity(enc: Encoding) -> z3.BoolRef:
    """Some deploy rolled out an image of any other commit than it meant to ship."""
    return z3.Or([z3.And(d.rolled, d.image != d.commit) for d in enc.deploys])


def _not_newest(enc: Encoding) -> z3.BoolRef:
    """At the end the service runs something other than the newest commit that built."""
    newest: z3.ArithRef = z3.IntVal(0)
    for build in enc.builds:  # oldest first, so the newest success ends up outermost
        newest = z3.If(build.succeeded, build.commit, newest)
    return enc.live_at(None) != newest


def _regresses(enc: Encoding) -> z3.BoolRef:
    """The service runs a commit at one rollout's end and an older one at a later rollout's end."""
    cases = []
    for a in enc.deploys:
        for b in enc.deploys:
            if a is b:
                continue
            cases.append(
                z3.And(
                    a.rolled,
                    b.rolled,
                    a.live_at < b.live_at,
                    enc.live_at(a.live_at) > enc.live_at(b.live_at),
                )
            )
    return z3.Or(cases)


def _latest_not_newest(enc: Encoding) -> z3.BoolRef:
    """At the end the build registry's ``latest`` holds something other than the newest commit
    that built."""
    newest: z3.ArithRef = z3.IntVal(0)
    for build in enc.builds:  # oldest first, so the newest success ends up outermost
        newest = z3.If(build.succeeded, build.commit, newest)
    return enc.build_registry["latest"].read(None) != newest


#: property name -> the formula of its violation
VIOLATIONS: dict[str, Callable[[Encoding], z3.BoolRef]] = {
    "never_stale": _stale,
    "ships_what_it_claims": _wrong_identity,
    "ends_on_newest": _not_newest,
    "never_regresses": _regresses,
    "latest_ends_on_newest": _latest_not_newest,
}


def violation(enc: Encoding, prop: str) -> z3.BoolRef:
    """The formula "`prop` is broken" over `enc` (an unknown name is an InputError)."""
    if prop not in VIOLATIONS:
        raise InputError(
            "property", f"unknown property {prop!r}; expected one of {', '.join(VIOLATIONS)}"
        )
    return VIOLATIONS[prop](enc)
