"""Registers (registry tags, the service) as SMT terms: the last write visible at the read wins.

A symbolic write has a condition (whether it happens at all), a visibility time, the start time
of the writing step and the commit of the image it writes. A read at time ``t`` returns the
commit of the write with the greatest ``(visible, start, commit)`` among those that happen and are
visible at ``t`` (the tie rule of :mod:`racesim.engine.registry`; two writes equal in all three
hold the same commit, so the run id never matters here), else the register's initial commit, or
``-1`` for ``manifest unknown``.

Reads are deferred: :meth:`Register.read` returns a fresh integer variable, and
:meth:`Register.constraints` ties every such variable to its read formula once every write is
known. That is what lets a run's writes depend on its earlier reads (the publish guard, the
mirror) without building an infinite term.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

import z3

__all__ = ["NONE", "SymbolicRegister", "Write", "lex_greater"]

#: the commit a read returns when the key holds nothing (``manifest unknown``)
NONE = -1

_fresh = count()


@dataclass(frozen=True)
class Write:
    """One symbolic write: it happens when `when` holds; visible from `visible` on."""

    when: z3.BoolRef
    visible: z3.ArithRef
    start: z3.ArithRef
    commit: z3.ArithRef


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
    reads: list[tuple[z3.ArithRef, z3.ArithRef | None]] = field(default_factory=list)

    def write(self, write: Write) -> None:
        self.writes.append(write)

    def read(self, time: z3.ArithRef | None) -> z3.ArithRef:
        """A variable for the commit this register holds at `time` (``None``: at the end)."""
        var = z3.Int(f"read_{self.name}_{next(_fresh)}")
        self.reads.append((var, time))
        return var

    def value_at(self, time: z3.ArithRef | None) -> z3.ArithRef:
        """The read formula: the winning visible write's commit, else the initial value."""
        visible = [
            w.when if time is None else z3.And(w.when, w.visible <= time) for w in self.writes
        ]
        value: z3.ArithRef = z3.IntVal(self.initial)
        for i, w in enumerate(self.writes):
            key = (w.visible, w.start, w.commit)
            beaten = [
                z3.And(visible[j], lex_greater((o.visible, o.start, o.commit), key))
                for j, o in enumerate(self.writes)
                if j != i
            ]
            wins = z3.And(visible[i], z3.Not(z3.Or(beaten))) if beaten else visible[i]
            value = z3.If(wins, w.commit, value)
        return value

    def constraints(self) -> list[z3.BoolRef]:
        """Every deferred read equals its read formula."""
        return [var == self.value_at(time) for var, time in self.reads]
