"""Options and helpers shared by the Monte Carlo commands (compare, sweep, matrix, demo).

Light on purpose: every command's parser imports this module, so pandas and the engine are
imported only inside the functions that need them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from racesim.cli._names import scenario_names
from racesim.core.strategy import parse_strategy
from racesim.errors import InputError
from racesim.limits import MAX_JOBS, MAX_LANES, MAX_SEED, MAX_STREAMED_TRIALS

if TYPE_CHECKING:
    import pandas as pd

    from racesim.core.strategy import Strategy
    from racesim.core.trace import Trace
    from racesim.scenarios.format import Scenario

#: the exit statuses of a command that succeeds or rejects its input (its --help epilog)
EXIT_OK_OR_BAD_INPUT = "exit status: 0 success; 2 bad input (one line on stderr)"


def whole(minimum: int, maximum: int | None = None) -> Any:
    """An argparse type: a whole number >= `minimum` and <= `maximum` (else a one-line error)."""

    def parse(text: str) -> int:
        shown = text if len(text) <= 40 else text[:37] + "..."
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {shown!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {shown!r}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(
                f"{shown} is beyond racesim's limit of {maximum:,} (see docs/reference/limits.md)"
            )
        return value

    return parse


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?$")


def _instant(text: str) -> tuple[str, float]:
    """``("clock", seconds of the day)`` for HH:MM[:SS], ``("offset", seconds)`` for a number."""
    match = _CLOCK.match(text)
    if match:
        h, m, sec = int(match[1]), int(match[2]), float(match[3] or 0)
        if h > 23 or m > 59 or sec >= 60:
            raise ValueError(text)
        return "clock", h * 3600 + m * 60 + sec
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return "offset", value


def window_spec(text: str) -> tuple[tuple[str, float], tuple[str, float]]:
    """An argparse type: ``START..END``, each a UTC clock time (HH:MM[:SS]) or seconds since
    the first push; resolved by :func:`resolve_window` once the incident's date is known."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    start, sep, end = text.partition("..")
    try:
        if not sep:
            raise ValueError(text)
        a, b = _instant(start.strip()), _instant(end.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected START..END, each HH:MM[:SS] (UTC) or seconds since the first push, "
            f"got {shown!r}"
        ) from None
    return a, b


def resolve_window(
    spec: tuple[tuple[str, float], tuple[str, float]] | None, epoch: datetime, flag: str
) -> tuple[float, float] | None:
    """`spec` (from :func:`window_spec`) as seconds since `epoch`; a clock time is on the day
    of `epoch` (the next day when it is earlier than the start)."""
    if spec is None:
        return None
    midnight = epoch.replace(hour=0, minute=0, second=0, microsecond=0)
    day = (epoch - midnight).total_seconds()
    values = [v - day if kind == "clock" else v for kind, v in spec]
    if spec[1][0] == "clock" and values[1] <= values[0]:
        values[1] += 86400.0
    if values[1] <= values[0]:
        raise InputError(flag, f"expected START before END, got {values[0]:g}..{values[1]:g} s")
    return values[0], values[1]


def add_window(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--window",
        type=window_spec,
        metavar="START..END",
        help="draw only this stretch of the timeline and the runs active in it: UTC clock times "
        "(23:44:30..23:47:10) or seconds since the first push (0..300); by default a history "
        f"of more than {MAX_LANES} runs is drawn around its first stale deploy",
    )


def window_note(trace: Trace, window: tuple[float, float] | None, epoch: datetime) -> str:
    """What a timeline written with `window` (or its default window) leaves out, for the line
    that says where it was written; empty when it shows every run."""
    from racesim.plot.timeline import default_window, shown_runs

    view = window if window is not None else default_window(trace)
    shown, total = shown_runs(trace, view)
    if view is None or shown == total:
        return ""
    start, end = (f"{epoch + timedelta(seconds=t):%H:%M:%S}" for t in view)
    chosen = "" if window is not None else "; --window START..END draws another stretch"
    return f" (the {shown} of {total} runs active from {start} to {end}{chosen})"


#: default trials of a run whose every trial the vectorised fast path decides: a 95% interval
#: on a rate is then at most about +-0.31 points wide (+-0.5 points needs 38,416 trials)
FAST_TRIALS = 100_000


def add_bounds(p: argparse.ArgumentParser, what: str) -> None:
    """``--bounds``: overrides of prove's default bounds, as words or a TOML file (prove, audit)."""
    p.add_argument(
        "--bounds",
        action="extend",
        nargs="+",
        default=[],
        metavar="FILE|FIELD=LO..HI",
        help=f"{what}: FIELD=LO..HI or FIELD=SECONDS for a duration field or gap, "
        "failures=yes|no, or a TOML file of the same keys",
    )


