"""GitHub Actions concurrency groups, and the settle phase that orders simultaneous events.

Within one instant the engine works in two phases. First every *normal* event at that instant
happens: steps end, registry writes are recorded, runs are created. Then, in the *settle* phase,
everything that observes shared state happens: registry reads, guard checks, and admissions to
concurrency groups. So a read at time ``t`` sees every write visible at ``t``, a cancellation at
``t`` never undoes a step that ended at ``t``, and runs arriving in a group at the same instant
are admitted in commit order, whatever order their processes were created in.

The settle phase runs in *rounds* (:class:`SettlePhase`): everything that waits for the settle
phase of an instant shares one SimPy event, so every observer of a round sees the same state;
what they start (a step of 0 s, say) happens after the whole round, in the next normal phase,
and whatever observes its effects waits for the next round. An instant ends when a round
produces nothing new: the fixed point. So a read ignores writes recorded later in the same
instant, and no outcome depends on the order in which SimPy queued simultaneous events.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Hashable
from typing import Any, Generic, TypeVar

import simpy
from simpy.events import Event

from racesim.core.strategy import Concurrency

__all__ = ["SETTLE", "ConcurrencyGroup", "Settle", "SettlePhase"]

#: priority of settle events: after SimPy's URGENT (0) and NORMAL (1) events of the same instant
SETTLE = 2


class Settle(Event):
    """An event that fires at the current instant, after every normal event of that instant."""

    def __init__(self, env: simpy.Environment) -> None:
        # Initialised like simpy.Timeout, which is how SimPy itself pre-triggers events.
        self.env = env
        self.callbacks: list[Callable[[Event], None]] = []
        self._value: Any = None
        self._ok = True
        env.schedule(self, SETTLE)  # type: ignore[arg-type]


class SettlePhase:
    """The settle rounds of one simulation: one shared :class:`Settle` event per round.

    The first observer that waits at an instant schedules a round; every other observer that
    waits before the round fires joins it. Observers that wait while a round is being processed
    (or after it, at the same instant) join the next round, which fires after the normal events
    the round started: an observer of a round never sees what another observer of the same
    round did, whichever SimPy resumed first.
    """

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._round: Settle | None = None
        self._round_at = -math.inf
        #: rounds scheduled so far (a count for tests and benchmarks)
        self.rounds = 0

    def round(self) -> Settle:
        """The next settle round of the current instant."""
        current = self._round
        if current is None or current.callbacks is None:  # SimPy empties callbacks once fired
            current = self._round = Settle(self.env)
            self._round_at = self.env.now
            self.rounds += 1
        return current

    def must_wait(self) -> bool:
        """An observer must wait for a round: something else may still happen at this instant.

        That is the case when an event is scheduled at this instant, or when a round of this
        instant has fired (its other observers may not have run yet).
        """
        env = self.env
        if env.peek() <= env.now:
            return True
        current = self._round
        return current is not None and current.callbacks is None and self._round_at == env.now

    def wait(self) -> Generator[Event, Any, None]:
        """Wait for the next settle round, unless nothing else can happen at this instant."""
        if self.must_wait():
            yield self.round()


M = TypeVar("M", bound=Hashable)


class ConcurrencyGroup(Generic[M]):
    """At most one running and one (``queue="max"``: many) pending member.

    The group does not run anything itself: it calls `admit` when a member may start, `pend`
    when it has to wait, and `cancel` when the group's rules cancel it. Members must call
    :meth:`leave` when they finish or are cancelled. `order` sorts members that arrive at the same
    instant (oldest first, so the newest one ends up pending).
    """

    def __init__(
        self,
        phase: SettlePhase,
        name: str,
        spec: Concurrency,
        *,
        order: Callable[[M], tuple[int, ...]],
        admit: Callable[[M], None],
        pend: Callable[[M], None],
        cancel: Callable[[M, str], None],
    ) -> None:
        self.phase = phase
        self.name = name
        self.spec = spec
        self._order = order
        self._admit = admit
        self._pend = pend
        self._cancel = cancel
        self.running: M | None = None
        self.pending: list[M] = []
        self._arrivals: list[M] = []

    def arrive(self, member: M) -> None:
        """`member` asks to run; it is admitted, queued or displaces others in the settle phase."""
        if not self._arrivals:
            self.phase.round().callbacks.append(self._settle)
        self._arrivals.append(member)

    def leave(self, member: M) -> None:
        """`member` finished or was cancelled; the oldest pending member (if any) starts."""
        if member in self._arrivals:
            self._arrivals.remove(member)
        if member in self.pending:
            self.pending.remove(member)
        if self.running == member:
            self.running = None
            if self.pending:
                self.running = self.pending.pop(0)
                self._admit(self.running)

    def _settle(self, _event: Event) -> None:
        arrivals, self._arrivals = sorted(self._arrivals, key=self._order), []
        for member in arrivals:
            self._place(member)

    def _place(self, member: M) -> None:
        if self.spec.cancel_in_progress:
            for old in self.pending:
                self._cancel(old, f"superseded in concurrency group {self.name!r}")
            self.pending = []
            if self.running is not None:
                old, self.running = self.running, None
                self._cancel(old, f"cancel-in-progress in concurrency group {self.name!r}")
        if self.running is None and not self.pending:
            self.running = member
            self._admit(member)
            return
        if self.spec.queue == "single":
            for old in self.pending:
                self._cancel(old, f"a higher priority waiting request for {self.name!r} exists")
            self.pending = []
        self.pending.append(member)
        self._pend(member)
