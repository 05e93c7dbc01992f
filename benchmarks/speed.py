"""Speed benchmarks of issue 12, each figure printed with its goal and whether it is met.

Ratios are measured in the same run as their baselines (the machine's load cancels out):

1. fast path vs the SimPy engine, per trial (goal >= 500x);
2. fast path vs a minimal hand-written numpy evaluation of the same race, computing the same 20
   result columns (goal <= 2x); the stale verdict alone is printed for scale;
3. ``racesim compare --trials 1000000``: wall time and peak memory (goals < 10 s, < 1 GiB);
4. a classroom redraw: 10^4 trials of four strategies through the fast path (goal < 200 ms);
5. growth with push count: seconds per push of one ``parallel`` burst (goal: 10,000 pushes in
   seconds, flat time per push).

Usage: ``python -m benchmarks.speed [--trials N] [--skip-compare]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import numpy as np

from benchmarks.common import best_of, run_child, verdict
from benchmarks.record import RECORD
from racesim import History, simulate
from racesim.core.history import DURATION_FIELDS, Durations
from racesim.scenarios import load_scenario
from racesim.studies.sampled import sample_block
from racesim.studies.trials import run_trials


def minimal_stale(d: dict[str, np.ndarray]) -> np.ndarray:
    """``parallel`` stale verdicts by hand: the pull precedes the image's visibility."""
    visible = d["build_pickup"] + d["build"] + d["push"] + d["registry_lag"]
    pull = d["deploy_pickup"] + d["prepare"]
    return (pull < visible) | d["build_fails"]


