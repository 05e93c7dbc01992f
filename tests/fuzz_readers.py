"""Fuzzing the readers of untrusted input: workflow folders, expressions, scripts, run history.

``racesim audit`` runs on pull requests, so every workflow, action, script and Makefile it reads
was written by whoever opened the pull request; ``racesim ingest`` reads JSON saved from an API.
The generators here start from small valid inputs written for the purpose (templates below, not
anyone's repository) and mutate them the way :mod:`fuzz` mutates TOML (values swapped for extreme
ones, lines deleted, duplicated or inserted, characters changed, text cut short), then add the
hostile shapes of issue 20: YAML alias bombs, deep nesting, big and non-UTF-8 files, symbolic
links and ``../`` paths leading out of the folder, reusable workflows and composite actions that
call themselves, unterminated quotes and deep ``$( )`` in scripts, deep or huge JSON.

Each ``run_*`` function is a target of :data:`fuzz.TARGETS`: it returns, or raises racesim's own
error; anything else is a crash. ``run_workflow`` also fails when the content of a file outside
the audited folder (:data:`OUTSIDE_MARK`) shows up in what was read: a path that leaves the folder
must be reported, not followed.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from racesim.github.context import TriggerEvent, event_context
from racesim.github.expressions import Open, Sym, condition, evaluate, interpolate
from racesim.github.pipelines import read_repo
from racesim.github.shell import Script, parse
from racesim.github.workflows import load_workflows
from racesim.ingest import read_history

#: what every file outside the audited folder holds: it must never appear in a reading
OUTSIDE_MARK = "OUTSIDE-CONTENT-b7e1"

# -- seeds: a small repository written for the fuzzer ----------------------------------------------

WORKFLOWS = {
    "build.yml": """\
name: Build and deploy
on:
  push:
    branches: [main]
    paths-ignore: ['docs/**']
  workflow_dispatch:
concurrency:
  group: deploy-${{ github.ref }}
  cancel-in-progress: true
env:
  IMAGE: ghcr.io/acme/app
  TAG: ${{ github.sha }}
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - uses: actions/checkout@v4
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
      - id: push
        uses: docker/build-push-action@v6
        with:
          push: true
          tags: ${{ env.IMAGE }}:latest,${{ env.IMAGE }}:${{ env.TAG }}
  deploy:
    needs: build
    if: github.ref == 'refs/heads/main' && success()
    runs-on: ubuntu-latest
    environment: production
    steps:
      - uses: google-github-actions/auth@v2
      - uses: google-github-actions/deploy-cloudrun@v2
        with:
          service: app
          image: ${{ env.IMAGE }}@${{ needs.build.outputs.digest }}
""",
    "release.yml": """\
name: Release
on:
  push:
    tags: ['v*']
jobs:
  release:
    runs-on: ubuntu-latest
    env:
      REGISTRY: ghcr.io/acme
    steps:
      - uses: actions/checkout@v4
      - run: ./scripts/deploy.sh
      - id: image
        run: |
          docker build -t "$REGISTRY/app:${GITHUB_SHA}" .
          docker push "$REGISTRY/app:${GITHUB_SHA}"
          echo "ref=$REGISTRY/app:${GITHUB_SHA}" >> "$GITHUB_OUTPUT"
      - run: make deploy IMAGE=${{ steps.image.outputs.ref }}
      - run: bash scripts/wait.sh
        shell: bash
""",
    "deploy.yml": """\
name: Deploy
on:
  workflow_run:
    workflows: [Build and deploy]
    types: [completed]
    branches: [main]
jobs:
  deploy:
    if: ${{ github.event.workflow_run.conclusion == 'success' }}
    runs-on: ubuntu-latest
    concurrency: production
    steps:
      - uses: ./.github/actions/deploy
        with:
          image: ghcr.io/acme/app:${{ github.event.workflow_run.head_sha }}
      - run: kubectl set image deployment/app app=ghcr.io/acme/app:latest
      - run: |
          for i in $(seq 1 30); do
            kubectl rollout status deployment/app && break
            sleep 10
          done
""",
    "caller.yml": """\
on: [push, pull_request]
jobs:
  build:
    uses: ./.github/workflows/reusable.yml
    with:
      tag: ${{ github.sha }}
  again:
    needs: build
    if: ${{ !cancelled() }}
    uses: ./.github/workflows/reusable.yml
    with:
      tag: ${{ needs.build.outputs.image }}
  remote:
    uses: acme/shared/.github/workflows/deploy.yml@main
    secrets: inherit
""",
    "reusable.yml": """\
on:
  workflow_call:
    inputs:
      tag:
        type: string
        default: latest
    outputs:
      image:
        value: ${{ jobs.push.outputs.image }}
concurrency:
  group: push-${{ inputs.tag }}
jobs:
  push:
    runs-on: ubuntu-latest
    outputs:
      image: ghcr.io/acme/app:${{ inputs.tag }}
    steps:
      - uses: ./.github/actions/build
        with:
          tag: ${{ inputs.tag }}
      - run: docker push ghcr.io/acme/app:${{ inputs.tag }}
  nested:
    needs: push
    uses: ./.github/workflows/reusable.yml
    with:
      tag: ${{ format('{0}-again', inputs.tag) }}
