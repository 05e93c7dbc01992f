"""The GitHub Action (``action.yml``) and its how-to page (``docs/how-to/audit-in-ci.md``).

The action validates against GitHub's action schema and passes its inputs to the shell only
through ``env:``; the page's example workflow validates against the workflow schema and passes
actionlint, which checks the inputs it uses against ``action.yml``. Then the composite action runs
here, step by step, as the runner would: the ``run:`` scripts are the real ones from
``action.yml``, run by bash with the environment their ``env:`` gives them, and their outputs feed
the next steps' ``env:``, ``with:`` and ``if:``. Only the two ``uses:`` steps are stand-ins:
setup-python hands over a stand-in interpreter (it makes the virtual environment and "installs"
the racesim under test, recording what it was asked to install) and upload-sarif records what it
was given. The audit itself is real racesim on a tiny racy repository and a clean one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[1]
ACTION = ROOT / "action.yml"
HOWTO = ROOT / "docs" / "how-to" / "audit-in-ci.md"
PUBLISHED = "racesim/racesim@v0.1.0"  # how the page's example refers to the action

#: small budgets for the real audits below (the `args` input passes them on)
FAST = "--trials 20 --max-examples 20"

RACY = {
    "build.yml": """\
name: build
on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v6
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: ghcr.io/o/r:latest
""",
    "deploy.yml": """\
name: deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: gcloud run deploy svc --image ghcr.io/o/r:latest
""",
}

#: one run builds the commit's own tag and deploys it; a newer push waits for the older run (a
#: cancelled run's Cloud Run rollout would go on and could land last)
CLEAN = {
    "ship.yml": """\
name: ship
on:
  push:
    branches: [main]
concurrency:
  group: ship-${{ github.ref }}
  cancel-in-progress: false
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v6
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: ghcr.io/o/r:${{ github.sha }}
  deploy:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: gcloud run deploy svc --image ghcr.io/o/r:${{ github.sha }}
""",
}


def _yaml(text: str) -> Any:
    return YAML(typ="safe").load(text)


def _action() -> dict[str, Any]:
    data: dict[str, Any] = _yaml(ACTION.read_text(encoding="utf-8"))
    return data


def _example() -> str:
    """The page's example workflow (its one YAML block)."""
    text = HOWTO.read_text(encoding="utf-8")
    (block,) = re.findall(r"^```yaml\n(.*?)^```", text, flags=re.S | re.M)
    return str(block)


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install racesim[test] provides it)")
    return found


def _step(step_id: str) -> dict[str, Any]:
    (step,) = [s for s in _action()["runs"]["steps"] if s.get("id") == step_id]
    return dict(step)


# --- the files ------------------------------------------------------------------------------------


