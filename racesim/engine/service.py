"""The service (Cloud Run): which image it serves, from when, by whose rollout.

The service is one time-versioned register (see :mod:`racesim.engine.registry`): a rollout that
ends at ``t`` makes its image live from ``t``. Which rollout wins depends on the target
(:attr:`~racesim.Strategy.live_order`): with ``finish`` (Cloud Run: each deploy makes a revision
that takes the traffic when it is ready) the last rollout to finish wins; with ``request``
(Kubernetes, ECS: the target converges to the last desired state it accepted) the write is
ordered by when the rollout's request was accepted and seen when the rollout ends, so a rollout
superseded by a newer request never takes over. Ties are decided by the rule, never by the event
queue's order.
"""

from __future__ import annotations

from racesim.engine.registry import BASELINE_IMAGE, Image, Register, Tie

__all__ = ["Service"]


class Service:
    """What production serves over time; it starts on the baseline image."""

    def __init__(self) -> None:
        self.register = Register(initial=BASELINE_IMAGE)

    def go_live(self, time: float, image: Image, tie: Tie, requested: float | None = None) -> None:
        """A rollout of `image` ends at `time`; `requested`: when the target accepted it, if
        that decides its place (``request`` order), else the end does."""
        self.register.write(time if requested is None else requested, image, tie, time)

    def live_commit(self, time: float) -> int:
        """The commit the service serves at `time`."""
        live = self.register.read(time)
        return BASELINE_IMAGE.commit if live is None else live.commit

    def changes(self) -> list[tuple[float, Image, int]]:
        """``(time, image, rollout run)`` each time the served image changed (not the baseline)."""
        return self.register.seen_timeline()[1:]
