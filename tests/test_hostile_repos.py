"""Hostile repositories for ``racesim audit`` and hostile files for ``racesim ingest`` (issue 20).

An audit runs on pull requests, so whoever opens one writes the workflows, actions, scripts and
Makefiles it reads. Each case here must end as a result or one line of racesim's own error
(exit 2), never a traceback or a hang, and a path that leaves the audited folder (a symbolic link,
``../``) is reported in the audit's notes, not followed: the content of the files outside never
shows up in what the audit prints.

The CLI runs in a subprocess with a timeout, as the GitHub Action runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from fuzz import guard
from fuzz_readers import _alias_bomb

from racesim.errors import InputError
from racesim.github.expressions import MAX_LENGTH, MAX_VALUE, Sym, evaluate, interpolate
from racesim.github.files import MAX_BYTES
from racesim.github.pipelines import read_repo
from racesim.github.shell import parse
from racesim.github.workflows import MAX_DEPTH, load_workflows
from racesim.github.yaml import MAX_EXPANDED, MAX_NESTING, parse_yaml
from racesim.ingest import read_history

ROOT = Path(__file__).resolve().parents[1]
#: what every file outside the audited folder holds; no output may contain it
MARK = "OUTSIDE-7c1d"

BASIC = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: docker build -t ghcr.io/acme/app:latest . && docker push ghcr.io/acme/app:latest
      - uses: ./.github/actions/x
      - run: ./scripts/deploy.sh
      - run: make deploy
"""


