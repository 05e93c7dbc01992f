from racesim import Durations, History, simulate

# The image becomes visible at 1 + 10 + 10 = 21 s; the deploy pulls at 1 + 20 = 21 s.
on_time = Durations(build_pickup=1, build=10, push=10, deploy_pickup=1, prepare=20)
# One second more of build: the image becomes visible at 22 s, after the pull.
late = Durations(build_pickup=1, build=11, push=10, deploy_pickup=1, prepare=20)

for durations in (on_time, late):
    deploy = simulate("parallel", History.single(durations)).outcome.deploys[0]
    print(
        f"pull at {deploy.pull_time:g} s, margin {deploy.pull_margin:+g} s, stale: {deploy.stale}"
    )
