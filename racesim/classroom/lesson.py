"""The classroom lesson: eight steps from the incident to the fix that holds, kept here only.

Each :class:`Step` sets the classroom's controls, asks the class a question and offers the
choices the students pick from *before* the reveal. The right choice is never written down: it
is what racesim's own simulation of that step's settings says (:func:`answer`), so the lesson
cannot drift from the model. The three classrooms render this one tuple: the kernel-free page
(:func:`racesim.classroom.page.page_data` embeds :func:`lesson_data`), the ipywidgets app that
``racesim classroom`` serves (:class:`racesim.classroom.widgets.LessonDemo`), and the classroom
notebook.

Every step's settings are points of the static page's grid (:data:`racesim.classroom.page.GRID`),
so the page can show the step's timeline without Python.

Importing this module costs nothing but the text: the simulator, the incident and the scenarios
are imported by the functions that simulate, so the served lesson shows its first question
without waiting for them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from racesim.core.history import Durations, History
    from racesim.core.trace import Trace

__all__ = [
    "ASKS",
    "CHOICE_TEXT",
    "GITHUB_QUEUE_LIMIT",
    "LESSON",
    "PROOF_LAG",
    "PROOF_PUSHES",
    "Step",
    "answer",
    "base_durations",
    "choice_text",
    "lesson_data",
    "proof_bounds",
    "step_history",
    "step_trace",
]

#: what a step can ask: which commit production runs at the end, or how many deploys shipped an
#: older image than the one they were started for
ASKS = ("live", "stale")

#: how a choice is shown to the class (the simulation's commit labels: ``previous`` is the release
#: running before commit A was pushed)
CHOICE_TEXT = {"previous": "the previous release", "A": "commit A", "B": "commit B"}


@dataclass(frozen=True)
class Step:
    """One step of the lesson: the controls it sets, what it asks, and what it explains.

    Attributes:
        title: a few words for the step's heading.
        strategy: a preset name from :data:`racesim.PRESETS`.
        build: seconds commit A's build takes.
        gap: seconds between the pushes of A and B.
        sleep: seconds the deploy sleeps before it pulls.
        setup: what changed since the last step, said to the class before the question.
        question: the question the class answers before the reveal.
        asks: ``"live"`` (the commit running at the end) or ``"stale"`` (how many deploys pulled
            an older image than they were started for): what :func:`answer` computes.
        choices: what the students pick from (commit labels, or counts as text).
        explain: what to say after the reveal: why the simulation came out as it did.
    """

    title: str
    strategy: str
    build: float
    gap: float
    sleep: float
    setup: str
    question: str
    asks: Literal["live", "stale"]
    choices: tuple[str, ...]
    explain: str


#: what the last step says racesim prove covers for queued_guarded: every history of up to this
#: many pushes, with either registry's lag anywhere from 0 to PROOF_LAG seconds and builds that
#: may fail (a test proves it with exactly these bounds)
PROOF_PUSHES = 4
PROOF_LAG = 30.0
#: GitHub's documented limit of pending runs in a ``queue: max`` concurrency group
GITHUB_QUEUE_LIMIT = 100


def proof_bounds() -> dict[str, Any]:
    """The bounds the last step's proof sentence states (for :func:`racesim.proof.prove`)."""
    return {
        "registry_lag": (0.0, PROOF_LAG),
        "deploy_registry_lag": (0.0, PROOF_LAG),
        "failures": True,
    }


_LIVE = ("previous", "A", "B")
_STALE = ("0", "1", "2")