def repo(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    """A repository under `tmp_path` (``repo/``), beside ``outside/`` whose files hold MARK."""
    outside = tmp_path / "outside"
    (outside / "action").mkdir(parents=True)
    step = f"    - run: docker push {MARK}:latest\n      shell: bash\n"
    (outside / "action" / "action.yml").write_text(f"runs:\n  using: composite\n  steps:\n{step}")
    (outside / "ci.yml").write_text(BASIC.replace("ghcr.io/acme/app", MARK))
    (outside / "deploy.sh").write_text(f"docker push {MARK}:latest\n")
    (outside / "Makefile").write_text(f"deploy:\n\tdocker push {MARK}:latest\n")
    root = tmp_path / "repo"
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def link(root: Path, rel: str, target: Path | str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)


def audit_cli(folder: Path, timeout: float = 120) -> tuple[int, dict[str, object] | None, str]:
    """``racesim audit FOLDER --json`` in a subprocess: exit status, the JSON (if any), stderr.

    Fails on a timeout, an exit status outside 0-3, a traceback, an error of more than one line
    or output holding the content of a file outside the folder.
    """
    argv = [sys.executable, "-m", "racesim", "audit", str(folder), "--trials", "5"]
    argv += ["--max-examples", "3", "--json"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, env=env, cwd=folder.parent
    )
    assert proc.returncode in (0, 1, 2, 3), proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    if proc.returncode == 2:
        assert proc.stderr.count("\n") <= 1, proc.stderr
    assert MARK not in proc.stdout + proc.stderr
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else None, proc.stderr


def notes_of(result: dict[str, object] | None) -> str:
    assert result is not None
    return "\n".join(str(n) for n in result["notes"])  # type: ignore[attr-defined]


def read(root: Path) -> str:
    """Everything ``racesim audit`` reads from `root`, as text (no simulation)."""
    repo_ = load_workflows([root])
    reading = read_repo(repo_)
    return repr(repo_.workflows) + repr(reading) + repr(repo_.notes)


# -- YAML: alias bombs, nesting, size, encoding --------------------------------------------------


def test_billion_laughs_is_refused_before_anything_walks_it(tmp_path: Path) -> None:
    """Nine anchors of nine aliases each: 9^9 nodes from 1 KB, used as a step's script."""
    bomb = _alias_bomb(9, 9)
    text = bomb + "\n" + BASIC.replace("- run: make deploy", "- run: *b8")
    root = repo(tmp_path, {".github/workflows/ci.yml": text})
    with pytest.raises(InputError, match=r"ci.yml: \(aliases\): the aliases expand"):
        load_workflows([root])
    started = time.perf_counter()
    code, _, err = audit_cli(root)
    assert code == 2 and "aliases expand the document beyond" in err
    assert time.perf_counter() - started < 60


def test_aliases_that_stay_small_are_read(tmp_path: Path) -> None:
    text = "x-env: &env {REGION: eu}\non: push\nenv: *env\njobs:\n  a:\n    env: *env\n"
    text += "    runs-on: x\n    steps:\n      - run: echo $REGION\n        env: *env\n"
    doc = parse_yaml(text, "ci.yml")
    assert doc.data["env"]["REGION"] == "eu"
    root = repo(tmp_path, {".github/workflows/ci.yml": text})
    assert load_workflows([root]).workflows[0].jobs["a"].env == {"REGION": "eu"}


def test_the_alias_limit_is_the_largest_file_read() -> None:
    assert MAX_EXPANDED == MAX_BYTES
    # 4^8 lists of four 3-letter scalars expand to about 370,000 nodes and characters: read
    parse_yaml(_alias_bomb(8, 4) + "\non: push\n", "ok.yml")
    # 5^9 to about 8 million: refused
    with pytest.raises(InputError, match="aliases"):
        parse_yaml(_alias_bomb(9, 5) + "\non: push\n", "bomb.yml")


def test_an_alias_inside_what_it_names_is_refused() -> None:
    with pytest.raises(InputError, match=r"self.yml: line 2: an alias inside the node it names"):
        parse_yaml("on: push\nx: &a [1, *a]\n", "self.yml")


def test_an_anchor_named_twice_is_read_without_a_warning() -> None:
    """YAML lets an anchor be named again; ruamel's warning would reach the audit's stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        doc = parse_yaml("a: &x 1\nb: &x 2\nc: *x\non: push\n", "ci.yml")
    assert doc.data["c"] == 2


@pytest.mark.parametrize(
    ("shape", "depth"),
    [("flow-list", 10_000), ("flow-mapping", 10_000), ("block", 1_000)],
)
def test_deep_nesting(tmp_path: Path, shape: str, depth: int) -> None:
    """10^4 levels in flow style; in block style 1,000 (10^4 levels of indentation are 50 MB,
    which the size limit refuses first: see the 50 MB test)."""
    if shape == "flow-list":
        deep = "x: " + "[" * depth + "]" * depth + "\n"
    elif shape == "flow-mapping":
        deep = "x: " + "{a: " * depth + "b" + "}" * depth + "\n"
    else:
        deep = "x:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(depth))
    text = BASIC + deep
    assert len(text) < MAX_BYTES
    with pytest.raises(InputError, match=f"nested deeper than {MAX_NESTING} levels"):
        parse_yaml(text, "deep.yml")
    root = repo(tmp_path, {".github/workflows/ci.yml": text})
    code, _, err = audit_cli(root)
    assert code == 2 and "ci.yml: line " in err and "nested deeper than 100 levels" in err


def test_nesting_up_to_the_limit_is_read() -> None:
    parse_yaml(BASIC + "x: " + "[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1) + "\n", "ok.yml")


def test_a_50_mb_workflow_is_not_read(tmp_path: Path) -> None:
    """Workflow files go through the same cap as actions and scripts (files.MAX_BYTES)."""
    root = repo(tmp_path, {".github/workflows/small.yml": BASIC})
    big = root / ".github/workflows/big.yml"
    with big.open("wb") as f:
        f.write(b"on: push\n# ")
        f.truncate(50 << 20)  # sparse: quick to write, 50 MB to read
    started = time.perf_counter()
    code, result, _ = audit_cli(root)
    assert "big.yml: larger than 1048576 bytes; not read" in notes_of(result)
    assert time.perf_counter() - started < 60
    assert code in (0, 1, 3)


def test_non_utf8_workflow_is_skipped_with_a_note(tmp_path: Path) -> None:
    text = BASIC.replace("acme", "acmé").encode("latin-1")
    root = repo(tmp_path, {".github/workflows/ci.yml": text, ".github/workflows/ok.yml": BASIC})
    _, result, _ = audit_cli(root)
    assert "ci.yml: not UTF-8; not read" in notes_of(result)


# -- paths that leave the folder ------------------------------------------------------------------


def test_symlinked_workflow_file_pointing_outside(tmp_path: Path) -> None:
    root = repo(tmp_path, {".github/workflows/ok.yml": BASIC})
    link(root, ".github/workflows/ci.yml", tmp_path / "outside" / "ci.yml")
    _, result, _ = audit_cli(root)
    assert "ci.yml: a symbolic link leaving" in notes_of(result)
    assert MARK not in read(root)


def test_symlinked_action_folder_pointing_outside(tmp_path: Path) -> None:
    root = repo(tmp_path, {".github/workflows/ci.yml": BASIC})
    link(root, ".github/actions/x", tmp_path / "outside" / "action")
    _, result, _ = audit_cli(root)
    assert ".github/actions/x leaves the folder being audited; not read" in notes_of(result)
    assert MARK not in read(root)


def test_symlinked_action_file_inside_a_real_folder(tmp_path: Path) -> None:
    """``.github/actions/x`` is a folder of the repo, its ``action.yml`` a link out of it."""
    root = repo(tmp_path, {".github/workflows/ci.yml": BASIC})
    link(root, ".github/actions/x/action.yml", tmp_path / "outside" / "action" / "action.yml")
    _, result, _ = audit_cli(root)
    assert "action.yml leaves the folder being audited; not read" in notes_of(result)
    assert MARK not in read(root)


def test_symlinked_shared_actions_folder_does_not_widen_the_folder(tmp_path: Path) -> None:
    """A folder beside ``.github`` holding ``.github/actions`` is searched; a link out is not."""
    root = repo(tmp_path, {".github/workflows/ci.yml": BASIC})
    shared = tmp_path / "outside" / "shared" / ".github" / "actions" / "x"
    shared.mkdir(parents=True)
    (shared / "action.yml").write_text((tmp_path / "outside/action/action.yml").read_text())
    link(root, "shared", tmp_path / "outside" / "shared")
    assert MARK not in read(root)


@pytest.mark.parametrize(
    "uses",
    [
        "./../../etc",
        "./../outside/action",
        "./.github/actions/../../../outside/action",
        "./" + "a" * 300,
        '"./.github/actions/x\\0"',
    ],
    ids=["dotdot-etc", "dotdot-outside", "through-actions", "long-name", "nul"],
)
def test_uses_paths_that_leave_the_folder(tmp_path: Path, uses: str) -> None:
    files = {
        ".github/workflows/ci.yml": BASIC.replace("./.github/actions/x", uses),
        ".github/actions/y/action.yml": SELF_USING,  # so that .github/actions/.. resolves
    }
    root = repo(tmp_path, files)
    code, result, _ = audit_cli(root)
    assert code != 2
    if "outside" in uses:
        assert "leaves the folder being audited; not read" in notes_of(result)
    assert MARK not in read(root)


@pytest.mark.parametrize(
    ("rel", "target", "run"),
    [
        ("scripts/deploy.sh", "outside/deploy.sh", "./scripts/deploy.sh"),
        ("scripts", "outside", "./scripts/deploy.sh"),
        ("Makefile", "outside/Makefile", "make deploy"),
    ],
    ids=["script", "scripts-folder", "makefile"],
)
def test_symlinked_scripts_and_makefiles_are_not_read(
    tmp_path: Path, rel: str, target: str, run: str
) -> None:
    root = repo(tmp_path, {".github/workflows/ci.yml": BASIC})
    link(root, rel, tmp_path / target)
    audit_cli(root)
    assert MARK not in read(root)
    refused = load_workflows([root])
    read_repo(refused)
    assert any("leaves the folder being audited" in n for f in refused.files for n in f.notes)


def test_a_refused_script_is_reported_in_the_audit_notes(tmp_path: Path) -> None:
    root = repo(tmp_path, {".github/workflows/ci.yml": BASIC})
    link(root, "scripts/deploy.sh", tmp_path / "outside/deploy.sh")
    notes = read_repo(load_workflows([root])).notes
    assert any("scripts/deploy.sh leaves the folder being audited" in n for n in notes)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_as_script_and_makefile_do_not_block(tmp_path: Path) -> None:
    root = repo(tmp_path, {".github/workflows/ci.yml": BASIC})
    (root / "scripts").mkdir()
    os.mkfifo(root / "scripts" / "deploy.sh")
    os.mkfifo(root / "Makefile")
    audit_cli(root, timeout=60)


# -- calls that recurse ---------------------------------------------------------------------------

SELF_CALLING = """\
on: [push, workflow_call]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: docker push ghcr.io/acme/app:latest
  again:
    uses: ./.github/workflows/ci.yml
"""

SELF_USING = """\
runs:
  using: composite
  steps:
    - run: docker push ghcr.io/acme/app:latest
      shell: bash
    - uses: ./.github/actions/x
"""


def test_a_reusable_workflow_that_calls_itself(tmp_path: Path) -> None:
    root = repo(tmp_path, {".github/workflows/ci.yml": SELF_CALLING})
    audit_cli(root)
    (wf,) = load_workflows([root]).workflows
    assert len(wf.jobs["again"].steps) == MAX_DEPTH  # followed to GitHub's depth, then stopped


def test_a_composite_action_that_uses_itself(tmp_path: Path) -> None:
    root = repo(
        tmp_path,
        {".github/workflows/ci.yml": BASIC, ".github/actions/x/action.yml": SELF_USING},
    )
    audit_cli(root)
    (wf,) = load_workflows([root]).workflows
    assert sum(s.run.startswith("docker push") for s in wf.jobs["build"].steps) == MAX_DEPTH


def test_an_action_using_itself_three_times_is_not_inlined_3_to_the_10_times(
    tmp_path: Path,
) -> None:
    action = SELF_USING + "    - uses: ./.github/actions/x\n" * 2
    root = repo(
        tmp_path, {".github/workflows/ci.yml": BASIC, ".github/actions/x/action.yml": action}
    )
    with guard(cpu=3, wall=30):
        notes = read_repo(load_workflows([root])).notes
    assert any("steps inlined from actions and reusable workflows" in n for n in notes)


# -- values that double ---------------------------------------------------------------------------


def test_env_values_that_double_through_expressions_stay_bounded(tmp_path: Path) -> None:
    env = "".join(f"  D{i + 1}: ${{{{ env.D{i} }}}}${{{{ env.D{i} }}}}\n" for i in range(40))
    text = "env:\n  D0: xxxxxxxxxx\n" + env + BASIC.replace("latest", "${{ env.D40 }}")
    root = repo(tmp_path, {".github/workflows/ci.yml": text})
    with guard(cpu=20, wall=60):
        read(root)
    audit_cli(root)


def test_interpolation_substitutes_at_most_max_value_characters() -> None:
    ctx = {"env": {"A": "x" * (MAX_VALUE // 2 + 1)}}
    assert interpolate("${{ env.A }}", ctx) == ctx["env"]["A"]  # a lone expression keeps it
    doubled = interpolate("${{ env.A }}-${{ env.A }}", ctx)
    assert isinstance(doubled, Sym) and "longer than" in doubled.text
    assert interpolate("x" * 2 * MAX_VALUE + "${{ 1 }}", ctx) == "x" * 2 * MAX_VALUE + "1"


def test_shell_variables_that_double_stay_bounded(tmp_path: Path) -> None:
    script = "V0=xxxxxxxxxx\n" + "".join(f"V{i + 1}=$V{i}$V{i}\n" for i in range(28))
    root = repo(
        tmp_path,
        {".github/workflows/ci.yml": BASIC, "scripts/deploy.sh": script + "docker push $V28\n"},
    )
    with guard(cpu=3, wall=30):
        read(root)


def test_makefile_variables_that_multiply_stay_bounded(tmp_path: Path) -> None:
    make = "V0 = xxxxxxxxxx\n" + "".join(f"V{i + 1} = " + f"$(V{i})" * 10 + "\n" for i in range(8))
    make += "deploy:\n\tdocker push app:$(V8)\n"
    root = repo(tmp_path, {".github/workflows/ci.yml": BASIC, "Makefile": make})
    with guard(cpu=3, wall=30):
        read(root)


def test_a_makefile_including_itself_a_thousand_times(tmp_path: Path) -> None:
    make = "deploy:\n\tdocker push app:x\n" + "include Makefile\n" * 1000 + "#" * 100_000 + "\n"
    root = repo(tmp_path, {".github/workflows/ci.yml": BASIC, "Makefile": make})
    with guard(cpu=3, wall=30):
        read(root)


def test_a_deeply_nested_pyproject_is_one_line_of_error(tmp_path: Path) -> None:
    deep = "x = " + "[" * 5000 + "]" * 5000 + "\n"
    root = repo(tmp_path, {".github/workflows/ci.yml": BASIC, "pyproject.toml": deep})
    with pytest.raises(InputError):
        read(root)


# -- expressions and scripts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "(" * 5000 + "1" + ")" * 5000,
        "github[" * 60 + "'a'" + "]" * 60,
        "format(" * 60 + "'a'" + ")" * 60,
        " && ".join(["success()"] * 6000),
    ],
    ids=["parentheses", "index", "calls", "long-chain"],
)
def test_expressions_nested_or_long_beyond_githubs_limits(text: str) -> None:
    with pytest.raises(InputError, match=r"nests deeper than 50|longer than 21,000"):
        evaluate(text, {})


def test_expressions_within_githubs_limits() -> None:
    assert evaluate("(" * 49 + "1" + ")" * 49, {}) == 1.0
    assert evaluate("!" * 5001 + "true", {}) is False  # a loop, whatever the count
    assert evaluate(" || ".join(["false"] * 100 + ["'x'"]), {}) == "x"
    assert len(" && ".join(["true"] * 2500)) < MAX_LENGTH
    assert evaluate("0x10 == 16", {}) is True
    assert evaluate("0x" + "f" * 300, {}) == float("inf")
    assert evaluate("fromJSON('" + "[" * 60 + "]" * 60 + "')", {}) is not None
    assert evaluate("contains(github, 'x')", {"github": {"sha": Sym("s", frozenset())}}) is False


def test_unclosed_interpolations_take_linear_time() -> None:
    with guard(cpu=2, wall=20):
        assert interpolate("${{" * 200_000, {}) == "${{" * 200_000


@pytest.mark.parametrize(
    "script",
    [
        "echo " + "$(echo " * 3000 + "x" + ")" * 3000,
        "cat <<EOF\n" + "line $x\n" * 100_000,
        "echo 'unterminated " + "x " * 150_000,
        "x" * 1_000_000,
        'echo "' + "a b " * 250_000 + '"',
        "echo '${'x",  # bashlex 0.18 alone loops forever on a `${` with no `}` in the word
        "a 'b\n${c 'd\n" * 100,
    ],
    ids=[
        "nested-substitutions",
        "huge-heredoc",
        "unterminated-quote",
        "long-word",
        "long-quote",
        "unclosed-brace-in-quotes",
        "unclosed-braces-across-lines",
    ],
)
def test_hostile_scripts_read_in_bounded_time(script: str) -> None:
    with guard(cpu=5, wall=30):
        parsed = parse(script)
    assert parsed.commands


def test_deep_nesting_is_read_line_by_line_whatever_the_recursion_limit() -> None:
    """bashlex recurses once a level: with a raised recursion limit (another library's choice)
    3000 nested `$(` took seconds; past MAX_NESTING the script is read line by line."""
    script = "echo " + "$(echo " * 3000 + "x" + ")" * 3000
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        with guard(cpu=5, wall=30):
            parsed = parse(script + "\n")  # not the cached script of the test above
    finally:
        sys.setrecursionlimit(limit)
    assert parsed.commands and not parsed.parsed
    assert parse("echo $(echo $(echo ${x:-$(date)}))").parsed  # ordinary nesting: bashlex


# -- ingest: the JSON readers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "$: nested too deeply to read as JSON"),
        (b'{"workflow_runs": [{"id": ' + b"1" * 5000 + b"}]}", "Exceeds the limit"),
        (
            b'{"workflow_runs": [{"id": 1, "name": "B", "head_sha": "a", '
            b'"created_at": "9999-12-31T23:59:59-05:00"}]}',
            "$.workflow_runs[0].created_at",
        ),
        (b'{"jobs": [\xff]}', "not UTF-8 text"),
    ],
    ids=["deep", "huge-integer", "beyond-year-9999", "not-utf8"],
)
def test_ingest_json_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, fragment: str
) -> None:
    path = tmp_path / "runs.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"runs\.json") as info:
        read_history([path])
    assert fragment in str(info.value) and "\n" not in str(info.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_ingest_refuses_a_fifo_and_a_device(tmp_path: Path) -> None:
    fifo = tmp_path / "runs.json"
    os.mkfifo(fifo)
    with guard(cpu=5, wall=20), pytest.raises(InputError, match="not a regular file"):
        read_history([fifo])
    if Path("/dev/zero").exists():
        with guard(cpu=5, wall=20), pytest.raises(InputError, match="not a regular file"):
            read_history(["/dev/zero"])


def test_the_limits_page_lists_the_reader_limits() -> None:
    """docs/reference/limits.md shows each limit of the readers with its value."""
    from racesim.github import expressions, files, shell, workflows, yaml
    from racesim.ingest import readers

    text = (ROOT / "docs/reference/limits.md").read_text()
    for module, name in [
        (files, "MAX_BYTES"),
        (yaml, "MAX_NESTING"),
        (yaml, "MAX_EXPANDED"),
        (expressions, "MAX_LENGTH"),
        (expressions, "MAX_NESTING"),
        (expressions, "MAX_VALUE"),
        (workflows, "MAX_DEPTH"),
        (workflows, "MAX_INLINED"),
        (shell, "MAX_PARSED"),
        (shell, "MAX_SHLEX"),
        (readers, "MAX_HISTORY_BYTES"),
    ]:
        short = module.__name__.rsplit(".", 1)[1]
        row = next(line for line in text.splitlines() if f"`{short}.{name}`" in line)
        assert f"{getattr(module, name):,}" in row, (name, row)
