"""A set of metadata-API-format files and the components they hold.

Why: both the emulated org and every deployed zip are "files in metadata-API layout"; the org answers
retrieve/listMetadata from them and a deploy is checked and applied from them. One small resolver serves
both: file → (type, fullName) by directory and suffix (folders, ``-meta.xml`` companions, bundles, settings),
plus the child components inside a parent's file (CustomField in ``objects/X.object``, CustomLabel in
``labels/CustomLabels.labels``), located with their element so they can be cut out or merged in.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import unquote

from lxml import etree

from . import sfxml
from .registry import BUNDLE_STRATEGIES, MIXED_STRATEGIES, ChildType, TypeInfo, TypeTable

ROOT_FILES = {"package.xml", "destructiveChanges.xml", "destructiveChangesPre.xml", "destructiveChangesPost.xml"}


@dataclass(frozen=True)
class Component:
    """One component: a top-level one owns files; a child one lives in its parent's main file."""

    type: str
    full_name: str
    files: tuple[str, ...]
    main_file: str  # FileProperties.fileName / DeployMessage.fileName (without package prefix)
    parent: Component | None = None
    child_type: ChildType | None = field(default=None, compare=False)
    child_key: str | None = None  # the child's own name inside the parent file

    @property
    def key(self) -> tuple[str, str]:
        return (self.type, self.full_name)


def _classify(path: str, dirs: set[str], types: TypeTable) -> tuple[TypeInfo, str] | None:
    """The (type, raw name) a file belongs to, or None when no type claims it."""
    if "/" not in path:
        return None
    directory, rest = path.split("/", 1)
    candidates = types.by_dir.get(directory)
    if not candidates:
        return None
    bundles = [t for t in candidates if t.strategy in BUNDLE_STRATEGIES]
    if bundles and "/" in rest:
        return bundles[0], rest.split("/", 1)[0]
    is_meta = rest.endswith("-meta.xml")
    base = rest[: -len("-meta.xml")] if is_meta else rest
    last = base.rsplit("/", 1)[-1]
    folders = [t for t in candidates if t.is_folder and not t.alias_for]
    if is_meta and folders and "." not in last and ("/" not in base or f"{directory}/{base}" in dirs):
        return folders[0], base
    if directory == "settings" and "." in last:
        stem = last.rsplit(".", 1)[0]
        return types.types.get(f"{stem}Settings") or types.types.get("Settings") or candidates[0], base.rsplit(".", 1)[0]
    for t in candidates:
        if not t.is_folder and t.suffix and last.endswith("." + t.suffix):
            return t, base[: -len(t.suffix) - 1]
    mixed = [t for t in candidates if t.strategy in MIXED_STRATEGIES]
    if mixed:
        t = mixed[0]
        if t.suffix and base.endswith("." + t.suffix):
            return t, base[: -len(t.suffix) - 1]
        return t, base  # Document: the fullName keeps the file's own extension
    return None


