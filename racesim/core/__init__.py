"""The values everything else passes around: a deploy strategy (:mod:`~racesim.core.strategy`),
a history of pushes with their durations (:mod:`~racesim.core.history`), the trace of one
simulation (:mod:`~racesim.core.trace`) and the outcome derived from it
(:mod:`~racesim.core.outcome`). Plain data and pure functions: no simulator, no sampling, no
plotting. The public names are exported by :mod:`racesim` itself."""
