"""A replay as text and tables: what ``racesim replay`` prints and the demo writes."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from racesim._util.table import format_table
from racesim.core.outcome import DeployOutcome
from racesim.incidents.replay import Replay

__all__ = ["replay_frames", "replay_report"]


def _shipped(label: Callable[[int | None], str], deploy: DeployOutcome) -> str:
    """The commit a deploy shipped, or its status when it shipped nothing (blocked, ...)."""
    return deploy.status if deploy.shipped is None else label(deploy.shipped)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:+g} s"


def replay_frames(replay: Replay) -> dict[str, pd.DataFrame]:
    """The replay's tables as DataFrames: observed, deploys, durations, counterfactuals."""
    label = replay.history.label
    observed = pd.DataFrame(
        [(o.event, o.commit, o.time, o.reproduced, o.matches) for o in replay.observed],
        columns=["event", "commit", "observed", "reproduced", "matches"],
    )
    deploys = replay.trace.outcome.deploys_frame()
    for col in ("meant", "shipped", "pulled"):
        deploys[col] = [label(c) for c in deploys[col]]
    durations = pd.DataFrame(
        [(d.commit, d.duration, d.seconds, d.source, d.why) for d in replay.durations],
        columns=["commit", "duration", "seconds", "source", "why"],
    )
    rows = []
    for c in replay.counterfactuals:
        for d in c.trace.outcome.deploys or [None]:
            rows.append(
                {
                    "strategy": c.strategy,
                    "meant": None if d is None else label(d.meant),
                    "shipped": None if d is None or d.shipped is None else label(d.shipped),
                    "stale": None if d is None else d.stale,
                    "pull_margin_s": None if d is None else d.pull_margin,
                    "final_live": label(c.trace.outcome.final_live),
                    "new_code_live_at": c.new_code_live_at,
                    "push_to_live_s": c.push_to_live_s,
                }
            )
    return {
        "observed": observed,
        "deploys": deploys,
        "durations": durations,
        "counterfactuals": pd.DataFrame(rows),
    }


def _durations_table(replay: Replay) -> str:
    """Durations with their sources: one column per push."""
    commits = [m.commit for m in replay.incident.pushes]
    cells: dict[str, dict[str, str]] = {}
    for d in replay.durations:
        cells.setdefault(d.duration, {})[d.commit] = f"{d.seconds:g} {d.source}"
    rows = [(name, *(by.get(c, "-") for c in commits)) for name, by in cells.items()]
    return format_table(rows, ["duration", *commits])


def _assumptions(replay: Replay) -> list[str]:
    """Assumed durations grouped by value and reason, then assumed times."""
    grouped: dict[tuple[str, float, str], list[str]] = {}
    for d in replay.assumptions:
        grouped.setdefault((d.duration, d.seconds, d.why), []).append(d.commit)
    lines = [
        f"  {name} = {seconds:g} s ({', '.join(commits)}): {why}"
        for (name, seconds, why), commits in grouped.items()
    ]
    lines += [f"  {what} at {when:%H:%M:%S}: {why}" for what, when, why in replay.assumed_times]
    return lines


def _history_verdict(replay: Replay) -> list[str]:
    """Identity, regressions (when, from, to) and time behind, as sentences."""
    outcome = replay.trace.outcome
    label = replay.history.label
    lines = []
    if outcome.deploys:
        wrong = outcome.identity_errors
        lines.append(
            "identity holds: every deploy shipped the commit it meant"
            if wrong == 0
            else f"identity broken: {wrong} deploy(s) shipped another commit than they meant"
        )
    moves = [
        f"{label(before)} -> {label(after)} at {replay.at(t):%H:%M:%S}"
        for t, before, after in outcome.backwards
    ]
    if moves:
        lines.append(f"production went backwards {len(moves)} time(s): {', '.join(moves)}")
    else:
        lines.append("production never went backwards")
    # behind_s counts up to the replay's last event: what happens after is not in the replay
    lines.append(
        f"production ran an older commit than the newest built one for {outcome.behind_s:g} s "
        "of the replay (and stays on it until another deploy)"
        if outcome.final_live != outcome.newest_built
        else f"production ran an older commit than the newest built one for {outcome.behind_s:g} s"
    )
    return lines


def replay_report(replay: Replay) -> str:
    """The replay as text: observed vs reproduced, verdict, durations, counterfactuals."""
    inc = replay.incident
    label = replay.history.label
    out = [
        f"{inc.name}: {inc.title}",
        f"source: {inc.source}",
        f"strategy in place: {replay.strategy.describe()}",
        "",
        f"Observed vs reproduced (UTC, {inc.epoch:%Y-%m-%d})",
        format_table(
            [
                (
                    o.event,
                    o.commit,
                    o.time,
                    o.reproduced,
                    o.source,
                    "ok" if o.matches else "MISMATCH",
                )
                for o in replay.observed
            ],
            ["event", "commit", "observed", "reproduced", "time is", ""],
        ),
    ]
    for what, seen, got in replay.outcome_checks:
        out.append(
            f"{what}: observed {seen}, reproduced {got}  {'ok' if seen == got else 'MISMATCH'}"
        )
    out += ["", "Verdict"]
    deploys = replay.trace.outcome.deploys
    if deploys:
        out.append(
            format_table(
                [
                    (
                        d.cause,
                        label(d.meant),
                        _shipped(label, d),
                        d.stale,
                        d.wrong_identity,
                        _seconds(d.pull_margin),
                    )
                    for d in deploys
                ],
                ["deploy", "meant", "shipped", "stale", "wrong identity", "pull margin"],
            )
        )
    else:
        out.append("no deploys ran; the outcome is what the registries hold (see above)")
    out += _history_verdict(replay)
    if not replay.compared:
        out.append(
            "nothing to compare: the incident records no observed times or outcomes, so this is "
            "what the model predicts, not a reproduction"
        )
    else:
        out.append(
            f"reproduced exactly ({replay.compared} observations)"
            if replay.reproduced
            else "NOT reproduced: see the mismatches above"
        )
    out += ["", "Durations (s)", _durations_table(replay)]
    out += ["", "Counterfactuals: the same durations under other strategies"]
    checks = (
        [what for what, _, _ in replay.counterfactuals[0].verdicts]
        if replay.counterfactuals
        else []
    )
    rows = []
    for c in replay.counterfactuals:
        outcome = c.trace.outcome
        rows.append(
            (
                c.strategy,
                {True: "yes", False: "no", None: "unknown"}[c.prevents],
                *(got for _, _, got in c.verdicts),
                ", ".join(_shipped(label, d) for d in outcome.deploys) or "nothing",
                ", ".join("yes" if d.stale else "no" for d in outcome.deploys) or "-",
                ", ".join(_seconds(d.pull_margin) for d in outcome.deploys) or "-",
                c.new_code_live_at,
                "-" if c.push_to_live_s is None else f"{c.push_to_live_s:g} s",
            )
        )
    headers = [
        "strategy",
        "prevents",
        *checks,
        "shipped",
        "stale",
        "pull margin",
        "new code live at",
        "push to live",
    ]
    out.append(format_table(rows, headers))
    out.append(
        "prevents: every outcome the incident got wrong comes out right (newest commit live "
        "and in every registry's latest, each deploy ships what it meant) with this incident's "
        "own durations, unknown when the incident states no outcome; `racesim compare` gives how "
        "often over sampled timings"
    )
    assumed = _assumptions(replay)
    if assumed:
        out += ["", "Assumed (not observed):", *assumed]
    return "\n".join(out)
