"""Each preset on hand-computed fixed durations, one push.

With :func:`helpers.simple` durations and a push at 0 s the build starts at 1, finishes building
at 51, its image is visible at 61 and the build run completes at 71.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers import simple

from racesim.core.history import Dispatch, History, Push
from racesim.core.strategy import PRESETS, Concurrency, Strategy, Wait, parse_strategy, preset_names
from racesim.engine import simulate
from racesim.errors import InputError

ONE_PUSH = History.single(simple())


@pytest.mark.parametrize(
    ("preset", "pull_time", "shipped", "stale", "margin", "live_at"),
    [
        # deploy starts at 1, pulls at 21, 40 s before the image exists
        ("parallel", 21, 0, True, -40, 36),
        # sleeping 30 s is not enough, 60 s is
        ("sleep:30", 51, 0, True, -10, 66),
        ("sleep:60", 81, 1, False, 20, 96),
        # build completes 71, +2 dispatch, +1 pickup, +20 prepare
        ("workflow_run", 94, 1, False, 33, 109),
        ("workflow_run_ungated", 94, 1, False, 33, 109),
        # build job completes 71, +1 pickup of the needs job, +20 prepare
        ("merged_job", 92, 1, False, 31, 107),
        ("pinned", 94, 1, False, 33, 109),
        ("pinned_serialized", 94, 1, False, 33, 109),
        ("cancel_superseded", 94, 1, False, 33, 109),
        ("guarded", 94, 1, False, 33, 109),
        # the build's second push to the deploy registry (5 s) ends at 66; the run completes 76
        ("direct_registry", 99, 1, False, 33, 109),
    ],
)
def test_one_push(
    preset: str, pull_time: float, shipped: int, stale: bool, margin: float, live_at: float
) -> None:
    out = simulate(preset, ONE_PUSH).outcome
    (deploy,) = out.deploys
    assert (deploy.pull_time, deploy.shipped, deploy.stale, deploy.pull_margin, deploy.live_at) == (
        pull_time,
        shipped,
        stale,
        margin,
        live_at,
    )
    assert deploy.meant == 1
    assert out.final_live == shipped
    assert out.final_correct is (shipped == 1)
    assert out.push_to_live == ((live_at if shipped == 1 else None),)


FAILED = History.single(simple(build_fails=True))


def test_build_failure_gated_workflow_run_does_not_deploy() -> None:
    """Seed Test Case 2: the gate skips the deploy, production keeps the old image, correctly."""
    trace = simulate("workflow_run", FAILED)
    out = trace.outcome
    assert out.deploys == ()
    assert out.skipped_deploys == 1
    skipped = [e for e in trace.events if e.kind == "job_skipped"]
    assert [(e.time, e.job) for e in skipped] == [(53.0, "deploy")]
    assert "concluded failure" in skipped[0].detail
    assert out.final_live == 0 and out.newest_built == 0 and out.final_correct


def test_build_failure_ungated_workflow_run_deploys_the_old_image() -> None:
    out = simulate("workflow_run_ungated", FAILED).outcome
    (deploy,) = out.deploys
    assert deploy.pull_time == 74.0  # 51 failed, +2 dispatch, +1 pickup, +20 prepare
    assert deploy.shipped == 0 and deploy.meant == 1
    assert deploy.stale and deploy.wrong_identity
    assert deploy.pull_margin is None  # the meant image never exists


def test_build_failure_merged_job_skips_the_deploy_job() -> None:
    trace = simulate("merged_job", FAILED)
    assert trace.outcome.deploys == ()
    skipped = [e for e in trace.events if e.kind == "job_skipped"]
    assert [(e.time, e.job, e.detail) for e in skipped] == [
        (51.0, "deploy", "needs: build did not succeed")
    ]
    runs = [e for e in trace.events if e.kind == "run_completed"]
    assert [e.detail for e in runs] == ["failure"]


def test_failed_build_pushes_nothing() -> None:
    trace = simulate("parallel", FAILED)
    assert not [e for e in trace.events if e.kind == "write" and e.registry == "ghcr"]
    assert trace.outcome.latest_at_end["ghcr"] == 0


def test_workflow_dispatch_deploys_what_main_holds() -> None:
    """Seed Test Case 3: a manual deploy after the build ships the tip of main."""
    history = History((Push(0, simple()),), dispatches=(Dispatch(200, simple()),))
    out = simulate("workflow_run", history).outcome
    manual = [d for d in out.deploys if d.cause == "dispatch"]
    assert [(d.meant, d.shipped, d.pull_time) for d in manual] == [(1, 1, 221.0)]


def test_workflow_dispatch_before_the_build_is_done_ships_stale() -> None:
    history = History((Push(0, simple()),), dispatches=(Dispatch(10, simple()),))
    out = simulate(Strategy(trigger="none"), history).outcome
    (manual,) = out.deploys
    assert (manual.meant, manual.shipped, manual.stale) == (1, 0, True)


def test_dispatch_pins_the_tip_sha_when_the_strategy_pins() -> None:
    history = History((Push(0, simple()),), dispatches=(Dispatch(10, simple()),))
    (manual,) = [d for d in simulate("pinned", history).outcome.deploys if d.cause == "dispatch"]
    assert manual.status == "failed"  # sha-1 does not exist at 31 s: manifest unknown
    assert manual.shipped is None


def test_wait_for_image_polls_until_visible() -> None:
    """Parallel + wait: polls at 21, 31, ... and pulls at 61 when the image appears."""
    strategy = Strategy(trigger="push", wait=Wait(interval=10, timeout=120))
    (deploy,) = simulate(strategy, ONE_PUSH).outcome.deploys
    assert (deploy.pull_time, deploy.shipped, deploy.stale) == (61.0, 1, False)


def test_wait_for_image_times_out() -> None:
    strategy = Strategy(trigger="push", reference="sha", wait=Wait(interval=10, timeout=30))
    trace = simulate(strategy, ONE_PUSH)
    (deploy,) = trace.outcome.deploys
    assert deploy.status == "failed" and deploy.shipped is None
    polls = [e.time for e in trace.events if e.detail == "poll"]
    assert polls == [21.0, 31.0, 41.0, 51.0]


# -- strategies as values ---------------------------------------------------------------------


def test_preset_names_round_trip() -> None:
    for name in PRESETS:
        assert parse_strategy(name).name == name
    assert parse_strategy("sleep:45").name == "sleep:45"
    assert "sleep:N" in preset_names()


def test_a_modified_preset_is_no_longer_named_after_it() -> None:
    assert replace(PRESETS["workflow_run"], reference="sha").name == "pinned"
    assert replace(PRESETS["workflow_run"], guard="tip_of_main").name == "custom"


def test_strategies_are_immutable_and_hashable() -> None:
    s = PRESETS["cancel_superseded"]
    with pytest.raises(AttributeError):
        s.sleep = 3  # type: ignore[misc]
    assert len({s, parse_strategy("cancel_superseded")}) == 1


@pytest.mark.parametrize(
    ("spec", "field", "fragment"),
    [
        ("bogus", "strategy", "unknown strategy 'bogus'"),
        ("sleep:abc", "strategy", "expected sleep:SECONDS"),
        ("sleep:-5", "strategy", "expected a duration >= 0 s"),
    ],
)
def test_unknown_or_malformed_strategy_names(spec: str, field: str, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        parse_strategy(spec)
    assert info.value.field == field
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"trigger": "cron"}, "trigger"),
        ({"gate": True}, "gate"),
        ({"reference": "digest"}, "reference"),
        ({"mirror": True, "direct": True}, "direct"),
        ({"sleep": -1}, "sleep"),
        ({"guard": "newest"}, "guard"),
    ],
)
def test_invalid_knob_combinations_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as info:
        Strategy(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_concurrency_validation() -> None:
    with pytest.raises(InputError, match="queue"):
        Concurrency(queue="max", cancel_in_progress=True)
    with pytest.raises(InputError, match="interval"):
        Wait(interval=0)
