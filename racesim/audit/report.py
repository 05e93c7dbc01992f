"""An audit as text for people, as JSON with stable keys, and as SARIF 2.1.0 for code scanning."""

from __future__ import annotations

import os
from typing import Any

from racesim.audit import Audit, PipelineResult
from racesim.audit.findings import CODES, DOCS
from racesim.core.strategy import strategy_to_table

__all__ = ["to_json", "to_sarif", "to_text"]


def _rel(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("../../") else path


def _pct(t: tuple[float, float, float]) -> str:
    return f"{t[0]:.1%} (95% CI {t[1]:.1%}-{t[2]:.1%})"


def _pipeline_json(r: PipelineResult) -> dict[str, Any]:
    p, j = r.pipeline, r.judgement
    return {
        "name": p.name,
        "event": p.event.describe(),
        "build": None if p.build_file is None else {"file": _rel(p.build_file), "job": p.build_job},
        "deploy": None
        if p.deploy_file is None
        else {"file": _rel(p.deploy_file), "job": p.deploy_job, "target": p.target},
        "strategy": strategy_to_table(p.strategy),
        "strategy_name": p.strategy.describe(),
        "evidence": [
            {
                "knob": e.knob,
                "value": e.value,
                "file": _rel(e.loc.file) if e.loc else None,
                "line": e.loc.line if e.loc else None,
                "text": e.loc.text if e.loc else None,
                "why": e.why,
            }
            for e in p.evidence
        ],
        "unknowns": list(p.unknowns),
        "verdicts": {k: v.to_json() for k, v in j.verdicts.items()},
        "p_stale": {"p": j.p_stale[0], "low": j.p_stale[1], "high": j.p_stale[2]},
        "p_final_wrong": {
            "p": j.p_final_wrong[0],
            "low": j.p_final_wrong[1],
            "high": j.p_final_wrong[2],
        },
        "scenario": j.scenario,
        "trials": j.trials,
        "bounds": j.bounds.to_json(),
        "findings": [_finding_json(f) for f in r.findings],
        "fix": r.pipeline.extra.get("fix"),
        "fix_claim": None if r.claim is None else r.claim.to_json(),
    }


def _finding_json(f: Any) -> dict[str, Any]:
    data: dict[str, Any] = f.to_json()
    data["file"] = _rel(f.file)
    return data


def _unknown_json(u: Any) -> dict[str, Any]:
    return {"file": _rel(u.loc.file), "line": u.loc.line, "text": u.what, "why": u.why}


def to_json(a: Audit) -> dict[str, Any]:
    """The audit as JSON-ready data (stable keys): ``pipelines``, ``findings``, ``workflows``
    (each that can run, with what was recognised), ``unknowns``, ``notes`` and ``searched``."""
    return {
        "paths": list(a.paths),
        "searched": list(a.repo.searched),
        "pipelines": [_pipeline_json(r) for r in a.results],
        "findings": [_finding_json(f) for f in a.findings],
        "workflows": [
            {
                "file": _rel(w.file),
                "name": w.name,
                "events": list(w.events),
                "recognised": list(w.recognised),
                "unknowns": [_unknown_json(u) for u in w.unknowns],
            }
            for w in a.workflows
        ],
        "unknowns": [_unknown_json(u) for u in a.unknowns],
        "notes": list(a.notes),
        "fix": a.fixes.get("patch"),
    }


def to_text(a: Audit) -> str:
    """The audit for a terminal: pipelines, knobs with evidence, verdicts, odds, findings."""
    lines: list[str] = []
    if not a.results:
        where = ", ".join(a.repo.searched) or ", ".join(a.paths)
        lines.append(f"no build or deploy of an image or site found in the workflows of {where}")
    for r in a.results:
        p, j = r.pipeline, r.judgement
        lines.append(f"== {p.name}")
        lines.append(f"   strategy: {p.strategy.describe()}")
        for e in p.evidence:
            where = f"{_rel(e.loc.file)}:{e.loc.line}" if e.loc else "-"
            lines.append(f"     {e.knob} = {e.value}   [{where}] {e.why}")
            if e.loc and e.loc.text:
                lines.append(f"         | {e.loc.text}")
        for u in p.unknowns:
            lines.append(f"     unknown: {u}")
        lines.append(f"   verdicts over the bounds {j.bounds.describe()}:")
        for name, v in j.verdicts.items():
            plural = "push" if v.pushes == 1 else "pushes"
            said = "holds" if v.holds else f"BREAKS ({v.pushes} {plural})"
            lines.append(f"     {name}: {said}   [{v.how}]")
            if v.why_sampled:
                lines.append(f"         not proved: {v.why_sampled}")
            if not v.holds:
                lines.extend(f"         {line}" for line in v.explanation.splitlines())
        wrong = "P(latest wrong)" if p.strategy.trigger == "none" else "P(final wrong)"
        lines.append(
            f"   under scenario {j.scenario} ({j.trials:,} trials, seed {j.seed}): "
            f"P(stale) = {_pct(j.p_stale)}, {wrong} = {_pct(j.p_final_wrong)}"
        )
        lines.extend(_rarer(r))
        lines.extend(_claim_lines(r))
        for f in r.findings:
            lines.append(f"   {f.severity.upper()} {f.id} {_rel(f.file)}:{f.line}: {f.message}")
            lines.append(f"       see {f.url}")
        lines.append("")
    lines.extend(_survey(a))
    counts = {s: sum(f.severity == s for f in a.findings) for s in ("error", "warning", "note")}
    lines.append(
        f"{len(a.results)} pipeline(s); "
        + ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items())
    )
    return "\n".join(lines)


