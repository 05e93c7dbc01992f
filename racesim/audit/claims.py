"""What racesim's own fix claims, checked: the strategy after the patch and its verdicts.

A finding is about some properties (RS101 about shipping a stale image, RS104 about ending on an
older commit, ...). The patch :mod:`racesim.audit.fix` writes turns the pipeline's strategy into
another one; :func:`fixed_strategy` says which, knob by knob, mirroring the edits, and
:func:`claim_for` decides the finding's properties on it with :func:`racesim.proof.prove` (the
same verdicts an audit of the patched files gives). A property the fixed strategy still breaks is
never presented as fixed: the claim lists it as *open*, with the Monte Carlo residual (P(stale),
P(final wrong) before and after under the audit's scenario).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from racesim.audit.judge import Judgement, Verdict, judge
from racesim.core.strategy import Concurrency, Strategy
from racesim.github.pipelines import Pipeline
from racesim.verify.proof.bounds import Bounds

__all__ = [
    "ABOUT",
    "FIXED_BY_PATCH",
    "HOLDS_ALL",
    "FixClaim",
    "build_group_cancels",
    "cancels_superseded",
    "claim_for",
    "fixed_strategy",
    "shares_build_file",
]

#: finding id -> the properties its fix must make hold (``latest_ends_on_newest`` for a
#: pipeline that only builds)
ABOUT: dict[str, tuple[str, ...]] = {
    "RS101": ("never_stale", "ships_what_it_claims"),
    "RS102": ("ends_on_newest", "never_regresses"),
    "RS103": ("ends_on_newest", "never_regresses"),
    "RS104": ("ends_on_newest", "never_regresses"),
    "RS105": ("ends_on_newest", "never_regresses"),
    "RS106": ("never_stale", "ships_what_it_claims"),
    "RS107": ("never_stale", "ships_what_it_claims"),
}

#: the preset racesim recommends when its patch leaves a property open: it keeps all four
#: properties (proved up to prove's push limit; the docs argue it for any number of pushes)
HOLDS_ALL = "queued_guarded"

#: error findings the patch edits for (the others are explained, not patched)
FIXED_BY_PATCH = frozenset({*ABOUT, "RS114"})

_ORDERING = frozenset({"RS102", "RS103", "RS104", "RS105"})


def shares_build_file(p: Pipeline, pipelines: Iterable[Pipeline]) -> bool:
    """True when `p`'s build file also deploys another pipeline under another event: a
    workflow-level group written for `p`'s builds would also hold (and cancel) those deploys, so
    the patch leaves that file's group to the user."""
    return any(o.deploy_file == p.build_file and o.event.name != p.event.name for o in pipelines)


def _pins(p: Pipeline) -> bool:
    """The patch's ``:latest`` -> ``:sha-<head_sha>`` rewrite reaches what `p` deploys."""
    return any(
        f.kind == "pull" and f.ref is not None and f.ref.text.endswith(":latest")
        for f in p.deploy_facts
    )


def cancels_superseded(s: Strategy) -> bool:
    """Whether the patch's workflow-level group on the build cancels in progress.

    It does, unless the same run also deploys (``needs``) to a target that carries a rollout on
    when its job is cancelled and runs whichever rollout finishes last (Cloud Run): cancelling
    that run mid-rollout would let the older rollout land after the newer one, so the group
    queues runs instead (one running, the newest pending).
    """
    return not (s.trigger == "needs" and s.rollout_survives_cancel and s.live_order == "finish")


def build_group_cancels(p: Pipeline, pipelines: Iterable[Pipeline]) -> bool:
    """Whether the patch's group on `p`'s build file cancels in progress: one group holds every
    pipeline built by that file, so it cancels only if none of them needs it not to
    (:func:`cancels_superseded`)."""
    return all(
        cancels_superseded(q.strategy) for q in (p, *pipelines) if q.build_file == p.build_file
    )


