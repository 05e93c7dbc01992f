"""A small evaluator for GitHub Actions expressions (``${{ ... }}``), with symbolic values.

An audit does not know the values of ``github.run_id`` or ``github.sha``; it knows how they vary.
So a context value is either a plain value (a string, number, boolean or ``None``) or a
:class:`Sym`: an unknown string labelled with what it varies along (``run``: every run differs;
``commit``: every commit; ``ref``: every branch or tag; ``pr``: every pull request;
``unknown``: cannot be decided). Operators on plain values follow GitHub's rules (string
comparison ignores case, ``||`` and ``&&`` return an operand); anything that depends on a Sym's
actual value is :data:`UNKNOWN` rather than a guess.

Supported: literals, context access (``a.b``, ``a['b']``), ``!``, ``==``, ``!=``, ``<``, ``<=``,
``>``, ``>=``, ``&&``, ``||``, parentheses, and the functions ``format``, ``startsWith``,
``endsWith``, ``contains``, ``fromJSON`` (of a known value), ``toJSON``, ``success``,
``always``, ``failure``, ``cancelled``.

Expressions come from untrusted workflow files, so evaluation is bounded. As on GitHub (whose
runner refuses an expression longer than 21,000 characters or nested deeper than 50 levels), an
expression longer than :data:`MAX_LENGTH` or nesting (parentheses, ``[ ]``, function arguments,
``fromJSON`` values) deeper than :data:`MAX_NESTING` is an :class:`~racesim.errors.InputError`
rather than a RecursionError or a quadratic parse; a run of ``!`` is a loop. A value built by
interpolation or ``format`` that would hold more than :data:`MAX_VALUE` substituted characters is
:data:`UNKNOWN`-like (a :class:`Sym` saying so) instead of a string that doubles with every
``env`` entry that repeats the one before (``A2: ${{ env.A1 }}${{ env.A1 }}``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from racesim.errors import InputError

__all__ = [
    "MAX_LENGTH",
    "MAX_NESTING",
    "MAX_VALUE",
    "UNKNOWN",
    "Open",
    "Sym",
    "Value",
    "evaluate",
    "interpolate",
    "truth",
]

#: how deep an expression (or a value fromJSON reads) may nest: GitHub's limit
MAX_NESTING = 50
#: the longest expression, in characters: GitHub's limit
MAX_LENGTH = 21_000
#: the most characters interpolation or ``format`` substitutes into one string
MAX_VALUE = 1 << 16
#: how much of an expression an error message quotes
_SHOWN = 80


@dataclass(frozen=True)
class Sym:
    """An unknown string: `text` shows where it came from, `dims` what it varies along.

    ``truthy`` is ``True`` when the value is known to be non-empty, ``None`` when even that is
    unknown.
    """

    text: str
    dims: frozenset[str]
    truthy: bool | None = True
    prefix: str = ""

    def __str__(self) -> str:
        return self.text


#: a value that cannot be decided statically
UNKNOWN = Sym("<unknown>", frozenset({"unknown"}), None)
#: a value longer than :data:`MAX_VALUE` (known to be non-empty, not followed further)
TOO_LONG = Sym(f"<longer than {MAX_VALUE} characters>", frozenset({"unknown"}), True)


def _shown(text: str) -> str:
    """`text` quoted for an error message, cut to a readable length."""
    return repr(text) if len(text) <= _SHOWN else repr(text[:_SHOWN]) + "..."


class Open(dict[str, Any]):
    """A mapping of which only some keys are known: a missing key is :data:`UNKNOWN`.

    A step's ``outputs`` are open: racesim knows what it read a step write, not everything the
    step may write.
    """


Value = str | float | int | bool | None | Sym | Mapping[str, Any] | list[Any]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>0x[0-9a-fA-F]+|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"|(?P<str>'(?:[^']|'')*')"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\],.*])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise InputError("expression", f"cannot parse {_shown(text)} at {_shown(text[pos:])}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def truth(value: Value) -> bool | None:
    """GitHub's truthiness of `value`, or ``None`` when it cannot be decided."""
    if isinstance(value, Sym):
        return value.truthy
    if value is None or value is False:
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, str):
        return value != ""
    return True


