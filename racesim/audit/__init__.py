"""``racesim audit``: judge a repository's GitHub Actions pipelines and say which races they allow.

Reading is :mod:`racesim.github`'s job: it loads the workflow files and maps every build-to-deploy
path to a deploy strategy with its evidence. :func:`audit` then runs the model on each strategy
(:mod:`~racesim.audit.judge`), reports findings with stable ids (:mod:`~racesim.audit.findings`),
writes the fix (:mod:`~racesim.audit.fix`) and formats the report (:mod:`~racesim.audit.report`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from racesim.audit.claims import FixClaim, build_group_cancels, claim_for, shares_build_file
from racesim.audit.findings import SEVERITIES, Finding, findings_for
from racesim.audit.judge import Judgement, judge
from racesim.github.catalogue import Catalogue
from racesim.github.pipelines import Pipeline, WorkflowSurvey, read_repo
from racesim.github.recognise import Unknown
from racesim.github.workflows import Repo, load_workflows
from racesim.verify.proof.bounds import Bounds

__all__ = ["Audit", "PipelineResult", "audit"]


@dataclass(frozen=True)
class PipelineResult:
    """A pipeline, its judgement, its findings and what racesim's fix for them claims."""

    pipeline: Pipeline
    judgement: Judgement
    findings: tuple[Finding, ...]
    claim: FixClaim | None = None


@dataclass(frozen=True)
class Audit:
    """The result of auditing a set of workflow files."""

    paths: tuple[str, ...]
    repo: Repo
    results: tuple[PipelineResult, ...]
    fixes: dict[str, str] = field(default_factory=dict)
    workflows: tuple[WorkflowSurvey, ...] = ()
    unknowns: tuple[Unknown, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def findings(self) -> list[Finding]:
        """Every finding once: the same id at the same place from several pipelines is one."""
        seen: dict[tuple[str, str, int, str], Finding] = {}
        for r in self.results:
            for f in r.findings:
                key = (f.id, f.file, f.line, f.message)
                if key in seen:
                    known = seen[key]
                    places = tuple(dict.fromkeys((*known.locations, *f.locations)))
                    seen[key] = replace(known, locations=places)
                else:
                    seen[key] = f
        out = list(seen.values())
        for u in self.unknowns:
            out.append(
                Finding(
                    "RS120",
                    "warning",
                    u.loc.file,
                    u.loc.line,
                    f"{u.why}: {u.what}",
                )
            )
        return out

    def status(self, fail_on: str = "error", allow_unknown: bool = False) -> int:
        """The exit status: 1 a finding reaches `fail_on`, 3 inconclusive (something could not
        be read and `allow_unknown` is false), 0 otherwise."""
        judged = [f for f in self.findings if f.id != "RS120"]
        threshold = SEVERITIES.index(fail_on)
        if any(SEVERITIES.index(f.severity) >= threshold for f in judged):
            return 1
        if self.unknowns and not allow_unknown:
            return 3
        return 0

    def worst(self) -> str | None:
        """The highest severity among the findings (``None`` when there are none)."""
        levels = [SEVERITIES.index(f.severity) for f in self.findings]
        return SEVERITIES[max(levels)] if levels else None

    def fails(self, fail_on: str = "error") -> bool:
        """True when a finding reaches `fail_on` (``note``, ``warning`` or ``error``)."""
        threshold = SEVERITIES.index(fail_on)
        return any(SEVERITIES.index(f.severity) >= threshold for f in self.findings)


def audit(
    paths: Iterable[str | Path],
    *,
    scenario: str = "f8af4c1",
    trials: int | None = None,
    max_examples: int = 60,
    seed: int = 0,
    steps: Iterable[str] = (),
    resolve: Iterable[str | Path] = (),
    bounds: Bounds | None = None,
) -> Audit:
    """Audit the workflow files under `paths` (repositories, workflow folders or files).

    Args:
        paths: what to read.
        scenario: built-in scenario name or scenario TOML path whose timings the odds use.
        trials: Monte Carlo trials per pipeline; ``None`` gives
            :func:`~racesim.audit.judge.odds_trials`: 40,000 where the vectorised fast path
            decides the scenario under the pipeline's strategy, 200 where only SimPy does.
        max_examples: histories the property search generates per property.
        seed: seed of the search and the Monte Carlo run.
        steps: ``ROLE=PATTERN`` rules telling racesim what a step does (roles ``push``,
            ``pull``, ``rollout``, ``wait``, ``guard``, ``ignore``).
        resolve: folders holding local checkouts of remote reusable workflows and actions.
        bounds: the durations and push gaps the proofs cover (default: :class:`Bounds`'s).
    """
    names = tuple(str(p) for p in paths)
    repo = load_workflows(names, resolve)
    rules = tuple(steps)
    catalogue = None
    if rules:
        catalogue = Catalogue.builtin()
        for files in repo.files[:1]:
            catalogue = catalogue.with_config(files.root)
        catalogue = catalogue.with_rules(rules)
    reading = read_repo(repo, catalogue)
    results = []
    for pipeline in reading.pipelines:
        j = judge(
            pipeline.strategy,
            scenario,
            trials=trials,
            max_examples=max_examples,
            seed=seed,
            bounds=bounds,
        )
        found = findings_for(pipeline, j)
        if pipeline.extra.get("opaque"):
            # the image is named where racesim cannot read: keep only the findings that hold
            # whether it is a mutable tag or the commit's own image
            pinned = replace(pipeline, strategy=replace(pipeline.strategy, reference="sha"))
            jp = judge(
                pinned.strategy,
                scenario,
                trials=trials,
                max_examples=max_examples,
                seed=seed,
                bounds=bounds,
            )
            both = {f.id for f in findings_for(pinned, jp)}
            found = [f for f in found if f.id in both]
        errors = {f.id for f in found if f.severity == "error"}
        claim = claim_for(
            pipeline,
            errors,
            j,
            trials=trials,
            max_examples=max_examples,
            seed=seed,
            bounds=bounds,
            shared=shares_build_file(pipeline, reading.pipelines),
            cancel=build_group_cancels(pipeline, reading.pipelines),
        )
        results.append(PipelineResult(pipeline, j, tuple(found), claim))
    return Audit(
        names,
        repo,
        tuple(results),
        workflows=reading.workflows,
        unknowns=reading.unknowns,
        notes=reading.notes,
    )
