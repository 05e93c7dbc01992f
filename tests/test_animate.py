"""The animated timeline: a real multi-frame GIF, and arguments checked before any drawing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import F8
from PIL import Image

import racesim
from racesim._util.optional import MissingDependencyError
from racesim.core.history import History
from racesim.engine import simulate
from racesim.errors import InputError
from racesim.plot.animate import MAX_FRAMES, animate_timeline


@pytest.fixture(scope="module")
def trace() -> racesim.Trace:
    """The f8af4c1 race: one push, parallel workflows, a stale pull; events from 0 s to 94 s."""
    return simulate("parallel", History.single(F8))


def frames(path: Path) -> int:
    with Image.open(path) as im:
        return int(im.n_frames)


def test_writes_a_gif_with_many_frames(trace: racesim.Trace, tmp_path: Path) -> None:
    """20 s per frame over 94 s of events: 5 reveal frames, then the full picture."""
    out = animate_timeline(trace, tmp_path / "race.gif", seconds_per_frame=20, hold=0)
    assert out == tmp_path / "race.gif"
    with Image.open(out) as im:
        assert im.format == "GIF"
    assert frames(out) == 6


def test_last_frame_is_held_not_repeated(trace: racesim.Trace, tmp_path: Path) -> None:
    """Hold frames are identical, so the GIF stores one final frame with a longer delay."""
    out = animate_timeline(trace, tmp_path / "held.gif", seconds_per_frame=20, fps=10, hold=1)
    assert frames(out) == 6
    with Image.open(out) as im:
        im.seek(im.n_frames - 1)
        assert im.info["duration"] == 1100  # its own 100 ms and 10 held frames
        im.seek(0)
        assert im.info["duration"] == 100


def test_epoch_and_title_and_public_export(tmp_path: Path) -> None:
    replay = racesim.replay(racesim.load_incident("f8af4c1"), ["workflow_run"])
    out = racesim.animate_timeline(
        replay.counterfactuals[0].trace,
        tmp_path / "wr.GIF",
        epoch=replay.incident.epoch,
        seconds_per_frame=30,
        hold=0,
        title="workflow_run",
    )
    assert frames(out) > 1


def test_default_frame_count_is_modest(trace: racesim.Trace, tmp_path: Path) -> None:
    out = animate_timeline(trace, tmp_path / "default.gif", hold=0)
    assert 30 <= frames(out) <= 80


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"path": "race.png"}, "path"),
        ({"path": "race"}, "path"),
        ({"fps": 0}, "fps"),
        ({"fps": -5}, "fps"),
        ({"fps": 2.5}, "fps"),
        ({"fps": 500}, "fps"),
        ({"seconds_per_frame": 0}, "seconds_per_frame"),
        ({"seconds_per_frame": -1.0}, "seconds_per_frame"),
        ({"seconds_per_frame": float("nan")}, "seconds_per_frame"),
        ({"seconds_per_frame": 0.01}, "seconds_per_frame"),
        ({"hold": -1}, "hold"),
        ({"dpi": 0}, "dpi"),
        ({"epoch": "23:44:32"}, "epoch"),
    ],
)
def test_bad_arguments_name_the_argument(
    trace: racesim.Trace, tmp_path: Path, kwargs: dict[str, object], field: str
) -> None:
    path = tmp_path / str(kwargs.pop("path", "race.gif"))
    with pytest.raises(InputError) as err:
        animate_timeline(trace, path, **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
    assert field in str(err.value)
    assert not path.exists()


def test_too_many_frames_says_how_many(trace: racesim.Trace, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=f"at most {MAX_FRAMES}"):
        animate_timeline(trace, tmp_path / "long.gif", seconds_per_frame=0.1)


def test_not_a_trace(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        animate_timeline("f8af4c1", tmp_path / "x.gif")  # type: ignore[arg-type]
    assert err.value.field == "trace"


def test_missing_pillow_says_what_to_install(
    trace: racesim.Trace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(MissingDependencyError, match=r"racesim\[notebooks\]") as err:
        animate_timeline(trace, tmp_path / "x.gif")
    assert isinstance(err.value, ImportError)
    assert "pillow" in str(err.value)
