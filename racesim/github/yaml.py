"""Read workflow YAML safely (YAML 1.2, nothing executed) and keep where every value came from.

GitHub reads workflow files as YAML 1.2, where the key ``on`` is the string ``"on"``; a YAML 1.1
parser would read it as ``true``. ruamel.yaml's round-trip loader parses YAML 1.2, constructs only
plain data (mappings, sequences, scalars: it never instantiates arbitrary tags) and records the
line of every key and item, which is what every piece of evidence in an audit points at.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from racesim.errors import InputError

__all__ = ["Doc", "item_line", "key_line", "load_yaml"]


@dataclass(frozen=True)
class Doc:
    """One parsed YAML file: its path (as the user named it), its text and its top mapping."""

    path: str
    text: str
    data: Mapping[str, Any]

    def line_text(self, line: int) -> str:
        """Line `line` (1-based) of the file, stripped."""
        lines = self.text.splitlines()
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _loader() -> YAML:
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = False
    return yaml


def load_yaml(path: str | Path, display: str | None = None) -> Doc:
    """Parse the file at `path`; syntax errors become an InputError naming the file and line."""
    source = display or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError("(file)", f"cannot read: {exc.strerror or exc}", source) from None
    return parse_yaml(text, source)


def parse_yaml(text: str, source: str) -> Doc:
    """Parse `text` (named `source` in errors); the top level must be a mapping."""
    try:
        data = _loader().load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(syntax)"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(where, f"malformed YAML: {problem}", source) from None
    except Exception as exc:  # ruamel raises a few non-YAMLError types on odd input
        raise InputError("(syntax)", f"malformed YAML: {exc}", source) from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise InputError("(top level)", "expected a mapping of workflow keys", source)
    return Doc(source, text, data)


def key_line(node: object, key: object, default: int = 0) -> int:
    """1-based line of `key` in the mapping `node` (`default` when unknown)."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return default
    try:
        return int(lc.key(key)[0]) + 1
    except (KeyError, TypeError, AttributeError):
        return default


def item_line(node: object, index: int, default: int = 0) -> int:
    """1-based line of item `index` of the sequence `node` (`default` when unknown)."""
    lc = getattr(node, "lc", None)
    if lc is None or not isinstance(node, Sequence):
        return default
    try:
        return int(lc.item(index)[0]) + 1
    except (KeyError, TypeError, AttributeError, IndexError):
        return default


def node_line(node: object, default: int = 0) -> int:
    """1-based line where the mapping or sequence `node` starts."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return default
    return int(lc.line) + 1
