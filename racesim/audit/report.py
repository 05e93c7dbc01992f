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
        "findings": [_finding_json(f) for f in r.findings],
        "fix": r.pipeline.extra.get("fix"),
    }


def _finding_json(f: Any) -> dict[str, Any]:
    data: dict[str, Any] = f.to_json()
    data["file"] = _rel(f.file)
    return data


def to_json(a: Audit) -> dict[str, Any]:
    """The audit as JSON-ready data: ``pipelines`` and ``findings`` (stable keys)."""
    return {
        "paths": list(a.paths),
        "pipelines": [_pipeline_json(r) for r in a.results],
        "findings": [_finding_json(f) for f in a.findings],
        "fix": a.fixes.get("patch"),
    }


def to_text(a: Audit) -> str:
    """The audit for a terminal: pipelines, knobs with evidence, verdicts, odds, findings."""
    lines: list[str] = []
    if not a.results:
        lines.append("no build or deploy of an image or site found in these workflows")
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
        lines.append("   verdicts (property search, up to 2 pushes):")
        for name, v in j.verdicts.items():
            plural = "push" if v.pushes == 1 else "pushes"
            lines.append(f"     {name}: {'holds' if v.holds else f'BREAKS ({v.pushes} {plural})'}")
            if not v.holds:
                lines.extend(f"         {line}" for line in v.explanation.splitlines())
        wrong = "P(latest wrong)" if p.strategy.trigger == "none" else "P(final wrong)"
        lines.append(
            f"   under scenario {j.scenario} ({j.trials} trials, seed {j.seed}): "
            f"P(stale) = {_pct(j.p_stale)}, {wrong} = {_pct(j.p_final_wrong)}"
        )
        for f in r.findings:
            lines.append(f"   {f.severity.upper()} {f.id} {_rel(f.file)}:{f.line}: {f.message}")
            lines.append(f"       see {f.url}")
        lines.append("")
    counts = {s: sum(f.severity == s for f in a.findings) for s in ("error", "warning", "note")}
    lines.append(
        f"{len(a.results)} pipeline(s); "
        + ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items())
    )
    return "\n".join(lines)


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
                                    "artifactLocation": {"uri": _rel(f.file)},
                                    "region": {"startLine": max(f.line, 1)},
                                }
                            }
                        ],
                    }
                    for f in a.findings
                ],
            }
        ],
    }
