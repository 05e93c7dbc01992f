# queued_guarded against all four properties at prove's push limit, with lagging registries and
# builds that may fail; then the same design with one part taken away at a time.
from dataclasses import replace

from racesim import PRESETS, Concurrency, prove

PROPERTIES = ["never_stale", "ships_what_it_claims", "ends_on_newest", "never_regresses"]
LAG = {"registry_lag": (0, 60), "deploy_registry_lag": (0, 60), "failures": True}
fix = PRESETS["queued_guarded"]

for prop in PROPERTIES:
    print(prove(fix, prop, pushes=4, bounds=LAG).headline)

without = {
    "the guard": replace(fix, guard="none"),
    "queue: max (GitHub's single pending slot)": replace(fix, deploy_concurrency=Concurrency()),
    "the group": replace(fix, deploy_concurrency=None),
    "the wait": replace(fix, wait=None),
}
for part, strategy in without.items():
    broken = [p for p in PROPERTIES if not prove(strategy, p, pushes=3, bounds=LAG).proved]
    print(f"without {part}: breaks {', '.join(broken)}")

too_slow = {**LAG, "registry_lag": (0, 400)}  # the wait polls for 300 s
print(f"registry lag up to 400 s: {prove(fix, 'ends_on_newest', bounds=too_slow).headline}")
