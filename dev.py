"""Bootstrap and task runner for racesim: needs nothing but Python 3.11+.

    python dev.py demo [ARGS...]   replay f8af4c1, compare strategies, write plots
    python dev.py test [ARGS...]   ruff, mypy --strict, the layer contracts, pytest (notebooks
                                   and docs included)
    python dev.py docs             build the docs site into site/
    python dev.py notebooks [ARGS] install the notebook extra, start Jupyter Lab on notebooks/
    python dev.py bench [ARGS...]  run the benchmarks
    python dev.py fuzz [N [SEED [TARGETS]]]  fuzz every input format (or TARGETS, comma-separated)
                                   with N inputs (default 100,000)

Each task creates `.venv/` next to this file on first use and installs what it needs into it
(again only when pyproject.toml changes). Extra ARGS go to the underlying command.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

#: the extras each task installs
EXTRAS = {
    "demo": "",
    "test": "[dev]",
    "docs": "[dev]",
    "bench": "[dask]",
    "fuzz": "[dev]",
    "notebooks": "[notebooks]",
}


def _run(*cmd: str | Path) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    code = subprocess.call([str(c) for c in cmd], cwd=ROOT)
    if code:
        sys.exit(code)


def ensure_env(extras: str) -> None:
    """Create the virtual environment and install racesim with `extras`, once per pyproject."""
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{extras.strip('[]') or 'base'}-{digest}"
    if stamp.exists():
        return
    _run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f".{extras}")
    stamp.touch()


def task_demo(args: list[str]) -> None:
    _run(BIN / "racesim", "demo", *args)


def task_test(args: list[str]) -> None:
    code = [p for p in ("racesim", "tests", "benchmarks", "dev.py") if (ROOT / p).exists()]
    _run(PYTHON, "-m", "ruff", "check", *code)
    _run(PYTHON, "-m", "ruff", "format", "--check", *code)
    _run(PYTHON, "-m", "mypy")
    _run(BIN / "lint-imports", "--no-cache")  # the layers (pyproject.toml [tool.importlinter])
    _run(PYTHON, "-m", "pytest", "-n", "2", "--dist", "loadgroup", *args)


def task_docs(args: list[str]) -> None:
    _run(PYTHON, "-m", "mkdocs", "build", "--strict", *args)


def task_bench(args: list[str]) -> None:
    _run(PYTHON, "-m", "benchmarks", *args)


def task_fuzz(args: list[str]) -> None:
    """Print the count, the time and every crash signature; exit 1 if there is one."""
    _run(PYTHON, ROOT / "tests" / "fuzz.py", *args)


def task_notebooks(args: list[str]) -> None:
    """Jupyter Lab on notebooks/, with racesim and the widgets installed in .venv."""
    _run(PYTHON, "-m", "jupyter", "lab", "--notebook-dir", ROOT / "notebooks", *args)


TASKS = {
    "demo": task_demo,
    "test": task_test,
    "docs": task_docs,
    "bench": task_bench,
    "fuzz": task_fuzz,
    "notebooks": task_notebooks,
}


def main() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file must run, and say so, on old Pythons
        sys.exit(f"racesim needs Python >= 3.11, this is {sys.version.split()[0]}")
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        sys.exit(__doc__)
    name, args = sys.argv[1], sys.argv[2:]
    ensure_env(EXTRAS[name])
    TASKS[name](args)


if __name__ == "__main__":
    main()
