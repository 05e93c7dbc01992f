"""Which step of a job pushes the image, which pulls it, which rolls it out.

Runs report step names, not meanings. A step's name is what the workflow calls it, or ``Run``
followed by the first line of its command, so one regular expression per role, matched against
the name, finds the step in most pipelines. :data:`DEFAULT_PATTERNS` are the defaults; a
:class:`StepMap` replaces any of them (``racesim ingest ... --step push='Publish image'``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from racesim.errors import InputError
from racesim.ingest.records import RecordedJob, RecordedStep

__all__ = ["DEFAULT_PATTERNS", "ROLES", "StepMap"]

#: what each role means in the model
ROLES: dict[str, str] = {
    "push": "the build step that pushes the image (its end is when the image is in the registry)",
    "pull": "the deploy step that pulls or mirrors the image (its start resolves the tag)",
    "rollout": "the deploy step that rolls the image out (its end is when it serves)",
}

#: default patterns (case-insensitive regular expressions, searched in the step's name)
DEFAULT_PATTERNS: dict[str, str] = {
    "push": r"push|publish|docker/build-push-action|buildx|kaniko|ko build|jib",
    "pull": r"\bpull\b|mirror|re-?tag|copy image|crane (cp|copy)|skopeo",
    "rollout": r"deploy|rollout|roll out|gcloud run|kubectl|helm (upgrade|install)|release",
}

#: steps GitHub adds to every job: never a push, pull or rollout
_FRAMEWORK = re.compile(r"^(set up job|complete job|post )", re.IGNORECASE)


@dataclass(frozen=True)
class StepMap:
    """One regular expression per role (``push``, ``pull``, ``rollout``)."""

    patterns: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PATTERNS))

    def __post_init__(self) -> None:
        merged = {**DEFAULT_PATTERNS, **dict(self.patterns)}
        for role, pattern in merged.items():
            if role not in ROLES:
                raise InputError(
                    f"patterns.{role}", f"unknown role; expected one of {', '.join(ROLES)}"
                )
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InputError(f"patterns.{role}", f"not a regular expression: {exc}") from None
        object.__setattr__(self, "patterns", merged)

    @classmethod
    def parse(cls, specs: Iterable[str]) -> StepMap:
        """From ``ROLE=REGEX`` strings (what ``racesim ingest`` is given)."""
        patterns = {}
        for spec in specs:
            role, sep, pattern = spec.partition("=")
            if not sep or not pattern:
                raise InputError("specs", f"expected ROLE=REGEX, got {spec!r}")
            patterns[role.strip()] = pattern
        return cls(patterns)

    def find(
        self, role: str, jobs: Iterable[RecordedJob]
    ) -> tuple[RecordedJob, RecordedStep] | None:
        """The first step (in run order) of `jobs` whose name matches `role`, with its job.

        Jobs whose step times disagree with the job's own are skipped (hand-edited data).
        """
        pattern = re.compile(self.patterns[role], re.IGNORECASE)
        # the default patterns skip GitHub's own steps; a pattern the user gave is taken as meant
        skip = _FRAMEWORK if self.patterns[role] == DEFAULT_PATTERNS[role] else None
        for job in jobs:
            if not job.steps_agree:
                continue
            for step in job.steps:
                if skip is not None and skip.match(step.name):
                    continue
                if pattern.search(step.name):
                    return job, step
        return None
