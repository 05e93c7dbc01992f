"""``racesim.prove`` and ``racesim prove``: the answers people ask for, bounds, refusals, errors."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from helpers import run_cli as run

import racesim
from racesim import Concurrency, Durations, History, Strategy, Wait, simulate
from racesim.errors import InputError
from racesim.proof import Bounds, NotEncodedError, boundary, prove
from racesim.testing import ends_on_newest
from racesim.verify.proof.bounds import bounds_from, parse_bound

# -- the answers people ask for ----------------------------------------------------------------


def test_workflow_run_with_one_push_never_ships_a_stale_image() -> None:
    result = racesim.prove("workflow_run", "never_stale", pushes=1)
    assert result.proved and result.counterexample is None
    assert "PROVED for every history of up to 1 push" in result.headline


def test_workflow_run_with_two_pushes_can_end_on_the_older_commit() -> None:
    result = prove("workflow_run", "ends_on_newest", pushes=2)
    assert result.verdict == "counterexample"
    cx = result.counterexample
    assert cx is not None and cx.history.commits == 2
    # the engine, not the solver, has the last word
    assert not ends_on_newest(simulate("workflow_run", cx.history))
    assert "production ends on A although B is the newest" in cx.explanation


def test_cancel_superseded_boundary_is_the_shortest_build_run_plus_the_smallest_gap() -> None:
    """Default bounds: a build run takes at least 1+1+1+1 s and pushes are at least 1 s apart.

    The older deploy can arrive after the newer one only if its dispatch delay exceeds 5 s; at
    exactly 5 s both arrive together and the newer commit is placed last (commit order).
    """
    b = boundary("cancel_superseded", "ends_on_newest", "dispatch", 1, 8, pushes=2, resolution=0.5)
    assert (b.proved_at, b.broken_at) == (5.0, 5.5)
    assert b.counterexample is not None and b.counterexample.counterexample is not None
    # the extreme history at the proved bound, replayed in the engine: both deploys arrive at 9 s
    quick = dict.fromkeys(("build_pickup", "build", "push", "build_verify"), 1.0)
    rest = dict.fromkeys(("deploy_pickup", "prepare", "mirror", "rollout", "deploy_verify"), 1.0)
    older = Durations(**quick, **rest, dispatch=5.0)
    newer = Durations(**quick, **rest, dispatch=1.0)
    history = History.at([0.0, 4.0], [older, newer])
    assert ends_on_newest(simulate("cancel_superseded", history))
    later = History.at([0.0, 4.0], [replace(older, dispatch=5.5), newer])
    assert not ends_on_newest(simulate("cancel_superseded", later))


def test_sleep_is_safe_for_one_push_exactly_beyond_the_worst_build_to_visible_margin() -> None:
    """Worst case: visible 30+180+30 = 240 s after the push; fastest pull 1+1 s + sleep."""
    b = boundary("parallel", "never_stale", "sleep", 200, 260, pushes=1, resolution=1)
    assert (b.proved_at, b.broken_at) == (238.0, 237.0)


def test_cancel_superseded_keeps_never_stale_for_every_duration() -> None:
    assert prove("cancel_superseded", "never_stale", pushes=2).proved


# -- bounds ------------------------------------------------------------------------------------


def test_bounds_come_from_words_and_files(tmp_path: Path) -> None:
    assert parse_bound("build=60..180") == ("build", (60.0, 180.0))
    assert parse_bound("dispatch=5") == ("dispatch", (5.0, 5.0))
    assert parse_bound("failures=yes") == ("failures", True)
    path = tmp_path / "bounds.toml"
    path.write_text("[bounds]\nbuild = [60, 180]\ngap = 5\nfailures = true\n", encoding="utf-8")
    b = bounds_from([str(path), "rollout=2..3"])
    assert b.durations["build"] == (60.0, 180.0)
    assert b.durations["rollout"] == (2.0, 3.0)
    assert b.gap == (5.0, 5.0) and b.failures


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("bild=1..2", "unknown bound 'bild'"),
        ("build=3..2", "expected 0 <= low <= high"),
        ("build=0..2", "lower bound > 0"),
        ("build=a..b", "expected LO..HI"),
        ("failures=maybe", "expected yes or no"),
        ("build", "neither"),
    ],
)
def test_bad_bounds_name_the_field(word: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        bounds_from([word])


def test_a_bounds_file_with_an_unknown_key_names_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "b.toml"
    path.write_text("biuld = [1, 2]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"b\.toml: biuld: unknown bound"):
        bounds_from([str(path)])


def test_failures_let_builds_fail_in_counterexamples() -> None:
    """With failures allowed, a failed newer build leaves the older commit newest: still proved."""
    assert prove("pinned", "ends_on_newest", pushes=1, bounds={"failures": True}).proved
    result = prove(
        "workflow_run_ungated",
        "ships_what_it_claims",
        pushes=1,
        bounds=Bounds.of({"failures": True}),
    )
    assert not result.proved
    cx = result.counterexample
    assert cx is not None and cx.history.pushes[0].durations.build_fails


# -- refusals ------------------------------------------------------------------------------------


def test_polling_is_unrolled_and_a_timeout_shorter_than_the_build_breaks_freshness() -> None:
    polling = Strategy(trigger="push", reference="sha", wait=Wait(interval=5, timeout=300))
    result = prove(polling, "never_stale", pushes=1)
    assert result.proved and "61 polls every 5 s, unrolled" in result.text()
    # the image can take up to 240 s to appear: a 20 s timeout fails the deploy, old stays live
    short = prove(replace(polling, wait=Wait(interval=5, timeout=20)), "ends_on_newest", pushes=1)
    assert short.counterexample is not None
    assert short.counterexample.trace.outcome.final_live == 0


def test_a_knob_outside_the_encoding_is_refused_by_name() -> None:
    with pytest.raises(NotEncodedError, match=r"'wait'.*at most 400 polls"):
        prove(Strategy(trigger="push", reference="sha", wait=Wait(0.5, 300)), "never_stale")
    nested = Strategy(
        trigger="needs", build_concurrency=Concurrency(), deploy_concurrency=Concurrency()
    )
    with pytest.raises(NotEncodedError, match="build_concurrency"):
        prove(nested, "never_stale")


def test_a_knob_the_encoding_has_never_heard_of_is_refused_unless_at_its_default() -> None:
    @dataclass(frozen=True)
    class Extended(Strategy):
        future_knob: str = "off"

    assert prove(Extended(trigger="workflow_run", gate=True), "never_stale", pushes=1).proved
    with pytest.raises(NotEncodedError, match="'future_knob'"):
        prove(Extended(future_knob="on"), "never_stale", pushes=1)


def test_the_knobs_not_yet_encoded_are_refused_by_name() -> None:
    """The publish guard checked just before the push, and reconcile_latest, are not encoded."""
    before_push = Strategy(publish_guard=True, publish_guard_at="before_push")
    with pytest.raises(NotEncodedError, match="'publish_guard_at'"):
        prove(before_push, "never_stale", pushes=1)
    with pytest.raises(NotEncodedError, match="'reconcile_latest'"):
        prove("reconcile_latest", "never_stale", pushes=1)


# -- the command line ----------------------------------------------------------------------------


def test_cli_prints_a_proof_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["prove", "workflow_run", "--property", "never_stale", "--pushes", "1"], capsys
    )
    assert code == 0
    assert "workflow_run / never_stale: PROVED" in out
    assert "bounds: build_pickup=1..30" in out and "covers: " in out


def test_cli_prints_a_confirmed_counterexample_and_draws_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cx.png"
    argv = ["prove", "workflow_run", "--property", "ends_on_newest", "--plot", str(path)]
    code, out, _ = run(argv, capsys)
    assert code == 1
    assert "COUNTEREXAMPLE with 2 pushes" in out and "confirmed by the SimPy engine" in out
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_cli_json_and_boundary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["prove", "pinned", "--property", "never_stale", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["verdict"] == "proved" and data["bounds"]["build"] == [1, 180]
    argv = ["prove", "parallel", "--property", "never_stale", "--pushes", "1"]
    code, out, _ = run([*argv, "--boundary", "sleep=230..240", "--resolution", "1"], capsys)
    assert code == 0 and "proved with sleep=238, counterexample with sleep=237" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bounds", "build=0..1"], "--bounds: build: a proof needs a lower bound > 0"),
        (["--pushes", "5"], "pushes: expected a whole number from 1 to 4"),
        (["--boundary", "sleep=1"], "--boundary: expected PARAM=LO..HI"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = ["--property", "never_stale"] if "--boundary" in argv else []
    code, out, err = run(["prove", "parallel", *extra, *argv], capsys)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_verdict_table_falls_back_to_the_search_for_strategies_outside_the_encoding() -> None:
    from racesim.testing import verdict_table

    polling = Strategy(trigger="workflow_run", gate=True, reference="sha", wait=Wait(0.5, 300))
    table = verdict_table([polling, "pinned"], ["never_stale"], pushes=1, max_examples=5)
    # the sample found nothing, so the exhaustive grid decided (deterministically)
    assert list(table["method"]) == ["exhaustive", "proved"]
    assert list(table["verdict"]) == ["holds", "holds"]
    sampled = verdict_table([polling], ["never_stale"], pushes=1, max_examples=5, method="sampled")
    assert list(sampled["method"]) == ["sampled"]
    assert table["bounds"].iloc[1].startswith("build_pickup=1..30")


def test_a_grid_with_no_point_within_the_bounds_is_an_input_error() -> None:
    with pytest.raises(InputError, match="grid: no duration within the bounds"):
        prove("pinned", "never_stale", pushes=1, bounds={"build": (1.5, 1.7)}, grid=1)
