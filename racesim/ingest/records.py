"""One typed record of GitHub Actions runs, attempts, jobs and steps, with UTC times.

Every reader (REST responses, ``gh`` output, webhook payloads) produces these records, so what
comes after (incident drafts, fitted timings, plots) never sees the JSON's many shapes. Times are
aware UTC datetimes or ``None`` when unset. The records keep what the API said; the properties
that interpret it (when a run was queued, when it ended) are where the data's quirks are handled,
each with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

__all__ = ["PackagePublished", "RecordedJob", "RecordedRun", "RecordedStep", "RunHistory"]

#: seconds a step's time may lie outside its job's before the two are said to disagree
STEP_TOLERANCE = 60.0

#: statuses of a job that has not started on a runner yet
WAITING = ("queued", "waiting", "pending", "requested")


@dataclass(frozen=True)
class RecordedStep:
    """One step of a job, as the API reports it.

    ``number`` comes from the API and has gaps (1..6, then 11, 12, 13 for post steps); only the
    order matters. Times may be ``None`` for a step that has not run.
    """

    name: str
    number: int
    status: str
    conclusion: str | None
    started: datetime | None
    completed: datetime | None

    @property
    def seconds(self) -> float | None:
        """How long the step took, or ``None`` when it has not both started and completed."""
        if self.started is None or self.completed is None:
            return None
        return (self.completed - self.started).total_seconds()


@dataclass(frozen=True)
class RecordedJob:
    """One job of one attempt of a run.

    Attributes:
        id: the job's id.
        run_id: the run it belongs to (``None`` when the input did not say).
        attempt: the run attempt (``None`` when the input did not say).
        name: the job's name.
        status: ``queued``, ``waiting``, ``in_progress`` or ``completed``.
        conclusion: ``success``, ``failure``, ``cancelled``, ``skipped``, ... or ``None``.
        created: when the job was queued (REST since 2022; ``None`` in older data and ``gh``).
        started: when a runner picked it up; ``None`` while it waits. GitHub fills
            ``started_at`` with ``created_at`` for jobs that are still queued or waiting; the
            readers drop that value, since no runner has picked the job up.
        completed: when it finished.
        steps: the steps, in the order they ran.
        workflow: the workflow's name when the input gives it.
        head_sha: the commit, when the input gives it.
    """

    id: int
    run_id: int | None
    attempt: int | None
    name: str
    status: str
    conclusion: str | None
    created: datetime | None
    started: datetime | None
    completed: datetime | None
    steps: tuple[RecordedStep, ...] = ()
    workflow: str | None = None
    head_sha: str | None = None

    @property
    def steps_agree(self) -> bool:
        """Its steps' times fit inside the job's (within :data:`STEP_TOLERANCE` seconds).

        Real steps start up to a second before their job; hand-edited webhook examples have
        steps minutes before the job. Step times that disagree are not used for timings.
        """
        if self.started is None:
            return True
        for step in self.steps:
            if step.started is not None and (self.started - step.started).total_seconds() > (
                STEP_TOLERANCE
            ):
                return False
            if (
                step.completed is not None
                and self.completed is not None
                and (step.completed - self.completed).total_seconds() > STEP_TOLERANCE
            ):
                return False
        return True

    @property
    def queue_seconds(self) -> float | None:
        """Created until a runner picked it up, when both are known."""
        if self.created is None or self.started is None:
            return None
        return (self.started - self.created).total_seconds()


@dataclass(frozen=True)
class RecordedRun:
    """One attempt of one workflow run.

    Attributes:
        id: the run's id (shared by all its attempts).
        attempt: 1 for the first attempt; re-runs count up. Old responses (2020) have no
            ``run_attempt``; they are attempt 1 and ``attempt_known`` is false.
        workflow: the workflow's name; old responses have no ``name``, so this is
            ``workflow <id>`` and ``workflow_id`` matches too.
        workflow_id: the workflow's id, when given.
        workflow_path: the workflow file (``.github/workflows/build.yml``), when given.
        event: what triggered it (``push``, ``workflow_run``, ``schedule``, ...).
        status: ``queued``, ``in_progress``, ``completed``, ...
        conclusion: ``success``, ``failure``, ``cancelled``, ... or ``None``.
        head_sha: the commit it ran on.
        head_branch: the branch, when given.
        created: the run's ``created_at``. In a re-run it is the first attempt's (days earlier).
        run_started: ``run_started_at``: when this attempt started (``None`` in old shapes).
        updated: ``updated_at``: the last change to the run, which can be long after it ended.
        jobs: this attempt's jobs, once jobs were read for it.
        source: the file it was read from.
    """

    id: int
    attempt: int
    workflow: str
    event: str
    status: str
    conclusion: str | None
    head_sha: str
    created: datetime
    run_started: datetime | None = None
    updated: datetime | None = None
    head_branch: str | None = None
    workflow_id: int | None = None
    workflow_path: str | None = None
    attempt_known: bool = True
    jobs: tuple[RecordedJob, ...] = ()
    source: str = ""

    @property
    def queued(self) -> datetime:
        """When this attempt was queued.

        ``created_at`` for a first attempt. A re-run keeps the first attempt's ``created_at``,
        so for attempts after the first this is ``run_started_at`` (when the re-run was asked
        for) when it is known.
        """
        if self.attempt > 1 and self.run_started is not None:
            return self.run_started
        return self.created

    @property
    def ended(self) -> datetime | None:
        """When the attempt finished: its last job's ``completed_at``.

        ``updated_at`` changes whenever anything touches the run (over a year later in real
        data), so it is used only for a completed run whose jobs were not read; see
        :attr:`ended_from`.
        """
        done = [j.completed for j in self.jobs if j.completed is not None]
        if done:
            return max(done)
        if self.status == "completed" and not self.jobs:
            return self.updated
        return None

    @property
    def ended_from(self) -> str:
        """Which field :attr:`ended` comes from: ``jobs``, ``updated_at`` or ``none``."""
        if any(j.completed is not None for j in self.jobs):
            return "jobs"
        return "updated_at" if self.ended is not None else "none"

    def matches(self, workflow: str) -> bool:
        """`workflow` names this run's workflow: by name, file, file name or id."""
        names = {self.workflow}
        if self.workflow_path:
            names |= {self.workflow_path, self.workflow_path.rsplit("/", 1)[-1]}
        if self.workflow_id is not None:
            names.add(str(self.workflow_id))
        return workflow in names

    def first_job_started(self) -> datetime | None:
        """When the first of its jobs started on a runner."""
        started = [j.started for j in self.jobs if j.started is not None]
        return min(started) if started else None


