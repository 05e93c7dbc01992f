"""Plain sentences for a trace: what happened, in the order it happened, and what broke.

Only the events that decide the outcome are told: pushes, the images builds put under the tags
deploys read, cancellations, skipped deploys, pulls and what they got, guard checks, and every
time production changes image.
"""

from __future__ import annotations

from racesim.core.trace import CONTINUED, Event, Trace
from racesim.verify.properties import Check

__all__ = ["explain", "story"]


def _s(t: float) -> str:
    return f"{t:g} s"


def _whose(trace: Trace, e: Event) -> str:
    label = trace.label(e.commit)
    if e.workflow == "deploy":
        return f"{label}'s deploy"
    kind = "build" if e.workflow == "build" else "pipeline"
    return f"{label}'s {kind}"


def display_ref(trace: Trace, ref: str) -> str:
    """A registry key as a reader knows it: ``sha-2`` becomes ``sha-B``."""
    if ref.startswith("sha-") and ref[4:].isdigit():
        return f"sha-{trace.label(int(ref[4:]))}"
    if ref.startswith("digest:"):
        return f"the digest of build run {ref.removeprefix('digest:')}"
    return ref


def _sentence(trace: Trace, e: Event, refs: set[str]) -> str | None:
    label = trace.label
    if e.kind == "push":
        return f"push {label(e.commit)} at {_s(e.time)}"
    if e.kind == "rerun":
        return f"{label(e.commit)}'s build is re-run at {_s(e.time)}"
    if e.kind == "dispatch":
        return f"someone dispatches the deploy at {_s(e.time)} (main is at {label(e.commit)})"
    if e.kind == "run_created" and e.workflow == "deploy" and e.detail == "workflow_run":
        return f"{label(e.commit)}'s deploy is triggered at {_s(e.time)}"
    if e.kind == "pending":
        return f"{_whose(trace, e)} waits in the {e.detail} concurrency group from {_s(e.time)}"
    if e.kind == "cancelled":
        return f"{_whose(trace, e)} run is cancelled at {_s(e.time)} ({e.detail})"
    if e.kind == "job_skipped" and e.job == "deploy":
        return f"{trace.label(e.commit)}'s deploy is skipped at {_s(e.time)} ({e.detail})"
    if e.kind in ("read", "read_failed") and e.detail == "pull":
        who = f"{label(e.commit)}'s deploy"
        if e.kind == "read_failed":
            return f"{who} finds no {display_ref(trace, e.ref)} at {_s(e.time)} (manifest unknown)"
        return f"{who} pulls {display_ref(trace, e.ref)} at {_s(e.time)} and gets {label(e.image)}"
    if e.kind == "guard":
        what = {
            "newer_than_live": "that it is newer than what is live",
            "tip_of_main": "that it is still the tip of main",
            "publish_guard": "whether a newer image is already published",
            "reconcile_latest": f"whether {display_ref(trace, 'latest')} is behind",
        }.get(e.step, e.step)
        seen = "" if e.image < 0 else f" ({label(e.image)})"
        verdict = "goes ahead" if e.detail in ("pass", "move") else "stops"
        return f"{_whose(trace, e)} checks {what} at {_s(e.time)}{seen} and {verdict}"
    if e.kind == "live":
        return f"production switches to {label(e.image)} at {_s(e.time)}"
    if e.kind == "step_aborted" and e.detail == CONTINUED:
        return (
            f"{_whose(trace, e)} job is cancelled during its rollout at {_s(e.time)}, but the "
            "target carries the rollout on"
        )
    return None


def _writes(trace: Trace, events: list[Event], refs: set[str]) -> str:
    """One sentence for the writes one run makes visible at one instant."""
    first = events[0]
    keys = " and ".join(display_ref(trace, e.ref) for e in events)
    return f"{_whose(trace, first)} pushes {keys} at {_s(first.time)}"


def story(trace: Trace) -> list[str]:
    """The deciding events of `trace` as short sentences, in time order.

    Build registry writes of the tags that deploys read (``latest``, and the ``sha-`` tags a
    pinned deploy pulls) are told once per run and instant.
    """
    refs = {"latest"} | {
        e.ref for e in trace.events if e.kind in ("read", "read_failed") and e.detail == "pull"
    }
    lines: list[str] = []
    pending: list[Event] = []
    accepted: dict[tuple[int, str, str, int], float] = {}
    for e in trace.events:
        is_write = e.kind == "write" and e.registry == trace.build_registry and e.ref in refs
        key = (e.run, e.registry, e.ref, e.image)
        if is_write:
            accepted[key] = e.time
        if pending and not (is_write and (e.run, e.time) == (pending[0].run, pending[0].time)):
            lines.append(_writes(trace, pending, refs))
            pending = []
        if e.kind == "visible" and key in accepted and e.time > accepted[key]:
            # a lagged write: other jobs see it only now
            lines.append(
                f"{_whose(trace, e)} push of {display_ref(trace, e.ref)} becomes visible to "
                f"others at {_s(e.time)} (registry lag)"
            )
            continue
        if is_write:
            pending.append(e)
            continue
        line = _sentence(trace, e, refs)
        if line is not None:
            lines.append(line)
    if pending:
        lines.append(_writes(trace, pending, refs))
    return lines


def explain(trace: Trace, check: Check | None = None) -> str:
    """`trace` told in plain sentences, ending with why `check` fails (if given)."""
    text = "; ".join(story(trace)) + "."
    if check is not None and not check.holds:
        text += f" So {check.message}."
    return text[0].upper() + text[1:]
