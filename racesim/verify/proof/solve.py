"""Ask z3 whether a history breaking the property exists; turn its model into a History.

The search space is real-valued, so a model may use fractions such as 7/3 s. A history meant for
people (and for the floating-point engine) reads better in whole seconds, so once a violation is
known to exist the solver is asked again for one on a grid: whole seconds, then quarters, then
1/1024 s (all exact in floating point). Only if none exists on those grids is the exact rational
model used, rounded to the nearest float.

A counterexample should not rest on a tie: when two instants the semantics compares are equal
(an image shows up at the very second a deploy reads, two rollouts end together), a tie rule
decides, and another documented rule could decide the other way. So the solver is first asked
for a violation in which every compared pair of instants is at least :data:`SLACK` seconds
apart. Only if none exists within the bounds is a violation with a tie returned, and it is
labelled with the ties it needs (:class:`Candidate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import z3

from racesim.core.history import DURATION_FIELDS, Durations, History, Push
from racesim.core.strategy import Strategy
from racesim.errors import InputError
from racesim.verify.proof.bounds import Bounds
from racesim.verify.proof.coverage import MAX_PUSHES, NotEncodedError, check_coverage
from racesim.verify.proof.encode import Encoding
from racesim.verify.proof.properties import VIOLATIONS, violation

__all__ = ["SLACK", "Candidate", "binding_bounds", "solve", "ties_in"]

#: how far apart every compared pair of instants of a counterexample is asked to be (seconds)
SLACK = 0.5


@dataclass(frozen=True)
class Candidate:
    """A history the solver says breaks the property.

    `ties` is empty when every pair of instants the semantics compares is at least
    :data:`SLACK` apart; otherwise no such history exists within the bounds, and `ties` names
    the pairs that are closer in this one (what the tie rules decide).
    """

    history: History
    ties: tuple[str, ...] = ()


#: grids tried for a readable counterexample (steps per second), finest last
GRIDS = (1, 4, 1024)

#: how long a grid query may take before the next grid is tried (milliseconds)
GRID_TIMEOUT_MS = 3000


def _free(enc: Encoding) -> list[z3.ArithRef]:
    return [v for p in enc.pushes for v in (p.time, *p.durations.values())]


def _number(model: z3.ModelRef, term: z3.ArithRef) -> Fraction:
    value = model.eval(term, model_completion=True)
    return Fraction(value.as_fraction())


def _history(enc: Encoding, model: z3.ModelRef) -> History:
    pushes = []
    for k, p in enumerate(enc.pushes):
        values: dict[str, float | bool] = {
            name: float(_number(model, p.durations[name])) for name in DURATION_FIELDS
        }
        values["build_fails"] = z3.is_true(model.eval(p.fails, model_completion=True))
        pushes.append(
            Push(float(_number(model, p.time)), Durations.from_mapping(values), chr(65 + k))
        )
    return History(tuple(pushes), baseline="old")


def _ties(enc: Encoding, model: z3.ModelRef) -> tuple[str, ...]:
    """The compared pairs of instants closer than SLACK in `model`, with their times."""
    out: dict[str, None] = {}
    for c in enc.compared():
        if not z3.is_true(model.eval(c.when, model_completion=True)):
            continue
        a, b = _number(model, c.a), _number(model, c.b)
        if abs(a - b) < Fraction(SLACK):
            gap = "" if a == b else f" ({float(abs(a - b)):g} s apart)"
            out[f"{c.what} at {float(max(a, b)):g} s{gap}"] = None
    return tuple(out)


def _slack(enc: Encoding) -> list[z3.BoolRef]:
    delta = z3.RealVal(Fraction(SLACK))
    return [
        z3.Implies(c.when, z3.Or(c.a - c.b >= delta, c.b - c.a >= delta)) for c in enc.compared()
    ]


def solve(enc: Encoding, prop: str, grid: float | None = None) -> list[Candidate]:
    """Decide whether some history of `enc` breaks `prop`: ``[]`` means none does (proved).

    Otherwise returns the histories to try, most readable first (without ties if possible, on
    a grid, then the exact model): the caller replays them through the engine, which must
    confirm one of them. With
    `grid`, every push time and duration is restricted to whole multiples of `grid` seconds (a
    discrete model, for comparison with :func:`racesim.testing.exhaustive_check`).
    """
    broken = violation(enc, prop)  # first: it adds the service reads it needs to the world
    solver = z3.Solver()
    solver.add(enc.world())
    if grid is not None:
        step = Fraction(grid).limit_denominator(10**6)
        for var in _free(enc):
            solver.add(z3.IsInt(var / z3.RealVal(step)))
    # a proof is only worth something if some history exists at all: a world without one
    # would make every property "proved"
    if solver.check() != z3.sat:
        if grid is not None:
            raise InputError(
                "grid", f"no duration within the bounds is a whole multiple of {grid:g} s"
            )
        raise RuntimeError(
            f"the encoding admits no history of {enc.count} push(es) within the bounds; "
            "this is a racesim bug, please report it"
        )
    solver.add(broken)
    result = solver.check()
    if result == z3.unsat:
        return []
    if result != z3.sat:  # pragma: no cover - linear real arithmetic is decidable
        raise RuntimeError(f"z3 answered {result} ({solver.reason_unknown()})")
    model = solver.model()
    solver.push()
    solver.set("timeout", GRID_TIMEOUT_MS)
    solver.add(_slack(enc))
    with_ties = solver.check() != z3.sat
    if with_ties:  # no violation without ties within the bounds: label the ties it needs
        solver.pop()
    else:
        model = solver.model()
    exact = Candidate(_history(enc, model), _ties(enc, model) if with_ties else ())
    found: list[Candidate] = []
    for steps in GRIDS:
        solver.push()
        for var in _free(enc):
            solver.add(z3.IsInt(var * steps))
        if solver.check() == z3.sat:
            on_grid = solver.model()
            found.append(
                Candidate(_history(enc, on_grid), _ties(enc, on_grid) if with_ties else ())
            )
        solver.pop()
        if found:
            break
    return [*found, exact]


def binding_bounds(enc: Encoding, prop: str) -> tuple[str, ...] | None:
    """The bounds a proof of `prop` over `enc` rests on, or ``None`` when the property is
    broken (there is no proof to explain).

    z3's unsat core over the bounds (one label per bound, all pushes together), then made
    minimal by deletion: dropping any one of the bounds returned (widening it to anything
    physical: durations >= 0, pushes in order) breaks the proof; every bound not returned can
    be dropped together. Names read ``dispatch<=5``, ``build>=1``, ``gap>=1``.
    """
    broken = violation(enc, prop)
    grouped: dict[str, list[z3.BoolRef]] = {}
    for name, formula in enc.bound_constraints:
        grouped.setdefault(name, []).append(formula)
    solver = z3.Solver()
    solver.add(enc.semantics())
    solver.add(broken)
    # a dropped bound leaves what is physical: no negative duration, pushes in order
    solver.add([v >= 0 for p in enc.pushes for v in p.durations.values()])
    solver.add([b.time >= a.time for a, b in zip(enc.pushes, enc.pushes[1:], strict=False)])
    labels = {name: z3.Bool(f"bound:{name}") for name in grouped}
    for name, formulas in grouped.items():
        solver.add(z3.Implies(labels[name], z3.And(formulas)))
    if solver.check(*labels.values()) != z3.unsat:
        return None
    core = [name for name in grouped if any(z3.eq(labels[name], a) for a in solver.unsat_core())]
    for name in list(core):
        rest = [labels[n] for n in core if n != name]
        if solver.check(*rest) == z3.unsat:
            core.remove(name)
    return tuple(sorted(core))


def ties_in(strategy: Strategy, prop: str, history: History) -> tuple[str, ...] | None:
    """The pairs of instants the model compares that are closer than SLACK in `history`.

    For a counterexample found by a search: it says whether a tie rule decides it. ``None``
    when the encoding cannot say (a knob it refuses, re-runs or dispatches, too many pushes).
    """
    if history.reruns or history.dispatches or not 1 <= history.commits <= MAX_PUSHES:
        return None
    try:
        check_coverage(strategy)
    except NotEncodedError:
        return None
    failures = any(p.durations.build_fails for p in history.pushes)
    enc = Encoding(strategy, Bounds(failures=failures), history.commits)
    if prop in VIOLATIONS:  # a user's own property compares only what the semantics does
        violation(enc, prop)  # adds the service reads the property compares
    solver = z3.Solver()
    solver.add(enc.semantics())
    start = history.pushes[0].time
    for p, push in zip(enc.pushes, history.pushes, strict=True):
        solver.add(p.time == z3.RealVal(Fraction(push.time - start)))
        for name in DURATION_FIELDS:
            value = Fraction(getattr(push.durations, name))
            solver.add(p.durations[name] == z3.RealVal(value))
        solver.add(p.fails == push.durations.build_fails)
    if solver.check() != z3.sat:  # pragma: no cover - the semantics fix every other term
        return None
    return _ties(enc, solver.model())
