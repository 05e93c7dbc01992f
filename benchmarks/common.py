"""Timing helpers shared by the benchmarks: best-of-N wall times, child processes measured on
their own, and goal verdicts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

_TIME = "/usr/bin/time"
#: runs a command and prints its peak memory: the children's maximum is per process tree, so a
#: wrapper of its own measures that command alone (where /usr/bin/time is missing)
_WRAPPER = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
    "stdout=subprocess.DEVNULL); u = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(u.ru_utime + u.ru_stime, u.ru_maxrss)"
)


def compare_argv(scenario: str, trials: int, *extra: str) -> list[str]:
    """``racesim compare`` on `scenario` with `trials` trials, as a fresh process would run it."""
    return [
        sys.executable,
        "-m",
        "racesim",
        "compare",
        "--scenario",
        scenario,
        "--trials",
        str(trials),
        *extra,
        "--no-progress",
    ]


@dataclass(frozen=True)
class Child:
    """A command run in a fresh process: wall and CPU seconds, peak memory, and how measured."""

    wall: float
    cpu: float
    peak_bytes: int
    how: str


def run_child(cmd: list[str]) -> Child:
    """Run `cmd` (output discarded) and measure it alone: ``/usr/bin/time -v`` where it exists,
    else ``getrusage(RUSAGE_CHILDREN)`` in a wrapper process of its own (Linux: KiB)."""
    start = time.perf_counter()
    if os.access(_TIME, os.X_OK):
        done = subprocess.run(
            [_TIME, "-v", *cmd], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        wall = time.perf_counter() - start
        err = done.stderr.decode()
        peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
        user = re.search(r"User time \(seconds\): ([\d.]+)", err)
        system = re.search(r"System time \(seconds\): ([\d.]+)", err)
        if peak and user and system:
            cpu = float(user[1]) + float(system[1])
            return Child(wall, cpu, int(peak[1]) * 1024, "/usr/bin/time -v")
        start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cmd], check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    cpu, peak_kib = out.stdout.split()[-2:]
    return Child(wall, float(cpu), int(peak_kib) * 1024, "getrusage(RUSAGE_CHILDREN)")


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def best_of_each(repeat: int, *fns: Callable[[], object]) -> list[float]:
    """The best time of each of `fns` over `repeat` rounds, each round running them in turn.

    Interleaved, so that a change in the machine's load (it may be shared) falls on every side
    of a ratio rather than on whichever ran last.
    """
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, kept in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            kept.append(time.perf_counter() - start)
    return [min(kept) for kept in times]


def verdict(ok: bool) -> str:
    """How a benchmark line reports a goal."""
    return "met" if ok else "NOT met"
