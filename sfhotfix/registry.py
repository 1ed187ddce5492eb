"""The metadata type registry: every type's facts, loaded from ``metadata_types/`` (data, not code).

Nothing else in sfhotfix hard-codes a type: where a file goes, how it is split or merged and which lists
inside it are keyed all come from here, so that supporting a new type is a change to the data.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .errors import UsageError

META_SUFFIX = "-meta.xml"


def data_dir() -> Path:
    """Where ``metadata_types/`` is: beside the package in a checkout, under share/ when installed."""
    here = Path(__file__).resolve().parent.parent / "metadata_types"
    if here.is_dir():
        return here
    installed = Path(sys.prefix) / "share" / "sfhotfix" / "metadata_types"
    if installed.is_dir():
        return installed
    raise UsageError(f"metadata_types/ not found beside the package or in {installed}")


@dataclass(frozen=True)
class MetadataType:
    """One metadata type, top-level (CustomObject) or child (CustomField inside CustomObject)."""

    name: str
    directory_name: str
    suffix: str | None
    strategy: str
    in_folder: bool = False
    strict_directory: bool = False
    folder_type: str | None = None
    folder_content_type: str | None = None
    alias_for: str | None = None
    legacy_suffix: str | None = None
    meta_file_suffix: str | None = None
    adapter: str | None = None
    transformer: str | None = None
    decomposition: str | None = None
    recomposition: str | None = None
    ignore_parsed_full_name: bool = False
    supports_partial_delete: bool = False
    # child types only
    parent: str | None = None
    xml_element: str | None = None
    key: str | None = None
    addressable: bool = True
    unaddressable_without_parent: bool = False
    ignore_parent_name: bool = False
    children: tuple[str, ...] = ()
    keyed_lists: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)
    unordered_lists: frozenset[str] = frozenset()
    # each entry of a top-level keyed list is a subcomponent of its own (Profile, PermissionSet)
    subcomponents: bool = False

    @property
    def is_child(self) -> bool:
        return self.parent is not None

    @property
    def has_content_file(self) -> bool:
        """Types whose metadata sits in ``-meta.xml`` next to a content file, in both formats."""
        return self.strategy in ("matchingContentFile", "mixedContent", "staticResource")

    def unique_id_elements(self) -> tuple[str, ...]:
        """Elements naming a child inside its parent's XML, as Salesforce's converter reads them."""
        return (self.key, "fullName", "name") if self.key else ("fullName", "name")


def _from_json(entry: dict, parent: str | None = None) -> MetadataType:
    conversion = entry.get("conversion") or {}
    return MetadataType(
        name=entry["name"],
        directory_name=entry["directoryName"],
        suffix=entry.get("suffix"),
        strategy=entry.get("strategy", "singleFile"),
        in_folder=entry.get("inFolder", False),
        strict_directory=entry.get("strictDirectoryName", False),
        folder_type=entry.get("folderType"),
        folder_content_type=entry.get("folderContentType"),
        alias_for=entry.get("aliasFor"),
        legacy_suffix=entry.get("legacySuffix"),
        meta_file_suffix=entry.get("metaFileSuffix"),
        adapter=conversion.get("adapter"),
        transformer=conversion.get("transformer"),
        decomposition=conversion.get("decomposition"),
        recomposition=conversion.get("recomposition"),
        ignore_parsed_full_name=entry.get("ignoreParsedFullName", False),
        supports_partial_delete=entry.get("supportsPartialDelete", False),
        parent=parent,
        xml_element=entry.get("xmlElement"),
        key=entry.get("key"),
        addressable=entry.get("addressable", True),
        unaddressable_without_parent=entry.get("unaddressableWithoutParent", False),
        ignore_parent_name=entry.get("ignoreParentName", False),
        children=tuple(c["name"] for c in entry.get("children", ())),
    )


class Registry:
    """Look-ups over the type data: by name, by file suffix, by directory."""

    def __init__(self, entries: Iterable[dict], shared_suffix_owners: dict[str, str], keys: dict[str, dict]):
        self.types: dict[str, MetadataType] = {}
        # children by (parent, name): a child may share its name with a top-level type
        # (PermissionSet's CustomPermission entries under the decomposePermissionSetBeta preset)
        self._children: dict[tuple[str, str], MetadataType] = {}
        entries = list(entries)
        for entry in entries:
            t = _from_json(entry)
            self.types[t.name] = _with_keys(t, keys)
        for entry in entries:
            for child in entry.get("children", ()):
                c = _with_keys(_from_json(child, parent=entry["name"]), keys)
                self._children[(entry["name"], c.name)] = c
                self.types.setdefault(c.name, c)
        self._lower = {name.lower(): t for name, t in self.types.items()}
        self._by_suffix: dict[str, MetadataType] = {}
        self._child_by_suffix: dict[str, list[MetadataType]] = {}
        for t in self.types.values():
            if t.suffix is not None and not t.is_child:
                self._by_suffix.setdefault(t.suffix, t)
                if t.legacy_suffix:
                    self._by_suffix.setdefault(t.legacy_suffix, t)
        for c in self._children.values():
            for suffix in filter(None, (c.suffix, c.legacy_suffix)):
                self._child_by_suffix.setdefault(suffix, []).append(c)
        for suffix, owner in shared_suffix_owners.items():
            if owner in self.types:
                self._by_suffix[suffix] = self.types[owner]
        # a site's folder (digitalExperiences) decides as a strict one does: Salesforce's resolver reads every
        # file below it as part of the site, as its last attempt
        self.strict_directories: dict[str, MetadataType] = {
            t.directory_name: t for t in self.types.values()
            if (t.strict_directory or t.strategy == "digitalExperience") and not t.is_child
        }
        self._by_directory: dict[str, list[MetadataType]] = {}
        for t in self.types.values():
            if not t.is_child:
                self._by_directory.setdefault(t.directory_name, []).append(t)

    def get(self, name: str) -> MetadataType:
        """The type called ``name`` (case-insensitive); a clear error naming it otherwise."""
        found = self.types.get(name) or self._lower.get(name.lower())
        if found is None:
            raise UsageError(f"unknown metadata type '{name}'")
        return found

    def find(self, name: str) -> MetadataType | None:
        return self.types.get(name) or self._lower.get(name.lower())

    def by_suffix(self, suffix: str) -> MetadataType | None:
        """The top-level type a file suffix names, as Salesforce's converter resolves it."""
        return self._by_suffix.get(suffix)

    def child_by_suffix(self, parent: MetadataType, suffix: str) -> MetadataType | None:
        for child in self._child_by_suffix.get(suffix, ()):
            if child.parent == parent.name:
                return child
        return None

    def child_by_element(self, parent: MetadataType, element: str) -> MetadataType | None:
        """The child type stored under ``element`` in the parent's XML (``fields`` → CustomField)."""
        return next((c for c in self.children_of(parent) if (c.xml_element or c.directory_name) == element), None)

    def by_directory(self, directory: str) -> list[MetadataType]:
        return self._by_directory.get(directory, [])

    def children_of(self, t: MetadataType) -> list[MetadataType]:
        """Its child types as Salesforce's converter finds them: every one of a decomposed type (a file each in
        source format); of a type whose children stay inside its file, those with a key element: SDR reads no
        other there (a MktDataTranObject's mktDataTranFields), so they are its own content, compared, converted
        and listed in package.xml with it."""
        children = [self._children[(t.name, name)] for name in t.children]
        return [c for c in children if c.key] if t.strategy == "inFile" and t.adapter is None else children

    def parent_of(self, t: MetadataType) -> MetadataType | None:
        return self.types[t.parent] if t.parent else None

    def top_level(self) -> list[MetadataType]:
        return sorted((t for t in self.types.values() if not t.is_child), key=lambda t: t.name)


