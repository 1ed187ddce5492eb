"""Writing results into a folder the user named, without ever deleting or overwriting by surprise."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import UsageError


def ensure_writable(out_dir: Path, force: bool) -> None:
    """Refuse a non-empty output folder unless ``--force`` (which overwrites, and still deletes nothing)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise UsageError(f"{out_dir}: output folder is not empty (use --force to write into it)")


def write_files(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    """Write every file below ``out_dir``; paths were checked not to climb out of it."""
    root = out_dir.resolve()
    targets = []
    for rel in files:  # check every path before writing any, so a refusal leaves nothing behind
        target = (root / rel).resolve()
        if root not in target.parents:
            raise UsageError(f"{rel}: path escapes the output folder {out_dir}; refused")
        targets.append(target)
    made: set[Path] = set()
    for target, data in zip(targets, files.values()):
        if target.parent not in made:
            os.makedirs(target.parent, exist_ok=True)
            made.add(target.parent)
        target.write_bytes(data)
    return targets