def _compare(a: Value, b: Value, op: str) -> Value:
    if op in ("==", "!=") and (isinstance(a, Sym) != isinstance(b, Sym)):
        sym, lit = (a, b) if isinstance(a, Sym) else (b, a)
        assert isinstance(sym, Sym)
        if sym.prefix and isinstance(lit, str) and not lit.lower().startswith(sym.prefix):
            return op == "!="
    if isinstance(a, Sym) or isinstance(b, Sym):
        return UNKNOWN
    if isinstance(a, str) and isinstance(b, str):
        x: Any = a.lower()
        y: Any = b.lower()
    elif type(a) is type(b) or (
        isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool)
    ):
        x, y = a, b
    else:
        x, y = _number(a), _number(b)
    if op == "==":
        return bool(x == y)
    if op == "!=":
        return bool(x != y)
    try:
        return bool({"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op])
    except TypeError:
        return False


def _number(v: Value) -> float:
    if v is None or v is False:
        return 0.0
    if v is True:
        return 1.0
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip() or 0)
        except ValueError:
            return float("nan")
    return float("nan")


def _string(v: Value) -> str | Sym:
    if isinstance(v, Sym):
        return v
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, Mapping | list):
        try:  # a context mapping holds Syms (shown as their text)
            return json.dumps(v, default=str)
        except (ValueError, RecursionError):  # a cycle, or deeper than json goes
            return UNKNOWN
    return str(v)


def concat(parts: list[Value], literal: tuple[bool, ...] = ()) -> Value:
    """Strings joined as ``${{ }}`` interpolation joins them; a Sym part makes the result a Sym.

    Parts flagged in `literal` were written in the file; the others may hold at most
    :data:`MAX_VALUE` characters between them, or the result is :data:`TOO_LONG`.
    """
    strings = [_string(p) for p in parts]
    substituted = sum(
        len(str(s)) for i, s in enumerate(strings) if not (i < len(literal) and literal[i])
    )
    if substituted > MAX_VALUE:
        return TOO_LONG
    if not any(isinstance(s, Sym) for s in strings):
        return "".join(str(s) for s in strings)
    dims: frozenset[str] = frozenset()
    truthy: bool | None = False
    for s in strings:
        if isinstance(s, Sym):
            dims |= s.dims
            if s.truthy:
                truthy = True
            elif s.truthy is None and truthy is False:
                truthy = None
        elif s:
            truthy = True
    return Sym("".join(str(s) for s in strings), dims, truthy)


def _call(name: str, args: list[Value], status: Mapping[str, bool]) -> Value:
    lname = name.lower()
    if lname in ("success", "always", "failure", "cancelled"):
        return status.get(lname, lname in ("success", "always"))
    if lname == "format":
        if not args or isinstance(args[0], Sym):
            return UNKNOWN
        template = _string(args[0])
        assert isinstance(template, str)
        pieces: list[Value] = []
        literal: list[bool] = []
        for piece in re.split(r"(\{\d+\})", template.replace("{{", "\0").replace("}}", "\1")):
            m = re.fullmatch(r"\{(\d+)\}", piece)
            if m and int(m.group(1)) + 1 < len(args):
                pieces.append(args[int(m.group(1)) + 1])
                literal.append(False)
            else:
                pieces.append(piece.replace("\0", "{").replace("\1", "}"))
                literal.append(True)
        return concat(pieces, tuple(literal))
    if lname in ("startswith", "endswith", "contains") and len(args) == 2:
        a, b = args
        if isinstance(a, Sym) or isinstance(b, Sym):
            return UNKNOWN
        if lname == "contains" and isinstance(a, list):
            return any(_compare(x, b, "==") is True for x in a)
        sa, sb = str(_string(a)).lower(), str(_string(b)).lower()
        return {"startswith": sa.startswith, "endswith": sa.endswith}.get(lname, sa.__contains__)(
            sb
        )
    if lname == "fromjson" and len(args) == 1:
        a = args[0]
        if isinstance(a, Sym):
            return UNKNOWN
        try:
            result: Value = json.loads(str(_string(a)))
        except (ValueError, RecursionError):  # also: integers of thousands of digits
            return UNKNOWN
        return result if _depth(result) <= MAX_NESTING else UNKNOWN
    if lname == "tojson" and len(args) == 1:
        if isinstance(args[0], Sym):
            return UNKNOWN
        try:
            return json.dumps(args[0], default=str)
        except (ValueError, RecursionError):
            return UNKNOWN
    return UNKNOWN


