"""``racesim check``: search for the shortest history that breaks a strategy's property."""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis.configuration import set_hypothesis_home_dir

from racesim.cli._common import whole
from racesim.errors import InputError
from racesim.limits import MAX_CHECK_EXAMPLES, MAX_CHECK_PUSHES
from racesim.paths import FIGURE_SUFFIXES, check_output_dir, check_output_file
from racesim.report import format_table
from racesim.strategies import parse_strategy, preset_names
from racesim.testing import PROPERTIES, exhaustive_check, search, verdict_table
from racesim.testing.search import Counterexample, ExhaustiveResult, SearchResult


def register(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="find the shortest history that breaks a strategy (property-based search)",
        description="Search, with hypothesis, for a history on which STRATEGY breaks PROPERTY, "
        "shrunk to the shortest one, and explain it. --all prints the verdict table of every "
        f"preset against every property ({', '.join(PROPERTIES)}).",
    )
    p.add_argument(
        "strategy", nargs="?", metavar="STRATEGY", help=f"a preset: {', '.join(preset_names())}"
    )
    p.add_argument(
        "--property",
        choices=list(PROPERTIES),
        metavar="NAME",
        help=f"the property to check: {', '.join(PROPERTIES)}",
    )
    p.add_argument("--all", action="store_true", help="every preset against every property")
    p.add_argument(
        "--sampled",
        action="store_true",
        help="with --all: search only (no proofs), as before racesim prove existed",
    )
    p.add_argument(
        "--pushes",
        type=whole(1, MAX_CHECK_PUSHES),
        default=2,
        metavar="K",
        help="at most K pushes per history (default: 2)",
    )
    p.add_argument(
        "--max-examples",
        type=whole(1, MAX_CHECK_EXAMPLES),
        default=300,
        metavar="N",
        help="histories hypothesis generates before giving up (default: 300)",
    )
    p.add_argument("--seed", type=whole(0), default=0, metavar="S", help="search seed (default: 0)")
    p.add_argument(
        "--exhaustive",
        action="store_true",
        help="also check every history on a small integer grid (2 pushes)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--markdown", action="store_true", help="with --all: print a Markdown table")
    p.add_argument("--plot", type=Path, metavar="PATH", help="write the counterexample's timeline")
    p.add_argument(
        "--hypothesis-dir",
        type=Path,
        metavar="DIR",
        help="keep hypothesis's files (its .hypothesis folder) in DIR; by default they go to a "
        "temporary folder that is removed afterwards, never into the current folder",
    )
    p.set_defaults(run=run)


def _counterexample_text(cx: Counterexample) -> list[str]:
    history = cx.history
    rows = [(history.label(k), f"{p.time:g} s") for k, p in enumerate(history.pushes, start=1)]
    durations = [
        (name, *(f"{getattr(p.durations, name):g}" for p in history.pushes))
        for name in history.pushes[0].durations.as_dict()
    ]
    return [
        f"Counterexample: {history.commits} push{'es' if history.commits > 1 else ''}",
        format_table(rows, ["commit", "pushed at"]),
        "",
        format_table(
            durations, ["duration (s)", *(history.label(k) for k in range(1, history.commits + 1))]
        ),
        "",
        cx.explanation,
    ]


def _exhaustive_json(result: ExhaustiveResult) -> dict[str, Any]:
    cx = result.counterexample
    return {
        "checked": result.checked,
        "total": result.total,
        "counterexample": None if cx is None else cx.to_json(),
    }


