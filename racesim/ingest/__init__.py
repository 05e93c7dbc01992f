"""Ingest GitHub Actions run history: incident drafts and timings fitted to your own runs.

:func:`read_history` reads what ``gh`` and ``gh api`` save (and webhook payloads) into typed
records; :func:`draft_incident` turns the runs of an incident into an incident file that replays;
:mod:`racesim.ingest.timings` turns many runs into a scenario whose step timings are your own.
"""

from racesim.ingest.incident import Draft, draft_incident, strategy_from_workflows
from racesim.ingest.readers import SHAPES, read_documents, read_history, read_text
from racesim.ingest.records import (
    PackagePublished,
    RecordedJob,
    RecordedRun,
    RecordedStep,
    RunHistory,
)
from racesim.ingest.steps import DEFAULT_PATTERNS, ROLES, StepMap

__all__ = [
    "DEFAULT_PATTERNS",
    "ROLES",
    "SHAPES",
    "Draft",
    "PackagePublished",
    "RecordedJob",
    "RecordedRun",
    "RecordedStep",
    "RunHistory",
    "StepMap",
    "draft_incident",
    "read_documents",
    "read_history",
    "read_text",
    "strategy_from_workflows",
]