def _depth(value: object) -> int:
    """How deep lists and mappings nest in `value` (without recursing)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, Mapping):
            v = list(v.values())
        if isinstance(v, list):
            deepest = max(deepest, d)
            if d <= MAX_NESTING:
                stack.extend((x, d + 1) for x in v)
    return deepest


class _ExpressionParser:
    def __init__(self, text: str, ctx: Mapping[str, Any], status: Mapping[str, bool]) -> None:
        if len(text) > MAX_LENGTH:
            raise InputError(
                "expression", f"{_shown(text)} is longer than {MAX_LENGTH:,} characters"
            )
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.ctx = ctx
        self.status = status
        self.depth = 0

    def enter(self) -> None:
        """One level deeper (parentheses, ``!``, ``[ ]``, arguments): bounded, not recursed."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise InputError(
                "expression", f"{_shown(self.text)} nests deeper than {MAX_NESTING} levels"
            )

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            want = repr(value) if value else "more"
            raise InputError("expression", f"cannot parse {_shown(self.text)}: expected {want}")
        self.i += 1
        return tok

    def parse(self) -> Value:
        value = self.or_()
        if self.peek() is not None:
            rest = self.peek()[1]  # type: ignore[index]
            raise InputError("expression", f"cannot parse {_shown(self.text)} at {rest!r}")
        return value

    def or_(self) -> Value:
        self.enter()
        try:
            return self._or()
        finally:
            self.depth -= 1

    def _or(self) -> Value:
        left = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            t = truth(left)
            if t is True:
                continue
            left = right if t is False else _merge_unknown(left, right)
        return left

    def and_(self) -> Value:
        left = self.cmp()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.cmp()
            t = truth(left)
            if t is False:
                continue
            left = right if t is True else False if truth(right) is False else UNKNOWN
        return left

    def cmp(self) -> Value:
        left = self.unary()
        while (tok := self.peek()) is not None and tok[1] in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            left = _compare(left, self.unary(), tok[1])
        return left

    def unary(self) -> Value:
        if self.peek() == ("op", "!"):
            self.take()
            nots = 1
            while self.peek() == ("op", "!"):  # `!!!!x` is a loop, not a recursion
                self.take()
                nots += 1
            t = truth(self.postfix())
            return UNKNOWN if t is None else t if nots % 2 == 0 else not t
        return self.postfix()

    def postfix(self) -> Value:
        value = self.primary()
        while (tok := self.peek()) is not None and tok[1] in (".", "["):
            self.take()
            if tok[1] == ".":
                kind, name = self.take()
                if kind != "name" and name != "*":
                    raise InputError(
                        "expression", f"cannot parse {_shown(self.text)}: bad property"
                    )
            else:
                key = self.or_()
                self.take("]")
                name = str(_string(key))
            value = _index(value, name)
        return value

    def primary(self) -> Value:
        kind, text = self.take()
        if kind == "num":
            if text.startswith("0x"):
                try:
                    return float(int(text, 16))
                except OverflowError:  # beyond a double, as in JavaScript
                    return float("inf")
            return float(text)
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if text == "(":
            value = self.or_()
            self.take(")")
            return value
        if kind == "name":
            low = text.lower()
            if low in ("true", "false"):
                return low == "true"
            if low == "null":
                return None
            if self.peek() == ("op", "("):
                self.take()
                args: list[Value] = []
                while self.peek() != ("op", ")"):
                    args.append(self.or_())
                    if self.peek() == ("op", ","):
                        self.take()
                self.take(")")
                return _call(text, args, self.status)
            if low in self.ctx:
                return self.ctx[low]  # type: ignore[no-any-return]
            return UNKNOWN
        raise InputError("expression", f"cannot parse {_shown(self.text)} at {_shown(text)}")


