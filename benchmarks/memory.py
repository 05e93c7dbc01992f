"""Peak memory of ``racesim compare`` as the number of trials grows (streamed summaries).

``racesim compare`` summarises every chunk of trials as soon as it is simulated and keeps no rows
(:class:`racesim.studies.summary.SummaryTally`), so its peak memory must not grow with
``--trials``. Each run is a fresh subprocess, measured by ``/usr/bin/time -v`` where it exists,
else by ``resource.getrusage(RUSAGE_CHILDREN)`` in a wrapper process of its own (the children's
maximum is per process tree). Ratios are against the 10^5-trial run measured in the same run.

A run of at most ``MAX_RESULT_ROWS`` (5,000,000) trials x strategies keeps every push-to-live
value for exact quantiles (8 bytes each, at most 40 MB); above that they are binned, so memory
is flat from there on. Goals: 10^6 trials within 1.5x the peak of 10^5 (the exact values), and
with ``--memory-1e7``, 10^7 trials under 300 MiB and within 1.5x the peak of 10^5.

Usage: ``python -m benchmarks --suite memory [--memory-1e7]`` or ``python -m benchmarks.memory
[--with-1e7]``.
"""

from __future__ import annotations

import argparse
import sys
import time

from benchmarks.common import compare_argv, run_child, verdict
from benchmarks.record import RECORD

MIB = 2**20


def compare_command(trials: int) -> list[str]:
    return compare_argv("f8af4c1", trials)


def peak_bytes(cmd: list[str]) -> tuple[int, str]:
    """Peak resident memory of `cmd` run in a subprocess, and how it was measured."""
    child = run_child(cmd)
    return child.peak_bytes, child.how


def bench_memory(with_1e7: bool) -> tuple[list[str], bool]:
    sizes = [100_000, 1_000_000, *([10_000_000] if with_1e7 else [])]
    print("[memory] racesim compare --scenario f8af4c1 --trials N (4 strategies, one process)")
    peaks: dict[int, float] = {}
    for n in sizes:
        start = time.perf_counter()
        peak, how = peak_bytes(compare_command(n))
        wall = time.perf_counter() - start
        peaks[n] = peak / MIB
        ratio = peaks[n] / peaks[sizes[0]]
        print(
            f"  N = {n:>10,}: peak {peaks[n]:6.0f} MiB  ({ratio:.2f}x N = 10^5; wall {wall:.1f} s, "
            f"{how})"
        )
    ok = peaks[1_000_000] <= 1.5 * peaks[100_000]
    print(f"  goal 10^6 within 1.5x of 10^5: {verdict(ok)}")
    lines = [f"compare 1e6 peak {peaks[1_000_000]:.0f} MiB"]
    RECORD.add(
        "memory/compare-1e6",
        "peak memory of racesim compare --trials 1000000 (f8af4c1), against 10^5 trials",
        peaks[1_000_000] / peaks[100_000],
        "x",
        "<=",
        1.5,
        f"{peaks[1_000_000]:.0f} vs {peaks[100_000]:.0f} MiB",
        "python -m benchmarks --suite memory",
    )
    if with_1e7:
        top = peaks[10_000_000]
        RECORD.add(
            "memory/compare-1e7",
            "peak memory of racesim compare --trials 10000000 (f8af4c1)",
            top,
            "MiB",
            "<=",
            300,
            f"{how}, one process",
            "python -m benchmarks --suite memory --memory-1e7",
        )
        flat = top <= 1.5 * peaks[100_000]
        print(
            f"  goal 10^7 under 300 MiB: {verdict(top < 300)}; within 1.5x of 10^5: {verdict(flat)}"
        )
        ok &= top < 300 and flat
        lines.append(f"compare 1e7 peak {top:.0f} MiB")
    return lines, ok


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__)
    parser.add_argument("--with-1e7", action="store_true", help="also 10^7 trials (10 to 20 s)")
    args = parser.parse_args()
    lines, ok = bench_memory(args.with_1e7)
    print(f"\nsummary: {', '.join(lines)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
