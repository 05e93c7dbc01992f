"""The classroom in a real browser: move a control, see the picture and the numbers change.

Two surfaces, one race: ``racesim classroom`` (Voila serving the ipywidgets demo, with a kernel)
and the kernel-free page (the grid of :mod:`racesim.classroom.page` drawn by ``classroom.js``).
Each test moves a control the way a student would, then checks that the verdict shown is the
one racesim computes for the new values and that the picture changed; screenshots are saved in
``test-artifacts/``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import ARTIFACTS, ROOT, screenshot
from classroom_checks import PROJECTOR_MIN_PX, check_lesson_keys, console_errors, sweep_labels

from racesim.classroom.lesson import LESSON, answer
from racesim.classroom.page import START, page_data, scene_key, standalone_html

pytestmark = pytest.mark.xdist_group("browser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: what the first page of the served classroom may take, from process start to the lesson's
#: buttons on screen (measured about 5.5 s on an idle 2-core machine; the bound leaves room
#: for a loaded CI machine while still catching a Monte Carlo run at start-up)
FIRST_PAGE_LIMIT_S = 20.0


def _start_classroom(port: int) -> subprocess.Popen[str]:
    """``racesim classroom --no-browser`` on `port`, in a process group of its own (as a shell
    starts a job: a Ctrl-C in the terminal goes to that whole group)."""
    pytest.importorskip("voila", reason="voila is not installed (pip install 'racesim[notebooks]')")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "racesim", "classroom", "--no-browser", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _wait_until_it_answers(server: subprocess.Popen[str], url: str) -> None:
    for _ in range(480):
        if server.poll() is not None:
            pytest.fail(f"racesim classroom exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=60) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"racesim classroom did not answer on {url}")


def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _descendants(pid: int) -> set[int]:
    """The processes below `pid` (Voila, its kernels), from /proc."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        here = todo.pop()
        try:
            children = Path(f"/proc/{here}/task/{here}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


@pytest.fixture(scope="module")
def classroom_server() -> Iterator[tuple[str, float]]:
    """``racesim classroom --no-browser`` on a free port: its address, and when it was started
    (``time.monotonic()``), as soon as its port is open."""
    port = _free_port()
    started = time.monotonic()
    server = _start_classroom(port)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(1200):
            if server.poll() is not None:
                pytest.fail(f"racesim classroom exited with {server.returncode}")
            if not _port_is_free(port):
                break
            time.sleep(0.05)
        yield url, started
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


def test_classroom_command_serves_the_lesson_fast_and_without_console_errors(
    browser: Any, classroom_server: tuple[str, float]
) -> None:
    """The lesson's first question is on screen within :data:`FIRST_PAGE_LIMIT_S` of starting
    the command; a prediction and the reveal show the simulation's answer and the demo; a
    slider changes the demo; projector mode enlarges the type; the browser console shows no
    error all along."""
    from racesim.classroom.lesson import choice_text

    url, started = classroom_server
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors = console_errors(page)
    page.goto(url, timeout=120_000)
    page.locator(".rc-choices button").first.wait_for(timeout=180_000)
    first_page = time.monotonic() - started
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "classroom-voila-first-page.txt").write_text(f"{first_page:.1f} s\n")
    screenshot(page, "classroom-voila-question")
    assert first_page < FIRST_PAGE_LIMIT_S, f"first page after {first_page:.1f} s"
    step = LESSON[0]
    assert step.question in page.locator(".rc-header").inner_text()
    assert page.locator(".rc-image").count() == 0  # predict first: no demo yet

    page.locator(".rc-choices button", has_text=choice_text(step.choices[-1])).click()
    page.get_by_role("button", name="reveal").click()
    said = f"The simulation says: {choice_text(answer(step))}."
    page.locator(".rc-answer", has_text=said).wait_for(timeout=120_000)
    status = page.locator(".rc-status .widget-html-content")
    image = page.locator(".rc-image img, img.rc-image").first
    image.wait_for(timeout=120_000)
    assert status.inner_text() == _expected_status(strategy=step.strategy, gap=step.gap)
    before = image.screenshot()

    # pick the chosen fix, then type 60 into the gap slider's readout as a student would
    page.locator(".rc-lesson-app select").first.select_option("workflow_run")
    readout = page.locator(".widget-readout").nth(1)  # build, gap, sleep
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("60")
    page.keyboard.press("Enter")
    expected = _expected_status(strategy="workflow_run", gap=60.0)
    page.wait_for_function(
        "text => document.querySelector('.rc-status .widget-html-content').innerText === text",
        arg=expected,
        timeout=120_000,
    )
    page.wait_for_timeout(500)  # the image is sent after the status line
    after = image.screenshot()
    width = image.evaluate("img => img.naturalWidth")
    page.get_by_role("button", name="projector mode").click()
    page.locator(".rc-projector").wait_for()
    # the demo's picture is drawn anew for the projector: smaller figure, higher resolution
    page.wait_for_function(
        "w => document.querySelector('.rc-image img, img.rc-image').naturalWidth > w", arg=width
    )
    size = "el => parseFloat(getComputedStyle(el).fontSize)"
    assert page.locator(".rc-header .widget-html-content").evaluate(size) >= PROJECTOR_MIN_PX
    image.scroll_into_view_if_needed()
    screenshot(page, "classroom-voila")
    assert status.inner_text() == expected
    assert after != before
    # the clicker's keys step the lesson (a button, not a control, has the focus); the next
    # step shows its question with the demo hidden until the class has predicted
    page.get_by_role("button", name="projector mode").focus()
    page.keyboard.press("PageDown")
    page.locator(".rc-header", has_text=LESSON[1].title).wait_for()
    page.wait_for_function("() => !document.querySelector('.rc-image').checkVisibility()")
    page.keyboard.press("ArrowRight")
    page.locator(".rc-header", has_text=LESSON[2].title).wait_for()
    page.keyboard.press("ArrowLeft")
    page.locator(".rc-header", has_text=LESSON[1].title).wait_for()
    assert errors == []


