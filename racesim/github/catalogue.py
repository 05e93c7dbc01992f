"""The catalogue of what steps do: actions by name and input, commands by their leading words.

The entries are data (``catalogue.toml`` beside this module), each citing the documentation of
the behaviour it assumes. Users add their own without code: ``ROLE=PATTERN`` rules (the roles of
``racesim ingest --step``: ``push``, ``pull``, ``rollout``; plus ``wait``, ``guard`` and
``ignore``) given on the command line, in ``[tool.racesim.audit] steps`` of the audited
repository's ``pyproject.toml`` or in ``[audit] steps`` of its ``.racesim.toml``. A pattern is a
regular expression searched in a step's ``uses:``, its name, and each command of its script.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from racesim._util.toml import read_toml
from racesim.errors import InputError
from racesim.github.files import MAX_BYTES

__all__ = ["USER_ROLES", "Catalogue", "Entry"]

#: roles a user rule may give, and the catalogue role each one means
USER_ROLES: dict[str, str] = {
    "push": "build",
    "pull": "pull",
    "rollout": "deploy",
    "wait": "wait",
    "guard": "guard",
    "ignore": "setup",
}

#: words skipped before a command's leading words are matched
_NOISE = frozenset(
    {"sudo", "beta", "alpha", "time", "exec", "command", "nohup", "env", "npx", "bunx", "pnpx"}
)


@dataclass(frozen=True)
class Entry:
    """One catalogue entry (see ``catalogue.toml`` for the meaning of each field)."""

    role: str
    source: str
    assumes: str = ""
    uses: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    image: str = ""
    image_kind: str = ""
    tags: str = ""
    push: str = ""
    registry: str = ""
    channel: str = ""
    script: str = ""
    on_cancel: str = ""  # "stops": the deploy's rollout dies with a cancelled job
    live_order: str = ""  # "request": the last accepted request wins, not the last to finish
    order_source: str = ""
    outputs: Mapping[str, str] = field(default_factory=dict)
    pattern: re.Pattern[str] | None = None

    @property
    def name(self) -> str:
        if self.pattern is not None:
            return f"{self.role} rule /{self.pattern.pattern}/"
        return " ".join(self.words) if self.words else self.uses[0]


def _entry(raw: Mapping[str, Any], where: str) -> Entry:
    def strings(key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(key, "expected a string or a list of strings", where)
        return tuple(value)

    if not isinstance(raw.get("role"), str):
        raise InputError("role", "missing; every catalogue entry needs a role", where)
    outputs = raw.get("outputs", {})
    if not isinstance(outputs, Mapping):
        raise InputError("outputs", "expected a table", where)
    return Entry(
        role=raw["role"],
        source=str(raw.get("source", where)),
        assumes=str(raw.get("assumes", "")),
        uses=tuple(u.lower() for u in strings("uses")),
        words=strings("words"),
        requires=strings("requires"),
        unless=strings("unless"),
        image=str(raw.get("image", "")),
        image_kind=str(raw.get("image_kind", "")),
        tags=str(raw.get("tags", "")),
        push=str(raw.get("push", "")),
        registry=str(raw.get("registry", "")),
        channel=str(raw.get("channel", "")),
        script=str(raw.get("script", "")),
        on_cancel=str(raw.get("on_cancel", "")),
        live_order=str(raw.get("live_order", "")),
        order_source=str(raw.get("order_source", "")),
        outputs={str(k): str(v) for k, v in outputs.items()},
    )


def _rule(spec: str, where: str) -> Entry:
    role, sep, pattern = spec.partition("=")
    role = role.strip()
    if not sep or not pattern:
        raise InputError("steps", f"expected ROLE=PATTERN, got {spec!r}", where)
    if role not in USER_ROLES:
        raise InputError(
            "steps", f"unknown role {role!r}; expected one of {', '.join(USER_ROLES)}", where
        )
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise InputError("steps", f"not a regular expression: {pattern!r} ({exc})", where) from None
    return Entry(
        role=USER_ROLES[role],
        source=where,
        assumes=f"your rule: {role}={pattern}",
        pattern=compiled,
        image="guess",
    )


@dataclass(frozen=True)
class Catalogue:
    """The built-in entries plus the user's rules (which are tried first)."""

    actions: tuple[Entry, ...]
    commands: tuple[Entry, ...]
    rules: tuple[Entry, ...] = ()

    @classmethod
    def builtin(cls) -> Catalogue:
        text = resources.files("racesim.github").joinpath("catalogue.toml").read_text("utf-8")
        data = tomllib.loads(text)
        where = "racesim/github/catalogue.toml"
        actions = tuple(_entry(e, where) for e in data.get("action", []))
        commands = tuple(_entry(e, where) for e in data.get("command", []))
        return cls(actions, commands)

    def with_rules(self, specs: Iterable[str], where: str = "--step") -> Catalogue:
        """This catalogue with ``ROLE=PATTERN`` rules added (tried before the built-in ones)."""
        rules = tuple(_rule(s, where) for s in specs)
        return Catalogue(self.actions, self.commands, (*self.rules, *rules))

    def with_config(self, root: Path) -> Catalogue:
        """This catalogue with the rules of `root`'s ``pyproject.toml`` or ``.racesim.toml``."""
        out = self
        for name, keys in (
            ("pyproject.toml", ("tool", "racesim", "audit")),
            (".racesim.toml", ("audit",)),
        ):
            path = root / name
            if not path.is_file() or path.is_symlink():
                continue
            try:  # the pull request's own file: bounded in size, and in nesting by read_toml
                with path.open("rb") as handle:
                    raw = handle.read(MAX_BYTES + 1)
                if len(raw) > MAX_BYTES:
                    raise ValueError(f"larger than {MAX_BYTES:,} bytes")
                text = raw.decode("utf-8")
            except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
                raise InputError(
                    "(file)", f"cannot read the audit settings: {exc}", str(path)
                ) from None
            data: Any = read_toml(text, str(path))
            for key in keys:
                data = data.get(key, {}) if isinstance(data, Mapping) else {}
            if not isinstance(data, Mapping):
                continue
            steps = data.get("steps", [])
            if isinstance(steps, str):
                steps = [steps]
            if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
                raise InputError(
                    ".".join((*keys, "steps")), "expected a list of ROLE=PATTERN", str(path)
                )
            out = out.with_rules(steps, str(path))
        return out

    def action(self, uses: str) -> Entry | None:
        """The entry for ``uses: owner/name[/path]@ref``."""
        name = uses.split("@")[0].lower().rstrip("/")
        for entry in self.actions:
            if name in entry.uses:
                return entry
        return None

    def rule(self, *texts: str) -> Entry | None:
        """The first user rule matching any of `texts`."""
        for entry in self.rules:
            assert entry.pattern is not None
            if any(t and entry.pattern.search(t) for t in texts):
                return entry
        return None

    def command(
        self, words: tuple[str, ...], rest_of: tuple[str, ...] | None = None
    ) -> tuple[Entry, tuple[str, ...]] | None:
        """The entry for a command, with the words after its leading words.

        With `rest_of`, the entry is matched on `words` (as written) and the words returned
        are those of `rest_of` (the same command with its variables expanded).
        """
        core = _core(words)
        for entry in self.commands:
            matched = _match(core, entry.words)
            if matched is None:
                continue
            rest = matched
            if entry.requires and not any(_has(core, r) for r in entry.requires):
                continue
            if any(u in core for u in entry.unless):
                continue
            if rest_of is not None:
                rest = _match(_core(rest_of), entry.words) or ()
            return entry, rest
        return None