def minimal_columns(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every result column of ``parallel`` (the columns the fast path returns), by hand.

    The least numpy one would write for this one strategy: one push at 0, both workflows on
    ``push``, the deploy pulls ``latest`` from the build registry and mirrors it. Constant columns
    share one array each, as they would in hand-written code.
    """
    ok = ~d["build_fails"]
    lag = d["registry_lag"]
    started = d["build_pickup"]
    built = started + d["build"]
    pushed = built + d["push"]
    visible = pushed + lag
    build_end = np.where(ok, pushed + d["build_verify"], built)
    pull = d["deploy_pickup"] + d["prepare"]
    fresh = ok & (visible <= pull) & (lag == 0)  # the mirror reads the deploy registry at once
    stale = ~fresh
    live = pull + d["mirror"] + d["rollout"]
    deploy_end = live + d["deploy_verify"]
    end = np.maximum(np.maximum(build_end, np.where(ok, visible, 0.0)), deploy_end)
    late = live - visible
    behind = np.where(
        fresh,
        late,
        np.where(late > 0, late + np.maximum(end - live, 0.0), np.maximum(end - visible, 0.0)),
    )
    behind[~ok] = 0.0
    n = len(ok)
    zeros, ones = np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64)
    stale_count = stale.astype(np.int64)
    return {
        "pushes": ones,
        "deploys": ones,
        "stale": stale,
        "stale_deploys": stale_count,
        "identity_errors": stale_count,
        "failed_deploys": zeros,
        "skipped_deploys": zeros,
        "final_live": fresh.astype(np.int64),
        "newest_built": ok.astype(np.int64),
        "final_correct": fresh | ~ok,
        "regressions": zeros,
        "regressed": np.zeros(n, dtype=np.bool_),
        "never_deployed": (ok & stale).astype(np.int64),
        "behind_s": behind,
        "push_to_live_s": np.where(fresh, live, np.nan),
        "min_pull_margin_s": np.where(ok, pull - visible, np.nan),
        "latest_correct": np.ones(n, dtype=np.bool_),
        "runner_s": (build_end - started) + (deploy_end - d["deploy_pickup"]),
        "cancelled_runs": zeros,
        "end_s": end,
    }


def bench_fast(trials: int, repeat: int) -> tuple[list[str], bool]:
    from racesim.core.strategy import PRESETS
    from racesim.studies.fastpath import fast_columns
    from racesim.studies.trials import _simulated

    scenario = load_scenario("f8af4c1")
    parallel = PRESETS["parallel"]
    block = sample_block(scenario, 0, 0, trials)
    d = block.pushes[0]
    fast, _ = fast_columns(parallel, block)
    by_hand = minimal_columns(d)
    assert set(by_hand) == set(fast) - {f"sampled_{name}" for name in DURATION_FIELDS}
    for name, values in by_hand.items():  # the same race, or the ratio means nothing
        assert np.array_equal(values, fast[name], equal_nan=True), name
    n_simpy = max(200, trials // 200)
    histories = [block.history(i) for i in range(n_simpy)]
    t_simpy = best_of(1, lambda: [_simulated(parallel, h) for h in histories]) / n_simpy
    t_fast = best_of(repeat, lambda: fast_columns(parallel, block)) / trials
    t_run = (
        best_of(
            repeat,
            lambda: run_trials(
                scenario, ["parallel"], trials=trials, progress=False, engine="fast"
            ),
        )
        / trials
    )
    t_hand = best_of(repeat, lambda: minimal_columns(d)) / trials
    t_stale = best_of(repeat, lambda: minimal_stale(d)) / trials
    print(f"[fast path] f8af4c1, parallel, {trials} trials (SimPy: {n_simpy}), best of {repeat}")
    print(f"  SimPy engine (simulate + outcome + row):  {t_simpy * 1e6:9.2f} us/trial")
    print(f"  fast path decision (same durations):      {t_fast * 1e6:9.3f} us/trial")
    print(f"  run_trials engine='fast' (sampling+frame): {t_run * 1e6:9.3f} us/trial")
    print(f"  minimal numpy, all 20 columns by hand:    {t_hand * 1e6:9.3f} us/trial")
    print(f"  minimal numpy, stale verdict only:        {t_stale * 1e6:9.3f} us/trial")
    ratio = t_simpy / t_fast
    print(f"  fast vs SimPy (decision): {ratio:.0f}x   (goal >= 500x: {verdict(ratio >= 500)})")
    print(f"  fast vs SimPy (run_trials end to end): {t_simpy / t_run:.0f}x")
    core = t_fast / t_hand
    print(
        f"  fast vs minimal numpy (same columns): {core:.1f}x   (goal <= 2x: {verdict(core <= 2)})"
    )
    print(f"  fast vs minimal numpy (stale only): {t_fast / t_stale:.1f}x")
    RECORD.add(
        "fast/one-push-vs-simpy",
        "one-push fast path against SimPy, f8af4c1, parallel",
        ratio,
        "x",
        ">=",
        500,
        f"{t_fast * 1e6:.3f} vs {t_simpy * 1e6:.0f} µs a trial",
        "python -m benchmarks --suite speed",
    )
    RECORD.add(
        "fast/one-push-vs-numpy",
        "one-push fast path against minimal numpy computing the same 20 columns",
        core,
        "x",
        "<=",
        2,
        f"{t_fast * 1e6:.3f} vs {t_hand * 1e6:.3f} µs a trial",
        "python -m benchmarks --suite speed",
    )
    return [f"fast/SimPy {ratio:.0f}x", f"fast/numpy {core:.2f}x"], ratio >= 500 and core <= 2


def bench_classroom(repeat: int) -> tuple[list[str], bool]:
    scenario = load_scenario("f8af4c1")
    t = best_of(repeat, lambda: run_trials(scenario, trials=10_000, progress=False, engine="fast"))
    print(
        f"[classroom] 10^4 trials x 4 strategies: {t * 1e3:.0f} ms   (goal < 200 ms: "
        f"{verdict(t < 0.2)})"
    )
    return [f"classroom redraw {t * 1e3:.0f} ms"], t < 0.2


def bench_compare() -> tuple[list[str], bool]:
    cmd = [sys.executable, "-m", "racesim", "compare", "--trials", "1000000", "--no-progress"]
    child = run_child(cmd)
    wall, cpu, peak = child.wall, child.cpu, child.peak_bytes / 2**30
    print("[compare] racesim compare --trials 1000000 (4 strategies, one process)")
    print(f"  wall {wall:.1f} s, CPU {cpu:.1f} s (wall > CPU means a loaded machine)")
    print(f"  peak memory {peak:.2f} GiB")
    print(
        f"  goal < 10 s: wall {verdict(wall < 10)}, CPU {verdict(cpu < 10)}; "
        f"goal < 1 GiB: {verdict(peak < 1)}"
    )
    return [f"compare 1e6 {cpu:.1f} s CPU, {peak:.2f} GiB"], cpu < 10 and peak < 1


def bench_growth() -> tuple[list[str], bool]:
    d = Durations(3, 72, 0, 20, 3, 3, 32, 5, 13, 22)
    print("[growth] one parallel burst, a push every 7 s")
    for n in (100, 1000, 10_000):
        history = History.at([7.0 * i for i in range(n)], d)
        start = time.perf_counter()
        simulate("parallel", history).outcome  # noqa: B018 - the outcome is part of the cost
        t = time.perf_counter() - start
        print(f"  {n:6d} pushes: {t:7.2f} s   {t / n * 1e3:.3f} ms/push")
    print(f"  goal: 10,000 pushes in seconds (< 10 s): {verdict(t < 10)}")
    return [f"10,000 pushes {t:.1f} s"], t < 10


def run_speed(trials: int, repeat: int, skip_compare: bool) -> tuple[list[str], bool]:
    """Every speed benchmark; returns their summary lines and whether every goal was met."""
    lines, ok = [], True
    runs: list[Callable[[], tuple[list[str], bool]]] = [
        lambda: bench_fast(trials, repeat),
        lambda: bench_classroom(repeat),
        *([] if skip_compare else [bench_compare]),
        bench_growth,
    ]
    for run in runs:
        more, met = run()
        lines += more
        ok &= met
    return lines, ok


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__)
    parser.add_argument("--trials", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-compare", action="store_true")
    args = parser.parse_args()
    lines, ok = run_speed(args.trials, args.repeat, args.skip_compare)
    print(f"\nsummary: {', '.join(lines)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
