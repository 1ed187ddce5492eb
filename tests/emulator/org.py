"""The emulated org: metadata files in memory, who changed what when, and source tracking.

Why: retrieve, listMetadata, deploy and the Tooling SourceMember query all read or change the same org, so
they share one object. It starts as a copy of a metadata-API folder (the folder on disk is never written),
keeps FileProperties stamps (creator, last modifier, dates — deterministic defaults a test can override per
component), and bumps a SourceMember RevisionCounter for every component a deploy or a simulated Setup edit
creates, changes or deletes, as a sandbox with source tracking does.
"""

from __future__ import annotations

import hashlib
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from . import sfxml
from .fileset import Component, FileSet
from .ids import Clock, component_id, hashed_id, iso
from .registry import TypeTable

DEFAULT_DATE = "2024-01-01T00:00:00.000Z"


@dataclass(frozen=True)
class User:
    """An org user: login name, password+security token as Salesforce expects them concatenated."""

    username: str
    password: str
    id: str
    name: str

    @property
    def email(self) -> str:
        return self.username


@dataclass
class Stamp:
    by_id: str
    by_name: str
    date: str


@dataclass
class SourceMember:
    """One Tooling API SourceMember row."""

    id: str
    member_type: str
    member_name: str
    revision: int
    obsolete: bool
    changed_by: str
    last_modified: str
    is_new: bool


def load_folder(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden files skipped), by posix path relative to it."""
    files = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            files[rel.as_posix()] = path.read_bytes()
    return files


def value_of(fs: FileSet, comp: Component) -> object:
    """What a component *is*, whitespace aside: equal values mean a deploy leaves it unchanged."""
    if comp.parent is not None:
        el = fs.element_of(comp)
        return sfxml.canonical(el) if el is not None else None
    info = fs.types.top(comp.type)
    child_tags = {c.xml_element for c in info.children} if info else set()
    parts = []
    for path in comp.files:
        data = fs.files.get(path)
        if data is None:
            continue
        rel = path.split("/", 1)[1] if "/" in path else path
        if path.endswith(".xml") or (info and info.suffix and path.endswith("." + info.suffix) and data.lstrip().startswith(b"<")):
            try:
                root = fs.parsed(path)
            except sfxml.XmlError:
                parts.append((rel, hashlib.sha1(data).hexdigest()))
                continue
            own = [sfxml.canonical(el) for el in sfxml.elements(root) if sfxml.local(el) not in child_tags]
            parts.append((rel, tuple(own)))
        else:
            parts.append((rel, hashlib.sha1(data).hexdigest()))
    return tuple(sorted(parts))


class Org(FileSet):
    """The org behind the emulator."""

    def __init__(self, files: dict[str, bytes], types: TypeTable, clock: Clock, admin: User):
        super().__init__(files, types)
        self.clock = clock
        self.admin = admin
        self.overrides: dict[tuple[str, str], dict[str, str]] = {}
        self.stamps: dict[tuple[str, str], dict[str, Stamp]] = {}
        self.tracking: dict[tuple[str, str], SourceMember] = {}
        self.revision = 0
        for comp in self.all_components():
            self._track(comp.key, admin, DEFAULT_DATE, obsolete=False, is_new=True)

    @property
    def lock(self):
        return self._lock

    # ---- reading ---------------------------------------------------------------------------------------
    def all_components(self) -> list[Component]:
        """Top-level and child components, sorted by type then fullName."""
        with self._lock:
            out = []
            for comp in self.components().values():
                out.append(comp)
                out.extend(c for c, _ in self.children(comp))
            return sorted(out, key=lambda c: (c.type, c.full_name))

    def file_properties(self, comp: Component, file_name: str) -> dict[str, str]:
        """FileProperties fields in WSDL order (namespacePrefix absent: unmanaged org)."""
        stamps = self.stamps.get(comp.key, {})
        created = stamps.get("created") or Stamp(self.admin.id, self.admin.name, DEFAULT_DATE)
        modified = stamps.get("modified") or created
        props = {
            "createdById": created.by_id,
            "createdByName": created.by_name,
            "createdDate": created.date,
            "fileName": file_name,
            "fullName": comp.full_name,
            "id": component_id(comp.type, comp.full_name),
            "lastModifiedById": modified.by_id,
            "lastModifiedByName": modified.by_name,
            "lastModifiedDate": modified.date,
            "manageableState": "unmanaged",
            "type": comp.type,
        }
        props.update(self.overrides.get(comp.key, {}))
        return props

    def set_file_properties(self, type_name: str, full_name: str, **fields: str) -> None:
        """Override FileProperties fields of one component (e.g. lastModifiedByName, lastModifiedDate)."""
        with self._lock:
            self.overrides.setdefault((type_name, full_name), {}).update(fields)

    def source_members(self) -> list[SourceMember]:
        with self._lock:
            return sorted(self.tracking.values(), key=lambda m: m.revision)

    # ---- changing --------------------------------------------------------------------------------------
    def _track(self, key: tuple[str, str], user: User, date: str, *, obsolete: bool, is_new: bool) -> None:
        self.revision += 1
        old = self.tracking.get(key)
        self.tracking[key] = SourceMember(
            id=old.id if old else hashed_id("0MZ", f"{key[0]}:{key[1]}"),
            member_type=key[0],
            member_name=key[1],
            revision=self.revision,
            obsolete=obsolete,
            changed_by=user.id,
            last_modified=date,
            is_new=is_new,
        )

    def record_change(self, key: tuple[str, str], user: User, *, created: bool = False, deleted: bool = False) -> None:
        """Stamp a component as modified now by ``user`` and bump its SourceMember revision."""
        with self._lock:
            now = iso(self.clock.now())
            stamp = Stamp(user.id, user.name, now)
            entry = self.stamps.setdefault(key, {})
            if created:
                entry["created"] = stamp
                self.overrides.pop(key, None)
            entry["modified"] = stamp
            for name in ("lastModifiedById", "lastModifiedByName", "lastModifiedDate"):
                self.overrides.get(key, {}).pop(name, None)
            self._track(key, user, now, obsolete=deleted, is_new=created)

    def write(self, changes: dict[str, bytes | None]) -> None:
        """Replace, add (bytes) or delete (None) files."""
        with self._lock:
            for path, data in changes.items():
                if data is None:
                    self.files.pop(path, None)
                else:
                    self.files[path] = data
            self._invalidate()

    def put_file(self, path: str, data: bytes | None, user: User | None = None) -> list[tuple[str, str]]:
        """Simulate an edit in the sandbox's Setup: change one file, track every component that changed."""
        with self._lock:
            user = user or self.admin
            before = {c.key: value_of(self, c) for c in self.all_components()}
            self.write({path: data})
            after = {c.key: value_of(self, c) for c in self.all_components()}
            changed = []
            for key in sorted(set(before) | set(after)):
                if key not in after:
                    self.record_change(key, user, deleted=True)
                elif key not in before:
                    self.record_change(key, user, created=True)
                elif before[key] != after[key]:
                    self.record_change(key, user)
                else:
                    continue
                changed.append(key)
            return changed


