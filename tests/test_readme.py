"""The README's Python example runs and prints what the README says it prints."""

from __future__ import annotations

import contextlib
import io
import re

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
