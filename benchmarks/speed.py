"""Speed benchmarks of issue 12, each figure printed with its goal and whether it is met.

Ratios are measured in the same run as their baselines (the machine's load cancels out):

1. fast path vs the SimPy engine, per trial (goal >= 500x);
2. fast path vs a minimal hand-written numpy evaluation of the same race (goal <= 2x);
3. ``racesim compare --trials 1000000``: wall time and peak memory (goals < 10 s, < 1 GiB);
4. a classroom redraw: 10^4 trials of four strategies through the fast path (goal < 200 ms);
5. growth with push count: seconds per push of one ``parallel`` burst (goal: 10,000 pushes in
   seconds, flat time per push).

Usage: ``python -m benchmarks.speed [--trials N] [--skip-compare]``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

import numpy as np

from benchmarks.__main__ import best_of
from racesim import History, simulate
from racesim.model import Durations
from racesim.montecarlo import run_trials
from racesim.scenarios import load_scenario
from racesim.scenarios.sampled import sample_block


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def minimal_numpy(block_columns: dict[str, np.ndarray]) -> np.ndarray:
    """``parallel`` stale verdicts by hand: the pull precedes the image's visibility."""
    d = block_columns
    visible = d["build_pickup"] + d["build"] + d["push"] + d["registry_lag"]
    pull = d["deploy_pickup"] + d["prepare"]
    return (pull < visible) | d["build_fails"]


def bench_fast(trials: int, repeat: int) -> None:
    scenario = load_scenario("f8af4c1")
    fast_s = best_of(
        repeat,
        lambda: run_trials(scenario, ["parallel"], trials=trials, progress=False, engine="fast"),
    )
    n_simpy = max(200, trials // 100)
    simpy_s = best_of(
        1,
        lambda: run_trials(scenario, ["parallel"], trials=n_simpy, progress=False, engine="simpy"),
    )
    per_fast, per_simpy = fast_s / trials, simpy_s / n_simpy
    block = sample_block(scenario, 0, 0, trials)
    columns = block.pushes[0]
    from racesim.fastpath import fast_columns
    from racesim.strategies import PRESETS

    t_fast_core = best_of(repeat, lambda: fast_columns(PRESETS["parallel"], block))
    t_min = best_of(repeat, lambda: minimal_numpy(columns))
    print(f"[fast path] f8af4c1, parallel, {trials} trials (SimPy: {n_simpy}), best of {repeat}")
    print(f"  run_trials fast:  {per_fast * 1e6:8.2f} us/trial (sampling + frame)")
    print(f"  run_trials simpy: {per_simpy * 1e6:8.2f} us/trial")
    ratio = per_simpy / per_fast
    print(f"  fast vs SimPy: {ratio:.0f}x   (goal >= 500x: {verdict(ratio >= 500)})")
    core = t_fast_core / t_min
    print(f"  fast-path decision {t_fast_core * 1e3:.1f} ms vs minimal numpy {t_min * 1e3:.1f} ms")
    print(f"  fast vs minimal numpy: {core:.1f}x   (goal <= 2x: {verdict(core <= 2)})")


def bench_classroom(repeat: int) -> None:
    scenario = load_scenario("f8af4c1")
    t = best_of(repeat, lambda: run_trials(scenario, trials=10_000, progress=False, engine="fast"))
    print(
        f"[classroom] 10^4 trials x 4 strategies: {t * 1e3:.0f} ms   (goal < 200 ms: "
        f"{verdict(t < 0.2)})"
    )


def bench_compare() -> None:
    cmd = [sys.executable, "-m", "racesim", "compare", "--trials", "1000000", "--no-progress"]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20  # KiB -> GiB
    print(f"[compare] racesim compare --trials 1000000: {wall:.1f} s wall, peak {peak:.2f} GiB")
    print(f"  goal < 10 s: {verdict(wall < 10)}; goal < 1 GiB: {verdict(peak < 1)}")


def bench_growth() -> None:
    d = Durations(3, 72, 0, 20, 3, 3, 32, 5, 13, 22)
    print("[growth] one parallel burst, a push every 7 s")
    for n in (100, 1000, 10_000):
        history = History.at([7.0 * i for i in range(n)], d)
        start = time.perf_counter()
        simulate("parallel", history).outcome  # noqa: B018 - the outcome is part of the cost
        t = time.perf_counter() - start
        print(f"  {n:6d} pushes: {t:7.2f} s   {t / n * 1e3:.3f} ms/push")
    print(f"  goal: 10,000 pushes in seconds: {verdict(t < 60)}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__)
    parser.add_argument("--trials", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-compare", action="store_true")
    args = parser.parse_args()
    bench_fast(args.trials, args.repeat)
    bench_classroom(args.repeat)
    if not args.skip_compare:
        bench_compare()
    bench_growth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
