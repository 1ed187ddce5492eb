"""Deploying and validating: the zip built from a folder in either format, polled to a structured result."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Callable

from ..errors import SfhotfixError
from ..formats.convert import to_mdapi
from ..formats.manifest import build_manifest, manifest_members
from ..sources import open_source
from .metadata import DeployStatus, MetadataApi
from .retrieve import Polling

FINAL_STATES = ("Succeeded", "SucceededPartial", "Failed", "Canceled")


class DeployTimeout(SfhotfixError):
    """Polling gave up; the deployment may still be running in the org (its id is in the message)."""

    exit_code = 4


def deploy_zip(path: Path, project_dir: Path | None = None) -> bytes:
    """The metadata-API zip of a folder or zip in either format, with its package.xml."""
    return zip_files(deploy_files(path, project_dir))


def deploy_files(path: Path, project_dir: Path | None = None) -> dict[str, bytes]:
    """The metadata-API files of a folder or zip in either format, with a package.xml of its components."""
    source = open_source(path, project_dir)
    if source.resolved.format == "source":
        output = to_mdapi(source.resolved, source.tree, source.registry, source.project.source_api_version)
        return {name: output.data(name) for name in output.files}
    files = {c.in_package(p): source.tree.read(p) for c in source.resolved.components for p in c.files}
    files["package.xml"] = build_manifest(manifest_members(source.resolved.components, source.registry,
                                                           source.tree), source.project.source_api_version)
    return files


def zip_files(files: dict[str, bytes]) -> bytes:
    """A deploy zip: the files at their paths, in name order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(name, files[name])
    return buffer.getvalue()


def wait_for_deploy(api: MetadataApi, deploy_id: str, polling: Polling = Polling(),
                    progress: Callable[[DeployStatus], None] | None = None) -> DeployStatus:
    """Poll until the deployment is final; the last status, with details."""
    deadline = time.monotonic() + polling.timeout
    interval = polling.first
    while True:
        if time.monotonic() + interval > deadline:
            raise DeployTimeout(f"deployment {deploy_id} not finished within {polling.timeout:.0f} s; "
                                "it may still be running in the org")
        polling.sleep(interval)
        status = api.check_deploy_status(deploy_id, include_details=True)
        if progress:
            progress(status)
        if status.done or status.status in FINAL_STATES:
            return status
        interval = min(interval * polling.factor, polling.cap)
