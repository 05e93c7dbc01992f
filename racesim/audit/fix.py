"""The fix as a patch: the smallest edit of the user's own files that makes the properties hold.

The edits are made on the text, line by line, so comments and formatting elsewhere stay as they
were; the result is shown as a unified diff (``racesim audit --diff``) or written back
(``--fix``). Each finding id has its own edit (see ``docs/reference/findings.md``):

* no concurrency on a build that pushes mutable tags, or a group that never matches: a
  workflow-level group keyed on the workflow (and ref, for branch pushes) with
  cancel-in-progress, so a newer run cancels the older one, except where the run also deploys to
  a target that carries a cancelled rollout on: there the group queues runs instead (a cancelled
  run's rollout could land after the newer one);
* a deploy that races its build on ``push``: trigger on the build's ``workflow_run``, gate on
  success, and pin the image to ``head_sha``;
* an unpinned ``workflow_run`` deploy: pin ``:latest`` to ``:sha-<head_sha>`` (and make the build
  publish the long ``sha-`` tag);
* unserialised deploys: a deploy concurrency group; with the build's cancel this is the
  ``cancel_superseded`` preset;
* a ``workflow_run`` job whose checkout takes the branch tip: ``ref:`` the upstream head_sha.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

from racesim.audit import Audit
from racesim.audit.claims import FIXED_BY_PATCH, build_group_cancels, shares_build_file

__all__ = ["apply_patch", "fix_patch", "fixed_texts", "no_patch_reason"]

#: the commit a workflow_run deploy ships (a manual dispatch falls back to the run's own sha)
HEAD = "${{ github.event.workflow_run.head_sha || github.sha }}"


def _group_block(name_key: str, cancel: bool = True) -> list[str]:
    return [
        "concurrency:",
        f"  group: {name_key}",
        f"  cancel-in-progress: {'true' if cancel else 'false'}",
    ]


def _top_key_span(lines: list[str], key: str) -> tuple[int, int] | None:
    """Line span [start, end) of the top-level `key:` block, or None."""
    pattern = re.compile(rf"^['\"]?{re.escape(key)}['\"]?\s*:")
    for i, line in enumerate(lines):
        if pattern.match(line):
            j = i + 1
            while j < len(lines) and (lines[j].strip() == "" or lines[j][:1] in (" ", "\t", "#")):
                j += 1
            while j > i + 1 and lines[j - 1].strip() == "":
                j -= 1
            return i, j
    return None


def _set_top_concurrency(lines: list[str], block: list[str]) -> list[str]:
    span = _top_key_span(lines, "concurrency")
    if span is not None:
        return lines[: span[0]] + block + lines[span[1] :]
    on = _top_key_span(lines, "on")
    at = on[1] if on else 0
    return [*lines[:at], "", *block, *lines[at:]]


def _group_key(event_is_tag: bool) -> str:
    return "${{ github.workflow }}" if event_is_tag else "${{ github.workflow }}-${{ github.ref }}"


def _workflow_run_on(build_name: str, dispatch: bool) -> list[str]:
    out = [
        "on:",
        "  workflow_run:",
        f'    workflows: ["{build_name}"]',
        "    types: [completed]",
        "    branches: [main]",
    ]
    if dispatch:
        out.append("  workflow_dispatch:")
    return out


def _inner(expr: str) -> str:
    """An ``if:`` value without its ``${{ }}`` wrapper (GitHub adds one when it is missing)."""
    text = expr.strip()
    m = re.fullmatch(r"\$\{\{(.*)\}\}", text, flags=re.S)
    return (m.group(1) if m else text).strip()


def _quoted(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        inner = value[1:-1]
        return inner.replace("''", "'") if value[0] == "'" else inner
    return value


def _job_if(lines: list[str], job: str, condition: str) -> list[str]:
    """Set job `job`'s ``if:`` to `condition`, and-ed with the gate it already has (a gate the
    user wrote is never dropped; block scalars such as ``if: >-`` are read whole)."""
    jobs = _top_key_span(lines, "jobs")
    if jobs is None:
        return lines
    for i in range(jobs[0] + 1, jobs[1]):
        m = re.match(rf"^(\s+){re.escape(job)}\s*:\s*$", lines[i])
        if m:
            indent = m.group(1) * 2 if len(m.group(1)) == 2 else m.group(1) + "  "
            lines = list(lines)
            j = i + 1
            while j < len(lines) and (lines[j].startswith(indent) or not lines[j].strip()):
                found = re.match(rf"^{indent}if\s*:\s*(.*)$", lines[j])
                if found:
                    value, end = found.group(1).strip(), j + 1
                    if value[:1] in ("|", ">"):  # block scalar: the indented lines below
                        body = []
                        while end < len(lines) and (
                            not lines[end].strip()
                            or len(lines[end]) - len(lines[end].lstrip()) > len(indent)
                        ):
                            body.append(lines[end].strip())
                            end += 1
                        value = " ".join(b for b in body if b)
                    else:
                        value = _quoted(re.sub(r"\s+#.*$", "", value))
                    old = _inner(value)
                    new = _inner(condition)
                    merged = new if old == new or not old else f"({new}) && ({old})"
                    return [*lines[:j], f"{indent}if: ${{{{ {merged} }}}}", *lines[end:]]
                j += 1
            return [*lines[: i + 1], f"{indent}if: {condition}", *lines[i + 1 :]]
    return lines


_CHECKOUT = re.compile(r"^(\s*)(-\s+)?uses:\s*actions/checkout@\S+")


def _pin_checkouts(lines: list[str]) -> list[str]:
    """Give every ``actions/checkout`` step without a ``ref:`` the commit the run is about."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        m = _CHECKOUT.match(line)
        i += 1
        if not m:
            continue
        indent = len(m.group(1)) + (len(m.group(2)) if m.group(2) else 0)
        j = i
        body: list[str] = []
        while j < len(lines) and (
            not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) >= indent
        ):
            if lines[j].lstrip().startswith("- "):
                break
            body.append(lines[j])
            j += 1
        refs = [k for k, b in enumerate(body) if b.strip().startswith("ref:")]
        if refs:
            # an expression ref falls back to the tested commit where it is empty (a dispatch
            # input under workflow_run); a literal branch or tag is the user's choice, kept
            k = refs[0]
            value = body[k].split(":", 1)[1].strip()
            expr = re.fullmatch(r"\$\{\{(.*)\}\}", _quoted(value))
            if expr and "workflow_run.head_sha" not in value:
                pad_k = body[k][: len(body[k]) - len(body[k].lstrip())]
                head = _inner(HEAD)
                body[k] = f"{pad_k}ref: ${{{{ {expr.group(1).strip()} || {head} }}}}"
                out.extend(body)
                i = j
            continue
        pad = " " * indent
        at = next((k for k, b in enumerate(body) if b.strip() == "with:"), None)
        if at is None:
            out.extend([f"{pad}with:", f"{pad}  ref: {HEAD}"])
        else:
            out.extend(body[: at + 1])
            out.append(f"{pad}  ref: {HEAD}")
            out.extend(body[at + 1 :])
            i = j
    return out


