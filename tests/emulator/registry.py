"""Metadata type facts the emulated org needs: folders, suffixes, child types, describeMetadata rows.

Why here and not ``sfhotfix.registry``: the emulator plays Salesforce, so it must not share code with the
client it tests (a bug there would be mirrored here and pass unnoticed). It reads the same public data —
Salesforce's registry as imported into ``metadata_types/types.json`` and, when the shared reference folder
is present, a real describeMetadata result — and interprets it on its own, only as far as an org needs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TYPES_JSON = ROOT / "metadata_types" / "types.json"
DESCRIBE_JSON = ROOT.parent / "shared" / "realdata" / "sdr-registry" / "describeMetadata-result.json"

BUNDLE_STRATEGIES = {"bundle", "digitalExperience", "uiBundle"}
MIXED_STRATEGIES = {"mixedContent", "staticResource"}


@dataclass(frozen=True)
class ChildType:
    """A type stored inside its parent's file (CustomField in an .object, CustomLabel in .labels)."""

    name: str
    parent: str
    xml_element: str  # element holding one child in the parent's XML
    key: str | None  # element naming the child; None = fullName, then name
    ignore_parent_name: bool  # CustomLabel: fullName is the label's own name, without the parent's


@dataclass(frozen=True)
class TypeInfo:
    """A top-level metadata type."""

    name: str
    directory: str
    suffix: str | None
    in_folder: bool
    strategy: str
    meta_file: bool
    folder_type: str | None = None
    folder_content_type: str | None = None
    alias_for: str | None = None
    children: tuple[ChildType, ...] = field(default_factory=tuple)

    @property
    def is_folder(self) -> bool:
        return self.strategy == "folder"


class TypeTable:
    """Every type by name, by directory, and the child types by name."""

    def __init__(self, types: list[TypeInfo], describe_rows: list[dict]):
        self.types = {t.name: t for t in types}
        self.children: dict[str, ChildType] = {c.name: c for t in types for c in t.children}
        self.by_dir: dict[str, list[TypeInfo]] = {}
        for t in types:
            self.by_dir.setdefault(t.directory, []).append(t)
        self._describe_rows = describe_rows

    def top(self, name: str) -> TypeInfo | None:
        return self.types.get(name)

    def folder_type_of(self, content_type: TypeInfo) -> TypeInfo | None:
        return self.types.get(content_type.folder_type or "")

    def describe_rows(self) -> list[dict]:
        """describeMetadata's metadataObjects: xmlName, directoryName, suffix, inFolder, metaFile, childXmlNames."""
        return self._describe_rows


def _meta_file(strategy: str) -> bool:
    return strategy in {"matchingContentFile", "mixedContent", "staticResource"}


@lru_cache(maxsize=1)
def load_types() -> TypeTable:
    """Load the type table once per process."""
    data = json.loads(TYPES_JSON.read_text(encoding="utf-8"))
    describe: dict = {}
    if DESCRIBE_JSON.is_file():
        describe = json.loads(DESCRIBE_JSON.read_text(encoding="utf-8"))
    types: list[TypeInfo] = []
    for raw in data["types"]:
        children = tuple(
            ChildType(
                name=c["name"],
                parent=raw["name"],
                xml_element=c.get("xmlElement") or c["directoryName"],
                key=c.get("key"),
                ignore_parent_name=bool(c.get("ignoreParentName")),
            )
            for c in raw.get("children", ())
            if c.get("addressable", True)
        )
        real = describe.get(raw["name"], {})
        types.append(
            TypeInfo(
                name=raw["name"],
                directory=raw["directoryName"],
                suffix=raw.get("suffix"),
                in_folder=bool(raw.get("inFolder")),
                strategy=raw["strategy"],
                meta_file=bool(real.get("metaFile", _meta_file(raw["strategy"]))),
                folder_type=raw.get("folderType"),
                folder_content_type=raw.get("folderContentType"),
                alias_for=raw.get("aliasFor"),
                children=children,
            )
        )
    by_name = {t.name: t for t in types}
    rows: list[dict] = []
    if describe:
        # the real describe result decides which types are listed and their facts; child names from the registry
        for name in sorted(describe):
            real = describe[name]
            if not real.get("directoryName"):
                continue  # child or pseudo types: real describeMetadata names them only in childXmlNames
            mine = by_name.get(name)
            rows.append(
                {
                    "childXmlNames": [c.name for c in mine.children] if mine else [],
                    "directoryName": real["directoryName"],
                    "inFolder": bool(real.get("inFolder")),
                    "metaFile": bool(real.get("metaFile")),
                    "suffix": real.get("suffix"),
                    "xmlName": name,
                }
            )
    else:
        for t in sorted(types, key=lambda t: t.name):
            if t.is_folder:
                continue
            rows.append(
                {
                    "childXmlNames": [c.name for c in t.children],
                    "directoryName": t.directory,
                    "inFolder": t.in_folder,
                    "metaFile": t.meta_file,
                    "suffix": t.suffix,
                    "xmlName": t.name,
                }
            )
    return TypeTable(types, rows)
