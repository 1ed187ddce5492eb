"""Writing results into a folder the user named, without ever deleting or overwriting by surprise."""

from __future__ import annotations

import os
import posixpath
import shutil
from pathlib import Path

from .errors import UsageError


def ensure_writable(out_dir: Path, force: bool) -> None:
    """Refuse a non-empty output folder unless ``--force`` (which overwrites, and still deletes nothing)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise UsageError(f"{out_dir}: output folder is not empty (use --force to write into it)")


def checked_relative(rel: str, out_dir: Path) -> str:
    """``rel`` normalised; refused when absolute or when it climbs out of the output folder."""
    normal = posixpath.normpath(rel.replace("\\", "/"))
    if normal.startswith(("/", "../")) or normal in ("..", ".") or ":" in normal.split("/", 1)[0]:
        raise UsageError(f"{rel}: path escapes the output folder {out_dir}; refused")
    return normal


def write_files(out_dir: Path, files: dict[str, bytes | Path]) -> list[str]:
    """Write every file below ``out_dir`` (bytes, or a file to copy); no path may climb out of it.

    Paths are handled as strings: tens of thousands of files are written, and pathlib's objects cost
    more than the writes themselves.
    """
    root = os.fspath(out_dir)
    targets = [os.path.join(root, checked_relative(rel, out_dir)) for rel in files]  # all checked first
    made: set[str] = set()
    for target, data in zip(targets, files.values()):
        folder = os.path.dirname(target)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        if isinstance(data, Path):
            try:
                shutil.copyfile(data, target)
            except OSError as exc:  # a broken symbolic link or an unreadable file copied, a full disk
                raise UsageError(f"{exc.filename or data}: cannot be copied ({exc.strerror or exc})") from None
        else:
            _write_bytes(target, data)
    return targets


def _write_bytes(target: str, data: bytes) -> None:
    """A file's bytes through the plain system calls: for many small files, no buffered file object."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
