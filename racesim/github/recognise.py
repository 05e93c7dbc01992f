"""Recognise what a step does to images and services: build, push, pull, mirror, deploy, wait.

Every step of a job is read in the context of one event: its ``uses:`` is looked up in the
:class:`~racesim.github.catalogue.Catalogue`, its ``run:`` script (and the repo scripts and
Makefile targets it calls) is parsed with :mod:`racesim.github.shell` and each command looked
up the same way. What a step writes to ``$GITHUB_OUTPUT`` and ``$GITHUB_ENV``, and the outputs
the catalogue knows (a build's digest, metadata-action's tags), become the ``steps`` and
``env`` contexts of the steps after it and the job's ``outputs``, so a reference is traced to
what made it. References are classified by their tag: mutable (``latest``, ``main``), per commit
(``github.sha``, ``workflow_run.head_sha``, a release tag), a digest, or unknown. A step that
looks like it builds, pushes or deploys but matches nothing is an :class:`Unknown`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from racesim.errors import InputError
from racesim.github.catalogue import Catalogue, Entry
from racesim.github.context import TriggerEvent, with_env, with_inputs
from racesim.github.expressions import MAX_VALUE, UNKNOWN, Open, Sym, condition, interpolate
from racesim.github.files import MAX_BYTES, RepoFiles
from racesim.github.shell import Command, parse
from racesim.github.workflows import ConcurrencyDef, Loc, Workflow, WorkflowJob, WorkflowStep
from racesim.github.yaml import Doc, parse_yaml

__all__ = ["Fact", "JobReading", "Ref", "Unknown", "classify_ref", "job_facts"]

COMMIT_SHA = "<commit-sha>"
HEAD_SHA = "<workflow_run.head_sha>"
OWN_DIGEST = "<own-digest>"
_COMMIT_MARKS = (
    (HEAD_SHA, "head_sha"),
    (COMMIT_SHA, "github.sha"),
    ("<pr-head-sha>", "github.sha"),
    ("<tag-name>", "release tag"),
    ("<release-tag>", "release tag"),
)


@dataclass(frozen=True)
class Ref:
    """An image reference: its rendered text, repository and what kind of tag it uses.

    ``kind`` is ``mutable`` (a tag that moves), ``commit`` (a tag per commit or release),
    ``digest``, ``own`` (the image or artifact this run built) or ``unknown``; ``source`` says
    which value made it commit-bound (``github.sha``, ``head_sha``, ``release tag``).
    """

    text: str
    repo: str
    kind: str
    source: str = ""


@dataclass(frozen=True)
class Fact:
    """Something a step does. ``kind``: build, pull, mirror, deploy, sleep, wait, guard, tag.

    ``entry`` names the catalogue entry that recognised it and ``cite`` its documentation;
    ``chain`` the lines a traced reference passed through (an output written, a job output).
    """

    kind: str
    loc: Loc
    ref: Ref | None = None
    tags: tuple[Ref, ...] = ()
    seconds: float = 0.0
    timeout: float = 0.0
    detail: str = ""
    job: str = ""
    step_id: str = ""
    entry: str = ""
    cite: str = ""
    chain: tuple[Loc, ...] = ()
    via: tuple[Loc, ...] = ()
    #: the group of the inner reusable-workflow job the step ran in (``None``: the job's own)
    group: ConcurrencyDef | None = None
    #: a deploy whose rollout stops when its job is cancelled (the catalogue's ``on_cancel``)
    stops_on_cancel: bool = False
    #: ``request``: the target runs the last request it accepted (the catalogue's
    #: ``live_order``); ``""``: the rollout that finishes last
    live_order: str = ""


def _deploy_fact(rule: Entry, loc: Loc, ref: Ref | None, **fields: Any) -> Fact:
    """A deploy recognised by catalogue entry `rule`, with what the entry says of its target
    (`fields` name the entry too, as Fact.entry)."""
    return Fact(
        "deploy",
        loc,
        ref,
        detail=rule.name,
        stops_on_cancel=rule.on_cancel == "stops",
        live_order=rule.live_order,
        **fields,
    )


@dataclass(frozen=True)
class Unknown:
    """A step that looks like it builds, pushes or deploys but that nothing recognised."""

    loc: Loc
    what: str
    why: str


@dataclass
class JobReading:
    """What one job does under one event: its facts, its outputs and what was not understood."""

    facts: list[Fact] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    unknowns: list[Unknown] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def classify_ref(text: str) -> Ref:
    """Classify a rendered image reference (``<...>`` marks values unknown until run time)."""
    text = text.strip().strip("'\"")
    last = text.split("/")[-1]
    if "@sha256:" in text or "digest" in text.lower() or "@" in last or OWN_DIGEST in text:
        repo = text.split("@")[0]
        return Ref(text, repo, "digest")
    head, _, tag = text.rpartition(":")
    if not head or "/" in tag:
        head, tag = text, "latest"
    for mark, source in _COMMIT_MARKS:
        if mark in tag:
            return Ref(text, head, "commit", source)
    if re.search(r"<[^>]*sha[^>]*>", tag):
        return Ref(text, head, "commit", "github.sha")
    if "<" in tag:
        return Ref(text, head, "unknown")
    return Ref(text, head, "mutable")


def _render(value: object, ctx: Mapping[str, Any]) -> str:
    return str(interpolate(value, ctx)) if value is not None else ""


_SHELL_VAR = re.compile(r"\$\{([A-Za-z_]\w*)((?::-?|#|%|/)[^}]*)?\}|\$([A-Za-z_]\w*)")
_SUBST = re.compile(r"\$\((?:[^()]|\([^()]*\))*\)")


def _github_env(ctx: Mapping[str, Any]) -> dict[str, str]:
    """The ``GITHUB_*`` variables every step's shell has, from the run's ``github`` context."""
    github = ctx.get("github")
    if not isinstance(github, Mapping):
        return {}
    names = {
        "GITHUB_REF": "ref",
        "GITHUB_REF_NAME": "ref_name",
        "GITHUB_REPOSITORY": "repository",
        "GITHUB_REPOSITORY_OWNER": "repository_owner",
        "GITHUB_RUN_ID": "run_id",
        "GITHUB_RUN_NUMBER": "run_number",
        "GITHUB_EVENT_NAME": "event_name",
        "GITHUB_WORKFLOW": "workflow",
        "GITHUB_HEAD_REF": "head_ref",
        "GITHUB_BASE_REF": "base_ref",
    }
    out = {"GITHUB_SHA": COMMIT_SHA}
    for var, key in names.items():
        value = github.get(key)
        if isinstance(value, str | Sym):
            out[var] = str(value)
    return out


def _shell_env(text: str, env: Mapping[str, Any]) -> str:
    """Expand ``$VAR`` from `env` and the values racesim knows, leaving the rest as written.

    At most :data:`~racesim.github.expressions.MAX_VALUE` characters are substituted into one
    text; a variable past that stays as written (``V1=$V0$V0`` on every line would double).
    """
    budget = [MAX_VALUE]

    def sub(m: re.Match[str]) -> str:
        out = _shell_value(m)
        if out != m.group(0):
            budget[0] -= len(out)
            if budget[0] < 0:
                return m.group(0)
        return out

    def _shell_value(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(3)
        op = m.group(2) or ""
        if (name not in env and op[:2] in (":-", "-")) or (name not in env and op[:1] == "-"):
            return op.lstrip(":-")  # ${TAG-latest}, ${TAG:-latest}: the default
        if name in env and not isinstance(env[name], Mapping):
            value = str(env[name])
            return COMMIT_SHA if value == COMMIT_SHA else value
        if name == "GITHUB_SHA":
            return COMMIT_SHA
        if name in ("GITHUB_REF_NAME",) and "GITHUB_REF_NAME" in env:
            return str(env[name])
        return m.group(0)

    def commit(m: re.Match[str]) -> str:
        body = m.group(0)
        if re.search(r"git\s+(rev-parse|log)", body) or COMMIT_SHA in body:
            return COMMIT_SHA
        if re.search(r"\bdate\b", body):
            return "<date>"
        # output racesim cannot compute: keep the image references it names, if any
        images = re.findall(r"[\w.-]+(?:/[\w.<>-]+)+:[\w.<>${}-]+", body)
        return ",".join(dict.fromkeys(images)) if images else body

    return _SUBST.sub(commit, _SHELL_VAR.sub(sub, text))


_DEPLOY_WORDS = re.compile(
    r"\b(deploy|deployment|rollout|roll-out|release|promote|publish|ship|update-service|"
    r"set-image|redeploy|go-live)\b",
    re.IGNORECASE,
)
#: what a deploy is called in a workflow, action or script name (``deploy_env.yml``)
_DEPLOY_NAME = re.compile(r"deploy|rollout|roll-out|promote|go-live", re.IGNORECASE)
_PUSH_WORDS = re.compile(r"\b(push|publish|upload)\b", re.IGNORECASE)
_REGISTRY = re.compile(
    r"\b(ghcr\.io|docker\.io|quay\.io|gcr\.io|[\w-]+\.pkg\.dev|[\w.-]+\.amazonaws\.com|"
    r"[\w-]+\.azurecr\.io|registry\.[\w.-]+)\b"
)
_DEPLOY_TOOLS = frozenset(
    {
        "kubectl",
        "helm",
        "helmfile",
        "gcloud",
        "aws",
        "az",
        "flyctl",
        "fly",
        "heroku",
        "railway",
        "render",
        "ssh",
        "scp",
        "rsync",
        "ansible",
        "ansible-playbook",
        "terraform",
        "tofu",
        "pulumi",
        "oc",
        "skaffold",
        "copilot",
        "eb",
        "kustomize",
        "argocd",
        "serverless",
        "sls",
        "cdk",
        "doctl",
        "vercel",
        "netlify",
        "wrangler",
        "firebase",
        "docker",
        "docker-compose",
        "podman",
        "buildah",
        "crane",
        "skopeo",
        "ko",
        "pack",
        "kamal",
        "dokku",
        "caprover",
        "nomad",
        "waypoint",
    }
)
_READ_ONLY = re.compile(
    r"\b(login|auth|version|--version|help|describe|get|list|ls|logs|inspect|config\s+set|"
    r"configure|init|validate|plan|lint|template|status|wait|show|whoami|info|test|images|ps|"
    r"setup|install-plugin|repo\s+add|dependency|kubeconfig|get-credentials|credentials|"
    r"get-login-password|rev-parse|fmt|output)\b"
)


@dataclass
class _Job:
    """The state of reading one job: contexts, facts, outputs and where values came from."""

    wf: Workflow
    job: WorkflowJob
    event: TriggerEvent
    catalogue: Catalogue
    files: RepoFiles | None
    default: str
    reading: JobReading = field(default_factory=JobReading)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    env: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, Loc] = field(default_factory=dict)
    metas: dict[str, tuple[Ref, ...]] = field(default_factory=dict)
    render: Ref | None = None
    gitops: Ref | None = None
    depth: int = 0

    def add(self, fact: Fact) -> None:
        self.reading.facts.append(fact)

    def unknown(self, loc: Loc, what: str, why: str) -> None:
        self.reading.unknowns.append(Unknown(loc, what.strip()[:160], why))


def _chain(job: _Job, raw: str) -> tuple[Loc, ...]:
    """The lines a value named in `raw` was written at (outputs and env it refers to)."""
    out: list[Loc] = []
    for m in re.finditer(
        r"(steps\.[\w-]+\.outputs\.[\w-]+|needs\.[\w-]+\.outputs\.[\w-]+|env\.\w+)", raw
    ):
        loc = job.origins.get(m.group(1))
        if loc is not None and loc not in out:
            out.append(loc)
    for m in re.finditer(r"\$\{?(\w+)", raw):
        loc = job.origins.get(f"env.{m.group(1)}")
        if loc is not None and loc not in out:
            out.append(loc)
    return tuple(out)


def _outputs_of(entry: Entry, step: WorkflowStep, facts: list[Fact]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, what in entry.outputs.items():
        if what == "digest":
            out[name] = Sym(OWN_DIGEST, frozenset({"commit"}))
    return out


def _values(raw: str, ctx: Mapping[str, Any], sep: str = r"[,\n]") -> list[str]:
    rendered = _render(raw, ctx)
    return [t.strip() for t in re.split(sep, rendered) if t.strip()]


def _action_step(
    job: _Job, step: WorkflowStep, sctx: dict[str, Any], entry: Entry
) -> dict[str, Any]:
    """Facts of a step whose ``uses:`` is in the catalogue; returns the outputs it sets."""
    loc = step.loc
    role = entry.role
    common: dict[str, Any] = {
        "job": job.job.id,
        "step_id": step.id,
        "entry": entry.name,
        "cite": entry.source,
    }
    if role == "setup":
        other = str(step.with_.get("repository", "") or "").strip()
        own = other in ("", "${{ github.repository }}")
        # a checkout of another repository (tools, deploy config) is not the tested commit
        if own and "actions/checkout" in entry.uses and uses_name(step.uses) == "actions/checkout":
            wanted = _render(step.with_.get("ref", ""), sctx)
            job.add(Fact("checkout", loc, detail=wanted, **common))
        return {}
    if role == "meta":
        tags = _tag_rules(step.with_, sctx, job.event, job.default)
        job.metas[step.id] = tags
        text = "\n".join(t.text for t in tags)
        version = next((t.text.rpartition(":")[2] for t in tags), "")
        return {"tags": text, "version": version, "json": text, "labels": ""}
    if role in ("build", "push", "local_build"):
        if entry.push and role == "build":
            push = interpolate(step.with_.get(entry.push, False), sctx)
            if isinstance(push, str):
                push = push.strip().lower() == "true"
            if push is False or push is None:
                role = "local_build"
        raw = " ".join(str(step.with_.get(k, "")) for k in entry.tags.split(",") if k)
        m = re.search(r"steps\.([\w-]+)\.outputs\.tags", raw)
        if m and m.group(1) in job.metas:
            tags = job.metas[m.group(1)]
        else:
            values = _values(raw, sctx, r"[,\n\s]+")
            image = _render(step.with_.get(entry.image, ""), sctx) if entry.image else ""
            registry = _render(step.with_.get(entry.registry, ""), sctx) if entry.registry else ""
            if image:
                base = f"{registry.rstrip('/')}/{image}" if registry else image
                values = [f"{base}:{t}" for t in values] or [f"{base}:latest"]
            tags = tuple(classify_ref(t) for t in values)
        if role == "build" and not tags:
            tags = (Ref(f"<tags of {entry.name}>", "", "unknown"),)
        kind = {"build": "build", "push": "push", "local_build": "local_build"}[role]
        chain = _chain(job, raw)
        if kind == "push":
            for t in tags or (Ref("<image>", "", "unknown"),):
                job.add(Fact("push", loc, t, chain=chain, **common))
        else:
            job.add(Fact(kind, loc, tags=tags, detail=entry.name, chain=chain, **common))
        return _outputs_of(entry, step, job.reading.facts)
    if role == "render":
        raw = str(step.with_.get(entry.image, ""))
        job.render = _image_ref(_render(raw, sctx), job.reading.facts)
        job.origins["render"] = loc
        return {"task-definition": "<rendered task definition>"}
    if role == "deploy":
        if entry.channel:
            channel = _render(step.with_.get(entry.channel, "live"), sctx) or "live"
            if channel != "live":
                return {}
        ref: Ref | None
        raws = [
            str(step.with_.get(k, "")) for k in entry.image.split(",") if k and step.with_.get(k)
        ]
        if raws:
            ref = _image_ref(
                _values(raws[0], sctx)[0] if _values(raws[0], sctx) else "", job.reading.facts
            )
        elif any("amazon-ecs-deploy-task-definition" in u for u in entry.uses):
            ref = job.render or Ref("<task definition>", "", "unknown")
        else:
            ref = None
        chain = _chain(job, " ".join(raws)) + (
            (job.origins["render"],) if job.render and "ecs" in entry.name else ()
        )
        job.add(_deploy_fact(entry, loc, ref, chain=chain, **common))
        return {}
    if role == "ssh":
        script = _render(step.with_.get(entry.script, ""), sctx)
        _script(job, step, script, lambda offset: loc, sctx, remote=True)
        return {}
    if role == "wait":
        job.add(
            Fact(
                "wait",
                loc,
                seconds=float(_number(step.with_.get("intervalSeconds", 10))),
                timeout=float(_number(step.with_.get("timeoutSeconds", 600))),
                detail=entry.name,
                **common,
            )
        )
        return {}
    if role == "gitops":
        if job.gitops is not None:
            job.add(
                Fact(
                    "deploy",
                    loc,
                    job.gitops,
                    detail=f"{entry.name} (a tag bump in git)",
                    chain=_chain(job, ""),
                    **common,
                )
            )
        return {}
    return {}


def uses_name(uses: str) -> str:
    """``owner/name[/path]`` of a ``uses:`` value, lower-case, without the ``@ref``."""
    return uses.split("@")[0].lower().rstrip("/")


def _number(value: object) -> float:
    try:
        return float(str(value))
    except ValueError:
        return 0.0


def _image_ref(text: str, facts: list[Fact]) -> Ref:
    """An image given by a step output of this job's own build, or a rendered reference."""
    if "<unknown>" in text or text == "" or (OWN_DIGEST in text and not text.strip(OWN_DIGEST)):
        builds = [f for f in _resolve_pushes(facts) if f.kind == "build"]
        if builds:
            build = builds[-1]
            kinds = {t.kind for t in build.tags}
            kind = "commit" if "commit" in kinds else "own"
            source = "own build" if kind == "own" else "github.sha"
            shown = f"{build.tags[0].text} (this job's build)" if build.tags else "<own build>"
            return Ref(shown, build.tags[0].repo if build.tags else "", kind, source)
        return Ref(text or "<unknown>", "", "unknown")
    return classify_ref(text)