def fixed_texts(result: Audit) -> dict[str, tuple[str, str]]:
    """Path -> (old text, new text) for every file the fix changes."""
    texts: dict[str, list[str]] = {}
    originals: dict[str, str] = {}

    def lines_of(path: str) -> list[str]:
        if path not in texts:
            originals[path] = Path(path).read_text(encoding="utf-8")
            texts[path] = originals[path].splitlines()
        return texts[path]

    everyone = [x.pipeline for x in result.results]
    for r in result.results:
        p, s = r.pipeline, r.pipeline.strategy
        ids = {f.id for f in r.findings if f.severity == "error"}
        if not ids:
            continue
        tag_event = p.event.ref is None and p.event.ref_kind == "tag"
        shared = shares_build_file(p, everyone)
        if p.build_file and ids & {"RS102", "RS103", "RS104", "RS105"} and not shared:
            lines = lines_of(p.build_file)
            block = _group_block(_group_key(tag_event), build_group_cancels(p, everyone))
            texts[p.build_file] = _set_top_concurrency(lines, block)
        if p.deploy_file and s.trigger in ("push", "workflow_run") and p.build_file:
            lines = lines_of(p.deploy_file)
            build_name = next(
                (w.name for w in result.repo.workflows if w.file == p.build_file), "build"
            )
            if s.trigger == "push":
                on = _top_key_span(lines, "on")
                if on is not None:
                    lines = (
                        lines[: on[0]]
                        + _workflow_run_on(build_name, p.dispatch is not None)
                        + lines[on[1] :]
                    )
            cond = (
                "${{ github.event.workflow_run.conclusion == 'success' || "
                "github.event_name == 'workflow_dispatch' }}"
            )
            if p.deploy_job:
                lines = _job_if(lines, p.deploy_job, cond)
            text = "\n".join(lines)
            pulled = {f.ref.repo for f in p.deploy_facts if f.kind == "pull" and f.ref}
            text = re.sub(
                r"(ghcr\.io/[^\s:'\"]+|[\w.-]+\.[\w.-]+/[^\s:'\"]+):latest\b",
                lambda m, pulled=pulled: (  # type: ignore[misc]
                    f"{m.group(1)}:sha-{HEAD}" if m.group(1) in pulled else m.group(0)
                ),
                text,
            )
            text = text.replace("${{ github.sha }}", HEAD)
            lines = _pin_checkouts(text.splitlines())
            if s.deploy_concurrency is None:  # a group that already serialises deploys stays
                lines = _set_top_concurrency(
                    lines,
                    _group_block(
                        "deploy-${{ github.event.workflow_run.head_branch || github.ref_name }}",
                        False,
                    ),
                )
            texts[p.deploy_file] = lines
            if p.build_file:
                blines = lines_of(p.build_file)
                btext = "\n".join(blines)
                if "type=sha,format=long" not in btext:
                    btext = re.sub(
                        r"^(\s*)type=sha\s*$",
                        r"\1type=sha\n\1type=sha,format=long",
                        btext,
                        count=1,
                        flags=re.M,
                    )
                texts[p.build_file] = btext.splitlines()
    out: dict[str, tuple[str, str]] = {}
    for path, lines in texts.items():
        new = "\n".join(lines) + ("\n" if originals[path].endswith("\n") else "")
        if new != originals[path]:
            out[path] = (originals[path], new)
    return out


