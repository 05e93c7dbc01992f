"""The expression context of one run, per event that can start it.

What is known about a run depends on the event: on ``push`` ``github.head_ref`` is empty and
``github.ref`` is the pushed ref; ``github.run_id``, ``run_number`` and ``run_attempt`` differ
for every run and ``github.sha`` for every commit; ``github.event.workflow_run`` exists only under
``workflow_run``. :func:`event_context` builds that context with
:class:`~racesim.github.expressions.Sym` values for what varies, so a concurrency group or an
``if:`` can be evaluated per event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from racesim.github.expressions import UNKNOWN, Sym, Value, interpolate

__all__ = ["TriggerEvent", "event_context", "with_env"]

_RUN = frozenset({"run"})
_COMMIT = frozenset({"commit"})
_CONST: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TriggerEvent:
    """An event that starts a run: its name, the ref it runs on, and the upstream conclusion.

    ``ref`` is a full ref (``refs/heads/main``) or ``None`` when it varies (any branch, any tag,
    any pull request); ``ref_kind`` says which (``branch``, ``tag``, ``pr``).
    """

    name: str
    ref: str | None
    ref_kind: str = "branch"
    conclusion: str = "success"

    def describe(self) -> str:
        if self.name == "workflow_run":
            return "workflow_run"
        where = self.ref or f"any {self.ref_kind}"
        return f"{self.name} ({where})"


def _ref_values(event: TriggerEvent) -> dict[str, Value]:
    if event.ref is not None:
        name = re.sub(r"^refs/(heads|tags)/", "", event.ref)
        return {"ref": event.ref, "ref_name": name}
    dims = frozenset({"pr" if event.ref_kind == "pr" else "ref"})
    prefix = {"pr": "refs/pull/", "tag": "refs/tags/"}.get(event.ref_kind, "refs/heads/")
    return {
        "ref": Sym(f"<{event.ref_kind}-ref>", dims, True, prefix),
        "ref_name": Sym(f"<{event.ref_kind}-name>", dims),
    }


def event_context(
    event: TriggerEvent, workflow: str, default_branch: str = "main"
) -> dict[str, Any]:
    """The ``github`` (and empty ``secrets``, ``vars``...) context of a run started by `event`."""
    pr = event.name in ("pull_request", "pull_request_target")
    head: Value = Sym("<head-branch>", frozenset({"pr"})) if pr else ""
    github: dict[str, Any] = {
        "event_name": event.name,
        "workflow": workflow,
        "sha": Sym("<commit-sha>", _COMMIT),
        "run_id": Sym("<run-id>", _RUN),
        "run_number": Sym("<run-number>", _RUN),
        "run_attempt": Sym("<run-attempt>", _RUN),
        "job": Sym("<job-id>", _CONST),
        "repository": Sym("<repository>", _CONST),
        "repository_owner": Sym("<owner>", _CONST),
        "actor": Sym("<actor>", frozenset({"actor"})),
        "head_ref": head,
        "base_ref": Sym("<base-branch>", _CONST) if pr else "",
        "event": {},
        **_ref_values(event),
    }
    if pr:
        github["event"] = {
            "pull_request": {
                "number": Sym("<pr-number>", frozenset({"pr"})),
                "head": {"sha": Sym("<pr-head-sha>", _COMMIT), "ref": head},
            }
        }
    if event.name == "release":
        tag = Sym("<tag-name>", frozenset({"ref"}))
        github["event"] = {
            "release": {"tag_name": tag, "name": tag, "prerelease": UNKNOWN, "draft": False},
            "action": UNKNOWN,
        }
    if event.name == "workflow_run":
        github["ref"] = f"refs/heads/{default_branch}"
        github["ref_name"] = default_branch
        github["event"] = {
            "workflow_run": {
                "conclusion": event.conclusion,
                "head_sha": Sym("<workflow_run.head_sha>", _COMMIT),
                "head_branch": default_branch,
                "id": Sym("<upstream-run-id>", _RUN),
                "event": "push",
            }
        }
    return {
        "github": github,
        "env": {},
        "secrets": UNKNOWN,
        "vars": UNKNOWN,
        "steps": UNKNOWN,
        "needs": UNKNOWN,
        "matrix": UNKNOWN,
        "runner": UNKNOWN,
        "inputs": UNKNOWN,
        "job": UNKNOWN,
    }


def with_env(ctx: Mapping[str, Any], *envs: Mapping[str, Any]) -> dict[str, Any]:
    """`ctx` with the ``env`` mappings applied in order (each value interpolated as it is added)."""
    out = dict(ctx)
    env = dict(out.get("env") or {})
    for layer in envs:
        for key, raw in layer.items():
            env[str(key)] = interpolate(raw, {**out, "env": env})
    out["env"] = env
    return out


def with_inputs(ctx: Mapping[str, Any], inputs: Mapping[str, Any] | None) -> dict[str, Any]:
    """`ctx` with a composite action's ``inputs`` (each interpolated in the caller's context)."""
    out = dict(ctx)
    if inputs is not None:
        out["inputs"] = {str(k): _text(interpolate(v, ctx)) for k, v in inputs.items()}
    return out


def _text(v: Value) -> Value:
    if isinstance(v, bool):
        return "true" if v else "false"
    return v
