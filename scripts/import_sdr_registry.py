"""Regenerate ``metadata_types/types.json`` and ``metadata_types/presets/`` from Salesforce's registry.

The facts about metadata types (directory, suffix, folders, child types, storage strategy) come from
source-deploy-retrieve's ``metadataRegistry.json`` (Apache-2.0). sfhotfix owns the result as data in its
own schema, so that a new type is a data change; this script is how the data was made and how it is
refreshed when Salesforce ships new types:

    python scripts/import_sdr_registry.py ../shared/realdata/sdr-registry

Hand-curated facts (keyed lists inside files) live in ``metadata_types/keys.json`` and are not touched.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "metadata_types"


def strategy_of(sdr_type: dict) -> str:
    """Name the storage strategy of a type in sfhotfix's words (see metadata_types/README.md)."""
    strategies = sdr_type.get("strategies") or {}
    adapter = strategies.get("adapter")
    transformer = strategies.get("transformer")
    if adapter == "decomposed":
        return "decomposed"
    if transformer == "staticResource":
        return "staticResource"
    if adapter in ("matchingContentFile", "bundle", "mixedContent", "digitalExperience", "uiBundles"):
        return {"uiBundles": "uiBundle"}.get(adapter, adapter)
    if sdr_type.get("folderContentType"):
        return "folder"
    if sdr_type.get("children"):
        return "inFile"
    return "singleFile"


def child_entry(child: dict) -> dict:
    entry = {
        "name": child["name"],
        "directoryName": child["directoryName"],
        "suffix": child["suffix"],
        "xmlElement": child.get("xmlElementName", child["directoryName"]),
        "key": child.get("uniqueIdElement"),
        "addressable": child.get("isAddressable", True),
    }
    for flag in ("unaddressableWithoutParent", "ignoreParentName", "supportsWildcardAndName"):
        if child.get(flag):
            entry[flag] = True
    for field in ("legacySuffix", "metaFileSuffix"):
        if child.get(field):
            entry[field] = child[field]
    if child.get("strategies"):
        entry["conversion"] = child["strategies"]
        if strategy_of(child) != "singleFile":  # a site's content (DigitalExperience) is stored as its site is
            entry["strategy"] = strategy_of(child)
    return entry


def type_entry(sdr_type: dict, ids: dict[str, dict]) -> dict:
    entry: dict = {
        "name": sdr_type["name"],
        "directoryName": sdr_type["directoryName"],
        "suffix": sdr_type.get("suffix"),
        "inFolder": bool(sdr_type.get("inFolder", False)),
        "strictDirectoryName": bool(sdr_type.get("strictDirectoryName", False)),
        "strategy": strategy_of(sdr_type),
    }
    if sdr_type.get("folderType"):
        entry["folderType"] = ids[sdr_type["folderType"]]["name"]
    if sdr_type.get("folderContentType"):
        entry["folderContentType"] = ids[sdr_type["folderContentType"]]["name"]
    if sdr_type.get("aliasFor"):
        entry["aliasFor"] = ids[sdr_type["aliasFor"]]["name"]
    for field in ("legacySuffix", "metaFileSuffix"):
        if sdr_type.get(field):
            entry[field] = sdr_type[field]
    for flag in ("supportsPartialDelete", "supportsWildcardAndName", "ignoreParsedFullName"):
        if sdr_type.get(flag):
            entry[flag] = True
    if sdr_type.get("strategies"):
        entry["conversion"] = sdr_type["strategies"]
    children = (sdr_type.get("children") or {}).get("types") or {}
    if children:
        entry["children"] = [child_entry(c) for c in sorted(children.values(), key=lambda c: c["name"])]
    return entry


def convert_registry(registry: dict) -> dict:
    ids = dict(registry["types"])
    for parent in registry["types"].values():
        ids.update((parent.get("children") or {}).get("types") or {})
    types = sorted((type_entry(t, ids) for t in registry["types"].values()), key=lambda t: t["name"])
    # where several types share a suffix, Salesforce's converter picks one by suffix alone
    shared = {}
    for suffix, type_id in sorted(registry["suffixes"].items()):
        owners = [t for t in registry["types"].values() if t.get("suffix") == suffix]
        if len(owners) > 1 and type_id in registry["types"]:
            shared[suffix] = registry["types"][type_id]["name"]
    return {"types": types, "sharedSuffixOwners": shared}


def main(sdr_registry_dir: str) -> None:
    src = Path(sdr_registry_dir)
    registry = json.loads((src / "metadataRegistry.json").read_text())
    data = convert_registry(registry)
    data["source"] = "forcedotcom/source-deploy-retrieve src/registry/metadataRegistry.json (Apache-2.0)"
    (OUT / "types.json").write_text(json.dumps(data, indent=1, sort_keys=False) + "\n")
    presets_out = OUT / "presets"
    presets_out.mkdir(exist_ok=True)
    for preset in sorted((src / "presets").glob("*.json")):
        sdr_preset = json.loads(preset.read_text())
        ids = dict(registry["types"])
        ids.update(sdr_preset["types"])
        for parent in sdr_preset["types"].values():
            ids.update((parent.get("children") or {}).get("types") or {})
        for parent in registry["types"].values():
            ids.update((parent.get("children") or {}).get("types") or {})
        converted = {
            "types": [type_entry(t, ids) for t in sorted(sdr_preset["types"].values(), key=lambda t: t["name"])],
            # child types the preset detaches from their parent become types of their own
            "detachedChildren": sorted(ids[c]["name"] for c, p in sdr_preset.get("childTypes", {}).items() if p == ""),
        }
        (presets_out / preset.name).write_text(json.dumps(converted, indent=1) + "\n")
    print(f"{len(data['types'])} types written to {OUT / 'types.json'}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/realdata/sdr-registry")