def _option_values(rest: tuple[str, ...], names: list[str]) -> list[str]:
    out: list[str] = []
    for i, w in enumerate(rest):
        for n in names:
            if w == n and i + 1 < len(rest):
                out.append(rest[i + 1])
            elif w.startswith(n + "=") or (n.startswith("-D") and w.startswith(n + "=")):
                out.append(w[len(n) + 1 :])
    return out


def _positional(rest: tuple[str, ...]) -> list[str]:
    return [w for w in rest if not w.startswith("-") and w not in (".", "&&", "||", ";", "|")]


def _compose_images(job: _Job, rest: tuple[str, ...]) -> list[str]:
    """The images of a compose project: those its services build first, then the others."""
    names = _option_values(rest, ["-f", "--file"]) or [
        "compose.yaml",
        "compose.yml",
        "docker-compose.yml",
        "docker-compose.yaml",
    ]
    if job.files is None:
        return []
    services: dict[str, dict[str, Any]] = {}
    for name in names:
        path = job.files.find(name)
        text = job.files.read(path) if path is not None else None
        if not text:
            continue
        try:
            data = parse_yaml(text, name).data
        except InputError:
            continue
        found = data.get("services")
        if isinstance(found, Mapping):
            for svc, spec in found.items():
                if isinstance(spec, Mapping):
                    services.setdefault(str(svc), {}).update(spec)
        if not (_option_values(rest, ["-f", "--file"])):
            break
    built = [str(s["image"]) for s in services.values() if "build" in s and "image" in s]
    other = [str(s["image"]) for s in services.values() if "build" not in s and "image" in s]
    return [_shell_env(i, job.env) for i in (*built, *other)]


