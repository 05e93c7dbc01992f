"""Shared test set-up: hypothesis profiles, headless matplotlib, paths to shared data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

# CI runs a fixed, derandomized profile so results do not change between runs; locally the
# default profile explores more and keeps a database of failures in .hypothesis/ (git-ignored).
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=60,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium driven by Playwright (skips, saying why, where it is missing)."""
    from browser import launch

    with launch() as launched:
        yield launched


@pytest.fixture
def shared_data() -> Path:
    """The recorded GitHub API data next to the repository; skips when it is not there."""
    path = SHARED / "data" / "github-api"
    if not path.is_dir():
        pytest.skip(f"shared GitHub API recordings not found at {path}")
    return path
