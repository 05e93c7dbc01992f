"""Recognise what a step does to images and services: build, push, pull, mirror, deploy, wait.

Each recogniser reads one step (its ``uses:`` and ``with:``, or its ``run:`` script with
``${{ }}`` and ``$VAR`` expanded) in the context of one event and returns :class:`Fact` records,
each with the line it was read from. Image references are classified by what their tag is: a
mutable name (``latest``, ``main``, ``1.2``), a per-commit value (``github.sha``, or
``workflow_run.head_sha``), a digest, or unknown.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from racesim.github.context import TriggerEvent, with_env, with_inputs
from racesim.github.expressions import Sym, condition, interpolate
from racesim.github.workflows import Loc, Workflow, WorkflowJob, WorkflowStep
from racesim.github.yaml import Doc

__all__ = ["Fact", "Ref", "classify_ref", "job_facts"]

COMMIT_SHA = "<commit-sha>"
HEAD_SHA = "<workflow_run.head_sha>"


@dataclass(frozen=True)
class Ref:
    """An image reference: its rendered text, repository and what kind of tag it uses.

    ``kind`` is ``mutable`` (a tag that moves), ``commit`` (a tag per commit), ``digest``,
    ``own`` (the image or artifact this run built) or ``unknown``; ``source`` says which value
    made it per commit (``github.sha`` or ``head_sha``).
    """

    text: str
    repo: str
    kind: str
    source: str = ""


@dataclass(frozen=True)
class Fact:
    """Something a step does. ``kind``: build, pull, mirror, deploy, sleep, wait, guard."""

    kind: str
    loc: Loc
    ref: Ref | None = None
    tags: tuple[Ref, ...] = ()
    seconds: float = 0.0
    timeout: float = 0.0
    detail: str = ""
    job: str = ""
    step_id: str = ""


def classify_ref(text: str) -> Ref:
    """Classify a rendered image reference (``<...>`` marks values unknown until run time)."""
    text = text.strip().strip("'\"")
    if "@sha256:" in text or "digest" in text.lower() or "@" in text.split("/")[-1]:
        repo = text.split("@")[0]
        return Ref(text, repo, "digest")
    head, _, tag = text.rpartition(":")
    if not head or "/" in tag:
        head, tag = text, "latest"
    if HEAD_SHA in tag:
        return Ref(text, head, "commit", "head_sha")
    if COMMIT_SHA in tag:
        return Ref(text, head, "commit", "github.sha")
    if "<" in tag:
        return Ref(text, head, "unknown")
    return Ref(text, head, "mutable")


def _render(value: object, ctx: Mapping[str, Any]) -> str:
    return str(interpolate(value, ctx)) if value is not None else ""


def _shell_env(text: str, env: Mapping[str, Any]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name in env:
            return str(env[name])
        if name == "GITHUB_SHA":
            return COMMIT_SHA
        return m.group(0)

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", sub, text)


def _commands(script: str) -> list[tuple[int, str]]:
    """Logical lines of a script (continuations joined), with their 0-based line offsets."""
    out: list[tuple[int, str]] = []
    buf, start = "", 0
    for i, line in enumerate(script.splitlines()):
        if not buf:
            start = i
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        out.append((start, buf.strip()))
        buf = ""
    if buf:
        out.append((start, buf.strip()))
    return out


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return command.split()


def _option(words: list[str], *names: str) -> str | None:
    for i, w in enumerate(words):
        for n in names:
            if w == n and i + 1 < len(words):
                return words[i + 1]
            if w.startswith(n + "="):
                return w[len(n) + 1 :]
    return None


_CHECKOUT_DEPLOYS = (
    (re.compile(r"\bwrangler\s+(deploy|publish|pages\s+deploy)\b"), "wrangler deploy"),
    (re.compile(r"\bfirebase\s+deploy\b"), "firebase deploy"),
    (re.compile(r"\bgit\s+push\s+heroku\b"), "git push heroku"),
    (re.compile(r"\bvercel\b.*--prod\b"), "vercel --prod"),
    (re.compile(r"\bnetlify\s+deploy\b.*--prod\b"), "netlify deploy --prod"),
)
_CHECKOUT_ACTIONS = (
    "actions/deploy-pages",
    "peaceiris/actions-gh-pages",
    "jamesives/github-pages-deploy-action",
    "cloudflare/wrangler-action",
    "cloudflare/pages-action",
    "akhileshns/heroku-deploy",
)
_POLL = re.compile(
    r"docker\s+manifest\s+inspect|crane\s+(digest|manifest)|skopeo\s+inspect"
    r"|imagetools\s+inspect|docker\s+pull"
)


def _script_facts(step: WorkflowStep, script: str, loc_of: Any, job: str) -> list[Fact]:
    facts: list[Fact] = []
    loop_depth = 0
    loop_start = 0
    loop_sleep = 0.0
    loop_polls = False
    loop_count = 0.0
    for offset, cmd in _commands(script):
        loc = loc_of(offset)
        words = _words(cmd)
        if re.match(r"^(until|while|for)\b", cmd):
            if loop_depth == 0:
                loop_start, loop_sleep, loop_polls = offset, 0.0, False
                m = re.search(r"seq\s+(?:1\s+)?(\d+)|\{1\.\.(\d+)\}", cmd)
                loop_count = float(m.group(1) or m.group(2)) if m else 0.0
            loop_depth += 1
            if _POLL.search(cmd):
                loop_polls = True
            if re.search(r"\bdone\b", cmd):
                loop_depth -= 1
            continue
        if loop_depth:
            if _POLL.search(cmd):
                loop_polls = True
            m = re.search(r"\bsleep\s+(\d+(?:\.\d+)?)", cmd)
            if m:
                loop_sleep = float(m.group(1))
            if re.match(r"^done\b", cmd):
                loop_depth -= 1
                if loop_depth == 0 and loop_polls:
                    interval = loop_sleep or 5.0
                    timeout = loop_count * interval if loop_count else 0.0
                    facts.append(
                        Fact("wait", loc_of(loop_start), seconds=interval, timeout=timeout, job=job)
                    )
            continue
        m = re.fullmatch(r"sleep\s+(\d+(?:\.\d+)?)(s?)\s*;?", cmd)
        if m:
            facts.append(Fact("sleep", loc, seconds=float(m.group(1)), job=job))
            continue
        if "ssh" in words[:1] and "docker pull" in cmd:
            pulled = re.search(r"docker\s+pull\s+(\S+)", cmd)
            facts.append(
                Fact(
                    "deploy",
                    loc,
                    classify_ref(pulled.group(1) if pulled else "<unknown>"),
                    detail="ssh docker pull",
                    job=job,
                )
            )
            continue
        if re.search(r"git\s+merge-base\s+--is-ancestor", cmd):
            facts.append(Fact("guard", loc, detail="newer_than_live", job=job))
            continue
        if (
            re.search(r"git\s+(fetch|ls-remote)\b", cmd)
            and re.search(r"rev-parse|ls-remote", script)
            and (COMMIT_SHA in script or HEAD_SHA in script)
        ):
            facts.append(Fact("guard", loc, detail="tip_of_main", job=job))
            continue
        if words[:2] == ["docker", "pull"] and len(words) > 2:
            facts.append(Fact("pull", loc, classify_ref(words[-1]), job=job))
        elif words[:2] == ["docker", "tag"] and len(words) > 3:
            facts.append(
                Fact("tag", loc, classify_ref(words[3]), tags=(classify_ref(words[2]),), job=job)
            )
        elif words[:2] == ["docker", "push"] and len(words) > 2:
            facts.append(Fact("push", loc, classify_ref(words[-1]), job=job))
        elif words[:2] in (["docker", "build"], ["docker", "buildx"]) and (
            "--push" in words or words[:3] == ["docker", "buildx", "build"] or words[1] == "build"
        ):
            tag = _option(words, "-t", "--tag")
            if tag:
                kind = "build" if "--push" in words else "local_build"
                facts.append(Fact(kind, loc, tags=(classify_ref(tag),), job=job))
        elif words[:3] == ["gcloud", "run", "deploy"]:
            image = _option(words, "--image")
            facts.append(
                Fact(
                    "deploy",
                    loc,
                    classify_ref(image) if image else None,
                    detail="gcloud run deploy",
                    job=job,
                )
            )
        elif words[:3] == ["kubectl", "set", "image"]:
            target = next((w for w in words[3:] if "=" in w and not w.startswith("-")), "")
            facts.append(
                Fact(
                    "deploy",
                    loc,
                    classify_ref(target.partition("=")[2]),
                    detail="kubectl set image",
                    job=job,
                )
            )
        elif words[:2] == ["kubectl", "apply"]:
            facts.append(
                Fact("deploy", loc, Ref(cmd, "", "unknown"), detail="kubectl apply", job=job)
            )
        elif words[:1] == ["helm"] and len(words) > 1 and words[1] in ("upgrade", "install"):
            tag = next((w.partition("=")[2] for w in words if w.startswith("image.tag=")), None)
            if tag is None:
                for i, w in enumerate(words):
                    if (
                        w == "--set"
                        and i + 1 < len(words)
                        and words[i + 1].startswith("image.tag=")
                    ):
                        tag = words[i + 1].partition("=")[2]
            chart = classify_ref(f"chart:{tag}") if tag else Ref(cmd, "", "unknown")
            facts.append(Fact("deploy", loc, chart, detail="helm upgrade", job=job))
        elif words[:3] == ["aws", "ecs", "update-service"]:
            facts.append(
                Fact(
                    "deploy", loc, Ref(cmd, "", "unknown"), detail="aws ecs update-service", job=job
                )
            )
        elif words[:1] in (["fly"], ["flyctl"]) and "deploy" in words:
            image = _option(words, "--image", "-i")
            fly = classify_ref(image) if image else None
            facts.append(Fact("deploy", loc, fly, detail="fly deploy", job=job))
        else:
            for pattern, name in _CHECKOUT_DEPLOYS:
                if pattern.search(cmd):
                    facts.append(Fact("deploy", loc, None, detail=name, job=job))
                    break
    return facts


def _tag_rules(
    meta: Mapping[str, Any], ctx: Mapping[str, Any], event: TriggerEvent, default: str
) -> tuple[Ref, ...]:
    images = [i.strip() for i in _render(meta.get("images"), ctx).splitlines() if i.strip()]
    image = images[0] if images else "<image>"
    is_default = event.ref == f"refs/heads/{default}" or event.name == "workflow_run"
    branch = (
        event.ref.removeprefix("refs/heads/")
        if event.ref and event.ref.startswith("refs/heads/")
        else None
    )
    is_tag = event.ref_kind == "tag" or event.name == "release"
    tags: list[Ref] = []
    semver = False
    for raw_line in str(meta.get("tags") or "").splitlines():
        line = (
            raw_line.split("#")[0].strip() if raw_line.strip().startswith("#") else raw_line.strip()
        )
        if not line:
            continue
        fields: dict[str, str] = {}
        for part in line.split(","):
            k, _, v = part.partition("=")
            fields[k.strip()] = v.strip()
        enable = fields.get("enable", "true")
        if ("is_default_branch" in enable and not is_default) or (
            "is_default_branch" not in enable
            and "${{" in enable
            and condition(enable, ctx) is False
        ):
            continue
        kind = fields.get("type", "")
        if kind == "raw":
            value = _render(fields.get("value", ""), ctx)
            tags.append(classify_ref(f"{image}:{value}"))
        elif kind == "ref" and fields.get("event") == "branch" and branch:
            tags.append(Ref(f"{image}:{branch}", image, "mutable"))
        elif kind == "ref" and fields.get("event") == "tag" and is_tag:
            tags.append(Ref(f"{image}:<tag>", image, "version"))
        elif kind == "semver" and is_tag:
            semver = True
            pattern = fields.get("pattern", "").replace(" ", "")
            full = "{{version}}" in pattern or "{{raw}}" in pattern or "{{patch}}" in pattern
            tags.append(Ref(f"{image}:{pattern}", image, "version" if full else "mutable"))
        elif kind == "sha":
            tags.append(Ref(f"{image}:sha-{COMMIT_SHA}", image, "commit", "github.sha"))
        elif kind in ("edge", "schedule") and kind == "edge" and is_default:
            tags.append(Ref(f"{image}:edge", image, "mutable"))
    flavor = _render(meta.get("flavor"), ctx)
    m = re.search(r"latest\s*=\s*(\S+)", flavor)
    latest = m.group(1).lower() if m else "auto"
    if latest == "true" or (latest == "auto" and is_tag and semver):
        tags.append(Ref(f"{image}:latest", image, "mutable"))
    return tuple(tags)


def job_facts(
    wf: Workflow,
    job: WorkflowJob,
    event: TriggerEvent,
    ctx: Mapping[str, Any],
    default: str = "main",
) -> list[Fact]:
    """Every fact of `job`'s steps that run under `event` (steps whose ``if:`` is false skipped)."""
    facts: list[Fact] = []
    metas: dict[str, tuple[Ref, ...]] = {}
    base = with_env(ctx, wf.env, job.env)
    for step in job.steps:
        sctx = with_env(with_inputs(base, step.inputs), step.env)
        if step.if_ is not None and condition(step.if_, sctx) is False:
            continue
        uses = step.uses.lower().split("@")[0]
        loc = step.loc
        if uses == "docker/metadata-action":
            metas[step.id] = _tag_rules(step.with_, sctx, event, default)
            continue
        if uses == "docker/build-push-action":
            push = interpolate(step.with_.get("push", False), sctx)
            if isinstance(push, str):
                push = push.lower() == "true"
            if push is False:
                continue
            raw = str(step.with_.get("tags", ""))
            m = re.search(r"steps\.([\w-]+)\.outputs\.tags", raw)
            if m and m.group(1) in metas:
                tags = metas[m.group(1)]
            else:
                tags = tuple(
                    classify_ref(t) for t in re.split(r"[,\n]", _render(raw, sctx)) if t.strip()
                )
            facts.append(
                Fact(
                    "build",
                    loc,
                    tags=tags,
                    job=job.id,
                    step_id=step.id,
                    detail="docker/build-push-action",
                )
            )
            continue
        if uses == "google-github-actions/deploy-cloudrun":
            image = step.with_.get("image")
            ref = classify_ref(_render(image, sctx)) if image else None
            facts.append(Fact("deploy", loc, ref, detail="deploy-cloudrun", job=job.id))
            continue
        if uses == "aws-actions/amazon-ecs-render-task-definition":
            metas["__ecs__"] = (_image_ref(_render(step.with_.get("image"), sctx), facts),)
            continue
        if uses == "aws-actions/amazon-ecs-deploy-task-definition":
            ref = metas.get("__ecs__", (Ref("<task definition>", "", "unknown"),))[0]
            facts.append(
                Fact("deploy", loc, ref, detail="amazon-ecs-deploy-task-definition", job=job.id)
            )
            continue
        if uses == "firebaseextended/action-hosting-deploy":
            channel = _render(step.with_.get("channelId", ""), sctx)
            if channel == "live":
                project = _render(step.with_.get("projectId", ""), sctx)
                facts.append(
                    Fact(
                        "deploy", loc, None, detail=f"firebase hosting live ({project})", job=job.id
                    )
                )
            continue
        if uses in _CHECKOUT_ACTIONS:
            facts.append(Fact("deploy", loc, None, detail=uses, job=job.id))
            continue
        if step.run:
            script = _shell_env(_render(step.run, sctx), sctx["env"])
            first = step.run_line
            block = _is_block(wf, step)
            doc = wf.doc if step.loc.file == wf.doc.path else None

            def loc_of(
                offset: int,
                _first: int = first,
                _block: bool = block,
                _step: WorkflowStep = step,
                _doc: Doc | None = doc,
            ) -> Loc:
                line = _first + (1 if _block else 0) + offset
                text = _doc.line_text(line) if _doc is not None else _step.loc.text
                return Loc(_step.loc.file, line, text)

            facts.extend(_step_outputs(_script_facts(step, script, loc_of, job.id), step))
    return _resolve_pushes(facts)