def _command_ref(job: _Job, entry: Entry, rest: tuple[str, ...], text: str) -> Ref | str | None:
    """The reference a catalogued command reads or writes (``"skip"`` when it does nothing)."""
    how, _, arg = entry.image.partition(":")
    if how == "none":
        return None
    if how == "option":
        values = _option_values(rest, arg.split(","))
        if values:
            return _image_ref(values[0], job.reading.facts)
        return None if entry.image_kind == "own" else Ref(f"<{entry.name}>", "", "unknown")
    if how == "family":
        # an ECS task definition: `family:revision` or a full ARN is one fixed revision; a bare
        # family name runs the family's latest ACTIVE revision, which another run may have
        # registered in the meantime
        values = _option_values(rest, arg.split(","))
        if not values:
            return Ref(f"<{entry.name}>", "", "unknown")
        value = values[0]
        if re.fullmatch(r"(arn:[^\s]+/)?[A-Za-z0-9_-]+:\d+", value):
            return Ref(value, "", "digest", "task definition revision")
        if re.fullmatch(r"[A-Za-z0-9_-]+", value):
            return Ref(f"{value} (the family's latest revision)", "", "mutable", "task family")
        return _image_ref(value, job.reading.facts)
    if how == "arg":
        pos = _positional(rest)
        if not pos:
            return Ref(f"<{entry.name}>", "", "unknown")
        return classify_ref(pos[int(arg)] if -len(pos) <= int(arg) < len(pos) else pos[-1])
    if how == "pair":
        pair = next((w for w in rest if "=" in w and not w.startswith("-")), "")
        return classify_ref(pair.partition("=")[2]) if pair else Ref(text, "", "unknown")
    if how == "set":
        keys = arg.split(",")
        for value in _option_values(rest, ["--set", "--set-string"]):
            for part in value.split(","):
                k, _, v = part.partition("=")
                if k in keys:
                    return classify_ref(f"chart:{v}") if k.endswith("tag") else classify_ref(v)
        return Ref("<chart values>", "", "unknown")
    if how == "task-definition":
        return Ref("<the image the task definition names now>", "", "mutable", "task definition")
    if how == "restart":
        return Ref("<what the service's tag holds now>", "", "mutable", "restart")
    if how == "compose":
        images = _compose_images(job, rest)
        return classify_ref(images[0]) if images else Ref("<compose images>", "", "unknown")
    if how in ("ko", "skaffold"):
        return Ref(f"{OWN_DIGEST} ({entry.name})", "", "own", "own build")
    if how == "webhook":
        named = re.search(r"[\w.-]+\.[\w.-]+/[\w./-]+@\S+", text)
        if OWN_DIGEST in text or "@sha256" in text or "digest" in text.lower() or named:
            return Ref(named.group(0) if named else text, "", "digest")
        for mark, source in _COMMIT_MARKS:
            if mark in text:
                return Ref(text, "", "commit", source)
        return Ref("<what the service's tag holds now>", "", "mutable", "webhook")
    if how == "copilot":
        tag = _option_values(rest, ["--tag"])
        return (
            classify_ref(f"image:{tag[0]}")
            if tag
            else Ref("<manifest image.location>", "", "mutable")
        )
    if how == "manifest":
        return job.gitops or Ref("<manifests in the checkout>", "", "unknown")
    if how in ("terraform", "remote"):
        return Ref(f"<images in the {entry.name} configuration>", "", "unknown")
    if how == "guess":
        for w in reversed(rest):
            if ":" in w or "@" in w:
                return classify_ref(w)
        return Ref(text, "", "unknown")
    return Ref(text, "", "unknown")


