"""Small builders for hand-computed histories used across the tests."""

from __future__ import annotations

import pytest

from racesim.cli import main
from racesim.core.history import Durations

#: the f8af4c1 incident's durations (push 0 s, dispatch 3 s as the replay assumes)
F8 = Durations(
    build_pickup=2,
    build=72,
    push=0,
    build_verify=20,
    dispatch=3,
    deploy_pickup=2,
    prepare=32,
    mirror=5,
    rollout=13,
    deploy_verify=22,
)


def simple(**overrides: float | bool) -> Durations:
    """Round numbers that are easy to add up by hand; override what a test needs."""
    base: dict[str, float | bool] = {
        "build_pickup": 1,
        "build": 50,
        "push": 10,
        "build_verify": 10,
        "dispatch": 2,
        "deploy_pickup": 1,
        "prepare": 20,
        "mirror": 5,
        "rollout": 10,
        "deploy_verify": 5,
    }
    base.update(overrides)
    return Durations(**base)  # type: ignore[arg-type]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``racesim ARGV``: exit code (returned, or raised by argparse), stdout, stderr."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err
