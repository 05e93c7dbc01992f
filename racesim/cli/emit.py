"""``racesim emit``: a strategy as the GitHub Actions workflow files that implement it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from racesim._util.toml import read_toml_file
from racesim.core.strategy import Strategy, parse_strategy, preset_names, strategy_from_table
from racesim.errors import InputError


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(
        "emit",
        epilog="exit status: 0 success; 2 bad input (one line on stderr)",
        help="write a strategy as real GitHub Actions workflow files",
        description="Print (or write into DIR/.github/workflows) the build and deploy workflows "
        "that implement STRATEGY for an image and a Cloud Run service. `racesim audit` of the "
        "result gives the strategy back.",
    )
    p.add_argument(
        "strategy",
        metavar="STRATEGY",
        help=f"a preset ({', '.join(preset_names())}) or a TOML file whose [strategy] table "
        "sets knobs (as in a scenario file)",
    )
    p.add_argument("--image", default="ghcr.io/acme/app", help="image the build pushes")
    p.add_argument("--service", default="app", help="Cloud Run service")
    p.add_argument("--region", default="europe-west1", help="Cloud Run region")
    p.add_argument(
        "--deploy-image",
        default="europe-west1-docker.pkg.dev/acme/app/app",
        help="image in the deploy registry (with a mirror)",
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="write DIR/.github/workflows/*.yml")
    p.set_defaults(run=run)
    return p


def _strategy(spec: str) -> Strategy:
    """A preset name, or the ``[strategy]`` table of a TOML file (errors name the file)."""
    if not spec.endswith(".toml"):
        return parse_strategy(spec, "STRATEGY")
    data, source = read_toml_file(spec)
    try:
        return strategy_from_table(data.get("strategy", data), "strategy")
    except InputError as exc:
        raise exc.in_source(source) from None


def run(args: argparse.Namespace) -> int:
    from racesim.github.emit import Target, emit

    strategy = _strategy(args.strategy)
    files = emit(strategy, Target(args.image, args.service, args.region, args.deploy_image))
    if args.out is None:
        for name, text in files.items():
            print(f"# --- .github/workflows/{name}")
            print(text)
        return 0
    folder = args.out / ".github" / "workflows"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        print(folder / name)
    return 0
