# Random histories full of ties (steps of 0 or 1 s, pushes at 0 or 1 s) under random strategies,
# each simulated with the runs of one instant created in commit order and in a shuffled order.
from benchmarks.instant_order import count_differences

for pushes in (4, 6):
    differ = count_differences(9000, pushes)
    print(f"up to {pushes} pushes: {differ} of 9,000 outcomes depend on the creation order")