def fixed_strategy(
    p: Pipeline, ids: set[str], shared: bool = False, cancel: bool | None = None
) -> Strategy | None:
    """The strategy of pipeline `p` after the patch for finding ids `ids` (``None``: no edit).

    Mirrors :func:`racesim.audit.fix.fixed_texts`: a workflow-level group on the build for
    ordering findings (cancelling in progress as `cancel` says, by default as
    :func:`cancels_superseded` says); a separate deploy that raced its build, or ran on
    ``workflow_run`` unpinned or ungated, becomes a gated ``workflow_run`` deploy of the build's
    ``sha-<head_sha>`` image in a non-cancelling deploy group. `shared`: the build file also
    deploys under another event (:func:`shares_build_file`), so its group is not edited.
    """
    s = p.strategy
    after = s
    if p.build_file and ids & _ORDERING and not shared:
        cancels = cancels_superseded(s) if cancel is None else cancel
        after = replace(after, build_concurrency=Concurrency(cancel_in_progress=cancels))
    if p.deploy_file and p.build_file and s.trigger in ("push", "workflow_run"):
        after = replace(
            after,
            trigger="workflow_run",
            gate=True,
            # the patch rewrites `<registry>/<repo>:latest` where a step pulls it; a mutable
            # reference named some other way (a deploy hook, a task definition) stays
            reference="sha" if s.reference == "latest" and _pins(p) else s.reference,
            # a workflow-level group; a job-level group the deploy already has is what GitHub
            # applies to the job, so it stays what the model runs
            deploy_concurrency=s.deploy_concurrency or Concurrency(),
        )
    return None if after == s else after


@dataclass(frozen=True)
class FixClaim:
    """The fixed strategy, the properties the fixed findings are about, and their verdicts.

    Attributes:
        findings: the finding ids the patch answers.
        strategy: the strategy after the patch.
        verdicts: the verdict of every property those findings are about, on `strategy`.
        before: the pipeline's judgement as it is (for the residual's comparison).
        after: the judgement of `strategy` under the same scenario, seed and bounds, and the
            same trials (or, by default, :func:`~racesim.audit.judge.odds_trials` for it).
    """

    findings: tuple[str, ...]
    strategy: Strategy
    verdicts: dict[str, Verdict]
    before: Judgement
    after: Judgement

    @property
    def holds(self) -> bool:
        """Every property the findings are about holds after the fix."""
        return all(v.holds for v in self.verdicts.values())

    @property
    def open(self) -> list[str]:
        """The properties the fixed strategy still breaks."""
        return [name for name, v in self.verdicts.items() if not v.holds]

    @property
    def recommended(self) -> str | None:
        """The preset that closes what the patch leaves open (``None`` when nothing is)."""
        return None if self.holds else HOLDS_ALL

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": list(self.findings),
            "strategy": self.strategy.describe(),
            "holds": self.holds,
            "verdicts": {k: v.to_json() for k, v in self.verdicts.items()},
            "open": self.open,
            "recommended": self.recommended,
            "residual": {
                "scenario": self.after.scenario,
                "trials": self.after.trials,
                "p_stale": {"before": list(self.before.p_stale), "after": list(self.after.p_stale)},
                "p_final_wrong": {
                    "before": list(self.before.p_final_wrong),
                    "after": list(self.after.p_final_wrong),
                },
            },
        }


def claim_for(
    p: Pipeline,
    ids: set[str],
    before: Judgement,
    *,
    trials: int | None,
    max_examples: int,
    seed: int,
    bounds: Bounds | None = None,
    shared: bool = False,
    cancel: bool | None = None,
) -> FixClaim | None:
    """Decide, on the patched strategy, the properties the error findings `ids` are about."""
    answered = sorted(ids & set(ABOUT))
    after_strategy = fixed_strategy(p, set(answered), shared, cancel)
    if not answered or after_strategy is None:
        return None
    after = judge(
        after_strategy,
        before.scenario,
        trials=trials,
        max_examples=max_examples,
        seed=seed,
        bounds=bounds,
    )
    props: dict[str, None] = {}
    for code in answered:
        for name in ABOUT[code]:
            if after_strategy.trigger == "none" and name != "never_stale":
                name = "latest_ends_on_newest"
            if name in after.verdicts:
                props[name] = None
    verdicts = {name: after.verdicts[name] for name in props}
    return FixClaim(tuple(answered), after_strategy, verdicts, before, after)
