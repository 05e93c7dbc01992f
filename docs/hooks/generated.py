"""MkDocs hook: content generated from racesim itself while the site builds, so it never drifts.

A page asks for generated content with a pair of markers, each on a line of its own::

    <!-- racesim: NAME ARGS -->

    ...the generated Markdown, kept in the file...

    <!-- racesim: end -->

The generated Markdown stays in the file between the markers, so the page reads well where
Markdown is shown without building it (on the repository host). The build regenerates it, puts
it on the page with a blank line before and after (so a table never swallows the paragraph that
follows it), and notes every page whose file is out of date; ``python docs/hooks/generated.py``
rewrites the files, and ``tests/test_docs_render.py`` fails while any is stale. The names are the
keys of :data:`GENERATORS`; an unknown name (a typo) fails the build. Pictures and scripts the
pages use (the safety matrix heatmaps, the out-of-order timeline, the classroom page's data) are
made while the files are collected and added as virtual files, so ``docs/`` holds none of them.

Every number these markers produce comes from running racesim: command output is produced by
:func:`racesim.cli.main`, the safety matrix by :func:`racesim.safety_matrix` with a fixed seed,
tables of names and meanings from the dictionaries the code itself uses.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import importlib
import inspect
import io
import json
import os
import re
import shlex
import sys
import tempfile
import tomllib
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # the build draws into files, never on a screen

import pandas as pd
import tomli_w
from matplotlib.figure import Figure
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

MARKER = re.compile(r"^<!--\s*racesim:\s*(?P<name>[\w-]+)(?P<args>[^>]*?)\s*-->[ \t]*$", re.M)
END = "<!-- racesim: end -->"
#: markers other hooks replace (the list of notebooks): left as they are
FOREIGN = {"notebooks"}
#: a file to which the build writes the pages whose generated sections are out of date
STALE_REPORT = "RACESIM_DOCS_STALE_REPORT"
#: set while the site builds: notebooks then show static fallbacks for live widgets
STATIC_OUTPUT = "RACESIM_STATIC_OUTPUT"

#: the verdict table on the Background page: histories per push count and seed (on the page)
VERDICT_EXAMPLES = 200
VERDICT_SEED = 0

#: the safety matrix on the Background page: its seed (stated on the page); every cell has the
#: default trials of ``racesim matrix`` (racesim.studies.matrix.cell_trials, stated on the page)
MATRIX_SEED = 0
MATRIX_PICTURE = "background/safety-matrix.png"
OUT_OF_ORDER_PICTURE = "background/out-of-order-workflow-run.png"
#: the home page's (and the README's) picture: the f8af4c1 replay as the code draws it today
HERO_PICTURE = "assets/f8af4c1-timeline.png"

#: the two-push history of the Background page, shown and run as written
OUT_OF_ORDER_CODE = """\
from racesim import Durations, History, Push, simulate

steps = dict(build_pickup=1, push=10, build_verify=10, dispatch=2, deploy_pickup=1,
             prepare=20, mirror=5, rollout=10, deploy_verify=5)
history = History((
    Push(0, Durations(build=60, **steps), label="A"),   # A builds slowly
    Push(10, Durations(build=30, **steps), label="B"),  # B, pushed 10 s later, builds fast
))
trace = simulate("workflow_run", history)"""

OUT_OF_ORDER_STRATEGIES = (
    "workflow_run",
    "merged_job",
    "pinned",
    "pinned_serialized",
    "cancel_superseded",
    "guarded",
    "queued_guarded",
)


# -- helpers ----------------------------------------------------------------------------------


def _cell(text: object) -> str:
    """A table cell: pipes escaped, newlines folded."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _code(text: str) -> str:
    return f"`{text}`"


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield buffer


def _fence(text: str, lang: str = "text") -> str:
    return f"```{lang}\n{text.rstrip()}\n```"


def _folder(page: Page) -> Path:
    """The folder of the page's source file (where its example files are)."""
    return Path(page.file.abs_src_path or ".").parent


