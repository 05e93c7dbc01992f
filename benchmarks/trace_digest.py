"""Fingerprint the engine's traces over many random histories, to prove a refactor changed none.

``python -m benchmarks.trace_digest save FILE [--cases N]`` writes one digest per case;
``python -m benchmarks.trace_digest compare FILE`` recomputes them with the current code and
prints how many differ. The cases come from :mod:`benchmarks.random_cases` with a fixed seed, so
the same command gives the same cases on any machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys

from benchmarks.random_cases import random_history, random_strategy
from racesim import simulate


def digests(cases: int, seed: int = 20261202) -> list[str]:
    """SHA-256 of every trace's rows, case by case."""
    rng = random.Random(seed)
    out = []
    for _ in range(cases):
        strategy = random_strategy(rng)
        history = random_history(rng)
        rows = simulate(strategy, history).rows
        out.append(hashlib.sha256(repr(rows).encode()).hexdigest())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.trace_digest")
    parser.add_argument("mode", choices=["save", "compare"])
    parser.add_argument("file")
    parser.add_argument("--cases", type=int, default=1500)
    args = parser.parse_args(argv)
    if args.mode == "save":
        with open(args.file, "w") as f:
            json.dump(digests(args.cases), f)
        print(f"saved {args.cases} trace digests to {args.file}")
        return 0
    with open(args.file) as f:
        before = json.load(f)
    after = digests(len(before))
    differ = sum(a != b for a, b in zip(before, after, strict=True))
    print(f"{differ} of {len(before)} traces differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
