"""Reading the TOML files users write, with errors that name the file and the field.

The helpers take a parsed table and a dotted field prefix, and raise :class:`InputError` for a
missing key, a wrong type or an unknown key (a typo in a file should never be silently ignored).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from racesim._util.files import read_regular_file
from racesim.errors import InputError
from racesim.limits import (
    MAX_FILE_BYTES,
    MAX_INTEGER,
    MAX_PATH_CHARS,
    MAX_TOML_DEPTH,
    check_moment,
    finite_float,
)

__all__ = ["Table", "read_toml"]


def read_toml(text: str, source: str) -> dict[str, Any]:
    """Parse `text`; a syntax error or a limit broken becomes an InputError located in `source`.

    Beyond TOML's own rules, nesting deeper than :data:`~racesim.limits.MAX_TOML_DEPTH` and
    integers outside 64 bits (TOML's range) are rejected, so nothing downstream recurses or
    overflows on them.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError("(syntax)", str(exc), source) from None
    except RecursionError:
        raise InputError(
            "(syntax)", f"nested too deeply (racesim reads at most {MAX_TOML_DEPTH} levels)", source
        ) from None
    except ValueError:  # an integer of more digits than Python converts
        raise InputError(
            "(syntax)", "an integer of thousands of digits; TOML integers are 64-bit", source
        ) from None
    _check_values(data, source)
    return data


def _check_values(data: dict[str, Any], source: str) -> None:
    """Reject nesting deeper than MAX_TOML_DEPTH and integers beyond 64 bits (iteratively)."""
    stack: list[tuple[str, object, int]] = [("", data, 0)]
    while stack:
        field, value, depth = stack.pop()
        if depth > MAX_TOML_DEPTH:
            raise InputError(
                field or "(top level)",
                f"nested more than {MAX_TOML_DEPTH} levels deep; racesim files are shallow",
                source,
            )
        if isinstance(value, Mapping):
            stack += [(f"{field}.{k}" if field else str(k), v, depth + 1) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(f"{field}[{i}]", v, depth + 1) for i, v in enumerate(value)]
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
            raise InputError(
                field, "integer beyond 64 bits (TOML integers are at most 2^63 - 1)", source
            )


def read_toml_file(path: str | Path) -> tuple[dict[str, Any], str]:
    """Parse the file at `path`; returns the table and the source name used in errors.

    The file must be a regular file (not a folder, FIFO or device, which could block or never
    end) of at most :data:`~racesim.limits.MAX_FILE_BYTES`, encoded in UTF-8.
    """
    source = str(path)
    if len(source) > MAX_PATH_CHARS:
        source = source[:60] + "..."
        raise InputError("(file)", f"path longer than {MAX_PATH_CHARS} characters", source)
    raw = read_regular_file(path, source, MAX_FILE_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            "(file)", f"not UTF-8 text (byte {exc.start} on line {line}); save it as UTF-8", source
        ) from None
    return read_toml(text, source), source


def builtin_names(package: str) -> list[str]:
    """Names of the ``*.toml`` files shipped in `package` (the built-in incidents, scenarios)."""
    files = resources.files(package).iterdir()
    return sorted(f.name.removesuffix(".toml") for f in files if f.name.endswith(".toml"))


def read_builtin_or_file(package: str, kind: str, name_or_path: str | Path) -> Table:
    """The top table of the built-in `kind` named `name_or_path`, or of the file at that path."""
    name = str(name_or_path)
    if name in builtin_names(package):
        text = resources.files(package).joinpath(f"{name}.toml").read_text("utf-8")
        source = f"built-in {kind} {name}"
        return Table(read_toml(text, source), "", source)
    if len(name) > MAX_PATH_CHARS:
        raise InputError(kind, f"path longer than {MAX_PATH_CHARS} characters")
    try:
        exists = Path(name).exists()
    except OSError as exc:
        raise InputError(kind, f"cannot use {name[:60]!r}: {exc.strerror or exc}") from None
    if not exists:
        known = ", ".join(builtin_names(package))
        raise InputError(kind, f"{name!r} is neither a built-in {kind} ({known}) nor a file")
    data, source = read_toml_file(name)
    return Table(data, "", source)


class Table:
    """A TOML table being read: tracks which keys were used so unknown ones can be reported."""

    def __init__(self, data: object, field: str, source: str | None) -> None:
        if not isinstance(data, Mapping):
            raise InputError(field or "(top level)", f"expected a table, got {_kind(data)}", source)
        self.data: Mapping[str, Any] = data
        self.field = field
        self.source = source
        self._used: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self.field}.{key}" if self.field else key

    def error(self, key: str, problem: str) -> InputError:
        """An InputError about `key` of this table."""
        return InputError(self._name(key), problem, self.source)

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: object = ...) -> Any:
        self._used.add(key)
        if key not in self.data:
            if default is ...:
                raise self.error(key, "missing; this field is required")
            return default
        return self.data[key]

    def text(self, key: str, default: object = ...) -> Any:
        value = self.raw(key, default)
        if value is not default and not isinstance(value, str):
            raise self.error(key, f"expected a string, got {_kind(value)}")
        return value

    def number(self, key: str, default: object = ..., *, minimum: float | None = None) -> Any:
        raw = self.raw(key, default)
        if raw is default:
            return raw
        value = finite_float(raw)
        if value is None:
            raise self.error(key, f"expected a number, got {_kind(raw)}")
        if minimum is not None and value < minimum:
            raise self.error(key, f"expected a number >= {minimum:g}, got {raw!r}")
        return value

    def integer(self, key: str, default: object = ..., *, minimum: int | None = None) -> Any:
        value = self.raw(key, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"expected an integer, got {_kind(value)}")
        if minimum is not None and value < minimum:
            raise self.error(key, f"expected an integer >= {minimum}, got {value!r}")
        return value

    def moment(self, key: str) -> datetime:
        """An offset date-time (TOML ``2025-12-03T23:44:32Z`` or an ISO-8601 string), in UTC."""
        value = self.raw(key)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise self.error(key, f"expected an ISO-8601 date-time, got {value!r}") from None
        if not isinstance(value, datetime):
            raise self.error(
                key, f"expected a date-time such as 2025-12-03T23:44:32Z, got {_kind(value)}"
            )
        if value.tzinfo is None:
            raise self.error(key, f"{value.isoformat()} has no UTC offset; add Z or +hh:mm")
        check_moment(self._name(key), value, self.source)
        return value.astimezone(UTC)

    def table(self, key: str, *, optional: bool = False) -> Table:
        value = self.raw(key, {} if optional else ...)
        return Table(value, self._name(key), self.source)

    def tables(self, key: str, *, optional: bool = False) -> list[Table]:
        """An array of tables (``[[key]]``)."""
        value = self.raw(key, [] if optional else ...)
        if not isinstance(value, list):
            raise self.error(key, f"expected an array of tables ([[{key}]]), got {_kind(value)}")
        return [Table(v, f"{self._name(key)}[{i}]", self.source) for i, v in enumerate(value)]

    def strings(self, key: str, default: object = ...) -> Any:
        value = self.raw(key, default)
        if value is default:
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, f"expected a list of strings, got {_kind(value)}")
        return list(value)

    def done(self) -> None:
        """Raise for keys of this table that nobody read (typos, unsupported fields)."""
        for key in self.data:
            if key not in self._used:
                known = ", ".join(sorted(self._used)) or "none"
                raise self.error(key, f"unknown field; known fields here: {known}")


def _kind(value: object) -> str:
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, datetime):
        return f"the date-time {value.isoformat()}"
    return f"{type(value).__name__} {value!r}"


def utc_iso(moment: datetime) -> str:
    """ISO-8601 UTC with a ``Z`` suffix and no fractional part when it is whole seconds."""
    moment = moment.astimezone(UTC)
    text = moment.isoformat(timespec="seconds" if moment.microsecond == 0 else "milliseconds")
    return text.replace("+00:00", "Z")