# -- command line help ------------------------------------------------------------------------


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """``(name, one-line help, parser)`` of every sub-command, in registration order."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            return [(name, helps.get(name, ""), p) for name, p in action.choices.items()]
    return []


def _help(parser: argparse.ArgumentParser) -> str:
    parser.formatter_class = functools.partial(argparse.HelpFormatter, width=96)
    return parser.format_help()


def gen_cli(args: str) -> str:
    """Every sub-command's ``--help``, generated from :func:`racesim.cli.build_parser`."""
    from racesim.cli import build_parser

    parser = build_parser()
    commands = _subcommands(parser)
    out = [
        _table(
            ["command", "what it does"],
            [[f"[`racesim {name}`](#racesim-{name})", text] for name, text, _ in commands],
        ),
        "",
        "## `racesim`",
        "",
        _fence(_help(parser)),
    ]
    for name, text, sub in commands:
        out += [
            "",
            f"## `racesim {name}` {{#racesim-{name}}}",
            "",
            f"{text[:1].upper()}{text[1:]}.",
        ]
        out += ["", _fence(_help(sub))]
    return "\n".join(out)


def gen_run(args: str, folder: Path) -> str:
    """``racesim ARGS`` run in-process from the page's folder; its output in a console block.

    Running from the page's folder lets a page run the example files next to it
    (``racesim replay my-incident.toml``). The command must exit 0.
    """
    from racesim.cli import main

    argv = shlex.split(args)
    with _quiet_stdout() as buffer, contextlib.chdir(folder):
        code = main(argv)
    if code != 0:
        raise PluginError(f"`racesim {args}` exited with {code}:\n{buffer.getvalue()}")
    return _fence(f"$ racesim {args}\n{buffer.getvalue()}", "console")


def gen_run_status(args: str, folder: Path) -> str:
    """``racesim ARGS`` that must exit with the status given first (``1`` for a broken check)."""
    from racesim.cli import main

    status, _, rest = args.strip().partition(" ")
    with _quiet_stdout() as buffer, contextlib.chdir(folder):
        code = main(shlex.split(rest))
    if code != int(status):
        raise PluginError(f"`racesim {rest}` exited with {code}, expected {status}")
    return _fence(f"$ racesim {rest}\n{buffer.getvalue()}$ echo $?\n{code}", "console")


# -- command output, examples and files -----------------------------------------------------


def gen_run_error(args: str, folder: Path) -> str:
    """``racesim ARGS`` that must fail with exit status 2; its one-line error in a console block."""
    from racesim.cli import main

    errors = io.StringIO()
    with _quiet_stdout(), contextlib.redirect_stderr(errors), contextlib.chdir(folder):
        try:
            code = main(shlex.split(args))
        except SystemExit as exc:  # argparse reports usage errors by exiting
            code = int(exc.code or 0)
    if code != 2:
        raise PluginError(f"`racesim {args}` was expected to exit with 2, not {code}")
    return _fence(f"$ racesim {args}\n{errors.getvalue()}$ echo $?\n2", "console")


#: runnable examples shown by the ``python`` marker (kept out of the site by mkdocs.yml)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def gen_python(args: str) -> str:
    """An example from ``docs/examples/``: its code, run now, then what it printed."""
    path = EXAMPLES / args
    try:
        code = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PluginError(f"cannot read example {args!r}: {exc}") from exc
    with _quiet_stdout() as buffer:
        try:
            exec(compile(code, str(path), "exec"), {"__name__": "__docs__"})
        except Exception as exc:
            raise PluginError(f"example {args} raised {exc!r}") from exc
    return f"{_fence(code, 'python')}\n\nOutput:\n\n{_fence(buffer.getvalue())}"


def gen_file(args: str, folder: Path) -> str:
    """A file next to the page, shown as a code block (TOML files highlighted as TOML)."""
    path = folder / args
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PluginError(f"{folder}: cannot include {args!r}: {exc}") from exc
    return _fence(text, path.suffix.lstrip(".") or "text")


# -- the safety matrix ------------------------------------------------------------------------


@functools.cache
def _matrix() -> pd.DataFrame:
    from racesim.studies.matrix import safety_matrix

    return safety_matrix(seed=MATRIX_SEED, progress=False)


def gen_matrix(args: str) -> str:
    """The safety matrix tables, measured while the site was built, with trials and seed."""
    from racesim.cli.matrix import tables
    from racesim.studies.matrix import trials_text

    matrix = _matrix()
    strategies = matrix["strategy"].nunique()
    situations = matrix["situation"].nunique()
    intro = (
        f'!!! info "Measured when this site was built"\n'
        f"    {strategies} strategies × {situations} situations, **{trials_text(matrix)}, "
        f"seed {MATRIX_SEED}**: `racesim.safety_matrix(seed={MATRIX_SEED})`, the same numbers "
        f"as `racesim matrix --seed {MATRIX_SEED}`. Each cell reads `p% [low-high]`: the share "
        f"of trials, then its 95 % Wilson interval."
    )
    picture = f"![The safety matrix as heatmaps]({Path(MATRIX_PICTURE).name})"
    return "\n\n".join([intro, picture, tables(matrix, markdown=True)])


