"""Checking strategies: properties of a trace (:mod:`~racesim.verify.properties`), hypothesis
generators of histories (:mod:`~racesim.verify.generators`), the counterexample search and the
exhaustive check (:mod:`~racesim.verify.search`), explanations (:mod:`~racesim.verify.explain`),
proofs with an SMT solver (:mod:`racesim.verify.proof`) and the verdict table that combines them
(:mod:`~racesim.verify.table`).

Users import the kit from :mod:`racesim.testing` and proofs from :mod:`racesim.proof`, the
stable public faces of this package.
"""
