"""Conversion between metadata-API format and source format, file for file as ``sf project convert``.

Each storage strategy has one small pair of functions: where its files go in the other format, and,
for the types Salesforce's converter splits or merges (decomposed objects and permission sets,
custom labels), how the XML is split or merged. Every other file is copied byte for byte, as the
converter copies it.
"""

from __future__ import annotations

import functools
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..collation import sort_key
from ..components import Component, ResolvedTree
from ..errors import UsageError
from ..registry import META_SUFFIX, MetadataType, Registry, data_dir
from ..tree import FileTree, safe_member_name
from . import fast_split, sdr_xml
from .manifest import build_manifest, manifest_members

SOURCE_ROOT = "main/default"
ZIP_CONTENT_TYPES = ("application/zip", "application/x-zip-compressed", "application/octet-stream")


@dataclass
class Output:
    """Files to write, by path relative to the output folder, in the order they were produced.

    A file copied unchanged from a folder is kept as its path, so that writing it is a kernel copy
    rather than a read and a write through Python (profiles of several megabytes are copied as they are).
    """

    files: dict[str, bytes | Path] = field(default_factory=dict)

    def add(self, path: str, data: bytes) -> None:
        self.files[path] = data

    def copy(self, path: str, tree: FileTree, source_path: str) -> None:
        local = tree.local_path(source_path) if hasattr(tree, "local_path") else None
        self.files[path] = local if local is not None else tree.read(source_path)

    def data(self, path: str) -> bytes:
        value = self.files[path]
        return value.read_bytes() if isinstance(value, Path) else value


def _type_relative(path: str, t: MetadataType) -> str:
    """The part of ``path`` from the type's directory on: ``force-app/main/default/classes/A.cls`` → ``classes/A.cls``."""
    parts = path.split("/")
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] == t.directory_name:
            rel = parts[index:]
            if t.folder_type and not t.in_folder:  # a territory model's folder, and the territories and rules in it
                return "/".join(parts[index - 2:] if t.folder_type != t.name and index >= 2 else rel)
            if not (t.in_folder or t.folder_content_type or t.strategy in ("bundle", "digitalExperience", "uiBundle", "mixedContent", "staticResource")):
                rel = [rel[0], rel[-1]]  # non-folder types are flat in metadata-API format
            return "/".join(rel)
    return f"{t.directory_name}/{parts[-1]}"


# ---------------------------------------------------------------- metadata-API → source


def to_source(resolved: ResolvedTree, tree: FileTree, registry: Registry) -> Output:
    """The source-format files (under ``main/default/``) of a metadata-API tree."""
    out = Output()
    for component in resolved.components:
        _component_to_source(component, tree, registry, out)
    return out


def _component_to_source(component: Component, tree: FileTree, registry: Registry, out: Output) -> None:
    t = component.type

    def below(path: str) -> str:
        """Where the converter places a file: below main/default as below its package folder (src/…)."""
        return f"{SOURCE_ROOT}/{component.in_package(path)}"

    if t.strategy == "decomposed" and component.xml:
        _decompose(component, tree.read(component.xml), tree.label, registry, out)
    elif t.transformer == "nonDecomposed" and component.xml:
        data = tree.read(component.xml)
        quick = fast_split.rewrite(data, t)
        if quick is None:
            quick = sdr_xml.build(_entries_only(sdr_xml.parse(data, f"{tree.label}/{component.xml}"), t, registry))
        out.add(below(component.xml) + META_SUFFIX, quick)
    elif t.strategy == "staticResource":
        _static_resource_to_source(component, tree, out)
    elif t.strategy == "mixedContent" and t.in_folder:
        for path in component.content:
            out.copy(below(path), tree, path)
        if component.xml:
            stem = component.xml[: -len(META_SUFFIX)]
            base = stem.rsplit(".", 1)[0] if "." in stem.rsplit("/", 1)[-1] else stem
            out.copy(below(f"{base}.{t.suffix}{META_SUFFIX}"), tree, component.xml)
    elif t.folder_content_type and component.xml:
        stem = component.xml[: -len(META_SUFFIX)]
        out.copy(below(f"{stem}.{t.suffix}{META_SUFFIX}"), tree, component.xml)
    elif t.has_content_file or t.strategy in ("bundle", "digitalExperience", "uiBundle", "mixedContent"):
        for path in component.files_with_children:  # a site's content is copied as the site is
            out.copy(below(path), tree, path)
    else:
        for path in component.files:
            target = path if path.endswith(META_SUFFIX) else path + META_SUFFIX
            out.copy(below(target), tree, path)