def _merge_unknown(a: Value, b: Value) -> Value:
    if isinstance(a, Sym) and isinstance(b, Sym | str):
        dims = a.dims | (b.dims if isinstance(b, Sym) else frozenset())
        # the text only shows where the value came from: a long `||` chain is cut, not copied
        # once per operand (which is quadratic)
        text = f"{a} || {b}" if len(a.text) < _SHOWN else a.text.removesuffix(" || ...") + " || ..."
        return Sym(text, dims | {"unknown"}, True if truth(b) else None)
    return UNKNOWN


def _index(value: Value, name: str) -> Value:
    if isinstance(value, Sym):
        return value
    if isinstance(value, Mapping):
        for key, v in value.items():
            if str(key).lower() == name.lower():
                return v  # type: ignore[no-any-return]
        return UNKNOWN if isinstance(value, Open) else None
    return None


def evaluate(text: str, ctx: Mapping[str, Any], status: Mapping[str, bool] | None = None) -> Value:
    """The value of the expression `text` (without ``${{ }}``) in the context `ctx`.

    `ctx` maps lower-case context names (``github``, ``env``, ``inputs``...) to nested mappings
    of values; `status` gives the job-status functions (``success()`` is true by default).
    """
    return _ExpressionParser(text, ctx, status or {}).parse()


def _split(text: str) -> list[str]:
    r"""`text` split into literal text and the expressions between ``${{`` and ``}}``, alternately.

    What ``re.split(r"\$\{\{(.*?)\}\}", text, flags=re.S)`` returns, in linear time (the regular
    expression retries every unclosed ``${{``: quadratic).
    """
    parts: list[str] = []
    pos = 0
    while (start := text.find("${{", pos)) >= 0 and (end := text.find("}}", start + 3)) >= 0:
        parts += [text[pos:start], text[start + 3 : end]]
        pos = end + 2
    parts.append(text[pos:])
    return parts


def interpolate(text: object, ctx: Mapping[str, Any]) -> Value:
    """The value of a workflow string with ``${{ }}`` parts (a lone expression keeps its type)."""
    if not isinstance(text, str):
        return text  # type: ignore[return-value]
    parts = _split(text)
    if len(parts) == 3 and parts[0].strip() == "" and parts[2].strip() == "":
        return evaluate(parts[1], ctx)
    values: list[Value] = []
    for i, part in enumerate(parts):
        values.append(evaluate(part, ctx) if i % 2 else part)
    return concat(values, tuple(i % 2 == 0 for i in range(len(parts))))


def condition(
    text: object, ctx: Mapping[str, Any], status: Mapping[str, bool] | None = None
) -> bool | None:
    """The truth of an ``if:`` condition (with or without ``${{ }}``), ``None`` when undecided.

    As on GitHub, a condition without a status function is ``success() && (<condition>)``.
    """
    if text is None:
        return True
    if isinstance(text, bool):
        return text
    s = str(text).strip()
    m = re.fullmatch(r"\$\{\{(.*)\}\}", s, re.S)
    if m:
        s = m.group(1)
    elif "${{" in s:
        return truth(interpolate(s, ctx))
    return truth(evaluate(s, ctx, status))