def _single(args: argparse.Namespace) -> int:
    if args.strategy is None or args.property is None:
        raise InputError("STRATEGY", "give a strategy and --property NAME, or --all")
    parse_strategy(args.strategy, "STRATEGY")
    result: SearchResult = search(
        args.strategy,
        args.property,
        pushes=args.pushes,
        max_examples=args.max_examples,
        seed=args.seed,
    )
    exhaustive = exhaustive_check(args.strategy, args.property) if args.exhaustive else None
    cx = result.counterexample or (exhaustive.counterexample if exhaustive else None)
    if args.plot is not None and cx is not None:
        from matplotlib.figure import Figure

        from racesim.plot.figures import save_figure
        from racesim.testing import plot_counterexample

        fig = Figure(
            figsize=(12, 1.8 + 0.6 * len({e.run for e in cx.trace.events if e.run})),
            layout="constrained",
        )
        plot_counterexample(cx, fig.add_subplot())
        save_figure(fig, args.plot)
    if args.json:
        data = result.to_json()
        if exhaustive is not None:
            data["exhaustive"] = _exhaustive_json(exhaustive)
        print(json.dumps(data, indent=2))
        return 1 if cx is not None else 0
    verdict = "BREAKS" if result.counterexample else "holds"
    print(
        f"{args.strategy} / {args.property}: {verdict} "
        f"({result.examples} histories simulated, up to {args.pushes} pushes, seed {args.seed})"
    )
    if result.counterexample is not None:
        print()
        print("\n".join(_counterexample_text(result.counterexample)))
    else:
        print(f"no counterexample in {args.max_examples} generated histories")
    if exhaustive is not None:
        print()
        if exhaustive.counterexample is None:
            print(
                f"exhaustive: none exists among {exhaustive.checked} histories on the grid "
                "("
                + ", ".join(f"{k} in {list(v)}" for k, v in exhaustive.grid.items())
                + f"; gaps {list(exhaustive.gaps)})"
            )
        else:
            print(f"exhaustive: broken after {exhaustive.checked} of {exhaustive.total} histories")
            if result.counterexample is None:
                print("\n".join(_counterexample_text(exhaustive.counterexample)))
    if args.plot is not None and cx is not None:
        print(f"\ntimeline written to {args.plot}")
    return 1 if cx is not None else 0


def verdict_markdown(table: Any) -> str:
    """The verdict table as Markdown: strategies down, properties across."""
    props = list(dict.fromkeys(table["property"]))
    lines = ["| strategy | " + " | ".join(props) + " |", "|---|" + "---|" * len(props)]
    for strategy, rows in table.groupby("strategy", sort=False):
        cells = {
            str(r["property"]): _cell({str(k): v for k, v in r.items()})
            for r in rows.to_dict(orient="records")
        }
        lines.append(f"| {strategy} | " + " | ".join(cells[p] for p in props) + " |")
    return "\n".join(lines) + "\n"


def _cell(row: dict[str, Any]) -> str:
    if row.get("method") == "proved":
        return "proved"
    if row.get("method") == "counterexample":
        n = int(row["pushes"])
        return f"counterexample ({n} push{'es' if n > 1 else ''})"
    if row["verdict"] == "holds":
        return f"holds (0 in {row['examples']})"
    return f"breaks ({int(row['pushes'])} push{'es' if row['pushes'] > 1 else ''})"


def _all(args: argparse.Namespace) -> int:
    method = "sampled" if args.sampled else "prove"
    table = verdict_table(
        pushes=args.pushes, max_examples=args.max_examples, seed=args.seed, method=method
    )
    if args.json:
        print(
            json.dumps(
                table.drop(columns="explanation").to_dict(orient="records"), indent=2, default=str
            )
        )
        return 0
    if args.markdown:
        print(verdict_markdown(table), end="")
        return 0
    props = list(PROPERTIES)
    rows = []
    for strategy, group in table.groupby("strategy", sort=False):
        cells = {
            str(r["property"]): _cell({str(k): v for k, v in r.items()})
            for r in group.to_dict(orient="records")
        }
        rows.append((strategy, *(cells[p] for p in props)))
    print(_legend(table, args))
    print(format_table(rows, ["strategy", *props]))
    return 0


def _legend(table: Any, args: argparse.Namespace) -> str:
    """What the cells mean and what they cover: proofs first, then any sampled verdict."""
    lines = []
    proofs = table[table["method"] != "sampled"]
    if len(proofs):
        lines.append(
            "proved / counterexample (K pushes): decided by racesim prove for every history of "
            f"up to {args.pushes} pushes within the bounds {proofs['bounds'].iloc[0]}"
        )
    if (table["method"] == "sampled").any():
        lines.append(
            f"sampled: found by search, up to {args.pushes} pushes (fewest first), "
            f"{args.max_examples} generated histories per push count, seed {args.seed}; "
            "'holds (0 in N)' means none of the N histories simulated broke the property"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.plot is not None:
        check_output_file(args.plot, "--plot", FIGURE_SUFFIXES)
    with hypothesis_home(args.hypothesis_dir):
        return _all(args) if args.all else _single(args)


@contextlib.contextmanager
def hypothesis_home(folder: Path | None) -> Iterator[Path]:
    """Point hypothesis's storage (its ``.hypothesis`` folder) at `folder` while the block runs.

    Without a folder, a temporary one is used and removed afterwards: hypothesis would otherwise
    create ``.hypothesis/`` in the user's current folder.
    """
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="racesim-")))
        else:
            check_output_dir(folder, "--hypothesis-dir")
        set_hypothesis_home_dir(folder)
        stack.callback(set_hypothesis_home_dir, None)
        yield folder
