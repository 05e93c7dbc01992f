"""Step timings fitted to your own runs: samples per modelled step, a fit, a scenario file.

:func:`measure` collects, over many runs, one sample per run for each step of
:class:`~racesim.core.history.Durations` that run, job and step times show (the table below).
:func:`fit` turns each step's samples into a distribution: the samples themselves
(:class:`~racesim.scenarios.timing.Empirical`) when there are enough of them, otherwise a log-normal
or (from :data:`HEAVY_TAIL_MIN` samples) a heavy-tailed (shifted Lomax) fit, whichever has the
smaller Kolmogorov-Smirnov statistic.
:func:`scenario_toml` writes a scenario that starts from a built-in one (``base``) and replaces the
measured steps, recording each step's sample count, date range and goodness of fit as comments.

=================  ============================================================================
step               sample
=================  ============================================================================
build_pickup       build run's first job ``started_at`` minus the run's queued time; for jobs
                   without their run, the job's ``started_at`` minus its ``created_at``
build              push step ``started_at`` minus the first job's ``started_at``
push               the push step's duration
build_verify       the build run's end minus the push step's ``completed_at``
dispatch           a ``workflow_run`` deploy run's ``created_at`` minus its build run's end
deploy_pickup      deploy run's first job ``started_at`` minus the run's queued time
prepare            pull step ``started_at`` minus the deploy's first job ``started_at``
mirror             the pull step's duration
rollout            the rollout step's duration
deploy_verify      the deploy run's end minus the rollout step's ``completed_at``
=================  ============================================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import tomli_w
from scipy import stats

from racesim.errors import InputError
from racesim.ingest.records import RecordedRun, RunHistory, seconds_between
from racesim.ingest.steps import StepMap
from racesim.scenarios.timing import Distribution, Empirical, Fixed, HeavyTailed, LogNormal

__all__ = [
    "EMPIRICAL_MIN",
    "HEAVY_TAIL_MIN",
    "Fit",
    "Samples",
    "fit",
    "fit_all",
    "measure",
    "scenario_toml",
]

#: from this many samples on, a step resamples its observations instead of fitting
EMPIRICAL_MIN = 30

#: fewer samples than this are not enough to tell a power-law tail from a log-normal one
HEAVY_TAIL_MIN = 8

#: timestamps have whole seconds: a step shown as 0 s took under a second
_RESOLUTION = 1.0


@dataclass
class Samples:
    """The observed values of one step, with when each was observed."""

    step: str
    how: str
    values: list[float] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    dropped: int = 0

    def add(self, value: float | None, when: datetime) -> None:
        """Add `value` (ignored when unknown; counted as dropped when negative)."""
        if value is None:
            return
        if value < 0:
            self.dropped += 1
            return
        self.values.append(value)
        self.times.append(when)


@dataclass(frozen=True)
class Fit:
    """The distribution chosen for one step, and why.

    Attributes:
        step: the step (a :class:`~racesim.core.history.Durations` field).
        distribution: what the scenario uses.
        method: ``empirical``, ``lognormal``, ``heavy_tailed`` or ``fixed``.
        n: the number of samples.
        ks: the Kolmogorov-Smirnov statistic of each candidate fit (empty for empirical).
        first, last: when the first and last sample were observed.
        how: what one sample measures.
        dropped: negative samples left out (clocks that disagree).
        values: the samples.
    """

    step: str
    distribution: Distribution
    method: str
    n: int
    ks: Mapping[str, float]
    first: datetime
    last: datetime
    how: str
    dropped: int
    values: tuple[float, ...]


_HOW = {
    "build_pickup": "first job started_at - run queued (or job started_at - created_at)",
    "build": "push step started_at - first job started_at",
    "push": "push step duration",
    "build_verify": "build run end - push step completed_at",
    "dispatch": "deploy run created_at - build run end (workflow_run)",
    "deploy_pickup": "first job started_at - run queued",
    "prepare": "pull step started_at - first job started_at",
    "mirror": "pull step duration",
    "rollout": "rollout step duration",
    "deploy_verify": "deploy run end - rollout step completed_at",
}


def measure(
    history: RunHistory,
    *,
    build: str | None = None,
    deploy: str | None = None,
    steps: StepMap | None = None,
) -> dict[str, Samples]:
    """One sample per run and step from the runs of workflows `build` and `deploy`.

    Without `build`, every run is taken as a build run (its pickup and, when a push step is found,
    its build and push); without `deploy`, no deploy step is measured. When `build` and `deploy`
    name the same workflow, it is a merged one: the deploy job's pickup runs from the end of the
    job that pushed, and the build's verification ends with that job.
    """
    steps = steps or StepMap()
    out = {name: Samples(name, how) for name, how in _HOW.items()}
    builds = [r for r in history.runs if build is None or r.matches(build)]
    deploys = [r for r in history.runs if deploy is not None and r.matches(deploy)]
    if build is not None and not builds:
        raise InputError("build", f"no run of workflow {build!r} in the inputs")
    if deploy is not None and not deploys:
        raise InputError("deploy", f"no run of workflow {deploy!r} in the inputs")
    merged = bool(deploys) and {r.id for r in deploys} == {r.id for r in builds}
    for run in builds:
        _measure_build(run, steps, out, merged)
    if build is None:
        for job in history.jobs:
            if job.started is not None:
                out["build_pickup"].add(job.queue_seconds, job.started)
    ends = {(r.head_sha, r.id): r.ended for r in builds if r.ended_from == "jobs"}
    for run in deploys:
        _measure_deploy(run, steps, out, merged)
        if run.event == "workflow_run":
            # the build run it follows: same head commit, latest end before this run was created
            before = [e for (sha, _), e in ends.items() if sha == run.head_sha and e is not None]
            before = [e for e in before if e <= run.queued]
            if before:
                out["dispatch"].add(seconds_between(max(before), run.queued), run.queued)
    return out


def _measure_build(run: RecordedRun, steps: StepMap, out: dict[str, Samples], merged: bool) -> None:
    when = run.queued
    started = run.first_job_started()
    if started is not None:
        out["build_pickup"].add(seconds_between(run.queued, started), when)
    found = steps.find("push", run.jobs)
    if found is None:
        return
    job, step = found
    out["build"].add(seconds_between(started, step.started), when)
    out["push"].add(step.seconds, when)
    # in a merged workflow the build ends with its own job; the deploy job follows it
    end = job.completed if merged else (run.ended if run.ended_from == "jobs" else None)
    out["build_verify"].add(seconds_between(step.completed, end), when)


def _measure_deploy(
    run: RecordedRun, steps: StepMap, out: dict[str, Samples], merged: bool
) -> None:
    when = run.queued
    pulled = steps.find("pull", run.jobs)
    rollout = steps.find("rollout", run.jobs)
    first = pulled or rollout
    if merged:
        # the deploy job `needs` the build job: its pickup runs from the build job's end
        pushed = steps.find("push", run.jobs)
        job = first[0] if first else None
        if job is not None and pushed is not None and job is not pushed[0]:
            out["deploy_pickup"].add(seconds_between(pushed[0].completed, job.started), when)
        started = job.started if job is not None else None
    else:
        started = run.first_job_started()
        out["deploy_pickup"].add(seconds_between(run.queued, started), when)
    if first is not None:
        out["prepare"].add(seconds_between(started, first[1].started), when)
    if pulled is not None:
        out["mirror"].add(pulled[1].seconds, when)
    if rollout is not None:
        out["rollout"].add(rollout[1].seconds, when)
        if run.ended_from == "jobs":
            out["deploy_verify"].add(seconds_between(rollout[1].completed, run.ended), when)


def _ks(values: np.ndarray, cdf: object) -> float:
    return float(stats.kstest(values, cdf).statistic)


def _lognormal(values: np.ndarray) -> LogNormal | None:
    logs = np.log(np.maximum(values, _RESOLUTION / 2))
    sigma = float(np.std(logs))
    if not 0 < sigma < 10:
        return None
    median = float(np.exp(np.mean(logs)))
    return LogNormal(median=round(median, 3), p95=round(median * math.exp(1.6449 * sigma), 3))


def _heavy_tailed(values: np.ndarray) -> HeavyTailed | None:
    shift = max(0.0, float(np.min(values)) - _RESOLUTION / 2)
    c, _, scale = stats.lomax.fit(values - shift, floc=0)
    if not (math.isfinite(c) and c > 0.05 and math.isfinite(scale) and scale > 0):
        return None
    median = shift + scale * (2.0 ** (1 / c) - 1)
    p95 = shift + scale * (20.0 ** (1 / c) - 1)
    try:
        dist = HeavyTailed(median=round(median, 3), p95=round(p95, 3), shift=round(shift, 3))
        dist.shape  # noqa: B018  (solvable: a tail close to exponential may not be)
    except (InputError, ValueError):  # too light a tail for a power law: the lognormal fits
        return None
    return dist


def _cdf(dist: Distribution) -> object:
    if isinstance(dist, LogNormal):
        return stats.lognorm(dist.log_sigma, loc=dist.shift, scale=dist.median).cdf
    assert isinstance(dist, HeavyTailed)
    alpha, scale = dist.shape
    return stats.lomax(alpha, loc=dist.shift, scale=scale).cdf


def fit(samples: Samples, *, empirical_min: int = EMPIRICAL_MIN) -> Fit | None:
    """The distribution for one step's samples, or ``None`` without samples."""
    if not samples.values:
        return None
    values = np.asarray(samples.values, dtype=float)
    common = (samples.step, len(values), samples.times, samples.how, samples.dropped)

    def done(dist: Distribution, method: str, ks: Mapping[str, float]) -> Fit:
        step, n, times, how, dropped = common
        return Fit(
            step, dist, method, n, dict(ks), min(times), max(times), how, dropped,
            tuple(samples.values),
        )  # fmt: skip

    if float(np.ptp(values)) == 0:
        return done(Fixed(float(values[0])), "fixed", {})
    if len(values) >= empirical_min:
        return done(Empirical(tuple(float(v) for v in values)), "empirical", {})
    candidates: dict[str, Distribution] = {}
    makers: list[tuple[str, Callable[[np.ndarray], Distribution | None]]] = [
        ("lognormal", _lognormal)
    ]
    if len(values) >= HEAVY_TAIL_MIN:
        makers.append(("heavy_tailed", _heavy_tailed))
    for name, maker in makers:
        dist = maker(values)
        if dist is not None:
            candidates[name] = dist
    if not candidates:
        return done(Empirical(tuple(float(v) for v in values)), "empirical", {})
    ks = {name: _ks(values, _cdf(dist)) for name, dist in candidates.items()}
    best = min(ks, key=lambda k: ks[k])
    return done(candidates[best], best, ks)