#: the lesson, in the order it is taught
LESSON: tuple[Step, ...] = (
    Step(
        "The incident",
        "parallel",
        72.0,
        10.0,
        0.0,
        "Build and deploy both start on the push, as in f8af4c1. Two commits, B ten seconds "
        "after A. Every run will end green.",
        "Which commit is live at the end?",
        "live",
        _LIVE,
        "Each deploy reached its pull before either build had written :latest, so both pulled "
        "the image that was there already. Green checks say each job ran, not what it shipped.",
    ),
    Step(
        "The merged fix: workflow_run",
        "workflow_run",
        72.0,
        10.0,
        0.0,
        "The fix that was merged: the deploy starts when a build finishes. Same two pushes.",
        "Which commit is live at the end?",
        "live",
        _LIVE,
        "A's build is slower than B's, so A writes :latest last. The deploy started by B's build "
        "pulls :latest after that and ships A: still green, still wrong.",
    ),
    Step(
        "Push less often",
        "workflow_run",
        72.0,
        60.0,
        0.0,
        "Same fix, but B is pushed a minute after A.",
        "Which commit is live at the end?",
        "live",
        _LIVE,
        "In this history the builds finish in push order, so the last write to :latest is B's "
        "and the last deploy ships it. The race is still there: the bars show workflow_run "
        "shipping a stale image in some of the sampled two-push runs a minute apart. A bigger "
        "gap makes it rarer, not impossible.",
    ),
    Step(
        "A slow build",
        "workflow_run",
        140.0,
        60.0,
        0.0,
        "Still a minute apart, but A's build now takes 140 s (a cache miss, a big dependency).",
        "Which commit is live at the end?",
        "live",
        _LIVE,
        "What matters is the order in which the builds finish, and nothing in workflow_run with "
        ":latest controls it. A longer gap only makes a slow build less likely to overtake.",
    ),
    Step(
        "The band-aid: sleep 60",
        "sleep:60",
        72.0,
        60.0,
        60.0,
        "Back to the incident's wiring, but every deploy sleeps 60 s before it pulls. A normal "
        "build, pushes a minute apart.",
        "How many deploys ship an older image than they were started for?",
        "stale",
        _STALE,
        "Here the sleep outlasts the build. It is a guess about build times: a slower build beats "
        "it again (try build A 140 s), and every deploy pays the minute: see the sleep bar in "
        "each deploy's lane.",
    ),
    Step(
        "Pin the image",
        "pinned",
        140.0,
        60.0,
        0.0,
        "Each deploy asks for the image of its own commit (the sha tag), not :latest. The slow "
        "build A again.",
        "How many deploys ship an older image than they were started for?",
        "stale",
        _STALE,
        "No deploy ships a wrong image now, yet look at what is live at the end: the deploys "
        "still finish in any order, and the last one wins.",
    ),
    Step(
        "Let the newest commit win",
        "cancel_superseded",
        140.0,
        60.0,
        0.0,
        "Pinned images, and a newer commit cancels the build of an older one still in progress.",
        "Which commit is live at the end?",
        "live",
        _LIVE,
        "B's push cancelled A's build while it ran, so A never deployed and B, named by its "
        "commit, is live at the end. This is one history, not a guarantee: racesim prove finds "
        "histories where this fix ends on the older commit (B's whole build finishes before the "
        "event that starts A's deploy arrives, so A's deploy runs last), timings these sliders "
        "cannot set.",
    ),
    Step(
        "Proved, at a price",
        "queued_guarded",
        72.0,
        60.0,
        0.0,
        "The fix racesim proves: a deploy starts after a successful build and asks for the "
        "digest that build reported, waits until the registry shows that image, queues behind "
        "the deploy in progress (GitHub's queue: max: first in, first out, none dropped), and "
        "rolls out only a commit newer than the live one. A normal build, B a minute after A.",
        "Which commit is live at the end?",
        "live",
        _LIVE,
        f"racesim prove finds no history of up to {PROOF_PUSHES} pushes that breaks any of the "
        f"four properties, with either registry's lag anywhere up to {PROOF_LAG:g} s, builds "
        "that fail, and every other duration within prove's default bounds; it holds as long "
        "as the wait outlasts the registry's lag and no more than "
        f"{GITHUB_QUEUE_LIMIT} deploys wait at once (GitHub's limit for queue: max). Each part "
        "is needed: without the guard an older deploy queued last rolls out last; with GitHub's "
        "default single pending slot an older deploy arriving later cancels a newer one "
        "waiting; without the wait a lagging registry fails the deploy; without the "
        "concurrency group two guard checks pass before either rollout. The price is in the "
        "timeline: B's deploy waits for A's to finish, so B goes live later than with pinned "
        "deploys that do not queue.",
    ),
)


@cache
def _base() -> tuple[Durations, float]:
    """The incident's durations and commit B's build seconds (from racesim's own files)."""
    from racesim.classroom.controls import median_seconds
    from racesim.incidents import derive, load_incident
    from racesim.scenarios import load_scenario

    history, _ = derive(load_incident("f8af4c1"))
    two = load_scenario("two-pushes-out-of-order")
    second = two.overrides.get(2, {}).get("build", two.timings["build"])
    return history.pushes[0].durations, median_seconds(second)


def base_durations() -> tuple[Durations, float]:
    """The f8af4c1 incident's durations and commit B's build time: what every classroom uses
    for the durations the controls do not set."""
    return _base()


def step_history(step: Step) -> History:
    """The two-push history `step` describes."""
    from racesim.classroom.controls import two_push_history

    base, second_build = _base()
    return two_push_history(base, build=step.build, second_build=second_build, gap=step.gap)


def step_trace(step: Step) -> Trace:
    """racesim's simulation of `step`'s settings: where its answer comes from."""
    from racesim.core.strategy import PRESETS
    from racesim.engine.simulation import simulate

    strategy = replace(PRESETS[step.strategy], sleep=step.sleep)
    return simulate(strategy, step_history(step))


def answer(step: Step) -> str:
    """The right choice for `step`, computed by simulating its settings (never written down)."""
    trace = step_trace(step)
    outcome = trace.outcome
    if step.asks == "live":
        return trace.history.label(outcome.final_live)
    return str(outcome.stale_deploys)


def choice_text(choice: str) -> str:
    """How `choice` is shown on a button."""
    return CHOICE_TEXT.get(choice, choice)


def lesson_data() -> list[dict[str, Any]]:
    """The lesson as JSON-ready dicts, each with its computed answer and verdict."""
    from racesim.classroom.controls import verdict_text

    out = []
    for step in LESSON:
        trace = step_trace(step)
        out.append(
            {
                "title": step.title,
                "strategy": step.strategy,
                "build": step.build,
                "gap": step.gap,
                "sleep": step.sleep,
                "setup": step.setup,
                "question": step.question,
                "asks": step.asks,
                "choices": [[c, choice_text(c)] for c in step.choices],
                "answer": answer(step),
                "verdict": verdict_text(trace),
                "explain": step.explain,
            }
        )
    return out
