"""Every shared workflow case audited, checked against the expected analysis in its CASE.md.

Each test quotes the CASE.md point it checks. Where racesim's reading differs from CASE.md, the
test says so and why (search the file for "Differs").
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from audit_helpers import FAST, audited, case, ids

from racesim.audit import audit
from racesim.audit.fix import apply_patch, fix_patch
from racesim.core.strategy import Concurrency
from racesim.verify.proof.bounds import Bounds


def _one(result, fragment: str):  # type: ignore[no-untyped-def]
    (r,) = [r for r in result.results if fragment in r.pipeline.name]
    return r


def test_denhamparry_before_names_the_stale_pull_with_its_evidence() -> None:
    """Build and deploy both on push; the deploy pulls `:latest` (the f8af4c1 incident)."""
    result = audited("denhamparry-talks-54", "before")
    (r,) = result.results
    assert r.pipeline.strategy.name == "parallel"
    stale = [f for f in r.findings if f.id == "RS101"]
    assert len(stale) == 1
    assert stale[0].file.endswith("cloudrun-deploy.yml") and stale[0].line == 59
    evidence = {e.knob: e for e in r.pipeline.evidence}
    assert evidence["reference"].loc is not None
    assert "docker pull ghcr.io/denhamparry/talks:latest" in evidence["reference"].loc.text
    assert evidence["trigger"].loc is not None and evidence["trigger"].loc.text == "push:"
    # races 2 and 3: latest out of order, parallel deploys; the dispatch and the AR sha label
    assert {"RS101", "RS102", "RS104"} <= ids(result, "error")
    assert {"RS109", "RS110"} <= ids(result, "warning")
    assert not r.judgement.verdicts["never_stale"].holds
    assert r.judgement.verdicts["never_stale"].pushes == 1  # one push is enough
    assert r.judgement.p_stale[1] > 0.5  # under f8af4c1 timings the stale pull is the norm


def test_denhamparry_after_closes_the_stale_pull_but_not_the_out_of_order_races() -> None:
    """workflow_run + success gate, still `:latest`, no concurrency anywhere."""
    result = audited("denhamparry-talks-54", "after")
    (r,) = result.results
    assert r.pipeline.strategy.name == "workflow_run"
    assert "RS101" not in ids(result)
    assert r.judgement.p_stale[0] == 0.0  # an isolated push (f8af4c1) is no longer stale
    assert {"RS102", "RS104", "RS106"} <= ids(result, "error")
    assert "RS109" in ids(result, "warning")  # a dispatch ships whatever latest is
    for prop in ("ends_on_newest", "never_regresses"):
        assert not r.judgement.verdicts[prop].holds
        assert r.judgement.verdicts[prop].pushes == 2
    gate = next(e for e in r.pipeline.evidence if e.knob == "gate")
    assert gate.value == "true" and gate.loc is not None and "conclusion" in gate.loc.text


def test_free4chat_before_parallel_single_job_deploys() -> None:
    result = audited("free4chat-84", "before")
    (r,) = result.results
    s = r.pipeline.strategy
    assert (s.trigger, s.reference, s.mirror) == ("needs", "digest", False)  # own checkout
    assert s.build_concurrency is None and s.deploy_concurrency is None
    assert ids(result, "error") == {"RS104"}
    assert r.pipeline.event.ref == "refs/heads/cf-sfu"  # the branch the deploy job's `if:` names


def test_free4chat_after_job_group_and_freshness_guard() -> None:
    """Differs: CASE.md calls the check-then-act window a residual; racesim reports it as a
    warning (RS113) because its model finds a two-push history that ends on the older commit."""
    result = audited("free4chat-84", "after")
    (r,) = result.results
    s = r.pipeline.strategy
    assert s.deploy_concurrency == Concurrency(cancel_in_progress=True)
    assert s.guard == "tip_of_main"
    assert ids(result, "error") == set()
    assert ids(result) == {"RS113"}
    group = r.pipeline.groups[0]
    assert group.value == "cf-sfu-deploy"


def test_mlab_before_and_after() -> None:
    before = audited("mlab-speedtest-92", "before")
    merge = _one(before, "on merge")
    assert {f.id for f in merge.findings} == {"RS104"}
    pr = _one(before, "on PR")
    assert {f.id for f in pr.findings} == {"RS104", "RS111"}
    assert {f.severity for f in pr.findings} == {"warning"}  # sandbox only
    after = audited("mlab-speedtest-92", "after")
    merge = _one(after, "on merge")
    assert merge.findings == ()
    assert merge.pipeline.groups[0].value == "Deploy to Firebase Hosting on merge-refs/heads/main"
    assert merge.pipeline.strategy.build_concurrency == Concurrency(cancel_in_progress=True)
    pr = _one(after, "on PR")
    # one group per PR: pushes within a PR serialise, different PRs still race on the sandbox
    assert pr.pipeline.groups[0].value == "Deploy to Firebase Hosting on PR-<head-branch>"
    assert {f.id for f in pr.findings} == {"RS103", "RS104", "RS111"}
    assert ids(after, "error") == set()


def test_posthog_pinned_and_serialised() -> None:
    """Differs: the downstream repository_dispatch deploy and the ECS stability waits are
    outside what racesim models; neither is reported."""
    result = audited("posthog-9007", "workflows")
    # the migration runs its task family's latest revision, registered a line above in the same
    # run; runs are serialised, so no other run's revision can come between: no finding
    migration, r = sorted(result.results, key=lambda x: x.pipeline.strategy.reference)
    assert migration.pipeline.strategy.reference == "latest"
    assert any("family's latest revision" in e.why for e in migration.pipeline.evidence)
    s = r.pipeline.strategy
    assert (s.trigger, s.reference) == ("needs", "sha")
    assert s.build_concurrency == Concurrency(cancel_in_progress=False)
    assert r.pipeline.groups[0].value == "prod_deploy"
    assert result.findings == []
    assert all(v.holds for v in r.judgement.verdicts.values())


def test_unifi_before_and_after() -> None:
    """Differs: the superseded intermediate commit without a sha- image is not reported."""
    before = audited("unifi-os-kubernetes-21", "before")
    assert [f.id for f in before.findings] == ["RS102", "RS102"]  # push and release
    tags = {t.text.rsplit(":", 1)[1] for r in before.results for t in r.pipeline.mutable_tags}
    assert {"latest", "main"} <= tags
    after = audited("unifi-os-kubernetes-21", "after")
    assert after.findings == []
    assert {g.value for r in after.results for g in r.pipeline.groups} == {
        "Build and publish unifi-os-server image"
    }


def test_bookstack_before_and_after() -> None:
    before = audited("bookstack-file-exporter-102", "before")
    assert ids(before, "error") == {"RS102"}
    assert len(before.findings) == 2  # :main on merges, :latest on releases
    after = audited("bookstack-file-exporter-102", "after")
    main = _one(after, "Current Main Image")
    assert main.findings == ()
    release = _one(after, "Official Release")
    assert {f.id for f in release.findings} == {"RS102", "RS103"}  # latest race stays open
    (group,) = release.pipeline.groups
    assert group.value == "release-<tag-name>" and group.serialises is False


def test_error_prone_before_over_broad_and_after_per_ref() -> None:
    before = audited("error-prone-support-284", "before")
    (r,) = before.results
    assert [f.id for f in r.findings] == ["RS112"]  # a PR or master push cancels a deploy
    assert all(v.holds for v in r.judgement.verdicts.values())
    after = audited("error-prone-support-284", "after")
    (r,) = after.results
    assert r.findings == ()
    assert r.pipeline.groups[0].value.endswith("website content-refs/heads/website")


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("denhamparry-talks-54", "before"),
        ("denhamparry-talks-54", "after"),
        ("free4chat-84", "before"),
        ("mlab-speedtest-92", "before"),
        ("unifi-os-kubernetes-21", "before"),
        ("bookstack-file-exporter-102", "before"),
        ("bookstack-file-exporter-102", "after"),
    ],
)
def test_the_fix_leaves_no_error(name: str, version: str, tmp_path: Path) -> None:
    """Applying racesim's patch and auditing again gives no finding of severity error, when no
    build takes under a minute (with 1 s builds a late workflow_run dispatch can still reorder
    serialised deploys: ``tests/test_audit_claims.py`` checks that the audit says so)."""
    copy = tmp_path / "repo"
    shutil.copytree(case(name, version), copy)
    minute = Bounds.of({"build": (60, 600)})
    first = audit([copy], bounds=minute, **FAST)  # type: ignore[arg-type]
    assert ids(first, "error")
    patch = fix_patch(first)
    assert patch.startswith("--- a/") and "+  cancel-in-progress: true" in patch
    assert "/tmp" not in patch.splitlines()[0]  # relative to the audited folder
    assert apply_patch(first)
    second = audit([copy], bounds=minute, **FAST)  # type: ignore[arg-type]
    assert ids(second, "error") == set(), [f.message for f in second.findings]


def test_the_fix_keeps_comments(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(case("denhamparry-talks-54", "after"), copy)
    before = (copy / "cloudrun-deploy.yml").read_text()
    apply_patch(audit([copy], **FAST))  # type: ignore[arg-type]
    after = (copy / "cloudrun-deploy.yml").read_text()
    comments = [line for line in before.splitlines() if line.strip().startswith("#")]
    assert comments and all(c in after.splitlines() for c in comments)
    assert "sha-${{ github.event.workflow_run.head_sha || github.sha }}" in after
    # the job's `if:` is replaced where it was, under its comment
    lines = after.splitlines()
    at = next(i for i, line in enumerate(lines) if "Only deploy if the build" in line)
    assert lines[at + 1].strip().startswith("if: ${{ github.event.workflow_run.conclusion")
