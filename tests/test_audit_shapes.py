"""The audit on small synthetic pipelines, one per catalogue shape and structural shape.

Each repository here is written by the test (none is copied from anywhere); each test states
what a careful reader of those files would conclude, and checks the audit says it, at the line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from racesim.audit import audit
from racesim.github.catalogue import USER_ROLES, Catalogue
from racesim.github.shell import parse
from racesim.github.workflows import load_workflows

FAST = {"trials": 20, "max_examples": 10}

BUILD_LATEST = """\
name: Build
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: docker build -t ghcr.io/o/app:latest .
      - run: docker push ghcr.io/o/app:latest
"""


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def _line(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {path}")


def _cli(*args: str) -> tuple[int, dict[str, object]]:
    proc = subprocess.run(
        [sys.executable, "-m", "racesim", "audit", *args, "--json", "--trials", "20"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}


def test_every_catalogue_entry_cites_its_source_and_has_a_known_role() -> None:
    cat = Catalogue.builtin()
    roles = {
        "build", "local_build", "push", "pull", "mirror", "tag", "deploy", "wait", "guard",
        "meta", "render", "ssh", "setup", "gitops", "sleep", "rollout_wait",
    }  # fmt: skip
    assert len(cat.actions) >= 15 and len(cat.commands) >= 60
    for entry in (*cat.actions, *cat.commands):
        assert entry.role in roles, entry
        assert entry.source.startswith("https://"), entry
        assert entry.assumes, entry
    raw = tomllib.loads(
        (Path(__file__).parents[1] / "racesim/github/catalogue.toml").read_text("utf-8")
    )
    assert {"action", "command"} == set(raw)


def test_commands_are_matched_by_their_leading_words_not_by_substrings() -> None:
    cat = Catalogue.builtin()
    found = cat.command(("gcloud", "beta", "run", "deploy", "svc", "--image", "x:1"))
    assert found is not None and found[0].words == ("gcloud", "run", "deploy")
    force = cat.command(("aws", "ecs", "update-service", "--force-new-deployment"))
    assert force is not None and force[0].image == "task-definition"
    assert cat.command(("echo", "gcloud", "run", "deploy")) is None
    assert cat.command(("npx", "wrangler", "deploy")) is not None


def test_user_rules_use_the_ingest_roles_and_bad_ones_name_the_field() -> None:
    assert {"push", "pull", "rollout"} <= set(USER_ROLES)
    cat = Catalogue.builtin().with_rules(["rollout=ship-it"])
    assert cat.rule("./ship-it prod") is not None
    from racesim.errors import InputError

    with pytest.raises(InputError, match="unknown role"):
        Catalogue.builtin().with_rules(["deploy=x"])
    with pytest.raises(InputError, match="ROLE=PATTERN"):
        Catalogue.builtin().with_rules(["rollout"])


def test_shell_parser_finds_commands_in_lists_loops_and_substitutions() -> None:
    script = (
        'TAG="${GITHUB_SHA::7}"\n'
        "for i in $(seq 1 30); do\n"
        "  if docker manifest inspect ghcr.io/o/app:<commit-sha>; then break; fi\n"
        "  sleep 10\n"
        "done\n"
        'ssh deploy@host "docker compose pull && docker compose up -d"\n'
        'echo "tag=$TAG" >> "$GITHUB_OUTPUT"\n'
    )
    parsed = parse(script)
    assert parsed.parsed
    heads = [c.words[0] for c in parsed.commands if c.words]
    assert heads.count("docker") == 1 and "ssh" in heads and "sleep" in heads
    (loop,) = parsed.loops
    assert loop.count == 30 and loop.line == 1
    manifest = next(c for c in parsed.commands if c.words[:2] == ("docker", "manifest"))
    assert manifest.words[-1] == "ghcr.io/o/app:<commit-sha>"  # `<` is not a redirection here
    echo = next(c for c in parsed.commands if c.words[:1] == ("echo",))
    assert echo.appends_to == "$GITHUB_OUTPUT" and echo.line == 6


def test_force_new_deployment_redeploys_the_mutable_tag_and_races_the_build(
    tmp_path: Path,
) -> None:
    repo = _repo(
        tmp_path,
        {
            ".github/workflows/build.yml": BUILD_LATEST,
            ".github/workflows/deploy.yml": """\