def _resolve_pushes(facts: list[Fact]) -> list[Fact]:
    """A ``docker push`` is a build when its image was built here, a mirror when it was pulled."""
    built = {t.text for f in facts if f.kind == "local_build" for t in f.tags}
    pulled = {f.ref.text for f in facts if f.kind == "pull" and f.ref is not None}
    origin: dict[str, str] = {}
    for f in facts:
        if f.kind == "tag" and f.ref is not None and f.tags:
            origin[f.ref.text] = f.tags[0].text
    out: list[Fact] = []
    for fact in facts:
        if fact.kind == "push" and fact.ref is not None:
            pushed: Ref = fact.ref
            src = pushed.text
            while src in origin and src not in built and src not in pulled:
                src = origin.pop(src)
            if src in pulled:
                fact = replace(fact, kind="mirror")
            elif src in built or not pulled:
                fact = replace(fact, kind="build", tags=(pushed,), ref=None)
        out.append(fact)
    return out


def _step_outputs(facts: list[Fact], step: WorkflowStep) -> list[Fact]:
    return [Fact(**{**f.__dict__, "step_id": step.id}) for f in facts]


def _image_ref(text: str, facts: list[Fact]) -> Ref:
    """An image given by a step output of this job's own build (``steps.x.outputs.image``)."""
    if "<unknown>" in text or text == "":
        facts = _resolve_pushes(facts)
        if any(f.kind == "build" for f in facts):
            build = next(f for f in reversed(facts) if f.kind == "build")
            kinds = {t.kind for t in build.tags}
            kind = "commit" if "commit" in kinds else "own"
            source = "own build" if kind == "own" else "github.sha"
            shown = f"{build.tags[0].text} (this job's build)" if build.tags else "<own build>"
            return Ref(shown, build.tags[0].repo if build.tags else "", kind, source)
        return Ref(text, "", "unknown")
    return classify_ref(text)


def _is_block(wf: Workflow, step: WorkflowStep) -> bool:
    line = step.run_line
    if step.loc.file == wf.doc.path:
        text = wf.doc.line_text(line)
    else:
        return True
    return bool(re.search(r"run:\s*[|>]", text))


def own_ref(value: Sym | str) -> str:
    return str(value)