def _matrix_png() -> bytes:
    from racesim.plot.figures import save_matrix_figure

    with tempfile.TemporaryDirectory() as tmp:
        path = save_matrix_figure(_matrix(), Path(tmp) / "matrix.png")
        return path.read_bytes()


# -- the verdict table ------------------------------------------------------------------------


def gen_verdicts(args: str) -> str:
    """Every preset against every property, decided while the site was built."""
    from racesim.cli.check import verdict_markdown
    from racesim.testing import verdict_table

    table = verdict_table(max_examples=VERDICT_EXAMPLES, seed=VERDICT_SEED)
    intro = (
        f'!!! info "Found when this site was built"\n'
        f"    `racesim.testing.verdict_table(max_examples={VERDICT_EXAMPLES}, seed={VERDICT_SEED})`, "
        f"the same as `racesim check --all --max-examples {VERDICT_EXAMPLES} --seed {VERDICT_SEED}`: "
        f"histories of up to two pushes, the fewest pushes first. *proved* and *counterexample "
        f"(k pushes)* were decided by `racesim prove` for every duration within the default bounds "
        f"(`racesim.testing.DEFAULT_BOUNDS`, push gaps 1..60 s); a *sampled* verdict comes from "
        f"the search: *breaks (k pushes)* gives the size of the shrunk counterexample, *holds "
        f"(0 in N)* means none of the N histories simulated broke the property."
    )
    # a line may break after an underscore (<wbr>), so the table fits the page column
    rows = verdict_markdown(table).replace("_", "_<wbr>")
    return "\n\n".join([intro, rows])


# -- the out-of-order example -----------------------------------------------------------------


def _out_of_order() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(OUT_OF_ORDER_CODE, namespace)
    return namespace


def gen_out_of_order(args: str) -> str:
    """The two-push example: its code, and what each strategy makes of the same durations."""
    from racesim import simulate

    history = _out_of_order()["history"]
    rows = []
    for name in OUT_OF_ORDER_STRATEGIES:
        trace = simulate(name, history)
        out = trace.outcome
        label = trace.label
        deploys = ", ".join(
            f"{label(d.meant)}→{label(d.shipped) if d.shipped is not None else d.status}"
            for d in out.deploys
        )
        conclusions = [e.detail for e in trace.events if e.kind == "run_completed"]
        runs = ", ".join(f"{conclusions.count(c)} {c}" for c in dict.fromkeys(conclusions))
        rows.append(
            [
                f"`{name}`",
                deploys or "none",
                " → ".join(label(c) for _, c in out.live),
                "yes" if out.final_correct else "**no**",
                out.regressions,
                runs,
            ]
        )
    table = _table(
        [
            "strategy",
            "deploys (meant→shipped)",
            "service ran",
            "ends on B",
            "regressions",
            "runs",
        ],
        rows,
    )
    return "\n\n".join([_fence(OUT_OF_ORDER_CODE, "python"), table])


def _out_of_order_png() -> bytes:
    from racesim import plot_timeline

    trace = _out_of_order()["trace"]
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    plot_timeline(
        trace,
        fig.add_subplot(),
        title="Two pushes, builds finish out of order, strategy workflow_run",
    )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def _hero_png() -> bytes:
    """The f8af4c1 timeline for the home page: larger type and a narrower figure than the CLI's,
    so that at the page's width (about 800 px) its labels read like the page's text."""
    import matplotlib

    from racesim.incidents import load_incident, replay
    from racesim.plot.figures import replay_timeline

    with matplotlib.rc_context({"font.size": 13}):
        fig = replay_timeline(replay(load_incident("f8af4c1"), []))
        ax = fig.axes[0]
        handles = ax.get_legend().legend_handles
        ax.get_legend().remove()  # under the picture, so the timeline gets the full width
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.16),
            ncol=3,
            frameon=False,
            fontsize="small",
            columnspacing=1.0,
            handlelength=1.5,
        )
        fig.suptitle(ax.get_title().split(" (strategy")[0], fontsize="large")
        ax.set_title("")
        fig.set_size_inches(9.4, fig.get_size_inches()[1] * 1.7)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


# -- tables from the code's own dictionaries --------------------------------------------------


