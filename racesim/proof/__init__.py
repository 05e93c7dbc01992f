"""Proofs over all real-valued durations within bounds, or the counterexample that breaks them.

``racesim.prove(strategy, property, pushes=K, bounds=...)`` encodes the model's semantics for
every history of up to ``K`` pushes in linear real arithmetic (z3), and answers either *proved*
(no history within the bounds breaks the property) or with a *counterexample*, replayed through
the SimPy engine. :func:`boundary` finds, by bisection, the largest bound for which a proof holds.

Modules, one job each: ``bounds`` (what a proof covers), ``coverage`` (which knobs are encoded),
``registers`` and ``groups`` (the shared state and the concurrency groups as formulas),
``encode`` (the runs of each push), ``properties`` (violations as formulas), ``solve`` (z3 and
readable models), ``decide`` (:func:`prove`), ``result`` and ``boundary``.
"""

from racesim.proof.boundary import Boundary, boundary
from racesim.proof.bounds import DEFAULT_GAP, Bounds
from racesim.proof.coverage import NotEncodedError
from racesim.proof.decide import EncodingMismatch, prove
from racesim.proof.result import ProveResult

__all__ = [
    "DEFAULT_GAP",
    "Boundary",
    "Bounds",
    "EncodingMismatch",
    "NotEncodedError",
    "ProveResult",
    "boundary",
    "prove",
]
