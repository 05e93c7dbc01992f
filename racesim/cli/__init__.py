"""The ``racesim`` command: replay incidents, compare strategies, write the demo.

Every sub-command lives in its own module and registers itself with :func:`main`'s parser. Errors
in what the user typed or wrote (a bad argument, a malformed file) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from racesim.cli import audit, check, compare, demo, emit, ingest, matrix, prove, replay, sweep
from racesim.errors import RacesimError

__all__ = ["main"]

COMMANDS = (replay, compare, sweep, matrix, check, prove, demo, audit, emit, ingest)


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports a usage error in one line and exits 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``racesim`` argument parser with every sub-command."""
    parser = _Parser(
        prog="racesim",
        description="Simulate, replay and property-test CI deploy races.",
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 a check failed, 2 bad input)."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except RacesimError as exc:
        print(f"racesim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
