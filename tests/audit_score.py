"""Score `racesim audit` against the expected analyses of the shared workflow corpus.

Each entry of ``tests/data/audit_expectations.toml`` encodes one folder's CASE.md: the exit status,
the races (with the lines they may be reported at), whether the files hold a pipeline, and the
references that are commit-bound. This script audits every folder as a user would
(``python -m racesim audit FOLDER --json`` in a subprocess) and prints what the audit got right:

    python tests/audit_score.py [--json] [--min PERCENT] [-v] [FOLDER_SUBSTRING ...]

It exits 0 (it is a report) unless ``--min`` is given and the share of folders that are fully
right is below it; then it exits 1. The shared corpus is read from ``../shared/data/workflows``
relative to the repository root, as the audit tests do (``tests/audit_helpers.py``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
#: the shared workflow corpus, found as ``tests/audit_helpers.py`` finds it
CORPUS = REPO.parent / "shared" / "data" / "workflows"
EXPECTATIONS = REPO / "tests" / "data" / "audit_expectations.toml"

#: a finding (or evidence item) counts when it is this many lines or fewer from an anchor
TOLERANCE = 3
TIMEOUT = 300
EXITS = (0, 1, 3)
VERSIONS = ("before", "after", "workflows")
KINDS = ("commit", "digest")


# --- expectations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Race:
    what: str
    file: str
    lines: tuple[int, ...]
    severity: str = "error"  # "warning": reported, but not a reason to fail (exit 0)


@dataclass(frozen=True)
class CommitBound:
    file: str
    line: int
    kind: str
    value: str


@dataclass(frozen=True)
class Case:
    folder: str
    exit: int
    pipelines: bool
    why: str
    races: tuple[Race, ...] = ()
    commit_bound: tuple[CommitBound, ...] = ()


def _keys(table: Mapping[str, Any], required: set[str], optional: set[str], where: str) -> None:
    missing = required - table.keys()
    unknown = table.keys() - required - optional
    if missing or unknown:
        raise ValueError(f"{where}: missing keys {sorted(missing)}, unknown keys {sorted(unknown)}")


def _case(table: Mapping[str, Any]) -> Case:
    where = f"case {table.get('folder', '?')!r}"
    _keys(table, {"folder", "exit", "pipelines", "why"}, {"race", "commit_bound"}, where)
    races = []
    for race in table.get("race", []):
        _keys(race, {"what", "file", "lines"}, {"severity"}, f"{where} race")
        if race.get("severity", "error") not in ("error", "warning"):
            raise ValueError(f"{where} race {race['what']!r}: severity is error or warning")
        lines = tuple(race["lines"])
        if not lines or not all(isinstance(n, int) and n >= 1 for n in lines):
            raise ValueError(f"{where} race {race['what']!r}: lines must be positive integers")
        races.append(
            Race(str(race["what"]), str(race["file"]), lines, race.get("severity", "error"))
        )
    bounds = []
    for bound in table.get("commit_bound", []):
        _keys(bound, {"file", "line", "kind", "value"}, set(), f"{where} commit_bound")
        if bound["kind"] not in KINDS:
            raise ValueError(f"{where} commit_bound: kind must be one of {KINDS}")
        bounds.append(
            CommitBound(str(bound["file"]), int(bound["line"]), bound["kind"], str(bound["value"]))
        )
    if table["exit"] not in EXITS:
        raise ValueError(f"{where}: exit must be one of {EXITS}")
    if not isinstance(table["pipelines"], bool):
        raise ValueError(f"{where}: pipelines must be true or false")
    return Case(
        folder=str(table["folder"]),
        exit=table["exit"],
        pipelines=table["pipelines"],
        why=str(table["why"]),
        races=tuple(races),
        commit_bound=tuple(bounds),
    )


def load_expectations(path: Path = EXPECTATIONS) -> list[Case]:
    """The expectations file as cases (raises ValueError on a malformed entry)."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    _keys(data, {"case"}, set(), str(path))
    return [_case(table) for table in data["case"]]


# --- one audit run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """What the audit did on one folder: its exit status and JSON, or why there is none."""

    exit: int | None
    data: Mapping[str, Any] | None
    error: str | None = None