#: which Monte Carlo rate shows each property breaking
_RATE = {
    "never_stale": "p_stale",
    "ships_what_it_claims": "p_stale",
    "ends_on_newest": "p_final_wrong",
    "never_regresses": "p_final_wrong",
    "latest_ends_on_newest": "p_final_wrong",
}


def _rarer(r: PipelineResult) -> list[str]:
    """A broken property next to a 0 % rate: the breaking histories are rarer than 1 in N."""
    j = r.judgement
    out = []
    for name, v in j.verdicts.items():
        rate = getattr(j, _RATE.get(name, "p_final_wrong"))
        if not v.holds and rate[0] == 0.0:
            out.append(
                f"   {name} breaks, yet none of the {j.trials:,} sampled runs did: under this "
                f"scenario its breaking histories are rarer than 1 in {j.trials:,} "
                f"(95% CI up to {rate[2]:.1%}), not impossible"
            )
    return out


#: the docs page with queued_guarded's proofs and the argument for any number of pushes
_PROOFS = DOCS.removesuffix("reference/findings/") + "background/from-sampled-to-proved/"


def _claim_lines(r: PipelineResult) -> list[str]:
    """What the fix (``--diff``) makes of the properties the error findings are about."""
    c = r.claim
    if c is None:
        return []
    out = [f"   the fix for {', '.join(c.findings)} (--diff) makes it: {c.strategy.describe()}"]
    for name, v in c.verdicts.items():
        out.append(f"     {name}: {'holds' if v.holds else 'still BREAKS'}   [{v.how}]")
    if not c.holds:
        b, a = c.before, c.after
        first = c.verdicts[c.open[0]]
        out.extend(f"         {line}" for line in first.explanation.splitlines())
        out.append(
            f"     the fix narrows but does not close {', '.join(c.open)}: under scenario "
            f"{a.scenario} P(stale) goes {_pct(b.p_stale)} -> {_pct(a.p_stale)}, "
            f"P(final wrong) {_pct(b.p_final_wrong)} -> {_pct(a.p_final_wrong)}"
            + (
                f" (breaking histories rarer than 1 in {a.trials:,} here, not impossible)"
                if a.p_final_wrong[0] == 0.0 and a.p_stale[0] == 0.0
                else ""
            )
        )
        out.append(
            f"     what closes it: the {c.recommended} preset keeps all four properties "
            "(deploy by digest after a successful build, wait for the image, one deploy group "
            "with `queue: max` and no cancel-in-progress, roll out only a commit newer than the "
            "live one), proved for up to 4 pushes with registries lagging up to 60 s, and "
            "argued for any number while each registry shows an image within the 300 s wait; "
            f"`racesim emit {c.recommended}` writes it for Cloud Run, and {_PROOFS} has the "
            "proof and its conditions"
        )
    return out


def _survey(a: Audit) -> list[str]:
    lines = ["workflows that can run, and what was recognised in each:"]
    for w in a.workflows:
        lines.append(f"  {_rel(w.file)} ({w.name}) on {', '.join(w.events)}")
        if not w.recognised and not w.unknowns:
            lines.append("     nothing that builds, pushes or deploys")
        for item in w.recognised:
            lines.append(f"     {item}")
        for u in w.unknowns:
            lines.append(f"     UNKNOWN {_rel(u.loc.file)}:{u.loc.line}: {u.why}")
            lines.append(f"         | {u.what}")
    for note in a.notes:
        lines.append(f"  note: {note}")
    if a.unknowns:
        lines.append(
            f"{len(a.unknowns)} step(s) could not be read: the audit is inconclusive (exit 3; "
            "--allow-unknown to judge what was read, --step ROLE=PATTERN to say what a step does)"
        )
    lines.append("")
    return lines


def to_sarif(a: Audit) -> dict[str, Any]:
    """The findings as a SARIF 2.1.0 log (one run, one rule per finding id)."""
    level = {"error": "error", "warning": "warning", "note": "note"}
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "racesim",
                        "informationUri": DOCS,
                        "rules": [
                            {
                                "id": code,
                                "name": title.replace(" ", "-"),
                                "shortDescription": {"text": title},
                                "helpUri": f"{DOCS}#{code.lower()}",
                                "defaultConfiguration": {"level": level[sev]},
                            }
                            for code, (sev, title) in CODES.items()
                        ],
                    }
                },
                "results": [
                    {
                        "ruleId": f.id,
                        "level": level[f.severity],
                        "message": {"text": f.message},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": _rel(file)},
                                    "region": {"startLine": max(line, 1)},
                                }
                            }
                            for file, line in (f.locations or ((f.file, f.line),))
                        ],
                    }
                    for f in a.findings
                ],
            }
        ],
    }