def gen_event_kinds(args: str) -> str:
    from racesim.core.trace import EVENT_KINDS

    return _table(["kind", "meaning"], [[_code(k), v] for k, v in EVENT_KINDS.items()])


def gen_metrics(args: str) -> str:
    from racesim.core.history import DURATION_FIELDS
    from racesim.studies.trials import METRICS

    rows: list[list[object]] = [
        ["`knob`, `value`", "(sweeps only) the knob swept and its value at this row"],
        ["`seed`", "the run's seed"],
        ["`trial`", "the trial index; with `seed`, all `trial_history` needs to rebuild it"],
        ["`strategy`", "the strategy's name as given"],
    ]
    rows += [[_code(k), v] for k, v in METRICS.items()]
    rows += [
        [_code(f"sampled_{name}"), f"the first push's sampled `{name}` (seconds)"]
        for name in DURATION_FIELDS
    ]
    return _table(["column", "meaning"], rows)


def gen_rates(args: str) -> str:
    from racesim.studies.summary import RATES

    return _table(
        ["rate", "from column", "share of trials with"],
        [[f"`p_{k}`", _code(col), meaning] for k, (col, meaning) in RATES.items()],
    )


def gen_incident_events(args: str) -> str:
    from racesim.incidents import EVENTS

    return _table(["event", "meaning"], [[_code(k), v] for k, v in EVENTS.items()])


def gen_default_assumptions(args: str) -> str:
    from racesim.incidents import DEFAULT_ASSUMPTIONS

    return _table(
        ["duration", "seconds", "why"],
        [[_code(k), f"{s:g}", why] for k, (s, why) in DEFAULT_ASSUMPTIONS.items()],
    )


def gen_replay_chains(args: str) -> str:
    """The chains of steps a replay solves, per trigger, and which unknown step absorbs a gap."""
    replay_module = importlib.import_module("racesim.incidents.derive")
    from racesim.core.strategy import PRESETS

    def chain(links: list[tuple[object, str | None]]) -> str:
        parts = []
        for step, event in links:
            name = step if isinstance(step, str) else step.name  # type: ignore[attr-defined]
            if name:
                parts.append(f"*{name}*" if name == replay_module.QUEUED else f"`{name}`")
            if event is not None:
                parts.append(f"**{event}**")
        return " → ".join(parts)

    rows = [["build (every strategy)", chain(replay_module._build_chain(PRESETS["parallel"]))]]
    rows.append(
        [
            "build with `direct = true`",
            chain(replay_module._build_chain(PRESETS["direct_registry"])),
        ]
    )
    for trigger, start in (
        ("push", "the push"),
        ("workflow_run", "**build.finished**"),
        ("needs", "**build.finished**"),
    ):
        strategy = PRESETS[
            {"push": "parallel", "workflow_run": "workflow_run", "needs": "merged_job"}[trigger]
        ]
        rows.append(
            [
                f"deploy, trigger `{trigger}`",
                f"{start} → {chain(replay_module._deploy_chain(strategy))}",
            ]
        )
    rows.append(
        [
            "deploy, `sleep > 0`",
            "as above, with `sleep` (the strategy's seconds) between "
            "`prepare` and **deploy.pulled**",
        ]
    )
    rows.append(["deploy, `mirror = false`", "as above, without `mirror` and **deploy.mirrored**"])
    table = _table(["chain", "steps → **events that end them**"], rows)
    order = ", ".join(f"`{name}`" for name in replay_module._MAIN_STEP)
    return (
        f"{table}\n\n*{replay_module.QUEUED}* is the time the job waits in its concurrency "
        "group (only with a `build_concurrency` or `deploy_concurrency` group). It is not a "
        "duration of the history: the simulation decides it, so the replay derives, simulates, "
        "measures each job's queue wait and derives again (at most "
        f"{replay_module.MAX_ROUNDS} rounds, until the waits stop changing); a job's pickup "
        "is measured from when its group admitted it.\n\n"
        "When a gap between two observed events spans several steps that the file "
        f"does not assume, the one that absorbs the remainder is the first of: {order}; the "
        "others take their default."
    )


def gen_sweep_aliases(args: str) -> str:
    from racesim.studies.sweep import SWEEP_ALIASES

    return _table(
        ["knob", "changes"],
        [[_code(k), ", ".join(_code(p) for p in paths)] for k, paths in SWEEP_ALIASES.items()],
    )


