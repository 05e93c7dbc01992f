# A property test of your own pipeline, as it would sit in your test suite.
from hypothesis import given, settings

from racesim import Strategy, simulate
from racesim.testing import histories, ships_what_it_claims

MINE = Strategy(trigger="workflow_run", gate=True, reference="sha", guard="tip_of_main")


@settings(max_examples=100, deadline=None)
@given(histories(max_pushes=2))
def test_my_pipeline_ships_what_it_claims(history):
    assert ships_what_it_claims(simulate(MINE, history))


test_my_pipeline_ships_what_it_claims()  # pytest calls it for you; here we call it ourselves
print("ships_what_it_claims held on every history hypothesis tried")
