"""Concurrency groups as SMT constraints: who starts when, and who is cancelled when.

The rules are those of :class:`racesim.engine.concurrency.ConcurrencyGroup`: at most one running
member; ``queue="single"`` keeps one pending member and a newer arrival cancels it; ``queue="max"``
keeps pending members first in, first out; ``cancel_in_progress`` cancels the pending and the
running member on every arrival. Arrivals at one instant are placed oldest commit first, after
every member that ends at that instant has left (leaving is a normal event, placing happens in the
settle phase).

The encoding is a symbolic execution of those rules. For every order in which the members can
arrive (every permutation, unless the caller knows the order, as for builds that arrive at their
push times), it walks the arrivals one by one, splitting into paths on "has the running member
ended by now?" and "does this member arrive at all?". Each path ends with a start time or a
cancellation time for every member, under the path's condition; the constraints say that
exactly what the taken path says happens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise, permutations

import z3

from racesim.core.strategy import Concurrency
from racesim.verify.proof.registers import Compared

__all__ = ["Member", "encode_group", "group_compared"]


@dataclass
class Member:
    """One run (or job) that may enter a group.

    `arrives` and `arrival` say whether and when it asks to run; `end` (set by the caller, in
    terms of `start`) is when it would leave if nothing cancelled it. The group decides
    `started`, `start`, `cancelled` and `cancel_at` (fresh variables made here).
    """

    name: str
    commit: int
    arrives: z3.BoolRef
    arrival: z3.ArithRef
    start: z3.ArithRef = field(init=False)
    started: z3.BoolRef = field(init=False)
    cancelled: z3.BoolRef = field(init=False)
    cancel_at: z3.ArithRef = field(init=False)
    end: z3.ArithRef | None = None
    #: pairs of instants its cancellation compares (see :func:`group_compared` for the rest)
    compared: list[Compared] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.start = z3.Real(f"{self.name}_start")
        self.started = z3.Bool(f"{self.name}_started")
        self.cancelled = z3.Bool(f"{self.name}_cancelled")
        self.cancel_at = z3.Real(f"{self.name}_cancel_at")

    def runs_until(self, time: z3.ArithRef) -> z3.BoolRef:
        """It started and was not cancelled before `time` (a step ending at `time` counts)."""
        what = f"{self.name} is cancelled as one of its steps ends"
        self.compared.append(Compared(self.cancelled, time, self.cancel_at, what))
        return z3.And(self.started, z3.Or(z3.Not(self.cancelled), time <= self.cancel_at))


@dataclass(frozen=True)
class _Path:
    cond: tuple[z3.BoolRef, ...]
    running: int | None
    running_end: z3.ArithRef | None
    queue: tuple[int, ...]


class _Log:
    """What each member does on each path: starts at a time, or is cancelled at a time."""

    def __init__(self, n: int) -> None:
        self.starts: list[list[tuple[z3.BoolRef, z3.ArithRef]]] = [[] for _ in range(n)]
        self.cancels: list[list[tuple[z3.BoolRef, z3.ArithRef]]] = [[] for _ in range(n)]


def _end(member: Member) -> z3.ArithRef:
    assert member.end is not None, f"{member.name}: the caller must set its natural end"
    return member.end


def encode_group(
    spec: Concurrency | None, members: Sequence[Member], *, ordered: bool = False
) -> list[z3.BoolRef]:
    """Constraints that fix every member's start and cancellation under `spec`.

    `ordered` says the members arrive in the given order (ties in commit order), so only that
    order is explored. Without a group, every member that arrives starts on arrival.
    """
    if spec is None:
        return [
            c
            for m in members
            for c in (m.started == m.arrives, m.start == m.arrival, z3.Not(m.cancelled))
        ]
    log = _Log(len(members))
    index = range(len(members))
    orders = [tuple(index)] if ordered else list(permutations(index))
    for order in orders:
        in_order = [_before(members[p], members[q]) for p, q in pairwise(order)]
        paths = [_Path(tuple(in_order), None, None, ())]
        for i in order:
            paths = [after for path in paths for after in _arrive(spec, members, log, path, i)]
        for path in paths:
            _drain(members, log, path)
    out: list[z3.BoolRef] = []
    for m, starts, cancels in zip(members, log.starts, log.cancels, strict=True):
        out.append(m.started == z3.Or([c for c, _ in starts]))
        out.append(m.start == _choose(starts, m.arrival))
        out.append(m.cancelled == z3.Or([c for c, _ in cancels]))
        out.append(m.cancel_at == _choose(cancels, z3.RealVal(0)))
    return out


def group_compared(spec: Concurrency | None, members: Sequence[Member]) -> list[Compared]:
    """The pairs of instants a group compares: arrivals with arrivals, ends with arrivals."""
    if spec is None:
        return []
    out = []
    for a in members:
        for b in members:
            if a is b:
                continue
            if a.commit < b.commit:
                what = f"{a.name} and {b.name} arrive in the group at once"
                out.append(Compared(z3.And(a.arrives, b.arrives), a.arrival, b.arrival, what))
            what = f"{a.name} ends as {b.name} arrives in the group"
            out.append(Compared(z3.And(a.started, b.arrives), _end(a), b.arrival, what))
    return out


def _before(a: Member, b: Member) -> z3.BoolRef:
    """`a` is placed before `b`: it arrives earlier, or at the same instant with an older commit."""
    return a.arrival <= b.arrival if a.commit < b.commit else a.arrival < b.arrival


def _choose(cases: list[tuple[z3.BoolRef, z3.ArithRef]], default: z3.ArithRef) -> z3.ArithRef:
    value = default
    for cond, time in cases:
        value = z3.If(cond, time, value)
    return value


def _arrive(
    spec: Concurrency, members: Sequence[Member], log: _Log, path: _Path, i: int
) -> list[_Path]:
    member = members[i]
    out: list[_Path] = []
    arrives = z3.simplify(member.arrives)
    if not z3.is_true(arrives):
        out.append(_Path((*path.cond, z3.Not(member.arrives)), *_state(path)))
        if z3.is_false(arrives):
            return out
        path = _Path((*path.cond, member.arrives), *_state(path))
    for settled in _complete(members, log, path, member.arrival):
        out.append(_place(spec, members, log, settled, i))
    return out


def _state(path: _Path) -> tuple[int | None, z3.ArithRef | None, tuple[int, ...]]:
    return path.running, path.running_end, path.queue


def _complete(members: Sequence[Member], log: _Log, path: _Path, now: z3.ArithRef) -> list[_Path]:
    """Paths after every member that ends by `now` has left (and its successor started)."""
    if path.running is None:
        return [path]
    assert path.running_end is not None
    ended = path.running_end <= now
    still = _Path((*path.cond, z3.Not(ended)), *_state(path))
    cond = (*path.cond, ended)
    if not path.queue:
        return [still, _Path(cond, None, None, ())]
    nxt = path.queue[0]
    log.starts[nxt].append((z3.And(cond), path.running_end))
    moved = _Path(cond, nxt, _end(members[nxt]), path.queue[1:])
    return [still, *_complete(members, log, moved, now)]


def _place(spec: Concurrency, members: Sequence[Member], log: _Log, path: _Path, i: int) -> _Path:
    now = members[i].arrival
    cond = z3.And(path.cond)
    if spec.cancel_in_progress:
        for j in (*path.queue, *([] if path.running is None else [path.running])):
            log.cancels[j].append((cond, now))
        log.starts[i].append((cond, now))
        return _Path(path.cond, i, _end(members[i]), ())
    if path.running is None:
        log.starts[i].append((cond, now))
        return _Path(path.cond, i, _end(members[i]), ())
    if spec.queue == "single":
        for j in path.queue:
            log.cancels[j].append((cond, now))
        return _Path(path.cond, path.running, path.running_end, (i,))
    return _Path(path.cond, path.running, path.running_end, (*path.queue, i))


def _drain(members: Sequence[Member], log: _Log, path: _Path) -> None:
    """After the last arrival, pending members start one after another."""
    end, queue = path.running_end, path.queue
    cond = z3.And(path.cond)
    while queue:
        assert end is not None
        log.starts[queue[0]].append((cond, end))
        end, queue = _end(members[queue[0]]), queue[1:]
