"""``racesim demo``: the headline story in one folder of pictures and tables.

It replays f8af4c1 to the second, compares the incident plan's four strategies over sampled
timings, sweeps the sleep length, and writes every picture and table into one folder.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from racesim._util.paths import check_output_dir
from racesim.cli._common import add_execution_options, executor_for, records, show_progress, whole
from racesim.limits import MAX_TRIALS

SLEEPS = [float(s) for s in range(0, 181, 10)]
#: the risk the sleep pictures mark: the shortest sleep whose stale probability reaches it
RISK = 0.01


def next_steps(out: Path) -> str:
    """What to open first and what to try next, printed at the end of the demo."""
    return "\n".join(
        [
            "Open first:",
            f"  {out / 'f8af4c1-timeline.png'}  the incident to the second: when the deploy "
            "pulled and what it got",
            f"  {out / 'summary.txt'}  how often each strategy ships stale code over sampled "
            "timings",
            "Try next:",
            "  racesim replay f8af4c1 --gif race.gif      the same race, animated for a slide",
            "  racesim check workflow_run                 the shortest history that breaks a fix",
            "  racesim compare --scenario burst-of-5      a burst of pushes instead of one",
            "  racesim classroom                          sliders in the browser, for a class",
        ]
    )


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="replay f8af4c1, compare strategies, sweep the sleep, write plots to a folder",
        description="Replay the f8af4c1 incident, compare the incident plan's strategies over "
        "sampled timings of the built-in f8af4c1 scenario, sweep the sleep length from 0 to 180 s, "
        "and write every picture and table into one output folder.",
        epilog="exit status: 0 done and the replay reproduces the incident; 1 it does not; "
        "2 bad input (one line on stderr)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("racesim-demo"),
        metavar="DIR",
        help="output folder (default: racesim-demo)",
    )
    p.add_argument(
        "--trials",
        type=whole(1, MAX_TRIALS),
        default=100_000,
        metavar="N",
        help="trials per strategy in the comparison (default: 100000; one push takes the "
        "vectorised fast path)",
    )
    p.add_argument(
        "--sweep-trials",
        type=whole(1, MAX_TRIALS),
        default=20_000,
        metavar="N",
        help="trials per sleep value in the sweep (default: 20000; the exact curve is drawn too)",
    )
    add_execution_options(p)
    return p


def run(args: argparse.Namespace) -> int:
    from racesim.cli.compare import summary_table
    from racesim.core.strategy import SEED_PRESETS
    from racesim.incidents import load_incident, replay
    from racesim.incidents.report import replay_frames, replay_report
    from racesim.plot.figures import (
        save_comparison_figures,
        save_counterfactual_timelines,
        save_replay_timeline,
        save_sweep_figure,
    )
    from racesim.scenarios import load_scenario
    from racesim.studies.exact import exact_sweep
    from racesim.studies.summary import summarize
    from racesim.studies.sweep import sweep
    from racesim.studies.trials import run_trials

    started = time.perf_counter()
    out: Path = check_output_dir(args.out, "--out")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    # 1. the incident, to the second
    result = replay(load_incident("f8af4c1"))
    written.append(save_replay_timeline(result, out / "f8af4c1-timeline.png"))
    written.append(
        save_counterfactual_timelines(result, SEED_PRESETS, out / "f8af4c1-counterfactuals.png")
    )
    report = replay_report(result)
    (out / "replay.txt").write_text(report + "\n", encoding="utf-8")
    (out / "replay.json").write_text(
        json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8"
    )
    written += [out / "replay.txt", out / "replay.json"]
    for name, frame in replay_frames(result).items():
        frame.to_csv(out / f"replay-{name}.csv", index=False)
        written.append(out / f"replay-{name}.csv")

    # 2. the strategies over sampled timings, and 3. the sleep sweep
    scenario = load_scenario("f8af4c1")
    progress = show_progress(args)
    with executor_for(args.jobs) as executor:
        results = run_trials(
            scenario,
            SEED_PRESETS,
            trials=args.trials,
            seed=args.seed,
            executor=executor,
            progress=progress,
        )
        sleeps = sweep(
            scenario,
            "sleep",
            SLEEPS,
            trials=args.sweep_trials,
            seed=args.seed,
            executor=executor,
            progress=progress,
        )
    summary = summarize(results)
    sleep_summary = summarize(sleeps, ["knob", "value", "strategy"])
    written += save_comparison_figures(results, summary, out, scenario.name)
    exact_curve = exact_sweep(scenario, "sleep", SLEEPS)
    written.append(
        save_sweep_figure(
            sleep_summary, out / "sleep-sweep.png", summary, exact=exact_curve, risk=RISK
        )
    )
    written.append(  # the same on a log axis: the tail that decides a long sleep
        save_sweep_figure(
            sleep_summary,
            out / "sleep-sweep-log.png",
            summary,
            exact=exact_curve,
            log=True,
            risk=RISK,
        )
    )
    summary.to_csv(out / "summary.csv", index=False)
    sleep_summary.to_csv(out / "sleep-sweep.csv", index=False)
    (out / "summary.json").write_text(
        json.dumps(records(summary), indent=2) + "\n", encoding="utf-8"
    )
    written += [out / "summary.csv", out / "sleep-sweep.csv", out / "summary.json"]

    text = [
        report,
        "",
        f"Monte Carlo: scenario {scenario.name}, {args.trials} trials per strategy, "
        f"seed {args.seed}",
        summary_table(summary),
        "",
        f"Sleep sweep: parallel + sleep N s, {args.sweep_trials} trials per value",
        summary_table(sleep_summary, ("value",)),
    ]
    (out / "summary.txt").write_text("\n".join(text) + "\n", encoding="utf-8")
    written.append(out / "summary.txt")
    print("\n".join(text))
    print(f"\nwritten in {time.perf_counter() - started:.1f} s:")
    print("\n".join(f"  {p}" for p in written))
    print()
    print(next_steps(out))
    return 0 if result.reproduced else 1
