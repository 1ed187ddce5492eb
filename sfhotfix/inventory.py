"""What a tree holds: the type list, the components of a path, its package.xml, conversions."""

from __future__ import annotations

from pathlib import Path

from .components import Component
from .formats.convert import to_mdapi_files, to_source
from .formats.manifest import build_manifest, manifest_members
from .formats.parallel import convert_into
from .output import ensure_writable
from .registry import MetadataType, load_registry
from .sources import open_source


def type_rows() -> list[dict]:
    """One row per top-level type, as ``sfhotfix types --json`` prints them."""
    registry = load_registry()
    return [_type_row(t) for t in registry.top_level()]


def _type_row(t: MetadataType) -> dict:
    return {
        "name": t.name,
        "directoryName": t.directory_name,
        "suffix": t.suffix,
        "inFolder": t.in_folder,
        "strategy": t.strategy,
        "children": list(t.children),
    }


def component_rows(path: Path, project_dir: Path | None) -> tuple[list[dict], list[str]]:
    """Components (children after their parent) of ``path``, and the files no type claims."""
    source = open_source(path, project_dir)
    rows = [_component_row(c) for c in source.resolved.all_components()]
    return rows, source.resolved.unknown


def _component_row(component: Component) -> dict:
    row = {"type": component.type.name, "fullName": component.full_name, "files": component.files}
    if component.parent is not None:
        row["parent"] = {"type": component.parent.type.name, "fullName": component.parent.full_name}
    return row


def manifest_for(path: Path, project_dir: Path | None, api_version: str | None) -> bytes:
    source = open_source(path, project_dir)
    members = manifest_members(source.resolved.components, source.registry, source.tree)
    return build_manifest(members, api_version or source.project.source_api_version)


def convert(src: Path, to: str, out_dir: Path, project_dir: Path, force: bool) -> tuple[int, list[str]]:
    """Convert ``src`` into ``out_dir``; returns the number of files written and the unknown files."""
    ensure_writable(out_dir, force)
    source = open_source(src, project_dir, with_children=to == "mdapi")
    registry = source.registry
    if to == "source":
        count = convert_into(source.resolved, source.tree, lambda r, t: to_source(r, t, registry), out_dir)
    else:
        def manifest() -> dict[str, bytes]:
            members = manifest_members(source.resolved.components, registry, source.tree)
            return {"package.xml": build_manifest(members, source.project.source_api_version)}

        count = convert_into(source.resolved, source.tree, lambda r, t: to_mdapi_files(r, t, registry), out_dir,
                             manifest)
    return count, source.resolved.unknown
