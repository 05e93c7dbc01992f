"""Griffe extension: racesim's Sphinx-style docstring conventions, rendered by mkdocstrings.

Two conventions are translated once the package is loaded:

- ``#:`` comments just above a module or class attribute (``#: every named preset``) document
  it, as in Sphinx; Griffe only reads string docstrings, so they become the attribute's docstring.
- Roles such as ``:class:`Strategy``` become links (below).

racesim's docstrings refer to other objects the way Sphinx does (``:class:`Strategy```,
``:class:`~racesim.History```, ``:data:`METRICS```). mkdocstrings does not read those roles,
so they would show up as raw text. Once the package is loaded, this extension resolves each role
the way Python would from where the docstring is (the object, then its parents, then the
``racesim`` package) and writes an *optional* autorefs cross-reference: a link when the target is
rendered somewhere on the site, plain code otherwise, and never a warning. A ``~`` prefix shows
the last component only, as in Sphinx.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|func|meth|data|attr|mod|exc|obj):`(?P<tilde>~?)(?P<name>[\w.]+)`")


def _walk(obj: griffe.Object) -> list[griffe.Object]:
    """`obj` and every object defined in it (aliases, that is imports, left out)."""
    out = [obj]
    for member in obj.members.values():
        if not member.is_alias:
            assert isinstance(member, griffe.Object)
            out += _walk(member)
    return out


def _lookup(scope: griffe.Object | griffe.Alias, parts: list[str]) -> str | None:
    """Path of the object `parts` names inside `scope` (following imports), or ``None``."""
    current: Any = scope
    try:
        for part in parts:
            current = current.members[part]
        if current.is_alias:
            return str(current.final_target.path)
        return str(current.path)
    except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return None


def resolve(obj: griffe.Object, name: str, package: griffe.Module) -> str | None:
    """The full path `name` stands for in a docstring of `obj`."""
    parts = name.split(".")
    if parts[0] == package.name:
        return _lookup(package, parts[1:]) if len(parts) > 1 else package.path
    scope: griffe.Object | None = obj
    while scope is not None:
        found = _lookup(scope, parts)
        if found is not None:
            return found
        scope = scope.parent
    return _lookup(package, parts)


def comment_docstring(obj: griffe.Object) -> griffe.Docstring | None:
    """The ``#:`` comment lines right above attribute `obj`, as a docstring, if there are any."""
    if not obj.is_attribute or obj.parent is None or obj.lineno is None:
        return None
    lines = obj.parent.module.lines
    found: list[str] = []
    index = obj.lineno - 2  # the line above the assignment (line numbers start at 1)
    while index >= 0 and lines[index].strip().startswith("#:"):
        found.insert(0, lines[index].strip()[2:].strip())
        index -= 1
    if not found:
        return None
    return griffe.Docstring(" ".join(found), lineno=index + 2, parent=obj)


class SphinxRoles(griffe.Extension):
    """``#:`` comments become docstrings; ``:role:`name``` becomes an optional cross-ref."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        for obj in _walk(pkg):
            if obj.docstring is None:
                obj.docstring = comment_docstring(obj)
            if obj.docstring is None:
                continue

            def link(match: re.Match[str], obj: griffe.Object = obj) -> str:
                name = match["name"]
                shown = name.rsplit(".", 1)[-1] if match["tilde"] else name
                code = f"<code>{html.escape(shown)}</code>"
                target = resolve(obj, name, pkg)
                if target is None:
                    return code
                return f'<autoref identifier="{target}" optional>{code}</autoref>'

            obj.docstring.value = ROLE.sub(link, obj.docstring.value)
