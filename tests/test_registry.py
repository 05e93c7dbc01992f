"""Registry semantics: write order decides the value, lag delays other jobs' reads, missing tags."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from helpers import simple
from hypothesis import given
from hypothesis import strategies as st

from racesim.core.history import History, Push
from racesim.core.strategy import Strategy
from racesim.engine import simulate
from racesim.engine.registry import BASELINE_IMAGE, Image, Registry, Tie
from racesim.engine.runs import RunState
from racesim.engine.triggers import Triggers


def test_last_accepted_writer_wins_not_last_registered() -> None:
    """The write the registry accepted last wins, even if it was recorded first."""
    reg = Registry("ghcr")
    reg.write("latest", 30.0, Image(2, 2), Tie(20.0, 2, 2))  # recorded first, accepted later
    reg.write("latest", 10.0, Image(1, 1), Tie(5.0, 1, 1))
    assert reg.read("latest", 9.9) == BASELINE_IMAGE
    assert reg.read("latest", 15.0) == Image(1, 1)
    assert reg.read("latest", 30.0) == Image(2, 2)


def test_a_lagging_write_keeps_its_place_in_the_write_order() -> None:
    """Accepted at 10 but seen at 40, commit 1 never replaces commit 2, accepted at 20."""
    reg = Registry("ghcr")
    reg.write("latest", 10.0, Image(1, 1), Tie(5.0, 1, 1), visible_at=40.0)
    reg.write("latest", 20.0, Image(2, 2), Tie(15.0, 2, 2))
    assert [reg.read("latest", t) for t in (15.0, 25.0, 45.0)] == [
        BASELINE_IMAGE,
        Image(2, 2),
        Image(2, 2),
    ]
    assert reg.tags["latest"].last() == Image(2, 2)


def test_read_at_exactly_the_visibility_time_sees_the_write() -> None:
    reg = Registry("ghcr")
    reg.write("latest", 40.0, Image(1, 1), Tie(38.0, 1, 1), visible_at=42.0, job="build")
    assert reg.read("latest", 42.0) == Image(1, 1)
    assert reg.read("latest", 41.999) == BASELINE_IMAGE
    assert reg.read("latest", 40.0, (1, "build")) == Image(1, 1)  # the writer sees it at once


def test_immutable_reference_not_yet_visible_is_manifest_unknown() -> None:
    reg = Registry("ghcr")
    reg.write("sha-1", 40.0, Image(1, 1), Tie(38.0, 1, 1), visible_at=42.0)
    assert reg.read("sha-1", 41.0) is None
    assert reg.read("sha-1", 42.0) == Image(1, 1)
    assert reg.read("sha-7", 1e9) is None


def test_simultaneous_writes_resolved_by_tie_rule_not_by_order() -> None:
    """Two writes accepted at the same instant: the one whose push started later holds."""
    writes = [(Image(1, 1), Tie(10.0, 1, 1)), (Image(2, 2), Tie(12.0, 2, 2))]
    for order in itertools.permutations(writes):
        reg = Registry("ghcr")
        for image, tie in order:
            reg.write("latest", 20.0, image, tie)
        assert reg.read("latest", 20.0) == Image(2, 2)
        assert [img for _, img, _ in reg.tags["latest"].timeline()] == [BASELINE_IMAGE, Image(2, 2)]


@given(
    st.lists(
        st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(1, 5), st.integers(0, 9)),
        min_size=1,
        max_size=6,
        unique_by=lambda w: (w[1], w[2]),
    ),
    st.randoms(use_true_random=False),
    st.integers(-1, 35),
    st.integers(0, 6),
)
def test_reads_do_not_depend_on_registration_order(
    writes: list[tuple[int, int, int, int]], rnd: object, at: int, reader: int
) -> None:
    """Any permutation of the same writes (with lags and writers) answers every read the same."""

    def build(order: list[tuple[int, int, int, int]]) -> Registry:
        reg = Registry("ghcr")
        for i, (accepted, start, commit, lag) in enumerate(order):
            tie = Tie(float(start), commit, commit)
            reg.write("latest", float(accepted), Image(commit, i), tie, visible_at=accepted + lag)
        return reg

    shuffled = list(writes)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    who = (reader, "")
    a, b = build(writes).read("latest", at, who), build(shuffled).read("latest", at, who)
    assert (a is None) == (b is None)
    assert a is None or b is None or a.commit == b.commit


def test_pull_at_the_instant_the_image_appears_sees_it() -> None:
    """Deploy pulls at t = 1 + 20 = 21; the build's push ends at 1 + 10 + 10 = 21: not stale."""
    d = simple(build=10, push=10, prepare=20, deploy_pickup=1, build_pickup=1)
    deploy = simulate("parallel", History.single(d)).outcome.deploys[0]
    assert deploy.pull_time == 21.0
    assert deploy.pulled == 1
    assert deploy.pull_margin == 0.0
    assert not deploy.stale


def test_pull_one_second_early_is_stale() -> None:
    d = simple(build=11, push=10, prepare=20, deploy_pickup=1, build_pickup=1)
    deploy = simulate("parallel", History.single(d)).outcome.deploys[0]
    assert deploy.pull_margin == -1.0
    assert deploy.stale


@pytest.mark.parametrize("deploy_first", [False, True])
def test_engine_result_independent_of_process_creation_order(
    monkeypatch: pytest.MonkeyPatch, deploy_first: bool
) -> None:
    """Creating the deploy run's process before the build's changes nothing in the outcome."""
    d = simple(build=10, push=10, prepare=20, deploy_pickup=1, build_pickup=1)
    original = Triggers._on_push

    def swapped(self: Triggers, commit: int) -> None:
        """Create the build run's process only after the deploy run's."""
        if not deploy_first:
            original(self, commit)
            return
        deferred: list[tuple[Any, ...]] = []
        start = self.runs.start

        def defer_builds(run: RunState, *rest: Any) -> None:
            if run.workflow == "build":
                deferred.append((run, *rest))
            else:
                start(run, *rest)

        self.runs.start = defer_builds  # type: ignore[method-assign]
        original(self, commit)
        del self.runs.start
        for args in deferred:
            start(*args)

    monkeypatch.setattr(Triggers, "_on_push", swapped)
    out = simulate("parallel", History.single(d)).outcome
    assert out.deploys[0].pulled == 1
    assert out.final_live == 1


def test_two_builds_writing_latest_at_the_same_instant() -> None:
    """The push that started later wins the tie, in the registry and in the trace's order."""
    a = simple(build=30, push=10)  # push 1 at 0: push step 31..41
    b = simple(build=15, push=20)  # push 2 at 5: push step 21..41, started earlier
    trace = simulate(Strategy(trigger="none"), History((Push(0, a), Push(5, b))))
    writes = [
        e for e in trace.events if e.kind == "write" and e.ref == "latest" and e.registry == "ghcr"
    ]
    assert [(e.time, e.image) for e in writes] == [(41.0, 2), (41.0, 1)]
    assert trace.outcome.latest_at_end["ghcr"] == 1