name: Deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: aws ecs update-service --cluster c --service web --force-new-deployment
""",
        },
    )
    result = audit([repo], **FAST)
    (r,) = result.results
    assert (r.pipeline.strategy.trigger, r.pipeline.strategy.reference) == ("push", "latest")
    line = _line(repo / ".github/workflows/deploy.yml", "update-service")
    assert any(f.id == "RS101" and f.line == line for f in result.findings)


def test_a_tag_traced_through_github_output_and_needs_outputs_is_commit_bound(
    tmp_path: Path,
) -> None:
    repo = _repo(
        tmp_path,
        {
            ".github/workflows/ci.yml": """\
name: CI
on:
  push:
    branches: [main]
concurrency:
  group: deploy-${{ github.ref }}
  cancel-in-progress: false
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      tag: ${{ steps.tag.outputs.tag }}
    steps:
      - id: tag
        run: echo "tag=${GITHUB_SHA::8}" >> "$GITHUB_OUTPUT"
      - run: |
          docker build -t ghcr.io/o/app:${{ steps.tag.outputs.tag }} .
          docker push ghcr.io/o/app:${{ steps.tag.outputs.tag }}
  deploy:
    needs: build
    uses: ./.github/workflows/deploy.yml
    with:
      image: ghcr.io/o/app:${{ needs.build.outputs.tag }}
""",
            ".github/workflows/deploy.yml": """\
name: Deploy
on:
  workflow_call:
    inputs:
      image:
        type: string
        required: true
jobs:
  rollout:
    runs-on: ubuntu-latest
    steps:
      - run: kubectl set image deployment/app app=${{ inputs.image }}
""",
        },
    )
    result = audit([repo], **FAST)
    deploys = [r for r in result.results if r.pipeline.deploy_job == "deploy"]
    assert deploys, [r.pipeline.name for r in result.results]
    evidence = {e.knob: e for e in deploys[0].pipeline.evidence}
    assert evidence["reference"].value == "sha"
    assert evidence["reference"].loc is not None
    assert evidence["reference"].loc.file.endswith("deploy.yml")  # the inlined reusable step
    assert not [f for f in result.findings if f.severity == "error"]


def test_scripts_and_make_targets_are_read_and_every_deploy_step_is_judged(
    tmp_path: Path,
) -> None:
    repo = _repo(
        tmp_path,
        {
            ".github/workflows/ship.yml": """\
name: Ship
on:
  push:
    branches: [main]
jobs:
  ship:
    runs-on: ubuntu-latest
    steps:
      - run: make publish
      - run: gcloud run deploy sidecar --image ghcr.io/o/side@sha256:0123
      - run: ./scripts/deploy.sh
""",
            "Makefile": (
                "IMAGE ?= ghcr.io/o/app\n\n"
                "publish:\n\tdocker buildx build -t $(IMAGE):latest --push .\n"
            ),
            "scripts/deploy.sh": "#!/bin/sh\nset -e\nflyctl deploy --image ghcr.io/o/app:latest\n",
        },
    )
    result = audit([repo], **FAST)
    files = {f.file for f in result.findings} | {
        file for f in result.findings for file, _ in f.locations
    }
    assert any(f.endswith("deploy.sh") for f in files), files
    assert any(f.endswith("Makefile") for f in files), files
    recognised = " ".join(i for w in result.workflows for i in w.recognised)
    assert "flyctl deploy" in recognised and "gcloud run deploy" in recognised


def test_an_unreadable_deploy_step_is_an_unknown_and_exits_3(tmp_path: Path) -> None:
    workflow = """\
name: Deploy
on:
  push:
    branches: [main]
concurrency:
  group: deploy
  cancel-in-progress: true
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - name: Ship it
        run: kamal deploy -d production
"""
    repo = _repo(tmp_path / "serial", {".github/workflows/deploy.yml": workflow})
    status, data = _cli(str(repo))
    assert status == 3
    unknowns = data["unknowns"]
    assert isinstance(unknowns, list) and unknowns[0]["line"] == 13
    assert data["workflows"] and data["workflows"][0]["unknowns"]  # type: ignore[index]
    status, _ = _cli(str(repo), "--allow-unknown")
    assert status == 0
    status, data = _cli(str(repo), "--step", "rollout=kamal deploy")
    assert status in (0, 1) and not data["unknowns"] and data["pipelines"]
    # an action racesim does not know that says it deploys is judged on what holds whatever
    # image it ships: without a group, deploys race each other
    action = workflow.replace(
        "        run: kamal deploy -d production",
        "        uses: someone/mystery-deploy-action@v1",
    ).replace("concurrency:", "x-concurrency:")
    racy = _repo(tmp_path / "racy", {".github/workflows/deploy.yml": action})
    status, data = _cli(str(racy))
    assert status == 1
    assert any(f["id"] == "RS104" for f in data["findings"])  # type: ignore[union-attr, index]


def test_settings_in_pyproject_teach_the_catalogue(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            ".github/workflows/build.yml": BUILD_LATEST,
            ".github/workflows/deploy.yml": """\
