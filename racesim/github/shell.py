"""Read a ``run:`` script (or a repo script) as commands, with a real shell parser.

:func:`parse` walks the tree `bashlex` builds and returns every simple command (inside
pipelines, lists, ``if``, loops and ``$( )`` substitutions) with its words, its line and where
its output is appended (``>> $GITHUB_OUTPUT``), and every loop with the commands in its body
(a polling loop is a wait). Values racesim substituted before parsing (``<commit-sha>``) are
protected from the parser, which would read ``<`` as a redirection. A script bashlex cannot
parse is read line by line with :mod:`shlex` instead, and :attr:`Script.parsed` says so.

Scripts are untrusted input, so reading one takes time about linear in its length: bashlex reads
at most :data:`MAX_PARSED` characters and :data:`MAX_NESTING` levels of brackets (other scripts
go line by line), nesting that still makes the walk recurse too deep falls back to line by
line, and a command longer than
:data:`MAX_SHLEX` characters is split on whitespace (shlex builds a word a character at a time:
quadratic in the word's length, minutes for a one-megabyte word). The last few scripts read are
remembered: a script called from every step of every workflow is parsed once, not once a call.
"""

from __future__ import annotations

import bisect
import re
import shlex
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import bashlex  # type: ignore[import-untyped]
import bashlex.errors  # type: ignore[import-untyped]
import bashlex.subst  # type: ignore[import-untyped]

__all__ = ["Command", "Loop", "Script", "parse"]

#: the longest script parsed with bashlex (longer ones are read line by line)
MAX_PARSED = 200_000
#: the longest command split with shlex when reading line by line (longer: on whitespace)
MAX_SHLEX = 20_000
#: the deepest nesting of brackets parsed with bashlex (deeper scripts are read line by line):
#: its tokenizer recurses once a level and rescans, so time would depend on the recursion limit
MAX_NESTING = 64

_paramexpand = bashlex.subst._paramexpand


def _paramexpand_closed(parserobj: Any, string: str, sindex: int) -> Any:
    """bashlex's ``$`` expansion, refusing a ``${`` with no ``}`` after it in the word.

    bashlex 0.18 takes the missing ``}`` (``str.find`` gives -1) for position 0 and starts the
    word over, forever: ``echo '${'x`` hangs it. Bash calls this a bad substitution; here it is
    bashlex's own parsing error, so the script is read line by line.
    """
    if string.startswith("${", sindex) and string.find("}", sindex + 2) == -1:
        raise bashlex.errors.ParsingError("bad substitution: no closing '}'", string, sindex)
    return _paramexpand(parserobj, string, sindex)


bashlex.subst._paramexpand = _paramexpand_closed


@dataclass(frozen=True)
class Command:
    """One simple command: its words (quotes removed), 0-based line, text and output file."""

    words: tuple[str, ...]
    line: int
    text: str
    appends_to: str = ""
    assigns: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Loop:
    """A ``for``/``while``/``until`` loop: its first line, the commands in it, its bound."""

    line: int
    commands: tuple[Command, ...]
    count: float = 0.0


@dataclass
class Script:
    """The commands and loops of a script; `parsed` is false when read line by line."""

    commands: list[Command] = field(default_factory=list)
    loops: list[Loop] = field(default_factory=list)
    parsed: bool = True


_MARK = re.compile(r"<([A-Za-z][\w.:/ -]*?)>")


def _protect(script: str) -> tuple[str, dict[str, str]]:
    table: dict[str, str] = {}

    def sub(m: re.Match[str]) -> str:
        key = f"RSQ{len(table)}Q"
        table[key] = m.group(0)
        return key

    return _MARK.sub(sub, script), table


def _restore(text: str, table: dict[str, str]) -> str:
    if "RSQ" not in text:
        return text
    return re.sub(r"RSQ\d+Q", lambda m: table.get(m.group(0), m.group(0)), text)


