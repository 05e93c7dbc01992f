"""``racesim replay INCIDENT``: reproduce an incident's timeline and try other strategies."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from racesim._util.paths import FIGURE_SUFFIXES, check_output_file
from racesim.cli._common import add_window, resolve_window, window_note
from racesim.cli._names import incident_names
from racesim.core.strategy import preset_names
from racesim.errors import InputError


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "replay",
        help="replay an incident to the second, with counterfactuals",
        description="Replay an incident: derive step durations from its observed times, reproduce "
        "every observed time, then rerun the same durations under other strategies.",
        epilog="exit status: 0 the replay reproduces every observed time; 1 it does not; "
        "2 bad input (one line on stderr)",
    )
    p.add_argument(
        "incident",
        metavar="INCIDENT",
        help=f"a built-in incident ({', '.join(incident_names())}) or an incident TOML file",
    )
    p.add_argument(
        "--strategy",
        action="append",
        metavar="NAME",
        help="counterfactual strategy (repeatable; default: every preset and the incident's own "
        "alternatives): a preset (" + ", ".join(preset_names()) + ") or an alternative's name",
    )
    p.add_argument(
        "--plot", metavar="PATH", type=Path, help="write the timeline picture (PNG, SVG or PDF)"
    )
    p.add_argument(
        "--gif",
        metavar="PATH",
        type=Path,
        help="write the timeline as an animated GIF (for slides)",
    )
    add_window(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    return p


def run(args: argparse.Namespace) -> int:
    if args.plot is not None:
        check_output_file(args.plot, "--plot", FIGURE_SUFFIXES)
    if args.gif is not None:
        check_output_file(args.gif, "--gif", (".gif",))
    from racesim.incidents import load_incident, replay
    from racesim.incidents.report import replay_report

    # names may be presets or the incident's own alternatives; replay() checks them
    result = replay(load_incident(args.incident), args.strategy or None)
    if args.plot is not None:
        from racesim.plot.figures import save_replay_timeline

        window = resolve_window(args.window, result.incident.epoch, "--window")
        save_replay_timeline(result, args.plot, window)
        note = window_note(result.trace, window, result.incident.epoch)
    else:
        note = ""
    if args.gif is not None:
        from racesim.plot.animate import animate_timeline

        try:
            animate_timeline(
                result.trace,
                args.gif,
                epoch=result.incident.epoch,
                title=f"{result.incident.name}: {result.incident.title}",
            )
        except InputError as exc:
            raise InputError("--gif", exc.problem) from None
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(replay_report(result))
        if args.plot is not None:
            print(f"\ntimeline written to {args.plot}{note}")
        if args.gif is not None:
            print(f"animation written to {args.gif}")
    return 0 if result.reproduced else 1
