"""MkDocs hook: every ``notebooks/*.ipynb`` of the repository becomes a page of the Tutorial.

Nothing is copied into ``docs/``. At configuration time the hook appends one nav entry per
notebook to the ``Tutorial`` section (titled by the notebook's first ``# heading``). When the
files are collected it adds each notebook as the file ``notebooks/<name>.ipynb`` read from the
repository root (its page is ``notebooks/<name>/`` on the site), before mkdocs-jupyter looks at
the files, so mkdocs-jupyter converts and executes it like any page. (A virtual file made with
``File.generated`` would not do: mkdocs-jupyter's wrapper loses its source path.) With no
notebooks the section holds only its overview page, and the build passes. The
``<!-- racesim: notebooks -->`` marker of that page becomes the list of notebooks found.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

#: the nav section that receives the notebooks; their folder, in the repository and on the site
SECTION = "Tutorial"
FOLDER = "notebooks"
MARKER = "<!-- racesim: notebooks -->"


def repository(config: MkDocsConfig) -> Path:
    """The folder of ``mkdocs.yml``: the repository root."""
    return Path(config.config_file_path).resolve().parent


def notebook_dir(config: MkDocsConfig) -> Path:
    return repository(config) / FOLDER


def find_notebooks(config: MkDocsConfig) -> list[Path]:
    """The notebooks to publish, in file-name order (``01_...`` first)."""
    return sorted(notebook_dir(config).glob("*.ipynb"))


def notebook_title(path: Path) -> str:
    """The first level-1 heading of the notebook's markdown cells, else the file name."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError) as exc:
        raise PluginError(f"cannot read notebook {path}: {exc}") from exc
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        for line in text.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return path.stem.replace("_", " ")


def page_uri(path: Path) -> str:
    return f"{FOLDER}/{path.name}"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Append one nav entry per notebook to the Tutorial section."""
    nav: list[Any] = config.nav or []
    for entry in nav:
        if isinstance(entry, dict) and SECTION in entry:
            section = entry[SECTION]
            break
    else:
        raise PluginError(f"mkdocs.yml: the nav has no {SECTION!r} section for the notebooks")
    for path in find_notebooks(config):
        section.append({notebook_title(path): page_uri(path)})
    return config


@event_priority(100)  # before mkdocs-jupyter's on_files, which picks the notebooks up
def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add each notebook as a page read from ``notebooks/`` in place."""
    root = str(repository(config))
    for path in find_notebooks(config):
        uri = page_uri(path)
        if files.get_file_from_path(uri) is not None:
            raise PluginError(f"docs/{uri} exists: notebooks belong in notebooks/, not docs/")
        files.append(File(uri, root, config.site_dir, config.use_directory_urls))
    return files


@event_priority(50)  # before generated.py checks that every marker was replaced
def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace the marker with the list of notebooks found."""
    if MARKER not in markdown:
        return markdown
    found = find_notebooks(config)
    if not found:
        listing = (
            "!!! note\n    This build found no notebooks in `notebooks/`: they appear here "
            "as soon as they are added."
        )
    else:
        lines = []
        for i, path in enumerate(found):
            first = " (**the tutorial**: start here)" if i == 0 else ""
            name = f"`notebooks/{path.name}`"
            link = f"../{page_uri(path)}"  # from tutorial/index.md
            lines.append(f"{i + 1}. [{notebook_title(path)}]({link}){first}: {name}")
        listing = "\n".join(lines)
    return markdown.replace(MARKER, listing)