@dataclass(frozen=True)
class PackagePublished:
    """A ``registry_package`` ``published`` webhook: an image version reached GitHub Packages.

    Attributes:
        package: the package's name.
        version: the version's name (a digest for containers).
        tags: the tags given to it (empty when the payload lists none).
        revision: the commit in the image's ``org.opencontainers.image.revision`` label, if any.
        time: the version's ``created_at``; ``None`` when the payload leaves it unset.
        source: the file it was read from.
    """

    package: str
    version: str
    tags: tuple[str, ...]
    revision: str | None
    time: datetime | None
    source: str = ""


@dataclass(frozen=True)
class RunHistory:
    """Everything read from a set of files: runs (one per attempt), orphan jobs, packages.

    Attributes:
        runs: one record per ``(run id, attempt)``, oldest first, with their jobs attached.
        jobs: jobs whose run was not among the inputs (still useful for job and step timings).
        packages: ``registry_package`` publications.
        notes: what the readers noticed and how they dealt with it (for reports).
    """

    runs: tuple[RecordedRun, ...] = ()
    jobs: tuple[RecordedJob, ...] = ()
    packages: tuple[PackagePublished, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def all_jobs(self) -> list[RecordedJob]:
        """The jobs of every run, then the orphan jobs."""
        return [j for r in self.runs for j in r.jobs] + list(self.jobs)

    @property
    def span(self) -> tuple[datetime, datetime] | None:
        """The first and last ``created_at`` of the runs, or ``None`` without runs."""
        if not self.runs:
            return None
        times = [r.queued for r in self.runs]
        return min(times), max(times)


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """``end - start`` in seconds, or ``None`` when either is unknown."""
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


ONE_DAY = timedelta(days=1)
