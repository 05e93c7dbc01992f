"""The classroom in a real browser: move a control, see the picture and the numbers change.

Two surfaces, one race: ``racesim classroom`` (Voila serving the ipywidgets demo, with a kernel)
and the kernel-free page (the grid of :mod:`racesim.classroom.page` drawn by ``classroom.js``).
Each test moves a control the way a student would, then checks that the verdict shown is the
one racesim computes for the new values and that the picture changed; screenshots are saved in
``test-artifacts/``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import ROOT, screenshot

from racesim.classroom.page import START, page_data, scene_key, standalone_html

pytestmark = pytest.mark.xdist_group("browser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def classroom_server() -> Iterator[str]:
    """``racesim classroom --no-browser`` on a free port; its address once it answers."""
    pytest.importorskip("voila", reason="voila is not installed (pip install 'racesim[notebooks]')")
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "racesim", "classroom", "--no-browser", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):
            if server.poll() is not None:
                pytest.fail(f"racesim classroom exited with {server.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"racesim classroom did not answer on {url}")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    # stopping racesim classroom (SIGTERM) stops Voila too: nothing answers on the port any more
    for _ in range(60):
        try:
            urllib.request.urlopen(url, timeout=1).close()
        except OSError:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"Voila still answers on {url} after racesim classroom was stopped")


def _expected_status(**controls: Any) -> str:
    """What the widget's status line says for these controls, computed here without a browser."""
    from racesim.classroom import RaceDemo

    demo = RaceDemo(trials=5)
    for name, value in controls.items():
        demo.controls[name].value = value
    import re

    return re.sub(r"<[^>]+>", "", demo.status.value)


def test_classroom_command_serves_the_demo_and_a_slider_changes_it(
    browser: Any, classroom_server: str
) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    page.goto(classroom_server, timeout=120_000)
    status = page.locator(".widget-html-content").first
    status.wait_for(timeout=180_000)
    page.locator(".widget-image img, img.widget-image").first.wait_for(timeout=180_000)
    assert status.inner_text() == _expected_status()
    image = page.locator(".widget-image img, img.widget-image").first
    before = image.screenshot()

    # pick the chosen fix, then type 60 into the gap slider's readout as a student would
    page.locator("select").first.select_option("workflow_run")
    readout = page.locator(".widget-readout").nth(1)  # build, gap, sleep
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("60")
    page.keyboard.press("Enter")
    expected = _expected_status(strategy="workflow_run", gap=60.0)
    page.wait_for_function(
        "text => document.querySelector('.widget-html-content').innerText === text",
        arg=expected,
        timeout=120_000,
    )
    page.wait_for_timeout(500)  # the image is sent after the status line
    after = image.screenshot()
    screenshot(page, "classroom-voila")
    assert status.inner_text() == expected
    assert after != before


@pytest.fixture(scope="module")
def static_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    data = page_data()
    path = tmp_path_factory.mktemp("classroom") / "classroom.html"
    path.write_text(standalone_html(data), encoding="utf-8")
    return path, data


def _shown(page: Any) -> tuple[str, str, str]:
    numbers = page.locator(".rc-numbers")
    return (
        page.locator(".rc-verdict").inner_text(),
        numbers.get_attribute("data-stale") or "",
        page.locator("svg.rc-timeline").inner_html(),
    )


def test_static_page_answers_from_the_grid_with_no_python(
    browser: Any, static_page: tuple[Path, dict[str, Any]]
) -> None:
    path, data = static_page
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri())
    start = data["scenes"][
        scene_key(START["strategy"], START["build"], START["gap"], START["sleep"])
    ]
    verdict, stale, svg = _shown(page)
    assert verdict == f"{START['strategy']}: {start['verdict']}"
    assert stale == str(start["stale"])

    # the chosen fix, and the gap slider one notch to the right (10 s -> the next grid value)
    page.select_option("select[data-control=strategy]", "workflow_run")
    gap = page.locator("input[data-control=gap]")
    gap.focus()
    page.keyboard.press("ArrowRight")
    grid = data["grid"]["gap"]
    new_gap = grid[grid.index(START["gap"]) + 1]
    moved = data["scenes"][scene_key("workflow_run", START["build"], new_gap, START["sleep"])]
    verdict2, stale2, svg2 = _shown(page)
    screenshot(page, "classroom-static")
    assert page.locator("output[data-value=gap]").inner_text() == f"{new_gap:g}"
    assert verdict2 == f"workflow_run: {moved['verdict']}"
    assert stale2 == str(moved["stale"])
    assert svg2 != svg
    assert page.locator("svg.rc-timeline rect.rc-bar").count() == sum(
        len(lane["bars"]) for lane in moved["lanes"]
    )
    assert not errors


def test_classroom_static_writes_one_page(tmp_path: Path) -> None:
    """``racesim classroom --static`` writes the kernel-free page (data and script inline)."""
    from racesim.cli import main

    path = tmp_path / "class.html"
    assert main(["classroom", "--static", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert 'id="racesim-classroom"' in text and "window.RACESIM_CLASSROOM" in text
    assert "<script src=" not in text  # nothing to fetch
    assert main(["classroom", "--static", str(tmp_path / "class.png")]) == 2
