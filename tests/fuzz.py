"""Fuzzing every input format racesim reads: incident and scenario files, strategies, argv, and
(generators in ``tests/fuzz_readers.py``) workflow folders, expressions, scripts, run history.

Hypothesis strategies generate each kind of input by taking a valid one (a built-in incident or
scenario, a preset name, a working command line) and mutating it: values swapped for extreme
ones (``1e300``, ``nan``, integers beyond 64 bits, dates in year 9999, tables where numbers go),
lines deleted, duplicated or moved, snippets inserted, bytes flipped, text cut short. Each input
then runs in this process through what a user would run (load, replay or simulate, report), under
a CPU and wall-clock guard.

The only acceptable outcomes are a result or a :class:`~racesim.errors.RacesimError`; anything
else (another exception, or the guard firing) is a crash, recorded by its *signature*: the
exception type and the innermost racesim function it came from.

``tests/test_fuzz.py`` runs a few thousand inputs in the suite; ``python dev.py fuzz [N [SEED
[TARGETS]]]`` runs this file as a script: N inputs (default 100,000) spread over the targets (all,
or the comma-separated TARGETS), printing the count, the time, the slowest input of each target
and every crash signature with a reproducing input.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import FrameType
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `racesim` importable from the checkout
    sys.path.insert(0, str(ROOT))

from fuzz_readers import (  # noqa: E402
    expression_inputs,
    json_files,
    repos,
    run_expression,
    run_ingest,
    run_script,
    run_workflow,
    script_texts,
)

import racesim  # noqa: E402
from racesim import simulate  # noqa: E402
from racesim.cli import main as cli_main  # noqa: E402
from racesim.core.history import Durations, History, Push  # noqa: E402
from racesim.core.strategy import parse_strategy, preset_names  # noqa: E402
from racesim.errors import RacesimError  # noqa: E402
from racesim.incidents import Incident, builtin_incidents, replay  # noqa: E402
from racesim.incidents.report import replay_report  # noqa: E402
from racesim.scenarios import Scenario, builtin_scenarios  # noqa: E402
from racesim.studies.summary import summarize  # noqa: E402
from racesim.studies.trials import run_trials  # noqa: E402

#: the folder of the racesim package under test: signatures name the frames inside it
PACKAGE = str(Path(racesim.__file__).resolve().parent) + os.sep
#: CPU seconds one input may use, and wall seconds before it counts as hung
CPU_LIMIT = 5.0
WALL_LIMIT = 20.0
#: seconds between further signals once a limit is reached (see :func:`guard`)
REPEAT = 0.5
#: bytes one input may allocate beyond what the process already holds
MEMORY_LIMIT = 2 << 30

# -- seeds: valid inputs to mutate ----------------------------------------------------------------


def _builtin_texts(package: str, names: list[str], extra: list[Path]) -> list[str]:
    texts = [resources.files(package).joinpath(f"{n}.toml").read_text("utf-8") for n in names]
    return texts + [p.read_text("utf-8") for p in extra if p.exists()]


INCIDENTS = _builtin_texts(
    "racesim.incidents",
    builtin_incidents(),
    [ROOT / "docs/how-to/my-incident.toml", ROOT / "notebooks/my-incident.toml"],
)
SCENARIOS = _builtin_texts(
    "racesim.scenarios", builtin_scenarios(), [ROOT / "docs/how-to/my-pipeline.toml"]
)

#: values a mutation puts where a value was: extreme, wrong-typed, or just different
VALUES = [
    "0",
    "-1",
    "1",
    "0.5",
    "1e7",
    "1e7.5",
    "10000001",
    "1e300",
    "-1e300",
    "1e-300",
    "inf",
    "-inf",
    "nan",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "9" * 30,
    "1_000_000",
    "0x7fffffffffffffff",
    "true",
    '""',
    '"x"',
    '"parallel"',
    '"sleep:1e7"',
    '"sleep:-1"',
    '"previous"',
    '"f8af4c1"',
    '"/dev/zero"',
    '"' + "a" * 300 + '"',
    '"\\u0000"',
    "[]",
    "[1, 2, 3]",
    '["a"]',
    "[[1]]",
    "{}",
    "{ a = 1 }",
    '{ dist = ["x"] }',
    '{ dist = "lognormal", median = 1, p95 = 2 }',
    '{ dist = "lognormal", median = 1e7, sigma = 9.9 }',
    '{ dist = "heavy_tailed", median = 1, p95 = 1e7 }',
    '{ dist = "heavy_tailed", median = 1e-14, p95 = 1e7 }',
    '{ dist = "heavy_tailed", median = 1, p95 = 4.325 }',
    '{ dist = "uniform", low = 0, high = 1e7 }',
    '{ dist = "triangular", low = 0, mode = 0, high = 1e-300 }',
    '{ dist = "empirical", values = [0, 1e7] }',
    '{ schedule = "burst", count = 1000, gap = 0 }',
    '{ schedule = "poisson", rate_per_hour = 3000, window = 600 }',
    '{ schedule = "list", times = [0, 0, 0] }',
    '{ trigger = "workflow_run", wait = { interval = 1e-3, timeout = 10 } }',
    '{ preset = "pinned", guard = "tip_of_main", deploy_concurrency = { queue = "max" } }',
    "1970-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "2999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+14:00",
    "2025-12-03T23:44:32",
    "2025-12-03",
    "23:44:32",
    '"2025-12-03T23:44:32Z"',
]

#: lines a mutation inserts: tables and fields the formats know, and some they do not
SNIPPETS = [
    "[[pushes]]",
    '[[pushes]]\ncommit = "zz"\ntime = 2025-12-03T23:59:00Z',
    '[[pushes]]\ncommit = "yy"\ntime = 2025-12-03T20:00:00Z',
    '[[reruns]]\ncommit = "previous"\ntime = 2025-12-03T23:50:00Z',
    '[[reruns]]\ncommit = "f8af4c1"\ntime = 2025-12-03T23:50:00Z',
    "[[dispatches]]\ntime = 2025-12-03T23:50:00Z",
    '[[observed]]\nevent = "deploy.live"\ntime = 2025-12-03T23:46:00Z',
    '[[observed]]\nevent = "build.pushed"\ntime = 2025-12-03T23:00:00Z',
    '[[assumed]]\nduration = "dispatch"\nseconds = 3\nwhy = "x"',
    '[[alternatives]]\nname = "fix"\nstrategy = "pinned"',
    '[[alternatives]]\nname = "pinned"\nstrategy = "parallel"',
    '[outcome]\nlive = "previous"',
    '[outcome.latest]\nghcr = "previous"',
    "[overrides.1]\nbuild = 3",
    "[overrides.2]\nbuild_failure = 1",
    '[overrides."01"]\nbuild = 4',
    "[overrides.1000]\nbuild = 4",
    "[[reruns]]\ncommit = 1\ntime = 100",
    "[[reruns]]\ncommit = 7\ntime = 100",
    "[[dispatches]]\ntime = 1e7",
    '[pushes]\nschedule = "burst"\ncount = 3\ngap = 0',
    '[pushes]\nschedule = "list"\ntimes = [0, 10, 10]',
    '[pushes]\nschedule = "poisson"\nrate_per_hour = 60\nwindow = 600',
    '[timings]\nbuild = { dist = "heavy_tailed", median = 2, p95 = 300, shift = 1 }',
    "[timings]\nregistry_lag = 1e7",
    'base = "f8af4c1"',
    'base = "burst-of-5"',
    'base = "/dev/zero"',
    'base = "scenario.toml"',
    'strategy = { trigger = "needs", reference = "digest", publish_guard = true }',
    'strategy = { trigger = "workflow_run", gate = true, wait = { interval = 1, timeout = 1e4 } }',
    'strategies = ["parallel", "sleep:1e7", "cancel_superseded"]',
    "build_failure = 1",
    "x = " + "[" * 40 + "]" * 40,
    "unknown = 1",
    '[table]\n"quoted key" = 1',
    "= broken",
    '"""',
]


