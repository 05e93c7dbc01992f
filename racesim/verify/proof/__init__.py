"""Proofs over all real-valued durations within bounds (z3), or the counterexample that breaks them.

Modules, one job each: :mod:`~racesim.verify.proof.bounds` (what a proof covers),
:mod:`~racesim.verify.proof.coverage` (which knobs are encoded),
:mod:`~racesim.verify.proof.registers` and :mod:`~racesim.verify.proof.groups` (the shared state
and the concurrency groups as formulas), :mod:`~racesim.verify.proof.encode` (the runs of each
push), :mod:`~racesim.verify.proof.properties` (violations as formulas),
:mod:`~racesim.verify.proof.solve` (z3 and readable models), :mod:`~racesim.verify.proof.decide`
(:func:`~racesim.verify.proof.decide.prove`), :mod:`~racesim.verify.proof.result` and
:mod:`~racesim.verify.proof.boundary`. The public face is :mod:`racesim.proof`.
"""
