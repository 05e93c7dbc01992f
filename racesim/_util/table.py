"""Plain-text tables for terminals and report files: left-aligned columns, a rule under headers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

__all__ = ["format_table"]


def format_table(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> str:
    """Left-aligned columns separated by two spaces, with a rule under the headers."""
    cells = [[str(h) for h in headers], *[[_cell(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, datetime):
        return value.strftime("%H:%M:%S")
    return str(value)