def _with_keys(t: MetadataType, keys: dict[str, dict]) -> MetadataType:
    facts = keys.get(t.name)
    if not facts:
        return t
    keyed = {
        element: (key,) if isinstance(key, str) else tuple(key)
        for element, key in facts.get("keyedLists", {}).items()
    }
    t.keyed_lists.update(keyed)
    if facts.get("unorderedLists"):
        object.__setattr__(t, "unordered_lists", frozenset(facts["unorderedLists"]))
    object.__setattr__(t, "subcomponents", bool(facts.get("subcomponents")))
    return t


@lru_cache(maxsize=None)
def load_registry(presets: tuple[str, ...] = ()) -> Registry:
    """The registry, with sfdx-project.json ``sourceBehaviorOptions`` presets applied in order."""
    base = data_dir()
    data = json.loads((base / "types.json").read_text())
    keys_file = base / "keys.json"
    keys = json.loads(keys_file.read_text()) if keys_file.exists() else {}
    entries = {t["name"]: t for t in data["types"]}
    for preset in presets:
        preset_file = base / "presets" / f"{preset}.json"
        if not preset_file.exists():
            raise UsageError(f"sfdx-project.json: unknown sourceBehaviorOptions preset '{preset}'")
        overrides = json.loads(preset_file.read_text())
        detached = set(overrides.get("detachedChildren", ()))
        for entry in entries.values():  # children a preset detaches become top-level types
            if detached and "children" in entry:
                entry["children"] = [c for c in entry["children"] if c["name"] not in detached]
        for entry in overrides["types"]:
            entries[entry["name"]] = entry
    keys = {name: facts for name, facts in keys.items() if not name.startswith("_")}
    return Registry(entries.values(), data.get("sharedSuffixOwners", {}), keys)
