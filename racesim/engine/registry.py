"""Registries and the service as time-versioned registers: write order decides, lag delays reads.

A registry accepts a write (a manifest PUT by tag) at a known time; the tag's value is the write
accepted last, as the OCI distribution spec says of a PUT by tag. A write may become visible to
readers later (read-after-write lag, a property of each registry). A read at ``t`` returns the
latest-accepted write among those visible at ``t``, plus those the reading job wrote itself
(read-your-writes: a job that pushed and then resolves the tag sees its own push). A read at
exactly a write's visibility time sees it. Writes accepted at the same instant are ordered by a
*tie key* (the engine passes ``(start time of the write, commit, run)``). Nothing here depends on
the order in which writes were registered, so the outcome never depends on the event queue's order.
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
    """Orders writes accepted at the same instant: the greatest is the later write.

    The write whose step started later is later; then the one of the newer commit; then the
    later run.
    """

    start: float
    commit: int
    run: int


class _Write(NamedTuple):
    accepted_at: float
    tie: Tie
    image: Image
    visible_at: float
    job: str  # the writing job's name: with ``tie.run``, who may read the write before others


_ORDER = attrgetter("accepted_at", "tie")
_ACCEPTED = attrgetter("accepted_at")


@dataclass(init=False, slots=True)
class Register:
    """One mutable pointer (a tag, or the live revision of a service) with its whole history.

    The value is decided by *write order*: a write accepted later replaces one accepted
    earlier, whatever their visibility. Visibility only decides which writes a reader sees: a
    read at ``t`` returns the latest-accepted write among those visible at ``t`` and those the
    reading job wrote itself (read-your-writes).
    """

    initial: Image | None
    #: every write, kept sorted by (acceptance time, tie key): the order of registration is lost
    writes: list[_Write]
    #: some write becomes visible after it was accepted (reads cannot use a binary search)
    lagged: bool

    def __init__(self, initial: Image | None = None, writes: list[_Write] | None = None) -> None:
        # written out rather than generated: a simulation creates one per registry key, and a
        # list of one write needs no sort
        self.initial = initial
        self.lagged = False
        if writes is None:
            writes = []
        elif len(writes) > 1:
            writes.sort(key=_ORDER)
        for w in writes:
            if w.visible_at > w.accepted_at:
                self.lagged = True
        self.writes = writes

    def write(
        self, accepted_at: float, image: Image, tie: Tie, visible_at: float | None = None
    ) -> None:
        """Record that `image` becomes the value at `accepted_at` (seen from `visible_at`,
        default at once)."""
        visible = accepted_at if visible_at is None else visible_at
        self.add(_Write(accepted_at, tie, image, visible, ""))

    def add(self, entry: _Write) -> None:
        """Insert a write in (acceptance, tie) order: a binary search, so reads stay cheap."""
        insort(self.writes, entry, key=_ORDER)
        if entry.visible_at > entry.accepted_at:
            self.lagged = True

    def read(self, time: float, reader: tuple[int, str] = (0, "")) -> Image | None:
        """The value `reader` (run id, job) sees at `time`, or the initial value, or ``None``.

        Without lag the winner is the last write accepted by `time` (binary search); with lag,
        the last accepted write that is visible at `time` or was written by `reader`.
        """
        writes = self.writes
        i = bisect_right(writes, time, key=_ACCEPTED)
        if not self.lagged:
            return self.initial if i == 0 else writes[i - 1].image
        w = self._seen(i, time, reader)
        return self.initial if w is None else w.image

    def _seen(self, i: int, time: float, reader: tuple[int, str]) -> _Write | None:
        """The last of the first `i` writes that `reader` sees at `time`."""
        run, job = reader
        writes = self.writes
        while i > 0:
            i -= 1
            w = writes[i]
            if w.visible_at <= time or (w.tie.run == run and w.job == job):
                return w
        return None

    def seen_timeline(self) -> list[tuple[float, Image, int]]:
        """``(time, value, writer run)`` each time the value a reader sees changes.

        Without lag that is :meth:`timeline`. With lag a value changes only when some write
        becomes visible, and a write accepted before the one already seen never shows (it is
        older in write order).
        """
        if not self.lagged:
            return self.timeline()
        out: list[tuple[float, Image, int]] = []
        current: Image | None = None
        if self.initial is not None:
            out.append((-math.inf, self.initial, 0))
            current = self.initial
        for t in sorted({w.visible_at for w in self.writes}):
            i = bisect_right(self.writes, t, key=_ACCEPTED)
            w = self._seen(i, t, (0, ""))
            if w is not None and (w.image != current or not out):
                out.append((t, w.image, w.tie.run))
                current = w.image
        return out

    def last(self) -> Image | None:
        """The value once every write is in: the last accepted write, or the initial value."""
        return self.writes[-1].image if self.writes else self.initial

    def timeline(self) -> list[tuple[float, Image, int]]:
        """``(time, value, writer run)`` after each instant at which the value changed.

        Times are acceptance times. Writes accepted at the same instant as a later write (by the
        tie key) are never the value and do not appear. The initial value, if any, appears at
        ``-inf`` (run 0).
        """
        out: list[tuple[float, Image, int]] = []
        if self.initial is not None:
            out.append((-math.inf, self.initial, 0))
        for w in self.writes:  # already in (acceptance, tie) order
            if out and out[-1][0] == w.accepted_at:
                out[-1] = (w.accepted_at, w.image, w.tie.run)
            else:
                out.append((w.accepted_at, w.image, w.tie.run))
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

    def write(
        self,
        key: str,
        accepted_at: float,
        image: Image,
        tie: Tie,
        *,
        visible_at: float | None = None,
        job: str = "",
    ) -> None:
        """Point `key` at `image` (visible to others from `visible_at`, default: at once)."""
        visible = accepted_at if visible_at is None else visible_at
        self.write_many((key,), accepted_at, visible, image, tie, job)

    def write_many(
        self,
        keys: Iterable[str],
        accepted_at: float,
        visible_at: float,
        image: Image,
        tie: Tie,
        job: str,
    ) -> None:
        """Point every key of `keys` at `image` (one push, several tags).

        The registry accepts the write at `accepted_at` (that fixes its place in the write
        order); readers other than the writing job (``tie.run``, `job`) see it from
        `visible_at` on.
        """
        entry = _Write(accepted_at, tie, image, visible_at, job)
        tags = self.tags
        for key in keys:
            register = tags.get(key)
            if register is None:
                initial = BASELINE_IMAGE if key in _BASELINE_KEYS else None
                tags[key] = Register(initial, [entry])
            else:
                register.add(entry)

    def read(self, key: str, time: float, reader: tuple[int, str] = (0, "")) -> Image | None:
        """What `key` resolves to at `time` for `reader`; ``None`` means ``manifest unknown``."""
        register = self.tags.get(key)
        if register is None:
            return BASELINE_IMAGE if key in _BASELINE_KEYS else None
        return register.read(time, reader)

    def newest_pinned(self, time: float, reader: tuple[int, str] = (0, "")) -> Image | None:
        """The image of the newest commit with a ``sha-<commit>`` tag `reader` sees at `time`."""
        best: Image | None = None
        for key, register in self.tags.items():
            if key.startswith("sha-"):
                image = register.read(time, reader)
                if image is not None and (best is None or image.commit > best.commit):
                    best = image
        return best
