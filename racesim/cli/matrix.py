"""``racesim matrix``: every preset against the standard situations, measured."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from racesim._util.paths import FIGURE_SUFFIXES, check_output_file
from racesim.cli._common import (
    EXIT_OK_OR_BAD_INPUT,
    add_execution_options,
    add_max_risk,
    dump_json,
    executor_for,
    show_progress,
    strategy_names,
    whole,
)
from racesim.cli._names import MATRIX_CELL_TRIALS, SITUATION_NAMES, with_flags
from racesim.limits import MAX_TRIALS

if TYPE_CHECKING:
    import pandas as pd


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "matrix",
        help="the safety matrix: every preset against the standard situations",
        description="Estimate, for every preset and each standard situation ("
        + "; ".join(SITUATION_NAMES)
        + "), how often it deploys stale code, ends on the wrong commit and regresses; end with "
        "the quickest strategy whose risk in every situation is under --max-risk.",
        epilog=EXIT_OK_OR_BAD_INPUT,
    )
    p.add_argument(
        "--trials",
        type=whole(1, MAX_TRIALS),
        default=None,
        metavar="N",
        help=f"trials per cell (default: {MATRIX_CELL_TRIALS[0]} where the fast path decides "
        f"the cell; {MATRIX_CELL_TRIALS[1]} where only the SimPy engine does: reconcile_latest "
        "with several pushes)",
    )
    p.add_argument(
        "--strategy",
        action="append",
        metavar="NAME",
        help="strategy to include (repeatable; default: every preset)",
    )
    add_execution_options(p)
    p.add_argument("--json", action="store_true", help="print the cells as JSON")
    p.add_argument("--markdown", action="store_true", help="print Markdown tables (for the docs)")
    p.add_argument("--plot", type=Path, metavar="PATH", help="write the heatmaps (PNG, SVG or PDF)")
    add_max_risk(p)
    return p


def _cell(row: pd.Series, rate: str) -> str:
    p, low, high = row[f"p_{rate}"], row[f"p_{rate}_low"], row[f"p_{rate}_high"]
    return f"{100 * p:.1f}% [{100 * low:.1f}-{100 * high:.1f}]"


def tables(matrix: pd.DataFrame, markdown: bool = False) -> str:
    """One strategy x situation table per rate, each cell ``p% [low-high]`` in percent."""
    from racesim._util.table import format_table
    from racesim.studies.matrix import MATRIX_RATES

    situations = list(dict.fromkeys(matrix["situation"]))
    strategies = list(dict.fromkeys(matrix["strategy"]))
    index = {(r["situation"], r["strategy"]): r for _, r in matrix.iterrows()}
    out = []
    for rate, meaning in MATRIX_RATES.items():
        rows = [[s, *(_cell(index[(sit, s)], rate) for sit in situations)] for s in strategies]
        headers = ["strategy", *situations]
        if markdown:
            out.append(f"**P({rate.replace('_', ' ')})**: {meaning}.\n")
            out.append("| " + " | ".join(headers) + " |")
            out.append("|" + "---|" * len(headers))
            out += ["| " + " | ".join(row) + " |" for row in rows]
        else:
            out.append(f"P({rate.replace('_', ' ')}): {meaning}")
            out.append(format_table(rows, headers))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def run(args: argparse.Namespace) -> int:
    if args.plot is not None:
        check_output_file(args.plot, "--plot", FIGURE_SUFFIXES)
    from racesim.studies.matrix import safety_matrix, trials_text
    from racesim.studies.recommend import recommend

    with executor_for(args.jobs) as executor:
        matrix = safety_matrix(
            strategy_names(args),
            trials=args.trials,
            seed=args.seed,
            executor=executor,
            progress=show_progress(args),
        )
    if args.plot is not None:
        from racesim.plot.figures import save_matrix_figure

        path = save_matrix_figure(matrix, args.plot)
    if args.json:
        print(dump_json(matrix))
    else:
        if not args.markdown:
            print(f"{trials_text(matrix)}, seed {args.seed}, 95% Wilson intervals\n")
        print(tables(matrix, markdown=args.markdown), end="")
        if not args.markdown:
            print()
            text = recommend(matrix, args.max_risk).text()
            print(with_flags(text.replace("risk", "risk in every situation", 1)))
            print(f"Per situation (quickest with every 95% upper limit <= {args.max_risk:.2%}):")
            for situation in dict.fromkeys(matrix["situation"]):
                chosen = recommend(matrix[matrix["situation"] == situation], args.max_risk)
                print(f"  {situation}: {with_flags(chosen.line())}")
        if args.plot is not None and not args.markdown:
            print(f"\nwritten: {path}")
    return 0
