"""Registries, cancelled rollouts and failed pulls as they really behave (each case a reproducer).

- A registry orders a tag's values by when it *accepted* the writes; a read-after-write lag only
  delays when other jobs see a write, and the writing job sees its own write at once.
- Build and deploy registries have their own lag (``registry_lag``, ``deploy_registry_lag``).
- A rollout request the target has accepted goes on when the deploy job is cancelled, unless the
  strategy says the target stops with its client.
- A pull that finds no manifest still has a pull time and a (negative) pull margin.
- A counterexample from ``prove`` keeps every compared pair of instants apart when it can, and
  says so when it cannot; a boundary names the bounds its proof rests on.
"""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from racesim import PRESETS, Concurrency, Durations, History, Push, Strategy, simulate
from racesim.core.trace import CONTINUED, FINISHED_BY_TARGET
from racesim.engine.registry import BASELINE_IMAGE, Image, Registry, Tie
from racesim.incidents.format import ObservedOutcome, load_incident
from racesim.incidents.replay import replay
from racesim.incidents.report import replay_report
from racesim.proof import prove
from racesim.scenarios.format import Scenario
from racesim.scenarios.timing import Uniform
from racesim.studies.exact import exact
from racesim.studies.trials import run_trials
from racesim.verify.proof.boundary import boundary


@pytest.mark.parametrize("lag", [0.0, 0.001, 2.0, 30.0])
@pytest.mark.parametrize("strategy", ["workflow_run", "pinned", "merged_job"])
def test_a_lag_never_hides_the_deploys_own_mirror_write(lag: float, strategy: str) -> None:
    """The deploy resolves what it mirrored: it ships commit 1 whatever either registry's lag."""
    d = Durations(
        build=60,
        dispatch=1,
        prepare=30,
        mirror=5,
        rollout=10,
        registry_lag=lag,
        deploy_registry_lag=lag,
    )
    (deploy,) = simulate(strategy, History.single(d)).outcome.deploys
    assert (deploy.status, deploy.shipped) == ("live", 1)


def test_sweeping_the_lag_keeps_chained_strategies_fresh() -> None:
    """`racesim sweep registry_lag 0,0.001,1,5`: workflow_run never stale, pinned always live."""
    base = Scenario(timings={"build": 60, "dispatch": 1, "prepare": 30, "mirror": 5})
    for lag in (0.0, 0.001, 1.0, 5.0):
        scenario = replace(base, timings={**base.timings, "registry_lag": lag})
        assert exact(scenario, "workflow_run").p_stale == 0.0
        assert exact(scenario, "pinned").p_shipped == pytest.approx(1.0)


def test_the_last_accepted_write_wins_latest_whatever_its_visibility() -> None:
    """Commit 1's push is accepted at 10 s but seen only at 40 s; commit 2's at 20 s."""
    h = History((Push(0, Durations(build=10, registry_lag=30)), Push(5, Durations(build=15))))
    trace = simulate(Strategy(trigger="none"), h)
    assert trace.outcome.latest_at_end == {"ghcr": 2}
    writes = [(e.time, e.image) for e in trace.events if e.kind == "write" and e.ref == "latest"]
    visible = [(e.time, e.image) for e in trace.events if e.kind == "visible" and e.ref == "latest"]
    assert writes == [(10.0, 1), (20.0, 2)]
    assert visible == [(40.0, 1)]  # commit 2's push is seen at once: no row of its own


def test_a_registry_reads_the_latest_accepted_write_the_reader_sees() -> None:
    one, two = Image(1, 1), Image(2, 2)
    registry = Registry("ghcr")
    registry.write_many(("latest",), 10.0, 40.0, one, Tie(10.0, 1, 1), "build")
    registry.write_many(("latest",), 20.0, 20.0, two, Tie(20.0, 2, 2), "build")
    assert registry.read("latest", 15.0) == BASELINE_IMAGE  # accepted, not yet visible
    assert registry.read("latest", 15.0, (1, "build")) == one  # ... but its writer sees it
    assert registry.read("latest", 15.0, (1, "deploy")) == BASELINE_IMAGE  # another job
    assert registry.read("latest", 25.0) == two
    assert registry.read("latest", 45.0) == two  # commit 1 shows up later, accepted first


def test_a_replay_with_nothing_observed_says_there_is_nothing_to_compare() -> None:
    incident = replace(load_incident("f8af4c1"), observed=(), outcome=ObservedOutcome())
    result = replay(incident)
    assert result.compared == 0
    text = replay_report(result)
    assert "nothing to compare" in text and "reproduced exactly" not in text
    assert "reproduced exactly" in replay_report(replay(load_incident("f8af4c1")))


CANCEL_PUSHES = History(
    (
        Push(0, Durations(build=10, dispatch=1, deploy_pickup=1, prepare=5, mirror=1, rollout=30,
                          deploy_verify=1)),
        Push(20, Durations(build=10, dispatch=1, deploy_pickup=1, prepare=5, mirror=1, rollout=5,
                           deploy_verify=1)),
    )
)  # fmt: skip
CANCELLING = replace(PRESETS["pinned"], deploy_concurrency=Concurrency(cancel_in_progress=True))


def test_a_cancelled_deploy_job_does_not_stop_a_rollout_the_target_accepted() -> None:
    """Commit 1's rollout (18..48 s) outlives its job, cancelled at 31 s: it lands after 2's."""
    trace = simulate(CANCELLING, CANCEL_PUSHES)
    out = trace.outcome
    assert out.live == ((-math.inf, 0), (43.0, 2), (48.0, 1))
    assert out.final_live == 1 and not out.final_correct
    assert {d.meant: (d.status, d.live_at) for d in out.deploys} == {
        1: ("live", 48.0),
        2: ("live", 43.0),
    }
    details = {(e.kind, e.detail) for e in trace.events if e.step == "rollout"}
    assert ("step_aborted", CONTINUED) in details
    assert ("step_end", FINISHED_BY_TARGET) in details


