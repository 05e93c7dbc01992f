"""The README's Python example runs and prints what the README says it prints."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
from pathlib import Path

import pytest
from conftest import ROOT


def test_readme_python_example_runs_and_prints_the_comment() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    expected = re.search(r"#\s*(.+)$", code.strip().splitlines()[-1])
    assert expected is not None, "the example's last line says what it prints"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    assert out.getvalue().strip() == expected.group(1).strip()


def test_readme_quickstart_has_exactly_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = text.split("## Quickstart", 1)[1].split("##", 1)[0]
    (block,) = re.findall(r"```console\n(.*?)```", quickstart, flags=re.S)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["python dev.py demo", "python dev.py test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 dev.py test" in ci


def _command_lines() -> list[list[str]]:
    import shlex

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## On the command line", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```console\n(.*?)```", section, flags=re.S)
    lines = [shlex.split(line.split(" # ")[0]) for line in block.splitlines() if line.strip()]
    assert all(words[0] == "racesim" for words in lines), "every line is a racesim command"
    return [words[1:] for words in lines]


def test_every_readme_command_line_is_one_racesim_accepts() -> None:
    """Every flag and argument of the README's command block exists (parsed, not run)."""
    from racesim.cli import build_parser

    parser = build_parser()
    for words in _command_lines():
        args, extras = parser.parse_known_args(words)
        assert not extras, (words, extras)
        assert callable(args.run), words


def test_the_readme_commands_that_need_no_files_of_yours_run(tmp_path: object) -> None:
    """The replay lines run as written from the checkout (the sample incident ships with it)."""
    import os

    from racesim.cli import main

    replays = [words for words in _command_lines() if words[:1] == ["replay"]]
    assert ["replay", "docs/how-to/my-incident.toml", "--plot", "t.png"] in replays
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for words in replays:
            out = [str(tmp_path) + "/t.png" if w == "t.png" else w for w in words]
            with contextlib.redirect_stdout(io.StringIO()):
                assert main(out) in (0, 1), words  # 1: a replay that does not reproduce
    finally:
        os.chdir(cwd)


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and name in action.choices:
            chosen: argparse.ArgumentParser = action.choices[name]
            return chosen
    return None


def _allowed_exits(words: list[str]) -> set[int]:
    """The exit statuses a command's --help epilog documents, bad input (2) left out."""
    from racesim.cli import build_parser

    command = parser = build_parser()
    for word in words[:2]:
        command = _subparser(command, word) or command
    epilog = (command.epilog or parser.epilog or "").replace("\n", " ")
    stated = epilog.split("exit status", 1)[-1]
    codes = {int(c) for c in re.findall(r"(?<![\d.])(\d)(?= [a-z(])", stated)}
    return (codes or {0}) - {2}


def _prepare_files(where: Path) -> None:
    """The files the README's lines name, as a user would have them: the sample incident, a
    repository with workflows, and a GitHub Actions run history holding commit a1b2c3d."""
    import shutil

    from racesim.cli import main
    from racesim.ingest.synthetic import write_example_history

    (where / "docs/how-to").mkdir(parents=True)
    shutil.copy(ROOT / "docs/how-to/my-incident.toml", where / "docs/how-to/my-incident.toml")
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["emit", "parallel", "--out", str(where / "path/to/repo")]) == 0
    runs, jobs = write_example_history(where, seed=4, pushes=6)
    sha = json.loads(runs.read_text("utf-8"))["workflow_runs"][0]["head_sha"]
    for path in (runs, jobs):
        path.write_text(path.read_text("utf-8").replace(sha, "a1b2c3d" + sha[7:]), "utf-8")


@pytest.mark.slow
def test_every_readme_command_runs_as_written_with_the_installed_racesim(tmp_path: Path) -> None:
    """Each line of the README's command block runs verbatim with the ``racesim`` script of
    this environment's venv (``.venv/bin/racesim`` on a fresh clone), in a folder holding the
    files it names, and exits with a status its --help documents (never 2, never a
    traceback). ``racesim classroom`` serves until stopped: it must print its address, then
    stop cleanly on SIGTERM."""
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    script = Path(sys.executable).with_name("racesim")
    assert script.is_file(), f"no racesim script next to {sys.executable}"
    _prepare_files(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the checkout under test, not another racesim
    lines = _command_lines()

    def run(words: list[str]) -> tuple[list[str], int, str]:
        if words[0] == "classroom":
            return _serve_then_stop(script, words, env, tmp_path)
        done = subprocess.run(
            [str(script), *words], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=900,
        )  # fmt: skip
        return words, done.returncode, done.stdout[-2000:] + done.stderr[-2000:]

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, lines))
    for words, code, output in results:
        assert "Traceback" not in output, (words, output)
        assert code in _allowed_exits(words), (words, code, output)
    assert (tmp_path / "t.png").is_file() and (tmp_path / "incident.toml").is_file()


def _serve_then_stop(
    script: Path, words: list[str], env: dict[str, str], cwd: Path
) -> tuple[list[str], int, str]:
    import signal
    import socket
    import subprocess
    import time

    with socket.socket() as s:  # a free port: the default one may be taken on a shared machine
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    server = subprocess.Popen(
        [str(script), *words, "--no-browser", "--port", port],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    first = server.stdout.readline()
    time.sleep(3)  # serving: now stop it the way a service manager would
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
    try:
        rest, _ = server.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        raise
    return words, server.returncode, first + rest
