"""``racesim audit``: read GitHub Actions workflows, report the races they allow and the fix."""

from __future__ import annotations

import argparse
import json
from typing import Any

from racesim.cli._common import add_bounds, whole
from racesim.cli._names import AUDIT_TRIALS
from racesim.limits import MAX_SEED


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "audit",
        epilog="exit status: 0 no finding at or above --fail-on; 1 a finding at or above "
        "--fail-on; 2 bad input (one line on stderr); 3 inconclusive: a step that looks like a "
        "build, push or deploy could not be read (--allow-unknown turns 3 into 0 or 1)",
        help="read your GitHub Actions workflows and report the deploy races they allow",
        description="Read the workflow files under PATH (a repository, a workflows folder or "
        "files), map every build-to-deploy path to a racesim strategy with its evidence, check "
        "the four properties, estimate P(stale) and P(final wrong) under a scenario, and report "
        "findings with stable ids. Exit 0 when no finding reaches --fail-on, 1 when one does, "
        "2 on bad input, 3 when a pipeline could not be judged.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="repository, folder or workflow file")
    p.add_argument(
        "--scenario",
        default="f8af4c1",
        metavar="NAME|PATH",
        help="built-in scenario or scenario TOML whose timings the odds use (default: f8af4c1)",
    )
    p.add_argument(
        "--trials",
        type=whole(1),
        default=None,
        metavar="N",
        help=f"Monte Carlo trials of the odds (default: {AUDIT_TRIALS[0]} where the fast path "
        "decides the scenario under the pipeline's strategy, a 95%% interval of at most +-0.49 "
        f"points; {AUDIT_TRIALS[1]} where only the SimPy engine does)",
    )
    p.add_argument(
        "--max-examples",
        type=whole(1),
        default=60,
        metavar="N",
        help="histories the property search generates per property (default: 60)",
    )
    p.add_argument(
        "--seed", type=whole(0, MAX_SEED), default=0, metavar="S", help="seed (default: 0)"
    )
    add_bounds(
        p,
        "the durations and push gaps the proofs cover, overriding prove's defaults (e.g. "
        "build=60..600 when no build takes under a minute)",
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON")
    out.add_argument("--sarif", action="store_true", help="print SARIF 2.1.0")
    p.add_argument(
        "--fail-on",
        choices=["note", "warning", "error"],
        default="error",
        help="exit 1 when a finding reaches this severity (default: error)",
    )
    p.add_argument(
        "--allow-unknown",
        action="store_true",
        help="judge what was read: steps that could not be read do not make the exit status 3",
    )
    p.add_argument(
        "--step",
        action="append",
        default=[],
        metavar="ROLE=PATTERN",
        help="say what a step does: a regular expression on its uses:, name or command; roles "
        "push, pull, rollout (as in ingest --step), wait, guard, ignore (repeatable)",
    )
    p.add_argument(
        "--resolve",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder holding local checkouts of remote reusable workflows and actions "
        "(DIR/owner/repo/... or DIR/repo/...; repeatable)",
    )
    fix = p.add_mutually_exclusive_group()
    fix.add_argument(
        "--diff", action="store_true", help="print the fix as a unified diff against your files"
    )
    fix.add_argument("--fix", action="store_true", help="apply the fix to your files")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    from racesim.audit import audit
    from racesim.audit.fix import apply_patch, fix_patch, no_patch_reason
    from racesim.audit.report import to_json, to_sarif, to_text
    from racesim.verify.proof.bounds import bounds_from

    bounds = bounds_from(args.bounds)
    result = audit(
        args.paths,
        scenario=args.scenario,
        trials=args.trials,
        max_examples=args.max_examples,
        seed=args.seed,
        steps=args.step,
        resolve=args.resolve,
        bounds=bounds,
    )
    patch = fix_patch(result) if (args.diff or args.fix or args.json) else ""
    if args.json:
        data = to_json(result)
        data["fix"] = patch or None
        print(json.dumps(data, indent=2))
    elif args.sarif:
        print(json.dumps(to_sarif(result), indent=2))
    else:
        print(to_text(result))
    if args.diff:
        print(patch or no_patch_reason(result), end="" if patch else "\n")
    if args.fix and patch:
        changed = apply_patch(result)
        print(f"fixed {len(changed)} file(s): {', '.join(changed)}")
    return result.status(args.fail_on, args.allow_unknown)
