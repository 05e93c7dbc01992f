"""``racesim classroom``: the classroom lesson over the race demo, in a browser.

It serves ``racesim/classroom/app.ipynb`` with Voila, which runs the notebook in a kernel and
shows only its widgets, not its code cells: a teacher gets the lesson of
:class:`racesim.classroom.LessonDemo` on ``http://127.0.0.1:PORT/`` without opening Jupyter.
Voila comes with the ``notebooks`` extra. ``--static FILE`` writes the kernel-free page instead.

Voila runs in a process group of its own and is stopped (with its kernels) when racesim gets
SIGINT or SIGTERM: Voila's own answer to a Ctrl-C is to ask on the terminal whether to stop.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import signal
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from racesim.cli._common import whole

#: the packaged notebook Voila serves
APP = "app.ipynb"


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "classroom",
        help="serve the classroom lesson and race demo in a browser, with Voila",
        description="Serve the classroom on localhost: a lesson whose every step asks the class "
        "a question, takes their prediction, then reveals racesim's answer over the race demo "
        "(two pushes, sliders for build time, sleep and gap, a strategy picker, the timeline "
        "and the Monte Carlo bars), with no code cells. Prints the address and opens the "
        "browser unless --no-browser. Stop it with Ctrl-C or SIGTERM, which stop Voila and its "
        "kernels too. Needs the notebooks extra (pip install 'racesim[notebooks]').",
        epilog="exit status: 0 the server stopped cleanly (Ctrl-C, SIGTERM); 2 bad input or "
        "Voila is not installed (one line on stderr); otherwise Voila's own status",
    )
    p.add_argument(
        "--port", type=whole(1), default=8866, metavar="PORT", help="port (default: 8866)"
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="HOST",
        help="address to listen on (default: 127.0.0.1, this machine only)",
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument(
        "--static",
        type=Path,
        metavar="FILE",
        help="instead of serving, write one self-contained HTML page (the same lesson over "
        "results computed now; no Python, no network needed to show it: for a projector) "
        "and exit",
    )
    return p


#: the Voila template shipped in racesim/classroom/voila/templates/ (Voila's "lab" page without
#: the stylesheets it would fetch from a CDN: a classroom may have no network)
TEMPLATE = "racesim"

#: JupyterLab extensions the page must not load. The page needs only the widget manager (which
#: Voila brings itself); jupytext's and notebook's lab extensions, installed next to Voila by the
#: ``notebooks`` extra, are built for a newer JupyterLab than Voila's page and fail to load there,
#: each with an error in the browser console, and the Voila preview is for JupyterLab only.
HIDDEN_EXTENSIONS = (
    "jupyterlab-jupytext",
    "@jupyter-notebook/lab-extension",
    "@voila-dashboards/jupyterlab-preview",
)

#: seconds Voila gets to shut its kernels down after SIGTERM before it is killed
STOP_TIMEOUT = 15.0


def voila_command(args: argparse.Namespace, notebook: str) -> list[str]:
    """The command line that serves `notebook` with Voila as `args` ask.

    Voila opens the browser itself (once it listens) unless ``--no-browser`` is given. It uses
    racesim's template (found through ``JUPYTER_PATH``, see :func:`voila_env`) and leaves out
    the JupyterLab extensions of :data:`HIDDEN_EXTENSIONS`.
    """
    command = [
        sys.executable,
        "-m",
        "voila",
        notebook,
        f"--port={args.port}",
        f"--Voila.ip={args.host}",
        f"--template={TEMPLATE}",
        *(f"--VoilaConfiguration.extension_denylist={name}" for name in HIDDEN_EXTENSIONS),
        "--show_tracebacks=True",
    ]
    return [*command, "--no-browser"] if args.no_browser else command


def voila_env(data: Path) -> dict[str, str]:
    """The environment for Voila: this one, with `data` (the folder holding
    ``voila/templates/racesim``) first on ``JUPYTER_PATH`` so Voila finds racesim's template."""
    env = dict(os.environ)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(data), env.get("JUPYTER_PATH")]))
    return env


def _write_static(path: Path) -> int:
    from racesim.classroom.page import standalone_html
    from racesim.errors import InputError

    if path.suffix.lower() not in (".html", ".htm"):
        raise InputError("--static", f"expected a path ending in .html, got {str(path)!r}")
    try:
        path.write_text(standalone_html(), encoding="utf-8")
    except OSError as exc:
        raise InputError("--static", f"cannot write {str(path)!r}: {exc.strerror}") from None
    print(f"classroom page written to {path}: open it in any browser")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop(server: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> None:
    """Stop Voila and everything it started (its kernels), and wait for them.

    Voila runs in a process group of its own (see :func:`run`), so this sends SIGTERM to that
    group: Voila shuts its kernels down and exits. Whatever is still running after `timeout`
    seconds is killed, so no kernel is left behind holding memory.
    """
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):  # the group is gone: Voila exited
            os.killpg(server.pid, sig)
        try:
            server.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        try:  # Voila is gone; a kernel it failed to stop is not (its group lives on)
            os.killpg(server.pid, 0)
        except ProcessLookupError:
            return


def run(args: argparse.Namespace) -> int:
    from racesim._util.optional import require

    if args.static is not None:
        return _write_static(args.static)

    # find_spec, not an import: importing Voila here would only delay the server by a second
    for module, package in (("voila", "voila"), ("ipywidgets", "ipywidgets")):
        if importlib.util.find_spec(module) is None:
            require(module, package=package, extra="notebooks", feature="racesim classroom")
    if args.port > 65535:
        from racesim.errors import InputError

        raise InputError("--port", f"expected a port between 1 and 65535, got {args.port}")
    url = f"http://{args.host}:{args.port}/"
    # racesim's files, not racesim.classroom's: importing that package would load matplotlib and
    # pandas in this process (a second), and only the kernel needs them
    files = resources.files("racesim").joinpath("classroom")
    with (
        resources.as_file(files.joinpath(APP)) as notebook,
        resources.as_file(files.joinpath("voila")) as templates,
    ):
        # Voila gets a session (process group) of its own: a Ctrl-C in the terminal reaches only
        # racesim, which stops Voila with SIGTERM. Voila itself would answer a SIGINT by asking
        # "Shutdown this Voila server (y/[n])?" on a terminal and go on serving. No stdin either,
        # for the same reason.
        server = subprocess.Popen(
            voila_command(args, str(notebook)),
            env=voila_env(templates.parent),
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        print(f"racesim classroom: serving on {url} (Ctrl-C to stop)", flush=True)
        # SIGTERM (from `timeout`, a service manager, a test) and SIGINT both stop Voila
        previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            return server.wait()
        except KeyboardInterrupt:
            return 0
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            stop(server)
