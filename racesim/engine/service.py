"""The service (Cloud Run): which image it serves, from when, by whose rollout.

The service is one time-versioned register (see :mod:`racesim.engine.registry`): a rollout that
ends at ``t`` makes its image live from ``t``, and of several rollouts ending at the same instant
the one with the greatest tie key wins. So the last rollout to finish wins, and a tie is decided
by the rule, never by the event queue's order.
"""

from __future__ import annotations

from racesim.engine.registry import BASELINE_IMAGE, Image, Register, Tie

__all__ = ["Service"]


class Service:
    """What production serves over time; it starts on the baseline image."""

    def __init__(self) -> None:
        self.register = Register(initial=BASELINE_IMAGE)

    def go_live(self, time: float, image: Image, tie: Tie) -> None:
        """A rollout of `image` ended at `time`."""
        self.register.write(time, image, tie)

    def live_commit(self, time: float) -> int:
        """The commit the service serves at `time`."""
        live = self.register.read(time)
        return BASELINE_IMAGE.commit if live is None else live.commit

    def changes(self) -> list[tuple[float, Image, int]]:
        """``(time, image, rollout run)`` each time the served image changed (not the baseline)."""
        return self.register.timeline()[1:]
