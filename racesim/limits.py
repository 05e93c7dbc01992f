"""The documented limits of what racesim accepts, checked where input is read.

racesim simulates CI pipelines: minutes of builds, a few pushes, thousands of trials. Input far
outside that range is a typo or an attack, and taking it literally would overflow a date, exhaust
memory or run for hours. Every limit below is checked when the input is read (a file, a CLI
argument, a Python argument), and breaking one raises :class:`~racesim.errors.InputError` naming
the file and the field, so the CLI prints one line instead of hanging or printing a traceback.
``docs/reference/limits.md`` lists them for users.
"""

from __future__ import annotations

import math
from datetime import datetime

from racesim.errors import InputError

__all__ = [
    "MAX_CHECK_EXAMPLES",
    "MAX_CHECK_PUSHES",
    "MAX_FILE_BYTES",
    "MAX_INTEGER",
    "MAX_JOBS",
    "MAX_LANES",
    "MAX_PATH_CHARS",
    "MAX_POISSON_MEAN",
    "MAX_POLLS",
    "MAX_PUSHES",
    "MAX_RESULT_ROWS",
    "MAX_SECONDS",
    "MAX_SEED",
    "MAX_SIMULATIONS",
    "MAX_STREAMED_TRIALS",
    "MAX_SWEEP_VALUES",
    "MAX_TOML_DEPTH",
    "MAX_TRIALS",
    "MAX_YEAR",
    "MIN_YEAR",
    "check_count",
    "check_moment",
    "check_seconds",
    "finite_float",
]

#: longest duration or time offset, in seconds (about 116 days; CI steps take minutes)
MAX_SECONDS = 1e7
#: earliest and latest year of an observed date-time (leaves room for any UTC offset)
MIN_YEAR = 1970
MAX_YEAR = 2999
#: most pushes in one history (a burst count, a list of push times, an incident's pushes)
MAX_PUSHES = 1_000
#: largest mean push count of a Poisson schedule (``rate_per_hour * window / 3600``)
MAX_POISSON_MEAN = 500.0
#: largest random seed (results store it in a 64-bit column)
MAX_SEED = 2**63 - 1
#: most trials of one Monte Carlo run that keeps its rows (per sweep value)
MAX_TRIALS = 1_000_000
#: most result rows of one run: trials x strategies x sweep values
MAX_RESULT_ROWS = 5_000_000
#: most trials of one run that keeps only its summary (``racesim compare``, ``racesim sweep``,
#: ``summarize_trials``, ``summarize_sweep``), per sweep value: its memory does not grow with them
MAX_STREAMED_TRIALS = 100_000_000
#: most simulations of one such run: trials x strategies x sweep values (about half an hour of
#: the fast path on one core)
MAX_SIMULATIONS = 1_000_000_000
#: most values of one sweep
MAX_SWEEP_VALUES = 1_000
#: largest input file (incident or scenario TOML)
MAX_FILE_BYTES = 1 << 20
#: deepest nesting of arrays and tables in an input file
MAX_TOML_DEPTH = 32
#: largest integer in an input file (TOML integers are 64-bit)
MAX_INTEGER = 2**63 - 1
#: longest path accepted for an input or output file
MAX_PATH_CHARS = 4096
#: most registry polls of one wait-for-image step (``timeout / interval``)
MAX_POLLS = 10_000
#: most worker processes of one run
MAX_JOBS = 256
#: ``racesim check``: most pushes per history and most generated histories
MAX_CHECK_PUSHES = 20
MAX_CHECK_EXAMPLES = 100_000
#: most runs a timeline figure draws before it narrows to a window of time (about one screen)
MAX_LANES = 12


def check_seconds(field: str, value: float, source: str | None = None) -> float:
    """`value` (a finite number of seconds) if it is at most :data:`MAX_SECONDS`, else an error."""
    if abs(value) > MAX_SECONDS:
        raise InputError(
            field,
            f"{value:g} s is beyond racesim's limit of {MAX_SECONDS:g} s (about 116 days); "
            "see docs/reference/limits.md",
            source,
        )
    return value


def check_count(field: str, value: int, limit: int, what: str, source: str | None = None) -> int:
    """`value` if it is at most `limit` (of `what`, for the message), else an error."""
    if value > limit:
        raise InputError(
            field,
            f"{value:,} {what} is beyond racesim's limit of {limit:,}; "
            "see docs/reference/limits.md",
            source,
        )
    return value


def check_moment(field: str, value: datetime, source: str | None = None) -> datetime:
    """`value` if its year is between :data:`MIN_YEAR` and :data:`MAX_YEAR`, else an error.

    Checked before converting to UTC, which would overflow for a date near year 9999 with a
    negative offset.
    """
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InputError(
            field,
            f"{value.isoformat()} is outside the years {MIN_YEAR}-{MAX_YEAR} racesim accepts",
            source,
        )
    return value


def finite_float(value: object) -> float | None:
    """`value` as a float if it is a finite real number (not a bool), else ``None``.

    Unlike ``math.isfinite``, an integer too large for a float gives ``None`` rather than an
    OverflowError.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        result = float(value)
    except OverflowError:
        return None
    return result if math.isfinite(result) else None
