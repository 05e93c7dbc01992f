"""The built-site checker finds each problem it is meant to find (and passes a clean page)."""

from __future__ import annotations

from pathlib import Path

import pytest
from site_check import problems

CLEAN = """<html><body><h1>Page</h1>
<table><thead><tr><th>a</th><th>b</th></tr></thead>
<tbody><tr><td>one</td><td>two</td></tr><tr><td>three</td><td></td></tr></tbody></table>
<p>A paragraph with <a href="../other/">a link</a>, <a href="#top">an anchor</a> and
<a href="https://example.org">the web</a>.</p><img src="pic.png" alt="">
<pre><code>| a | b |
|---|---|
&lt;Foo object&gt;</code></pre></body></html>"""

BROKEN = {
    "prose": (
        "<table><tr><th>a</th><th>b</th></tr><tr><td>x</td><td>y</td></tr>"
        "<tr><td>`sleep:N` is parallel with sleep = N for any number of seconds</td><td></td>"
        "</tr></table>",
        "prose inside a table",
    ),
    "heading": (
        "<table><tr><th>a</th><th>b</th></tr><tr><td>## Reading it</td><td></td></tr></table>",
        "a heading inside a table",
    ),
    "pipes": ("<p>| a | b |\n|---|---|</p>", "literal |---|"),
    "repr": ("<p>&lt;IPython.core.display.Image object&gt;</p>", "Python object repr"),
    "image": ('<img src="missing.png">', "target does not exist: missing.png"),
    "link": ('<a href="../nowhere/">x</a>', "target does not exist: ../nowhere/"),
}


def _site(tmp_path: Path, body: str) -> Path:
    (tmp_path / "page").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "index.html").write_text("<p>other</p>", encoding="utf-8")
    (tmp_path / "page" / "pic.png").write_bytes(b"png")
    (tmp_path / "page" / "index.html").write_text(body, encoding="utf-8")
    return tmp_path


def test_a_clean_page_has_no_problem(tmp_path: Path) -> None:
    assert problems(_site(tmp_path, CLEAN)) == []


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_problem_is_found(name: str, tmp_path: Path) -> None:
    html, fragment = BROKEN[name]
    found = problems(_site(tmp_path, f"<html><body>{html}</body></html>"))
    assert len(found) == 1 and fragment in found[0], found