""",
    "matrix.yml": """\
name: Matrix
on:
  schedule:
    - cron: '0 3 * * *'
  release:
    types: [published]
defaults:
  run:
    shell: bash
jobs:
  images:
    strategy:
      matrix:
        variant: [slim, full]
        include:
          - variant: debug
    runs-on: ubuntu-latest
    concurrency:
      group: images-${{ matrix.variant }}
      cancel-in-progress: ${{ github.event_name != 'release' }}
    steps:
      - uses: docker/metadata-action@v5
        id: meta
        with:
          images: ghcr.io/acme/app
          tags: |
            type=sha
            type=raw,value=latest,enable={{is_default_branch}}
      - uses: docker/build-push-action@v6
        with:
          push: ${{ github.event_name != 'pull_request' }}
          tags: ${{ steps.meta.outputs.tags }}
      - uses: ./.github/actions/self
""",
}

ACTIONS = {
    "deploy": """\
name: Deploy
inputs:
  image:
    required: true
  region:
    default: europe-west1
runs:
  using: composite
  steps:
    - run: gcloud run deploy app --image ${{ inputs.image }} --region ${{ inputs.region }}
      shell: bash
    - uses: ./.github/actions/build
      with:
        tag: ${{ inputs.image }}
""",
    "build": """\
name: Build
inputs:
  tag:
    default: latest
runs:
  using: composite
  steps:
    - run: docker build -t ghcr.io/acme/app:${{ inputs.tag }} .
      shell: bash
    - run: ./scripts/push.sh ${{ inputs.tag }}
      shell: bash
""",
    "self": """\
name: Calls itself
runs:
  using: composite
  steps:
    - run: docker push ghcr.io/acme/app:latest
      shell: bash
    - uses: ./.github/actions/self
""",
    "docker": """\
name: In a container
runs:
  using: docker
  image: Dockerfile
""",
}

SCRIPTS = {
    "scripts/deploy.sh": """\
#!/usr/bin/env bash
set -euo pipefail
IMAGE="ghcr.io/acme/app"
TAG="${GITHUB_SHA:-latest}"
docker build -t "$IMAGE:$TAG" .
docker push "$IMAGE:$TAG"
helm upgrade --install app ./chart --set image.tag="$TAG"
source ./scripts/wait.sh
""",
    "scripts/wait.sh": """\
#!/bin/sh
for i in $(seq 1 30); do
  if curl -fsS "https://app.example.com/version" | grep -q "$GITHUB_SHA"; then exit 0; fi
  sleep 10
done
exit 1
""",
    "scripts/push.sh": """\
#!/bin/bash
docker tag app "ghcr.io/acme/app:$1"
docker push "ghcr.io/acme/app:$1"
bash ./scripts/deploy.sh
""",
    "Makefile": """\
