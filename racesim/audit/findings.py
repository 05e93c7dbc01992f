"""Findings with stable ids: what an audit reports, each with severity, ``file:line`` and a link.

Ids never change meaning once published; :data:`CODES` is the catalogue that
``docs/reference/findings.md`` documents (a test checks the two agree). Findings are derived from
a pipeline's mapped knobs and from the model's verdicts, never from the YAML text alone, so a
finding says what can happen, not which keyword is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from racesim.audit.judge import Judgement
from racesim.github.pipelines import Pipeline
from racesim.github.workflows import Loc

__all__ = ["CODES", "DOCS", "SEVERITIES", "Finding", "findings_for"]

DOCS = "https://racesim.readthedocs.io/en/latest/reference/findings/"

#: severity order, lowest first
SEVERITIES = ("note", "warning", "error")

#: id -> (severity, title)
CODES: dict[str, tuple[str, str]] = {
    "RS101": ("error", "deploy races the build on a mutable tag"),
    "RS102": ("error", "builds can overwrite a mutable tag out of order"),
    "RS103": ("error", "concurrency group never matches across runs"),
    "RS104": ("error", "an older deploy can finish last"),
    "RS105": ("error", "serialised deploys still go backwards"),
    "RS106": ("error", "workflow_run deploy not pinned to head_sha"),
    "RS107": ("error", "workflow_run deploy without a success gate"),
    "RS108": ("warning", "sleep used as synchronisation"),
    "RS109": ("warning", "manual dispatch deploys whatever the mutable tag holds"),
    "RS110": ("warning", "a per-commit tag is put on an image pulled by a mutable tag"),
    "RS111": ("warning", "pull requests deploy to one shared target"),
    "RS112": ("warning", "a cancel-in-progress group shared with runs that do not deploy"),
    "RS113": ("warning", "freshness guard has a check-then-act window"),
    "RS114": ("error", "a workflow_run job checks out the branch tip, not the tested commit"),
    "RS115": ("error", "a concurrency group holds `${name}`, which GitHub does not evaluate"),
    "RS116": ("warning", "a later job reads back a mutable tag the build pushed"),
    "RS117": ("warning", "a push path skips the workflow the other path waits for"),
    "RS120": ("warning", "a step that looks like a build, push or deploy could not be read"),
}


@dataclass(frozen=True)
class Finding:
    """One finding: a stable id, its severity, where, and a sentence a reviewer understands."""

    id: str
    severity: str
    file: str
    line: int
    message: str
    pipeline: str = ""
    locations: tuple[tuple[str, int], ...] = ()

    @property
    def title(self) -> str:
        return CODES[self.id][1]

    @property
    def url(self) -> str:
        return f"{DOCS}#{self.id.lower()}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "title": self.title,
            "url": self.url,
            "pipeline": self.pipeline,
            "locations": [
                {"file": file, "line": line}
                for file, line in (self.locations or ((self.file, self.line),))
            ],
        }


def _at(
    code: str,
    loc: Loc | None,
    message: str,
    p: Pipeline,
    fallback: Loc | None,
    also: tuple[Loc | None, ...] = (),
) -> Finding:
    where = loc or fallback
    severity = CODES[code][0]
    if p.event.name in ("pull_request", "pull_request_target") and severity == "error":
        severity = "warning"  # a preview target, not production
    elif p.event.name == "workflow_dispatch" and severity == "error":
        severity = "warning"  # a person starts each run and chooses what it deploys
    places = tuple(
        dict.fromkeys((x.file, x.line) for x in (where, *also) if x is not None and x.line > 0)
    )
    return Finding(
        code,
        severity,
        where.file if where else "",
        where.line if where else 0,
        message,
        p.name,
        places,
    )


def _deploy_places(p: Pipeline) -> tuple[Loc | None, ...]:
    """Every deploy step of the pipeline, the lines that called it, and the deploy job."""
    locs: list[Loc | None] = list(p.extra.get("locations") or [])
    for f in p.deploy_facts:
        if f.kind in ("deploy", "pull"):
            locs.extend((f.loc, *f.via))
    job = p.extra.get("deploy_job_loc")
    return (*locs, job, p.trigger_loc)


def _build_places(p: Pipeline) -> tuple[Loc | None, ...]:
    locs: list[Loc | None] = []
    for f in p.build_facts:
        locs.extend((f.loc, *f.via))
    return tuple(locs)


def _broken(j: Judgement, *names: str) -> list[str]:
    return [n for n in names if n in j.verdicts and not j.verdicts[n].holds]


def _breaks(names: list[str]) -> str:
    """``a breaks`` / ``a, b break``, and how the verdict was reached."""
    return f"{', '.join(names)} {'breaks' if len(names) == 1 else 'break'}"


def findings_for(p: Pipeline, j: Judgement) -> list[Finding]:
    """Every finding of pipeline `p` given its judgement `j`."""
    s = p.strategy
    out: list[Finding] = []
    read = p.extra.get("read")
    read_loc = read.loc if read is not None else None
    fallback = p.trigger_loc
    tags = ", ".join(t.text for t in p.mutable_tags) or "a mutable tag"
    build_loc = p.build_facts[0].loc if p.build_facts else fallback
    # a workflow-level group of the deploying workflow that serialises holds every job of the run
    held = any(
        other.serialises and other.scope == "workflow" and other.loc.file == p.deploy_file
        for other in p.groups
    )
    for reading in p.groups:
        literal = re.search(r"\$\{(?!\{)[^}]*\}", reading.raw)
        if literal:
            out.append(
                _at(
                    "RS115",
                    reading.loc,
                    f"`{literal.group(0)}` in group `{reading.raw}` is literal text (only "
                    "`${{ }}` is an expression), so every caller and environment shares this "
                    "one group: one cancels or queues behind another it was meant to be "
                    "separate from",
                    p,
                    fallback,
                )
            )
        if reading.serialises is False and s.trigger == "needs" and held:
            continue  # a group inside one run that the workflow's own group already serialises
        if reading.serialises is False:
            code_sev = "error" if reading.dims & {"run", "commit"} else "warning"
            f = _at(
                "RS103",
                reading.loc,
                f"concurrency group `{reading.raw}` {reading.reason}, so it never "
                "serialises these runs"
                + (" and cancel-in-progress never fires" if reading.cancel else ""),
                p,
                fallback,
            )
            out.append(
                Finding(
                    f.id,
                    code_sev if f.severity == "error" else f.severity,
                    f.file,
                    f.line,
                    f.message,
                    f.pipeline,
                    f.locations,
                )
            )
    pushed = {t.text for t in p.mutable_tags}
    for read in p.extra.get("reads") or []:
        if read.ref is not None and read.ref.text in pushed and s.build_concurrency is None:
            out.append(
                _at(
                    "RS116",
                    read.loc,
                    f"`{read.ref.text}` is read by its tag after this run pushed it; runs are "
                    "not serialised, so another run's push can be what it reads (pass the "
                    "build's digest instead)",
                    p,
                    fallback,
                )
            )
            break
    skipped = p.extra.get("skips_upstream")
    if skipped is not None:
        upstream, wr_loc = skipped
        out.append(
            _at(
                "RS117",
                p.trigger_loc,
                f"on {p.event.describe()} this workflow starts at once, while its workflow_run "
                f"path waits for `{upstream}`, which runs on this same push: what this path "
                f"publishes has not passed `{upstream}` yet, and is published even if it fails",
                p,
                fallback,
                (wr_loc, p.extra.get("deploy_job_loc")),
            )
        )
    if s.trigger == "none":
        if _broken(j, "latest_ends_on_newest"):
            out.append(
                _at(
                    "RS102",
                    build_loc,
                    f"runs of {p.event.describe()} push {tags} in "
                    "parallel with nothing ordering them: the run that finishes last owns "
                    "the tag, which can be an older commit",
                    p,
                    fallback,
                    _build_places(p),
                )
            )
        return out
    if s.trigger == "push" and s.reference == "latest" and _broken(j, "never_stale"):
        out.append(
            _at(
                "RS101",
                read_loc,
                f"the deploy starts on the same push as the build and "
                f"reads `{read.ref.text if read and read.ref else tags}` with nothing making "
                "it wait for the build's push: it can ship the previous image",
                p,
                fallback,
                _deploy_places(p),
            )
        )
    builds_ordered = bool(p.extra.get("builds_ordered"))  # a group on the build job alone
    if (
        s.reference == "latest"
        and s.build_concurrency is None
        and p.mutable_tags
        and not builds_ordered
    ):
        out.append(
            _at(
                "RS102",
                build_loc,
                f"builds push {tags} in parallel with no concurrency "
                "group: an older build can push last and the deploy reads it",
                p,
                fallback,
                _build_places(p),
            )
        )
    if s.trigger == "workflow_run" and s.reference == "latest":
        out.append(
            _at(
                "RS106",
                read_loc,
                "the deploy reads a mutable reference instead of "
                "`github.event.workflow_run.head_sha` (or the build's digest): it ships "
                "whatever the tag holds when it pulls, not the build that triggered it",
                p,
                fallback,
                _deploy_places(p),
            )
        )
    if s.trigger == "workflow_run" and not s.gate:
        out.append(
            _at(
                "RS107",
                p.trigger_loc,
                "workflow_run fires whatever the build's "
                "conclusion; without `if: github.event.workflow_run.conclusion == "
                "'success'` a failed build still deploys",
                p,
                fallback,
            )
        )
    regress = _broken(j, "ends_on_newest", "never_regresses")
    if regress:
        deploy_serial = s.deploy_concurrency is not None or (
            s.trigger == "needs" and s.build_concurrency is not None
        )
        if s.guard != "none":
            guard = next((e.loc for e in p.evidence if e.knob == "guard"), None)
            out.append(
                _at(
                    "RS113",
                    guard,
                    f"the `{s.guard}` check and the rollout are separate "
                    f"steps: a newer deploy can finish between them ({_breaks(regress)} in "
                    "the model)",
                    p,
                    fallback,
                )
            )
        elif not deploy_serial:
            out.append(
                _at(
                    "RS104",
                    read_loc or p.trigger_loc,
                    "deploys of different commits run in "
                    "parallel with no concurrency group: the older one can finish last "
                    f"and production ends on it ({_breaks(regress)})",
                    p,
                    fallback,
                    _deploy_places(p),
                )
            )
        else:
            g = next((e.loc for e in p.evidence if e.knob == "deploy_concurrency" and e.loc), None)
            cancels = (
                s.build_concurrency is not None and s.build_concurrency.cancel_in_progress
            ) or bool(p.extra.get("builds_ordered"))
            why = (
                "deploys are serialised and builds ordered, but deploy runs take the group in "
                "the order they arrive (after their build, and a workflow_run dispatch), not in "
                "commit order, and nothing checks freshness: an older commit's deploy that "
                "arrives late runs last"
                if cancels
                else "deploys are serialised but superseded builds are not cancelled and "
                "nothing checks freshness, so deploys take the group in the order they "
                "arrive and can still go backwards"
            )
            out.append(
                _at(
                    "RS105",
                    g or p.trigger_loc,
                    f"{why} ({_breaks(regress)})",
                    p,
                    fallback,
                    (*_deploy_places(p), *(r.loc for r in p.groups)),
                )
            )
    if s.sleep > 0:
        loc = next((e.loc for e in p.evidence if e.knob == "sleep"), None)
        out.append(
            _at(
                "RS108",
                loc,
                f"a {s.sleep:g} s sleep stands in for waiting on the build: "
                "a slower build or runner pickup still loses the race",
                p,
                fallback,
            )
        )
    if p.dispatch is not None and s.reference == "latest":
        out.append(
            _at(
                "RS109",
                p.dispatch,
                "a manual run deploys whatever the mutable tag "
                "holds at that moment, which may be older than the tip",
                p,
                fallback,
            )
        )
    for fact in p.deploy_facts:
        if (
            fact.kind == "tag"
            and fact.ref is not None
            and fact.tags
            and fact.ref.kind in ("commit", "unknown")
            and "<commit-sha>" in fact.ref.text
            and fact.tags[0].kind == "mutable"
        ):
            out.append(
                _at(
                    "RS110",
                    fact.loc,
                    f"`{fact.ref.text}` labels with a commit an image "
                    f"pulled as `{fact.tags[0].text}`: the label can name another commit's "
                    "image",
                    p,
                    fallback,
                )
            )
            break
    if p.event.name in ("pull_request", "pull_request_target"):
        out.append(
            _at(
                "RS111",
                p.trigger_loc,
                f"every pull request deploys to {p.target}; "
                "different pull requests are not serialised, so the last to finish wins",
                p,
                fallback,
                _deploy_places(p),
            )
        )
    if p.event.name == "workflow_run":
        for fact in p.extra.get("checkouts") or []:
            if "workflow_run.head_sha" not in fact.detail:
                out.append(
                    _at(
                        "RS114",
                        fact.loc,
                        "under workflow_run a checkout without `ref: "
                        "${{ github.event.workflow_run.head_sha }}` takes the branch tip when "
                        "the job starts, which can be newer (or older) than the commit the "
                        "upstream run tested",
                        p,
                        fallback,
                    )
                )
                break
    shared = p.extra.get("cancel_shared") or []
    if shared:
        where = next((r.loc for r in p.groups if r.cancel), p.trigger_loc)
        out.append(
            _at(
                "RS112",
                where,
                f"the same group and cancel-in-progress apply to "
                f"{', '.join(shared)}, which do not deploy: such a run cancels an "
                "in-flight deploy",
                p,
                fallback,
            )
        )
    return out
