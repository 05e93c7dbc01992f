from racesim import Durations, History, Push, Strategy, simulate

# Commit 1, pushed at 0 s: build 0..30, push step 30..40.
# Commit 2, pushed at 5 s: build 5..20, push step 20..40: it started its push earlier.
history = History((Push(0, Durations(build=30, push=10)), Push(5, Durations(build=15, push=20))))
trace = simulate(Strategy(trigger="none"), history)  # builds only, nothing deploys

for e in trace.events:
    if e.kind == "write" and e.ref == "latest":
        print(f"{e.time:g} s  {e.registry}:latest -> commit {e.image}")
print("latest at the end:", trace.outcome.latest_at_end["ghcr"])
