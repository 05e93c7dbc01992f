"""The default duration ranges of the property-testing kit and of proofs, without hypothesis.

:mod:`racesim.verify.generators` draws histories within them and :mod:`racesim.verify.proof.bounds`
proves over them; they live here so a proof (``racesim audit``, ``racesim prove``) does not import
hypothesis just to read them.
"""

from __future__ import annotations

__all__ = ["DEFAULT_BOUNDS"]

#: default range of each duration field, in seconds; registry lags stay 0 unless asked for
DEFAULT_BOUNDS: dict[str, tuple[float, float]] = {
    "build_pickup": (1, 30),
    "build": (1, 180),
    "push": (1, 30),
    "build_verify": (1, 60),
    "dispatch": (1, 30),
    "deploy_pickup": (1, 30),
    "prepare": (1, 90),
    "mirror": (1, 30),
    "rollout": (1, 60),
    "deploy_verify": (1, 60),
    "registry_lag": (0, 0),
    "deploy_registry_lag": (0, 0),
}
