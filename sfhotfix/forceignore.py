"""``.forceignore``: the files Salesforce's tools leave out, with gitignore semantics (pathspec)."""

from __future__ import annotations

from pathlib import Path

# what Salesforce's converter ignores even without a .forceignore
DEFAULT_PATTERNS = ("**/*.dup", "**/.*", "**/package2-descriptor.json", "**/package2-manifest.json")
_PACKAGE2_FILES = ("package2-descriptor.json", "package2-manifest.json")


def _default_denies(part: str) -> bool:
    """Whether one path segment (a folder or the file) matches one of the default patterns."""
    return part.startswith(".") or part.endswith(".dup") or part in _PACKAGE2_FILES


def ignore_lines(data: bytes) -> list[str]:
    """An ignore file's lines as the sf CLI reads them: UTF-8, a byte order mark dropped, a byte that is not
    UTF-8 replaced rather than refused (.forceignore, and sfdx-git-delta's ignore and include files)."""
    return data.decode("utf-8-sig", "replace").splitlines()


class ForceIgnore:
    """Answers whether a path (relative, posix) is ignored."""

    def __init__(self, lines: list[str] | tuple[str, ...] = ()):
        patterns = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
        # the defaults alone are answered by string tests, each folder once: matching every path of a large
        # tree with pathspec costs more than resolving it (and importing pathspec costs 20 ms)
        self._spec = None
        if patterns:
            import pathspec

            self._spec = pathspec.GitIgnoreSpec.from_lines([*DEFAULT_PATTERNS, *patterns])
        self._folders: dict[str, bool] = {"": False}

    @classmethod
    def from_directory(cls, directory: Path | None) -> "ForceIgnore":
        if directory is not None and (Path(directory) / ".forceignore").is_file():
            return cls(ignore_lines((Path(directory) / ".forceignore").read_bytes()))
        return cls()

    def kept(self, paths: list[str]) -> list[str]:
        """The paths not ignored, in order: ``denies`` for a whole listing, with less work per path."""
        if self._spec is not None:
            match = self._spec.match_file
            return [path for path in paths if not match(path)]
        folders = self._folders
        kept = []
        for path in paths:
            folder, _, name = path.rpartition("/")
            denied = folders.get(folder)
            if denied is None:
                denied = self._folder_denied(folder)
            if not denied and not _default_denies(name):
                kept.append(path)
        return kept

    def denies(self, path: str) -> bool:
        if self._spec is not None:
            return self._spec.match_file(path)
        folder, _, name = path.rpartition("/")
        denied = self._folders.get(folder)
        if denied is None:
            denied = self._folder_denied(folder)
        return denied or _default_denies(name)

    def _folder_denied(self, folder: str) -> bool:
        """Whether a default pattern matches one of the folders above a file (everything below is ignored)."""
        denied = self._folders[folder] = any(map(_default_denies, folder.split("/")))
        return denied
