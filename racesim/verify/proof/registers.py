"""Registers (registry tags, the service) as SMT terms: write order decides, lag delays reads.

A symbolic write has a condition (whether it happens at all), the time the registry accepts it,
the time other jobs see it, the start time of the writing step, the commit of the image it
writes and the job that writes it. A read at time ``t`` by a job returns the commit of the write
with the greatest ``(accepted, start, commit)`` among those that happen and are visible at ``t``
or were written by the reading job and accepted by ``t`` (the rules of
:mod:`racesim.engine.registry`; two writes equal in all three hold the same commit, so the run id
never matters here), else the register's initial commit, or ``-1`` for ``manifest unknown``. The
value at the end is the greatest accepted write's.

Reads are deferred: :meth:`Register.read` returns a fresh integer variable, and
:meth:`Register.constraints` ties every such variable to its read formula once every write is
known. That is what lets a run's writes depend on its earlier reads (the publish guard, the
mirror) without building an infinite term.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

import z3

__all__ = ["NONE", "Compared", "SymbolicRegister", "Write", "lex_greater"]

#: the commit a read returns when the key holds nothing (``manifest unknown``)
NONE = -1

_fresh = count()


@dataclass(frozen=True)
class Compared:
    """Two instants the semantics compares (when `when` holds); a tie between them is decided
    by a tie rule rather than by time, so a counterexample that needs them equal rests on it."""

    when: z3.BoolRef
    a: z3.ArithRef
    b: z3.ArithRef
    what: str


@dataclass(frozen=True)
class Write:
    """One symbolic write: it happens when `when` holds, is accepted at `accepted` and seen by
    jobs other than `writer` from `visible` on (``None``: at once)."""

    when: z3.BoolRef
    accepted: z3.ArithRef
    start: z3.ArithRef
    commit: z3.ArithRef
    writer: str = ""
    visible: z3.ArithRef | None = None

    @property
    def seen_from(self) -> z3.ArithRef:
        return self.accepted if self.visible is None else self.visible


def lex_greater(a: tuple[z3.ArithRef, ...], b: tuple[z3.ArithRef, ...]) -> z3.BoolRef:
    """``a > b`` in lexicographic order, as a formula."""
    if len(a) == 1:
        return a[0] > b[0]
    return z3.Or(a[0] > b[0], z3.And(a[0] == b[0], lex_greater(a[1:], b[1:])))


@dataclass
class SymbolicRegister:
    """A tag in a registry, or the live revision of the service, with its symbolic writes."""

    name: str
    initial: int = NONE
    writes: list[Write] = field(default_factory=list)
    reads: list[tuple[z3.ArithRef, z3.ArithRef | None, str]] = field(default_factory=list)

    def write(self, write: Write) -> None:
        self.writes.append(write)

    def read(self, time: z3.ArithRef | None, reader: str = "") -> z3.ArithRef:
        """A variable for the commit `reader` sees at `time` (``None``: the value at the end)."""
        var = z3.Int(f"read_{self.name}_{next(_fresh)}")
        self.reads.append((var, time, reader))
        return var

    def value_at(self, time: z3.ArithRef | None, reader: str = "") -> z3.ArithRef:
        """The read formula: the winning write's commit among those `reader` sees, else the
        initial value."""
        visible = [
            w.when
            if time is None
            else z3.And(
                w.when, (w.accepted if reader and w.writer == reader else w.seen_from) <= time
            )
            for w in self.writes
        ]
        value: z3.ArithRef = z3.IntVal(self.initial)
        for i, w in enumerate(self.writes):
            key = (w.accepted, w.start, w.commit)
            beaten = [
                z3.And(visible[j], lex_greater((o.accepted, o.start, o.commit), key))
                for j, o in enumerate(self.writes)
                if j != i
            ]
            wins = z3.And(visible[i], z3.Not(z3.Or(beaten))) if beaten else visible[i]
            value = z3.If(wins, w.commit, value)
        return value

    def compared(self) -> list[Compared]:
        """Every pair of instants a read or the write order compares (see :class:`Compared`).

        A job's read of its own write compares nothing (it sees it once accepted), and terms
        that are the same expression are equal by construction, not by a tie.
        """
        out: list[Compared] = []
        for _var, time, reader in self.reads:
            if time is None:
                continue
            for w in self.writes:
                seen = w.accepted if reader and w.writer == reader else w.seen_from
                if not z3.eq(seen, time):
                    who = reader or "a read"
                    what = f"{who} reads {self.name} as {w.writer or 'a'} write shows up"
                    out.append(Compared(w.when, seen, time, what))
        for i, w in enumerate(self.writes):
            for o in self.writes[i + 1 :]:
                if w.writer != o.writer and not z3.eq(w.accepted, o.accepted):
                    what = f"{w.writer} and {o.writer} write {self.name} at once"
                    out.append(Compared(z3.And(w.when, o.when), w.accepted, o.accepted, what))
        return out

    def constraints(self) -> list[z3.BoolRef]:
        """Every deferred read equals its read formula."""
        return [var == self.value_at(time, reader) for var, time, reader in self.reads]