def fix_patch(result: Audit) -> str:
    """The fix as one unified diff (empty when nothing needs fixing).

    Paths are relative to the first audited folder, so ``patch -p1`` (or ``git apply`` at a
    repository root) applies it there.
    """
    chunks: list[str] = []
    first = Path(result.paths[0]) if result.paths else Path()
    base = first if first.is_dir() else first.parent
    for path, (old, new) in fixed_texts(result).items():
        rel = os.path.relpath(path, base)
        chunks.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"a/{rel}",
                tofile=f"b/{rel}",
            )
        )
    return "".join(chunks)


def apply_patch(result: Audit) -> list[str]:
    """Write the fixed files; returns the paths changed."""
    changed = []
    for path, (_old, new) in fixed_texts(result).items():
        Path(path).write_text(new, encoding="utf-8")
        changed.append(path)
    return changed


def no_patch_reason(result: Audit) -> str:
    """Why :func:`fix_patch` is empty, as one comment line (``# nothing to fix`` when no error)."""
    errors = sorted({f.id for f in result.findings if f.severity == "error"})
    if not errors:
        return "# nothing to fix"
    manual = [e for e in errors if e not in FIXED_BY_PATCH]
    done = [e for e in errors if e in FIXED_BY_PATCH]
    parts = []
    if done:
        parts.append(
            f"{', '.join(done)} remain and racesim has no further edit for them in these files "
            "(its change is already in place, or this pipeline's shape has no automatic one); "
            "the verdicts above say which properties still break"
        )
    if manual:
        parts.append(
            f"{', '.join(manual)} have no automatic edit (each finding's page says what to change)"
        )
    return "# no patch although there are errors: " + "; ".join(parts)
