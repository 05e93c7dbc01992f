"""Read workflow YAML safely (YAML 1.2, nothing executed) and keep where every value came from.

GitHub reads workflow files as YAML 1.2, where the key ``on`` is the string ``"on"``; a YAML 1.1
parser would read it as ``true``. ruamel.yaml's round-trip loader parses YAML 1.2, constructs only
plain data (mappings, sequences, scalars: it never instantiates arbitrary tags) and records the
line of every key and item, which is what every piece of evidence in an audit points at.

Workflow files are untrusted (an audit runs on pull requests), so two shapes are refused with an
:class:`~racesim.errors.InputError` naming the file and the line, before anything walks the data:

* nesting deeper than :data:`MAX_NESTING` levels (a workflow needs about ten; the loader and the
  code reading its result recurse once per level);
* a document with aliases that would expand to more than :data:`MAX_EXPANDED` units, counting
  one per node plus the characters of every scalar, each alias as a copy of what it names. The
  loader shares an aliased node rather than copying it, but reading the data (``str()`` of a
  value, merging env mappings, expanding steps) copies: nine levels of nine aliases ("billion
  laughs") turn 1 KB into 9^9 nodes. The limit is the size of the largest file an audit reads
  (:data:`~racesim.github.files.MAX_BYTES`): aliases may save typing, not make a document larger
  than a file racesim would read. A document without aliases is never refused this way; one
  whose alias is inside the node it names (an infinite expansion) always is.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import ReusedAnchorWarning, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from racesim.errors import InputError
from racesim.github.files import MAX_BYTES

__all__ = ["MAX_EXPANDED", "MAX_NESTING", "Doc", "item_line", "key_line", "load_yaml"]

#: how deep mappings and sequences may nest in a workflow or action file
MAX_NESTING = 100
#: the size (nodes plus scalar characters) a document with aliases may expand to
MAX_EXPANDED = MAX_BYTES


@dataclass(frozen=True)
class Doc:
    """One parsed YAML file: its path (as the user named it), its text and its top mapping."""

    path: str
    text: str
    data: Mapping[str, Any]

    @cached_property
    def lines(self) -> list[str]:
        # split once: evidence asks for a line per step, and a 1 MiB file has 10^5 of them
        return self.text.splitlines()

    def line_text(self, line: int) -> str:
        """Line `line` (1-based) of the file, stripped."""
        lines = self.lines
        return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _line_of(node: Node) -> int:
    mark = getattr(node, "start_mark", None)
    return int(getattr(mark, "line", -1)) + 1


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: Node) -> None:
    """Refuse `root` if its aliases expand it beyond :data:`MAX_EXPANDED` (or forever).

    One pass over the distinct nodes (an aliased node is sized once), without recursion;
    sizes saturate just above the limit, so a deep chain of aliases stays cheap to size.
    """
    size: dict[int, int] = {}
    open_: set[int] = set()
    shared = False
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_.discard(key)
            own = 1 + (len(str(node.value)) if isinstance(node, ScalarNode) else 0)
            total = own + sum(size[id(c)] for c in _children(node))
            size[key] = min(total, MAX_EXPANDED + 1)
            continue
        if key in size:
            shared = True
            continue
        if key in open_:
            raise InputError(
                f"line {_line_of(node)}", "an alias inside the node it names (endless expansion)"
            )
        open_.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(_children(node)))
    if shared and size[id(root)] > MAX_EXPANDED:
        raise InputError(
            "(aliases)",
            f"the aliases expand the document beyond {MAX_EXPANDED:,} nodes and characters "
            "(the size of the largest file racesim reads)",
        )


class _Composer(Composer):
    """ruamel's composer with the two limits of this module (see its docstring)."""

    _nesting = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._nesting += 1
        try:
            if self._nesting > MAX_NESTING:
                line = self.parser.peek_event().start_mark.line + 1
                raise InputError(f"line {line}", f"nested deeper than {MAX_NESTING} levels")
            return super().compose_node(parent, index)
        finally:
            self._nesting -= 1

    def get_single_node(self) -> Any:
        node = super().get_single_node()
        if node is not None:
            _check_expansion(node)
        return node


def _loader() -> YAML:
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    yaml.allow_duplicate_keys = False
    yaml.Composer = _Composer
    return yaml


def load_yaml(path: str | Path, display: str | None = None) -> Doc:
    """Parse the file at `path`; syntax errors become an InputError naming the file and line."""
    source = display or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError("(file)", f"cannot read: {exc.strerror or exc}", source) from None
    return parse_yaml(text, source)


def _first_line(text: object) -> str:
    return (str(text).strip().splitlines() or [""])[0]


def parse_yaml(text: str, source: str) -> Doc:
    """Parse `text` (named `source` in errors); the top level must be a mapping."""
    try:
        # YAML lets an anchor be named again (an alias means the latest): no warning on stderr
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ReusedAnchorWarning)
            data = _loader().load(text)
    except InputError as exc:
        raise exc.in_source(source) from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(syntax)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(where, f"malformed YAML: {_first_line(problem)}", source) from None
    except RecursionError:
        raise InputError("(syntax)", "nested too deeply", source) from None
    except Exception as exc:  # ruamel raises a few non-YAMLError types on odd input
        raise InputError("(syntax)", f"malformed YAML: {_first_line(exc)}", source) from None
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
