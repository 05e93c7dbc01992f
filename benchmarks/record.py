"""Benchmark figures kept for the docs: each measured value with its goal, its command and date.

``python -m benchmarks --suite ... --record`` adds every figure the suites measured to
``benchmarks/results.json`` (a figure measured again replaces the old one), with the date, the
machine and the command line. The docs build renders that file as the cost table of
``docs/background/engines.md`` (the ``bench-table`` marker), so the page shows measured numbers
only, each with when and how it was measured; ``tests/test_benchmark_record.py`` checks that
every figure's verdict matches its value and goal, and that every goal of the speed issue has a
figure.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import sys
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Literal

__all__ = ["RECORD", "RESULTS", "Figure", "Recorder", "load", "met"]

#: where ``--record`` writes, and where the docs read
RESULTS = Path(__file__).with_name("results.json")

Op = Literal["<=", ">="]


@dataclass(frozen=True)
class Figure:
    """One measured figure.

    Attributes:
        key: a stable identifier (``multi/burst-of-5/pinned``).
        label: what was measured, as the docs table says it.
        value: the measured value, in `unit`.
        unit: ``x`` (a ratio), ``s``, ``ms``, ``us``, ``MiB``.
        op, goal: the goal is ``value op goal``.
        detail: the numbers behind a ratio (both sides), for the table.
        command: the command that measures it.
    """

    key: str
    label: str
    value: float
    unit: str
    op: Op
    goal: float
    detail: str
    command: str
    measured: str = ""  # ISO date, set when recorded
    machine: str = ""


def met(figure: Figure) -> bool:
    """The figure meets its goal."""
    if figure.op == "<=":
        return figure.value <= figure.goal
    return figure.value >= figure.goal


def _machine() -> str:
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python " + (
        platform.python_version()
    )


class Recorder:
    """The figures of one run of ``python -m benchmarks``."""

    def __init__(self) -> None:
        self.figures: list[Figure] = []

    def add(
        self,
        key: str,
        label: str,
        value: float,
        unit: str,
        op: Op,
        goal: float,
        detail: str,
        command: str,
    ) -> None:
        self.figures.append(Figure(key, label, value, unit, op, goal, detail, command))

    def write(self, path: Path = RESULTS) -> None:
        """Merge this run's figures into `path` (replacing figures with the same key)."""
        today, machine = date.today().isoformat(), _machine()
        kept = {f.key: f for f in load(path)}
        for f in self.figures:
            kept[f.key] = Figure(**{**asdict(f), "measured": today, "machine": machine})
        ordered = sorted(kept.values(), key=lambda f: f.key)
        payload = {
            "note": "written by python -m benchmarks --record; rendered in docs/background/"
            "engines.md; do not edit by hand",
            "last_command": shlex.join(["python", "-m", "benchmarks", *sys.argv[1:]]),
            "figures": [asdict(f) for f in ordered],
        }
        path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")


def load(path: Path = RESULTS) -> list[Figure]:
    """The figures recorded in `path` (none if it does not exist)."""
    if not path.exists():
        return []
    payload = json.loads(path.read_text(encoding="utf-8"))
    return [Figure(**f) for f in payload["figures"]]


#: the figures of this run; the suites add to it, ``python -m benchmarks --record`` writes it
RECORD = Recorder()
