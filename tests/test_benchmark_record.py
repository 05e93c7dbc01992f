"""The benchmark figures the docs show: recorded by ``python -m benchmarks --record``, consistent.

The cost table of ``docs/background/engines.md`` is rendered from ``benchmarks/results.json``.
These tests check the file the way a reader relies on it: every goal of the speed work has a
figure, every verdict follows from its value and goal, and every figure says when, where and by
which command it was measured.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.record import RESULTS, Figure, Recorder, load, met  # noqa: E402

#: the figures the docs' cost table must show (key prefixes), one per goal
REQUIRED = (
    "multi/decision/two-pushes-out-of-order/",
    "multi/decision/burst-of-5/",
    "multi/compare-burst-1e6",
    "fast/one-push-vs-numpy",
    "engine/vs-minimal",
    "memory/compare-1e7",
    "audit/median",
)


def test_every_goal_has_a_recorded_figure() -> None:
    keys = [f.key for f in load(RESULTS)]
    missing = [p for p in REQUIRED if not any(k.startswith(p) for k in keys)]
    assert not missing, f"run python -m benchmarks --record for: {missing}"


def test_every_figure_is_dated_placed_and_reproducible() -> None:
    for f in load(RESULTS):
        assert date.fromisoformat(f.measured) <= date.today(), f.key
        assert f.machine and "CPUs" in f.machine, f.key
        assert f.command.startswith("python -m benchmarks"), f.key
        assert f.value >= 0 and f.goal > 0 and f.op in ("<=", ">="), f.key
        assert f.label and f.detail, f.key


def test_the_file_is_written_by_the_recorder(tmp_path: Path) -> None:
    """Figures merge by key: measuring one again replaces it, the others stay."""
    path = tmp_path / "results.json"
    first = Recorder()
    first.add("a", "A", 3.0, "x", ">=", 2.0, "3 vs 1", "python -m benchmarks --suite x")
    first.add("b", "B", 1.0, "s", "<=", 0.5, "one run", "python -m benchmarks --suite y")
    first.write(path)
    again = Recorder()
    again.add("a", "A", 1.5, "x", ">=", 2.0, "1.5 vs 1", "python -m benchmarks --suite x")
    again.write(path)
    figures = {f.key: f for f in load(path)}
    assert figures["a"].value == 1.5 and not met(figures["a"])
    assert figures["b"].value == 1.0 and not met(figures["b"])
    assert figures["a"].measured == date.today().isoformat()
    assert json.loads(path.read_text())["figures"][0]["key"] == "a"


@pytest.mark.parametrize(
    ("value", "op", "goal", "expected"),
    [(200.0, ">=", 200.0, True), (199.9, ">=", 200.0, False), (0.9, "<=", 1.0, True)],
)
def test_a_verdict_follows_from_value_and_goal(
    value: float, op: str, goal: float, expected: bool
) -> None:
    figure = Figure("k", "l", value, "x", op, goal, "d", "python -m benchmarks")  # type: ignore[arg-type]
    assert met(figure) is expected


def test_the_docs_table_shows_every_figure_with_its_verdict() -> None:
    text = (ROOT / "docs" / "background" / "engines.md").read_text(encoding="utf-8")
    for f in load(RESULTS):
        if f.key.startswith(REQUIRED):
            assert f.label in text, f.key
    assert "**not met**" in text or all(met(f) for f in load(RESULTS))