def _entries_only(obj: dict, t: MetadataType, registry: Registry) -> dict:
    """A custom labels file as the converter rebuilds it in source format: the namespace and the labels, in
    their order; what sits between them (NPSP's comments naming label prefixes) is not kept."""
    body = obj.get(t.name)
    elements = {c.xml_element or c.directory_name for c in registry.children_of(t)}
    entries = {key: value for key, value in body.items() if key in elements} if isinstance(body, dict) else {}
    return {t.name: {"@_xmlns": sdr_xml.NS_URL, **entries}}


def _decompose(component: Component, data: bytes, label: str, registry: Registry, out: Output) -> None:
    t = component.type
    folder = f"{SOURCE_ROOT}/{t.directory_name}/{component.full_name}"
    quick = fast_split.split(data, t, component.full_name, registry, folder)
    if quick is not None:
        out.files.update(quick)
        return
    obj = sdr_xml.parse(data, f"{label}/{component.xml}")
    content = obj.get(t.name)
    if not isinstance(content, dict):
        content = {}
    parent: dict = {"@_xmlns": sdr_xml.NS_URL}
    children: list[tuple[str, bytes]] = []
    for key, value in content.items():
        child_type = None if key[0] in "@#" else registry.child_by_element(t, key)
        if child_type is None:
            parent[key] = value
            continue
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, dict):
                continue
            name = sdr_xml.unique_id(item, child_type.unique_id_elements())
            if name is None:
                raise UsageError(f"{label}/{component.xml}: a <{key}> entry has no name")
            sub = f"{child_type.directory_name}/" if t.decomposition == "folderPerType" else ""
            child_xml = sdr_xml.build({child_type.name: {"@_xmlns": sdr_xml.NS_URL, **item}})
            children.append((f"{folder}/{sub}{name}.{child_type.suffix}{META_SUFFIX}", child_xml))
    for path, child_xml in children:
        out.add(path, child_xml)
    out.add(f"{folder}/{component.full_name}.{t.suffix}{META_SUFFIX}", sdr_xml.build({t.name: parent}))


def _static_resource_to_source(component: Component, tree: FileTree, out: Output) -> None:
    t = component.type
    meta = tree.read(component.xml) if component.xml else b""
    base = f"{SOURCE_ROOT}/{t.directory_name}/{component.full_name}"
    if component.xml:
        out.add(f"{base}.{t.suffix}{META_SUFFIX}", meta)
    content_type = _content_type(meta, component.xml or component.full_name, tree.label)
    for path in component.content:
        data = tree.read(path)
        if content_type in ZIP_CONTENT_TYPES and zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    if not info.is_dir():
                        name = safe_member_name(info.filename, f"{tree.label}/{path}")
                        out.add(f"{base}/{name}", archive.read(info))
        else:
            out.add(f"{base}{_extension(content_type)}", data)


def _content_type(meta: bytes, label: str, tree_label: str) -> str:
    if not meta:
        return "application/octet-stream"
    obj = sdr_xml.parse(meta, f"{tree_label}/{label}")
    body = next(iter(obj.values()))
    value = body.get("contentType") if isinstance(body, dict) else None
    return value if isinstance(value, str) else "application/octet-stream"


def _extension(content_type: str) -> str:
    """The extension Salesforce's converter gives a resource's file (metadata_types/content_types.json: the
    ``mime`` package's, where Python's mimetypes says .jpg for image/jpeg and .xsl for application/xml)."""
    bare = re.match(r"\s*([^;\s]*)", content_type).group(1).lower()  # type: ignore[union-attr]
    return "." + _content_extensions().get(bare, "bin")


@functools.cache
def _content_extensions() -> dict[str, str]:
    return json.loads((data_dir() / "content_types.json").read_text(encoding="utf-8"))["extensions"]


# ---------------------------------------------------------------- source → metadata-API


def to_mdapi(resolved: ResolvedTree, tree: FileTree, registry: Registry, api_version: str) -> Output:
    """The metadata-API files of a source-format tree, with its package.xml."""
    out = to_mdapi_files(resolved, tree, registry)
    out.add("package.xml", build_manifest(manifest_members(resolved.components, registry, tree), api_version))
    return out


def to_mdapi_files(resolved: ResolvedTree, tree: FileTree, registry: Registry) -> Output:
    """The metadata-API files of a source-format tree, without package.xml."""
    out = Output()
    merged: dict[str, list[Component]] = {}
    for component in resolved.components:
        t = component.type
        if t.strategy == "decomposed" or t.transformer in ("nonDecomposed", "decomposedLabels"):
            merged.setdefault(_merge_key(component), []).append(component)
        else:
            _component_to_mdapi(component, tree, out)
    for group in merged.values():
        _recompose(group, tree, registry, out)
    return out


