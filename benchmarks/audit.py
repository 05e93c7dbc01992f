"""``racesim audit`` wall time on every shared workflow case, from the command line.

Each version folder of each case in ``../shared/data/workflows`` (``before/``, ``after/`` or
``workflows/``) is audited by ``python -m racesim audit <folder>`` in a fresh subprocess, so the
time includes Python's start-up and every import, as a pre-commit hook would pay it. This
checkout is put first on ``PYTHONPATH``. Printed: each folder's time (the best of `repeat` runs),
the median and the maximum over the folders, and, measured in the same run as the floor the
audit cannot go below, a bare ``python -c pass``. With `against` (another checkout of racesim,
e.g. a worktree of the commit before a change), each folder is also audited with that checkout
first on ``PYTHONPATH``, interleaved with this one's runs, and the ratios are printed.

Both sides run with racesim's bytecode compiled beforehand (``compileall`` into a temporary
``PYTHONPYCACHEPREFIX``), as an installed racesim has it, whatever ``PYTHONDONTWRITEBYTECODE``
says; ``bytecode=False`` (``--audit-no-bytecode``) leaves the environment alone. Goal
(issue "Fast everywhere"): a median under 1 s. Skipped, saying why, when the shared folder is
absent.

Usage: ``python -m benchmarks --suite audit [--audit-repeat R] [--audit-against DIR]``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import verdict
from benchmarks.record import RECORD

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT.parent / "shared" / "data" / "workflows"
VERSIONS = ("before", "after", "workflows")

#: the goal for the median wall time of one audit, in seconds
GOAL_MEDIAN_S = 1.0


def audit_folders(cases: Path = CASES) -> list[Path]:
    """Every version folder of every case, in case order."""
    return [
        case / version
        for case in sorted(p for p in cases.iterdir() if p.is_dir())
        for version in VERSIONS
        if (case / version).is_dir()
    ]


def _env(checkout: Path, pycache: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(checkout), env.get("PYTHONPATH")) if p)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(checkout / "racesim")],
            env=env,
            stdout=subprocess.DEVNULL,
            check=False,
        )
    return env


def _wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def bench_audit(
    repeat: int = 1, against: str | Path | None = None, bytecode: bool = True
) -> tuple[float | None, bool]:
    """Time ``racesim audit`` on every shared case; returns the median (``None`` when skipped)
    and whether it meets the goal (true when skipped)."""
    if not CASES.is_dir():
        print(f"[audit] skipped: the shared workflow cases are not at {CASES}")
        return None, True
    with tempfile.TemporaryDirectory(prefix="racesim-pycache-") as pycache:
        return _bench(max(1, repeat), against, pycache if bytecode else None)


def _bench(runs: int, against: str | Path | None, pycache: str | None) -> tuple[float, bool]:
    sides = {"this": _env(ROOT, pycache)}
    if against is not None:
        sides["against"] = _env(Path(against).resolve(), pycache)
    floor = min(_wall([sys.executable, "-c", "pass"], sides["this"]) for _ in range(3))
    times: dict[str, dict[str, float]] = {side: {} for side in sides}
    for folder in audit_folders():
        argv = [sys.executable, "-m", "racesim", "audit", str(folder)]
        name = f"{folder.parent.name}/{folder.name}"
        kept: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(runs):  # interleaved: a change in load falls on both sides
            for side, env in sides.items():
                kept[side].append(_wall(argv, env))
        for side in sides:
            times[side][name] = min(kept[side])
    mine = times["this"]
    median = statistics.median(mine.values())
    slowest = max(mine, key=mine.__getitem__)
    print(
        f"[audit] racesim audit on {len(mine)} folders of {CASES} "
        f"(a fresh process each, best of {runs}; "
        + ("bytecode compiled beforehand" if pycache else "environment's bytecode setting")
        + ")"
    )
    other = times.get("against")
    head = "this checkout" + (f"   {against}   ratio" if other else "")
    print(f"  {'folder':45s} {head}")
    for name, seconds in sorted(mine.items(), key=lambda kv: kv[1]):
        line = f"  {name:45s} {seconds:7.2f} s"
        if other:
            line += f"   {other[name]:7.2f} s   {other[name] / seconds:5.1f}x"
        print(line)
    print(f"  python -c pass (start-up floor): {floor:.3f} s")
    print(f"  median {median:.2f} s, max {mine[slowest]:.2f} s ({slowest})")
    if other:
        base = statistics.median(other.values())
        print(
            f"  {against}: median {base:.2f} s, max {max(other.values()):.2f} s; "
            f"median ratio {base / median:.1f}x"
        )
    print(f"  median under {GOAL_MEDIAN_S:g} s: {verdict(median < GOAL_MEDIAN_S)}")
    RECORD.add(
        "audit/median",
        f"racesim audit, median wall time over the {len(mine)} folders of the shared cases",
        median,
        "s",
        "<=",
        GOAL_MEDIAN_S,
        f"slowest {mine[slowest]:.1f} s ({slowest}); python -c pass {floor:.3f} s",
        "python -m benchmarks --suite audit",
    )
    return median, median < GOAL_MEDIAN_S
