"""Many pushes, one mechanism per test, on hand-built histories with fixed durations.

Durations are :func:`helpers.simple` (pickups 1 s, build 50, push 10, verify 10, dispatch 2,
prepare 20, mirror 5, rollout 10, deploy verify 5) with the overrides each test names. Commit A
is push 1, B push 2, C push 3.
"""

from __future__ import annotations

from helpers import simple

from racesim.core.history import History, Push, Rerun
from racesim.core.strategy import Concurrency, Strategy, Wait
from racesim.engine import simulate

# A builds slowly (push visible at 71, run done 81); B, pushed at 10, builds fast (51, done 61)
OUT_OF_ORDER = History((Push(0, simple(build=60)), Push(10, simple(build=30))))


def kinds(trace: object, kind: str) -> list[tuple[float, int, str]]:
    return [(e.time, e.run, e.detail) for e in trace.events if e.kind == kind]  # type: ignore[attr-defined]


def test_workflow_run_with_out_of_order_builds_ends_on_the_older_commit() -> None:
    out = simulate("workflow_run", OUT_OF_ORDER).outcome
    by_meant = {d.meant: d for d in out.deploys}
    # B's deploy pulls :latest at 84, after A's push at 71: it ships A
    assert (by_meant[2].pull_time, by_meant[2].shipped, by_meant[2].stale) == (84.0, 1, True)
    assert (by_meant[1].shipped, by_meant[1].stale) == (1, False)
    assert out.final_live == 1 and out.newest_built == 2 and not out.final_correct
    assert out.never_deployed == (2,)
    assert out.latest_at_end == {"ghcr": 1, "artifact-registry": 1}
    assert all(d.status == "live" for d in out.deploys)  # every run is green


def test_pinned_serialized_ships_the_right_identity_and_still_ends_on_the_older_commit() -> None:
    trace = simulate("pinned_serialized", OUT_OF_ORDER)
    out = trace.outcome
    assert [(d.meant, d.shipped) for d in out.deploys] == [(2, 2), (1, 1)]
    assert out.identity_errors == 0 and out.stale_deploys == 0
    # A's deploy (created 83) waits until B's finishes at 104, then ships A at 140
    assert kinds(trace, "pending") == [(83.0, 4, "deploy")]
    assert [(t, c) for t, c in out.live[1:]] == [(99.0, 2), (140.0, 1)]
    assert out.final_live == 1 and out.regressions == 1 and not out.final_correct


def test_cancel_superseded_ends_on_the_newest() -> None:
    trace = simulate("cancel_superseded", OUT_OF_ORDER)
    out = trace.outcome
    cancelled = kinds(trace, "cancelled")
    assert len(cancelled) == 1 and cancelled[0][:2] == (10.0, 1)
    assert "cancel-in-progress" in cancelled[0][2]
    assert [d.meant for d in out.deploys] == [2]
    assert out.skipped_deploys == 1  # A's deploy: its build was cancelled, the gate skips it
    assert out.final_live == 2 and out.final_correct and out.regressions == 0


def test_a_third_run_cancels_the_pending_second_and_the_end_is_still_right() -> None:
    """queue: single. A's deploy runs long; B's waits; C's displaces B's."""
    slow = simple(rollout=100)
    history = History((Push(0, slow), Push(20, slow), Push(40, slow)))
    trace = simulate("pinned_serialized", history)
    out = trace.outcome
    cancelled = kinds(trace, "cancelled")
    assert len(cancelled) == 1
    time, run, reason = cancelled[0]
    assert time == 113.0 and "higher priority waiting request" in reason
    assert [e.commit for e in trace.events if e.kind == "run_created" and e.run == run] == [2]
    assert [d.meant for d in out.deploys] == [1, 3]
    assert out.final_live == 3 and out.final_correct
    assert out.never_deployed == (2,)


def test_queue_max_keeps_every_pending_run_in_order() -> None:
    slow = simple(rollout=100)
    history = History((Push(0, slow), Push(20, slow), Push(40, slow)))
    strategy = Strategy(
        "workflow_run", gate=True, reference="sha", deploy_concurrency=Concurrency("max")
    )
    out = simulate(strategy, history).outcome
    assert [d.meant for d in out.deploys] == [1, 2, 3]
    assert [c for _, c in out.live[1:]] == [1, 2, 3]
    assert out.final_correct and out.regressions == 0


def test_a_guard_skips_an_old_deploy() -> None:
    trace = simulate("guarded", OUT_OF_ORDER)
    out = trace.outcome
    guards = [(e.time, e.commit, e.image, e.detail) for e in trace.events if e.kind == "guard"]
    # B's deploy checks at 89 (live: previous), A's at 109 (live: B since 99)
    assert guards == [(89.0, 2, 0, "pass"), (109.0, 1, 2, "block")]
    assert {d.meant: d.status for d in out.deploys} == {2: "live", 1: "blocked"}
    assert out.final_live == 2 and out.final_correct


def test_check_then_act_window_lets_an_old_deploy_through() -> None:
    """A checks at 99 and rolls out for 30 s; B checks at 104, lands at 114, inside A's window."""
    history = History((Push(0, simple(rollout=30)), Push(5, simple(rollout=10))))
    trace = simulate("guarded", history)
    out = trace.outcome
    assert [e.detail for e in trace.events if e.kind == "guard"] == ["pass", "pass"]
    assert [(t, c) for t, c in out.live[1:]] == [(114.0, 2), (129.0, 1)]
    assert out.final_live == 1 and out.regressions == 1 and not out.final_correct