def _merge_key(component: Component) -> str:
    t = component.type
    if t.transformer in ("nonDecomposed", "decomposedLabels"):
        return "CustomLabels"  # every label file of a project recomposes into labels/CustomLabels.labels
    return f"{t.name}:{component.full_name}"


def _component_to_mdapi(component: Component, tree: FileTree, out: Output) -> None:
    t = component.type
    if t.folder_content_type and component.xml:
        rel = _type_relative(component.xml, t)
        out.copy(rel[: -len(f".{t.suffix}{META_SUFFIX}")] + META_SUFFIX, tree, component.xml)
    elif t.strategy == "staticResource":
        _static_resource_to_mdapi(component, tree, out)
    elif t.strategy == "mixedContent" and t.in_folder:
        for path in component.content:
            out.copy(_type_relative(path, t), tree, path)
        if component.xml:
            content_name = PurePosixPath(component.content[0]).name if component.content else component.full_name
            folder = _type_relative(component.xml, t).rsplit("/", 1)[0]
            out.copy(f"{folder}/{content_name}{META_SUFFIX}", tree, component.xml)
    elif t.has_content_file or t.strategy in ("bundle", "digitalExperience", "uiBundle", "mixedContent"):
        for path in component.files_with_children:  # a site's content is copied as the site is
            out.copy(_type_relative(path, t), tree, path)
    else:
        for path in component.files:
            rel = _type_relative(path, t)
            out.copy(rel[: -len(META_SUFFIX)] if rel.endswith(META_SUFFIX) else rel, tree, path)


def _static_resource_to_mdapi(component: Component, tree: FileTree, out: Output) -> None:
    t = component.type
    base = f"{t.directory_name}/{component.full_name}"
    if component.xml:
        out.copy(f"{base}.{t.suffix}{META_SUFFIX}", tree, component.xml)
    inside = [p for p in component.content if f"/{component.full_name}/" in p]
    if inside:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(inside):
                name = path.split(f"/{component.full_name}/", 1)[1]
                archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), tree.read(path))
        out.add(f"{base}.{t.suffix}", buffer.getvalue())
    else:
        for path in component.content:
            out.copy(f"{base}.{t.suffix}", tree, path)


def _recompose(group: list[Component], tree: FileTree, registry: Registry, out: Output) -> None:
    """Merge a parent and its child files into one metadata-API file, in the converter's order."""
    first = group[0]
    labels = first.type.transformer in ("nonDecomposed", "decomposedLabels")
    t = registry.get("CustomLabels") if labels else first.type
    parent_content: dict = {}
    children: list[tuple[MetadataType, dict]] = []
    for component in group:
        if labels:
            children.extend(_label_entries(component, tree, registry))
            continue
        if component.xml:
            parent_content = _unwrap(component.xml, tree, t.name)
        for child in component.children:
            if child.xml:
                children.append((child.type, _unwrap(child.xml, tree, child.type.name)))
    groups: dict[str, list[dict]] = {}
    for child_type, content in children:
        groups.setdefault(child_type.xml_element or child_type.directory_name, []).append(
            (sort_key(sdr_xml.unique_id(content, child_type.unique_id_elements()) or ""), content)
        )
    body: dict = {"@_xmlns": sdr_xml.NS_URL}
    if t.recomposition != "startEmpty":
        body.update(parent_content)
    for name in sorted(groups):
        body[name] = [content for _, content in sorted(groups[name], key=lambda pair: pair[0])]
    full_name = "CustomLabels" if labels else first.full_name
    out.add(f"{t.directory_name}/{full_name}.{t.suffix}", sdr_xml.build({t.name: body}))


def _unwrap(path: str, tree: FileTree, type_name: str) -> dict:
    obj = sdr_xml.parse(tree.read(path), f"{tree.label}/{path}")
    content = obj.get(type_name, obj)
    if not isinstance(content, dict):
        return {}
    return {k: v for k, v in content.items() if k != "@_xmlns"}


def _label_entries(component: Component, tree: FileTree, registry: Registry) -> list[tuple[MetadataType, dict]]:
    label_type = registry.get("CustomLabel")
    if not component.xml:
        return []
    content = _unwrap(component.xml, tree, component.type.name)
    if component.type.name == "CustomLabel":
        return [(label_type, content)]
    labels = content.get("labels", [])
    return [(label_type, item) for item in (labels if isinstance(labels, list) else [labels]) if isinstance(item, dict)]