def run_audit(folder: Path, timeout: float = TIMEOUT) -> Run:
    """``python -m racesim audit FOLDER --json`` in a subprocess, as a user would run it."""
    cmd = [sys.executable, "-m", "racesim", "audit", str(folder), "--json"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Run(None, None, f"timed out after {timeout:g} s")
    first = next((line for line in proc.stderr.splitlines() if line.strip()), "")
    if proc.returncode == 2:
        return Run(2, None, f"exit 2: {first}" if first else "exit 2")
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return Run(proc.returncode, None, f"no JSON on stdout (exit {proc.returncode}): {first}")
    if not isinstance(data, dict):
        return Run(proc.returncode, None, f"JSON is not an object (exit {proc.returncode})")
    return Run(proc.returncode, data)


# --- scoring ------------------------------------------------------------------------------------


def _same_file(reported: object, expected: str) -> bool:
    if not isinstance(reported, str) or not reported:
        return False
    path = reported.replace("\\", "/")
    want = expected.replace("\\", "/").lstrip("/")
    return path == want or path.endswith("/" + want)


def _near(line: object, anchors: Iterable[int]) -> bool:
    return isinstance(line, int) and any(abs(line - a) <= TOLERANCE for a in anchors)


def _places(finding: Mapping[str, Any]) -> list[tuple[object, object]]:
    """Where a finding points: its own file and line plus any ``locations``."""
    places = [(finding.get("file"), finding.get("line"))]
    locations = finding.get("locations")
    if isinstance(locations, list):
        places += [(loc.get("file"), loc.get("line")) for loc in locations if isinstance(loc, dict)]
    return places


def _findings(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = data.get("findings")
    return [f for f in found if isinstance(f, dict)] if isinstance(found, list) else []


def race_found(race: Race, findings: Iterable[Mapping[str, Any]]) -> bool:
    """Some error or warning finding at the race's file, within TOLERANCE of an anchor."""
    return any(
        f.get("severity") in ("error", "warning")
        and any(
            _same_file(file, race.file) and _near(line, race.lines) for file, line in _places(f)
        )
        for f in findings
    )


def mutable_at(bound: CommitBound, data: Mapping[str, Any]) -> list[str]:
    """Pipeline evidence that calls the reference at ``bound`` mutable (``reference = latest``)."""
    hits = []
    pipelines = data.get("pipelines")
    for pipeline in pipelines if isinstance(pipelines, list) else []:
        evidence = pipeline.get("evidence") if isinstance(pipeline, dict) else None
        for ev in evidence if isinstance(evidence, list) else []:
            if (
                isinstance(ev, dict)
                and ev.get("knob") == "reference"
                and ev.get("value") == "latest"
                and _same_file(ev.get("file"), bound.file)
                and _near(ev.get("line"), [bound.line])
            ):
                hits.append(f"{pipeline.get('name', '?')}: {ev.get('file')}:{ev.get('line')}")
    return hits


@dataclass
class Score:
    """One folder's score. A criterion is True (right), False (wrong) or None (not applicable)."""

    folder: str
    expected_exit: int
    actual_exit: int | None
    races_found: int
    races_total: int
    exit_ok: bool
    races_ok: bool
    pipelines_ok: bool | None
    clean_ok: bool | None
    commit_bound_ok: bool | None
    error: str | None = None
    missed: list[str] = field(default_factory=list)

    @property
    def fully_right(self) -> bool:
        criteria = (
            self.exit_ok,
            self.races_ok,
            self.pipelines_ok,
            self.clean_ok,
            self.commit_bound_ok,
        )
        return self.error is None and all(c is not False for c in criteria)

    def to_json(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "exit": {
                "expected": self.expected_exit,
                "actual": self.actual_exit,
                "ok": self.exit_ok,
            },
            "races": {"found": self.races_found, "total": self.races_total, "ok": self.races_ok},
            "pipelines": self.pipelines_ok,
            "clean": self.clean_ok,
            "commit_bound": self.commit_bound_ok,
            "fully_right": self.fully_right,
            "error": self.error,
            "missed": self.missed,
        }


def score(case: Case, run: Run) -> Score:
    """Score one audit run against one folder's expectations (no I/O: testable on any JSON)."""
    data = run.data
    findings = _findings(data) if data is not None else []
    missed: list[str] = []
    found = 0
    for race in case.races:
        if data is not None and race_found(race, findings):
            found += 1
        else:
            missed.append(f"race: {race.what} ({race.file}:{'/'.join(map(str, race.lines))})")
    pipelines_ok: bool | None = None
    if case.pipelines:
        pipelines = data.get("pipelines") if data is not None else None
        pipelines_ok = isinstance(pipelines, list) and len(pipelines) > 0
        if not pipelines_ok:
            missed.append("pipelines: none reported")
    clean_ok: bool | None = None
    if case.exit == 0:
        errors = [f for f in findings if f.get("severity") == "error"]
        clean_ok = data is not None and not errors
        missed += [f"clean: error {f.get('id')} at {f.get('file')}:{f.get('line')}" for f in errors]
    bound_ok: bool | None = None
    if case.commit_bound:
        bound_ok = data is not None
        for bound in case.commit_bound:
            hits = mutable_at(bound, data) if data is not None else []
            if hits:
                bound_ok = False
                missed.append(f"commit-bound {bound.file}:{bound.line} reported latest ({hits[0]})")
    exit_ok = run.exit == case.exit
    if not exit_ok:
        missed.insert(0, f"exit: expected {case.exit}, got {run.exit}")
    return Score(
        folder=case.folder,
        expected_exit=case.exit,
        actual_exit=run.exit,
        races_found=found,
        races_total=len(case.races),
        exit_ok=exit_ok,
        races_ok=found == len(case.races) and data is not None,
        pipelines_ok=pipelines_ok,
        clean_ok=clean_ok,
        commit_bound_ok=bound_ok,
        error=run.error,
        missed=missed,
    )


# --- report -------------------------------------------------------------------------------------


def summary(scores: Sequence[Score]) -> tuple[int, int, float]:
    """(fully right, total, percent)."""
    right = sum(s.fully_right for s in scores)
    total = len(scores)
    return right, total, (100.0 * right / total if total else 0.0)


def _mark(ok: bool | None) -> str:
    return "-" if ok is None else ("yes" if ok else "no")


def to_markdown(scores: Sequence[Score], verbose: bool = False) -> str:
    rows = [
        "| folder | exit (expected/actual) | races found | pipelines | clean | commit-bound "
        "| fully right |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in scores:
        actual = "-" if s.actual_exit is None else str(s.actual_exit)
        rows.append(
            f"| {s.folder} | {s.expected_exit}/{actual} | {s.races_found}/{s.races_total} "
            f"| {_mark(s.pipelines_ok)} | {_mark(s.clean_ok)} | {_mark(s.commit_bound_ok)} "
            f"| {_mark(s.fully_right)} |"
        )
    notes = [f"- {s.folder}: audit failed: {s.error}" for s in scores if s.error]
    if verbose:
        for s in scores:
            if not s.fully_right and s.missed:
                notes.append(f"- {s.folder}:")
                notes += [f"  - {m}" for m in s.missed]
    right, total, pct = summary(scores)
    parts = ["\n".join(rows)]
    if notes:
        parts.append("\n".join(notes))
    parts.append(f"fully right: {right}/{total} ({pct:.0f}%)")
    return "\n\n".join(parts)


def to_json(scores: Sequence[Score]) -> dict[str, Any]:
    right, total, pct = summary(scores)
    return {
        "cases": [s.to_json() for s in scores],
        "fully_right": right,
        "total": total,
        "percent": pct,
    }


def select(cases: Sequence[Case], substrings: Sequence[str]) -> list[Case]:
    return [c for c in cases if not substrings or any(sub in c.folder for sub in substrings)]


def score_all(cases: Sequence[Case], corpus: Path = CORPUS, progress: bool = False) -> list[Score]:
    scores = []
    for i, case in enumerate(cases, 1):
        if progress:
            print(f"[{i}/{len(cases)}] {case.folder}", file=sys.stderr, flush=True)
        scores.append(score(case, run_audit(corpus / case.folder)))
    return scores


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Audit every shared workflow folder and score it against its CASE.md.",
        epilog="exit status: 0 always (a report), 1 when --min is given and the score is below "
        "it, 2 on bad input",
    )
    parser.add_argument("folders", nargs="*", metavar="FOLDER_SUBSTRING", help="only these")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--min", type=float, metavar="PERCENT", help="exit 1 below this score")
    parser.add_argument("-v", "--verbose", action="store_true", help="list what each miss was")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"shared workflow corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    cases = select(load_expectations(), args.folders)
    if not cases:
        print(f"no expectation matches {args.folders}", file=sys.stderr)
        return 2
    scores = score_all(cases, progress=not args.quiet)
    if args.json:
        print(json.dumps(to_json(scores), indent=2))
    else:
        print(to_markdown(scores, verbose=args.verbose))
    pct = summary(scores)[2]
    return 1 if args.min is not None and pct < args.min else 0


if __name__ == "__main__":
    sys.exit(main())
