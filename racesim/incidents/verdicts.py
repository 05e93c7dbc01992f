"""What an incident observed at its end, what a trace reproduced, and what would have been right."""

from __future__ import annotations

from racesim.core.trace import Trace
from racesim.incidents.format import Incident

__all__ = ["outcome_checks", "verdicts"]

#: what "deploy of X shipped" says for a deploy that rolled out nothing
_SHIPPED_NOTHING = ("no deploy", "blocked", "cancelled", "failed", "-")


def _reproduced(incident: Incident, trace: Trace) -> list[tuple[str, str]]:
    """``(what, got)`` for each outcome the incident observed, in the incident file's order."""
    label = trace.history.label
    outcome = trace.outcome
    out: list[tuple[str, str]] = []
    if incident.outcome.live is not None:
        out.append(("live at the end", label(outcome.final_live)))
    for registry in incident.outcome.latest:
        at_end = outcome.latest_at_end.get(registry)
        out.append((f"{registry} latest at the end", "-" if at_end is None else label(at_end)))
    for meant, _ in incident.outcome.deploys:
        k = incident.commit_number(meant)
        mine = [d for d in outcome.deploys if d.meant == k and d.cause != "dispatch"]
        if not mine:
            got = "no deploy"
        elif mine[0].shipped is None:
            got = mine[0].status  # blocked, cancelled or failed: it shipped nothing
        else:
            got = label(mine[0].shipped)
        out.append((f"deploy of {meant} shipped", got))
    return out


def _observed_values(incident: Incident) -> list[str]:
    """What the incident observed, in the order of :func:`_reproduced`."""
    seen = [] if incident.outcome.live is None else [incident.outcome.live]
    seen += list(incident.outcome.latest.values())
    return seen + [shipped for _, shipped in incident.outcome.deploys]


def outcome_checks(incident: Incident, trace: Trace) -> list[tuple[str, str, str]]:
    """``(what, observed, reproduced)`` for each observed outcome."""
    return [
        (what, seen, got)
        for (what, got), seen in zip(
            _reproduced(incident, trace), _observed_values(incident), strict=True
        )
    ]


def verdicts(incident: Incident, trace: Trace) -> list[tuple[str, str, str]]:
    """``(what, right, got)`` for each outcome the incident observed, judged against what is right.

    Right means: production and every observed registry end on the newest successfully built
    commit, and each deploy ships the commit it meant to (or does not roll out at all: then
    `got` is its status, ``blocked``, ``cancelled``, ``failed`` or ``no deploy``, and so is
    `right`).
    """
    newest = trace.history.label(trace.outcome.newest_built)
    right = [newest] * (len(_observed_values(incident)) - len(incident.outcome.deploys))
    right += [meant for meant, _ in incident.outcome.deploys]
    out = []
    for (what, got), should in zip(_reproduced(incident, trace), right, strict=True):
        skipped = what.startswith("deploy of") and got in _SHIPPED_NOTHING
        out.append((what, got if skipped else should, got))
    return out