@st.composite
def toml_texts(draw: st.DrawFn, seeds: list[str]) -> str:
    """A valid file from `seeds`, then up to six mutations (one or two most often).

    Few mutations keep many files valid, so they reach the replay or the simulation behind the
    reader; more mutations test the reader itself.
    """
    lines = draw(st.sampled_from(seeds)).splitlines()
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 1, 2, 2, 3, 4, 6]))):
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.integers(0, 9))
        if how <= 3 and "=" in lines[i]:  # a new value for a field
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {draw(st.sampled_from(VALUES))}"
        elif how == 4:
            del lines[i]
        elif how == 5:
            lines.insert(i, lines[draw(st.integers(0, len(lines) - 1))])
        elif how == 6:
            lines.insert(i, draw(st.sampled_from(SNIPPETS)))
        elif how == 7:
            lines.append(draw(st.sampled_from(SNIPPETS)))
        elif how == 8:  # characters changed inside a line
            line = lines[i]
            at = draw(st.integers(0, len(line)))
            text = draw(st.text(st.characters(codec="utf-8"), max_size=4))
            lines[i] = line[:at] + text + line[at + draw(st.integers(0, 3)) :]
        else:  # the file cut short
            lines = lines[:i]
    return "\n".join(lines) + "\n"


@st.composite
def strategy_strings(draw: st.DrawFn) -> str:
    """Preset names, ``sleep:N`` with odd numbers, and mangled names."""
    name = draw(st.sampled_from([*preset_names(), "sleep:60", "sleep:"]))
    how = draw(st.integers(0, 4))
    if how == 0:
        return name
    if how == 1:
        number = draw(
            st.one_of(
                st.sampled_from(["1e7", "1e12", "inf", "nan", "-0", "1_0", "0x10", "9" * 5000]),
                st.floats(allow_nan=True, allow_infinity=True).map(repr),
            )
        )
        return f"sleep:{number}"
    if how == 2:
        at = draw(st.integers(0, len(name)))
        return name[:at] + draw(st.text(max_size=3)) + name[at:]
    if how == 3:
        return draw(st.text(max_size=20))
    return name.upper()


