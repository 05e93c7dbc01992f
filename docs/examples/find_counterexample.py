# The shortest history on which the f8af4c1 fix (workflow_run, gated, :latest) ends on old code.
from racesim.testing import find_counterexample

cx = find_counterexample("workflow_run", "ends_on_newest", pushes=2, seed=0)
print(cx.explanation)
print([(p["commit"], p["time"]) for p in cx.pushes])
