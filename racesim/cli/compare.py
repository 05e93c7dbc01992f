"""``racesim compare``: stale-deploy probability and lead time per strategy over sampled timings."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from racesim._util.paths import make_output_dir
from racesim.cli._common import (
    EXIT_OK_OR_BAD_INPUT,
    add_max_risk,
    add_run_options,
    dump_json,
    executor_for,
    percent,
    seconds,
    show_progress,
    strategy_names,
    trials_for,
)
from racesim.cli._names import ENGINE_NAMES, with_flags
from racesim.errors import InputError
from racesim.limits import MAX_TRIALS

if TYPE_CHECKING:
    import pandas as pd

#: why compare and replay can disagree, printed under the table
SAMPLED_NOTE = (
    "These rates are over sampled timings (the scenario's distributions); `racesim replay` says "
    "whether a strategy prevents one incident with that incident's own durations."
)


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "compare",
        help="compare strategies over sampled timings (Monte Carlo)",
        description="Sample histories from a scenario and simulate every strategy on each one; "
        "report how often each deploys stale code, with 95% Wilson intervals, and end with the "
        "quickest strategy whose risk is under --max-risk.",
        epilog=EXIT_OK_OR_BAD_INPUT,
    )
    add_run_options(p, trials=2000)
    p.add_argument(
        "--exact",
        action="store_true",
        help="add exact one-push probabilities (p_stale_exact, p_final_wrong_exact, "
        "exact_error_bound) beside the Monte Carlo estimates",
    )
    p.add_argument(
        "--engine",
        choices=ENGINE_NAMES,
        default="auto",
        help="auto: the vectorised fast path where it applies (default); simpy: always the "
        "reference engine",
    )
    add_max_risk(p)
    return p


def _with_exact(summary: pd.DataFrame, scenario: Any) -> pd.DataFrame:
    """`summary` with the exact one-push values of each strategy beside its estimates."""
    from racesim.studies.exact import exact

    results = [exact(scenario, name) for name in summary["strategy"]]
    out = summary.copy()
    for column, after, values in (
        ("p_stale_exact", "p_stale", [r.p_stale for r in results]),
        ("p_final_wrong_exact", "p_final_wrong", [r.p_final_wrong for r in results]),
        ("exact_error_bound", "p_final_wrong_exact", [r.error_bound for r in results]),
    ):
        out.insert(list(out.columns).index(after) + 1, column, values)
    return out


def exact_table(summary: pd.DataFrame, keys: tuple[str, ...] = ("strategy",)) -> str:
    """The exact columns of `summary` (``p_stale_exact``, ...) as a table, one row per key."""
    from racesim._util.table import format_table

    rows = [
        (
            *(f"{r[k]:g}" if isinstance(r[k], float) else r[k] for k in keys),
            f"{r['p_stale_exact']:.6f}",
            f"{r['p_final_wrong_exact']:.6f}",
            f"{r['exact_error_bound']:.1e}",
        )
        for r in summary.to_dict(orient="records")
    ]
    return format_table(rows, [*keys, "P(stale)", "P(ends wrong)", "error bound"])


def summary_table(summary: pd.DataFrame, keys: tuple[str, ...] = ("strategy",)) -> str:
    rows = [
        (
            *(r[k] for k in keys),
            r["trials"],
            percent(r["p_stale"], r["p_stale_low"], r["p_stale_high"]),
            percent(r["p_final_wrong"], r["p_final_wrong_low"], r["p_final_wrong_high"]),
            seconds(r["push_to_live_median_s"]),
            seconds(r["push_to_live_p95_s"]),
            f"{r['runner_s_mean']:.0f} s",
        )
        for r in summary.to_dict(orient="records")
    ]
    headers = [
        *keys,
        "trials",
        "P(stale deploy) [95% CI]",
        "P(ends wrong) [95% CI]",
        "push to live p50",
        "p95",
        "runner time",
    ]
    from racesim._util.table import format_table

    return format_table(rows, headers)


def run(args: argparse.Namespace) -> int:
    if args.plot is not None and args.trials is not None and args.trials > MAX_TRIALS:
        raise InputError(
            "--trials",
            f"{args.trials:,} trials with --plot (which keeps every trial's row) is beyond "
            f"racesim's limit of {MAX_TRIALS:,}; see docs/reference/limits.md",
        )
    if args.plot is not None:
        make_output_dir(args.plot, "--plot")
    from racesim.scenarios import load_scenario
    from racesim.studies.recommend import recommend
    from racesim.studies.summary import summarize
    from racesim.studies.trials import chosen_strategies, run_trials, summarize_trials

    scenario = load_scenario(args.scenario)
    strategies = strategy_names(args)
    chosen = chosen_strategies(strategies, scenario)
    args.trials = trials_for(args, [scenario], len(chosen), [s for _, s in chosen])
    results = None
    with executor_for(args.jobs) as executor:
        if args.plot is None:
            # chunk by chunk, keeping no rows: memory does not grow with --trials
            summary = summarize_trials(
                scenario,
                strategies,
                trials=args.trials,
                seed=args.seed,
                executor=executor,
                progress=show_progress(args),
                engine=args.engine,
            )
        else:
            # the plots need every trial's row, sampled durations included
            results = run_trials(
                scenario,
                strategies,
                trials=args.trials,
                seed=args.seed,
                executor=executor,
                progress=show_progress(args),
                engine=args.engine,
            )
            summary = summarize(results)
    if args.exact:
        summary = _with_exact(summary, scenario)
    if results is not None:
        from racesim.plot.figures import save_comparison_figures

        written = save_comparison_figures(results, summary, args.plot, scenario.name)
    if args.json:
        print(dump_json(summary))
    else:
        print(f"scenario {scenario.name}: {args.trials} trials per strategy, seed {args.seed}")
        print(summary_table(summary))
        if args.exact:
            print("\nexact (one push, by convolution):")
            print(exact_table(summary))
        print()
        print(with_flags(recommend(summary, args.max_risk).text()))
        print(SAMPLED_NOTE)
        if args.plot is not None:
            print("\nwritten:\n" + "\n".join(f"  {p}" for p in written))
    return 0
