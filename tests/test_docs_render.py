"""The built docs site, as a reader sees it: it builds strictly, renders what the pages mean,
its generated sections are up to date in the Markdown, and its classroom page works with no
Python behind it.

The site is built once for the module (the build executes the notebooks, runs the CLI and
measures the safety matrix, so it is slow).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from browser import screenshot
from classroom_checks import PROJECTOR_MIN_PX, check_lesson_keys, console_errors, sweep_labels
from site_check import problems

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("docs-site")]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], str]:
    """``mkdocs build --strict`` of the repository: the site, the stale pages, the log."""
    out = tmp_path_factory.mktemp("docs")
    site, report = out / "site", out / "stale.json"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "NO_MKDOCS_2_WARNING": "1",  # mkdocs-material's banner about MkDocs 2.0
        "RACESIM_DOCS_STALE_REPORT": str(report),
    }
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-5000:]
    return site, json.loads(report.read_text(encoding="utf-8")), log


def test_site_builds_strict(built: tuple[Path, list[str], str]) -> None:
    """No warning, no broken link or anchor, every marker replaced, measured numbers stated."""
    site, _, log = built
    warnings = [line for line in log.splitlines() if re.match(r"(WARNING|ERROR)\s+-", line)]
    assert not warnings, "\n".join(warnings)
    for page in ("index.html", "reference/cli/index.html", "background/safety-matrix/index.html"):
        assert (site / page).is_file(), page
    for html in site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert "<!-- racesim:" not in text, f"unreplaced marker in {html}"
        assert ":class:`" not in text and ":func:`" not in text, f"raw Sphinx role in {html}"
    matrix = (site / "background/safety-matrix/index.html").read_text(encoding="utf-8")
    assert "40,000 trials per cell (500 in the 4 cells only the SimPy engine decides" in matrix
    assert (site / "background/safety-matrix.png").stat().st_size > 10_000
    cli = (site / "reference/cli/index.html").read_text(encoding="utf-8")
    for command in ("replay", "compare", "sweep", "matrix", "check", "demo", "classroom"):
        assert f'id="racesim-{command}"' in cli, command


def test_the_built_pages_render_what_they_mean(built: tuple[Path, list[str], str]) -> None:
    """No prose swallowed by a table, no raw Markdown table, no object repr, no broken target."""
    site, _, _ = built
    assert problems(site) == []
    # the CLI reference's command table is a table
    cli = (site / "reference/cli/index.html").read_text(encoding="utf-8")
    assert re.search(r"<table>.*racesim classroom.*</table>", cli, re.S)
    # the notebooks' GIFs are on the site, and the widget cell says what to do
    classroom = (site / "notebooks/04_classroom/index.html").read_text(encoding="utf-8")
    assert classroom.count('src="data:image/gif;base64,') >= 2
    assert "This demo is live only with a running Python kernel" in classroom


def test_generated_sections_in_the_markdown_are_up_to_date(
    built: tuple[Path, list[str], str],
) -> None:
    _, stale, _ = built
    assert stale == [], f"out of date: {stale}; run `python docs/hooks/generated.py`"


def test_classroom_page_works_with_no_python(
    browser: Any, built: tuple[Path, list[str], str]
) -> None:
    """The docs page, served as static files: moving the build slider changes the verdict, the
    keys step the lesson, labels stay apart and projector type is large inside the site's
    theme, and the console shows no error."""
    site, _, _ = built
    data_js = (site / "assets/classroom/data.js").read_text(encoding="utf-8")
    data = json.loads(data_js.split("=", 1)[1].strip().rstrip(";"))
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors = console_errors(page)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        address = f"http://127.0.0.1:{server.server_port}/tutorial/classroom/"
        page.goto(address)
        page.locator(".rc-question").wait_for()
        check_lesson_keys(page, data)
        _move_and_check(page, data)
        # the site's theme around it: a sample of the grid with gap 0 and the defaults in it
        combos = [
            [strategy, build, gap, data["start"]["sleep"]]
            for strategy in data["strategies"]
            for build in (data["start"]["build"], max(data["grid"]["build"]))
            for gap in (0.0, data["start"]["gap"])
        ]
        result = sweep_labels(page, combos, projector=False)
        assert result["overlapCount"] == 0, result["overlaps"]
        page.goto(address + "#projector")
        page.locator(".rc-projector .rc-question").wait_for()
        page.click("button.rc-reveal")
        result = sweep_labels(page, combos, projector=True)
        screenshot(page, "classroom-docs-page-projector")
        assert result["overlapCount"] == 0, result["overlaps"]
        assert result["small"] == [] and result["smallest"] >= PROJECTOR_MIN_PX, result["small"]
        assert errors == []
    finally:
        server.shutdown()
        server.server_close()


def _move_and_check(page: Any, data: dict[str, Any]) -> None:
    start = data["start"]
    page.select_option("select[data-control=strategy]", "workflow_run")
    build = page.locator("input[data-control=build]")
    build.focus()
    for _ in range(2):
        page.keyboard.press("ArrowRight")
    grid = data["grid"]["build"]
    value = grid[grid.index(start["build"]) + 2]
    key = f"workflow_run|{value:g}|{start['gap']:g}|{start['sleep']:g}"
    shown = page.locator(".rc-verdict").inner_text()
    screenshot(page, "classroom-docs-page")
    assert shown == f"workflow_run: {data['scenes'][key]['verdict']}"
    assert page.locator(".racesim-classroom").get_attribute("data-scene") == key


def _serve(site: Path) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


#: for each table of a page: how much of it is hidden inside the table itself, how much wider
#: it is than the page column, and whether its wrapper scrolls it as a whole
_TABLES_JS = """() => [...document.querySelectorAll('.md-content .md-typeset table')].map(t => {
  const column = document.querySelector('.md-content').getBoundingClientRect();
  let scrolls = false;
  for (let box = t.parentElement; box && !box.matches('.md-content'); box = box.parentElement) {
    const x = getComputedStyle(box).overflowX;
    if (['auto', 'scroll'].includes(x) && box.scrollWidth > box.clientWidth
        && box.getBoundingClientRect().right <= column.right + 1) { scrolls = true; break; }
  }
  return {
    head: t.querySelector('th') ? t.querySelector('th').innerText : '',
    hidden: t.scrollWidth - t.clientWidth,
    beyond: t.getBoundingClientRect().right - column.right,
    scrolls: scrolls,
  };
})"""


def test_tables_fit_or_scroll_whole_and_outputs_wrap_on_words_at_1280_px(
    browser: Any, built: tuple[Path, list[str], str]
) -> None:
    """At 1280x800 no table hides columns inside itself; one wider than the page column scrolls
    as a whole (and the verdict table fits); notebook outputs wrap on spaces; the home page's
    picture fills the column."""
    site, _, _ = built
    pages = sorted(
        p.relative_to(site).parent.as_posix()
        for p in site.rglob("index.html")
        if "<table" in p.read_text(encoding="utf-8")
    )
    assert "background/verdict-table" in pages
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    server = _serve(site)
    base = f"http://127.0.0.1:{server.server_port}/"
    try:
        for where in pages:
            page.goto(base + where + "/")
            for table in page.evaluate(_TABLES_JS):
                assert table["hidden"] <= 1, (where, table)
                assert table["beyond"] <= 1 or table["scrolls"], (where, table)
                if where == "background/verdict-table":
                    assert table["beyond"] <= 1, ("the verdict table fits at 1280 px", table)
        page.goto(base + "background/verdict-table/")
        screenshot(page, "docs-verdict-table-1280")
        notebooks = sorted(p.parent.name for p in (site / "notebooks").glob("*/index.html"))
        assert notebooks
        page.goto(base + f"notebooks/{notebooks[0]}/")
        styles = page.evaluate(
            "() => [...document.querySelectorAll('.jp-OutputArea-output pre')].map(p => {"
            "const s = getComputedStyle(p); return [s.whiteSpace, s.wordBreak]; })"
        )
        assert styles and all(s == ["pre-wrap", "normal"] for s in styles), styles[:3]
        page.goto(base)
        hero = page.evaluate(
            "() => { const i = document.querySelector('img[src$=\"f8af4c1-timeline.png\"]');"
            "const c = document.querySelector('.md-content__inner');"
            "return [i.naturalWidth, i.getBoundingClientRect().width,"
            " c.getBoundingClientRect().width]; }"
        )
        natural, shown, column = hero
        assert natural >= 900 and shown >= 0.9 * column - 40, hero
        screenshot(page, "docs-home-1280")
    finally:
        server.shutdown()
        server.server_close()
