"""Checks on the files and folders racesim is asked to write, made before any work starts.

A ``racesim compare --plot DIR`` that runs for minutes and then fails because ``DIR`` sits under
a regular file, in ``/proc``, or ends in an extension matplotlib cannot write without LaTeX wastes
the user's time and ends in a traceback. These checks say what is wrong, in one line naming the
option, before the simulation runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from racesim.errors import InputError
from racesim.limits import MAX_PATH_CHARS

__all__ = ["FIGURE_SUFFIXES", "check_output_dir", "check_output_file", "make_output_dir"]

#: picture formats racesim writes (others, such as ``.pgf``, need tools matplotlib lacks)
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
#: where nothing should be written: kernel and device pseudo-filesystems
_PSEUDO = (Path("/proc"), Path("/sys"), Path("/dev"))
#: longest file or folder name most file systems allow, in bytes
_NAME_MAX = 255


def check_output_file(path: str | Path, field: str, suffixes: Iterable[str]) -> Path:
    """`path` as a Path if a file can be written there, else an InputError naming `field`.

    The name must end in one of `suffixes`; the path must not be a folder; its folder must
    exist and be writable. A missing folder is refused with its path rather than created: a
    mistyped folder would otherwise leave a file somewhere nobody looks.
    """
    path = _common(path, field)
    allowed = tuple(suffixes)
    if path.suffix.lower() not in allowed:
        raise InputError(
            field,
            f"cannot write {_short(path.name)!r}: expected a file ending in {', '.join(allowed)}",
        )
    if path.is_dir():
        raise InputError(field, f"{_short(str(path))} is a folder; give a file name")
    folder = path.parent
    if not folder.exists() and not folder.is_symlink():
        raise InputError(
            field,
            f"cannot write {_short(str(path))}: the folder {_short(str(folder))} does not exist "
            "(create it first)",
        )
    _check_parent(folder, field)
    return path


def check_output_dir(path: str | Path, field: str) -> Path:
    """`path` as a Path if a folder can be written there.

    It may not exist yet (the command creates it), but its parent must: a chain of missing
    folders is more likely a mistyped path than a wish, so it is refused with the path.
    """
    path = _common(path, field)
    if path.exists() and not path.is_dir():
        raise InputError(field, f"{_short(str(path))} exists and is not a folder")
    parent = path.absolute().parent
    if not path.exists() and not parent.exists() and not parent.is_symlink():
        raise InputError(
            field,
            f"cannot make {_short(str(path))}: the folder {_short(str(parent))} does not exist "
            "(create it first)",
        )
    _check_parent(path, field)
    return path


def make_output_dir(path: str | Path, field: str) -> Path:
    """:func:`check_output_dir`, then create the folder (only the last level: its parent
    exists) so files can be written into it."""
    folder = check_output_dir(path, field)
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise InputError(
            field, f"cannot make {_short(str(folder))}: {exc.strerror or exc}"
        ) from None
    return folder


def _common(path: str | Path, field: str) -> Path:
    text = str(path)
    if not text:
        raise InputError(field, "expected a path, got an empty string")
    if len(text) > MAX_PATH_CHARS:
        raise InputError(field, f"path longer than {MAX_PATH_CHARS} characters")
    if "\0" in text:
        raise InputError(field, "a path cannot contain a NUL character")
    path = Path(path)
    for part in path.parts:
        if len(os.fsencode(part)) > _NAME_MAX:
            raise InputError(field, f"the name {_short(part)!r} is longer than {_NAME_MAX} bytes")
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:  # a symbolic link loop
        raise InputError(field, f"cannot use {_short(text)}: {exc}") from None
    for pseudo in _PSEUDO:
        if resolved == pseudo or pseudo in resolved.parents:
            raise InputError(field, f"{_short(str(path))} is in {pseudo}, where files are not kept")
    return path


def _check_parent(folder: Path, field: str) -> None:
    """The nearest existing folder at or above `folder` must be a writable folder."""
    current = folder.absolute()
    while not current.exists():
        if current.is_symlink():  # a dangling link: writing through it fails
            raise InputError(field, f"{_short(str(current))} is a broken symbolic link")
        current = current.parent
    if not current.is_dir():
        raise InputError(field, f"{_short(str(current))} is a file, not a folder")
    if not os.access(current, os.W_OK | os.X_OK):
        raise InputError(field, f"cannot write in {_short(str(current))}: permission denied")


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."
