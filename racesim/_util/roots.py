"""Brent's root finder, a line-by-line port of scipy's ``brentq`` (``Zeros/brentq.c``).

Scenario timings fit a power-law tail with it (:func:`racesim.scenarios.timing._lomax_fit`). The
port gives scipy's answer to the last bit (the same steps in the same floating-point order; a test
checks it against ``scipy.optimize.brentq``) without importing ``scipy.optimize``, which costs a
few hundred milliseconds of start-up in every command that reads a scenario.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["brentq"]

#: scipy's defaults: ``xtol=2e-12``, ``rtol=4 * machine epsilon``, ``maxiter=100``
XTOL = 2e-12
RTOL = 4 * 2.220446049250313e-16
MAXITER = 100


def brentq(
    f: Callable[[float], float],
    a: float,
    b: float,
    xtol: float = XTOL,
    rtol: float = RTOL,
    maxiter: int = MAXITER,
) -> float:
    """A root of `f` in ``[a, b]`` (``f(a)`` and ``f(b)`` of opposite signs), as scipy finds it.

    Raises:
        ValueError: ``f(a)`` and ``f(b)`` have the same sign.
        RuntimeError: no convergence within `maxiter` steps.
    """
    xpre, xcur = float(a), float(b)
    xblk = fblk = spre = scur = 0.0
    fpre, fcur = float(f(xpre)), float(f(xcur))
    if fpre == 0:
        return xpre
    if fcur == 0:
        return xcur
    if math.copysign(1.0, fpre) == math.copysign(1.0, fcur):
        raise ValueError("f(a) and f(b) must have different signs")
    for _ in range(maxiter):
        if fpre != 0 and fcur != 0 and math.copysign(1.0, fpre) != math.copysign(1.0, fcur):
            xblk, fblk = xpre, fpre
            spre = scur = xcur - xpre
        if abs(fblk) < abs(fcur):
            xpre, xcur, xblk = xcur, xblk, xcur
            fpre, fcur, fblk = fcur, fblk, fcur
        delta = (xtol + rtol * abs(xcur)) / 2
        sbis = (xblk - xcur) / 2
        if fcur == 0 or abs(sbis) < delta:
            return xcur
        if abs(spre) > delta and abs(fcur) < abs(fpre):
            if xpre == xblk:  # interpolate
                stry = -fcur * (xcur - xpre) / (fcur - fpre)
            else:  # extrapolate
                dpre = (fpre - fcur) / (xpre - xcur)
                dblk = (fblk - fcur) / (xblk - xcur)
                stry = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            if 2 * abs(stry) < min(abs(spre), 3 * abs(sbis) - delta):  # good short step
                spre, scur = scur, stry
            else:  # bisect
                spre = scur = sbis
        else:  # bisect
            spre = scur = sbis
        xpre, fpre = xcur, fcur
        if abs(scur) > delta:
            xcur += scur
        else:
            xcur += delta if sbis > 0 else -delta
        fcur = float(f(xcur))
    raise RuntimeError(f"brentq did not converge in {maxiter} iterations")