name: Deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: ./bin/rollout ghcr.io/o/app:latest
""",
            "pyproject.toml": '[tool.racesim.audit]\nsteps = ["rollout=bin/rollout"]\n',
        },
    )
    result = audit([repo], **FAST)
    assert [r.pipeline.strategy.trigger for r in result.results if r.pipeline.deploy_job] == [
        "push"
    ]


def test_folders_without_workflows_say_where_they_looked_and_other_yaml_is_skipped(
    tmp_path: Path,
) -> None:
    from racesim.errors import InputError

    with pytest.raises(InputError, match=r"\.github/workflows"):
        load_workflows([tmp_path])
    (tmp_path / "compose.yml").write_text("services:\n  app:\n    image: x:latest\n")
    (tmp_path / "build.yml").write_text(BUILD_LATEST)
    repo = load_workflows([tmp_path])
    assert [w.name for w in repo.workflows] == ["Build"]
    assert any("compose.yml" in n and "not a workflow" in n for n in repo.notes)


def test_a_symlink_leaving_the_folder_is_refused_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _repo(outside, {"action.yml": "runs:\n  using: composite\n  steps:\n    - run: SECRET\n"})
    repo = _repo(
        tmp_path / "repo",
        {
            ".github/workflows/w.yml": """\
name: W
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - uses: ./.github/actions/x
""",
        },
    )
    (repo / ".github/actions").mkdir(parents=True)
    (repo / ".github/actions/x").symlink_to(outside)
    loaded = load_workflows([repo])
    steps = loaded.workflows[0].jobs["j"].steps
    assert all("SECRET" not in s.run for s in steps)
    assert any("leaves the folder" in n for n in loaded.notes)


CI_ON_EVERY_PUSH = """\
name: CI
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: make test
"""

RELEASE_TWO_WAYS = """\
name: Release
on:
  workflow_run:
    workflows: ["CI"]
    types: [completed]
    branches: [main]
  push:
    tags: ["v*"]
jobs:
  publish:
    if: github.event_name == 'push' || github.event.workflow_run.conclusion == 'success'
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: docker build -t ghcr.io/o/app:latest .
      - run: docker push ghcr.io/o/app:latest
"""


def test_a_tag_path_that_does_not_wait_for_the_ci_its_branch_path_waits_for(
    tmp_path: Path,
) -> None:
    repo = _repo(tmp_path, {"ci.yml": CI_ON_EVERY_PUSH, "release.yml": RELEASE_TWO_WAYS})
    found = [f for f in audit([repo], **FAST).findings if f.id == "RS117"]  # type: ignore[arg-type]
    assert [(Path(f.file).name, f.line) for f in found] == [
        ("release.yml", _line(repo / "release.yml", "push:"))
    ]
    assert found[0].severity == "warning"
    # CI that runs only on branches does not run on the tag: nothing skipped
    branches_only = CI_ON_EVERY_PUSH.replace("on: [push]", "on:\n  push:\n    branches: [main]")
    (repo / "ci.yml").write_text(branches_only)
    assert "RS117" not in {f.id for f in audit([repo], **FAST).findings}  # type: ignore[arg-type]


def test_an_empty_makefile_variable_does_not_swallow_the_next_line(tmp_path: Path) -> None:
    makefile = (
        "SUFFIX ?=\n\nREGISTRY ?= ghcr.io\nIMAGE = $(REGISTRY)/o/app$(SUFFIX):main\n\n"
        "publish:\n\tdocker build -t $(IMAGE) .\n\tdocker push $(IMAGE)\n"
    )
    workflow = BUILD_LATEST.replace(
        "      - run: docker build -t ghcr.io/o/app:latest .\n"
        "      - run: docker push ghcr.io/o/app:latest\n",
        "      - run: make publish\n",
    )
    repo = _repo(tmp_path, {"Makefile": makefile, ".github/workflows/build.yml": workflow})
    (r,) = audit([repo], **FAST).results  # type: ignore[arg-type]
    assert [t.text for t in r.pipeline.mutable_tags] == ["ghcr.io/o/app:main"]


@pytest.mark.parametrize(
    ("task_definition", "said"),
    [
        ("app-migrate", "mutable tag: app-migrate (the family's latest revision)"),
        ("app-migrate:42", "mutable tag: app-migrate:42"),  # one fixed revision, never the new one
        ("${{ env.TD_ARN }}", "cannot tell which image"),
    ],
)
def test_an_ecs_task_run_by_family_reads_the_latest_revision(
    tmp_path: Path, task_definition: str, said: str
) -> None:
    """`aws ecs run-task --task-definition FAMILY` runs whatever revision is newest when it
    starts; `FAMILY:N` names one revision."""
    workflow = f"""\
