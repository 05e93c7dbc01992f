"""``racesim sweep KNOB START:STOP:STEP``: how the stale probability moves with one knob."""

from __future__ import annotations

import argparse
from typing import Any

from racesim._util.paths import make_output_dir
from racesim.cli._common import (
    EXIT_OK_OR_BAD_INPUT,
    add_run_options,
    dump_json,
    executor_for,
    probability,
    show_progress,
    strategy_names,
    trials_for,
)
from racesim.cli._names import SWEEP_KNOBS
from racesim.errors import InputError


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "sweep",
        help="sweep one knob (sleep seconds, build median, pickup tail, ...)",
        description="Run the same sampled trials at every value of one knob. KNOB is one of "
        f"{', '.join(SWEEP_KNOBS)}, strategy.<knob>, or a scenario path such as "
        "timings.build.p95.",
        epilog=EXIT_OK_OR_BAD_INPUT,
    )
    p.add_argument("knob", metavar="KNOB", help="what to vary (for example sleep)")
    p.add_argument(
        "values",
        metavar="START:STOP:STEP",
        nargs="+",
        help="values to try: START:STOP:STEP (STOP included) or a,b,c",
    )
    p.add_argument(
        "--reference",
        action="append",
        metavar="NAME",
        help="strategies drawn as levels across the plot (default: workflow_run, merged_job)",
    )
    add_run_options(p, trials=500)
    p.add_argument(
        "--exact",
        action="store_true",
        help="add exact one-push probabilities (p_stale_exact, p_final_wrong_exact, "
        "exact_error_bound) at every value, and the exact curve to the sleep plot",
    )
    p.add_argument(
        "--log-prob",
        action="store_true",
        help="sleep plot: probability on a log axis (shows the tail a long sleep is about)",
    )
    p.add_argument(
        "--risk",
        type=probability,
        metavar="P",
        help="sleep plot: mark the shortest sleep whose stale probability reaches P (the exact "
        "curve with --exact, else the 95%% upper limit), for example 0.01",
    )
    return p


def run(args: argparse.Namespace) -> int:
    if (args.log_prob or args.risk is not None) and args.knob != "sleep":
        flag = "--log-prob" if args.log_prob else "--risk"
        raise InputError(flag, f"applies to the sleep plot only, not to knob {args.knob!r}")
    if (args.log_prob or args.risk is not None) and args.plot is None:
        raise InputError("--log-prob" if args.log_prob else "--risk", "needs --plot DIR")
    if args.plot is not None:
        make_output_dir(args.plot, "--plot")
    from racesim.cli.compare import exact_table, summary_table
    from racesim.scenarios import load_scenario
    from racesim.studies.sweep import apply_knob, parse_range, summarize_sweep, swept_strategies
    from racesim.studies.trials import summarize_trials

    scenario = load_scenario(args.scenario)
    values = sorted({v for text in args.values for v in parse_range(text, "START:STOP:STEP")})
    strategies = strategy_names(args)
    references = args.reference or ["workflow_run", "merged_job"]
    chosen = swept_strategies(args.knob, strategies, scenario)
    try:
        swept = [apply_knob(args.knob, v, scenario, chosen)[0] for v in values]
    except InputError:
        swept = []  # sweep() below says what is wrong with the knob
    args.trials = trials_for(args, swept, len(chosen) * len(values), [s for _, s in chosen])
    # chunk by chunk, keeping no rows: memory does not grow with --trials
    with executor_for(args.jobs) as executor:
        summary = summarize_sweep(
            scenario,
            args.knob,
            values,
            strategies,
            trials=args.trials,
            seed=args.seed,
            executor=executor,
            progress=show_progress(args),
        )
        reference = None
        if args.plot is not None:
            reference = summarize_trials(
                scenario,
                references,
                trials=args.trials,
                seed=args.seed,
                executor=executor,
                progress=show_progress(args),
            )
    exact = None
    if args.exact:
        from racesim.studies.exact import exact_sweep

        exact = exact_sweep(scenario, args.knob, values, strategies)
        columns = ["p_stale_exact", "p_final_wrong_exact", "exact_error_bound"]
        summary = summary.merge(
            exact[["value", "strategy", *columns]], on=["value", "strategy"], how="left"
        )
    if args.plot is not None:
        from racesim.plot.figures import save_sweep_figure

        path = save_sweep_figure(
            summary,
            args.plot / f"sweep-{args.knob}.png",
            reference,
            exact=exact,
            log=args.log_prob,
            risk=args.risk,
        )
    if args.json:
        print(dump_json(summary))
    else:
        print(f"scenario {scenario.name}: {args.trials} trials per value, seed {args.seed}")
        print(summary_table(summary, ("value", "strategy")))
        if exact is not None:
            print("\nexact (one push, by convolution):")
            print(exact_table(summary, ("value", "strategy")))
        if args.plot is not None:
            print(f"\nwritten:\n  {path}")
    return 0