def gen_situations(args: str) -> str:
    from racesim.scenarios import load_scenario
    from racesim.studies.matrix import SITUATIONS

    return _table(
        ["situation", "built-in scenario", "what it is"],
        [[s, _code(name), load_scenario(name).description] for s, name in SITUATIONS.items()],
    )


def gen_builtins(args: str) -> str:
    """The built-in scenarios or incidents, with their one-line description."""
    from racesim.incidents import builtin_incidents, load_incident
    from racesim.scenarios import builtin_scenarios, load_scenario

    if args == "scenarios":
        return _table(
            ["scenario", "description"],
            [[_code(n), load_scenario(n).description] for n in builtin_scenarios()],
        )
    if args == "incidents":
        return _table(
            ["incident", "title", "source"],
            [
                [_code(n), inc.title, f"<{inc.source}>"]
                for n in builtin_incidents()
                for inc in [load_incident(n)]
            ],
        )
    raise PluginError(f"builtins: expected 'scenarios' or 'incidents', got {args!r}")


def _docstring_attributes(obj: object) -> dict[str, str]:
    """``name -> description`` from the ``Attributes:`` section of a Google-style docstring."""
    import griffe

    doc = griffe.Docstring(inspect.getdoc(obj) or "", parser="google")
    out: dict[str, str] = {}
    for section in doc.parse(warnings=False):
        if section.kind is griffe.DocstringSectionKind.attributes:
            for attr in section.value:
                out[attr.name] = " ".join(attr.description.split())
    return out


def _rst(text: str) -> str:
    """Sphinx roles and double backticks as plain Markdown code."""
    text = re.sub(r":\w+:`~?([^`]+)`", lambda m: f"`{m.group(1).split('.')[-1]}`", text)
    return text.replace("``", "`")


def gen_durations(args: str) -> str:
    """The timing steps of a scenario (the duration fields), with what each covers."""
    from racesim.core.history import DURATION_FIELDS, Durations

    meaning = _docstring_attributes(Durations)
    return _table(
        ["step", "what it covers"], [[_code(n), _rst(meaning[n])] for n in DURATION_FIELDS]
    )


def gen_distributions(args: str) -> str:
    """Every distribution kind of ``dist = "..."``, its parameters and what it describes."""
    from racesim.scenarios import timing

    rows = []
    for cls in (
        timing.Fixed,
        timing.Uniform,
        timing.Triangular,
        timing.LogNormal,
        timing.Empirical,
        timing.HeavyTailed,
    ):
        required, optional = [], []
        for f in dataclasses.fields(cls):
            if f.default is dataclasses.MISSING:
                required.append(_code(f.name))
            else:
                optional.append(f"`{f.name}` (default {f.default!r})".replace("None", "none"))
        doc = " ".join((inspect.getdoc(cls) or "").split("\n\n")[0].split())
        rows.append(
            [
                _code(cls.kind),
                ", ".join(required),
                ", ".join(optional) or "none",
                _rst(doc),
            ]
        )
    return _table(["`dist`", "required", "optional", "meaning"], rows)