_SCRIPT_CALL = re.compile(r"^(?:\./)?[\w./-]+\.(?:sh|bash)$")


def _script(
    job: _Job,
    step: WorkflowStep,
    script: str,
    loc_of: Callable[[int], Loc],
    sctx: Mapping[str, Any],
    remote: bool = False,
) -> dict[str, Any]:
    """Facts of a shell script; returns the outputs it writes to ``$GITHUB_OUTPUT``."""
    outputs: dict[str, Any] = {}
    variables = {**_github_env(sctx), **job.env, **dict(sctx.get("env") or {})}
    parsed = parse(script)
    common: dict[str, Any] = {"job": job.job.id, "step_id": step.id}
    polled: set[int] = set()
    for loop in parsed.loops:
        polls = [c for c in loop.commands if _polls(c)]
        sleeps = [
            _number(c.words[1])
            for c in loop.commands
            if c.words[:1] == ("sleep",) and len(c.words) > 1
        ]
        if polls:
            interval = sleeps[0] if sleeps else 5.0
            timeout = loop.count * interval if loop.count else 0.0
            job.add(Fact("wait", loc_of(loop.line), seconds=interval, timeout=timeout, **common))
            polled.update(id(c) for c in loop.commands)
    for cmd in parsed.commands:
        words = tuple(_shell_env(w, variables) for w in cmd.words)
        text = _shell_env(cmd.text, variables)
        loc = loc_of(cmd.line)
        for name, value in cmd.assigns:
            variables[name] = _shell_env(value, variables)
            job.origins[f"env.{name}"] = loc
        if id(cmd) in polled:
            continue
        if cmd.appends_to and ("GITHUB_OUTPUT" in cmd.appends_to or "GITHUB_ENV" in cmd.appends_to):
            for w in words[1:]:
                if "=" in w and not w.startswith("-"):
                    k, _, v = w.partition("=")
                    if "GITHUB_OUTPUT" in cmd.appends_to:
                        outputs[k.strip()] = v
                        job.origins[f"steps.{step.id}.outputs.{k.strip()}"] = loc
                    else:
                        job.env[k.strip()] = v
                        variables[k.strip()] = v
                        job.origins[f"env.{k.strip()}"] = loc
            continue
        m = re.search(r"::set-output name=([\w-]+)::(.*)", text)
        if m:
            outputs[m.group(1)] = m.group(2)
            job.origins[f"steps.{step.id}.outputs.{m.group(1)}"] = loc
            continue
        if not words:
            continue
        if (
            words[:1] == ("git",)
            and words[1:2] in (("fetch",), ("ls-remote",))
            and re.search(r"rev-parse|ls-remote", f"{step.run}\n{script}")
            and re.search(r"<commit-sha>|<workflow_run.head_sha>|GITHUB_SHA", script)
        ):
            # compares the deployed commit with the branch tip: a "still the tip" guard
            job.add(Fact("guard", loc, detail="tip_of_main", **common))
            continue
        _command(job, step, words, text, loc, loc_of, sctx, common, remote, cmd.words)
    if not parsed.parsed and any(
        c.words[:1] and c.words[0] in _DEPLOY_TOOLS for c in parsed.commands
    ):
        job.reading.notes.append(
            f"{loc_of(0)}: the script could not be parsed as bash; read line by line"
        )
    return outputs


