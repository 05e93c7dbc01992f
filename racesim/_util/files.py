"""Reading a user's file safely: a regular file (a FIFO or device could block or never end), of
bounded size, checked before and while reading, with errors that name the file."""

from __future__ import annotations

import stat
from pathlib import Path

from racesim.errors import InputError

__all__ = ["read_regular_file"]


def read_regular_file(path: str | Path, source: str, max_bytes: int) -> bytes:
    """The bytes of the regular file at `path`, at most `max_bytes` of them.

    Raises:
        InputError: field ``(file)`` of `source`: not a regular file, too large, unreadable.
    """
    try:
        info = Path(path).stat()
        if not stat.S_ISREG(info.st_mode):
            raise InputError("(file)", "not a regular file (a folder, FIFO or device?)", source)
        if info.st_size > max_bytes:
            raise InputError(
                "(file)",
                f"{info.st_size:,} bytes; racesim reads files of at most {max_bytes:,} bytes",
                source,
            )
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError("(file)", f"cannot read: {exc.strerror or exc}", source) from None
    if len(raw) > max_bytes:  # it grew while being read
        raise InputError("(file)", f"larger than {max_bytes:,} bytes", source)
    return raw
