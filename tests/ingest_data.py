"""Loading the shared recorded GitHub API data for the ingest tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORDED = "pygithub-recorded"


def response(shared: Path, name: str) -> Any:
    """The body GitHub sent, from a PyGithub recording (``{"response": ...}``)."""
    return json.loads((shared / RECORDED / f"{name}.json").read_text("utf-8"))["response"]


def saved(shared: Path, tmp: Path, *names: str, edit: Any = None) -> list[str]:
    """Each recording's body written to `tmp` as a user would have saved it with ``gh api``.

    `edit` may change a body first (``edit(name, body) -> body``), for the few tests that need
    a run of another event than the one recorded.
    """
    paths = []
    for name in names:
        body = response(shared, name)
        if edit is not None:
            body = edit(name, body)
        path = tmp / f"{name}.json"
        path.write_text(json.dumps(body), "utf-8")
        paths.append(str(path))
    return paths