def _polls(cmd: Command) -> bool:
    text = cmd.text
    return bool(
        re.search(
            r"docker\s+manifest\s+inspect|crane\s+(digest|manifest)|skopeo\s+inspect"
            r"|imagetools\s+inspect|docker\s+pull|gcloud\s+.*(describe|list)|aws\s+ecr\s+describe"
            r"|curl\b.*(status|health|version)",
            text,
        )
    )


def _command(
    job: _Job,
    step: WorkflowStep,
    words: tuple[str, ...],
    text: str,
    loc: Loc,
    loc_of: Callable[[int], Loc],
    sctx: Mapping[str, Any],
    common: dict[str, Any],
    remote: bool,
    raw: tuple[str, ...] = (),
) -> None:
    rule = job.catalogue.rule(text)
    if rule is not None:
        _fact_of(job, rule, words[1:], text, loc, common)
        return
    head = words[0]
    # a command run elsewhere: ssh HOST 'script'
    if head == "ssh":
        payload = [w for w in words[1:] if " " in w or w in ("docker", "sh", "bash")]
        if payload:
            inner = " ".join(words[words.index(payload[0]) :])
            _script(job, step, inner, lambda _o: loc, sctx, remote=True)
            return
    found = job.catalogue.command(words)
    if found is None and raw:
        # an option the entry requires may sit in a variable's name (`$DEPLOY_HOOK`)
        found = job.catalogue.command(raw, rest_of=words)
    if found is not None:
        entry, rest = found
        _fact_of(job, entry, rest, text, loc, common)
        return
    # writing an image into files that git then ships (GitOps)
    if head in ("sed", "yq", "jq") and (
        COMMIT_SHA in text or HEAD_SHA in text or (":" in text and _REGISTRY.search(text))
    ):
        marks = [m for m, _ in _COMMIT_MARKS if m in text]
        job.gitops = (
            Ref(text, "", "commit", "github.sha") if marks else classify_ref(text.split()[-1])
        )
        return
    # repo scripts and Makefile targets
    if job.files is not None and job.depth < 3:
        target = _called_script(words)
        if target is not None and _follow(job, step, target, loc, sctx):
            return
        if head == "make" and _make(job, step, words, loc, sctx):
            return
    if head in _DEPLOY_TOOLS and not _READ_ONLY.search(" ".join(words[1:4])):
        verb = " ".join(words[1:4])
        if _DEPLOY_WORDS.search(verb) or _PUSH_WORDS.search(verb):
            job.unknown(
                loc,
                text,
                f"`{head}` looks like it builds, pushes or deploys, but no catalogue entry "
                f"matches `{' '.join(words[:3])}`",
            )
            return
    if head in ("curl", "wget", "http") and _DEPLOY_WORDS.search(text):
        job.unknown(
            loc, text, "an HTTP call that looks like a deploy hook but matches no catalogue entry"
        )


