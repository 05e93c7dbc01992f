"""``racesim classroom``: the classroom demo (sliders, strategy picker, pictures) in a browser.

It serves ``racesim/classroom/app.ipynb`` with Voila, which runs the notebook in a kernel and
shows only its widgets, not its code cells: a teacher gets the race demo of
:class:`racesim.classroom.RaceDemo` on ``http://127.0.0.1:PORT/`` without opening Jupyter.
Voila comes with the ``notebooks`` extra.
"""

from __future__ import annotations

import argparse
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
        help="serve the classroom demo (sliders and pictures) in a browser, with Voila",
        description="Serve the classroom demo on localhost: two pushes, sliders for build time, "
        "sleep and gap, a strategy picker, the timeline and the Monte Carlo bars, with no code "
        "cells. Prints the address and opens the browser unless --no-browser. Stop it with "
        "Ctrl-C. Needs the notebooks extra (pip install 'racesim[notebooks]').",
        epilog="exit status: 0 the server stopped cleanly (Ctrl-C); 2 bad input or Voila is "
        "not installed (one line on stderr); otherwise Voila's own status",
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
        help="instead of serving, write one self-contained HTML page (no Python, no network "
        "needed to show it: for a projector) and exit",
    )
    return p


def voila_command(args: argparse.Namespace, notebook: str) -> list[str]:
    """The command line that serves `notebook` with Voila as `args` ask.

    Voila opens the browser itself (once it listens) unless ``--no-browser`` is given.
    """
    command = [
        sys.executable,
        "-m",
        "voila",
        notebook,
        f"--port={args.port}",
        f"--Voila.ip={args.host}",
        "--show_tracebacks=True",
    ]
    return [*command, "--no-browser"] if args.no_browser else command


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


def run(args: argparse.Namespace) -> int:
    from racesim._util.optional import require

    if args.static is not None:
        return _write_static(args.static)

    require("voila", package="voila", extra="notebooks", feature="racesim classroom")
    require("ipywidgets", package="ipywidgets", extra="notebooks", feature="racesim classroom")
    if args.port > 65535:
        from racesim.errors import InputError

        raise InputError("--port", f"expected a port between 1 and 65535, got {args.port}")
    url = f"http://{args.host}:{args.port}/"
    with resources.as_file(resources.files("racesim.classroom").joinpath(APP)) as notebook:
        server = subprocess.Popen(voila_command(args, str(notebook)))
        print(f"racesim classroom: serving on {url} (Ctrl-C to stop)", flush=True)
        # a SIGTERM (from `timeout`, a service manager, a test) must stop Voila too, not orphan it
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            return server.wait()
        except KeyboardInterrupt:
            return 0
        finally:
            signal.signal(signal.SIGTERM, previous)
            if server.poll() is None:
                server.terminate()
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    server.kill()
