"""Benchmarks, each printing a ratio measured in the same run as its baseline.

1. Engine cost per trial: racesim's reference engine (simulation, trace and outcome) against the
   minimal hand-written SimPy model in ``benchmarks/minimal.py``, on the same sampled durations.
   Goal: at most 3x. The engine's cost is also split into ``simulate`` alone (SimPy run and trace)
   and the outcome computed from the trace (the difference). Then the engine end to end:
   ``run_trials(engine="simpy")`` of ``parallel`` on f8af4c1 plus the summary ``racesim compare``
   prints (sampling, simulation, outcome, metrics, summary) against ``minimal_study``, the minimal
   model that also samples its durations and summarises. Goal: at most 3x.
2. Parallel speed-up: 20,000 trials of the built-in f8af4c1 scenario (four strategies each, on the
   SimPy engine: the vectorised fast path needs no pool) on
   2 worker processes against 1 (in-process, as ``--jobs 1`` runs). Goal: at least 1.6x.

3. Speed of the fast path, exact answers and the linear engine (``--suite speed``, see
   ``benchmarks/speed.py``): fast path against the SimPy engine and against minimal numpy,
   ``racesim compare --trials 1000000``, a classroom redraw, growth with the number of pushes.

4. Proof time (``--suite prove``): ``racesim.prove`` on every preset and property for 1, 2 and 3
   pushes. Goal: every 2-push answer in under 10 s on one core.

5. Search recall (``--suite recall``, see ``benchmarks/recall.py``): of the counterexamples
   ``prove`` finds over every preset and property for 1 to 3 pushes, the share the default
   search finds too. Goal: 100%.

6. Memory (``--suite memory``, see ``benchmarks/memory.py``): peak memory of ``racesim compare
   --trials N`` in a subprocess for N = 10^5 and 10^6 (and 10^7 with ``--memory-1e7``), against
   N = 10^5. Goal: flat in N (streamed summaries), 10^7 trials under 300 MiB.

7. Audit wall time (``--suite audit``, see ``benchmarks/audit.py``): ``racesim audit`` in a fresh
   process on every shared workflow case, against ``python -c pass`` measured in the same run
   (and, with ``--audit-against DIR``, against another checkout of racesim, case by case).
   Goal: a median under 1 s.

8. Multi-push fast path end to end (``--suite multi``, see ``benchmarks/multi.py``):
   ``run_trials`` auto against SimPy per trial (sampling included), per preset the multi-push
   path accepts, on two-pushes-out-of-order and burst-of-5; ``racesim compare --scenario
   burst-of-5 --trials 1000000 --jobs 1`` (goal < 60 s wall).

9. Multi-push decision (``--suite decision``, see ``benchmarks/decision.py``): the fast path's
   decision against the SimPy engine on the same sampled histories, per preset and scenario
   (sampling left out of both sides, as in the one-push figure). Goal: >= 200x.

10. Multi-push equivalence (``--suite equivalence``): auto against SimPy on ``--histories N``
    (default 10^5) histories per accepted preset and scenario. Goal: 0 rows differ.

``--record`` writes every figure measured to ``benchmarks/results.json``, which the docs render
as the cost table of ``docs/background/engines.md`` (see ``benchmarks/record.py``).

Usage: ``python -m benchmarks [--suite engine,parallel,speed,prove,recall,memory,audit,multi,
decision,equivalence] [--record] [--trials-engine N] [--trials-parallel N] [--trials-speed N]
[--skip-compare] [--memory-1e7] [--repeat R] [--audit-repeat R] [--audit-against DIR]
[--audit-no-bytecode] [--multi-fast-trials N] [--multi-simpy-trials N] [--multi-skip-compare]
[--decision-fast-trials N] [--decision-simpy-trials N] [--histories N]`` (default suites:
engine, parallel and speed; ``python dev.py bench`` runs this).
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor

from benchmarks.audit import bench_audit
from benchmarks.common import best_of, best_of_each, verdict
from benchmarks.decision import bench_decision
from benchmarks.guards import EXPECTED_EVENTS_PARALLEL, check_engine
from benchmarks.memory import bench_memory
from benchmarks.minimal import minimal_parallel, minimal_study
from benchmarks.multi import bench_equivalence, bench_multi
from benchmarks.prove import bench_prove
from benchmarks.recall import bench_recall
from benchmarks.record import RECORD, RESULTS
from benchmarks.speed import run_speed
from racesim import simulate
from racesim.scenarios import load_scenario
from racesim.studies.summary import SUMMARY_COLUMNS, summarize
from racesim.studies.trials import run_trials, trial_history


def bench_engine(trials: int, repeat: int) -> tuple[float, bool]:
    scenario = load_scenario("f8af4c1")
    histories = [trial_history(scenario, 0, i) for i in range(trials)]
    durations = [h.pushes[0].durations for h in histories]

    # both must agree trial by trial, at the usual cost, before their speed means anything
    check_engine(histories[:500])

    def engine() -> None:
        for h in histories:
            simulate("parallel", h).outcome  # noqa: B018 - the outcome is part of the cost

    def engine_trace_only() -> None:
        for h in histories:
            simulate("parallel", h)

    def minimal() -> None:
        for d in durations:
            minimal_parallel(d)

    t_engine, t_minimal, t_trace = best_of_each(repeat, engine, minimal, engine_trace_only)
    ratio = t_engine / t_minimal
    print(f"[engine] {trials} trials of parallel, best of {repeat}")
    print(f"  racesim engine (trace + outcome): {t_engine / trials * 1e6:8.1f} us/trial")
    print(f"    simulate (SimPy run + trace):   {t_trace / trials * 1e6:8.1f} us/trial")
    print(
        f"    outcome (assess the trace):     {(t_engine - t_trace) / trials * 1e6:8.1f} us/trial"
    )
    print(f"  minimal hand-written SimPy model: {t_minimal / trials * 1e6:8.1f} us/trial")
    print(f"  events per trial: {EXPECTED_EVENTS_PARALLEL}")
    print(f"  ratio engine / minimal: {ratio:.2f}x   (goal <= 3x: {verdict(ratio <= 3)})")
    RECORD.add(
        "engine/vs-minimal",
        "SimPy engine (simulation, trace, outcome) against a minimal hand-written SimPy model",
        ratio,
        "x",
        "<=",
        3,
        f"{t_engine / trials * 1e6:.1f} vs {t_minimal / trials * 1e6:.1f} µs a trial",
        "python -m benchmarks --suite engine",
    )
    return ratio, ratio <= 3


def bench_end_to_end(trials: int, repeat: int) -> tuple[float, bool]:
    """Sampling, simulation, outcome and summary per trial, racesim against the minimal model."""
    scenario = load_scenario("f8af4c1")
    found: dict[str, tuple[float, float]] = {}

    def engine() -> None:
        # what `racesim compare --engine simpy --strategy parallel` computes (no plots)
        results = run_trials(
            scenario,
            ["parallel"],
            trials=trials,
            progress=False,
            engine="simpy",
            columns=SUMMARY_COLUMNS,
        )
        row = summarize(results).iloc[0]
        found["racesim"] = float(row["p_stale"]), float(results["push_to_live_s"].mean())

    def minimal() -> None:
        found["minimal"] = minimal_study(scenario, trials)

    t_engine, t_minimal = best_of_each(repeat, engine, minimal)
    ratio = t_engine / t_minimal
    print(f"[engine end to end] {trials} trials of parallel on f8af4c1, best of {repeat}")
    print(f"  racesim run_trials + summarize:   {t_engine / trials * 1e6:8.1f} us/trial")
    print(f"  minimal sampling + SimPy + mean:  {t_minimal / trials * 1e6:8.1f} us/trial")
    # different random numbers, the same distributions: the estimates agree within noise
    for name, (stale, lead) in found.items():
        print(f"  {name:8s} P(stale) {stale:.3f}, mean push to live when fresh {lead:6.1f} s")
    print(f"  ratio racesim / minimal: {ratio:.2f}x   (goal <= 3x: {verdict(ratio <= 3)})")
    RECORD.add(
        "engine/end-to-end",
        "SimPy engine end to end (sampling, simulation, outcome, summary) against the minimal "
        "model",
        ratio,
        "x",
        "<=",
        3,
        f"{t_engine / trials * 1e6:.1f} vs {t_minimal / trials * 1e6:.1f} µs a trial",
        "python -m benchmarks --suite engine",
    )
    return ratio, ratio <= 3


def bench_parallel(trials: int, repeat: int) -> tuple[float, bool]:
    scenario = load_scenario("f8af4c1")
    strategies = list(scenario.strategies)

    def one() -> None:
        run_trials(scenario, strategies, trials=trials, seed=1, progress=False, engine="simpy")

    def two() -> None:
        with ProcessPoolExecutor(max_workers=2) as pool:
            run_trials(
                scenario,
                strategies,
                trials=trials,
                seed=1,
                executor=pool,
                progress=False,
                engine="simpy",
            )

    t_one, t_two = best_of(repeat, one), best_of(repeat, two)
    speedup = t_one / t_two
    print(
        f"[parallel] {trials} trials x {len(strategies)} strategies, best of {repeat}, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"  1 worker (in-process): {t_one:6.2f} s")
    print(f"  2 worker processes:    {t_two:6.2f} s")
    print(f"  speed-up: {speedup:.2f}x   (goal >= 1.6x: {verdict(speedup >= 1.6)})")
    return speedup, speedup >= 1.6


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--trials-engine", type=int, default=5000)
    parser.add_argument("--trials-parallel", type=int, default=20_000)
    parser.add_argument("--trials-speed", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--audit-repeat", type=int, default=1, help="audit suite: runs per case (best is kept)"
    )
    parser.add_argument(
        "--audit-against",
        metavar="DIR",
        help="audit suite: also time this checkout of racesim (e.g. a worktree of the previous "
        "release) in the same run, and print the ratios",
    )
    parser.add_argument(
        "--audit-no-bytecode",
        action="store_true",
        help="audit suite: do not compile racesim's bytecode beforehand (keep the environment's "
        "PYTHONDONTWRITEBYTECODE)",
    )
    parser.add_argument(
        "--skip-compare", action="store_true", help="speed suite: skip compare --trials 1000000"
    )
    parser.add_argument(
        "--memory-1e7",
        action="store_true",
        help="memory suite: also compare --trials 10000000 (10 to 20 s)",
    )
    parser.add_argument(
        "--multi-fast-trials",
        type=int,
        default=200_000,
        help="multi suite: trials of run_trials(engine='auto') per preset and scenario",
    )
    parser.add_argument(
        "--multi-simpy-trials",
        type=int,
        default=2000,
        help="multi suite: trials of run_trials(engine='simpy') per preset and scenario",
    )
    parser.add_argument(
        "--multi-skip-compare",
        action="store_true",
        help="multi suite: skip compare --scenario burst-of-5 --trials 1000000",
    )
    parser.add_argument(
        "--decision-fast-trials",
        type=int,
        default=200_000,
        help="decision suite: sampled trials the fast path decides per preset and scenario",
    )
    parser.add_argument(
        "--decision-simpy-trials",
        type=int,
        default=1000,
        help="decision suite: of those, trials the SimPy engine decides",
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help=f"write every figure measured to {RESULTS.relative_to(RESULTS.parents[1])} (the "
        "docs' cost table), replacing earlier figures of the same measurement",
    )
    parser.add_argument(
        "--histories",
        type=int,
        default=100_000,
        help="equivalence suite: histories per accepted preset and scenario",
    )
    parser.add_argument(
        "--suite",
        default="engine,parallel,speed",
        help="comma-separated suites to run: engine, parallel, speed, prove, recall, memory, "
        "audit, multi, decision, equivalence (default: engine,parallel,speed)",
    )
    args = parser.parse_args()
    suites = {s.strip() for s in args.suite.split(",")}
    unknown = suites - {
        "engine",
        "parallel",
        "speed",
        "prove",
        "recall",
        "memory",
        "audit",
        "multi",
        "decision",
        "equivalence",
    }
    if unknown:
        parser.error(f"--suite: unknown suite(s) {', '.join(sorted(unknown))}")
    summary, ok = [], True
    if "engine" in suites:
        ratio, passed = bench_engine(args.trials_engine, args.repeat)
        summary.append(f"engine/minimal {ratio:.2f}x")
        ok &= passed
        ratio, passed = bench_end_to_end(args.trials_engine, args.repeat)
        summary.append(f"end-to-end/minimal {ratio:.2f}x")
        ok &= passed
    if "parallel" in suites:
        speedup, passed = bench_parallel(args.trials_parallel, max(1, args.repeat - 1))
        summary.append(f"2-worker speed-up {speedup:.2f}x")
        ok &= passed
    if "speed" in suites:
        lines, passed = run_speed(args.trials_speed, args.repeat, args.skip_compare)
        summary += lines
        ok &= passed
    if "prove" in suites:
        slowest, passed = bench_prove()
        summary.append(f"slowest 2-push proof {slowest:.2f} s")
        ok &= passed
    if "recall" in suites:
        recall, passed = bench_recall()
        summary.append(f"search recall {recall:.0%}")
        ok &= passed
    if "memory" in suites:
        lines, passed = bench_memory(args.memory_1e7)
        summary += lines
        ok &= passed
    if "audit" in suites:
        median, passed = bench_audit(
            args.audit_repeat, args.audit_against, bytecode=not args.audit_no_bytecode
        )
        summary.append("audit skipped" if median is None else f"median audit {median:.2f} s")
        ok &= passed
    if "multi" in suites:
        lines, passed = bench_multi(
            args.multi_fast_trials, args.multi_simpy_trials, args.repeat, args.multi_skip_compare
        )
        summary += lines
        ok &= passed
    if "decision" in suites:
        lines, passed = bench_decision(
            args.decision_fast_trials, args.decision_simpy_trials, args.repeat
        )
        summary += lines
        ok &= passed
    if "equivalence" in suites:
        lines, passed = bench_equivalence(args.histories)
        summary += lines
        ok &= passed
    print(f"\nsummary: {', '.join(summary)}")
    if args.record:
        RECORD.write()
        print(f"recorded {len(RECORD.figures)} figures in {RESULTS}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
