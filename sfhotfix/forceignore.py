"""``.forceignore``: the files Salesforce's tools leave out, with gitignore semantics (pathspec)."""

from __future__ import annotations

from pathlib import Path

import pathspec

# what Salesforce's converter ignores even without a .forceignore
DEFAULT_PATTERNS = ("**/*.dup", "**/.*", "**/package2-descriptor.json", "**/package2-manifest.json")
_PACKAGE2_FILES = ("package2-descriptor.json", "package2-manifest.json")


class ForceIgnore:
    """Answers whether a path (relative, posix) is ignored."""

    def __init__(self, lines: list[str] | tuple[str, ...] = ()):
        patterns = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
        # the defaults alone are answered by string tests: matching every path of a large tree with
        # pathspec costs more than resolving it
        self._spec = pathspec.GitIgnoreSpec.from_lines([*DEFAULT_PATTERNS, *patterns]) if patterns else None

    @classmethod
    def from_directory(cls, directory: Path | None) -> "ForceIgnore":
        if directory is not None and (Path(directory) / ".forceignore").is_file():
            return cls((Path(directory) / ".forceignore").read_text(encoding="utf-8").splitlines())
        return cls()

    def denies(self, path: str) -> bool:
        if self._spec is not None:
            return self._spec.match_file(path)
        return any(part.startswith(".") or part.endswith(".dup") or part in _PACKAGE2_FILES
                   for part in path.split("/"))
