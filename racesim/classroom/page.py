"""The classroom demo without Python: results on a grid of control values, for a static page.

The docs site's classroom page (and ``racesim classroom --static FILE``) shows the race of
:class:`racesim.classroom.RaceDemo` with the same controls (build time of ``A``, sleep before the
pull, gap between the pushes, strategy) but no kernel: every combination of the control values in
:data:`GRID` is simulated when the page is built, and a small script (``classroom.js``) draws the
timeline and the verdict of the combination the controls select, with the Monte Carlo bars of
:mod:`~racesim.classroom.estimates` (measured per build time and gap when the page is built) and
the lesson of :mod:`~racesim.classroom.lesson` (its answers computed by simulation). A projector
with a browser and no network is enough.

Each scene is the simulation of the same two-push history the widget draws: the f8af4c1
incident's durations, ``A``'s build set by the slider, ``B``'s the quicker build of the built-in
``two-pushes-out-of-order`` scenario.
"""

from __future__ import annotations

import html
import json
from dataclasses import replace
from importlib import resources
from itertools import pairwise, product
from typing import Any

from racesim.classroom import estimates
from racesim.classroom.controls import SLIDERS, two_push_history, verdict_text
from racesim.classroom.lesson import base_durations, lesson_data
from racesim.core.strategy import PRESETS
from racesim.core.trace import Trace
from racesim.engine.simulation import simulate
from racesim.plot.timeline import STEP_COLORS

__all__ = ["GRID", "page_data", "page_fragment", "scene", "scene_key", "standalone_html"]

#: the values each slider of the static page steps through (seconds), inside SLIDERS' ranges
GRID: dict[str, tuple[float, ...]] = {
    "build": (30.0, 50.0, 72.0, 100.0, 140.0, 180.0),
    "gap": (0.0, 5.0, 10.0, 30.0, 60.0, 120.0),
    "sleep": (0.0, 30.0, 60.0, 120.0),
}

#: where the slider starts: the incident's own build, ten seconds between pushes, no sleep
START = {"build": 72.0, "gap": 10.0, "sleep": 0.0, "strategy": "parallel"}

_SCRIPT = "static/classroom.js"


def scene_key(strategy: str, build: float, gap: float, sleep: float) -> str:
    """The key of one grid point in :func:`page_data`'s ``scenes`` (the script builds the same)."""
    return f"{strategy}|{build:g}|{gap:g}|{sleep:g}"


def _round(t: float) -> float:
    return round(float(t), 2)


def scene(trace: Trace) -> dict[str, Any]:
    """What the page draws for one trace: lanes of bars and marks, the service lane, the verdict."""
    label = trace.label
    outcome = trace.outcome
    deploys = {d.run: d for d in outcome.deploys}
    lanes: list[dict[str, Any]] = []
    index: dict[int, dict[str, Any]] = {}
    opened: dict[tuple[int, str], float] = {}
    created: dict[int, float] = {}
    counts: dict[str, int] = {}  # runs numbered within their workflow, as the timeline does
    for e in trace.events:
        if e.kind == "run_created":
            counts[e.workflow] = counts.get(e.workflow, 0) + 1
            new: dict[str, Any] = {
                "name": f"{e.workflow} #{counts[e.workflow]} · {label(e.commit)}",
                "bars": [],
                "marks": [],
            }
            lanes.append(new)
            index[e.run] = new
            created[e.run] = e.time
            continue
        lane = index.get(e.run)
        if lane is None:
            continue
        if e.kind == "job_started":
            since = opened.pop((e.run, "_job"), created[e.run])
            if e.time > since:
                lane["bars"].append([_round(since), _round(e.time), "waiting"])
        elif e.kind == "job_completed" and e.job == "build":
            opened[(e.run, "_job")] = e.time
        elif e.kind == "step_start":
            opened[(e.run, e.step)] = e.time
        elif e.kind in ("step_end", "step_aborted"):
            start = opened.pop((e.run, e.step), e.time)
            lane["bars"].append([_round(start), _round(e.time), e.step])
        elif e.kind == "write" and e.registry == trace.build_registry and e.ref == "latest":
            lane["marks"].append([_round(e.time), "write", f":latest → {label(e.image)}"])
        elif e.kind in ("read", "read_failed") and e.detail == "pull":
            d = deploys.get(e.run)
            bad = e.kind == "read_failed" or (d is not None and e.image < d.meant)
            text = "manifest unknown" if e.kind == "read_failed" else f"pulled {label(e.image)}"
            lane["marks"].append([_round(e.time), "pull-stale" if bad else "pull-ok", text])
        elif e.kind == "cancelled":
            lane["marks"].append([_round(e.time), "cancel", "cancelled"])
    end = outcome.end_time
    live = list(outcome.live)
    service = []
    writes = sorted(
        (e.time, e.image)
        for e in trace.events
        if e.kind == "write" and e.registry == trace.build_registry
    )
    first = trace.history.pushes[0].time
    for (t0, commit), nxt in zip(live, [*live[1:], (end, -1)], strict=False):
        a, b = max(t0, first), max(nxt[0], first)
        cuts = sorted({a, b, *(t for t, _ in writes if a < t < b)})
        for c0, c1 in pairwise(cuts):
            newest = max((k for t, k in writes if t <= c0), default=0)
            # a piece is "behind" while a newer image than the one served is available
            service.append([_round(c0), _round(c1), label(commit), commit >= newest])
    windows = [
        [_round(d.pull_time), _round(d.pull_time - d.pull_margin)]
        for d in outcome.deploys
        if d.pull_time is not None and d.pull_margin is not None and d.pull_margin < 0
    ]
    return {
        "lanes": lanes,
        "service": service,
        "pushes": [[_round(e.time), label(e.commit)] for e in trace.events if e.kind == "push"],
        "windows": windows,
        "end": _round(end),
        "verdict": verdict_text(trace),
        "stale": outcome.stale_deploys,
        "ends_on": label(outcome.final_live),
    }