def fit_all(
    measured: Mapping[str, Samples], *, empirical_min: int = EMPIRICAL_MIN
) -> dict[str, Fit]:
    """A fit per step that has samples."""
    fits = {name: fit(s, empirical_min=empirical_min) for name, s in measured.items()}
    return {name: f for name, f in fits.items() if f is not None}


def _comment(f: Fit, empirical_min: int) -> list[str]:
    lines = [
        f"# {f.step}: {f.n} samples from {f.first:%Y-%m-%d %H:%M} to {f.last:%Y-%m-%d %H:%M} UTC",
        f"#   sample = {f.how}",
    ]
    if f.method == "empirical":
        lines.append(f"#   {f.n} >= {empirical_min} samples: resampled as observed")
    elif f.method == "fixed":
        lines.append("#   every sample is the same")
    else:
        stats_text = ", ".join(f"{k} KS={v:.3f}" for k, v in sorted(f.ks.items()))
        lines.append(
            f"#   fewer than {empirical_min} samples: fitted {f.method} "
            f"(smallest Kolmogorov-Smirnov statistic: {stats_text})"
        )
    if f.dropped:
        lines.append(f"#   {f.dropped} negative sample(s) left out (clocks that disagree)")
    return lines


def _empirical(dist: Empirical) -> str:
    """``dist = "empirical"`` with the values on as few lines as fit in 100 columns."""
    lines, line = [], "    "
    for v in dist.values:
        item = f"{v:g}, "
        if len(line) + len(item) > 99:
            lines.append(line.rstrip())
            line = "    "
        line += item
    lines.append(line.rstrip().rstrip(","))
    return 'dist = "empirical"\nvalues = [\n' + "\n".join(lines) + "\n]\n"


