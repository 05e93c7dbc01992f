"""``racesim prove``: a proof over every duration within bounds, or an engine-confirmed
counterexample."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from racesim.cli._common import add_bounds, whole
from racesim.cli._names import PROPERTY_NAMES as PROPERTIES
from racesim.core.strategy import parse_strategy, preset_names
from racesim.errors import InputError


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "prove",
        epilog="exit status: 0 proved; 1 a counterexample was found (the engine confirms it); "
        "2 bad input or a strategy the encoding does not cover (one line on stderr)",
        help="prove a property for every duration within bounds, or give a counterexample",
        description="Decide, with an SMT solver (z3), whether STRATEGY keeps PROPERTY for every "
        "history of up to K pushes whose push gaps and step durations lie within the bounds "
        "(real-valued, closed intervals). Prints a proof, or a counterexample replayed through "
        "the SimPy engine. Exit 0: proved; 1: a counterexample; 2: bad input, or a strategy "
        "the encoding does not cover.",
    )
    p.add_argument("strategy", metavar="STRATEGY", help=f"a preset: {', '.join(preset_names())}")
    p.add_argument(
        "--property",
        action="append",
        choices=list(PROPERTIES),
        metavar="NAME",
        help=f"property to decide (repeatable; default: all of {', '.join(PROPERTIES)})",
    )
    p.add_argument(
        "--pushes",
        type=whole(1),
        default=2,
        metavar="K",
        help="every history of 1 up to K pushes (default: 2; at most 4)",
    )
    add_bounds(p, "bounds overriding the defaults")
    p.add_argument(
        "--boundary",
        metavar="PARAM=LO..HI",
        help="bisect PARAM (a duration field's upper bound, gap or sleep) over LO..HI for the "
        "boundary between proved and broken (one --property)",
    )
    p.add_argument(
        "--resolution",
        type=float,
        default=0.01,
        metavar="S",
        help="resolution of --boundary in seconds (default: 0.01)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--plot", type=Path, metavar="PATH", help="write the counterexample's timeline")
    p.set_defaults(run=run)
    return p


def _range(text: str, field: str) -> tuple[str, float, float]:
    name, sep, value = text.partition("=")
    low, dots, high = value.partition("..")
    try:
        if not sep or not dots:
            raise ValueError
        return name.strip(), float(low), float(high)
    except ValueError:
        raise InputError(field, f"expected PARAM=LO..HI, got {text!r}") from None


def _plot(result: Any, path: Path) -> None:
    from matplotlib.figure import Figure

    from racesim.plot.counterexample import plot_counterexample
    from racesim.plot.figures import save_figure

    cx = result.counterexample
    runs = len({e.run for e in cx.trace.events if e.run})
    fig = Figure(figsize=(12, 1.8 + 0.6 * runs), layout="constrained")
    plot_counterexample(result, fig.add_subplot())
    save_figure(fig, path)


def _boundary(args: argparse.Namespace, bounds: Any) -> int:
    from racesim.verify.proof.boundary import boundary

    if args.property is None or len(args.property) != 1:
        raise InputError("--property", "--boundary needs exactly one --property NAME")
    if not args.resolution > 0:
        raise InputError("--resolution", f"expected seconds > 0, got {args.resolution:g}")
    name, low, high = _range(args.boundary, "--boundary")
    b = boundary(
        args.strategy,
        args.property[0],
        name,
        low,
        high,
        pushes=args.pushes,
        bounds=bounds,
        resolution=args.resolution,
    )
    if args.json:
        print(
            json.dumps(
                {
                    "parameter": b.parameter,
                    "proved_at": b.proved_at,
                    "broken_at": b.broken_at,
                    "resolution": b.resolution,
                    "proofs": b.proofs,
                    "binding": list(b.binding),
                },
                indent=2,
            )
        )
    else:
        print(f"{args.strategy} / {args.property[0]}: {b}")
        if b.binding:
            print(
                "the proof rests on these bounds (the solver's unsat core; every other bound "
                f"could be widened): {', '.join(b.binding)}"
            )
        print(f"({b.proofs} proofs, up to {args.pushes} pushes; bounds: {bounds.describe()})")
    return 0


def run(args: argparse.Namespace) -> int:
    from racesim.verify.proof.bounds import bounds_from
    from racesim.verify.proof.decide import prove

    parse_strategy(args.strategy, "STRATEGY")
    bounds = bounds_from(args.bounds)
    if args.boundary is not None:
        return _boundary(args, bounds)
    results = [
        prove(args.strategy, name, pushes=args.pushes, bounds=bounds)
        for name in (args.property or list(PROPERTIES))
    ]
    broken = [r for r in results if not r.proved]
    if args.plot is not None and broken:
        _plot(broken[0], args.plot)
    if args.json:
        data = [r.to_json() for r in results]
        print(json.dumps(data[0] if len(data) == 1 else data, indent=2))
    else:
        print("\n\n".join(r.text() for r in results))
        if args.plot is not None and broken:
            print(f"\ntimeline written to {args.plot}")
    return 1 if broken else 0