def page_data() -> dict[str, Any]:
    """What ``classroom.js`` reads: every scene of the grid, the grid itself, the colours, the
    lesson with its computed answers, and the stale-deploy rates of every strategy per build
    time (one push, ``onePush``) and per build time and gap (two pushes, ``twoPushes``)."""
    base, second_build = base_durations()
    scenes = {}
    for strategy, build, gap, sleep in product(PRESETS, GRID["build"], GRID["gap"], GRID["sleep"]):
        history = two_push_history(base, build=build, second_build=second_build, gap=gap)
        trace = simulate(replace(PRESETS[strategy], sleep=sleep), history)
        scenes[scene_key(strategy, build, gap, sleep)] = scene(trace)
    return {
        "grid": {name: list(values) for name, values in GRID.items()},
        "labels": {name: SLIDERS[name][0] for name in GRID},
        "strategies": list(PRESETS),
        "presetSleep": {name: PRESETS[name].sleep for name in PRESETS},
        "start": START,
        "secondBuild": second_build,
        "colors": {**STEP_COLORS, "waiting": "#D0D0D0"},
        "scenes": scenes,
        "lesson": lesson_data(),
        "onePush": {
            f"{build:g}": estimates.one_push_rates(float(build)) for build in GRID["build"]
        },
        "twoPushes": {
            f"{build:g}|{gap:g}": estimates.two_push_rates(float(build), float(gap))
            for build, gap in product(GRID["build"], GRID["gap"])
        },
    }


def script() -> str:
    """The page's script (``racesim/classroom/static/classroom.js``), shipped with the package."""
    return resources.files("racesim.classroom").joinpath(_SCRIPT).read_text("utf-8")


def data_script(data: dict[str, Any]) -> str:
    """The grid as a script that sets ``window.RACESIM_CLASSROOM`` (works from ``file://`` too)."""
    return "window.RACESIM_CLASSROOM = " + json.dumps(data, separators=(",", ":")) + ";\n"


def page_fragment(data_src: str | None = None, script_src: str | None = None) -> str:
    """The HTML the page embeds: the container the script fills, and the two scripts."""
    parts = ['<div id="racesim-classroom" class="racesim-classroom">loading the race…</div>']
    if data_src is not None:
        parts.append(f'<script src="{html.escape(data_src)}"></script>')
    if script_src is not None:
        parts.append(f'<script src="{html.escape(script_src)}"></script>')
    return "\n".join(parts)


def standalone_html(data: dict[str, Any] | None = None) -> str:
    """One self-contained HTML file (data and script inline) for a projector with no Python."""
    data = page_data() if data is None else data
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>racesim classroom</title></head><body>"
        "<h1>racesim classroom: green runs, wrong code</h1>\n"
        f"{page_fragment()}\n<script>{data_script(data)}</script>\n"
        f"<script>{script()}</script>\n</body></html>\n"
    )