@pytest.mark.parametrize("how", ["SIGINT to the job", "SIGTERM"])
def test_classroom_command_stops_on_a_signal_with_voila_and_its_kernel(how: str) -> None:
    """Ctrl-C in a terminal (SIGINT to the job's process group) or SIGTERM (a service manager):
    ``racesim classroom`` exits with status 0 within 20 s, Voila and the kernel it started for
    a visitor are gone, and the port is free."""
    port = _free_port()
    server = _start_classroom(port)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_it_answers(server, url)  # a visit: Voila runs the notebook in a kernel
        below = _descendants(server.pid)
        assert len(below) >= 2, "expected Voila and a kernel below racesim classroom"
        if how == "SIGTERM":
            server.send_signal(signal.SIGTERM)
        else:
            os.killpg(server.pid, signal.SIGINT)
        started = time.monotonic()
        status = server.wait(timeout=20)
        took = time.monotonic() - started
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    output = server.stdout.read() if server.stdout else ""
    assert status == 0, output[-3000:]
    assert took < 20
    for _ in range(40):
        if not any(_alive(pid) for pid in below) and _port_is_free(port):
            break
        time.sleep(0.25)
    assert [pid for pid in below if _alive(pid)] == [], "left running after racesim stopped"
    assert _port_is_free(port)


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
    errors = console_errors(page)
    page.goto(path.as_uri())
    page.click("button.rc-reveal")  # the first step of the lesson is the starting scene
    start = data["scenes"][
        scene_key(START["strategy"], START["build"], START["gap"], START["sleep"])
    ]
    verdict, stale, svg = _shown(page)
    assert verdict == f"{START['strategy']}: {start['verdict']}"
    assert stale == str(start["stale"])
    # the caption says how many runs each bar is over, and which strategy's two-push bar has fewer
    two = data["twoPushes"][f"{START['build']:g}|{START['gap']:g}"]
    fewer = "".join(f"; {n} for {name}" for name, n in two["simpy_trials"].items())
    assert fewer  # reconcile_latest: only the SimPy engine decides its two pushes
    caption = page.locator(".rc-bars-caption").inner_text()
    assert f"({two['trials']} runs{fewer}, which only the SimPy engine decides)" in caption

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