# ---- merging deployed XML into the org's files ------------------------------------------------------------
def _sort_top(root: etree._Element, child_tags: dict[str, str | None]) -> None:
    """Order a parent file's elements like Salesforce: by element name; children of a kind by their name."""
    kids = sfxml.elements(root)
    for kid in kids:
        root.remove(kid)

    def order(item: tuple[int, etree._Element]) -> tuple:
        index, el = item
        tag = sfxml.local(el)
        if tag in child_tags:
            return (tag, 0, (sfxml.child_key(el, child_tags[tag]) or "").lower(), index)
        return (tag, 0, "", index)

    for _, kid in sorted(enumerate(kids), key=order):
        kid.tail = None
        root.append(kid)


def merge_parent(
    existing: etree._Element | None,
    incoming: etree._Element,
    *,
    child_tags: dict[str, str | None],
    replace_own: bool,
    upserts: list[etree._Element],
    deletes: list[tuple[str, str]] | None = None,
) -> bytes:
    """A parent file after a deploy: own fields replaced (when the parent itself is deployed), children
    upserted by name, named children deleted; children not mentioned stay, as in a real org."""
    base = deepcopy(existing) if existing is not None else sfxml.new_root_like(incoming)
    if replace_own or existing is None:
        for el in sfxml.elements(base):
            if sfxml.local(el) not in child_tags:
                base.remove(el)
        for el in sfxml.elements(incoming):
            if sfxml.local(el) not in child_tags:
                base.append(deepcopy(el))
    index = {}
    for el in sfxml.elements(base):
        tag = sfxml.local(el)
        if tag in child_tags:
            index[(tag, sfxml.child_key(el, child_tags[tag]))] = el
    for el in upserts:
        tag = sfxml.local(el)
        key = (tag, sfxml.child_key(el, child_tags.get(tag)))
        clone = deepcopy(el)
        if key in index:
            index[key].addprevious(clone)
            base.remove(index[key])
        else:
            base.append(clone)
        index[key] = clone
    for key in deletes or []:
        if key in index:
            base.remove(index.pop(key))
    _sort_top(base, child_tags)
    return sfxml.serialize(base)
