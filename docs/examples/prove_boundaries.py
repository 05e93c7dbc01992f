# Boundaries computed by bisection on the bounds, each end a proof or an engine-confirmed history,
# explained by the bounds the last proof rests on (the solver's unsat core, made minimal).
from racesim import prove
from racesim.proof import boundary

for prop in ["never_stale", "ships_what_it_claims", "ends_on_newest", "never_regresses"]:
    b = boundary("cancel_superseded", prop, "dispatch", 1, 30, pushes=2, resolution=0.01)
    print(f"cancel_superseded / {prop}: {b}")
    if b.broken_at is not None:
        print(f"  the proof rests on: {', '.join(b.binding)}")

for other in ({"gap": (30, 60)}, {"build_pickup": (5, 30)}, {"dispatch": (2, 30)}):
    low = other.get("dispatch", (1, 30))[0]
    b = boundary("cancel_superseded", "ends_on_newest", "dispatch", low, 30, bounds=other)
    print(f"ends_on_newest with {other}: {b}")

b = boundary("parallel", "never_stale", "sleep", 0, 400, pushes=1, resolution=0.01)
print(f"sleep:N / never_stale, one push: {b}")
print(prove("sleep:400", "never_stale", pushes=2).headline)
