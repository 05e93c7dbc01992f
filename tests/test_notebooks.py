"""Every notebook runs from top to bottom without errors, each in under two minutes.

The notebooks are committed without outputs; CI and the docs build execute them. Here each one is
executed with nbclient in a fresh ``python3`` kernel whose working directory is ``notebooks/``
and whose ``PYTHONPATH`` starts with this checkout, so the kernel imports the racesim under test
rather than whatever else is installed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

#: seconds after which a cell counts as hung: a guard against hangs, far above any cell's need,
#: not a speed test (a loaded CI machine must not fail it)
CELL_TIMEOUT = 900


def test_the_notebooks_are_there() -> None:
    names = {p.name for p in NOTEBOOKS}
    for required in (
        "01_postmortem_f8af4c1.ipynb",
        "02_comparing_strategies.ipynb",
        "04_classroom.ipynb",
        "05_your_incident.ipynb",
    ):
        assert required in names
    assert (NOTEBOOK_DIR / "my-incident.toml").is_file()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs_and_with_one_parameter_cell(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code), "clear the outputs"
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0] <= 2, "one parameter cell, near the top"
    # trial counts (or, for the property-testing notebook, search budgets) live there
    assert any(name in nb.cells[tagged[0]].source for name in ("TRIALS", "MAX_EXAMPLES"))
    assert nb.metadata["kernelspec"]["name"] == "python3"


#: run first in each notebook's kernel: check every figure drawn to a file or to the notebook
#: (one GIF frame in eight) with racesim's readability check, keeping what it finds
FIGURE_CHECK = """\
from matplotlib.backend_bases import FigureCanvasBase as _Canvas
from racesim.plot.check import figure_problems as _problems

_racesim_figures = {"checked": 0, "problems": [], "frames": {}}
_print_figure = _Canvas.print_figure


def _checked_print_figure(self, filename, *args, **kwargs):
    fig = self.figure
    frames = _racesim_figures["frames"]
    count = frames[id(fig)] = frames.get(id(fig), -1) + 1
    if kwargs.get("format") != "rgba" or count % 8 == 0:
        _racesim_figures["checked"] += 1
        title = fig.get_suptitle() or next((a.get_title() for a in fig.axes if a.get_title()), "")
        _racesim_figures["problems"] += [f"{title!r}: {p}" for p in _problems(fig)]
    return _print_figure(self, filename, *args, **kwargs)


_Canvas.print_figure = _checked_print_figure
"""

#: run last: the notebook fails on any figure problem found
FIGURE_VERDICT = """\
assert not _racesim_figures["problems"], "\\n".join(_racesim_figures["problems"])
print(f"{_racesim_figures['checked']} figures checked")
"""


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cell runs without error (how fast is the benchmarks' business, not the suite's)."""
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    )
    nb = nbformat.read(path, as_version=4)
    # every figure the notebook shows or saves is checked for clipped and overlapping text
    nb.cells.insert(0, nbformat.v4.new_code_cell(FIGURE_CHECK))
    nb.cells.append(nbformat.v4.new_code_cell(FIGURE_VERDICT))
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors
    checked = nb.cells[-1].outputs[-1]["text"]
    assert checked.endswith("figures checked\n"), checked