IMAGE ?= ghcr.io/acme/app
TAG := $(shell git rev-parse --short HEAD)
-include config.mk
build:
\tdocker build -t $(IMAGE):$(TAG) .
push: build
\tdocker push $(IMAGE):$(TAG)
deploy: push
\tkubectl set image deployment/app app=$(IMAGE):$(TAG)
\t$(MAKE) push
""",
    "config.mk": "REGISTRY = ghcr.io\nIMAGE = $(REGISTRY)/acme/app\n",
    "pyproject.toml": '[tool.racesim.audit]\nsteps = ["push=publish-image", "rollout=^ship"]\n',
    ".racesim.toml": '[audit]\nsteps = ["wait=wait-for"]\n',
}

#: values a mutation puts after a ``key:``: YAML's odd scalars, wrong types, hostile expressions
YAML_VALUES = [
    "~",
    "null",
    "true",
    "yes",
    "on",
    "0x10",
    "0o17",
    "1e999",
    ".nan",
    "-.inf",
    "9" * 5000,
    "2001-12-14t21:59:43.10-05:00",
    "[]",
    "{}",
    "[a, [b, [c]]]",
    "{a: {b: c}}",
    "''",
    "'it''s'",
    '"\\0"',
    '"\\uD800"',
    '"\\x00\\t\\u2028"',
    "'unterminated",
    '"unterminated',
    "|",
    ">-",
    "!!binary aGVsbG8=",
    "!!python/object/apply:os.system ['echo x']",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!Ref thing",
    "*undefined",
    "&anchor value",
    "a" * 3000,
    "${{ github.sha }}",
    "${{",
    "}}",
    "${{ ${{ }} }}",
    "${{ " + "(" * 60 + "1" + ")" * 60 + " }}",
    "${{ " + " && ".join(["success()"] * 200) + " }}",
    "${{ fromJSON('" + "[" * 80 + "]" * 80 + "') }}",
    "${{ format('{0}{0}{0}{0}', env.IMAGE) }}",
    "${{ toJSON(github) }}",
    "${{ 0x" + "f" * 300 + " }}",
    "${{ secrets.A || secrets.B || inputs.c }}",
    "./.github/actions/deploy",
    "./.github/actions/self",
    "./.github/workflows/reusable.yml",
    "./../../etc",
    "./../outside",
    "./../outside/ci.yml",
    "./.github/actions/../../../outside",
    "/etc/passwd",
    "./" + "a" * 300,
    "./.github/actions/build/action.yml",
    "./",
    "./.github",
    "docker://alpine:3",
    "acme/shared/.github/workflows/deploy.yml@main",
    "bash ../outside/deploy.sh",
    "./scripts/../../outside/deploy.sh",
    "source /etc/passwd",
    "make -C .. deploy",
    "make deploy deploy push",
    "composite",
    "docker",
]

#: lines a mutation inserts: keys the readers know, in places they may not expect them
YAML_SNIPPETS = [
    "jobs:",
    "on:",
    "on: workflow_call",
    "  x:",
    "    uses: ./.github/workflows/reusable.yml",
    "    uses: ./.github/workflows/build.yml",
    "    needs: [x, y, build]",
    "    needs: x",
    "    if: ${{ failure() }}",
    "    steps:",
    "      - uses: ./.github/actions/self",
    "      - uses: ./.github/actions/deploy",
    "      - uses: ./.github/actions/x",
    "      - uses: ./../outside",
    "      - run: ./scripts/deploy.sh",
    "      - run: bash ../outside/deploy.sh",
    "      - run: make deploy",
    "      - run: docker push ghcr.io/acme/app:${{ github.run_id }}",
    "      - {}",
    "      - []",
    "      -",
    "runs:\n  using: composite\n  steps:\n    - uses: ./.github/actions/self",
    "concurrency: ${{ github.workflow }}",
    "concurrency:\n  cancel-in-progress: true",
    "env: [a, b]",
    "x: &a [1, *a]",
    "<<: *nothing",
    "<<: [1, 2]",
    "---",
    "--- !!str",
    "...",
    "%YAML 1.1",
    "? [complex, key]\n: value",
    "\t- tab",
    "key: value: other",
    "x: " + "[" * 200 + "]" * 200,
    "x: " + "{a: " * 60 + "b" + "}" * 60,
    "# " + "comment " * 500,
]


@st.composite
def yaml_texts(draw: st.DrawFn, text: str) -> str:
    """`text` with up to six line mutations (none or one most often)."""
    lines = text.splitlines()
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 1, 2, 2, 3, 6]))):
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.integers(0, 9))
        if how <= 3 and ":" in lines[i]:  # a new value for a key
            key = lines[i].split(":", 1)[0]
            lines[i] = f"{key}: {draw(st.sampled_from(YAML_VALUES))}"
        elif how == 4:
            del lines[i]
        elif how == 5:
            lines.insert(i, lines[draw(st.integers(0, len(lines) - 1))])
        elif how in (6, 7):
            indent = " " * draw(st.sampled_from([0, 2, 4, 6]))
            snippet = draw(st.sampled_from(YAML_SNIPPETS))
            lines.insert(i, indent + snippet.replace("\n", "\n" + indent))
        elif how == 8:  # characters changed inside a line
            line = lines[i]
            at = draw(st.integers(0, len(line)))
            new = draw(st.text(st.characters(codec="utf-8"), max_size=4))
            lines[i] = line[:at] + new + line[at + draw(st.integers(0, 3)) :]
        else:  # the file cut short
            lines = lines[:i]
    return "\n".join(lines) + "\n"


def _alias_bomb(levels: int, width: int) -> str:
    """``levels`` anchors, each a list of `width` aliases of the one before: width^levels nodes."""
    lines = [f"x-b0: &b0 [{', '.join(['lol'] * width)}]"]
    for k in range(1, levels):
        lines.append(f"x-b{k}: &b{k} [{', '.join([f'*b{k - 1}'] * width)}]")
    return "\n".join(lines)


@st.composite
def hostile_yaml(draw: st.DrawFn, text: str) -> bytes:
    """`text` (a workflow or action) made hostile in one of the ways issue 20 lists, or kept."""
    how = draw(st.integers(0, 11))
    if how == 0:  # an alias bomb, used where the readers copy values (env, run, with)
        levels, width = draw(st.integers(2, 9)), draw(st.integers(2, 9))
        use = draw(st.sampled_from(["env:\n  BOMB: *b", "concurrency: *b", "name: *b"]))
        return (f"{_alias_bomb(levels, width)}\n{use}{levels - 1}\n{text}").encode()
    if how == 1:  # the bomb as a step's script or inputs
        levels, width = draw(st.integers(2, 7)), draw(st.integers(2, 7))
        key = draw(st.sampled_from(["run", "with", "env", "if", "uses", "shell"]))
        bomb = _alias_bomb(levels, width)
        return (
            bomb + "\n" + text.replace("  - run:", f"  - {key}: *b{levels - 1}\n    run:", 1)
        ).encode()
    if how == 2:  # deep flow nesting at a length the limit sits in, or far beyond it
        depth = draw(st.sampled_from([10, 97, 98, 99, 100, 101, 150, 1000, 10_000]))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}")]))
        return (text + f"x-deep: {opener * depth}1{closer * depth}\n").encode()
    if how == 3:  # deep block nesting
        depth = draw(st.sampled_from([20, 99, 101, 300]))
        block = "".join(" " * i + f"k{i}:\n" for i in range(depth)) + " " * depth + "v\n"
        return (
            text + "x-block:\n" + "".join(" " + line + "\n" for line in block.splitlines())
        ).encode()
    if how == 4:  # not UTF-8
        raw = text.encode("utf-8")
        at = draw(st.integers(0, len(raw)))
        bad = draw(st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"]))
        return raw[:at] + bad + raw[at:]
    if how == 5:  # encoded otherwise: UTF-16 with a BOM, Latin-1
        codec = draw(st.sampled_from(["utf-16", "latin-1", "utf-8-sig"]))
        return text.replace("app", "äpp").encode(codec, "replace")
    if how == 6:  # big: a long comment, a long scalar, many steps (kept to what 5 s can read)
        size = draw(st.sampled_from([10_000, 100_000, (1 << 20) + 1]))
        pad = draw(st.sampled_from(["# " + "x" * size, "x-long: " + "y" * size]))
        return (text + pad + "\n").encode()
    if how == 7:  # many anchors and aliases that stay small (allowed)
        n = draw(st.integers(1, 200))
        anchors = "".join(f"x-a{i}: &a{i} v{i}\n" for i in range(n))
        return (anchors + text + "env:\n" + "".join(f"  A{i}: *a{i}\n" for i in range(n))).encode()
    if how == 8:  # env values that double with every line, through expressions
        n = draw(st.integers(1, 40))
        env = "".join(f"  D{i + 1}: ${{{{ env.D{i} }}}}${{{{ env.D{i} }}}}\n" for i in range(n))
        return ("env:\n  D0: xxxxxxxxxx\n" + env + text).encode()
    return text.encode()


# -- repositories on disk ------------------------------------------------------------------------


@dataclass(frozen=True)
class RepoSpec:
    """A repository to write: files (path, bytes), symbolic links (path, target), FIFOs."""

    files: tuple[tuple[str, bytes], ...]
    links: tuple[tuple[str, str], ...] = ()
    fifos: tuple[str, ...] = ()


#: where a link may point: out of the folder (absolute or relative), nowhere, at itself, devices
LINK_TARGETS = [
    "{outside}/ci.yml",
    "{outside}/action",
    "{outside}/action/action.yml",
    "{outside}/deploy.sh",
    "{outside}/Makefile",
    "{outside}",
    "../../../outside/ci.yml",
    "../../outside/action",
    "../../../outside/action",
    "../outside/deploy.sh",
    "/etc",
    "/dev/zero",
    "/proc/self/status",
    "no-such-file",
    "loop",
    ".",
]

#: paths in a repository a link or FIFO replaces
LINKED_PATHS = [
    ".github/workflows/build.yml",
    ".github/workflows/linked.yml",
    ".github/actions/deploy",
    ".github/actions/build/action.yml",
    ".github/actions/x",
    "scripts/deploy.sh",
    "scripts",
    "Makefile",
    "config.mk",
    "pyproject.toml",
    ".racesim.toml",
    "loop",
]


@st.composite
def repos(draw: st.DrawFn) -> RepoSpec:
    """A repository from the templates: some workflows, actions and scripts, mutated."""
    names = draw(st.lists(st.sampled_from(sorted(WORKFLOWS)), min_size=1, max_size=3, unique=True))
    if "caller.yml" in names and "reusable.yml" not in names:
        names.append("reusable.yml")
    texts: dict[str, str] = {f".github/workflows/{n}": WORKFLOWS[n] for n in names}
    for name, text in ACTIONS.items():
        if draw(st.integers(0, 5)):
            texts[f".github/actions/{name}/action.yml"] = text
    for path, text in SCRIPTS.items():
        if draw(st.integers(0, 3)):
            texts[path] = text
    files: dict[str, bytes] = {}
    yaml_paths = [p for p in texts if p.endswith(".yml")]
    mutated = set(draw(st.lists(st.sampled_from(yaml_paths), max_size=2)))
    hostile = set(draw(st.lists(st.sampled_from(yaml_paths), max_size=1)))
    for path, text in texts.items():
        if path in mutated:
            text = draw(yaml_texts(text))
        elif not path.endswith(".yml") and draw(st.integers(0, 4)) == 0:
            text = draw(script_texts(text, big=False))
        files[path] = draw(hostile_yaml(text)) if path in hostile else text.encode()
    links: list[tuple[str, str]] = []
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2]))):
        links.append((draw(st.sampled_from(LINKED_PATHS)), draw(st.sampled_from(LINK_TARGETS))))
    fifos = tuple(draw(st.lists(st.sampled_from(["scripts/wait.sh", "Makefile"]), max_size=1)))
    if draw(st.integers(0, 9)) == 0:  # a folder named like a workflow file
        files[".github/workflows/folder.yml/x"] = b""
    return RepoSpec(tuple(sorted(files.items())), tuple(links), fifos)


def _outside(base: Path) -> Path:
    """A folder beside the audited one, every file in it marked with :data:`OUTSIDE_MARK`."""
    outside = base / "outside"
    if not outside.is_dir():
        (outside / "action").mkdir(parents=True)
        step = f"    - run: docker push {OUTSIDE_MARK}:latest\n      shell: bash\n"
        (outside / "action" / "action.yml").write_text(
            f"name: {OUTSIDE_MARK}\nruns:\n  using: composite\n  steps:\n{step}"
        )
        (outside / "ci.yml").write_text(
            f"name: {OUTSIDE_MARK}\non: push\njobs:\n  x:\n    runs-on: x\n    steps:\n"
            f"      - run: docker push {OUTSIDE_MARK}:latest\n"
        )
        (outside / "deploy.sh").write_text(f"docker push {OUTSIDE_MARK}:latest\n")
        (outside / "Makefile").write_text(f"deploy:\n\tdocker push {OUTSIDE_MARK}:latest\n")
    return outside


_BASE: list[Path] = []


def _base() -> Path:
    """This process's scratch folder, holding ``outside/`` and each input's ``repo/``."""
    if not _BASE:
        _BASE.append(Path(tempfile.mkdtemp(prefix="racesim-fuzz-repos-")))
        atexit.register(shutil.rmtree, _BASE[0], ignore_errors=True)
    return _BASE[0]


@contextlib.contextmanager
def written(spec: RepoSpec) -> Iterator[Path]:
    """`spec` written under the scratch folder (removed afterwards), beside ``outside/``."""
    base = _base()
    outside = _outside(base)
    root = base / "repo"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    try:
        for rel, data in spec.files:
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for rel, target in spec.links:
            path = root / rel
            with contextlib.suppress(OSError):  # under an earlier link: not a place for one
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                elif path.exists() or path.is_symlink():
                    path.unlink()
                path.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(target.format(outside=outside), path)
        for rel in spec.fifos:
            path = root / rel
            if path.is_file() and not path.is_symlink():
                path.unlink()
                os.mkfifo(path)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_workflow(spec: RepoSpec) -> None:
    """Read `spec` as ``racesim audit`` does (workflows, then what they call), checking no leak."""
    with written(spec) as root:
        repo = load_workflows([root])
        reading = read_repo(repo)
        seen = repr(repo.workflows) + repr(reading) + repr(repo.notes)
        assert OUTSIDE_MARK not in seen, "a file outside the audited folder was read"


# -- expressions -----------------------------------------------------------------------------------

_ATOMS = [
    "1",
    "-1",
    "0.5",
    "1e999",
    "-0",
    "0x1F",
    "0x" + "f" * 300,
    "9" * 400,
    "true",
    "FALSE",
    "null",
    "''",
    "'it''s'",
    "'refs/heads/main'",
    "'{0}-{1}'",
    "'[1, [2, {\"a\": null}]]'",
    "'" + "[" * 60 + "]" * 60 + "'",
    "'" + "9" * 5000 + "'",
    "github.sha",
    "github.ref",
    "github.event_name",
    "github.event.workflow_run.head_sha",
    "github.event.pull_request.head.sha",
    "github['ref_name']",
    "github.*",
    "env.IMAGE",
    "env.LONG",
    "env.MAP",
    "env.MISSING",
    "inputs.tag",
    "needs.build.outputs.digest",
    "steps.push.outputs.digest",
    "steps.meta.outputs",
    "secrets.TOKEN",
    "vars.REGION",
    "matrix.variant",
    "runner.os",
    "job.status",
    "success()",
    "always()",
    "failure()",
    "cancelled()",
    "hashFiles('**/go.sum')",
]
_FUNCTIONS = ["format", "startsWith", "endsWith", "contains", "fromJSON", "toJSON", "join", "x"]


def _expressions(depth: int) -> st.SearchStrategy[str]:
    atom = st.sampled_from(_ATOMS)
    if depth == 0:
        return atom
    inner = _expressions(depth - 1)
    return st.one_of(
        atom,
        st.tuples(
            inner, st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "&&", "||"]), inner
        ).map(" ".join),
        inner.map(lambda e: f"!{e}"),
        inner.map(lambda e: f"({e})"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(st.sampled_from(_FUNCTIONS), st.lists(inner, max_size=4)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
    )


_EXPRESSIONS = _expressions(3)


@st.composite
def expression_inputs(draw: st.DrawFn) -> tuple[str, str]:
    """``(how, text)``: an expression (grammatical, wrapped deep, chained long, or mangled)."""
    expr = draw(_EXPRESSIONS)
    shape = draw(st.integers(0, 9))
    if shape == 0:  # nested around the limit (50) or far beyond it
        depth = draw(st.sampled_from([10, 49, 50, 51, 200, 5000]))
        left, right = draw(
            st.sampled_from([("(", ")"), ("!", ""), ("fromJSON(", ")"), ("github[", "]")])
        )
        expr = left * depth + expr + right * depth
    elif shape == 1:  # long chains, some beyond the length limit (21,000)
        n = draw(st.sampled_from([2, 100, 2000, 6000]))
        expr = f" {draw(st.sampled_from(['&&', '||', '==', '<']))} ".join([expr] * n)
    elif shape == 2:  # mangled: characters inserted, deleted, cut
        at = draw(st.integers(0, len(expr)))
        new = draw(st.text(st.characters(codec="utf-8"), max_size=3))
        expr = expr[:at] + new + expr[at + draw(st.integers(0, 3)) :]
    elif shape == 3:  # token soup
        tokens = draw(
            st.lists(
                st.sampled_from([*_ATOMS, "(", ")", "[", "]", ",", ".", "!", "&&", "||", "=="]),
                max_size=12,
            )
        )
        expr = " ".join(tokens)
    how = draw(st.sampled_from(["evaluate", "condition", "condition${{", "interpolate"]))
    if how == "interpolate":
        parts = draw(
            st.lists(
                st.sampled_from(["x-", "${{ ", " }}", "${{", "}}", "$", "{", expr]), max_size=8
            )
        )
        expr = "".join(parts) + "${{ " + expr + " }}"
    elif how == "condition${{":
        expr = "${{ " + expr + " }}"
    return how, expr


def _context() -> dict[str, Any]:
    """What a step sees: the push context, env with long and odd values, open step outputs."""
    ctx = event_context(TriggerEvent("push", "refs/heads/main"), "Build and deploy")
    ctx["env"] = {
        "IMAGE": "ghcr.io/acme/app",
        "LONG": "x" * 40_000,
        "MAP": {"a": [1, {"b": None}], "s": Sym("<s>", frozenset({"run"}))},
        "SYM": Sym("<maybe>", frozenset({"unknown"}), None),
    }
    ctx["inputs"] = {"tag": Sym("<tag>", frozenset({"commit"})), "n": 3.0}
    ctx["steps"] = Open(
        {"push": {"outputs": Open({"digest": Sym("<digest>", frozenset({"run"}))})}}
    )
    ctx["needs"] = {"build": {"outputs": Open()}}
    ctx["matrix"] = {"variant": ["slim", "full"]}
    return ctx


_CONTEXT = _context()


def run_expression(value: tuple[str, str]) -> None:
    how, text = value
    if how == "evaluate":
        evaluate(text, _CONTEXT)
    elif how == "interpolate":
        interpolate(text, _CONTEXT)
    else:
        assert condition(text, _CONTEXT) in (True, False, None)


# -- scripts ---------------------------------------------------------------------------------------

_SCRIPT_LINES = [
    "set -euo pipefail",
    'IMAGE="ghcr.io/acme/app"',
    "TAG=$(git rev-parse --short HEAD)",
    'docker build -t "$IMAGE:$TAG" .',
    'docker push "$IMAGE:$TAG"',
    "docker push ghcr.io/acme/app:<commit-sha>",
    'echo "digest=$(docker inspect --format={{.Id}} app)" >> "$GITHUB_OUTPUT"',
    "echo ::set-output name=tag::$TAG",
    'echo "TAG=$TAG" >> $GITHUB_ENV',
    "gcloud run deploy app --image ${IMAGE}:${TAG} --region europe-west1",
    "kubectl set image deployment/app app=$IMAGE:$TAG",
    "helm upgrade --install app ./chart --set image.tag=$TAG",
    "for i in $(seq 1 30); do curl -fsS $URL && break; sleep 10; done",
    "while ! kubectl rollout status deployment/app; do sleep 5; done",
    "until [ -f done ]; do sleep 1; done",
    'if [ "$GITHUB_REF" = refs/heads/main ]; then ./scripts/deploy.sh; fi',
    'case "$1" in prod) make deploy;; *) echo no;; esac',
    'f() { docker push "$1"; }; f app',
    "cat <<EOF > values.yaml\nimage: $IMAGE:$TAG\nEOF",
    "cat <<'EOF'\n$(not expanded)\nEOF",
    "echo `git rev-parse HEAD`",
    "echo $(( 1 + $(echo 2) ))",
    "x=${TAG:-latest}; y=${TAG#v}; z=${TAG/-/_}",
    "source ./scripts/lib.sh",
    "bash ../outside/deploy.sh",
    "RSQ0Q RSQ99Q <not-a-mark",
    "echo 'unterminated",
    'echo "unterminated',
    "echo $(unterminated",
    "{ echo a; echo b; } | tee out",
    "(cd sub && make)",
    "echo a \\\n  b \\\n  c",
    "exec 3>&1; echo x >&3",
    "echo \x00 \x01 \t\r",
]


@st.composite
def script_texts(draw: st.DrawFn, seed: str | None = None, big: bool = True) -> str:
    """A script from known lines (or `seed`), mutated, sometimes with a hostile shape added.

    Without `big`, the shapes stay near 10 KB: a repository's scripts are read once per call
    path (a step, a composite action used ten levels deep, each event), and reading is about a
    second per megabyte, so large scripts there measure slowness, not the crashes a fuzz run looks
    for (``tests/test_hostile_repos.py`` has the large cases).
    """

    def size(big_choices: list[int], small_choices: list[int]) -> int:
        return draw(st.sampled_from(big_choices if big else small_choices))

    lines = (seed or "").splitlines() or draw(st.lists(st.sampled_from(_SCRIPT_LINES), max_size=10))
    for _ in range(draw(st.sampled_from([0, 1, 1, 2, 4]))):
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.integers(0, 4))
        if how == 0:
            lines.insert(i, draw(st.sampled_from(_SCRIPT_LINES)))
        elif how == 1:
            del lines[i]
        elif how == 2:
            line = lines[i]
            at = draw(st.integers(0, len(line)))
            new = draw(st.text(st.characters(codec="utf-8"), max_size=3))
            lines[i] = line[:at] + new + line[at + draw(st.integers(0, 3)) :]
        elif how == 3:
            lines.insert(i, lines[draw(st.integers(0, len(lines) - 1))])
        else:
            lines = lines[:i]
    text = "\n".join(lines) + "\n"
    shape = draw(st.integers(0, 12))
    if shape == 0:  # deep $( ), backticks, subshells, braces, if and for
        depth = size([5, 50, 300, 3000], [5, 50, 300])
        left, right = draw(
            st.sampled_from(
                [
                    ("echo $(", ")"),
                    ("(", ")"),
                    ("{ ", "; }"),
                    ("if true; then ", "; fi"),
                    ("for i in 1; do ", "; done"),
                    ("$((", "))"),
                    ('"$(', ')"'),
                ]
            )
        )
        text += left * depth + "docker push app:x" + right * depth + "\n"
    elif shape == 1:  # a huge heredoc, closed or not
        n = size([100, 10_000, 40_000], [10, 300])
        end = draw(st.sampled_from(["EOF\n", ""]))
        text += "cat <<EOF\n" + "image: $IMAGE:$TAG\n" * n + end + "docker push x\n"
    elif shape == 2:  # an unterminated quote somewhere in a long script
        quote = draw(st.sampled_from(["'", '"', "`", "$(", "${"]))
        text = text * size([1, 100, 2000], [1, 10])
        at = draw(st.integers(0, len(text)))
        text = text[:at] + quote + text[at:]
    elif shape == 3:  # one very long word, or a long line of many
        n = size([10_000, 250_000], [10_000])
        text += draw(
            st.sampled_from(["x" * n, "echo " + "a " * (n // 2), '"' + "a b " * (n // 4) + '"'])
        )
    elif shape == 4:  # long chains
        n = size([100, 5000], [100, 500])
        text += draw(st.sampled_from([" && ", " | ", "; ", " || "])).join(["docker push x"] * n)
    elif shape == 5:  # variables that double with every line
        n = draw(st.integers(1, 22 if big else 8))
        text += "V0=xxxxxxxxxx\n" + "".join(f"V{i + 1}=$V{i}$V{i}\n" for i in range(n))
        text += f"docker push app:$V{n}\n"
    return text


def run_script(text: str) -> None:
    script = parse(text)
    assert isinstance(script, Script)
    last = max(text.count("\n"), len(text.splitlines()))
    for cmd in script.commands:
        assert 0 <= cmd.line <= last, (cmd.line, last)
        assert all(isinstance(w, str) for w in cmd.words)


# -- run history (ingest) --------------------------------------------------------------------------


def _run(run_id: int, name: str, sha: str, created: str) -> dict[str, Any]:
    return {
        "id": run_id,
        "name": name,
        "path": f".github/workflows/{name.lower()}.yml",
        "workflow_id": 7,
        "event": "push",
        "status": "completed",
        "conclusion": "success",
        "head_sha": sha,
        "head_branch": "main",
        "run_attempt": 1,
        "created_at": created,
        "run_started_at": created,
        "updated_at": "2026-03-02T09:10:00Z",
    }


def _job(job_id: int, run_id: int) -> dict[str, Any]:
    return {
        "id": job_id,
        "run_id": run_id,
        "run_attempt": 1,
        "name": "build",
        "status": "completed",
        "conclusion": "success",
        "workflow_name": "Build",
        "head_sha": "abc123",
        "created_at": "2026-03-02T09:00:05Z",
        "started_at": "2026-03-02T09:00:10Z",
        "completed_at": "2026-03-02T09:05:00Z",
        "steps": [
            {
                "name": "Set up job",
                "status": "completed",
                "conclusion": "success",
                "number": 1,
                "started_at": "2026-03-02T10:00:10.000+01:00",
                "completed_at": "2026-03-02T10:00:12.000+01:00",
            },
            {
                "name": "Build and push",
                "status": "completed",
                "conclusion": "success",
                "number": 5,
                "started_at": "2026-03-02T09:00:12.000Z",
                "completed_at": "2026-03-02T09:05:00.000Z",
            },
        ],
    }


JSON_SEEDS: list[Any] = [
    {
        "total_count": 2,
        "workflow_runs": [
            _run(1, "Build", "abc123", "2026-03-02T09:00:00Z"),
            _run(2, "Deploy", "abc123", "2026-03-02T09:06:00Z"),
        ],
    },
    {"total_count": 1, "jobs": [_job(11, 1)]},
    _run(1, "Build", "abc123", "2026-03-02T09:00:00Z"),
    _job(11, 1),
    [
        {
            "databaseId": 1,
            "workflowName": "Build",
            "headSha": "abc123",
            "headBranch": "main",
            "event": "push",
            "status": "completed",
            "conclusion": "success",
            "createdAt": "2026-03-02T09:00:00Z",
            "startedAt": "2026-03-02T09:00:00Z",
            "updatedAt": "0001-01-01T00:00:00Z",
            "attempt": 1,
        }
    ],
    {
        "databaseId": 1,
        "workflowName": "Build",
        "headSha": "abc123",
        "createdAt": "2026-03-02T09:00:00Z",
        "jobs": [
            {
                "databaseId": 11,
                "name": "build",
                "status": "completed",
                "conclusion": "success",
                "startedAt": "2026-03-02T09:00:10Z",
                "completedAt": "0001-01-01T00:00:00Z",
                "url": "https://github.com/acme/app/actions/runs/1/job/11",
                "steps": [{"name": "x", "number": 1, "startedAt": "2026-03-02T09:00:10Z"}],
            }
        ],
    },
    {
        "action": "completed",
        "workflow": {"name": "Build"},
        "workflow_run": _run(1, "", "abc123", "2026-03-02T09:00:00Z"),
    },
    {"action": "queued", "workflow_job": {**_job(12, 1), "status": "queued", "steps": []}},
    {
        "action": "published",
        "registry_package": {
            "name": "app",
            "package_version": {
                "version": "sha256:abc",
                "created_at": "2026-03-02T09:05:00Z",
                "container_metadata": {"tag": {"name": "latest"}, "labels": {"revision": "abc123"}},
            },
        },
    },
    {"billable": {"UBUNTU": {"total_ms": 1000}}},
]

JSON_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**63,
    10**40,
    1e308,
    -0.0,
    "",
    "x",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00-05:00",
    "2026-03-02T09:00:00",
    "2026-02-30T00:00:00Z",
    "2026-03-02T09:00:00.123456789Z",
    "2026-03-02 09:00:00Z",
    "+002026-03-02T09:00:00Z",
    "queued",
    "waiting",
    "completed",
    [],
    {},
    [[[[[]]]]],
    {"id": 1},
]
#: text spliced into the JSON: what json.dumps never writes but a saved file may hold
JSON_SPLICES = [
    "1" * 5000,
    "1e999",
    "NaN",
    "-Infinity",
    "[" * 100_000,
    "[" * 5000 + "]" * 5000,
    '"\\ud800"',
    '"\\u0000"',
    "\ufeff",
    "}{",
    "][",
    "\n{}\n",
    "null",
]


@st.composite
def json_files(draw: st.DrawFn) -> bytes:
    """A saved API response: a seed with values replaced, pages joined, text spliced or cut."""
    import json

    docs = draw(st.lists(st.sampled_from(range(len(JSON_SEEDS))), min_size=1, max_size=3))
    values = [json.loads(json.dumps(JSON_SEEDS[i])) for i in docs]
    for _ in range(draw(st.sampled_from([0, 1, 1, 2, 3, 5]))):
        node: Any = draw(st.sampled_from(values))
        for _step in range(draw(st.integers(0, 4))):  # walk down a few levels
            if isinstance(node, dict) and node:
                child = node[draw(st.sampled_from(sorted(node)))]
            elif isinstance(node, list) and node:
                child = node[draw(st.integers(0, len(node) - 1))]
            else:
                break
            if not isinstance(child, dict | list):
                break
            node = child
        if isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)))
            how = draw(st.integers(0, 3))
            if how == 0:
                del node[key]
            else:
                node[key] = json.loads(json.dumps(draw(st.sampled_from(JSON_VALUES))))
        elif isinstance(node, list) and node:
            i = draw(st.integers(0, len(node) - 1))
            new = draw(st.sampled_from([node[i], *JSON_VALUES]))
            node.insert(i, json.loads(json.dumps(new)))  # a copy: the values are shared
    if draw(st.booleans()) and len(values) > 1:
        text = json.dumps(values)  # gh api --paginate --slurp
    else:
        indent = draw(st.sampled_from([None, 1]))
        text = draw(st.sampled_from(["", "\n", " "])).join(
            json.dumps(v, indent=indent) for v in values
        )
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        at = draw(st.integers(0, len(text)))
        how = draw(st.integers(0, 3))
        if how == 0:
            text = text[:at] + draw(st.sampled_from(JSON_SPLICES)) + text[at:]
        elif how == 1:
            text = text[:at]
        elif how == 2:
            text = text[:at] + text[at + draw(st.integers(1, 5)) :]
        else:
            text = text[:at] + draw(st.text(max_size=3)) + text[at:]
    raw = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 19)) == 0:  # not UTF-8
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"])) + raw[at:]
    return raw


def run_ingest(raw: bytes) -> None:
    path = _base() / "history.json"
    path.write_bytes(raw)
    history = read_history([path])
    for run in history.runs:
        run.queued  # noqa: B018 - computing it is the test
        run.ended  # noqa: B018
        run.ended_from  # noqa: B018
    for job in history.all_jobs():
        job.steps_agree  # noqa: B018
    history.span  # noqa: B018
