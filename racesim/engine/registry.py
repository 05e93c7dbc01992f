"""Registries and the service as time-versioned registers with a last-visible-writer-wins rule.

A write becomes visible at a known time. A read at time ``t`` returns the value of the write with
the greatest visibility time ``<= t``; a read at exactly a write's visibility time sees it. When
several writes become visible at the same instant, the one with the greatest *tie key* wins (the
engine passes ``(start time of the write, commit, run)``). Nothing here depends on the order in
which writes were registered, so the outcome never depends on the event queue's order.
"""

from __future__ import annotations

import math
from bisect import bisect_right, insort
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import NamedTuple

__all__ = ["BASELINE_IMAGE", "Image", "Register", "Registry", "Tie"]


class Image(NamedTuple):
    """A container image: the commit it was built from and the build run that produced it.

    Two builds of the same commit (a re-run) give two images with different digests but the same
    code; racesim compares images by commit when it judges staleness.
    """

    commit: int
    build_run: int

    @property
    def digest(self) -> str:
        """The registry key of this image's digest."""
        return digest_key(self.build_run)


def digest_key(build_run: int) -> str:
    """Registry key under which the image of build run `build_run` is addressed by digest."""
    return f"digest:{build_run}"


#: the image production and every registry hold before the first push
BASELINE_IMAGE = Image(0, 0)


class Tie(NamedTuple):
    """Decides between writes that become visible at the same instant: the greatest wins.

    The write that started later wins; then the one of the newer commit; then the later run.
    """

    start: float
    commit: int
    run: int


class _Write(NamedTuple):
    visible_at: float
    tie: Tie
    image: Image


_ORDER = attrgetter("visible_at", "tie")
_VISIBLE = attrgetter("visible_at")


@dataclass(init=False, slots=True)
class Register:
    """One mutable pointer (a tag, or the live revision of a service) with its whole history."""

    initial: Image | None
    #: every write, kept sorted by (visibility time, tie key): the order of registration is lost
    writes: list[_Write]

    def __init__(self, initial: Image | None = None, writes: list[_Write] | None = None) -> None:
        # written out rather than generated: a simulation creates one per registry key, and a
        # list of one write needs no sort
        self.initial = initial
        if writes is None:
            writes = []
        elif len(writes) > 1:
            writes.sort(key=_ORDER)
        self.writes = writes

    def write(self, visible_at: float, image: Image, tie: Tie) -> None:
        """Record that `image` becomes the value at `visible_at` (tie-broken by `tie`)."""
        self.add(_Write(visible_at, tie, image))

    def add(self, entry: _Write) -> None:
        """Insert a write in (visibility, tie) order: a binary search, so reads stay cheap."""
        insort(self.writes, entry, key=_ORDER)

    def read(self, time: float) -> Image | None:
        """The value at `time`: the last visible write, or the initial value, or ``None``.

        The writes are sorted, so the winner is the last one visible at `time` (binary search).
        """
        i = bisect_right(self.writes, time, key=_VISIBLE)
        return self.initial if i == 0 else self.writes[i - 1].image

    def timeline(self) -> list[tuple[float, Image, int]]:
        """``(time, value, writer run)`` after each instant at which the value changed.

        Writes that become visible at the same instant as a write that wins the tie are never
        observable and do not appear. The initial value, if any, appears at ``-inf`` (run 0).
        """
        out: list[tuple[float, Image, int]] = []
        if self.initial is not None:
            out.append((-math.inf, self.initial, 0))
        for w in self.writes:  # already in (visibility, tie) order
            if out and out[-1][0] == w.visible_at:
                out[-1] = (w.visible_at, w.image, w.tie.run)
            else:
                out.append((w.visible_at, w.image, w.tie.run))
        return out


_BASELINE_KEYS = frozenset({"latest", "sha-0", BASELINE_IMAGE.digest})


@dataclass
class Registry:
    """A container registry: tags (and digests) mapped to images.

    ``latest``, ``sha-0`` and the baseline image's digest hold the baseline image from the start;
    any other key that was never written reads as ``None`` (``manifest unknown``).
    """

    name: str
    tags: dict[str, Register] = field(default_factory=dict)

    def write(self, key: str, visible_at: float, image: Image, tie: Tie) -> None:
        """Point `key` at `image` from `visible_at` on."""
        self.write_many((key,), visible_at, image, tie)

    def write_many(self, keys: Iterable[str], visible_at: float, image: Image, tie: Tie) -> None:
        """Point every key of `keys` at `image` from `visible_at` on (one push, several tags)."""
        entry = _Write(visible_at, tie, image)
        tags = self.tags
        for key in keys:
            register = tags.get(key)
            if register is None:
                initial = BASELINE_IMAGE if key in _BASELINE_KEYS else None
                tags[key] = Register(initial, [entry])
            else:
                register.add(entry)

    def read(self, key: str, time: float) -> Image | None:
        """What `key` resolves to at `time`; ``None`` means ``manifest unknown``."""
        register = self.tags.get(key)
        if register is None:
            return BASELINE_IMAGE if key in _BASELINE_KEYS else None
        return register.read(time)

    def newest_pinned(self, time: float) -> Image | None:
        """The image of the newest commit with a visible ``sha-<commit>`` tag at `time`."""
        best: Image | None = None
        for key, register in self.tags.items():
            if key.startswith("sha-"):
                image = register.read(time)
                if image is not None and (best is None or image.commit > best.commit):
                    best = image
        return best