def test_action_validates_against_the_action_schema() -> None:
    done = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ACTION)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_inputs_reach_the_shell_only_through_env() -> None:
    """No expression inside a script (script injection); every input is used; scripts parse."""
    action = _action()
    steps = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    used: set[str] = set()
    for step in steps:
        used |= set(re.findall(r"inputs\.([\w-]+)", json.dumps(step)))
        if "run" in step:
            assert "${{" not in step["run"], f"an expression inside the script of {step['name']}"
            assert step["shell"] == "bash"
            done = subprocess.run(["bash", "-n"], input=step["run"], capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
    assert used == set(action["inputs"])
    assert set(action["outputs"]) == {"exit-code", "sarif-file"}


def test_action_installs_from_its_checkout_and_uploads_always() -> None:
    setup = next(s for s in _action()["runs"]["steps"] if "setup-python" in s.get("uses", ""))
    assert setup["uses"] == "actions/setup-python@v5"
    major, minor = map(int, str(setup["with"]["python-version"]).split("."))
    assert (major, minor) >= (3, 11)
    install = _step("install")
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert "pip install" in install["run"] and '"$ACTION_PATH"' in install["run"]
    (upload,) = [s for s in _action()["runs"]["steps"] if "upload-sarif" in s.get("uses", "")]
    assert upload["uses"] == "github/codeql-action/upload-sarif@v3"
    assert upload["if"].startswith("always()")
    assert upload["with"]["category"] == "racesim"


def test_the_page_is_in_the_nav_and_linked() -> None:
    assert "how-to/audit-in-ci.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in ("index.md", "audit.md"):
        assert "(audit-in-ci.md)" in (HOWTO.parent / page).read_text(encoding="utf-8")


def test_example_workflow_validates_against_the_workflow_schema(tmp_path: Path) -> None:
    path = tmp_path / "racesim.yml"
    path.write_text(_example(), encoding="utf-8")
    workflow = _yaml(_example())
    assert set(workflow["permissions"].items()) == {
        ("security-events", "write"),
        ("contents", "read"),
    }
    assert set(workflow["on"]) == {"pull_request", "push"}
    done = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_example_workflow_passes_actionlint_against_the_action(tmp_path: Path) -> None:
    """In a repository whose root is the action, as ``uses: ./``: actionlint checks the inputs."""
    tool = _tool("actionlint")
    example = _example()
    assert example.count(f"uses: {PUBLISHED}") == 1
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)  # actionlint looks for the repository's root
    (repo / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ACTION, repo / "action.yml")
    workflows = repo / ".github" / "workflows"
    (workflows / "audit.yml").write_text(example.replace(PUBLISHED, "./"), encoding="utf-8")
    done = subprocess.run([tool, "-no-color"], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    # and it does check them: an input the action does not have is an error
    bad = example.replace(PUBLISHED, "./")
    bad = re.sub(r"^(\s*)fail-on: error$", r"\1fail-on: error\n\1no-such-input: 1", bad, flags=re.M)
    (workflows / "audit.yml").write_text(bad, encoding="utf-8")
    done = subprocess.run([tool, "-no-color"], cwd=repo, capture_output=True, text=True)
    assert done.returncode != 0 and 'input "no-such-input" is not defined' in done.stdout


# --- the action, run ------------------------------------------------------------------------------

#: the stand-in interpreter setup-python hands over: it records its arguments, makes a virtual
#: environment (a bin/ folder with itself as python), and "installs" by linking the racesim under
#: test into that bin/ folder
FAKE_PYTHON = """\
#!PYTHON
import json, os, shutil, sys

args = sys.argv[1:]
with open(os.environ["FAKE_PYTHON_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\\n")
if args[:2] == ["-m", "venv"]:
    os.makedirs(os.path.join(args[2], "bin"))
    shutil.copy(sys.argv[0], os.path.join(args[2], "bin", "python"))
elif args[:3] == ["-m", "pip", "install"]:
    os.symlink(os.environ["FAKE_RACESIM"], os.path.join(os.path.dirname(sys.argv[0]), "racesim"))
else:
    sys.exit(f"unexpected: {args}")
"""

#: a stand-in racesim that records its arguments, prints an empty SARIF log and exits as told
STUB_RACESIM = """\
#!PYTHON
import json, os, sys

with open(os.environ["STUB_LOG"], "w", encoding="utf-8") as log:
    json.dump(sys.argv[1:], log)
run = {"tool": {"driver": {"name": "stub"}}, "results": []}
print(json.dumps({"version": "2.1.0", "runs": [run]}))
sys.exit(int(os.environ["STUB_STATUS"]))
"""

_TOKEN = re.compile(
    r"\s*(?:(?P<fn>always|success|failure|cancelled)\(\)|(?P<op>&&|\|\||==|!=|\(|\))"
    r"|'(?P<str>[^']*)'|(?P<ref>[A-Za-z_][\w.-]*))"
)
_STATUS_FUNCTIONS = ("always()", "success()", "failure()", "cancelled()")


@dataclass
class Run:
    """A composite action run: its status, its outputs, what was uploaded, its log."""

    status: int
    outputs: dict[str, str]
    uploads: list[dict[str, Any]]
    log: str
    installed: list[list[str]]


class _Runner:
    """Runs ``action.yml``'s steps as the runner does, with the two ``uses:`` steps stood in."""

    def __init__(self, tmp: Path, workspace: Path, inputs: Mapping[str, str], racesim: str):
        self.action = _action()
        # the action's checkout, in a folder with a space in its name
        self.action_path = tmp / "the action"
        self.action_path.mkdir()
        shutil.copy(ACTION, self.action_path / "action.yml")
        self.workspace = workspace
        self.temp = tmp / "runner temp"
        self.temp.mkdir()
        self.inputs = {k: str(v.get("default", "")) for k, v in self.action["inputs"].items()}
        unknown = set(inputs) - set(self.inputs)
        assert not unknown, f"the action has no input {unknown}"
        self.inputs.update(inputs)
        self.outputs: dict[str, dict[str, str]] = {}
        self.python = tmp / "python"
        self.python.write_text(FAKE_PYTHON.replace("PYTHON", sys.executable, 1), encoding="utf-8")
        self.python.chmod(0o755)
        self.python_log = tmp / "python.log"
        bin_dir = str(Path(sys.executable).parent)
        self.env = {
            **os.environ,
            # the racesim in this checkout, whichever racesim executable imports it
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
            "RUNNER_TEMP": str(self.temp),
            "RUNNER_OS": "Linux",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_ACTION_PATH": str(self.action_path),
            "FAKE_PYTHON_LOG": str(self.python_log),
            "FAKE_RACESIM": racesim,
        }

    def lookup(self, name: str) -> str:
        parts = name.split(".")
        if parts[0] == "inputs" and len(parts) == 2:
            return self.inputs[parts[1]]
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.outputs.get(parts[1], {}).get(parts[3], "")
        known = {
            "github.action_path": str(self.action_path),
            "github.workspace": str(self.workspace),
            "runner.temp": str(self.temp),
        }
        assert name in known, f"the test runner does not know {name!r}"
        return known[name]

    def evaluate(self, expr: str, ok: bool) -> Any:
        """The subset of GitHub's expressions the action uses (strings compare ignoring case)."""
        python, at = [], 0
        for m in _TOKEN.finditer(expr):
            assert m.start() == at, f"the test runner cannot evaluate {expr!r}"
            at = m.end()
            if m["fn"]:
                value = {"always": True, "success": ok, "failure": not ok}.get(m["fn"], False)
                python.append(repr(value))
            elif m["op"]:
                python.append({"&&": "and", "||": "or"}.get(m["op"], m["op"]))
            elif m["str"] is not None:
                python.append(repr(m["str"].lower()))
            else:
                python.append(repr(self.lookup(m["ref"]).lower()))
        assert expr[at:].strip() == "", f"the test runner cannot evaluate {expr!r}"
        return eval(" ".join(python), {"__builtins__": {}})

    def substitute(self, value: object) -> str:
        def one(m: re.Match[str]) -> str:
            ref = m[1].strip()
            assert re.fullmatch(r"[\w.-]+", ref), f"the test runner cannot evaluate {ref!r}"
            return self.lookup(ref)

        return re.sub(r"\$\{\{(.*?)\}\}", one, str(value))

    def run(self) -> Run:
        status, log, uploads = 0, [], []
        for step in self.action["runs"]["steps"]:
            cond = step.get("if", "success()")
            if not any(f in cond for f in _STATUS_FUNCTIONS):
                cond = f"success() && ({cond})"
            if not self.evaluate(cond, ok=status == 0):
                continue
            outputs: dict[str, str] = {}
            if "uses" in step:
                given = {k: self.substitute(v) for k, v in step.get("with", {}).items()}
                if step["uses"].startswith("actions/setup-python@"):
                    outputs["python-path"] = str(self.python)
                elif step["uses"].startswith("github/codeql-action/upload-sarif@"):
                    sarif = self.workspace / given["sarif_file"]
                    uploads.append({**given, "log": json.loads(sarif.read_text("utf-8"))})
                else:
                    raise AssertionError(f"no stand-in for {step['uses']}")
            else:
                code, text, outputs = self.script(step)
                log.append(text)
                if code != 0:
                    status = code
            if "id" in step:
                self.outputs[step["id"]] = outputs
        installed = []
        if self.python_log.exists():
            installed = [
                json.loads(line) for line in self.python_log.read_text("utf-8").splitlines()
            ]
        top = {k: self.substitute(v["value"]) for k, v in self.action["outputs"].items()}
        return Run(status, top, uploads, "".join(log), installed)

    def script(self, step: Mapping[str, Any]) -> tuple[int, str, dict[str, str]]:
        output = self.temp / "github_output"
        output.write_text("", encoding="utf-8")
        script = self.temp / "step.sh"
        script.write_text(step["run"], encoding="utf-8")
        env = {k: self.substitute(v) for k, v in step.get("env", {}).items()}
        done = subprocess.run(
            # how the runner starts `shell: bash`
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace,
            env={**self.env, **env, "GITHUB_OUTPUT": str(output)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        outputs = dict(
            line.split("=", 1) for line in output.read_text("utf-8").splitlines() if line
        )
        return done.returncode, done.stdout + done.stderr, outputs


def _repo(path: Path, workflows: Mapping[str, str]) -> Path:
    folder = path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (path / "README.md").write_text("a file for a stray `*` to match\n", encoding="utf-8")
    for name, text in workflows.items():
        (folder / name).write_text(text, encoding="utf-8")
    return path


def _racesim() -> str:
    found = shutil.which("racesim", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("no racesim executable next to this Python (pip install -e . makes one)")
    return found


def _cli_status(repo: Path, *argv: str) -> int:
    """What racesim itself exits with, run directly on `repo`."""
    from racesim.cli import main

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(repo)
        try:
            return main(["audit", ".", *FAST.split(), *argv])
        except SystemExit as exc:
            return int(exc.code or 0)


def test_racy_repository_uploads_its_findings_and_fails(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo", RACY)
    run = _Runner(tmp_path, repo, {"args": FAST}, _racesim()).run()
    # the install step installed the action's own checkout
    action_path = str(tmp_path / "the action")
    assert run.installed[0][:2] == ["-m", "venv"]
    assert run.installed[-1][:3] == ["-m", "pip", "install"]
    assert run.installed[-1][-1] == action_path
    # the SARIF log is written, valid, and has the findings
    log = json.loads((repo / "racesim.sarif").read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    assert results and {"RS101", "RS102"} <= {r["ruleId"] for r in results}
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris <= {".github/workflows/build.yml", ".github/workflows/deploy.yml"}
    # uploaded under the racesim category, then the step fails with racesim's status
    (upload,) = run.uploads
    assert upload["sarif_file"] == "racesim.sarif" and upload["category"] == "racesim"
    assert upload["log"] == log
    assert run.status == 1 == _cli_status(repo)
    assert run.outputs == {"exit-code": "1", "sarif-file": "racesim.sarif"}
    if shutil.which("jq"):  # the findings in the log, one line each
        assert "ERROR RS101 .github/workflows/deploy.yml:9:" in run.log
    assert "a finding at or above fail-on (exit 1)" in run.log


def test_clean_repository_uploads_and_passes(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo", CLEAN)
    run = _Runner(tmp_path, repo, {"args": FAST, "sarif-file": "out.sarif"}, _racesim()).run()
    log = json.loads((repo / "out.sarif").read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0"
    assert not [r for r in log["runs"][0]["results"] if r["level"] == "error"]
    assert [u["sarif_file"] for u in run.uploads] == ["out.sarif"]
    assert run.status == 0 == _cli_status(repo)
    assert run.outputs == {"exit-code": "0", "sarif-file": "out.sarif"}


def test_fail_on_and_upload_false(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo", RACY)
    inputs = {"args": FAST, "upload": "false", "fail-on": "note"}
    run = _Runner(tmp_path, repo, inputs, _racesim()).run()
    assert run.uploads == []
    assert run.status == 1 and (repo / "racesim.sarif").is_file()


def test_bad_input_exits_2_and_uploads_nothing(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo", {"broken.yml": "on: [push\n"})
    run = _Runner(tmp_path, repo, {"args": FAST}, _racesim()).run()
    assert run.status == 2 == _cli_status(repo)
    assert run.uploads == []
    assert run.outputs == {"exit-code": "2", "sarif-file": ""}
    assert "broken.yml" in run.log and "bad input (exit 2)" in run.log


def _stubbed(tmp_path: Path, inputs: Mapping[str, str], status: int) -> tuple[Run, list[str]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    stub = tmp_path / "stub-racesim"
    stub.write_text(STUB_RACESIM.replace("PYTHON", sys.executable, 1), encoding="utf-8")
    stub.chmod(0o755)
    repo = _repo(tmp_path / "repo", RACY)
    runner = _Runner(tmp_path, repo, inputs, str(stub))
    runner.env.update({"STUB_LOG": str(tmp_path / "argv.json"), "STUB_STATUS": str(status)})
    run = runner.run()
    argv = tmp_path / "argv.json"
    return run, json.loads(argv.read_text(encoding="utf-8")) if argv.exists() else []


def test_inputs_reach_racesim_as_words_and_nothing_runs_them(tmp_path: Path) -> None:
    inputs = {
        "path": "my repo/$(touch pwned-path)",
        "scenario": "burst of 5; touch pwned-scenario",
        "args": "--trials 7\n  --seed\t3  *  `touch pwned-args`",
        "fail-on": "warning",
        "allow-unknown": "true",
        "sarif-file": "r s.sarif",
    }
    run, argv = _stubbed(tmp_path, inputs, status=3)
    assert argv == [
        "audit",
        "--sarif",
        "--fail-on",
        "warning",
        "--scenario",
        "burst of 5; touch pwned-scenario",
        "--allow-unknown",
        "--trials",
        "7",
        "--seed",
        "3",
        "*",
        "`touch",
        "pwned-args`",
        "--",
        "my repo/$(touch pwned-path)",
    ]
    assert not list(tmp_path.rglob("pwned*"))
    # exit 3 (inconclusive) is passed through, after the upload
    assert run.status == 3 and run.outputs["exit-code"] == "3"
    assert [u["sarif_file"] for u in run.uploads] == ["r s.sarif"]
    assert "a pipeline could not be judged (exit 3)" in run.log


def test_allow_unknown_false_adds_no_flag_and_other_values_are_refused(tmp_path: Path) -> None:
    run, argv = _stubbed(tmp_path / "a", {"allow-unknown": "false"}, status=0)
    assert run.status == 0 and "--allow-unknown" not in argv
    assert argv[-2:] == ["--", "."] and "--scenario" not in argv
    run, argv = _stubbed(tmp_path / "b", {"allow-unknown": "yes"}, status=0)
    assert run.status == 2 and argv == [] and run.uploads == []
    assert "allow-unknown must be true or false" in run.log


def test_output_of_racesim_cannot_issue_workflow_commands(tmp_path: Path) -> None:
    """What racesim prints (it quotes the audited files) is inside ``::stop-commands::``."""
    run, _ = _stubbed(tmp_path, {}, status=0)
    (token,) = re.findall(r"^::stop-commands::(\S+)$", run.log, flags=re.M)
    assert len(token) > 20 and f"\n::{token}::\n" in run.log
