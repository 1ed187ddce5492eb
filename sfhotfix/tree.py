"""Trees of files to read metadata from: a folder or a retrieve ``.zip`` (git revisions: gittree.py).

The resolver only lists paths and reads bytes, so every kind of source is one small class here.
Paths are relative and use ``/``.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Protocol

from .errors import UsageError


def blob_id(data: bytes) -> str:
    """The id git gives these bytes as a blob (SHA-1), so that any tree's files compare with a git tree's."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def fingerprint(tree: "FileTree", path: str) -> str:
    """A file's git blob id: free for a git revision, hashed from the bytes for any other tree."""
    known = getattr(tree, "fingerprint", None)
    return known(path) if known is not None else blob_id(tree.read(path))


class FileTree(Protocol):
    """What the resolver needs of a source of files."""

    label: str

    def files(self) -> list[str]: ...

    def read(self, path: str) -> bytes: ...


class FolderTree:
    """A folder on disk."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.label = str(root)
        if not self.root.is_dir():
            raise UsageError(f"{root}: no such folder")

    def files(self) -> list[str]:
        found = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            rel = os.path.relpath(dirpath, self.root)
            prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
            found.extend(prefix + name for name in sorted(filenames))
        return found

    def read(self, path: str) -> bytes:
        try:
            return (self.root / path).read_bytes()
        except OSError as exc:  # a broken symbolic link, a file without read permission, one removed meanwhile
            raise UsageError(f"{self.label}/{path}: cannot be read ({exc.strerror or exc})") from None

    def local_path(self, path: str) -> Path:
        """The file on disk, for copies that need not pass through memory."""
        return self.root / path


def safe_member_name(name: str, archive: str) -> str:
    """A zip entry's path, refused when it is absolute or climbs out of the folder it is extracted to."""
    posix = name.replace("\\", "/")
    parts = PurePosixPath(posix).parts
    if posix.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
        raise UsageError(f"{archive}: zip entry '{name}' escapes the output folder; refused")
    return posix


class ZipTree:
    """A metadata ``.zip`` such as a Metadata API retrieve returns; read in place, never extracted."""

    def __init__(self, path: Path, subfolder: str | None = None):
        self.label = str(path)
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise UsageError(f"{path}: not a zip file ({exc})") from None
        names = [safe_member_name(i.filename, self.label) for i in self._zip.infolist() if not i.is_dir()]
        self._names = dict(zip(names, (i.filename for i in self._zip.infolist() if not i.is_dir())))
        self._prefix = subfolder.strip("/") + "/" if subfolder else self._single_top_folder(names)

    @staticmethod
    def _single_top_folder(names: list[str]) -> str:
        """Retrieves wrap everything in one folder (``unpackaged/``); read below it."""
        tops = {n.split("/", 1)[0] for n in names}
        if len(tops) == 1 and all("/" in n for n in names):
            return tops.pop() + "/"
        return ""

    def files(self) -> list[str]:
        cut = len(self._prefix)
        return sorted(n[cut:] for n in self._names if n.startswith(self._prefix))

    def read(self, path: str) -> bytes:
        try:
            return self._zip.read(self._names[self._prefix + path])
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:  # a damaged entry (bad CRC, cut short)
            raise UsageError(f"{self.label}: entry '{self._prefix + path}' cannot be read ({exc})") from None


def open_tree(path: Path) -> FileTree:
    """A folder or a ``.zip`` by what ``path`` is; a clear error when it is neither."""
    path = Path(path)
    if path.is_dir():
        return FolderTree(path)
    if path.is_file():
        return ZipTree(path)
    if path.exists():  # a device, a socket, a pipe
        raise UsageError(f"{path}: neither a folder nor a .zip file")
    raise UsageError(f"{path}: no such file or folder")
