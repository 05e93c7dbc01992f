# A property of your own: a function of the trace that is true when it holds.
from racesim import Strategy
from racesim.testing import find_counterexample

MINE = Strategy(trigger="workflow_run", gate=True, reference="sha", guard="tip_of_main")


def live_within_three_minutes(trace):
    """Every pushed commit (or a newer one) is live at most 180 s after its push."""
    return all(t is not None and t <= 180 for t in trace.outcome.push_to_live)


cx = find_counterexample(MINE, live_within_three_minutes, pushes=2, seed=0)
print(cx.explanation if cx else "no counterexample found")
