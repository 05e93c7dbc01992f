"""Reading untrusted JSON with errors that name the file and the JSON path.

What users save with ``gh`` or ``gh api`` is JSON written by someone else: a field can be missing,
null, of another type, or (in ``gh`` output) a placeholder time. :class:`Node` wraps one value with
its path (``$.workflow_runs[3].created_at``) and its source (the file name), so that every error
about it says exactly where to look. :func:`split_documents` reads ``gh api --paginate`` output,
which is several JSON documents written one after the other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from racesim.errors import InputError

__all__ = ["Node", "parse_time", "split_documents"]

#: how ``gh`` prints a time that is not set (Go's zero time), instead of null
GO_ZERO_TIME = "0001-01-01T00:00:00Z"

_MISSING: Any = object()


def parse_time(text: str) -> datetime | None:
    """An API time as an aware UTC datetime; ``None`` for Go's zero time (``gh``'s "unset").

    Accepts ``2023-01-10T08:24:27Z``, ``2023-01-10T08:24:27.000Z`` and
    ``2023-02-17T17:03:46.000+01:00``. Raises ``ValueError`` for anything else, including a time
    without a UTC offset (its meaning would be a guess).
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    if moment.year == 1:
        return None
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00:00-05:00 is in year 10000 in UTC
        raise ValueError(f"{text!r} is beyond the last UTC date-time") from None


def split_documents(text: str, source: str) -> list[Any]:
    """The JSON documents in `text`, in order: one, or several written back to back.

    ``gh api --paginate`` writes each page as its own document (``{...}{...}`` or
    ``[...]\\n[...]``); ``gh api --paginate --slurp`` wraps them in one array, which is one document
    here. A syntax error names `source`, the line and the column; so does JSON nested deeper than
    Python's decoder recurses, and an integer of more digits than Python converts.
    """
    decoder = json.JSONDecoder()
    docs: list[Any] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        try:
            value, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno} column {exc.colno}"
            raise InputError("$", f"not valid JSON at {where}: {exc.msg}", source) from None
        except RecursionError:
            raise InputError("$", "nested too deeply to read as JSON", source) from None
        except ValueError as exc:  # int(): "Exceeds the limit (4300 digits) ..."
            line = text.count("\n", 0, i) + 1
            problem = f"{str(exc).split(';')[0]} (document from line {line})"
            raise InputError("$", f"not readable JSON: {problem}", source) from None
        docs.append(value)
    if not docs:
        raise InputError("$", "empty: expected a JSON document", source)
    return docs


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return f"the number {value!r}"


@dataclass(frozen=True)
class Node:
    """A JSON value, where it sits (`path`) and which file it came from (`source`)."""

    value: Any
    path: str
    source: str

    def error(self, problem: str, key: str | int | None = None) -> InputError:
        """An error about this value (or its member `key`), naming the file and the JSON path."""
        return InputError(self._sub(key) if key is not None else self.path, problem, self.source)

    def _sub(self, key: str | int) -> str:
        return f"{self.path}[{key}]" if isinstance(key, int) else f"{self.path}.{key}"

    def is_object(self) -> bool:
        return isinstance(self.value, Mapping)

    def has(self, key: str) -> bool:
        """The value is an object with `key` set to something other than null."""
        return self.is_object() and self.value.get(key) is not None

    def member(self, key: str, *, required: bool = True) -> Node:
        """Member `key` of this object (a node holding ``None`` when absent and not required)."""
        if not self.is_object():
            raise self.error(f"expected an object, got {_kind(self.value)}")
        if required and key not in self.value:
            raise self.error("missing; this field is required", key)
        return Node(self.value.get(key), self._sub(key), self.source)

    def items(self, key: str | None = None) -> Iterator[Node]:
        """The elements of this array (or of member `key`), each with its path."""
        node = self if key is None else self.member(key)
        if not isinstance(node.value, list):
            raise node.error(f"expected an array, got {_kind(node.value)}")
        for i, value in enumerate(node.value):
            yield Node(value, f"{node.path}[{i}]", self.source)

    def text(self, key: str, default: Any = _MISSING) -> Any:
        """String member `key`; `default` when it is absent or null (if a default is given)."""
        node = self.member(key, required=default is _MISSING)
        if node.value is None:
            if default is _MISSING:
                raise node.error("expected a string, got null")
            return default
        if not isinstance(node.value, str):
            raise node.error(f"expected a string, got {_kind(node.value)}")
        return node.value

    def integer(self, key: str, default: Any = _MISSING, *, minimum: int | None = None) -> Any:
        """Integer member `key` (at least `minimum`); `default` when absent or null."""
        node = self.member(key, required=default is _MISSING)
        if node.value is None:
            if default is _MISSING:
                raise node.error("expected an integer, got null")
            return default
        if isinstance(node.value, bool) or not isinstance(node.value, int):
            raise node.error(f"expected an integer, got {_kind(node.value)}")
        if minimum is not None and node.value < minimum:
            raise node.error(f"expected an integer >= {minimum}, got {node.value}")
        return node.value

    def time(self, key: str, *, required: bool = False) -> datetime | None:
        """Time member `key` in UTC; ``None`` when absent, null or ``gh``'s zero time."""
        node = self.member(key, required=required)
        if node.value is None:
            if required:
                raise node.error("expected a date-time such as 2023-01-10T08:24:27Z, got null")
            return None
        if not isinstance(node.value, str):
            raise node.error(
                f"expected a date-time such as 2023-01-10T08:24:27Z, got {_kind(node.value)}"
            )
        try:
            moment = parse_time(node.value)
        except ValueError:
            raise node.error(
                f"expected an ISO-8601 date-time with Z or +hh:mm, got {node.value!r}"
            ) from None
        if moment is None and required:
            raise node.error(f"the time is unset ({node.value}); expected a real time")
        return moment
