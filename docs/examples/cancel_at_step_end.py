from racesim import Concurrency, Durations, History, Push, Strategy, simulate

# Builds cancel the build in progress when a newer push arrives.
strategy = Strategy(trigger="none", build_concurrency=Concurrency(cancel_in_progress=True))
a = Durations(build_pickup=1, build=30, push=10, build_verify=10)  # A's push step: 31..41 s

for second_push in (40.0, 41.0):
    trace = simulate(strategy, History((Push(0, a), Push(second_push, Durations()))))
    pushed = any(e.kind == "write" and e.ref == "sha-1" for e in trace.events)
    cut = [f"{e.step} at {e.time:g} s" for e in trace.events if e.kind == "step_aborted"]
    print(f"B pushed at {second_push:g} s: A's image pushed: {pushed}; cut short: {', '.join(cut)}")