def _core(words: tuple[str, ...]) -> tuple[str, ...]:
    out = list(words)
    while out and (out[0] in _NOISE or re.fullmatch(r"[A-Za-z_]\w*=.*", out[0])):
        out.pop(0)
    if out:
        out[0] = out[0].rsplit("/", 1)[-1] if out[0].startswith(("/usr/", "/bin/")) else out[0]
    return tuple(out)


def _match(words: tuple[str, ...], lead: tuple[str, ...]) -> tuple[str, ...] | None:
    """The words after `lead` when `words` starts with it, or ``None``.

    Between the leading words only options may appear (``docker compose -f x.yml build``,
    ``kubectl -n web set image``, ``gcloud beta run deploy``): an option without ``=`` is taken
    to carry the next word as its value unless that word is the next leading word.
    """
    if not words or not lead or words[0].lower() != lead[0].lower():
        return None
    i = 1
    for want in lead[1:]:
        while i < len(words) and words[i].lower() != want.lower():
            w = words[i]
            if w in _NOISE:
                i += 1
            elif w.startswith("-"):
                i += 1
                takes_value = "=" not in w and i < len(words) and not words[i].startswith("-")
                if takes_value and words[i].lower() != want.lower():
                    i += 1
            else:
                return None
        if i >= len(words):
            return None
        i += 1
    return words[i:]


def _has(words: tuple[str, ...], flag: str) -> bool:
    low = flag.lower()
    return any(w == flag or w.startswith(flag + "=") or low in w.lower() for w in words)
