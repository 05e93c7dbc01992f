"""A counterexample: a history on which a strategy breaks a property, with its trace.

Searches (:mod:`racesim.verify.search`) and proofs (:mod:`racesim.verify.proof`) both answer with
one; it carries the engine's trace, so its explanation and its picture are the engine's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from racesim.core.history import History
from racesim.core.trace import Trace
from racesim.verify.explain import explain
from racesim.verify.properties import Check

__all__ = ["Counterexample"]


@dataclass(frozen=True)
class Counterexample:
    """A history on which a strategy breaks a property, with its trace and an explanation.

    `ties` is empty unless the counterexample rests on ties: then no counterexample within the
    proof's bounds keeps every compared pair of instants apart, and `ties` names the pairs that
    coincide (or nearly) in this one, which a tie rule decides. Searches leave it empty.
    """

    strategy: str
    prop: str
    history: History
    trace: Trace
    check: Check
    ties: tuple[str, ...] = ()

    @property
    def pushes(self) -> list[dict[str, Any]]:
        """``[{"commit": "A", "time": 0.0}, ...]``."""
        return [
            {"commit": self.history.label(k), "time": p.time}
            for k, p in enumerate(self.history.pushes, 1)
        ]

    @property
    def durations(self) -> list[dict[str, Any]]:
        """Each push's durations, labelled by commit."""
        return [
            {"commit": self.history.label(k), **p.durations.as_dict()}
            for k, p in enumerate(self.history.pushes, 1)
        ]

    @property
    def explanation(self) -> str:
        """What happened, in plain sentences, ending with what broke."""
        return explain(self.trace, self.check)

    def to_json(self) -> dict[str, Any]:
        return {
            "pushes": self.pushes,
            "durations": self.durations,
            "explanation": self.explanation,
            "ties": list(self.ties),
        }