#: command lines that work, each small enough to run in a second or so
COMMANDS: list[list[str]] = [
    ["replay", "f8af4c1"],
    ["replay", "idrac-325", "--json"],
    ["replay", "f8af4c1", "--strategy", "pinned"],
    ["compare", "--trials", "3", "--no-progress"],
    ["compare", "--scenario", "burst-of-5", "--trials", "2", "--json", "--no-progress"],
    ["sweep", "sleep", "0:60:30", "--trials", "2", "--no-progress"],
    ["sweep", "build_median", "30,90", "--trials", "2", "--no-progress"],
    ["check", "parallel", "--property", "never_stale", "--max-examples", "3"],
    ["matrix", "--trials", "1", "--strategy", "parallel", "--no-progress"],
]
#: what a mutation puts in an argument's place
ARGUMENTS = [
    "0",
    "-1",
    "1e300",
    "inf",
    "nan",
    str(10**12),
    "9" * 5000,
    "",
    "-",
    "--",
    "--json",
    "--help",
    "--plot",
    "--trials",
    "--scenario",
    "--strategy",
    "--exact",
    "--engine",
    "sleep:1e12",
    "0:inf:1",
    "0:1e9:1",
    "1,2,,3",
    "a" * 5000,
    "/dev/zero",
    "/proc/x.png",
    "/proc",
    "x.pgf",
    "out/x.png",
    "out.gif",
    "no-such-file.toml",
    "timings.build.p95",
    "pushes.count",
    "strategy.wait.timeout",
    "\x00",
    "é",
]


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    """A working command line with up to three arguments replaced, inserted or dropped."""
    argv = list(draw(st.sampled_from(COMMANDS)))
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(argv)))
        how = draw(st.integers(0, 2))
        if how == 0 and i < len(argv):
            argv[i] = draw(st.sampled_from(ARGUMENTS))
        elif how == 1:
            argv.insert(i, draw(st.sampled_from(ARGUMENTS)))
        elif i < len(argv):
            del argv[i]
    if argv and argv[0] in ("compare", "sweep", "matrix") and "--trials" not in argv:
        # a dropped --trials falls back to thousands of trials: real work, not a bad input
        argv += ["--trials", "2"]
    return argv


# -- running one input under a guard --------------------------------------------------------------


class Overrun(BaseException):
    """Raised by the guard's signal handler: the input used too much CPU or wall time.

    A BaseException so that no ``except Exception`` in the code under test swallows it.
    """


@contextlib.contextmanager
def guard(
    cpu: float = CPU_LIMIT, wall: float = WALL_LIMIT, memory: int = MEMORY_LIMIT
) -> Iterator[None]:
    """Raise :class:`Overrun` in this (main) thread after `cpu` CPU or `wall` wall seconds.

    Where the OS allows, allocations beyond `memory` more bytes fail too (a MemoryError, which
    the fuzzer reports as a crash) instead of taking the machine's memory.
    """

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Overrun("cpu" if signum == signal.SIGPROF else "wall")

    old = signal.signal(signal.SIGPROF, stop), signal.signal(signal.SIGALRM, stop)
    with _memory_cap(memory):
        # and again every half second: an exception raised in a gc callback or a __del__ is
        # printed and dropped ("Exception ignored in"), and the input would run on unguarded
        signal.setitimer(signal.ITIMER_PROF, cpu, REPEAT)
        signal.setitimer(signal.ITIMER_REAL, wall, REPEAT)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGPROF, old[0])
            signal.signal(signal.SIGALRM, old[1])