def _every_combination(data: dict[str, Any]) -> list[list[Any]]:
    grid = data["grid"]
    return [
        [strategy, build, gap, sleep]
        for strategy in data["strategies"]
        for build in grid["build"]
        for gap in grid["gap"]
        for sleep in grid["sleep"]
    ]


@pytest.mark.parametrize("projector", [False, True], ids=["normal", "projector"])
def test_static_page_labels_never_overlap_and_projector_type_is_large(
    browser: Any, static_page: tuple[Path, dict[str, Any]], projector: bool
) -> None:
    """At 1280x720, for every combination of the grid (gap 0 and the defaults among them), no
    two text labels of the timeline or of the bars overlap; in projector mode every text of the
    page is at least 18 CSS px (font size and rendered height)."""
    path, data = static_page
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors = console_errors(page)
    page.goto(path.as_uri() + ("#projector" if projector else ""))
    root = page.locator("#racesim-classroom")
    assert ("rc-projector" in (root.get_attribute("class") or "")) is projector
    page.click("button.rc-reveal")
    combos = _every_combination(data)
    assert ["parallel", START["build"], 0.0, 0.0] in combos
    result = sweep_labels(page, combos, projector)
    assert result["checked"] == len(combos)
    assert result["labels"] > 20 * len(combos)  # timeline and bars were drawn and measured
    assert result["overlapCount"] == 0, result["overlaps"]
    if projector:
        assert result["small"] == [], result["small"]
        assert result["smallest"] >= PROJECTOR_MIN_PX
        assert result["texts"] > 30
    else:
        assert result["smallest"] >= 12  # readable on a screen, smaller than on the projector
    # the incident's defaults with B pushed at once: where "push A" and "push B" used to collide
    page.select_option("select[data-control=strategy]", "parallel")
    for name in ("build", "gap"):
        value = data["start"]["build"] if name == "build" else 0.0
        page.locator(f"input[data-control={name}]").fill(str(data["grid"][name].index(value)))
    assert root.get_attribute("data-scene") == scene_key("parallel", data["start"]["build"], 0, 0)
    page.locator("svg.rc-timeline").scroll_into_view_if_needed()  # projector mode scrolls
    screenshot(page, f"classroom-static-{'projector' if projector else 'normal'}-gap0")
    assert errors == []


def test_static_page_projector_button_and_lesson_keys(
    browser: Any, static_page: tuple[Path, dict[str, Any]]
) -> None:
    """The projector button switches large type on and off (and says so in the address); the
    arrow and page keys step the lesson; the reveal shows the simulation's answer."""
    path, data = static_page
    assert [step["answer"] for step in data["lesson"]] == [answer(step) for step in LESSON]
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors = console_errors(page)
    page.goto(path.as_uri())
    root = page.locator("#racesim-classroom")
    size = "el => parseFloat(getComputedStyle(el).fontSize)"
    normal = page.locator(".rc-question").evaluate(size)
    page.click("button.rc-projector-toggle")
    assert "rc-projector" in (root.get_attribute("class") or "")
    assert page.evaluate("location.hash") == "#projector"
    assert page.locator(".rc-question").evaluate(size) >= PROJECTOR_MIN_PX > normal
    check_lesson_keys(page, data)
    screenshot(page, "classroom-static-projector-lesson")
    page.click("button.rc-projector-toggle")
    assert "rc-projector" not in (root.get_attribute("class") or "")
    assert page.evaluate("location.hash") == ""
    screenshot(page, "classroom-static-lesson")
    assert errors == []