def _knob(value: object) -> str:
    if value is None:
        return "none"
    if dataclasses.is_dataclass(value):
        return ", ".join(f"{f.name}={getattr(value, f.name)!r}" for f in dataclasses.fields(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def gen_presets(args: str) -> str:
    """Every preset and the knobs in which it differs from ``Strategy()``."""
    from racesim.core.strategy import PRESETS, Strategy

    default = Strategy()
    rows = []
    for name, strategy in PRESETS.items():
        differs = [
            f"`{f.name}` = {_knob(getattr(strategy, f.name))}"
            for f in dataclasses.fields(Strategy)
            if getattr(strategy, f.name) != getattr(default, f.name)
        ]
        rows.append([f"[`{name}`](#{name.replace(':', '')})", "; ".join(differs) or "(defaults)"])
    return _table(["preset", "knobs that differ from `Strategy()`"], rows)


def _type_name(hint: object) -> str:
    """A knob's type as a reader wants it: the allowed strings of a Literal, else the names."""
    if typing.get_origin(hint) is typing.Literal:
        return " / ".join(f'`"{v}"`' for v in typing.get_args(hint))
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    if hint is type(None):
        return "`None`"
    return f"`{getattr(hint, '__name__', hint)}`"


def gen_knobs(args: str) -> str:
    """The knobs of ``Strategy``, their values, defaults and meaning (from its docstring)."""
    from racesim.core.strategy import Strategy

    meaning = _docstring_attributes(Strategy)
    hints = typing.get_type_hints(Strategy)
    rows = [
        [_code(f.name), _type_name(hints[f.name]), _knob(f.default), _rst(meaning[f.name])]
        for f in dataclasses.fields(Strategy)
    ]
    return _table(["knob", "values", "default", "meaning"], rows)


# -- errors a bad value gives -----------------------------------------------------------------

_SCENARIO_BASE = """\
format = "racesim-scenario/1"
name = "my-pipeline"
base = "f8af4c1"
"""

#: (what the user wrote, keys removed from the base): each must fail with an InputError
SCENARIO_ERRORS: list[tuple[str, tuple[str, ...]]] = [
    ('format = "racesim-scenario/2"', ()),
    ("", ("name",)),
    ('nmae = "typo"', ()),
    ('base = "no-such-scenario"', ()),
    ("timings.biuld = 72", ()),
    ("timings.build = -5", ()),
    ('timings.build = { dist = "normal", mean = 72 }', ()),
    ('timings.build = { dist = "lognormal", median = 72 }', ()),
    ('timings.build = { dist = "lognormal", median = 72, p95 = 60 }', ()),
    ('timings.build = { dist = "uniform", low = 60 }', ()),
    ('timings.build_pickup = { dist = "heavy_tailed", median = 3, p95 = 5 }', ()),
    ("build_failure = 1.5", ()),
    ('strategies = ["parallel", "sleep:soon"]', ()),
    ('pushes = { schedule = "burst", count = 5 }', ()),
    ('pushes = { schedule = "list", times = [10, 20] }', ()),
    ('pushes = { schedule = "poisson", rate_per_hour = 6, window = 3600, count = 3 }', ()),
    ("overrides.0.build = 40", ()),
    ("overrides.2.biuld = 40", ()),
    ("reruns = [{ commit = 0, time = 600 }]", ()),
]

_INCIDENT_BASE = """\
format = "racesim-incident/1"
name = "my-incident"
title = "The deploy pulled :latest before the build pushed it"
source = "https://example.org/issues/1"
strategy = "parallel"

[[pushes]]
commit = "abc1234"
time = 2025-12-03T23:44:32Z

[[observed]]
event = "deploy.started"
time = 2025-12-03T23:44:34Z
"""

INCIDENT_ERRORS: list[tuple[str, tuple[str, ...]]] = [
    ("", ("title",)),
    ('strategy = "paralel"', ()),
    ('strategy = { trigger = "push", gate = true }', ()),
    ('strategy = { preset = "pinned", guard = "newest" }', ()),
    ('pushes = [{ commit = "abc1234", time = "23:44:32" }]', ()),
    ('pushes = [{ commit = "abc1234", time = 2025-12-03T23:44:32 }]', ()),
    ('observed = [{ event = "deploy.pulled_image", time = 2025-12-03T23:45:06Z }]', ()),
    (
        'observed = [{ event = "deploy.pulled", commit = "f00", time = 2025-12-03T23:45:06Z }]',
        (),
    ),
    (
        'observed = [{ event = "deploy.started", time = 2025-12-03T23:44:34Z }, '
        '{ event = "deploy.pulled", time = 2025-12-03T23:44:30Z }]',
        (),
    ),
    ('assumed = [{ duration = "compile", seconds = 3, why = "not published" }]', ()),
    ('assumed = [{ duration = "build", seconds = -3, why = "not published" }]', ()),
    ('outcome = { live = "v9" }', ()),
]


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _error_of(kind: str, snippet: str, removed: tuple[str, ...]) -> str:
    from racesim.errors import InputError
    from racesim.incidents import Incident, replay
    from racesim.scenarios import Scenario

    base = _SCENARIO_BASE if kind == "scenario" else _INCIDENT_BASE
    data = _merge(tomllib.loads(base), tomllib.loads(snippet))
    for key in removed:
        del data[key]
    text = tomli_w.dumps(data)
    source = f"my-{kind}.toml"
    try:
        if kind == "scenario":
            Scenario.from_toml(text, source)
        else:
            replay(Incident.from_toml(text, source), [])
    except InputError as exc:
        return str(exc)
    raise PluginError(f"the {kind} error example {snippet or removed!r} raised no error")


def gen_errors(args: str) -> str:
    """Bad values next to the error racesim gives for each (raised while the site is built)."""
    if args == "scenario":
        cases, base = SCENARIO_ERRORS, _SCENARIO_BASE
    elif args == "incident":
        cases, base = INCIDENT_ERRORS, _INCIDENT_BASE
    else:
        raise PluginError(f"errors: expected 'scenario' or 'incident', got {args!r}")
    rows = []
    for snippet, removed in cases:
        shown = f"`{snippet}`" if snippet else "no " + ", ".join(f"`{k}`" for k in removed)
        rows.append([shown, f"`{_error_of(args, snippet, removed)}`"])
    loaded = "loaded and replayed" if args == "incident" else "loaded"
    return "\n\n".join(
        [
            f"Start from this file, change one thing, and it is {loaded}; the right-hand column "
            "is what racesim said for each change when this site was built.",
            _fence(base, "toml"),
            _table(["the change", "the error"], rows),
        ]
    )


# -- the kernel-free classroom -----------------------------------------------------------------

CLASSROOM_DATA = "assets/classroom/data.js"
CLASSROOM_SCRIPT = "assets/classroom/classroom.js"


def gen_classroom(args: str) -> str:
    """The classroom page's controls and picture: a container that ``classroom.js`` fills.

    `args` is the path from the page to the site root (``../..`` for ``tutorial/classroom/``).
    """
    from racesim.classroom.page import page_fragment

    root = args or "../.."
    return page_fragment(f"{root}/{CLASSROOM_DATA}", f"{root}/{CLASSROOM_SCRIPT}")


def _classroom_data() -> bytes:
    from racesim.classroom.page import data_script, page_data

    return data_script(page_data()).encode("utf-8")


def _classroom_script() -> bytes:
    from racesim.classroom.page import script

    return script().encode("utf-8")


# -- benchmark figures -------------------------------------------------------------------------


def gen_bench_table(args: str) -> str:
    """The benchmark figures recorded in ``benchmarks/results.json`` whose key starts with one
    of `args` (space-separated prefixes; all if none), as a table with each goal's verdict."""
    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root))
    try:
        from benchmarks.record import RESULTS, load, met
    finally:
        sys.path.remove(str(root))
    prefixes = args.split()
    figures = [f for f in load(RESULTS) if not prefixes or f.key.startswith(tuple(prefixes))]
    if not figures:
        raise PluginError(f"bench-table: no figures for {args!r} in benchmarks/results.json")
    rows = []
    for f in figures:
        value = f"{f.value:.3g}{f.unit}" if f.unit == "x" else f"{f.value:.3g} {f.unit}"
        goal = f"{f.op} {f.goal:g}{f.unit if f.unit == 'x' else ' ' + f.unit}"
        verdict = "met" if met(f) else "**not met**"
        rows.append([f.label, f"{value} ({f.detail})", f"{goal}: {verdict}", f.measured])
    dates = sorted({f.measured for f in figures})
    machines = sorted({f.machine for f in figures})
    commands = sorted({f.command for f in figures})
    return "\n\n".join(
        [
            _table(["measurement", "result", "goal", "measured"], rows),
            f"Recorded by `python -m benchmarks --record` on {', '.join(dates)} "
            f"({'; '.join(machines)}). Commands: "
            + ", ".join(f"`{c}`" for c in commands)
            + ".",
        ]
    )


