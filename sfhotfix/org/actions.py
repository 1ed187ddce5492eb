"""The org commands: retrieve into a folder, validate (check-only deploy), deploy and quick deploy."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from ..errors import UsageError
from ..formats.convert import to_source
from ..formats.manifest import build_manifest, manifest_members, read_manifest
from ..output import ensure_writable, write_files
from ..project import load_project
from ..registry import load_registry
from ..resolve import resolve
from ..tree import FolderTree
from . import connect
from .deploy import deploy_zip, wait_for_deploy
from .metadata import DeployStatus, MetadataApi
from .retrieve import Polling, RetrieveOutcome, retrieve
from .tracking import changed_components, tracking_request


def requested_members(types: list[str] | None, manifest: Path | None) -> dict[str, list[str]] | None:
    """The members a manifest names, or None for every component of ``types`` (listed from the org later); read
    and checked before the org is reached, so that a bad manifest or type name needs no login to be told."""
    if manifest is not None:
        if not manifest.is_file():
            raise UsageError(f"{manifest}: no such manifest")
        members, _ = read_manifest(manifest.read_bytes(), str(manifest))
        return members
    if not types:
        raise UsageError("name what to retrieve: --types T,… or --manifest package.xml")
    registry = load_registry()
    for name in types:
        registry.get(name)  # a clear error for an unknown type
    return None


def listed_members(api: MetadataApi, types: list[str]) -> dict[str, list[str]]:
    """Every component of ``types`` the org lists."""
    members: dict[str, list[str]] = {}
    for props in api.list_metadata(types):
        members.setdefault(props.type, []).append(props.full_name)
    return members


@dataclass
class RetrieveReport:
    output_dir: Path
    files: int
    chunks: int
    warnings: list[str]
    seconds: float

    def as_json(self) -> dict:
        return {"outputDir": str(self.output_dir), "files": self.files, "chunks": self.chunks,
                "warnings": self.warnings, "seconds": round(self.seconds, 3)}


def changed_members(api: MetadataApi, since: datetime,
                    types: list[str] | None) -> tuple[dict[str, list[str]], list[str]]:
    """The members source tracking says changed since ``since`` (of ``types``), and warnings for the
    deleted ones and those of types sfhotfix does not know, which are not retrieved."""
    registry = load_registry()
    members: dict[str, list[str]] = {}
    warnings = []
    for change in changed_components(api, since=since, types=types):
        if change.deleted:
            warnings.append(f"{change.selector}: deleted in the org (source tracking); not retrieved")
        elif registry.find(change.type) is None:
            warnings.append(f"{change.selector}: not a metadata type sfhotfix knows; not retrieved")
        else:
            members.setdefault(change.type, []).append(change.full_name)
    return members, warnings


def retrieve_to_folder(target_org: str | None, types: list[str] | None, manifest: Path | None, output_dir: Path,
                       fmt: str, project_dir: Path | None, parallel: int, force: bool,
                       polling: Polling = Polling(),
                       progress: Callable[[str, int, int], None] | None = None,
                       changed_since: str | None = None) -> RetrieveReport:
    """Retrieve from the org into ``output_dir`` in metadata-API or source format; nothing written on failure.

    With ``changed_since``, only what the org's source tracking says changed since then (of ``types``)."""
    ensure_writable(output_dir, force)
    if changed_since and manifest is not None:
        raise UsageError("--changed-since goes with --types or alone, not with --manifest")
    moment = tracking_request(changed_since, types) if changed_since else None
    requested = None if changed_since else requested_members(types, manifest)
    project = load_project(project_dir)
    registry = load_registry(project.presets)
    api = connect(target_org)
    notes: list[str] = []
    if moment is not None:
        members, notes = changed_members(api, moment, types)
        if not members:
            return RetrieveReport(output_dir, 0, 0, notes + [f"nothing changed in {api.client.name} since "
                                                             f"{changed_since} to retrieve"], 0.0)
    else:
        members = requested if requested is not None else listed_members(api, types or [])
    with tempfile.TemporaryDirectory(prefix="sfhotfix-retrieve-") as work:
        outcome = retrieve(api, members, registry, Path(work), parallel=parallel, polling=polling, progress=progress)
        files = _output_files(outcome, fmt, registry, api.client.api_version)
        written = write_files(output_dir, files)
    return RetrieveReport(output_dir, len(written), len(outcome.chunks), notes + outcome.warnings, outcome.seconds)


def _output_files(outcome: RetrieveOutcome, fmt: str, registry, api_version: str) -> dict[str, bytes | Path]:
    """The files written into the output folder: the converter's, or the retrieved ones copied with one
    package.xml for all the chunks (each chunk's own manifest names only its members)."""
    tree = FolderTree(outcome.folder)
    resolved = resolve(tree, registry, "mdapi", with_children=fmt == "mdapi")
    if fmt == "mdapi":
        files: dict[str, bytes | Path] = {path: tree.local_path(path) for path in tree.files()}  # not read into memory
        files["package.xml"] = build_manifest(manifest_members(resolved.components, registry, tree), api_version)
        return files
    return to_source(resolved, tree, registry).files


def validate(target_org: str | None, src: Path, test_level: str | None, tests: list[str],
             project_dir: Path | None, polling: Polling = Polling(),
             progress: Callable[[DeployStatus], None] | None = None) -> DeployStatus:
    """A check-only deploy of ``src``: nothing changes in the org; its id can be quick-deployed later."""
    return _deploy(target_org, src, True, test_level, tests, project_dir, polling, progress)


_DEPLOY_ID = re.compile(r"0Af[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?")  # a DeployRequest's id, 15 or 18 characters


def deploy(target_org: str | None, src: Path | None, validated_id: str | None, test_level: str | None,
           tests: list[str], project_dir: Path | None, polling: Polling = Polling(),
           progress: Callable[[DeployStatus], None] | None = None) -> DeployStatus:
    """Deploy ``src``, or quick-deploy a validation that succeeded with its tests (``validated_id``)."""
    if (src is None) == (validated_id is None):
        raise UsageError("deploy needs either SRC or --validated-id, not both")
    if validated_id is not None:
        if not _DEPLOY_ID.fullmatch(validated_id):
            raise UsageError(f"--validated-id {validated_id}: not a deployment id (0Af and 12 or 15 letters and digits)")
        api = connect(target_org)
        return wait_for_deploy(api, api.deploy_recent_validation(validated_id), polling, progress)
    return _deploy(target_org, src, False, test_level, tests, project_dir, polling, progress)


def _deploy(target_org: str | None, src: Path | None, check_only: bool, test_level: str | None, tests: list[str],
            project_dir: Path | None, polling: Polling, progress) -> DeployStatus:
    assert src is not None
    if not src.exists():
        raise UsageError(f"{src}: no such file or folder")
    data = deploy_zip(src, project_dir)
    api = connect(target_org)
    deploy_id = api.deploy(data, check_only=check_only, test_level=test_level, run_tests=tests)
    return wait_for_deploy(api, deploy_id, polling, progress)
