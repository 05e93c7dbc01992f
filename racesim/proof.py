"""Proofs over all real-valued durations within bounds, or the counterexample that breaks them.

``racesim.prove(strategy, property, pushes=K, bounds=...)`` encodes the model's semantics for
every history of up to ``K`` pushes in linear real arithmetic (z3), and answers either *proved*
(no history within the bounds breaks the property) or with a *counterexample*, replayed through
the SimPy engine. :func:`boundary` finds, by bisection, the largest bound for which a proof holds.

This module is the public face of :mod:`racesim.verify.proof`, where the code lives.
"""

from racesim.verify.proof.boundary import Boundary, boundary
from racesim.verify.proof.bounds import DEFAULT_GAP, Bounds
from racesim.verify.proof.coverage import NotEncodedError
from racesim.verify.proof.decide import EncodingMismatch, prove
from racesim.verify.proof.result import ProveResult

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
