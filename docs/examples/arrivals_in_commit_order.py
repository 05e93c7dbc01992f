from racesim import Durations, History, Push, simulate

# Two commits pushed in the same second with identical timings: their builds complete, and their
# deploy runs reach the deploy concurrency group, at the same instant.
same = Durations(
    build_pickup=1,
    build=50,
    push=10,
    build_verify=10,
    dispatch=2,
    deploy_pickup=1,
    prepare=20,
    mirror=5,
    rollout=10,
    deploy_verify=5,
)
trace = simulate("pinned_serialized", History((Push(0, same), Push(0, same))))

for e in trace.events:
    if e.kind in ("pending", "job_started") and e.workflow == "deploy":
        print(f"{e.time:g} s  deploy of commit {e.commit}: {e.kind}")
print("live:", [commit for _, commit in trace.outcome.live[1:]])
