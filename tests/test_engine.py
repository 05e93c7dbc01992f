"""Engine mechanics: determinism, the trace table, cancellations and the settle phase."""

from __future__ import annotations

import dataclasses

from helpers import F8, simple

from racesim.core.history import Durations, History, Push
from racesim.core.strategy import Concurrency, Strategy, Wait
from racesim.core.trace import EVENT_KINDS, Event
from racesim.engine import simulate


def test_same_input_same_trace() -> None:
    h = History((Push(0, simple()), Push(7, simple(build=20))))
    assert simulate("workflow_run", h).events == simulate("workflow_run", h).events


def test_trace_frame_is_tidy() -> None:
    trace = simulate("parallel", History.single(F8, label="f8af4c1"))
    df = trace.frame()
    assert list(df.columns) == [*Event._fields, "commit_label", "image_label"]
    assert len(df) == len(trace.events)
    assert df["time"].is_monotonic_increasing
    assert set(df["kind"]) <= set(EVENT_KINDS)
    pull = df[(df.kind == "read") & (df.detail == "pull")].iloc[0]
    assert (pull.time, pull.ref, pull.image_label, pull.commit_label) == (
        34.0,
        "latest",
        "previous",
        "f8af4c1",
    )


def test_writes_come_before_reads_at_the_same_instant() -> None:
    d = simple(build=10, push=10, prepare=20)
    kinds = [e.kind for e in simulate("parallel", History.single(d)).events if e.time == 21.0]
    assert kinds.index("write") < kinds.index("read")


def test_cancel_in_progress_at_the_instant_a_step_ends_lets_the_step_finish() -> None:
    """Build A's push ends at 41 exactly when push B's build run cancels A: A's image is pushed."""
    strategy = Strategy(trigger="none", build_concurrency=Concurrency(cancel_in_progress=True))
    a = simple(build_pickup=1, build=30, push=10)  # push step 31..41
    trace = simulate(strategy, History((Push(0, a), Push(41, simple()))))
    writes = [e for e in trace.events if e.kind == "write" and e.ref == "sha-1"]
    assert [e.time for e in writes] == [41.0]
    cancelled = [e for e in trace.events if e.kind == "cancelled"]
    assert [(e.run, e.time) for e in cancelled] == [(1, 41.0)]
    aborted = [e for e in trace.events if e.kind == "step_aborted"]
    assert [(e.step, e.time) for e in aborted] == [("verify", 41.0)]


def test_cancel_during_push_pushes_nothing() -> None:
    strategy = Strategy(trigger="none", build_concurrency=Concurrency(cancel_in_progress=True))
    a = simple(build_pickup=1, build=30, push=10)
    trace = simulate(strategy, History((Push(0, a), Push(40, simple()))))
    assert not [e for e in trace.events if e.kind == "write" and e.ref == "sha-1"]
    assert [e.detail for e in trace.events if e.kind == "run_completed"] == ["cancelled", "success"]


def test_runner_seconds_count_from_pickup_to_job_end() -> None:
    out = simulate("parallel", History.single(F8)).outcome
    assert out.runner_s == (94 - 2) + (74 - 2)


def test_pushes_may_share_a_second() -> None:
    h = History((Push(0, simple()), Push(0, simple())))
    out = simulate("merged_job", h).outcome
    assert out.newest_built == 2
    assert {d.meant for d in out.deploys} == {1, 2}


def test_settle_rounds_make_a_zero_second_write_invisible_to_its_own_round() -> None:
    """The issue's reproducer: both publish guards check ``latest`` in the same settle round.

    Commit 2's build and push take 0 s, so it writes ``latest`` at 0 s, but after the round in
    which commit 1's guard read it: commit 1's guard passes whatever the creation order, and its
    push at 1 s moves ``latest`` back to commit 1 (the check-then-act window).
    """
    h = History((Push(0, Durations(build=1, rollout=1)), Push(0, Durations(build=0, rollout=1))))
    for order in (None, 0, 1, 2, 3):
        trace = simulate(Strategy(publish_guard=True), h, creation_order=order)
        guards = sorted((e.commit, e.detail, e.image) for e in trace.events if e.kind == "guard")
        assert guards == [(1, "pass", 0), (2, "pass", 0)]
        assert trace.outcome.latest_at_end["ghcr"] == 1


def test_a_read_one_round_later_sees_the_zero_second_write() -> None:
    """A read that settles after a 0 s push at the same instant sees it (it is a later round)."""
    # push 1 at 0: build and push take 0 s, written at 0; the deploy (pickup 0, prepare 0)
    # pulls at 0 in the round after the write was recorded, so it sees commit 1
    d = Durations()
    deploy = simulate("parallel", History.single(d)).outcome.deploys[0]
    assert (deploy.pull_time, deploy.pulled) == (0.0, 1)


def test_an_observer_of_a_round_never_sees_what_another_observer_of_it_did() -> None:
    """Two merged runs whose deploys both find their image at 5 s in the same round (``wait``),
    then check ``newer_than_live``: the first one resumed rolls out in 0 s, but the other one
    checks in the next round either way, so which deploy SimPy resumes first changes nothing."""
    d = Durations(build_pickup=1, build=1, push=1, deploy_pickup=1)
    strategy = Strategy(
        trigger="needs", reference="sha", wait=Wait(1, 2), guard="newer_than_live", mirror=False
    )
    h = History((Push(1, d), Push(1, d)))
    outcomes = set()
    for order in (None, 0, 1, 2, 3, 4, 5):
        out = simulate(strategy, h, creation_order=order).outcome
        outcomes.add(tuple(sorted((x.meant, x.status, x.shipped) for x in out.deploys)))
    assert len(outcomes) == 1


def test_outcomes_are_whole_dataclass_instances() -> None:
    # assess builds them without __init__ (for speed): they must hold exactly their fields
    out = simulate("parallel", History.single(F8)).outcome
    for obj in (out, out.deploys[0]):
        assert set(vars(obj)) == {f.name for f in dataclasses.fields(obj)}
        assert dataclasses.replace(obj) == obj
