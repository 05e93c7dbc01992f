# Boundaries computed by bisection on the bounds, each end a proof or an engine-confirmed history.
from racesim import prove
from racesim.proof import boundary

for prop in ["never_stale", "ships_what_it_claims", "ends_on_newest", "never_regresses"]:
    b = boundary("cancel_superseded", prop, "dispatch", 1, 30, pushes=2, resolution=0.01)
    print(f"cancel_superseded / {prop}: {b}")

b = boundary("parallel", "never_stale", "sleep", 0, 400, pushes=1, resolution=0.01)
print(f"sleep:N / never_stale, one push: {b}")
print(prove("sleep:400", "never_stale", pushes=2).headline)