class FileSet:
    """Files (relative posix path → bytes) in metadata-API layout, with their components."""

    def __init__(self, files: dict[str, bytes], types: TypeTable):
        self.types = types
        self.files: dict[str, bytes] = dict(files)
        self._lock = threading.RLock()
        self._index: dict[tuple[str, str], Component] | None = None
        self._unclaimed: list[str] = []
        self._parsed: dict[str, tuple[bytes, etree._Element]] = {}

    # ---- top-level components -------------------------------------------------------------------------
    def _invalidate(self) -> None:
        self._index = None

    def components(self) -> dict[tuple[str, str], Component]:
        """Top-level components (folders included) by (type, fullName)."""
        with self._lock:
            if self._index is None:
                self._index, self._unclaimed = self._resolve()
            return self._index

    def unclaimed(self) -> list[str]:
        self.components()
        return list(self._unclaimed)

    def _resolve(self) -> tuple[dict[tuple[str, str], Component], list[str]]:
        dirs: set[str] = set()
        for path in self.files:
            parts = path.split("/")
            for i in range(1, len(parts)):
                dirs.add("/".join(parts[:i]))
        grouped: dict[tuple[str, str], list[str]] = {}
        owners: dict[tuple[str, str], TypeInfo] = {}
        unclaimed = []
        for path in sorted(self.files):
            if path in ROOT_FILES:
                continue
            found = _classify(path, dirs, self.types)
            if found is None:
                unclaimed.append(path)
                continue
            info, raw = found
            key = (info.name, unquote(raw))
            grouped.setdefault(key, []).append(path)
            owners[key] = info
        index = {}
        for key, paths in grouped.items():
            info = owners[key]
            index[key] = Component(info.name, key[1], tuple(paths), self._main_file(info, paths))
        return index, unclaimed

    @staticmethod
    def _main_file(info: TypeInfo, paths: list[str]) -> str:
        if info.strategy in BUNDLE_STRATEGIES:
            first = paths[0].split("/")
            return "/".join(first[:2])
        content = [p for p in paths if not p.endswith("-meta.xml")]
        if content:
            return content[0]
        return paths[0][: -len("-meta.xml")]

    def of_type(self, type_name: str) -> list[Component]:
        return sorted((c for c in self.components().values() if c.type == type_name), key=lambda c: c.full_name)

    # ---- parsing ---------------------------------------------------------------------------------------
    def parsed(self, path: str) -> etree._Element:
        """The parsed XML of a file (cached per content); raises sfxml.XmlError."""
        with self._lock:
            data = self.files[path]
            cached = self._parsed.get(path)
            if cached is not None and cached[0] is data:
                return cached[1]
            root = sfxml.parse(data)
            self._parsed[path] = (data, root)
            return root

    # ---- child components ------------------------------------------------------------------------------
    def children(self, parent: Component) -> list[tuple[Component, etree._Element]]:
        """The child components inside a parent's file, each with its element; [] if the file is malformed."""
        info = self.types.top(parent.type)
        if info is None or not info.children:
            return []
        try:
            root = self.parsed(parent.main_file)
        except (sfxml.XmlError, KeyError):
            return []
        by_element = {c.xml_element: c for c in info.children}
        found = []
        for el in sfxml.elements(root):
            child_type = by_element.get(sfxml.local(el))
            if child_type is None:
                continue
            key = sfxml.child_key(el, child_type.key)
            if not key:
                continue
            full = key if child_type.ignore_parent_name else f"{parent.full_name}.{key}"
            comp = Component(
                child_type.name, full, (parent.main_file,), parent.main_file, parent, child_type, key
            )
            found.append((comp, el))
        return found

    def children_of_type(self, child_type: str) -> list[Component]:
        spec = self.types.children.get(child_type)
        if spec is None:
            return []
        out = []
        for parent in self.of_type(spec.parent):
            out.extend(c for c, _ in self.children(parent) if c.type == child_type)
        return sorted(out, key=lambda c: c.full_name)

    def lookup(self, type_name: str, full_name: str) -> Component | None:
        """A top-level or child component by type and fullName."""
        comp = self.components().get((type_name, full_name))
        if comp is not None:
            return comp
        spec = self.types.children.get(type_name)
        if spec is None:
            return None
        if spec.ignore_parent_name:
            parents = self.of_type(spec.parent)
        else:
            parent_name, _, _ = full_name.rpartition(".")
            parent = self.components().get((spec.parent, parent_name))
            parents = [parent] if parent else []
        for parent in parents:
            for comp, _ in self.children(parent):
                if comp.type == type_name and comp.full_name == full_name:
                    return comp
        return None

    def element_of(self, comp: Component) -> etree._Element | None:
        """The element of a child component inside its parent's parsed file."""
        if comp.parent is None:
            return None
        for other, el in self.children(comp.parent):
            if other.key == comp.key:
                return el
        return None

    def partial_parent(self, parent: Component, wanted: list[Component]) -> bytes:
        """The parent's file holding only the ``wanted`` children (what retrieving only children returns)."""
        root = self.parsed(parent.main_file)
        keys = {c.key for c in wanted}
        out = sfxml.new_root_like(root)
        for comp, el in self.children(parent):
            if comp.key in keys:
                out.append(_copy(el))
        return sfxml.serialize(out)


def _copy(el: etree._Element) -> etree._Element:
    from copy import deepcopy

    clone = deepcopy(el)
    clone.tail = None
    return clone