name: Migrate
on:
  push:
    branches: [main]
jobs:
  migrate:
    runs-on: ubuntu-latest
    steps:
      - run: aws ecs register-task-definition --cli-input-json file://td.json
      - run: aws ecs run-task --cluster c --task-definition {task_definition}
"""
    repo = _repo(tmp_path, {".github/workflows/migrate.yml": workflow})
    (r,) = audit([repo], **FAST).results  # type: ignore[arg-type]
    line = _line(repo / ".github/workflows/migrate.yml", "run-task")
    (e,) = [e for e in r.pipeline.evidence if e.knob == "reference"]
    assert e.loc is not None and e.loc.line == line
    assert e.why.startswith(said), e.why


CALLER = """\
name: Ship
on:
  push:
    branches: [main]
jobs:
  build:
    concurrency:
      group: build
      cancel-in-progress: true
    runs-on: ubuntu-latest
    outputs:
      digest: ${{ steps.push.outputs.digest }}
    steps:
      - uses: actions/checkout@v4
      - id: push
        uses: docker/build-push-action@v6
        with:
          push: true
          tags: ghcr.io/o/app:latest
  production:
    needs: build
    uses: ./.github/workflows/env.yml
    with:
      digest: ${{ needs.build.outputs.digest }}
"""

CALLED = """\
name: Environment
on:
  workflow_call:
    inputs:
      digest:
        type: string
jobs:
  docs:
    concurrency:
      group: docs
      cancel-in-progress: true
    runs-on: ubuntu-latest
    steps:
      - run: echo docs
  backend:
    concurrency:
      group: backend
    runs-on: ubuntu-latest
    steps:
      - run: flyctl deploy --image ghcr.io/o/app@${{ inputs.digest }}
"""


def test_a_group_on_the_build_job_alone_does_not_hold_the_deploy_job(tmp_path: Path) -> None:
    """GitHub applies a job's `concurrency:` to that job only: the build job's cancel group orders
    builds, and the deploy runs in the group of the inner job it sits in (`backend`, no cancel),
    not the first inner job's (`docs`). Serialised by arrival, deploys can still go backwards."""
    repo = _repo(
        tmp_path, {".github/workflows/ship.yml": CALLER, ".github/workflows/env.yml": CALLED}
    )
    result = audit([repo], **FAST)  # type: ignore[arg-type]
    (r,) = result.results
    s = r.pipeline.strategy
    assert s.build_concurrency is None
    assert s.deploy_concurrency is not None and not s.deploy_concurrency.cancel_in_progress
    (f,) = [f for f in result.findings if f.id == "RS105"]
    assert (Path(f.file).name, f.line) == (
        "env.yml",
        _line(repo / ".github/workflows/env.yml", "group: backend"),
    )
    assert "RS102" not in {f.id for f in result.findings}  # the build job's group orders pushes


def test_a_reusable_workflows_group_is_evaluated_with_the_inputs_of_its_call(
    tmp_path: Path,
) -> None:
    """`deploy-${{ inputs.environment }}` in a called workflow (and in one it calls in turn) is
    one group per environment the caller names, not a value racesim cannot evaluate."""
    outer = """\
name: CI
on:
  push:
    branches: [main]
jobs:
  staging:
    uses: ./.github/workflows/deploy.yml
    with:
      environment: staging
"""
    middle = """\
name: Deploy
on:
  workflow_call:
    inputs:
      environment:
        type: string
concurrency:
  group: deploy-${{ inputs.environment || 'none' }}
  cancel-in-progress: ${{ inputs.environment == 'staging' }}
jobs:
  host:
    uses: ./.github/workflows/host.yml
    with:
      env: ${{ inputs.environment }}
"""
    inner = """\
name: Host
on:
  workflow_call:
    inputs:
      env:
        type: string
jobs:
  roll:
    concurrency: host-${{ inputs.env }}
    runs-on: ubuntu-latest
    steps:
      - run: flyctl deploy --image ghcr.io/o/app:latest
"""
    repo = _repo(
        tmp_path,
        {
            ".github/workflows/ci.yml": outer,
            ".github/workflows/deploy.yml": middle,
            ".github/workflows/host.yml": inner,
        },
    )
    (r,) = audit([repo], **FAST).results  # type: ignore[arg-type]
    (reading,) = r.pipeline.groups
    assert reading.value == "host-staging" and reading.serialises
