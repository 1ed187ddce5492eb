"""Write selected comparison rows into a working copy of the base branch, in the repository's own format.

Each row becomes the smallest edit that carries its meaning: a changed component's XML is synced
element by element inside the base file (everything else stays byte-identical), a changed content
file is replaced, a new component's files are written as Salesforce's converter would write them in
the repository's format, a child or subcomponent that lives inside a shared file (a field in a
metadata-API object, a label, a workflow alert, one field permission of a profile) is inserted,
updated or removed there alone, and a deleted component is removed and listed for destructive changes.
A metadata-API repository's package.xml gains the new members and loses the deleted ones, as a retrieve of
the branch would list them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from lxml import etree

from ..compare import Comparison
from ..compare.engine import Row
from ..compare.units import Unit, child_name, content_name, facts_of
from ..compare.xmldiff import entry_key, local
from ..components import Component, ResolvedTree
from ..errors import UsageError
from ..formats.convert import SOURCE_ROOT, to_mdapi, to_source
from ..formats.manifest import build_manifest, manifest_members, read_manifest
from ..registry import MetadataType
from ..sources import Source
from ..xmlio import XmlDocument, parse
from .xmlmerge import insert_entry, remove, sync


@dataclass
class RepoLayout:
    """Where metadata lives in the repository: source format under package directories, or a
    metadata-API folder (``root``, '' for the repository's top)."""

    format: str
    root: str
    default_directory: str = "force-app"

    def new_path(self, converted: str) -> str:
        """A path from the converter's output, placed in the repository."""
        if self.format == "source":
            return f"{self.default_directory}/{converted}" if self.default_directory else converted
        return f"{self.root}/{converted}" if self.root else converted


@dataclass
class Edits:
    """Files to write (bytes) or delete (None), by repository path; and what a deploy must delete."""

    files: dict[str, bytes | None] = field(default_factory=dict)
    destructive: list[tuple[str, str]] = field(default_factory=list)
    documents: dict[str, XmlDocument] = field(default_factory=dict)

    def finish(self) -> dict[str, bytes | None]:
        for path, document in self.documents.items():
            if path in self.files and self.files[path] is None:
                continue  # a component deleted whole takes the entries of its file with it
            self.files[path] = document.to_bytes()
        return self.files


class Applier:
    """Applies rows of one comparison (source → base) as edits of the base's files, read from the base tree."""

    def __init__(self, comparison: Comparison, layout: RepoLayout, base_prefix: str = ""):
        assert comparison.source is not None and comparison.target is not None
        self.c = comparison
        self.source: Source = comparison.source
        self.base: Source = comparison.target
        self.layout = layout
        self.base_prefix = base_prefix  # the base tree's path inside the repository
        self.edits = Edits()

    # -------------------------------------------------------------- helpers

    def repo_path(self, base_path: str) -> str:
        return f"{self.base_prefix}/{base_path}" if self.base_prefix else base_path

    def document(self, repo_path: str) -> XmlDocument:
        if repo_path not in self.edits.documents:
            base_path = repo_path[len(self.base_prefix) + 1:] if self.base_prefix else repo_path
            self.edits.documents[repo_path] = parse(self.base.tree.read(base_path), repo_path)
        return self.edits.documents[repo_path]

    def source_unit(self, key: tuple[str, str]) -> Unit | None:
        return self.c.source_units.get(key)

    def base_unit(self, key: tuple[str, str]) -> Unit | None:
        return self.c.target_units.get(key)

    # -------------------------------------------------------------- rows

    def apply(self, row: Row) -> None:
        if "/" in row.selector.split(":", 1)[1] and row.parent and row.type.count("."):
            self._apply_subcomponent(row)
        elif row.status == "new":
            self._apply_new(row)
        elif row.status == "changed":
            self._apply_changed(row)
        elif row.status == "deleted":
            self._apply_deleted(row)

    def _apply_changed(self, row: Row) -> None:
        s, t = self.source_unit((row.type, row.full_name)), self.base_unit((row.type, row.full_name))
        assert s is not None and t is not None
        if t.type is not None and t.type.strategy == "staticResource":
            self._replace(s, t)  # a zip in one format is a folder in the other: its files are written anew
            return
        if s.xml is not None and t.xml is not None:
            base_el = self._base_element(t)
            facts = facts_of(t.type)
            sync(base_el, s.xml, facts, skip=t.skip)
        self._apply_content(s, t)

    def _base_element(self, t: Unit) -> etree._Element:
        """The base unit's XML inside the document being edited (its file's root, or its entry)."""
        assert t.component is not None
        path = t.files[0] if t.in_file else t.component.xml
        assert path is not None
        root = self.document(self.repo_path(path)).root
        if not t.in_file:
            return root
        found = _find_child(root, t)
        if found is None:
            raise UsageError(f"{t.type_name}:{t.full_name}: not found in {path} on the base branch")
        return found

    def _replace(self, s: Unit, t: Unit) -> None:
        """The base's files of the unit removed, and the source's written as the converter writes them."""
        for path in t.files:
            self.edits.files[self.repo_path(path)] = None
        for path, data in self._converted_files(s).items():
            self.edits.files[self._new_path(s, path)] = data

    def _apply_content(self, s: Unit, t: Unit) -> None:
        base_paths = {self._content_name(p, t): p for p in (t.component.content if t.component else [])}
        for name in sorted(set(s.content) | set(base_paths)):
            if name in s.content:
                data = s.content[name]()
                target = base_paths.get(name) or self._new_content_path(t, name)
                self.edits.files[self.repo_path(target)] = data
            else:
                self.edits.files[self.repo_path(base_paths[name])] = None

    @staticmethod
    def _content_name(path: str, unit: Unit) -> str:
        assert unit.component is not None
        return content_name(unit.component, path)

    @staticmethod
    def _new_content_path(t: Unit, name: str) -> str:
        anchor = t.component.xml if t.component and t.component.xml else t.files[0]
        if t.type and t.type.strategy in ("bundle", "digitalExperience", "uiBundle"):
            assert t.component is not None  # the folder its content names are relative to
            return f"{anchor[: -len(content_name(t.component, anchor))].rstrip('/')}/{name}"
        return f"{PurePosixPath(anchor).parent}/{PurePosixPath(name).name}"

    def _apply_deleted(self, row: Row) -> None:
        t = self.base_unit((row.type, row.full_name))
        assert t is not None
        if t.in_file:
            remove(self._base_element(t))
        else:
            for path in t.files:
                self.edits.files[self.repo_path(path)] = None
        self.edits.destructive.append((row.type, row.full_name))

    def _apply_new(self, row: Row) -> None:
        s = self.source_unit((row.type, row.full_name))
        assert s is not None and s.component is not None and s.type is not None
        if self._lives_in_parent_file(s.type):
            self._insert_child(s)
            return
        for path, data in self._converted_files(s).items():
            self.edits.files[self._new_path(s, path)] = data

    def _new_path(self, s: Unit, converted: str) -> str:
        """Where a new file goes: a decomposed child beside its parent where the base has the parent (in
        whichever package directory holds it, as the converter merges a child into an existing parent);
        anything else where the layout puts new files."""
        parent = self.base_unit(s.parent) if s.parent is not None else None
        root = parent.component.package_root if parent is not None and parent.component is not None else ""
        prefix = f"{SOURCE_ROOT}/"
        if self.layout.format == "source" and root and converted.startswith(prefix):
            return f"{root}/{converted[len(prefix):]}"
        return self.layout.new_path(converted)

    def _lives_in_parent_file(self, t: MetadataType) -> bool:
        """Whether a child type's components sit inside the parent's file in this repository."""
        if t.parent is None or t.strategy == "digitalExperience":  # a site's content has files of its own
            return False
        parent = self.source.registry.get(t.parent)
        return self.layout.format == "mdapi" or parent.strategy != "decomposed"

    def _insert_child(self, s: Unit) -> None:
        assert s.parent is not None and s.type is not None and s.xml is not None
        parent = self.base_unit(s.parent)
        if parent is None or parent.component is None or parent.component.xml is None:
            raise UsageError(f"{s.type_name}:{s.full_name}: its parent {s.parent[0]}:{s.parent[1]} is not on the "
                             f"base branch; select the parent too")
        root = self.document(self.repo_path(self._file_for_new_entry(parent))).root
        element = s.type.xml_element or s.type.directory_name
        key = s.type.unique_id_elements()[:1]
        order = [etree.QName(c).localname for c in root if isinstance(c.tag, str)]
        insert_entry(root, element, s.xml, key, order)

    def _file_for_new_entry(self, parent: Unit) -> str:
        """The parent's file a new entry goes into: its own, or for custom labels kept in a file per package
        directory, the default package directory's, where the converter puts a new label."""
        assert parent.component is not None and parent.component.xml is not None
        first = parent.component.xml
        name, default = first.rsplit("/", 1)[-1], f"{self.layout.default_directory}/".lstrip("/")
        return next((p for p in parent.files if p.endswith(f"/{name}") and self.repo_path(p).startswith(default)),
                    first)

    def _converted_files(self, s: Unit) -> dict[str, bytes]:
        """The unit's files as the converter writes them in the repository's format."""
        component = s.component
        assert component is not None
        whole = component.parent or component
        resolved = ResolvedTree(self.source.resolved.format, [whole])
        tree = self.source.tree
        if self.source.resolved.format == self.layout.format:
            out = {_relative_to_package(p, whole, self.layout.format): tree.read(p) for p in whole.files_with_children}
        elif self.layout.format == "source":
            output = to_source(resolved, tree, self.source.registry)
            out = {name: output.data(name) for name in output.files}
        else:
            output = to_mdapi(resolved, tree, self.source.registry, self.source.project.source_api_version)
            out = {name: output.data(name) for name in output.files if name != "package.xml"}
        if component.parent is None:
            return out if self.layout.format == "mdapi" or not component.type.children else {
                p: d for p, d in out.items() if _is_parent_file(p, component)}
        if component.xml is None and component.content:  # a site's content (DigitalExperience): its own files
            own = {_relative_to_package(p, whole, self.layout.format) for p in component.files}
            return {p: d for p, d in out.items() if p in own}
        wanted = _child_file_name(component)
        return {p: d for p, d in out.items() if p.endswith("/" + wanted)}

    def _apply_subcomponent(self, row: Row) -> None:
        assert row.parent is not None
        parent_key = row.parent
        section = row.type.split(".", 1)[1]
        name = row.full_name
        t = self.base_unit(parent_key)
        s = self.source_unit(parent_key)
        if t is None or t.component is None or t.component.xml is None:
            raise UsageError(f"{row.selector}: {parent_key[0]}:{parent_key[1]} is not on the base branch; "
                             f"select {parent_key[0]}:{parent_key[1]} as a whole")
        facts = facts_of(t.type)
        key = facts.keyed[section]
        root = self.document(self.repo_path(t.component.xml)).root
        b_entry = _entry(root, section, key, name)
        s_entry = _entry(s.xml, section, key, name) if s is not None and s.xml is not None else None
        if s_entry is None:
            if b_entry is not None:
                remove(b_entry)
        elif b_entry is None:
            order = [etree.QName(c).localname for c in s.xml if isinstance(c.tag, str)] if s and s.xml is not None else []
            insert_entry(root, section, s_entry, key, order)
        else:
            sync(b_entry, s_entry, facts, section)


def keep_manifest(applier: Applier, rows: list[Row]) -> str | None:
    """List the new components in a metadata-API repository's package.xml and drop the deleted ones; a
    warning instead where the file is not as a retrieve writes it (hand-kept: left to its owner).

    Members are named as ``manifest.manifest_members`` names them (a deleted object's fields with it). A type
    the manifest holds with ``*`` needs nothing; a child type (CustomField, CustomLabel) is listed only where
    the manifest lists that type already, otherwise its parent's member brings it.
    """
    layout, base = applier.layout, applier.base
    path = f"{layout.root}/package.xml" if layout.root else "package.xml"
    holds = getattr(base.tree, "holds", None)  # a git tree knows its every file, whatever the listing was narrowed to
    if layout.format != "mdapi" or not (holds(path) if holds else path in base.tree.files()):
        return None
    members_of = []  # the new and deleted components; subcomponents (Profile.fieldPermissions) and unknown files
    for row in rows:  # have no member
        new = row.status == "new"
        unit = (applier.source_unit if new else applier.base_unit)((row.type, row.full_name))
        if row.status in ("new", "deleted") and unit is not None and unit.component is not None:
            members_of.append((new, applier.source if new else applier.base, unit.component))
    if not members_of:
        return None
    data = base.tree.read(path)
    listed, version = read_manifest(data, path)
    members = {type_name: set(names) for type_name, names in listed.items()}
    if version is None or build_manifest(members, version) != data:
        return (f"{path}: not written as a retrieve writes it, so not updated; check that it lists the new "
                "components and not the deleted ones")
    for new, side, component in members_of:
        for type_name, names in manifest_members([component], side.registry, side.tree).items():
            held = members.get(type_name)
            t = side.registry.find(type_name)
            if held is not None and "*" in held or held is None and (not new or t is not None and t.parent):
                continue
            if new:
                members.setdefault(type_name, set()).update(names)
            else:
                held.difference_update(names)
    updated = build_manifest(members, version)
    if updated != data:
        applier.edits.files[applier.repo_path(path)] = updated
    return None


def _entry(root: etree._Element, section: str, key: tuple[str, ...], name: str) -> etree._Element | None:
    for el in root:
        if isinstance(el.tag, str) and local(el) == section and entry_key(el, key) == name:
            return el
    return None


def _find_child(root: etree._Element, t: Unit) -> etree._Element | None:
    assert t.type is not None and t.parent is not None
    element = t.type.xml_element or t.type.directory_name
    name = t.full_name if t.type.ignore_parent_name else t.full_name[len(t.parent[1]) + 1:]
    key_elements = t.type.unique_id_elements()
    return next((el for el in root if isinstance(el.tag, str) and local(el) == element
                 and child_name(el, key_elements) == name), None)


def _relative_to_package(path: str, component: Component, fmt: str) -> str:
    """Where a file goes below the repository's package directory (``main/default/…`` in source
    format, as the converter writes it) or metadata-API root."""
    rel = component.in_package(path)
    return f"{SOURCE_ROOT}/{rel}" if fmt == "source" else rel


def _is_parent_file(path: str, component: Component) -> bool:
    t = component.type
    return path.endswith(f"/{component.full_name}.{t.suffix}-meta.xml")


def _child_file_name(component: Component) -> str:
    t = component.type
    parent = component.parent
    assert parent is not None
    name = component.full_name[len(parent.full_name) + 1:]
    sub = f"{t.directory_name}/" if parent.type.decomposition == "folderPerType" else ""
    return f"{parent.full_name}/{sub}{name}.{t.suffix}-meta.xml"