def scenario_toml(
    fits: Mapping[str, Fit],
    *,
    name: str = "fitted",
    base: str = "f8af4c1",
    sources: Sequence[str] = (),
    empirical_min: int = EMPIRICAL_MIN,
) -> str:
    """A scenario file: `base` with every fitted step replaced, each fit explained in comments."""
    if not fits:
        raise InputError(
            "runs",
            "no step could be measured: save the runs' jobs too (gh api .../runs/ID/jobs or "
            "gh run view ID --json ...,jobs), and check `build`, `deploy` and `steps`",
        )
    measured = ", ".join(fits)
    unmeasured = [s for s in _HOW if s not in fits]
    head = [
        "# Step timings fitted by `racesim ingest timings` to GitHub Actions run history.",
        *(f"# input: {s}" for s in sources),
        f"# Measured: {measured}.",
        f"# Not measured (kept from the {base!r} scenario): {', '.join(unmeasured) or 'none'}.",
        "",
    ]
    doc = tomli_w.dumps(
        {
            "format": "racesim-scenario/1",
            "name": name,
            "base": base,
            "description": f"{base} with timings fitted to run history: {measured}.",
        }
    )
    body = [doc]
    for step, f in fits.items():
        table = f.distribution.to_table()
        body += _comment(f, empirical_min)
        if isinstance(f.distribution, Empirical):
            body.append(f"[timings.{step}]\n" + _empirical(f.distribution))
            continue
        if not isinstance(table, dict):
            table = {"dist": "fixed", "value": table}
        body.append(f"[timings.{step}]\n" + tomli_w.dumps(table))
    return "\n".join(head) + "\n".join(body)
