"""``racesim ingest incident|timings RUNS...``: GitHub Actions run history into racesim files.

RUNS are JSON files saved with ``gh api`` or ``gh run list/view --json``, or webhook payloads;
``-`` reads standard input. racesim itself never calls the network.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from racesim.cli._common import add_window, resolve_window, window_note
from racesim.cli._names import STEP_ROLES as ROLES
from racesim.errors import InputError

_SAVE = (
    "JSON saved with `gh api .../actions/runs` (and .../runs/ID/jobs), `gh run list/view --json`"
)


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "ingest",
        epilog="exit status: 0 success; 2 bad input (one line on stderr)",
        help="draft an incident or fit timings from GitHub Actions run history",
        description="Read GitHub Actions run history (REST responses, gh output, webhook "
        "payloads) and write an incident draft or a scenario with fitted timings.",
    )
    kinds = p.add_subparsers(dest="kind", required=True, metavar="KIND", parser_class=type(p))

    inc = kinds.add_parser(
        "incident",
        help="draft an incident file from the runs of one incident",
        description="Draft an incident file from the runs of a real incident: pushes, observed "
        "events from run, job and step times, and every assumed duration with its reason.",
    )
    _common(inc)
    inc.add_argument(
        "--commits",
        metavar="SHA,...",
        help="head commits to include (full or abbreviated; default: every build run's)",
    )
    inc.add_argument(
        "--strategy",
        metavar="NAME",
        help="the strategy in place (a preset or sleep:N); default: inferred from the runs' "
        "trigger events and stated as an assumption",
    )
    inc.add_argument(
        "--workflows",
        metavar="DIR",
        type=Path,
        help="read the strategy from the workflow files in DIR (a repository or its workflows "
        "folder), as racesim audit maps them",
    )
    inc.add_argument("--name", default="drafted", help="the incident's name (default: drafted)")
    inc.add_argument("--plot", metavar="PATH", type=Path, help="write the draft's timeline (PNG)")
    add_window(inc)
    inc.set_defaults(run=run_incident)

    tim = kinds.add_parser(
        "timings",
        help="fit step timings to many runs and write a scenario",
        description="Measure each modelled step over many runs and write a scenario whose "
        "timings are fitted to them (empirical with enough samples, else the better of a "
        "log-normal and a heavy-tailed fit by Kolmogorov-Smirnov statistic).",
    )
    _common(tim, build_required=False)
    tim.add_argument("--base", default="f8af4c1", help="scenario for unmeasured steps")
    tim.add_argument(
        "--min-empirical",
        type=int,
        default=None,
        metavar="N",
        help="resample the observations from N samples on (default: 30)",
    )
    tim.add_argument("--name", default="fitted", help="the scenario's name (default: fitted)")
    tim.add_argument("--plot", metavar="DIR", type=Path, help="write observed-vs-fitted plots")
    tim.set_defaults(run=run_timings)
    return p


def _common(p: argparse.ArgumentParser, *, build_required: bool = True) -> None:
    p.add_argument("runs", nargs="+", metavar="RUNS", help=f"{_SAVE}; - reads standard input")
    p.add_argument(
        "--build",
        required=build_required,
        metavar="WORKFLOW",
        help="the build workflow: its name, file (build.yml) or id",
    )
    p.add_argument("--deploy", metavar="WORKFLOW", help="the deploy workflow (name, file or id)")
    p.add_argument(
        "--step",
        action="append",
        default=[],
        metavar="ROLE=REGEX",
        help="which step is which, by a regular expression on its name; roles: "
        + "; ".join(f"{k}: {v}" for k, v in ROLES.items()),
    )
    p.add_argument("--out", "-o", metavar="PATH", type=Path, help="write here (default: stdout)")


def _write(text: str, out: Path | None) -> None:
    if out is None:
        print(text, end="")
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError("--out", f"cannot write {out}: {exc.strerror or exc}") from None


def run_incident(args: argparse.Namespace) -> int:
    from racesim.incidents import replay
    from racesim.incidents.format import Incident
    from racesim.ingest import StepMap, draft_incident, read_history, strategy_from_workflows

    history = read_history(args.runs)
    strategy: Any = args.strategy
    reason = ""
    if args.workflows is not None:
        strategy, reason = strategy_from_workflows(args.workflows)
    draft = draft_incident(
        history,
        build=args.build,
        deploy=args.deploy,
        commits=args.commits.split(",") if args.commits else None,
        strategy=strategy,
        strategy_reason=reason,
        steps=StepMap.parse(args.step),
        name=args.name,
        source="GitHub Actions run history: " + ", ".join(args.runs),
    )
    text = draft.to_toml()
    # the draft must load and replay: check before handing it over
    result = replay(Incident.from_toml(text, "the draft"), [])
    if args.plot is not None:
        from racesim.plot.ingest import save_draft_timeline

        window = resolve_window(args.window, result.incident.epoch, "--window")
        save_draft_timeline(result, args.plot, window)
        plotted = f"timeline written to {args.plot}" + window_note(
            result.trace, window, result.incident.epoch
        )
    _write(text, args.out)
    if args.out is not None:
        matched = sum(o.matches for o in result.observed)
        stale = sum(d.stale for d in result.trace.outcome.deploys)
        print(
            f"wrote {args.out}: {len(draft.incident.pushes)} push(es), "
            f"{len(draft.incident.observed)} observed events, "
            f"{len(draft.incident.assumed)} assumptions; replay reproduces "
            f"{matched}/{len(result.observed)} observed times; {stale} of "
            f"{len(result.trace.outcome.deploys)} deploys shipped an older image than they meant. "
            f"Check it with: racesim replay {args.out}"
        )
        for note in draft.notes:
            print(f"note: {note}")
    if args.plot is not None:  # on stderr when the draft itself is on stdout
        print(plotted, file=sys.stdout if args.out is not None else sys.stderr)
    return 0 if result.reproduced else 1


def run_timings(args: argparse.Namespace) -> int:
    from racesim.ingest import StepMap, read_history
    from racesim.ingest.timings import EMPIRICAL_MIN, fit_all, measure, scenario_toml
    from racesim.scenarios.format import Scenario

    minimum = EMPIRICAL_MIN if args.min_empirical is None else args.min_empirical
    if minimum < 2:
        raise InputError("--min-empirical", f"expected a whole number >= 2, got {minimum}")
    history = read_history(args.runs)
    measured = measure(
        history, build=args.build, deploy=args.deploy, steps=StepMap.parse(args.step)
    )
    fits = fit_all(measured, empirical_min=minimum)
    text = scenario_toml(
        fits, name=args.name, base=args.base, sources=args.runs, empirical_min=minimum
    )
    Scenario.from_toml(text, "the fitted scenario")  # it must load
    if args.plot is not None:
        from racesim.plot.ingest import save_fit_plots

        save_fit_plots(fits, args.plot)
    _write(text, args.out)
    if args.out is not None:
        print(f"wrote {args.out}")
        for f in fits.values():
            print(
                f"  {f.step:<14} n={f.n:<4} {f.method:<12} "
                f"median {f.distribution.quantile(0.5):7.1f} s  "
                f"p95 {f.distribution.quantile(0.95):7.1f} s"
            )
    return 0
