"""The repository's own settings, ``sfhotfix.toml`` at its root (every setting can also be a flag)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError

CONFIG_FILE = "sfhotfix.toml"


@dataclass(frozen=True)
class Config:
    """Settings read from sfhotfix.toml; see the README's Configuration section."""

    orgs: dict[str, str] = field(default_factory=dict)
    raw: dict = field(default_factory=dict)


def load_config(start: Path | None = None) -> Config:
    """sfhotfix.toml of the directory ``start`` (default: the current one) or its nearest parent holding one."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        path = folder / CONFIG_FILE
        if path.is_file():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise UsageError(f"{path}: {exc}") from None
            orgs = data.get("orgs", {})
            if not isinstance(orgs, dict) or not all(isinstance(v, str) for v in orgs.values()):
                raise UsageError(f"{path}: [orgs] maps names to sf CLI aliases or usernames (strings)")
            return Config(orgs=dict(orgs), raw=data)
    return Config()
