"""Shared set-up for the audit tests: the shared workflow corpus and small, fast budgets."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from racesim.audit import Audit, audit

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "workflows"

#: small budgets: the verdicts below are found within them (seed 0), the odds are coarse
FAST = {"trials": 40, "max_examples": 40, "seed": 0}


def case(name: str, version: str) -> Path:
    """The folder of a shared case; skips the test when the corpus is absent."""
    path = CORPUS / name / version
    if not path.is_dir():
        pytest.skip(f"shared workflow corpus not found at {path}")
    return path


@cache
def audited(name: str, version: str) -> Audit:
    return audit([case(name, version)], **FAST)  # type: ignore[arg-type]


def ids(result: Audit, severity: str | None = None) -> set[str]:
    return {f.id for f in result.findings if severity is None or f.severity == severity}