#: generators that need the page (to find files next to it)
PAGE_GENERATORS: dict[str, Callable[[str, Path], str]] = {
    "run": gen_run,
    "run-error": gen_run_error,
    "run-status": gen_run_status,
    "file": gen_file,
}

GENERATORS: dict[str, Callable[[str], str]] = {
    "cli": gen_cli,
    "classroom": gen_classroom,
    "python": gen_python,
    "matrix": gen_matrix,
    "verdicts": gen_verdicts,
    "out-of-order": gen_out_of_order,
    "event-kinds": gen_event_kinds,
    "metrics": gen_metrics,
    "rates": gen_rates,
    "incident-events": gen_incident_events,
    "default-assumptions": gen_default_assumptions,
    "sweep-aliases": gen_sweep_aliases,
    "replay-chains": gen_replay_chains,
    "situations": gen_situations,
    "builtins": gen_builtins,
    "durations": gen_durations,
    "distributions": gen_distributions,
    "presets": gen_presets,
    "knobs": gen_knobs,
    "errors": gen_errors,
    "bench-table": gen_bench_table,
}

#: pictures added to the site: path on the site -> function making the PNG bytes
PICTURES: dict[str, Callable[[], bytes]] = {
    MATRIX_PICTURE: _matrix_png,
    OUT_OF_ORDER_PICTURE: _out_of_order_png,
    HERO_PICTURE: _hero_png,
    CLASSROOM_DATA: _classroom_data,
    CLASSROOM_SCRIPT: _classroom_script,
}


