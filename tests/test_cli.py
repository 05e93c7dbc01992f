"""The ``racesim`` command: replay text and JSON, the timeline file, the demo, bad arguments."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_cli

from racesim.cli import main


def test_replay_prints_both_tables(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "f8af4c1"]) == 0
    out = capsys.readouterr().out
    assert "deploy.pulled    f8af4c1  23:45:06  23:45:06    observed  ok" in out
    assert "reproduced exactly" in out
    assert "-40 s" in out
    sleep = next(line for line in out.splitlines() if line.startswith("sleep:60"))
    assert sleep.split() == [
        "sleep:60",
        "yes",
        "f8af4c1",
        "f8af4c1",
        "f8af4c1",
        "no",
        "+20",
        "s",
        "23:46:24",
        "112",
        "s",
    ]


def test_replay_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            ["replay", "f8af4c1", "--json", "--strategy", "workflow_run", "--strategy", "sleep:60"]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert {"incident", "observed", "deploys", "counterfactuals"} <= set(data)
    assert [c["strategy"] for c in data["counterfactuals"]] == ["workflow_run", "sleep:60"]
    assert data["deploys"][0]["pull_margin_s"] == -40.0
    assert all(o["time"] == o["reproduced_time"] for o in data["observed"])
    assert len(data["observed"]) == 9


def test_replay_plot_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "timeline.png"
    assert main(["replay", "f8af4c1", "--plot", str(path)]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "timeline written" in capsys.readouterr().out


def test_a_plot_into_a_missing_folder_is_refused_with_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped folder would leave the picture where nobody looks: nothing is created."""
    path = tmp_path / "missing" / "timeline.png"
    assert main(["replay", "f8af4c1", "--plot", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path.parent) in err and "does not exist" in err
    assert not path.parent.exists()
    # a folder output may be new (it is created), but its parent must exist
    assert main(["compare", "--trials", "10", "--plot", str(tmp_path / "a" / "b")]) == 2
    assert not (tmp_path / "a").exists()
    assert main(["compare", "--trials", "10", "--plot", str(tmp_path / "new")]) == 0
    assert (tmp_path / "new" / "cost-vs-safety.png").is_file()


def test_abbreviated_and_mistyped_options_are_refused_with_a_hint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for flag in ("--trial", "--trails"):
        with pytest.raises(SystemExit) as stop:
            main(["compare", flag, "100"])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert "unrecognized arguments" in err and "did you mean '--trials'?" in err
        assert len(err.strip().splitlines()) == 1


def test_progress_bars_only_on_a_terminal_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--trials", "200", "--engine", "simpy"]) == 0
    assert "sim/s" not in capsys.readouterr().err  # stderr is not a terminal under pytest
    assert main(["compare", "--trials", "200", "--engine", "simpy", "--progress"]) == 0
    assert "racesim" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["replay", "f8af4c1", "--strategy", "yolo"], "--strategy: unknown strategy 'yolo'"),
        (["replay", "f8af4c1", "--plot", "x.bmpx"], "--plot: cannot write 'x.bmpx'"),
        (["replay"], "the following arguments are required: INCIDENT"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(argv, capsys)
    assert code == 2
    assert err.count("\n") == 1, err
    assert fragment in err


def test_console_script_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "racesim", "replay", "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert "INCIDENT" in done.stdout


def test_replay_gif_for_slides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    path = tmp_path / "race.gif"
    assert main(["replay", "f8af4c1", "--strategy", "workflow_run", "--gif", str(path)]) == 0
    assert "animation written" in capsys.readouterr().out
    with Image.open(path) as gif:
        assert gif.n_frames > 1
    code, _, err = run_cli(["replay", "f8af4c1", "--gif", str(tmp_path / "x.png")], capsys)
    assert code == 2 and "--gif:" in err and err.count("\n") == 1