def _called_script(words: tuple[str, ...]) -> str | None:
    if words[0] in ("bash", "sh", "zsh", "source", ".") and len(words) > 1:
        cand = next((w for w in words[1:] if not w.startswith("-")), "")
        return cand if _SCRIPT_CALL.match(cand) else None
    return (
        words[0]
        if (_SCRIPT_CALL.match(words[0]) and "/" in words[0]) or words[0].endswith(".sh")
        else None
    )


def _follow(job: _Job, step: WorkflowStep, target: str, loc: Loc, sctx: Mapping[str, Any]) -> bool:
    assert job.files is not None
    path = job.files.find(target, where=str(loc))
    text = job.files.read(path, where=str(loc)) if path is not None else None
    if text is None:
        checks = re.search(r"check|verify|fresh|lint|test|valid|status|wait|notif", target, re.I)
        if (_DEPLOY_WORDS.search(target) or _PUSH_WORDS.search(target)) and not checks:
            job.unknown(loc, target, f"calls {target}, which is not in the folder audited")
            return True
        return False
    shown = _shown(job.files, path)
    lines = text.splitlines()

    def loc_of(offset: int) -> Loc:
        line = offset + 1
        return Loc(shown, line, lines[offset].strip() if 0 <= offset < len(lines) else "")

    job.depth += 1
    try:
        _script(job, step, text, loc_of, sctx)
    finally:
        job.depth -= 1
    return True


