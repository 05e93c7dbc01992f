"""The workflow reader and the expression evaluator: per-event values, errors, and a fuzz test."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from racesim.errors import InputError
from racesim.github.context import TriggerEvent, event_context
from racesim.github.expressions import UNKNOWN, Sym, condition, evaluate, interpolate
from racesim.github.pipelines import find_pipelines, read_group
from racesim.github.workflows import ConcurrencyDef, Loc, load_workflows

PUSH = event_context(TriggerEvent("push", "refs/heads/main"), "Deploy")
PR = event_context(TriggerEvent("pull_request", None, "pr"), "Deploy")
RUN = event_context(TriggerEvent("workflow_run", None), "Deploy")


def test_operators_follow_github() -> None:
    assert evaluate("'A' == 'a'", PUSH) is True  # strings compare ignoring case
    assert evaluate("github.head_ref || 'x'", PUSH) == "x"  # empty on push
    assert evaluate("github.event_name == 'push' && 'yes'", PUSH) == "yes"
    assert evaluate("!github.head_ref", PUSH) is True
    assert evaluate("startsWith(github.ref, 'refs/heads/')", PUSH) is True
    assert evaluate("contains(fromJSON('[\"a\",\"b\"]'), 'b')", PUSH) is True
    assert evaluate("format('{0}-{1}', github.workflow, 'x')", PUSH) == "Deploy-x"
    assert evaluate("github.event.workflow_run.conclusion", PUSH) is None  # absent on push


def test_values_unknown_until_run_time_are_never_guessed() -> None:
    assert evaluate("github.sha == 'abc'", PUSH) is UNKNOWN
    assert condition("github.repository == 'me/repo'", PUSH) is None
    assert condition("github.event.workflow_run.conclusion == 'success'", RUN) is True
    # a PR's ref is refs/pull/..., so a branch comparison is decided
    assert condition("github.ref == 'refs/heads/website'", PR) is False


@pytest.mark.parametrize(
    ("group", "ctx", "event", "serialises"),
    [
        (
            "${{ github.workflow }}-${{ github.ref }}",
            PUSH,
            TriggerEvent("push", "refs/heads/main"),
            True,
        ),
        ("deploy-${{ github.run_id }}", PUSH, TriggerEvent("push", "refs/heads/main"), False),
        (
            "${{ github.head_ref || github.run_id }}",
            PUSH,
            TriggerEvent("push", "refs/heads/main"),
            False,
        ),
        (
            "${{ github.head_ref || github.run_id }}",
            PR,
            TriggerEvent("pull_request", None, "pr"),
            False,
        ),
        ("${{ github.sha }}", PUSH, TriggerEvent("push", "refs/heads/main"), False),
        ("${{ secrets.GROUP }}", PUSH, TriggerEvent("push", "refs/heads/main"), None),
    ],
)
def test_a_group_is_judged_per_event(group: str, ctx, event, serialises) -> None:  # type: ignore[no-untyped-def]
    reading = read_group("build", ConcurrencyDef(group, True, Loc("f", 1)), ctx, event)
    assert reading.serialises is serialises


def test_head_ref_or_run_id_is_unique_per_run_on_push() -> None:
    value = interpolate("${{ github.workflow }}-${{ github.head_ref || github.run_id }}", PUSH)
    assert isinstance(value, Sym) and "run" in value.dims


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "wf.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_on_is_read_as_a_string_under_yaml_1_2(tmp_path: Path) -> None:
    path = _write(tmp_path, "on: push\njobs:\n  a:\n    runs-on: x\n    steps: []\n")
    (wf,) = load_workflows([path]).workflows
    assert list(wf.triggers) == ["push"]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("on: [push\n", "line"),
        ("jobs: {}\n", "on"),
        ("on: push\n", "jobs"),
        ("on: push\njobs:\n  a:\n    needs: b\n    steps: []\n", "jobs.a.needs"),
        ("on: push\njobs:\n  a:\n    steps: 3\n", "jobs.a.steps"),
        ("on:\n  workflow_run: {}\njobs:\n  a: {steps: []}\n", "on.workflow_run.workflows"),
        ("- a\n- b\n", "top level"),
    ],
)
def test_bad_files_name_the_file_and_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as err:
        load_workflows([path])
    assert str(path) in str(err.value) and field in str(err.value)


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_workflows([tmp_path / "nope"])


_keys = st.sampled_from(
    [
        "on",
        "jobs",
        "name",
        "concurrency",
        "env",
        "steps",
        "needs",
        "if",
        "run",
        "uses",
        "with",
        "push",
        "branches",
        "workflow_run",
        "workflows",
        "group",
        "cancel-in-progress",
        "build",
    ]
)
_scalars = st.one_of(
    st.sampled_from(
        [
            "push",
            "main",
            "docker pull ghcr.io/a/b:latest",
            "${{ github.sha }}",
            "${{ github.head_ref || github.run_id }}",
            "sleep 10",
            "x",
            "",
            "docker/build-push-action@v6",
            "gcloud run deploy s --image a:b",
        ]
    ),
    st.booleans(),
    st.integers(-3, 3),
    st.none(),
    st.text(max_size=8),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(_keys, _values, max_size=5), st.integers(0, 40))
def test_fuzz_any_workflow_file_is_read_or_rejected_with_an_input_error(
    data: dict[str, object], cut: int
) -> None:
    """Random workflow-shaped YAML (and truncations of it): InputError or a result, nothing else."""
    import json
    import tempfile

    text = json.dumps(data, indent=1)
    for variant in (text, text[: len(text) - cut]):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "wf.yml"
            path.write_text(variant, encoding="utf-8")
            error: InputError | None = None
            try:
                find_pipelines(load_workflows([path]))
            except InputError as exc:
                error = exc
            assert error is None or str(path) in str(error)


def test_every_finding_id_is_documented_with_its_severity() -> None:
    import re

    from racesim.audit.findings import CODES

    page = (Path(__file__).resolve().parents[1] / "docs/reference/findings.md").read_text()
    sections = dict(re.findall(r"^## (RS\d+)\n\n\*\*([^*]*)\*\*", page, re.M))
    assert set(sections) == set(CODES)
    for code, (severity, title) in CODES.items():
        assert sections[code].startswith(severity) and title.split()[0] in sections[code]