@contextlib.contextmanager
def _memory_cap(extra: int) -> Iterator[None]:
    """Cap this process's data segment at its current size plus `extra` bytes (Linux only)."""
    statm = Path("/proc/self/statm")
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        yield
        return
    if not statm.exists():
        yield
        return
    data = int(statm.read_text().split()[5]) * resource.getpagesize()
    old = resource.getrlimit(resource.RLIMIT_DATA)
    cap = data + extra if old[1] == resource.RLIM_INFINITY else min(data + extra, old[1])
    resource.setrlimit(resource.RLIMIT_DATA, (cap, old[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, old)


def signature(exc: BaseException) -> str:
    """``Type at racesim/module.py:function`` for the innermost racesim frame of `exc`."""
    if isinstance(exc, Overrun):
        where = "CPU" if str(exc) == "cpu" else "wall clock"
        frames = traceback.extract_tb(exc.__traceback__)
        inner = [f for f in frames if f.filename.startswith(PACKAGE)]
        at = f" in {_short(inner[-1])}" if inner else ""
        return f"Overrun of the {where} limit{at}"
    frames = traceback.extract_tb(exc.__traceback__)
    inner = [f for f in frames if f.filename.startswith(PACKAGE)] or frames
    return f"{type(exc).__name__} at {_short(inner[-1]) if inner else '?'}"


def _short(frame: traceback.FrameSummary) -> str:
    path = frame.filename
    if path.startswith(PACKAGE):
        path = "racesim/" + Path(path).relative_to(PACKAGE).as_posix()
    else:
        path = Path(path).name
    return f"{path}:{frame.name}"


_TRIVIAL = History((Push(0, Durations(build=10, rollout=5)), Push(3, Durations(build=4))))


def run_incident(text: str) -> None:
    incident = Incident.from_toml(text, "fuzz-incident.toml")
    result = replay(incident)
    replay_report(result)
    json.dumps(result.to_json())
    Incident.from_toml(incident.to_toml(), "round-trip")


def run_scenario(text: str) -> None:
    scenario = Scenario.from_toml(text, "fuzz-scenario.toml")
    summarize(run_trials(scenario, trials=2, progress=False))
    Scenario.from_toml(scenario.to_toml(), "round-trip")


def run_strategy(text: str) -> None:
    strategy = parse_strategy(text, "--strategy")
    simulate(strategy, _TRIVIAL).outcome  # noqa: B018 - computing it is the test


def run_argv(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli_main(argv)
        except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
            code = exc.code if isinstance(exc.code, int) else 2
    if code not in (0, 1, 2):
        raise AssertionError(f"exit code {code}")
    if code == 2 and "Traceback" in err.getvalue():
        raise AssertionError("traceback printed")


TARGETS: dict[str, tuple[Callable[[Any], None], st.SearchStrategy[Any]]] = {
    "incident": (run_incident, toml_texts(INCIDENTS)),
    "scenario": (run_scenario, toml_texts(SCENARIOS)),
    "strategy": (run_strategy, strategy_strings()),
    "argv": (run_argv, argvs()),
    "workflow": (run_workflow, repos()),
    "expression": (run_expression, expression_inputs()),
    "script": (run_script, script_texts()),
    "ingest": (run_ingest, json_files()),
}


def outcome(target: str, value: Any) -> str | None:
    """Run `value` through `target` under the guard: ``None`` if fine, else a crash signature."""
    kind, found = classify(target, value)
    return found if kind == "crash" else None


def classify(target: str, value: Any) -> tuple[str, str | None]:
    """``("result", None)``, ``("error", None)`` (a RacesimError) or ``("crash", signature)``."""
    run = TARGETS[target][0]
    try:
        with guard():
            run(value)
    except RacesimError:
        return "error", None
    except (Overrun, Exception) as exc:
        return "crash", f"{target}: {signature(exc)}"
    return "result", None


@contextlib.contextmanager
def scratch_folder() -> Iterator[Path]:
    """Run in an empty temporary folder, so relative output paths land there."""
    before = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="racesim-fuzz-") as folder:
        os.chdir(folder)
        try:
            yield Path(folder)
        finally:
            os.chdir(before)


# -- the long run ----------------------------------------------------------------------------------


@dataclass
class Report:
    """What a fuzz run found: inputs run per target, time, crash signatures with an example."""

    counts: Counter[str] = field(default_factory=Counter)
    results: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    crashes: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: per target, the longest an input took (seconds) and that input, cut short
    slowest: dict[str, tuple[float, str]] = field(default_factory=dict)

    def add(self, target: str, value: Any) -> None:
        self.counts[target] += 1
        started = time.perf_counter()
        kind, found = classify(target, value)
        took = time.perf_counter() - started
        if took > self.slowest.get(target, (-1.0, ""))[0]:
            self.slowest[target] = (took, _cut(repr(value)))
        self.results[target] += kind == "result"
        if found is not None:
            count, example = self.crashes.get(found, (0, repr(value)[:2000]))
            self.crashes[found] = (count + 1, example)

    def text(self) -> str:
        total = sum(self.counts.values())
        per = ", ".join(f"{k} {v:,}" for k, v in sorted(self.counts.items()))
        lines = [
            f"fuzzed {total:,} inputs ({per}) in {self.seconds:.0f} s "
            f"({1000 * self.seconds / max(total, 1):.1f} ms per input)",
            "ran to a result (the rest ended in racesim's own error): "
            + ", ".join(f"{k} {self.results[k]:,}" for k in sorted(self.counts)),
            "slowest input: "
            + ", ".join(f"{k} {self.slowest[k][0]:.2f} s" for k in sorted(self.slowest)),
            f"crash signatures: {len(self.crashes)}",
        ]
        for sig, (count, example) in sorted(self.crashes.items()):
            lines += [f"  {sig}  ({count} inputs); for example:", f"    {example}"]
        return "\n".join(lines)


def _cut(text: str, keep: int = 300) -> str:
    """`text` shortened to its start and end (a repr of a megabyte input is not a report)."""
    if len(text) <= 2 * keep:
        return text
    return f"{text[:keep]} ...[{len(text) - 2 * keep:,} characters]... {text[-keep:]}"


def _block(report: Report, target: str, size: int, block_seed: int) -> int:
    """Run up to `size` inputs of `target` as one seeded @given run; returns how many ran."""
    before = report.counts[target]

    @seed(block_seed)
    @settings(
        max_examples=size,
        database=None,
        deadline=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(TARGETS[target][1])
    def one(value: Any) -> None:
        report.add(target, value)

    one()
    return report.counts[target] - before


def fuzz(
    n: int,
    seed_: int = 0,
    progress: Callable[[Report], None] | None = None,
    targets: list[str] | None = None,
) -> Report:
    """Run `n` generated inputs, an equal share per target, reproducibly from `seed_`.

    Inputs run in blocks of at most 1,000, each a @given run with its own seed, so progress
    shows between blocks and a block that hypothesis ends early is made up by the next.
    """
    report = Report()
    started = time.perf_counter()
    names = targets or list(TARGETS)
    per_target = {t: n // len(names) + (i < n % len(names)) for i, t in enumerate(names)}
    with scratch_folder():
        for target, count in per_target.items():
            done = block = 0
            while done < count:
                ran = _block(report, target, min(1000, count - done), seed_ * 100_003 + block)
                if ran == 0:
                    break
                done += ran
                block += 1
                report.seconds = time.perf_counter() - started
                if progress is not None:
                    progress(report)
    report.seconds = time.perf_counter() - started
    return report


def main(argv: list[str]) -> int:
    """``python tests/fuzz.py [N [SEED [TARGETS]]]``: fuzz N inputs (default 100,000), report.

    TARGETS is a comma-separated subset of the targets (``workflow,expression``); default all.
    """
    n = int(argv[0]) if argv else 100_000
    seed_ = int(argv[1]) if len(argv) > 1 else 0
    targets = argv[2].split(",") if len(argv) > 2 else None
    unknown = sorted(set(targets or ()) - set(TARGETS))
    if unknown:
        print(f"unknown targets {', '.join(unknown)}; known: {', '.join(TARGETS)}", file=sys.stderr)
        return 2
    last = [time.perf_counter()]

    def progress(report: Report) -> None:
        if time.perf_counter() - last[0] > 60:
            last[0] = time.perf_counter()
            done = sum(report.counts.values())
            print(
                f"  {done:,} inputs, {report.seconds:.0f} s, {len(report.crashes)} signatures",
                flush=True,
            )

    which = ", ".join(targets or TARGETS)
    print(f"fuzzing {n:,} inputs ({which}) with seed {seed_} ...", flush=True)
    report = fuzz(n, seed_, progress, targets)
    print(report.text(), flush=True)
    return 1 if report.crashes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