def test_a_target_that_stops_with_its_client_ends_on_the_newer_commit() -> None:
    stops = replace(CANCELLING, rollout_survives_cancel=False)
    out = simulate(stops, CANCEL_PUSHES).outcome
    assert out.live == ((-math.inf, 0), (43.0, 2)) and out.final_correct
    assert [d.status for d in out.deploys] == ["cancelled", "live"]


def test_a_target_that_converges_to_the_last_request_ends_on_the_newer_commit() -> None:
    """Kubernetes or ECS: commit 2's request (38 s) supersedes commit 1's rollout (18..48 s)."""
    out = simulate(replace(CANCELLING, live_order="request"), CANCEL_PUSHES).outcome
    assert out.live == ((-math.inf, 0), (43.0, 2)) and out.final_correct
    # the same without cancelling: two rollouts in flight, the newer request still wins
    both = replace(PRESETS["pinned"], live_order="request")
    assert simulate(both, CANCEL_PUSHES).outcome.final_live == 2
    assert simulate(PRESETS["pinned"], CANCEL_PUSHES).outcome.final_live == 1


def test_prove_agrees_with_the_engine_on_the_cancel_knob() -> None:
    """Deploys that cancel each other in progress: production can end on the older commit
    only when rollouts outlive their jobs."""
    bounds = {"rollout": (1, 60), "gap": (1, 60)}
    carried = prove(CANCELLING, "ends_on_newest", pushes=2, bounds=bounds)
    assert not carried.proved
    assert carried.counterexample is not None
    assert carried.counterexample.trace.outcome.final_live == 1
    stops = replace(CANCELLING, rollout_survives_cancel=False)
    assert prove(stops, "never_stale", pushes=2, bounds=bounds).proved


def test_a_failed_pull_has_a_pull_time_and_a_negative_margin() -> None:
    d = Durations(
        build=5, registry_lag=30, dispatch=1, deploy_pickup=1, prepare=1, mirror=1, rollout=1
    )
    (deploy,) = simulate("pinned", History.single(d)).outcome.deploys
    assert deploy.status == "failed"
    assert (deploy.pull_time, deploy.pulled, deploy.pull_margin) == (8.0, None, -27.0)


def test_monte_carlo_margins_count_the_pulls_that_failed() -> None:
    """Pinned with a lag U(0, 30): every deploy pulls, so no trial lacks a margin, and the
    trials that failed are exactly those whose margin is negative."""
    scenario = Scenario(
        timings={"build": 5, "dispatch": 1, "deploy_pickup": 1, "prepare": 1, "mirror": 1,
                 "rollout": 1, "registry_lag": Uniform(0, 30)}
    )  # fmt: skip
    for engine in ("fast", "simpy"):
        rows = run_trials(scenario, ["pinned"], trials=400, seed=3, engine=engine)
        margin = rows["min_pull_margin_s"].to_numpy()
        assert not np.isnan(margin).any()
        failed = rows["failed_deploys"].to_numpy() > 0
        assert (failed == (margin < 0)).all()
        assert 0.5 < failed.mean() < 0.9


def test_prove_prefers_a_counterexample_without_ties() -> None:
    r = prove("workflow_run", "ends_on_newest", pushes=2)
    assert r.counterexample is not None and r.counterexample.ties == ()
    assert "no ties" in r.text()


def test_prove_says_when_every_counterexample_needs_a_tie() -> None:
    """Two pushes at one instant whose deploys' rollouts can end at most 0.4 s apart: the
    older commit's rollout ending last (or together, starting later) is the only way to break."""
    pinned = dict.fromkeys(
        ("build_pickup", "build", "push", "build_verify", "dispatch", "deploy_pickup", "mirror",
         "deploy_verify"), 1.0
    )  # fmt: skip
    bounds = {**pinned, "prepare": (1, 1.2), "rollout": (1, 1.2), "gap": (0, 0)}
    r = prove("pinned", "ends_on_newest", pushes=2, bounds=bounds)
    assert r.counterexample is not None
    assert any("service" in tie for tie in r.counterexample.ties)
    assert "less than" in r.text() or "TIE" in r.text()


def test_a_boundary_is_explained_by_the_bounds_its_proof_rests_on() -> None:
    """cancel_superseded / ends_on_newest: the shortest build run against the dispatch spread;
    the push gap plays no part."""
    b = boundary("cancel_superseded", "ends_on_newest", "dispatch", 1, 10, resolution=0.5)
    assert (b.proved_at, b.broken_at) == (5.0, 5.5)
    assert "dispatch<=5" in b.binding and "dispatch>=1" in b.binding
    assert not any(name.startswith("gap") for name in b.binding)
    slower = boundary(
        "cancel_superseded",
        "ends_on_newest",
        "dispatch",
        1,
        15,
        resolution=0.5,
        bounds={"build_pickup": (5, 30)},
    )
    assert slower.proved_at == 9.0 and "build_pickup>=5" in slower.binding


def _racesim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "racesim", *args], capture_output=True, text=True, timeout=300
    )


def test_a_closed_stdout_stops_a_command_quietly() -> None:
    done = subprocess.run(
        f"{sys.executable} -m racesim prove workflow_run --pushes 2 | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.stdout.count("\n") == 1
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_a_seed_beyond_64_bits_is_a_one_line_error() -> None:
    done = _racesim("compare", "--seed", str(2**200), "--trials", "10")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "--seed" in done.stderr
