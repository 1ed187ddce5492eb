"""``.forceignore``: the files Salesforce's tools leave out, with gitignore semantics (pathspec)."""

from __future__ import annotations

from pathlib import Path

# what Salesforce's converter ignores even without a .forceignore
DEFAULT_PATTERNS = ("**/*.dup", "**/.*", "**/package2-descriptor.json", "**/package2-manifest.json")
_PACKAGE2_FILES = ("package2-descriptor.json", "package2-manifest.json")


def _default_denies(part: str) -> bool:
    """Whether one path segment (a folder or the file) matches one of the default patterns."""
    return part.startswith(".") or part.endswith(".dup") or part in _PACKAGE2_FILES


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
            return cls((Path(directory) / ".forceignore").read_text(encoding="utf-8").splitlines())
        return cls()

    def denies(self, path: str) -> bool:
        if self._spec is not None:
            return self._spec.match_file(path)
        folder, _, name = path.rpartition("/")
        denied = self._folders.get(folder)
        if denied is None:
            denied = self._folders[folder] = any(map(_default_denies, folder.split("/")))
        return denied or _default_denies(name)
