"""Bad incident files get one clear error naming the file and the field; the CLI exits 2."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from racesim.cli import main
from racesim.errors import InputError
from racesim.incidents import load_incident, replay

GOOD = (resources.files("racesim.incidents") / "f8af4c1.toml").read_text()


def edit(old: str, new: str, text: str = GOOD) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


CASES = [
    pytest.param(edit('strategy = "parallel"\n', ""), "strategy", "missing", id="missing-field"),
    pytest.param(
        edit('strategy = "parallel"', "strategy = 5"),
        "strategy",
        "expected a preset name or a table of knobs",
        id="wrong-type",
    ),
    pytest.param(
        edit("time = 2025-12-03T23:44:32Z", 'time = "yesterday"'),
        "pushes[0].time",
        "ISO-8601",
        id="bad-datetime",
    ),
    pytest.param(
        edit("time = 2025-12-03T23:44:32Z", "time = 2025-12-03T23:44:32"),
        "pushes[0].time",
        "no UTC offset",
        id="naive-datetime",
    ),
    pytest.param(
        edit("time = 2025-12-03T23:45:11Z", "time = 2025-12-03T23:45:01Z"),
        "observed[3].time",
        "times out of order",
        id="times-out-of-order",
    ),
    pytest.param(
        edit('strategy = "parallel"', 'strategy = "yolo"'),
        "strategy",
        "unknown strategy 'yolo'",
        id="unknown-strategy",
    ),
    pytest.param(
        edit('event = "deploy.mirrored"', 'event = "deploy.exploded"'),
        "observed[3].event",
        "unknown event 'deploy.exploded'",
        id="unknown-event",
    ),
    pytest.param(
        edit('strategy = "parallel"', 'strategy = "parallel"\nstrategyy = "x"'),
        "strategyy",
        "unknown field",
        id="unknown-field",
    ),
    pytest.param(
        edit('event = "deploy.mirrored"', 'event = "deploy.mirrored"\ncommit = "abc1234"'),
        "observed[3].commit",
        "unknown commit 'abc1234'",
        id="unknown-commit",
    ),
    pytest.param(
        edit('duration = "dispatch"', 'duration = "coffee"'),
        "assumed[0].duration",
        "unknown duration 'coffee'",
        id="unknown-assumed-duration",
    ),
    pytest.param(
        edit("seconds = 3", "seconds = -3"), "assumed[0].seconds", ">= 0", id="negative-assumed"
    ),
    pytest.param(edit("[[pushes]]", "[[pushes"), "(syntax)", "", id="toml-syntax"),
]


@pytest.mark.parametrize(("text", "field", "fragment"), CASES)
def test_bad_incident_file_names_file_and_field(
    tmp_path: Path, text: str, field: str, fragment: str
) -> None:
    path = tmp_path / "incident.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        replay(load_incident(path))
    assert info.value.source == str(path)
    assert info.value.field == field
    assert fragment in info.value.problem


@pytest.mark.parametrize(("text", "field", "fragment"), CASES)
def test_cli_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, field: str, fragment: str
) -> None:
    path = tmp_path / "incident.toml"
    path.write_text(text)
    assert main(["replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert str(path) in err and field in err and fragment in err
    assert "Traceback" not in err


def test_missing_file_or_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "no-such-incident"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "neither a built-in incident" in err


def test_observed_event_twice(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text(GOOD + '\n[[observed]]\nevent = "deploy.pulled"\ntime = 2025-12-03T23:45:06Z\n')
    with pytest.raises(
        InputError, match=r"observed\[8\].event: deploy.pulled of f8af4c1 is observed twice"
    ):
        load_incident(path)
