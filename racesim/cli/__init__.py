"""The ``racesim`` command: replay incidents, compare strategies, write the demo.

Every sub-command is a module of this package named in :data:`COMMANDS`; it exposes
``add_parser(sub) -> ArgumentParser`` and ``run(args) -> int``. Adding a command is one module and
one name in :data:`COMMANDS`. The modules import only light things at the top (argparse and the
racesim modules that need neither NumPy nor pandas) and the heavy ones inside ``run``, so
``racesim --help`` and ``racesim COMMAND --help`` answer at once.

Errors in what the user typed or wrote (a bad argument, a malformed file) print one line and exit
2; a mistyped command, strategy or property name gets a "did you mean". The library names the
parameter a bad value came in; :func:`shown` names the flag instead (``FLAGS`` in
``racesim/cli/_names.py``), so this package is the only one that knows flag names.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from racesim import __version__
from racesim._util.suggest import did_you_mean
from racesim.cli._names import flag_of, with_flags
from racesim.errors import InputError, RacesimError

__all__ = ["COMMANDS", "build_parser", "main"]

#: the sub-commands, in the order ``racesim --help`` lists them (modules of racesim.cli)
COMMANDS = (
    "replay",
    "compare",
    "sweep",
    "matrix",
    "check",
    "prove",
    "demo",
    "classroom",
    "audit",
    "emit",
    "ingest",
)

EXIT_STATUS = "exit status: 0 success; 2 bad input (a one-line error on stderr)"

_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<word>[^']*)' \(choose from (?P<choices>.*)\)")


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports a usage error in one line and exits 2.

    Abbreviated options are refused (``--trial`` is not ``--trials``): an abbreviation that
    works today would change meaning when a longer option is added.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        match = _INVALID_CHOICE.search(message)
        if match is not None:
            choices = [c.strip(" '") for c in match["choices"].split(",")]
            message = (
                f"{message[: match.start()]}invalid choice: {match['word']!r}; expected one of "
                f"{', '.join(choices)}{did_you_mean(match['word'], choices)}"
            )
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``racesim`` argument parser with every sub-command."""
    parser = _Parser(
        prog="racesim",
        description="Simulate, replay and property-test CI deploy races.",
        epilog="Run `racesim COMMAND --help` for a command's options. "
        + EXIT_STATUS
        + "; `replay` and `demo` exit 1 when a replay does not reproduce the incident, "
        "`check` when it finds a counterexample.",
    )
    parser.add_argument("--version", action="version", version=f"racesim {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    for name in COMMANDS:
        module = importlib.import_module(f"racesim.cli.{name}")
        command = module.add_parser(sub)
        if hasattr(module, "run"):  # a command with sub-commands sets its own
            command.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 a check failed, 2 bad input)."""
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:
        _unrecognized(parser, args, extras)
    _keep_hypothesis_out_of_cwd()
    try:
        code: int = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here rather than at interpreter exit
    except RacesimError as exc:
        print(f"racesim {args.command}: error: {shown(exc, args.command)}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`racesim prove ... | head`): stop quietly, as `cat` would.
        # Python would report the failed flush of the closed stdout at exit, so point stdout
        # at /dev/null first (the recipe of the signal module's documentation).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a command a closed pipe stopped
    return code


def _parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """`parser` and every sub-command parser below it."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def _unrecognized(
    parser: argparse.ArgumentParser, args: argparse.Namespace, extras: list[str]
) -> None:
    """Exit 2 naming the arguments the command does not take, with the closest option."""
    command: argparse.ArgumentParser = parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            command = action.choices.get(args.command, parser)
    flags = [flag for p in _parsers(command) for a in p._actions for flag in a.option_strings]
    hints = "".join(
        did_you_mean(extra.split("=", 1)[0], flags) for extra in extras if extra.startswith("-")
    )
    command.error(f"unrecognized arguments: {' '.join(extras)}{hints}")


def _keep_hypothesis_out_of_cwd() -> None:
    """Searches run on hypothesis, which caches in ``./.hypothesis`` by default: a command run in
    the user's repository (``racesim audit .``) must write nothing there, so the cache goes to
    a folder under the system's temporary directory unless the user chose one."""
    if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        user = os.getuid() if hasattr(os, "getuid") else "user"
        where = Path(tempfile.gettempdir()) / f"racesim-hypothesis-{user}"
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(where)


def shown(exc: RacesimError, command: str) -> str:
    """The one line an error prints: parameters it names are shown as the flags that set them.

    Only errors about arguments (no source file) have their field mapped: a field of a scenario
    or incident file keeps its name, even where it is also a parameter's.
    """
    if isinstance(exc, InputError):
        field = flag_of(exc.field, command) if exc.source is None else exc.field
        return str(InputError(field, with_flags(exc.problem, command), exc.source))
    return with_flags(str(exc), command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
