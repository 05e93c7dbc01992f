"""Problems a reader would see on the built docs site, found in its HTML.

:func:`problems` reads every page of a built site and reports, one line each:

* **prose in a table**: a table row whose only filled cell is the first one, in a table of
  several columns, or a cell that starts with ``#``: the paragraph or heading after a table that
  Markdown folded into it because no blank line separated them;
* a literal ``|---|`` outside code: a Markdown table that was not converted;
* a Python object's repr such as ``<IPython.core.display.Image object>``: a notebook output that
  had no HTML form;
* an image, script, stylesheet or link whose target does not exist in the site.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPR = re.compile(r"<[A-Za-z_][\w.]*(?: object(?: at 0x[0-9a-fA-F]+)?)>")
_CODE = {"pre", "code", "script", "style"}
_TARGETS = {("img", "src"), ("script", "src"), ("a", "href"), ("link", "href"), ("source", "src")}


class _Page(HTMLParser):
    """Collects the text outside code, the tables' rows and the link targets of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.code = 0
        self.text: list[str] = []
        self.targets: list[tuple[str, str]] = []
        self.tables: list[dict[str, list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._section = "body"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _CODE:
            self.code += 1
        for name, value in attrs:
            if (tag, name) in _TARGETS and value:
                self.targets.append((tag, value))
        if tag == "table":
            self.tables.append({"head": [], "body": []})
        elif tag in ("thead", "tbody"):
            self._section = "head" if tag == "thead" else "body"
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _CODE and self.code:
            self.code -= 1
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1][self._section].append(self._row)
            self._row = None
        elif tag == "thead":
            self._section = "body"

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if not self.code:
            self.text.append(data)


def _target_exists(site: Path, page: Path, target: str) -> bool:
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith(("#", "mailto:", "data:")):
        return True
    if not parts.path:
        return True
    base = site if parts.path.startswith("/") else page.parent
    path = (base / unquote(parts.path.lstrip("/"))).resolve()
    if parts.path.endswith("/") or path.is_dir():
        path = path / "index.html"
    return path.exists()


def page_problems(site: Path, page: Path) -> list[str]:
    """The problems of one built page (see the module's docstring)."""
    parser = _Page()
    parser.feed(page.read_text(encoding="utf-8"))
    where = str(page.relative_to(site))
    out = []
    for table in parser.tables:
        width = max((len(r) for r in table["head"] + table["body"]), default=0)
        for row in table["body"]:
            filled = [c for c in row if c]
            if width > 1 and len(filled) == 1 and row and row[0] and len(row[0]) > 40:
                out.append(f"{where}: prose inside a table: {row[0][:70]!r}")
            elif any(c.startswith("#") for c in row):
                out.append(f"{where}: a heading inside a table: {row[0][:70]!r}")
    text = "".join(parser.text)
    if "|---|" in text:
        out.append(f"{where}: a literal |---| (a Markdown table that was not converted)")
    for match in REPR.finditer(text):
        out.append(f"{where}: a Python object repr on the page: {match[0]}")
    for tag, target in parser.targets:
        if not _target_exists(site, page, target):
            out.append(f"{where}: <{tag}> target does not exist: {target}")
    return out


def problems(site: Path) -> list[str]:
    """Every problem of every page of the built `site`."""
    return [p for page in sorted(site.rglob("*.html")) for p in page_problems(site, page)]