# -- MkDocs events ----------------------------------------------------------------------------


def render(name: str, args: str, folder: Path, where: str) -> str:
    """The Markdown for marker `name` with `args` on a page in `folder` (`where` names the page)."""
    if name in PAGE_GENERATORS:
        return PAGE_GENERATORS[name](args, folder)
    if name not in GENERATORS:
        known = ", ".join([*PAGE_GENERATORS, *GENERATORS])
        raise PluginError(f"{where}: unknown marker 'racesim: {name}'; expected one of {known}")
    return GENERATORS[name](args)


def refresh(text: str, folder: Path, where: str) -> str:
    """`text` with every generated section between its markers regenerated (markers kept).

    A start marker without its end marker gets one; a section is always surrounded by blank
    lines, and the line after the end marker is blank too.
    """
    out: list[str] = []
    pos = 0
    for match in MARKER.finditer(text):
        if match.start() < pos:
            continue  # inside a section already replaced
        name, args = match["name"], match["args"].strip()
        if name in FOREIGN or name == "end":
            continue
        body = render(name, args, folder, where).strip("\n")
        stop = match.end()
        end = text.find(END, stop)
        following = MARKER.search(text, stop)
        if end != -1 and (following is None or following.start() >= end):
            stop = end + len(END)
        out.append(text[pos : match.end()])
        out.append(f"\n\n{body}\n\n{END}")
        rest = text[stop:]
        pos = stop
        if not rest.startswith("\n\n") and rest.strip():
            out.append("\n" if rest.startswith("\n") else "\n\n")
    out.append(text[pos:])
    return "".join(out)


def strip_markers(text: str) -> str:
    """The page as it is converted: marker lines become blank lines."""
    return MARKER.sub(lambda m: m[0] if m["name"] in FOREIGN else "", text)


_stale: list[str] = []

#: wall times in command output ("(0.05 s)", "; 0.07 s)"): they differ on every run and machine,
#: so they never make a section stale
_WALL_TIME = re.compile(r"\d+\.\d+ s\)")


def differs(fresh: str, text: str) -> bool:
    """Whether a regenerated page says something else than the written one (wall times aside)."""
    return _WALL_TIME.sub("# s)", fresh) != _WALL_TIME.sub("# s)", text)


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    # the notebooks, executed by the build, then show static fallbacks for live widgets
    os.environ[STATIC_OUTPUT] = "1"
    return config


def on_pre_build(config: MkDocsConfig) -> None:
    """Measure afresh on every build (``mkdocs serve`` rebuilds in the same process)."""
    _matrix.cache_clear()
    _stale.clear()


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for uri, make in PICTURES.items():
        committed = files.get_file_from_path(uri)
        if committed is not None:  # the README's copy: the site shows the one drawn now
            files.remove(committed)
        files.append(File.generated(config, uri, content=make()))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    fresh = refresh(markdown, _folder(page), page.file.src_uri)
    if differs(fresh, markdown) and MARKER.search(markdown):
        _stale.append(page.file.src_uri)
    return strip_markers(fresh)


def on_post_build(config: MkDocsConfig) -> None:
    report = os.environ.get(STALE_REPORT)
    if report:
        Path(report).write_text(json.dumps(sorted(_stale)), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """``python docs/hooks/generated.py [--check] [PAGE.md ...]``: rewrite (or list) the stale
    pages (every page of ``docs/``, or the pages named)."""
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    docs = Path(__file__).resolve().parents[1]
    chosen = [Path(a).resolve() for a in args if a != "--check"]
    stale = []
    for path in chosen or sorted(docs.rglob("*.md")):
        if "hooks" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if not any(m["name"] not in FOREIGN for m in MARKER.finditer(text)):
            continue
        where = str(path.relative_to(docs))
        with _quiet_stdout():
            fresh = refresh(text, path.parent, where)
        if differs(fresh, text):
            stale.append(where)
            if not check:
                path.write_text(fresh, encoding="utf-8")
    if not check and not chosen:  # the README shows the committed copy of the hero picture
        hero = docs / HERO_PICTURE
        with _quiet_stdout():
            png = _hero_png()
        if not hero.is_file() or hero.read_bytes() != png:
            hero.write_bytes(png)
            stale.append(HERO_PICTURE)
    verb = "out of date" if check else "rewritten"
    print("\n".join(f"{verb}: {p}" for p in stale) or "every generated section is up to date")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
