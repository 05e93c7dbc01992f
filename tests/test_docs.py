"""The documentation site: it builds in strict mode, and the examples on its pages are true.

The build runs the site's hooks, which execute the notebooks, run the CLI, measure the safety
matrix and raise every documented error, so a strict build that passes is itself a check of what
the pages claim. The other tests run what the build only shows: the Python and TOML examples
written into the pages.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from racesim.incidents import load_incident, replay
from racesim.scenarios import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "hooks" not in p.parts)

#: a fenced block: the line before it, its language, its text
FENCE = re.compile(r"(?P<before>[^\n]*)\n```(?P<lang>\w+)[^\n]*\n(?P<body>.*?)\n```", re.S)
SKIP = "<!-- docs-test: skip -->"
OUTPUT = "<!-- docs-test: output -->"


def _mkdocs(config: Path, site: Path, *, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "NO_MKDOCS_2_WARNING": "1",  # mkdocs-material's banner about MkDocs 2.0
    }
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _check_build(result: subprocess.CompletedProcess[str]) -> None:
    log = result.stdout + result.stderr
    # MkDocs' own log lines (the kernel that runs notebooks logs in another format)
    warnings = [line for line in log.splitlines() if re.match(r"(WARNING|ERROR)\s+-", line)]
    assert result.returncode == 0, log[-5000:]
    assert not warnings, "\n".join(warnings)


def _notebook(title: str) -> str:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": [f"# {title}\n"]},
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": ["print(6 * 7)\n"],
        },
    ]
    return json.dumps(
        {
            "cells": cells,
            "metadata": {
                "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


@pytest.mark.slow
def test_notebooks_become_tutorial_pages(tmp_path: Path) -> None:
    """A notebook dropped into notebooks/ is executed and published, with no copy in docs/."""
    (tmp_path / "docs" / "tutorial").mkdir(parents=True)
    shutil.copytree(DOCS / "hooks", tmp_path / "docs" / "hooks")
    shutil.copy(DOCS / "tutorial" / "index.md", tmp_path / "docs" / "tutorial" / "index.md")
    # the tutorial links the classroom page, whose real content needs the whole site
    (tmp_path / "docs" / "tutorial" / "classroom.md").write_text("# Classroom\n", "utf-8")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01_first.ipynb").write_text(_notebook("First steps"), "utf-8")
    (tmp_path / "notebooks" / "02_second.ipynb").write_text(_notebook("More"), "utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: t\n"
        "theme: {name: material, font: false}\n"
        "exclude_docs: |\n  hooks/\n"
        "hooks: [docs/hooks/notebooks.py]\n"
        "plugins:\n"
        "  - mkdocs-jupyter: {include: ['*.ipynb'], execute: true, allow_errors: false,"
        " cache: false}\n"
        "nav:\n  - Tutorial:\n      - tutorial/index.md\n",
        encoding="utf-8",
    )
    site = tmp_path / "site"
    _check_build(_mkdocs(tmp_path / "mkdocs.yml", site, cwd=tmp_path))
    first = (site / "notebooks" / "01_first" / "index.html").read_text(encoding="utf-8")
    assert "42" in first  # executed during the build
    index = (site / "tutorial" / "index.html").read_text(encoding="utf-8")
    assert "First steps" in index and "More" in index
    assert not list((tmp_path / "docs").rglob("*.ipynb"))


def _blocks(page: Path) -> list[tuple[str, str, str]]:
    """``(line before, language, body)`` of every fenced block of `page`."""
    text = "\n" + page.read_text(encoding="utf-8")
    return [(m["before"].strip(), m["lang"], m["body"]) for m in FENCE.finditer(text)]


def _python_pages() -> list[Path]:
    return [p for p in PAGES if any(lang == "python" for _, lang, _ in _blocks(p))]


@pytest.mark.parametrize("page", _python_pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_python_examples_run(page: Path, tmp_path: Path) -> None:
    """Each page's Python blocks run in order, in one namespace, from a copy of its folder.

    A block after a ``docs-test: skip`` comment is not run (it needs a cluster, say); a text block
    after a ``docs-test: output`` comment must equal what the previous Python block printed.
    """
    workdir = tmp_path / "page"
    shutil.copytree(page.parent, workdir, ignore=shutil.ignore_patterns("*.md"))
    namespace: dict[str, object] = {"__name__": "__docs__"}
    printed = ""
    with contextlib.chdir(workdir):
        for before, lang, body in _blocks(page):
            if lang == "python" and before != SKIP:
                buffer = io.StringIO()
                with contextlib.redirect_stdout(buffer):
                    exec(compile(body, f"{page.name} example", "exec"), namespace)
                printed = buffer.getvalue()
            elif lang == "text" and before == OUTPUT:
                assert printed.rstrip() == body.rstrip()


def _toml_examples(kind: str) -> list[tuple[Path, str]]:
    marker = f'format = "racesim-{kind}/1"'
    return [
        (page, body)
        for page in PAGES
        for _, lang, body in _blocks(page)
        if lang == "toml" and marker in body
    ]


@pytest.mark.parametrize(
    ("page", "text"),
    _toml_examples("scenario"),
    ids=lambda v: str(v.relative_to(DOCS)) if isinstance(v, Path) else "",
)
def test_scenario_examples_load(page: Path, text: str, tmp_path: Path) -> None:
    path = tmp_path / "example.toml"
    path.write_text(text, encoding="utf-8")
    with contextlib.chdir(page.parent):
        load_scenario(path)


@pytest.mark.parametrize("path", sorted(DOCS.rglob("*.toml")), ids=lambda p: p.name)
def test_example_files_load(path: Path) -> None:
    """The downloadable examples: scenarios load, incidents replay to the second."""
    if "racesim-incident/1" in path.read_text(encoding="utf-8"):
        assert replay(load_incident(path), []).reproduced
    else:
        load_scenario(path)