class _Walker:
    def __init__(self, source: str, table: dict[str, str]) -> None:
        self.source = source
        self.table = table
        self.commands: list[Command] = []
        self.loops: list[Loop] = []
        # where each line starts: a line number is a bisection, not a count from the start
        self.newlines = [m.start() for m in re.finditer("\n", source)]

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos)

    def command(self, node: Any) -> Command | None:
        words: list[str] = []
        assigns: list[tuple[str, str]] = []
        appends = ""
        for part in node.parts:
            kind = part.kind
            if kind == "word":
                words.append(_restore(part.word, self.table))
            elif kind == "assignment" and not words:
                name, _, value = part.word.partition("=")
                assigns.append((name, _restore(value, self.table)))
            elif kind == "redirect" and getattr(part, "type", "") in (">>", ">"):
                target = part.output
                if hasattr(target, "word"):
                    appends = _restore(target.word, self.table)
        start, end = node.pos
        text = _restore(self.source[start:end], self.table)
        if not words and not assigns:
            return None
        return Command(tuple(words), self.line(start), text, appends, tuple(assigns))

    def visit(self, node: Any, sink: list[Command]) -> None:
        kind = node.kind
        if kind == "command":
            cmd = self.command(node)
            if cmd is not None:
                sink.append(cmd)
            for part in node.parts:
                for sub in getattr(part, "parts", []) or []:
                    if sub.kind == "commandsubstitution":
                        self.visit(sub.command, sink)
            return
        if kind == "compound":
            for part in node.list:
                self.visit(part, sink)
            return
        if kind in ("for", "while", "until"):
            body: list[Command] = []
            count = 0.0
            for part in node.parts:
                if kind == "for" and part.kind == "word":
                    m = re.search(r"seq\s+(?:\d+\s+)?(\d+)|\{\d+\.\.(\d+)\}", part.word)
                    if m:
                        count = float(m.group(1) or m.group(2))
                self.visit(part, body)
            sink.extend(body)
            self.loops.append(Loop(self.line(node.pos[0]), tuple(body), count))
            return
        for name in ("parts", "list"):
            for part in getattr(node, name, []) or []:
                if hasattr(part, "kind"):
                    self.visit(part, sink)
        command = getattr(node, "command", None)
        if command is not None and hasattr(command, "kind"):
            self.visit(command, sink)


def _lines(script: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    buf, start = "", 0
    for i, line in enumerate(script.splitlines()):
        if not buf:
            start = i
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        out.append((start, buf.strip()))
        buf = ""
    if buf:
        out.append((start, buf.strip()))
    return out


_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)")


def _by_lines(script: str) -> Script:
    out = Script(parsed=False)
    for line, whole in _lines(script):
        # the commands inside $( ) are commands too; what is left keeps a placeholder
        inner = _SUBSTITUTION.findall(whole)
        text = _SUBSTITUTION.sub("RSSUBST", whole)
        for part in [*re.split(r"\s*(?:&&|\|\||;|\|)\s*", text), *inner]:
            try:
                words = shlex.split(part, comments=True) if len(part) <= MAX_SHLEX else part.split()
            except ValueError:
                words = part.split()
            assigns = []
            while words and re.fullmatch(r"[A-Za-z_]\w*=.*", words[0]):
                name, _, value = words.pop(0).partition("=")
                assigns.append((name, value))
            m = re.search(r">>?\s*\"?(\$\{?\w+\}?)\"?\s*$", part)
            appends = m.group(1) if m else ""
            if words or assigns:
                out.commands.append(Command(tuple(words), line, part, appends, tuple(assigns)))
    return out


def _nesting(script: str) -> int:
    """The deepest nesting of ``(`` and ``{`` (quotes not excluded: an over-count only means the
    script is read line by line)."""
    depth = deepest = 0
    for c in script:
        if c in "({":
            depth += 1
            deepest = max(deepest, depth)
        elif c in ")}" and depth:
            depth -= 1
    return deepest


def parse(script: str) -> Script:
    """The commands and loops of `script`."""
    read = _parse(script)
    return Script(list(read.commands), list(read.loops), read.parsed)  # the caller's own lists


@lru_cache(maxsize=32)
def _parse(script: str) -> Script:
    if len(script) > MAX_PARSED or _nesting(script) > MAX_NESTING:
        return _by_lines(script)
    source, table = _protect(script)
    # bashlex lacks array assignments (`a=(x y)`); their values never name an image here
    source = re.sub(
        r"\b([A-Za-z_]\w*)=\(([^()]*)\)",
        lambda m: f"{m.group(1)}=RSARRAY" + " " * (len(m.group(0)) - len(m.group(1)) - 8),
        source,
    )
    try:
        trees = bashlex.parse(source)
    except Exception:  # bashlex raises its own and a few builtin errors on what it lacks
        return _by_lines(script)
    walker = _Walker(source, table)
    out = Script()
    try:
        for tree in trees:
            walker.visit(tree, out.commands)
    except RecursionError:
        return _by_lines(script)
    out.loops = walker.loops
    return out