def test_tip_of_main_guard_blocks_a_superseded_deploy() -> None:
    strategy = Strategy("workflow_run", gate=True, reference="sha", guard="tip_of_main")
    out = simulate(strategy, OUT_OF_ORDER).outcome
    assert {d.meant: d.status for d in out.deploys} == {2: "live", 1: "blocked"}
    assert out.final_correct


def test_pulling_a_sha_tag_before_it_is_visible_fails() -> None:
    """The deploy pulls sha-1 at 21 s; the build pushes it at 61 s: manifest unknown.

    The failed pull still has a pull time, and its margin says how early it was (-40 s).
    """
    trace = simulate(Strategy("push", reference="sha"), History.single(simple()))
    (deploy,) = trace.outcome.deploys
    assert deploy.status == "failed" and deploy.shipped is None
    assert [(e.time, e.ref, e.detail) for e in trace.events if e.kind == "read_failed"] == [
        (21.0, "sha-1", "pull")
    ]
    assert (deploy.pull_time, deploy.pulled, deploy.pull_margin) == (21.0, None, -40.0)
    assert [e.detail for e in trace.events if e.kind == "job_completed" and e.job == "deploy"] == [
        "failure"
    ]


def test_pulling_a_sha_tag_waits_when_configured() -> None:
    strategy = Strategy("push", reference="sha", wait=Wait(interval=15, timeout=120))
    (deploy,) = simulate(strategy, History.single(simple())).outcome.deploys
    assert (deploy.pull_time, deploy.shipped) == (66.0, 1)  # polls at 21, 36, 51, 66


def test_registry_lag_delays_other_jobs_reads_but_not_the_writers_own() -> None:
    """The build registry's lag delays the deploy's pull; the deploy registry's lag does not
    delay the deploy's own resolve of the tag it has just mirrored (read-your-writes)."""
    lagged = simple(registry_lag=30, deploy_registry_lag=30)
    trace = simulate("pinned", History.single(lagged))
    (deploy,) = trace.outcome.deploys
    # the pull at 94 finds sha-1 (pushed 61, visible 91) ...
    assert (deploy.pull_time, deploy.pulled, deploy.pull_margin) == (94.0, 1, 3.0)
    # ... and Cloud Run resolves the mirrored tag at 99, which the job itself pushed
    assert not [e for e in trace.events if e.kind == "read_failed"]
    assert (deploy.status, deploy.shipped) == ("live", 1)
    visible = [(e.time, e.ref) for e in trace.events if e.kind == "visible"]
    assert (129.0, "sha-1") in visible  # other jobs see the mirror's push 30 s after it
    late = simulate("pinned", History.single(simple(registry_lag=40))).outcome.deploys[0]
    # sha-1 visible at 101, pulled at 94: a failed pull 7 s too early
    assert (late.pulled, late.pull_time, late.pull_margin) == (None, 94.0, -7.0)


def test_a_rerun_of_an_old_build_rolls_latest_back() -> None:
    history = History((Push(0, simple()), Push(100, simple())), reruns=(Rerun(300, 1, simple()),))
    trace = simulate("workflow_run", history)
    out = trace.outcome
    latest = [
        (e.time, e.image)
        for e in trace.events
        if e.kind == "write" and e.ref == "latest" and e.registry == "ghcr"
    ]
    assert latest == [(61.0, 1), (161.0, 2), (361.0, 1)]
    assert out.latest_at_end["ghcr"] == 1
    assert [c for _, c in out.live[1:]] == [1, 2, 1]
    assert out.regressions == 1 and not out.final_correct
    rerun_deploy = out.deploys[-1]
    assert (rerun_deploy.meant, rerun_deploy.shipped, rerun_deploy.stale) == (1, 1, False)


def test_rerun_is_its_own_build_attempt_with_a_new_digest() -> None:
    history = History((Push(0, simple()),), reruns=(Rerun(300, 1, simple()),))
    trace = simulate(Strategy("none"), history)
    digests = sorted(
        {e.ref for e in trace.events if e.kind == "write" and e.ref.startswith("digest:")}
    )
    assert digests == ["digest:1", "digest:2"]


def test_direct_registry_pushes_to_both_registries_in_turn() -> None:
    trace = simulate("direct_registry", History.single(simple()))
    writes = [(e.time, e.registry) for e in trace.events if e.kind == "write" and e.ref == "latest"]
    assert writes == [(61.0, "ghcr"), (66.0, "artifact-registry")]
    assert not [e for e in trace.events if e.step == "mirror"]
    assert trace.outcome.final_correct


def test_merged_job_two_pushes_out_of_order() -> None:
    out = simulate("merged_job", OUT_OF_ORDER).outcome
    by_meant = {d.meant: d for d in out.deploys}
    # B's deploy job pulls at 61 + 1 + 20 = 82, after A's push at 71
    assert by_meant[2].shipped == 1 and by_meant[2].stale
    assert out.final_live == 1 and not out.final_correct
