"""The package's shape: one-way layers, no import circles, no private names across modules, flag
names only in the CLI, and a public API that the reference lists name for name.

The layers themselves are import-linter contracts in ``pyproject.toml``, checked by
``lint-imports`` in ``python dev.py test``; :func:`test_the_layer_contracts_hold` runs the same
check here and :func:`test_the_layer_contracts_catch_an_upward_import` shows it can fail.
"""

from __future__ import annotations

import ast
import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Protocol

import pytest

import racesim

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "racesim"
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e .[test])")
    return subprocess.run([exe, "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_layer_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_the_layer_contracts_catch_an_upward_import(tmp_path: Path) -> None:
    """A copy of the package in which the engine imports a study breaks the layers contract."""
    shutil.copytree(PACKAGE, tmp_path / "racesim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    service = tmp_path / "racesim" / "engine" / "service.py"
    service.write_text(service.read_text() + "\nimport racesim.studies.trials  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "racesim.engine.service -> racesim.studies.trials" in result.stdout


class _Graph(Protocol):
    modules: set[str]

    def find_modules_directly_imported_by(self, module: str) -> set[str]: ...


def _circles(graph: _Graph) -> list[list[str]]:
    """The import circles of `graph`: its strongly connected components of two or more modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(graph.find_modules_directly_imported_by(module)):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return circles


def test_no_import_circles() -> None:
    """No two modules import each other, directly or through others (functions included)."""
    grimp = pytest.importorskip("grimp")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        assert _circles(grimp.build_graph("racesim")) == []
    finally:
        sys.setrecursionlimit(limit)  # other tests run in this process with the default


def test_the_circle_check_finds_a_circle() -> None:
    """The 'trace <-> outcome' shape this layout removed, and a longer one, are found."""

    class Fake:
        def __init__(self, edges: dict[str, set[str]]) -> None:
            self.edges = edges
            self.modules = set(edges)

        def find_modules_directly_imported_by(self, module: str) -> set[str]:
            return self.edges[module]

    graph = Fake({"t": {"o"}, "o": {"t"}, "a": {"b"}, "b": {"c"}, "c": {"a", "t"}, "x": set()})
    assert _circles(graph) == [["o", "t"], ["a", "b", "c"]]


def _imports(tree: ast.AST) -> list[ast.ImportFrom]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("racesim")
    ]


@pytest.mark.parametrize("path", MODULES, ids=_module_name)
def test_no_module_imports_another_modules_private_names(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    private = [
        f"{node.module}.{alias.name} (line {node.lineno})"
        for node in _imports(tree)
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]
    private += [
        f"{ast.unparse(node)} (line {node.lineno})"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and ast.unparse(node.value).startswith("racesim.")
    ]
    assert not private, private


#: a flag of racesim's own command line in a string: ``--trials``, ``--step push``
_FLAG = re.compile(r"^--[a-z][a-z-]*( |$)")


def _flag_fields(tree: ast.AST) -> list[str]:
    """Strings that name a racesim flag as an error's field or a parameter's default field."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "InputError":
            values = node.args[:1] + [k.value for k in node.keywords if k.arg == "field"]
        elif isinstance(node, ast.Call):
            values = node.args[1:2] if getattr(node.func, "id", "") == "parse_strategy" else []
            values += [k.value for k in node.keywords if k.arg == "field"]
        elif isinstance(node, ast.arguments):
            names = [a.arg for a in [*node.posonlyargs, *node.args]][-len(node.defaults) or 0 :]
            values = [d for n, d in zip(names, node.defaults, strict=False) if n == "field"]
            values += [
                d
                for a, d in zip(node.kwonlyargs, node.kw_defaults, strict=True)
                if a.arg == "field" and d is not None
            ]
        else:
            continue
        for value in values:
            text = value.value if isinstance(value, ast.Constant) else None
            if isinstance(value, ast.JoinedStr) and isinstance(value.values[0], ast.Constant):
                text = value.values[0].value
            if isinstance(text, str) and _FLAG.match(text):
                found.append(f"{text!r} (line {value.lineno})")
    return found


@pytest.mark.parametrize(
    "path", [p for p in MODULES if "cli" not in p.relative_to(PACKAGE).parts], ids=_module_name
)
def test_only_the_cli_knows_flag_names(path: Path) -> None:
    """Library errors name the parameter; ``racesim.cli`` shows the flag that sets it."""
    assert not _flag_fields(ast.parse(path.read_text(encoding="utf-8")))


def test_the_flag_check_finds_a_flag_in_an_error() -> None:
    code = 'def f(x, field="--bounds"):\n    raise InputError(f"--step {x}", "bad")\n'
    assert len(_flag_fields(ast.parse(code))) == 2


def test_the_cli_shows_flags_for_parameters() -> None:
    from racesim.cli import shown
    from racesim.errors import InputError

    assert shown(InputError("trials", "too many"), "compare") == "--trials: too many"
    assert shown(InputError("patterns.push", "bad"), "ingest") == "--step push: bad"
    assert shown(InputError("paths", "none"), "audit") == "PATH: none"
    assert shown(InputError("paths", "none"), "ingest") == "--workflows: none"
    assert shown(InputError("strategy", "no"), "emit") == "STRATEGY: no"
    assert shown(InputError("strategy", "no"), "ingest") == "--strategy: no"
    # a field of a file keeps its name, even where a parameter has the same one
    assert shown(InputError("strategy", "bad", "x.toml"), "replay") == "x.toml: strategy: bad"
    assert shown(InputError("x", "raise `max_risk`"), "matrix") == "x: raise --max-risk"


def _api_reference_names() -> list[str]:
    text = (ROOT / "docs" / "reference" / "api.md").read_text(encoding="utf-8")
    return re.findall(r"^::: racesim\.(\w+)\s*$", text, re.M)


def test_the_api_reference_lists_exactly_the_public_names() -> None:
    documented = _api_reference_names()
    assert len(documented) == len(set(documented)), "a name is documented twice"
    assert set(documented) == set(racesim.__all__) - {"__version__"}


@pytest.mark.parametrize("module", ["racesim", "racesim.testing", "racesim.proof"])
def test_every_public_name_imports(module: str) -> None:
    """The public import paths users rely on: every name in each ``__all__`` is there."""
    mod = importlib.import_module(module)
    for name in mod.__all__:
        assert getattr(mod, name) is not None, f"{module}.{name}"
    assert set(mod.__all__) <= set(dir(mod))


@pytest.mark.parametrize(
    "module",
    sorted(
        _module_name(p)
        for p in PACKAGE.glob("*/__init__.py")
        if p.parent.name not in ("cli", "_util", "core", "verify")
    ),
)
def test_every_subpackage_exports_what_it_lists(module: str) -> None:
    mod = importlib.import_module(module)
    for name in getattr(mod, "__all__", []):
        assert hasattr(mod, name), f"{module}.{name}"


def test_the_trial_columns_are_the_metrics_in_order() -> None:
    """A trial's named record has one field per documented result column, in that order."""
    from racesim.studies.trials import COLUMN_DTYPES, METRICS, TrialMetrics

    assert TrialMetrics._fields[:-1] == tuple(METRICS)
    assert list(COLUMN_DTYPES)[: len(METRICS)] == list(METRICS)


def test_the_package_root_holds_only_the_entry_points() -> None:
    """Modules live in their layer's package; the root keeps the API, errors, limits, facades."""
    root = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert root == [
        "__init__.py",
        "__main__.py",
        "errors.py",
        "limits.py",
        "proof.py",
        "testing.py",
    ]
