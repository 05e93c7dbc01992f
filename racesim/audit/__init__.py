"""``racesim audit``: judge a repository's GitHub Actions pipelines and say which races they allow.

Reading is :mod:`racesim.github`'s job: it loads the workflow files and maps every build-to-deploy
path to a deploy strategy with its evidence. :func:`audit` then runs the model on each strategy
(:mod:`~racesim.audit.judge`), reports findings with stable ids (:mod:`~racesim.audit.findings`),
writes the fix (:mod:`~racesim.audit.fix`) and formats the report (:mod:`~racesim.audit.report`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from racesim.audit.findings import SEVERITIES, Finding, findings_for
from racesim.audit.judge import Judgement, judge
from racesim.github.pipelines import Pipeline, find_pipelines
from racesim.github.workflows import Repo, load_workflows

__all__ = ["Audit", "PipelineResult", "audit"]


@dataclass(frozen=True)
class PipelineResult:
    """A pipeline, its judgement and its findings."""

    pipeline: Pipeline
    judgement: Judgement
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Audit:
    """The result of auditing a set of workflow files."""

    paths: tuple[str, ...]
    repo: Repo
    results: tuple[PipelineResult, ...]
    fixes: dict[str, str] = field(default_factory=dict)

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings]

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
    trials: int = 200,
    max_examples: int = 60,
    seed: int = 0,
) -> Audit:
    """Audit the workflow files under `paths` (repositories, workflow folders or files).

    Args:
        paths: what to read.
        scenario: built-in scenario name or scenario TOML path whose timings the odds use.
        trials: Monte Carlo trials per pipeline.
        max_examples: histories the property search generates per property.
        seed: seed of the search and the Monte Carlo run.
    """
    names = tuple(str(p) for p in paths)
    repo = load_workflows(names)
    results = []
    for pipeline in find_pipelines(repo):
        j = judge(pipeline.strategy, scenario, trials=trials, max_examples=max_examples, seed=seed)
        results.append(PipelineResult(pipeline, j, tuple(findings_for(pipeline, j))))
    return Audit(names, repo, tuple(results))
