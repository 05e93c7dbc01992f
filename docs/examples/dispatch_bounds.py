# cancel_superseded: sound while the dispatch spread stays within the shortest build run.
from racesim.testing import exhaustive_check, find_counterexample, search

below = {"dispatch": (1, 5), "build": (6, 120)}
found = search("cancel_superseded", "ends_on_newest", bounds=below, max_examples=200, seed=0)
print(f"search with dispatch < build: {'holds' if found.holds else 'breaks'} ({found.examples} histories)")

grid = {"build_pickup": (0, 3), "build": (2, 6, 12), "dispatch": (0, 1),
        "deploy_pickup": (0, 3), "rollout": (1, 4)}
full = exhaustive_check("cancel_superseded", "ends_on_newest", grid=grid, gaps=(0, 3, 13))
print(f"exhaustive on the grid: {'holds' if full.holds else 'breaks'} ({full.checked} histories)")

can_exceed = {"build_pickup": 1, "build": (1, 10), "push": 1, "build_verify": 1, "dispatch": (1, 60)}
cx = find_counterexample("cancel_superseded", "ends_on_newest", bounds=can_exceed, max_gap=30, seed=0)
print(cx.explanation)