def _shown(files: RepoFiles, path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return str(path.resolve().relative_to(files.root))
    except ValueError:
        return str(path)


def _make(
    job: _Job, step: WorkflowStep, words: tuple[str, ...], loc: Loc, sctx: Mapping[str, Any]
) -> bool:
    """Read the recipe of ``make TARGET`` (variables from the Makefile and the command line)."""
    assert job.files is not None
    path = job.files.find("Makefile", where=str(loc)) or job.files.find("makefile", where=str(loc))
    text = job.files.read(path, where=str(loc)) if path is not None else None
    if text is None:
        return False
    shown = _shown(job.files, path)
    variables: dict[str, str] = {}
    included: set[Path] = set()
    for inc in re.findall(r"^-?include\s+(\S+)", text, re.M):
        ipath = job.files.find(inc)
        if ipath is None or ipath.resolve() in included:
            continue  # each file once: `include Makefile` a thousand times is read once
        included.add(ipath.resolve())
        itext = job.files.read(ipath)
        if itext and len(itext) + len(text) <= MAX_BYTES:
            text = itext + "\n" + text
    # `[ \t]`, not `\s`: an empty `SUFFIX ?=` must not take the next line as its value
    for m in re.finditer(r"^([A-Za-z_][\w.]*)[ \t]*[:?+]?=[ \t]*(.*)$", text, re.M):
        variables.setdefault(m.group(1), m.group(2).strip())
    for w in words[1:]:
        if "=" in w:
            k, _, v = w.partition("=")
            variables[k] = v
    for k in list(variables):
        if k in job.env:
            variables[k] = str(job.env[k])
    targets = [w for w in words[1:] if not w.startswith("-") and "=" not in w] or ["all"]
    lines = text.splitlines()
    recipes: dict[str, tuple[list[str], list[tuple[int, str]]]] = {}
    current: str | None = None
    for i, line in enumerate(lines):
        head = re.match(r"^([\w./%-]+)\s*:(?!=)\s*(.*)$", line)
        if head and not line.startswith("\t"):
            current = head.group(1)
            deps = [d for d in head.group(2).split("#")[0].split() if not d.startswith("|")]
            recipes.setdefault(current, (deps, []))
        elif line.startswith("\t") and current is not None:
            recipes[current][1].append((i, line.strip().lstrip("@-")))
        elif line.strip() and not line.startswith("#"):
            current = None if not line.startswith(" ") else current

    def expand(value: str, depth: int = 0, budget: list[int] | None = None) -> str:
        # at most MAX_VALUE characters substituted into one recipe line: ten $(V) a level
        # would otherwise be 10^8 copies
        budget = [MAX_VALUE] if budget is None else budget
        if depth > 8:
            return value

        def sub(m: re.Match[str]) -> str:
            if m.group(1) not in variables or budget[0] < 0:
                return m.group(0)
            out = expand(variables[m.group(1)], depth + 1, budget)
            budget[0] -= len(out)
            return out if budget[0] >= 0 else m.group(0)

        return re.sub(r"\$[({](\w+)[)}]", sub, value)

    seen: set[str] = set()

    def run(target: str, depth: int = 0) -> None:
        if target in seen or target not in recipes or depth > 10:
            return
        seen.add(target)
        deps, body = recipes[target]
        for d in deps:
            run(d, depth + 1)
        for i, cmd in body:
            expanded = _shell_env(expand(cmd), job.env)

            def loc_of(_o: int, _i: int = i) -> Loc:
                return Loc(shown, _i + 1, lines[_i].strip())

            _script(job, step, expanded, loc_of, sctx)

    job.depth += 1
    try:
        for t in targets:
            run(t)
    finally:
        job.depth -= 1
    return any(t in recipes for t in targets)


def _fact_of(
    job: _Job, entry: Entry, rest: tuple[str, ...], text: str, loc: Loc, common: dict[str, Any]
) -> None:
    role = entry.role
    meta: dict[str, Any] = {**common, "entry": entry.name, "cite": entry.source}
    if role == "setup":
        return
    if role == "sleep":
        pos = _positional(rest)
        seconds = _number(pos[0].rstrip("s")) if pos else 0.0
        job.add(Fact("sleep", loc, seconds=seconds, **meta))
        return
    if role == "guard":
        job.add(Fact("guard", loc, detail="newer_than_live", **meta))
        return
    if role == "rollout_wait":
        return
    if role == "gitops":
        if job.gitops is not None:
            job.add(
                Fact("deploy", loc, job.gitops, detail=f"{entry.name} (a tag bump in git)", **meta)
            )
        return
    ref = _command_ref(job, entry, rest, text)
    if ref == "skip":
        return
    assert not isinstance(ref, str)
    if role == "tag":
        if entry.image == "pair":
            job.gitops = ref
            return
        pos = _positional(rest)
        src = classify_ref(pos[0]) if len(pos) >= 2 else Ref("<image>", "", "unknown")
        job.add(Fact("tag", loc, ref, tags=(src,), **meta))
        return
    if role == "build":
        values = (
            _option_values(rest, entry.image.partition(":")[2].split(","))
            if entry.image.startswith("option:")
            else []
        )
        if entry.image == "skaffold":
            repo = (_option_values(rest, ["--default-repo", "-d"]) or ["<skaffold artifacts>"])[0]
            values = [f"{repo}/<artifact>:{t}" for t in _option_values(rest, ["--tag", "-t"])]
        tags = tuple(classify_ref(v) for v in values) or ((ref,) if ref is not None else ())
        job.add(Fact("build", loc, tags=tags, detail=entry.name, **meta))
        return
    if role == "local_build":
        values = (
            _option_values(rest, entry.image.partition(":")[2].split(","))
            if entry.image.startswith("option:")
            else []
        )
        tags = tuple(classify_ref(v) for v in values) or ((ref,) if ref is not None else ())
        job.add(Fact("local_build", loc, tags=tags, detail=entry.name, **meta))
        return
    if role in ("push", "pull", "mirror"):
        job.add(Fact(role, loc, ref, detail=entry.name, **meta))
        return
    if role == "deploy":
        job.add(_deploy_fact(entry, loc, ref, **meta))
        return
    if role == "wait":
        job.add(Fact("wait", loc, seconds=10.0, detail=entry.name, **meta))


def _reads_of(
    job: _Job, inputs: Mapping[str, Any], ctx: Mapping[str, Any], loc: Loc, job_id: str
) -> None:
    """Image references passed to a step that neither builds nor deploys (a scanner, a test)."""
    for value in inputs.values():
        for text in _values(str(value), ctx, r"[\s,]+"):
            if _REGISTRY.search(text) and ":" in text.split("/")[-1]:
                job.add(Fact("read", loc, classify_ref(text), job=job_id, entry="image input"))


def _opaque_deploy(loc: Loc, uses: str, job: str, step_id: str = "") -> Fact:
    """A deploy racesim cannot read: it ships an image named somewhere it cannot see."""
    ref = Ref(f"<the image {uses} deploys>", "", "unknown", "opaque")
    return Fact("deploy", loc, ref, detail=uses, job=job, step_id=step_id, entry="(not read)")


def _looks_deploy_like(step: WorkflowStep) -> bool:
    text = f"{step.uses} {step.name}"
    return bool(
        _DEPLOY_WORDS.search(text)
        or (_PUSH_WORDS.search(text) and re.search(r"image|docker|container|registry", text, re.I))
    )


def job_facts(
    wf: Workflow,
    job: WorkflowJob,
    event: TriggerEvent,
    ctx: Mapping[str, Any],
    default: str = "main",
    catalogue: Catalogue | None = None,
    files: RepoFiles | None = None,
) -> JobReading:
    """What `job` does under `event`: facts of its steps that run, its outputs, its unknowns."""
    state = _Job(wf, job, event, catalogue or Catalogue.builtin(), files, default)
    base = with_env(ctx, wf.env, job.env)
    if job.uses and not job.steps and not job.calls:
        where = Loc(job.loc.file, job.loc.line, f"uses: {job.uses}")
        remote = not job.uses.startswith("./")
        if (
            _DEPLOY_NAME.search(job.uses)
            or _PUSH_WORDS.search(job.uses)
            or re.search(r"build|image|docker|release|publish", job.uses, re.I)
        ):
            if _DEPLOY_NAME.search(job.uses.split("@")[0].rsplit("/", 1)[-1]):
                state.add(_opaque_deploy(where, job.uses, job.id))
            state.unknown(
                where,
                job.uses,
                "a remote reusable workflow; its steps cannot be read here "
                "(give a local checkout with --resolve)"
                if remote
                else "a local reusable workflow that could not be read",
            )
        _reads_of(state, job.with_, base, where, job.id)
        state.reading.outputs = dict.fromkeys(job.outputs, UNKNOWN)
        return state.reading
    for step in job.steps:
        sctx = dict(base)
        for layer in step.inputs:
            sctx = with_inputs(sctx, layer)
        sctx = with_env(sctx, step.job_env, state.env, step.env)
        sctx["steps"] = state.steps
        if any(condition(c, sctx) is False for c in (*step.conditions, step.if_) if c is not None):
            continue
        outputs: dict[str, Any] = {}
        before = len(state.reading.facts)
        uses = step.uses
        if uses:
            entry = state.catalogue.rule(uses, step.name) or state.catalogue.action(uses)
            if entry is not None and entry.pattern is not None:
                _fact_of(
                    state,
                    entry,
                    (),
                    f"{uses} {step.name}",
                    step.loc,
                    {"job": job.id, "step_id": step.id},
                )
            elif entry is not None:
                outputs = _action_step(state, step, sctx, entry)
                if entry.role == "setup":
                    _reads_of(state, step.with_, sctx, step.loc, job.id)
            elif not uses.startswith("./") and _looks_deploy_like(step):
                state.add(_opaque_deploy(step.loc, uses, job.id, step.id))
                state.unknown(
                    step.loc,
                    f"uses: {uses}",
                    "an action racesim's catalogue does not know; "
                    "what it builds or deploys cannot be read",
                )
            elif uses.startswith("./"):
                state.unknown(
                    step.loc, f"uses: {uses}", "a local action that could not be read"
                ) if _looks_deploy_like(step) else None
        elif step.run:
            rule = state.catalogue.rule(step.name) if step.name else None
            if rule is not None:
                _fact_of(state, rule, (), step.name, step.loc, {"job": job.id, "step_id": step.id})
            else:
                # variables are expanded command by command, so a command is matched on its
                # words as written (`$DEPLOY_HOOK`) as well as on their values
                script = _render(step.run, sctx)
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

                outputs = _script(state, step, script, loc_of, sctx)
        # every fact of a step remembers the step and what called it (a fact read from a
        # script or a Makefile is located there, and found again from the step that ran it)
        state.reading.facts[before:] = [
            replace(f, via=(*step.via, step.loc), group=f.group or step.group)
            for f in state.reading.facts[before:]
        ]
        if step.id:
            state.steps[step.id] = {
                "outputs": Open(outputs),
                "outcome": "success",
                "conclusion": "success",
            }
            for k in outputs:
                state.origins.setdefault(f"steps.{step.id}.outputs.{k}", step.loc)
    final = dict(base)
    final = with_env(final, state.env)
    final["steps"] = state.steps
    state.reading.outputs = {k: interpolate(v, final) for k, v in job.outputs.items()}
    for k, v in job.outputs.items():
        chain = _chain(state, str(v))
        if chain:
            state.origins[f"outputs.{k}"] = chain[0]
    state.reading.facts = _local_targets(_resolve_pushes(state.reading.facts))
    return state.reading


def _local_targets(facts: list[Fact]) -> list[Fact]:
    """A build left on the runner that a deploy in the same job runs is that deploy's build.

    ``docker compose build`` then ``docker compose up -d`` on a self-hosted runner writes and
    reads the host's own image store: the local tag is as mutable as a registry's.
    """
    shipped = {f.ref.text for f in facts if f.kind == "deploy" and f.ref is not None}
    return [
        replace(f, kind="build")
        if f.kind == "local_build" and any(t.text in shipped for t in f.tags)
        else f
        for f in facts
    ]


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


def _is_block(wf: Workflow, step: WorkflowStep) -> bool:
    line = step.run_line
    if step.loc.file == wf.doc.path:
        text = wf.doc.line_text(line)
    else:
        return True
    return bool(re.search(r"run:\s*[|>]", text))
