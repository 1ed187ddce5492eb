"""The SFDX project a conversion or commit works in: package directories, API version, presets."""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError
from .textfile import read_text

PROJECT_FILE = "sfdx-project.json"
# the API version written to package.xml when sfdx-project.json names none: the WSDL simple-salesforce ships
DEFAULT_API_VERSION = "63.0"


@dataclass(frozen=True)
class SfdxProject:
    """What sfdx-project.json says, with the defaults Salesforce's tools apply."""

    root: Path | None
    package_directories: tuple[str, ...] = ("force-app",)
    default_directory: str = "force-app"
    source_api_version: str = DEFAULT_API_VERSION
    presets: tuple[str, ...] = ()

    @classmethod
    def parse(cls, data: dict, root: Path | None, source: str) -> "SfdxProject":
        try:
            entries = [(_package_path(d["path"], source), bool(d.get("default")))
                       for d in data.get("packageDirectories", [])]
        except (TypeError, KeyError, AttributeError):
            raise UsageError(f"{source}: every packageDirectories entry needs a 'path'") from None
        dirs = [path for path, _ in entries]
        default = next((path for path, is_default in entries if is_default), dirs[0] if dirs else "force-app")
        presets = tuple(data.get("sourceBehaviorOptions") or data.get("registryPresets") or ())
        version = str(data.get("sourceApiVersion") or DEFAULT_API_VERSION)
        return cls(root, tuple(dirs) or ("force-app",), default, version, presets)


def _package_path(path: str, source: str) -> str:
    """A package directory as a path below the project, the way the sf CLI resolves it: ``./force-app/`` and
    ``force-app`` are one folder (``.``, the project itself, is ""); one outside the project is refused."""
    normal = posixpath.normpath(path.replace("\\", "/"))
    if normal == ".." or normal.startswith(("../", "/")):
        raise UsageError(f"{source}: package directory '{path}' is outside the project")
    return "" if normal == "." else normal


def load_project(directory: Path | None) -> SfdxProject:
    """The project whose sfdx-project.json is in ``directory`` (defaults when there is none)."""
    if directory is None:
        return SfdxProject(root=None)
    path = Path(directory) / PROJECT_FILE
    if not path.exists():
        return SfdxProject(root=Path(directory))
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: malformed JSON: {exc.msg}") from None
    return SfdxProject.parse(data, Path(directory), str(path))
