"""``racesim check``: search for the shortest history that breaks a strategy's property."""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from racesim._util.paths import FIGURE_SUFFIXES, check_output_dir, check_output_file
from racesim._util.suggest import did_you_mean
from racesim.cli._common import add_progress_options, show_progress, whole
from racesim.cli._names import PROPERTY_NAMES
from racesim.core.strategy import parse_strategy, preset_names
from racesim.limits import MAX_CHECK_EXAMPLES, MAX_CHECK_PUSHES, MAX_SEED

if TYPE_CHECKING:
    from racesim.verify.counterexample import Counterexample
    from racesim.verify.search import ExhaustiveResult


def history_space(args: argparse.Namespace) -> str:
    """What the searched histories contain, said under every verdict."""
    if not args.reruns and not args.dispatches:
        return (
            f"histories: up to {args.pushes} pushes to main only (no re-runs of old builds, no "
            "manual dispatches; add them with --reruns N, --dispatches N)"
        )
    return (
        f"histories: up to {args.pushes} pushes to main, up to {args.reruns} re-runs of earlier "
        f"builds and up to {args.dispatches} manual deploy dispatches"
    )


def property_name(text: str) -> str:
    """An argparse type: one of the four properties, with a "did you mean" when mistyped."""
    if text not in PROPERTY_NAMES:
        raise argparse.ArgumentTypeError(
            f"unknown property {text!r}; expected one of {', '.join(PROPERTY_NAMES)}"
            + did_you_mean(text, PROPERTY_NAMES)
        )
    return text


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "check",
        help="find the shortest history that breaks a strategy (property-based search)",
        description="Search, with hypothesis, for a history on which STRATEGY breaks a property, "
        "shrunk to the shortest one, and explain it; without --property, check all four ("
        f"{', '.join(PROPERTY_NAMES)}). --all prints the verdict table of every preset against "
        "every property.",
        epilog="exit status: 0 no counterexample found; 1 a counterexample was found (a property "
        "breaks); 2 bad input (one line on stderr)",
    )
    p.add_argument(
        "strategy", nargs="?", metavar="STRATEGY", help=f"a preset: {', '.join(preset_names())}"
    )
    p.add_argument(
        "--property",
        type=property_name,
        action="append",
        metavar="NAME",
        help=f"a property to check (repeatable; default: all of {', '.join(PROPERTY_NAMES)})",
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
    p.add_argument(
        "--reruns",
        type=whole(0),
        default=0,
        metavar="N",
        help="also generate up to N re-runs of earlier builds per history (default: 0)",
    )
    p.add_argument(
        "--dispatches",
        type=whole(0),
        default=0,
        metavar="N",
        help="also generate up to N manual deploy dispatches per history (default: 0)",
    )
    p.add_argument(
        "--seed", type=whole(0, MAX_SEED), default=0, metavar="S", help="search seed (default: 0)"
    )
    p.add_argument(
        "--exhaustive",
        action="store_true",
        help="also check every history on a small integer grid (2 pushes)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--markdown", action="store_true", help="with --all: print a Markdown table")
    p.add_argument(
        "--plot",
        type=Path,
        metavar="PATH",
        help="write the counterexample's timeline (with several properties: the first found)",
    )
    p.add_argument(
        "--hypothesis-dir",
        type=Path,
        metavar="DIR",
        help="keep hypothesis's files (its .hypothesis folder) in DIR; by default they go to a "
        "temporary folder that is removed afterwards, never into the current folder",
    )
    add_progress_options(p)
    return p


def _counterexample_text(cx: Counterexample) -> list[str]:
    from racesim._util.table import format_table
    from racesim.verify.proof.solve import SLACK

    history = cx.history
    rows = [(history.label(k), f"{p.time:g} s") for k, p in enumerate(history.pushes, start=1)]
    rows += [
        (f"re-run of {history.label(r.commit)}'s build", f"{r.time:g} s") for r in history.reruns
    ]
    rows += [("manual deploy dispatch", f"{d.time:g} s") for d in history.dispatches]
    durations = [
        (name, *(f"{getattr(p.durations, name):g}" for p in history.pushes))
        for name in history.pushes[0].durations.as_dict()
    ]
    return [
        f"Counterexample: {history.commits} push{'es' if history.commits > 1 else ''}",
        format_table(rows, ["commit (or run)", "at"]),
        "",
        format_table(
            durations, ["duration (s)", *(history.label(k) for k in range(1, history.commits + 1))]
        ),
        "",
        cx.explanation,
        *(
            [
                "",
                f"Ties: instants the model compares are less than {SLACK:g} s apart here, so a "
                "tie rule decides them (`racesim prove` looks for a counterexample without):",
                *(f"  - {tie}" for tie in cx.ties),
            ]
            if cx.ties
            else []
        ),
    ]


def _exhaustive_json(result: ExhaustiveResult) -> dict[str, Any]:
    cx = result.counterexample
    return {
        "checked": result.checked,
        "total": result.total,
        "counterexample": None if cx is None else cx.to_json(),
    }


def _write_plot(cx: Counterexample, path: Path) -> None:
    from matplotlib.figure import Figure

    from racesim.plot.counterexample import plot_counterexample
    from racesim.plot.figures import save_figure

    fig = Figure(
        figsize=(12, 1.8 + 0.6 * len({e.run for e in cx.trace.events if e.run})),
        layout="constrained",
    )
    plot_counterexample(cx, fig.add_subplot())
    save_figure(fig, path)


def _check_one(
    args: argparse.Namespace, prop: str
) -> tuple[Counterexample | None, list[str], dict[str, Any]]:
    """Search (and, with --exhaustive, enumerate) one property: counterexample, text, JSON."""
    from racesim.verify.search import exhaustive_check, search

    result = search(
        args.strategy,
        prop,
        pushes=args.pushes,
        max_examples=args.max_examples,
        seed=args.seed,
        reruns=args.reruns,
        dispatches=args.dispatches,
    )
    exhaustive = exhaustive_check(args.strategy, prop) if args.exhaustive else None
    cx = result.counterexample or (exhaustive.counterexample if exhaustive else None)
    data = result.to_json()
    if exhaustive is not None:
        data["exhaustive"] = _exhaustive_json(exhaustive)
    verdict = "BREAKS" if result.counterexample else "holds"
    text = [
        f"{args.strategy} / {prop}: {verdict} "
        f"({result.examples} histories simulated, up to {args.pushes} pushes, seed {args.seed})"
    ]
    if result.counterexample is not None:
        text += ["", *_counterexample_text(result.counterexample)]
    else:
        text.append(f"no counterexample in {args.max_examples} generated histories")
    if exhaustive is not None:
        text.append("")
        if exhaustive.counterexample is None:
            text.append(
                f"exhaustive: none exists among {exhaustive.checked} histories on the grid ("
                + ", ".join(f"{k} in {list(v)}" for k, v in exhaustive.grid.items())
                + f"; gaps {list(exhaustive.gaps)})"
            )
        else:
            text.append(
                f"exhaustive: broken after {exhaustive.checked} of {exhaustive.total} histories"
            )
            if result.counterexample is None:
                text += _counterexample_text(exhaustive.counterexample)
    return cx, text, data


def _single(args: argparse.Namespace) -> int:
    from racesim.errors import InputError

    if args.strategy is None:
        raise InputError("STRATEGY", "give a strategy to check (or --all for every preset)")
    parse_strategy(args.strategy, "STRATEGY")
    props = list(dict.fromkeys(args.property or PROPERTY_NAMES))
    found: list[Counterexample] = []
    outputs: list[dict[str, Any]] = []
    for i, prop in enumerate(props):
        cx, text, data = _check_one(args, prop)
        if cx is not None:
            found.append(cx)
        outputs.append(data)
        if not args.json:
            if i:
                print("\n" + "-" * 72)
            print("\n".join(text))
    if args.plot is not None and found:
        _write_plot(found[0], args.plot)
    if args.json:
        print(json.dumps(outputs[0] if args.property and len(props) == 1 else outputs, indent=2))
        return 1 if found else 0
    print()
    broken = sorted({cx.prop for cx in found}, key=props.index)
    print(
        f"{args.strategy}: "
        + (f"breaks {', '.join(broken)}" if broken else f"holds for {', '.join(props)}")
        + f" in the histories searched; {history_space(args)}"
    )
    if args.plot is not None and found:
        print(f"timeline of the {found[0].prop} counterexample written to {args.plot}")
    return 1 if found else 0


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
        return f"holds (0 in {int(row['examples'])})"
    return f"breaks ({int(row['pushes'])} push{'es' if row['pushes'] > 1 else ''})"


def _all(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from racesim._util.table import format_table
    from racesim.core.strategy import PRESETS
    from racesim.verify.table import verdict_table

    props = list(dict.fromkeys(args.property or PROPERTY_NAMES))
    with tqdm(
        total=len(PRESETS) * len(props),
        desc="check --all",
        unit="pair",
        disable=not show_progress(args) or args.json or args.markdown,
        leave=False,
    ) as bar:

        def advance(result: Any) -> None:
            bar.set_postfix_str(f"{result.strategy} / {result.prop}", refresh=False)
            bar.update()

        table = verdict_table(
            properties=props,
            pushes=args.pushes,
            max_examples=args.max_examples,
            seed=args.seed,
            on_result=advance,
            method="sampled" if args.sampled else "prove",
            reruns=args.reruns,
            dispatches=args.dispatches,
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
    rows = []
    for strategy, group in table.groupby("strategy", sort=False):
        cells = {
            str(r["property"]): _cell({str(k): v for k, v in r.items()})
            for r in group.to_dict(orient="records")
        }
        rows.append((strategy, *(cells[p] for p in props)))
    print(_legend(table, args))
    print(format_table(rows, ["strategy", *props]))
    print(history_space(args))
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
    from hypothesis.configuration import set_hypothesis_home_dir

    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="racesim-")))
        else:
            check_output_dir(folder, "--hypothesis-dir")
        set_hypothesis_home_dir(folder)
        stack.callback(set_hypothesis_home_dir, None)
        yield folder
