"""``racesim demo``: the headline story in one folder of pictures and tables."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from racesim.incidents import load_incident, replay
from racesim.plot.figures import save_counterfactual_timelines, save_replay_timeline
from racesim.report import replay_frames, replay_report
from racesim.strategies import SEED_PRESETS


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="replay f8af4c1 and write its pictures and tables to a folder",
        description="Replay the f8af4c1 incident, rerun it under the seed's strategies, and write "
        "the timeline pictures and tables into one output folder.",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("racesim-demo"),
        metavar="DIR",
        help="output folder (default: racesim-demo)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    result = replay(load_incident("f8af4c1"))
    written = [
        save_replay_timeline(result, out / "f8af4c1-timeline.png"),
        save_counterfactual_timelines(result, SEED_PRESETS, out / "f8af4c1-counterfactuals.png"),
    ]
    report = replay_report(result)
    (out / "replay.txt").write_text(report + "\n", encoding="utf-8")
    (out / "replay.json").write_text(
        json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8"
    )
    written += [out / "replay.txt", out / "replay.json"]
    for name, frame in replay_frames(result).items():
        frame.to_csv(out / f"replay-{name}.csv", index=False)
        written.append(out / f"replay-{name}.csv")
    print(report)
    print("\nwritten:")
    print("\n".join(f"  {p}" for p in written))
    return 0 if result.reproduced else 1
