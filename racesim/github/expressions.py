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
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from racesim.errors import InputError

__all__ = ["UNKNOWN", "Open", "Sym", "Value", "evaluate", "interpolate", "truth"]


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


class Open(dict[str, Any]):
    """A mapping of which only some keys are known: a missing key is :data:`UNKNOWN`.

    A step's ``outputs`` are open: racesim knows what it read a step write, not everything the
    step may write.
    """


Value = str | float | int | bool | None | Sym | Mapping[str, Any] | list[Any]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|0x[0-9a-fA-F]+)"
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
            raise InputError("expression", f"cannot parse {text!r} at {text[pos:]!r}")
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
        return json.dumps(v)
    return str(v)


def concat(parts: list[Value]) -> Value:
    """Strings joined as ``${{ }}`` interpolation joins them; a Sym part makes the result a Sym."""
    strings = [_string(p) for p in parts]
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
        for piece in re.split(r"(\{\d+\})", template.replace("{{", "\0").replace("}}", "\1")):
            m = re.fullmatch(r"\{(\d+)\}", piece)
            if m and int(m.group(1)) + 1 < len(args):
                pieces.append(args[int(m.group(1)) + 1])
            else:
                pieces.append(piece.replace("\0", "{").replace("\1", "}"))
        return concat(pieces)
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
        except ValueError:
            return UNKNOWN
        return result
    if lname == "tojson" and len(args) == 1:
        return UNKNOWN if isinstance(args[0], Sym) else json.dumps(args[0], default=str)
    return UNKNOWN


class _ExpressionParser:
    def __init__(self, text: str, ctx: Mapping[str, Any], status: Mapping[str, bool]) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.ctx = ctx
        self.status = status

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            want = repr(value) if value else "more"
            raise InputError("expression", f"cannot parse {self.text!r}: expected {want}")
        self.i += 1
        return tok

    def parse(self) -> Value:
        value = self.or_()
        if self.peek() is not None:
            raise InputError("expression", f"cannot parse {self.text!r} at {self.peek()[1]!r}")  # type: ignore[index]
        return value

    def or_(self) -> Value:
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
            t = truth(self.unary())
            return UNKNOWN if t is None else not t
        return self.postfix()

    def postfix(self) -> Value:
        value = self.primary()
        while (tok := self.peek()) is not None and tok[1] in (".", "["):
            self.take()
            if tok[1] == ".":
                kind, name = self.take()
                if kind != "name" and name != "*":
                    raise InputError("expression", f"cannot parse {self.text!r}: bad property")
            else:
                key = self.or_()
                self.take("]")
                name = str(_string(key))
            value = _index(value, name)
        return value

    def primary(self) -> Value:
        kind, text = self.take()
        if kind == "num":
            return float(int(text, 16)) if text.startswith("0x") else float(text)
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
        raise InputError("expression", f"cannot parse {self.text!r} at {text!r}")


def _merge_unknown(a: Value, b: Value) -> Value:
    if isinstance(a, Sym) and isinstance(b, Sym | str):
        dims = a.dims | (b.dims if isinstance(b, Sym) else frozenset())
        return Sym(f"{a} || {b}", dims | {"unknown"}, True if truth(b) else None)
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


_INTERP = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def interpolate(text: object, ctx: Mapping[str, Any]) -> Value:
    """The value of a workflow string with ``${{ }}`` parts (a lone expression keeps its type)."""
    if not isinstance(text, str):
        return text  # type: ignore[return-value]
    parts = _INTERP.split(text)
    if len(parts) == 3 and parts[0].strip() == "" and parts[2].strip() == "":
        return evaluate(parts[1], ctx)
    values: list[Value] = []
    for i, part in enumerate(parts):
        values.append(evaluate(part, ctx) if i % 2 else part)
    return concat(values)


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