def add_run_options(p: argparse.ArgumentParser, *, trials: int) -> None:
    """--scenario, --strategy, --trials, --seed, --jobs, --json, --plot, --no-progress.

    `trials` is the default for runs the SimPy engine decides; a run the fast path decides
    defaults to :data:`FAST_TRIALS` (see :func:`trials_for`).
    """
    p.add_argument(
        "--scenario",
        default="f8af4c1",
        metavar="NAME|PATH",
        help=f"built-in scenario ({', '.join(scenario_names())}) or a scenario TOML file "
        "(default: f8af4c1)",
    )
    p.add_argument(
        "--strategy",
        action="append",
        metavar="NAME",
        help="strategy to include (repeatable; default: the scenario's list)",
    )
    p.add_argument(
        "--trials",
        type=whole(1, MAX_STREAMED_TRIALS),
        default=None,
        metavar="N",
        help=f"sampled histories per point (default: {FAST_TRIALS} when the fast path decides "
        f"every trial; {trials} otherwise); summarised as they run, so memory does not grow "
        "with N",
    )
    p.set_defaults(simpy_trials=trials)
    add_execution_options(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument(
        "--plot", type=Path, metavar="DIR", help="write the plots (PNG) into this folder"
    )


def add_execution_options(p: argparse.ArgumentParser) -> None:
    """--seed, --jobs, --no-progress: how trials run, never what they give."""
    p.add_argument(
        "--seed", type=whole(0, MAX_SEED), default=0, metavar="S", help="random seed (default: 0)"
    )
    p.add_argument(
        "--jobs",
        type=whole(1, MAX_JOBS),
        default=1,
        metavar="J",
        help="worker processes (default: 1); results do not depend on it",
    )
    add_progress_options(p)


def add_progress_options(p: argparse.ArgumentParser) -> None:
    """--progress / --no-progress: a progress bar, by default only when stderr is a terminal."""
    shown = p.add_mutually_exclusive_group()
    shown.add_argument(
        "--progress",
        action="store_true",
        help="show a progress bar on stderr even when it is not a terminal",
    )
    shown.add_argument(
        "--no-progress",
        action="store_true",
        help="do not show a progress bar (the default when stderr is not a terminal)",
    )


def show_progress(args: argparse.Namespace) -> bool:
    """Whether to draw a progress bar: asked for, or stderr is a terminal and not refused.

    A bar in a CI log or a file is noise (every redraw is a line), so it needs `--progress`.
    """
    if getattr(args, "progress", False):
        return True
    if getattr(args, "no_progress", False):
        return False
    return sys.stderr.isatty()


@contextlib.contextmanager
def executor_for(jobs: int) -> Iterator[Executor | None]:
    """A process pool of `jobs` workers, or ``None`` (run in this process) for one job."""
    if jobs <= 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield pool


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN and infinities become null)."""
    return [{str(k): _clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def dump_json(frame: pd.DataFrame) -> str:
    return json.dumps(records(frame), indent=2)


def percent(p: float, low: float, high: float) -> str:
    return f"{p:6.1%} [{low:.1%}, {high:.1%}]"


def seconds(value: float) -> str:
    return "never" if not math.isfinite(value) else f"{value:.0f} s"


def strategy_names(args: argparse.Namespace) -> list[str] | None:
    """The --strategy names, each checked (an unknown one is an error naming --strategy)."""
    if not args.strategy:
        return None
    for name in args.strategy:
        parse_strategy(name, "--strategy")
    return list(args.strategy)


def probability(text: str) -> float:
    """An argparse type: a probability, written ``0.01`` or ``1%``."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a probability such as 0.01 or 1%, got {text!r}"
        ) from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a probability between 0 and 1, got {text!r}")
    return value


def add_max_risk(p: argparse.ArgumentParser) -> None:
    """--max-risk: the bound the closing recommendation uses."""
    p.add_argument(
        "--max-risk",
        type=probability,
        default=0.01,
        metavar="P",
        help="the recommendation picks the quickest strategy whose stale, wrong-end and "
        "regression rates all have a 95%% upper limit at or below P (default: 1%%)",
    )


def trials_for(
    args: argparse.Namespace,
    scenarios: Iterable[Scenario],
    rows_per_trial: int,
    strategies: Iterable[Strategy] = (),
) -> int:
    """``--trials``, or its default when not given.

    The default is :data:`FAST_TRIALS` if the fast path decides every trial of every scenario
    of the run under every one of `strategies` (engine not forced to SimPy), else the
    command's own; never more than keeps the run under racesim's row limit (`rows_per_trial`
    rows per trial: strategies times sweep values).
    """
    if args.trials is not None:
        return int(args.trials)
    from racesim.limits import MAX_RESULT_ROWS
    from racesim.studies.fastpath import fast_path_reason

    slow = int(args.simpy_trials)
    chosen = list(strategies)
    if getattr(args, "engine", "auto") == "simpy" or any(
        fast_path_reason(s) is not None or any(fast_path_reason(s, c) is not None for c in chosen)
        for s in scenarios
    ):
        return slow
    return max(slow, min(FAST_TRIALS, MAX_RESULT_ROWS // max(1, rows_per_trial)))
