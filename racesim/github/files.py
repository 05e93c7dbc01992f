"""Read the files a pipeline calls, never outside the folder the user gave.

An audit runs on pull requests, so every workflow, action, script and Makefile is untrusted
input. :class:`RepoFiles` resolves a path named in a workflow (``./.github/actions/x``,
``scripts/deploy.sh``, a ``Makefile``) against the repository root and refuses one that leaves
it, through ``../`` or through a symbolic link: the refusal is recorded as a note the report
shows, and the file is not read. :meth:`RepoFiles.read` checks again whatever it is given (an
``action.yml`` inside a found folder may itself be a link out). Files are read up to
:data:`MAX_BYTES` and must be UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MAX_BYTES", "RepoFiles"]

#: the largest file an audit reads (a workflow, action, script or Makefile)
MAX_BYTES = 1 << 20


@dataclass
class RepoFiles:
    """The files under `root`; `notes` collects every path that was refused and why.

    `flat` is true when the workflows sit directly in `root` (a folder of workflow files, not
    a repository), so ``./.github/workflows/x.yml`` is also looked up as ``root/x.yml``.
    `extra` are further roots (``--resolve`` checkouts of remote workflows and actions);
    `alternates` are folders inside `root` that hold their own ``.github/actions``.
    """

    root: Path
    flat: bool = False
    extra: tuple[Path, ...] = ()
    alternates: tuple[Path, ...] = ()
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()

    def inside(self, path: Path, root: Path | None = None) -> bool:
        """True when `path` (symbolic links followed) stays under `root` (default: the repo)."""
        base = (root or self.root).resolve()
        try:
            path.resolve().relative_to(base)
        except (ValueError, OSError, RuntimeError):
            return False
        return True

    def find(self, rel: str, *, where: str = "", root: Path | None = None) -> Path | None:
        """The file or folder `rel` names, or ``None`` (a refusal is noted, a miss is not)."""
        base = root or self.root
        rel = rel.strip().removeprefix("./")
        if not rel or rel.startswith("/") or "\0" in rel:
            return None
        candidates = [base / rel]
        if root is None:
            if self.flat:
                candidates.append(base / Path(rel).name)
            candidates.extend(alt / rel for alt in self.alternates)
        for path in candidates:
            try:
                exists = path.exists() or path.is_symlink()
            except OSError:
                continue
            if not exists:
                continue
            # an alternate is a folder under the root, so the root's check covers it (and an
            # alternate that is itself a link out of the root must not widen what is read)
            if not self.inside(path, base):
                self.notes.append(
                    f"{where or rel}: {rel} leaves the folder being audited; not read"
                )
                return None
            return path
        return None

    def allowed(self, path: Path) -> bool:
        """True when `path` (links followed) is under the root or a ``--resolve`` folder."""
        return any(self.inside(path, root) for root in (self.root, *self.extra))

    def read(self, path: Path, *, where: str = "") -> str | None:
        """The text of `path`, or ``None`` when it is too large, not UTF-8 or unreadable."""
        shown = where or str(path)
        if not self.allowed(path):
            self.notes.append(f"{shown}: {path.name} leaves the folder being audited; not read")
            return None
        try:
            if not path.is_file():
                return None
            with path.open("rb") as f:  # at most MAX_BYTES + 1: a size can lie (/proc, growing)
                data = f.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:
                self.notes.append(f"{shown}: larger than {MAX_BYTES} bytes; not read")
                return None
        except OSError as exc:
            self.notes.append(f"{shown}: cannot be read ({exc.strerror or exc}); skipped")
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self.notes.append(f"{shown}: not UTF-8; not read")
            return None
