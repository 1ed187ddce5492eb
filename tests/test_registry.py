"""The metadata type registry checked against its sources.

(a) every type of Salesforce's source-deploy-retrieve (SDR) registry, with its facts, and nothing else;
(b) SDR's ``sourceBehaviorOptions`` presets; (c) the hand-curated ``keys.json``: well-formed, known to the
Metadata API WSDL, and true of every real file in ``/work/shared/realdata``; (d) a real describeMetadata
result, with every disagreement listed and explained.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from sfhotfix.registry import MetadataType, Registry, load_registry

ROOT = Path(__file__).resolve().parents[1]

XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
KEYS_FILE = ROOT / "metadata_types" / "keys.json"
PRESETS = sorted(p.stem for p in (ROOT / "metadata_types" / "presets").glob("*.json"))
SDR_TYPE_COUNT = 535


def _load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sdr_dir(realdata: Path) -> Path:
    return realdata / "sdr-registry"


@pytest.fixture(scope="module")
def sdr(sdr_dir: Path) -> dict:
    return _load_json(sdr_dir / "metadataRegistry.json")


# ---------------------------------------------------------------------------------------------------------
# (a) types.json against SDR's metadataRegistry.json


def _ids(*type_maps: dict) -> dict[str, dict]:
    """SDR names types by id in folderType / folderContentType / childTypes: id → entry, children included."""
    ids: dict[str, dict] = {}
    for types in type_maps:
        for type_id, entry in types.items():
            ids[type_id] = entry
            ids.update((entry.get("children") or {}).get("types") or {})
    return ids


def _sdr_children(sdr_type: dict) -> list[dict]:
    return list(((sdr_type.get("children") or {}).get("types") or {}).values())


def _expected_type(sdr_type: dict, ids: dict[str, dict]) -> dict:
    strategies = sdr_type.get("strategies") or {}
    return {
        "directoryName": sdr_type["directoryName"],
        "suffix": sdr_type.get("suffix"),
        "inFolder": bool(sdr_type.get("inFolder", False)),
        "strictDirectoryName": bool(sdr_type.get("strictDirectoryName", False)),
        "folderType": ids[sdr_type["folderType"]]["name"] if sdr_type.get("folderType") else None,
        "folderContentType": (
            ids[sdr_type["folderContentType"]]["name"] if sdr_type.get("folderContentType") else None
        ),
        "adapter": strategies.get("adapter"),
        "transformer": strategies.get("transformer"),
        "decomposition": strategies.get("decomposition"),
        "recomposition": strategies.get("recomposition"),
        "children": sorted(c["name"] for c in _sdr_children(sdr_type)),
    }


def _actual_type(t: MetadataType) -> dict:
    return {
        "directoryName": t.directory_name,
        "suffix": t.suffix,
        "inFolder": t.in_folder,
        "strictDirectoryName": t.strict_directory,
        "folderType": t.folder_type,
        "folderContentType": t.folder_content_type,
        "adapter": t.adapter,
        "transformer": t.transformer,
        "decomposition": t.decomposition,
        "recomposition": t.recomposition,
        "children": sorted(t.children),
    }


def _expected_child(child: dict) -> dict:
    return {
        "directoryName": child["directoryName"],
        "suffix": child.get("suffix"),
        "xmlElementName": child.get("xmlElementName", child["directoryName"]),
        "uniqueIdElement": child.get("uniqueIdElement"),
    }


def _actual_child(t: MetadataType) -> dict:
    return {
        "directoryName": t.directory_name,
        "suffix": t.suffix,
        "xmlElementName": t.xml_element,
        "uniqueIdElement": t.key,
    }


def _type_problems(registry: Registry, sdr_type: dict, ids: dict[str, dict]) -> list[str]:
    """How the registry's type named like ``sdr_type`` differs from it, children included."""
    name = sdr_type["name"]
    t = registry.types.get(name)
    if t is None:
        return [f"{name}: not in the registry"]
    if t.is_child:
        return [f"{name}: a child of {t.parent} in the registry, a top-level type in SDR"]
    problems = []
    expected, actual = _expected_type(sdr_type, ids), _actual_type(t)
    problems += [
        f"{name}: {field} is {actual[field]!r}, SDR has {expected[field]!r}"
        for field in expected
        if actual[field] != expected[field]
    ]
    found = {c.name: c for c in registry.children_of(registry.types[name])}
    for child in _sdr_children(sdr_type):
        # SDR reads a child inside its parent's file by its uniqueIdElement (SourceComponent.parseChildren): one
        # without it is the parent's own content, and children_of leaves it out; it is still a type
        if not sdr_type.get("strategies") and not child.get("uniqueIdElement"):
            c = registry.types.get(child["name"])
            if child["name"] in found or c is None or c.parent != name:
                problems.append(f"{name}/{child['name']}: SDR cannot read it in its parent's file ({c})")
            continue
        c = found.get(child["name"])
        if c is None or c.parent != name:
            problems.append(f"{name}/{child['name']}: not a child of {name} in the registry ({c})")
            continue
        exp, act = _expected_child(child), _actual_child(c)
        problems += [
            f"{name}/{c.name}: {field} is {act[field]!r}, SDR has {exp[field]!r}"
            for field in exp
            if act[field] != exp[field]
        ]
    return problems


def test_registry_has_every_sdr_type_with_its_facts(sdr: dict) -> None:
    assert len(sdr["types"]) == SDR_TYPE_COUNT
    registry = load_registry()
    ids = _ids(sdr["types"])
    problems = [p for sdr_type in sdr["types"].values() for p in _type_problems(registry, sdr_type, ids)]
    assert not problems, "\n".join(problems)


def test_registry_has_no_type_sdr_lacks(sdr: dict) -> None:
    registry = load_registry()
    sdr_top = {t["name"] for t in sdr["types"].values()}
    sdr_children = {c["name"] for t in sdr["types"].values() for c in _sdr_children(t)}
    top = {t.name for t in registry.top_level()}
    children = {t.name for t in registry.types.values() if t.is_child}
    assert top - sdr_top == set(), "top-level types SDR does not have"
    assert sdr_top - top == set(), "SDR types missing from the registry's top level"
    assert children == sdr_children


def _lookup_problems(registry: Registry, sdr_map: dict, ids: dict[str, dict]) -> list[str]:
    """Files resolve as SDR resolves them: its ``suffixes`` and ``strictDirectoryNames`` maps (values are ids)."""
    problems = []
    for suffix, type_id in sdr_map.get("suffixes", {}).items():
        t = registry.types.get(ids[type_id]["name"])
        if t is None:
            problems.append(f".{suffix}: SDR resolves it to {ids[type_id]['name']}, not in the registry")
            continue
        got = registry.child_by_suffix(registry.get(t.parent), suffix) if t.is_child else registry.by_suffix(suffix)
        if got is not t:
            problems.append(f".{suffix}: SDR resolves it to {t.name}, the registry to {got and got.name}")
    for directory, type_id in sdr_map.get("strictDirectoryNames", {}).items():
        got = registry.strict_directories.get(directory)
        if got is None or got.name != ids[type_id]["name"]:
            problems.append(f"{directory}/: SDR's strict directory of {ids[type_id]['name']}, registry {got}")
    return problems


def test_registry_resolves_suffixes_and_strict_directories_as_sdr(sdr: dict) -> None:
    problems = _lookup_problems(load_registry(), sdr, _ids(sdr["types"]))
    assert not problems, "\n".join(problems)


def test_a_suffix_two_types_share_resolves_by_the_folder_holding_the_file(sdr: dict, tmp_path: Path) -> None:
    """Salesforce's converter reads a file in a type's strict folder as that type, whatever its suffix alone
    names: ``sites/E_Bikes.site-meta.xml`` (ebikes-lwc) is a CustomSite, though ``.site`` names SiteDotCom. One
    file for every single-file type whose suffix another shares, in source format, each read as the type of
    its folder; SDR 13.7 converted the same tree to the same types (seen with the peer)."""
    from sfhotfix.sources import open_source

    sharing = Counter(t["suffix"] for t in sdr["types"].values() if t.get("suffix"))
    expected: dict[str, str] = {}
    for number, t in enumerate(sorted(sdr["types"].values(), key=lambda t: t["name"])):
        adapter = (t.get("strategies") or {}).get("adapter")
        if sharing[t.get("suffix")] < 2 or t.get("inFolder") or adapter in ("bundle", "mixedContent", "decomposed",
                                                                             "digitalExperience"):
            continue
        folder = tmp_path / "force-app" / "main" / "default" / t["directoryName"]
        folder.mkdir(parents=True, exist_ok=True)
        name = f"Sample{number}"
        (folder / f"{name}.{t['suffix']}-meta.xml").write_text(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<{t["name"]} xmlns="http://soap.sforce.com/2006/04/metadata"/>\n')
        if adapter == "matchingContentFile":
            (folder / f"{name}.{t['suffix']}").write_text("content\n")
        expected[name] = t["name"]
    assert len(expected) >= 16  # site, settings, policy, rule and dataSource are each shared
    (tmp_path / "sfdx-project.json").write_text('{"packageDirectories": [{"path": "force-app", "default": true}]}')
    resolved = open_source(tmp_path).resolved
    assert {c.full_name: c.type.name for c in resolved.components} == expected
    assert resolved.unknown == []


# ---------------------------------------------------------------------------------------------------------
# (b) presets


def test_presets_are_sdrs(sdr_dir: Path) -> None:
    assert PRESETS == sorted(p.stem for p in (sdr_dir / "presets").glob("*.json"))


def _preset(sdr_dir: Path, name: str) -> dict:
    return _load_json(sdr_dir / "presets" / f"{name}.json")


def _detached(sdr_preset: dict, ids: dict[str, dict]) -> set[str]:
    return {ids[child]["name"] for child, parent in sdr_preset.get("childTypes", {}).items() if parent == ""}


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_gives_its_types_and_children(preset: str, sdr_dir: Path, sdr: dict) -> None:
    sdr_preset = _preset(sdr_dir, preset)
    registry = load_registry((preset,))
    ids = _ids(sdr["types"], sdr_preset["types"])
    problems = [p for t in sdr_preset["types"].values() for p in _type_problems(registry, t, ids)]
    for child_id, parent_id in sdr_preset.get("childTypes", {}).items():
        child = ids[child_id]["name"]
        if parent_id:
            parent = ids[parent_id]["name"]
            if child not in registry.get(parent).children:
                problems.append(f"{child}: the preset puts it under {parent}, the registry does not")
            continue
        t = registry.types.get(child)
        if t is None or t.is_child:
            problems.append(f"{child}: the preset makes it a top-level type, the registry has {t}")
        owners = [p.name for p in registry.top_level() if child in p.children]
        if owners:
            problems.append(f"{child}: detached by the preset, still a child of {owners}")
    problems += _lookup_problems(registry, sdr_preset, ids)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_leaves_the_other_types_alone(preset: str, sdr_dir: Path, sdr: dict) -> None:
    sdr_preset = _preset(sdr_dir, preset)
    touched = {t["name"] for t in sdr_preset["types"].values()}
    detached = _detached(sdr_preset, _ids(sdr["types"], sdr_preset["types"]))
    registry = load_registry((preset,))
    ids = _ids(sdr["types"])
    problems = []
    for sdr_type in sdr["types"].values():
        if sdr_type["name"] in touched:
            continue
        kept = {k: v for k, v in (sdr_type.get("children") or {}).get("types", {}).items() if v["name"] not in detached}
        expected = {**sdr_type, "children": {"types": kept}} if sdr_type.get("children") else sdr_type
        problems += _type_problems(registry, expected, ids)
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------------------
# (c) keys.json

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
ELEMENT_PATH = re.compile(rf"^{_NAME}(\.{_NAME})*$")
ELEMENT_NAME = re.compile(rf"^{_NAME}$")


def _keys_json() -> dict:
    return _load_json(KEYS_FILE)


def _facts() -> dict[str, dict]:
    return {name: facts for name, facts in _keys_json().items() if not name.startswith("_")}


def _key_parts(key: str | list[str]) -> tuple[str, ...]:
    return (key,) if isinstance(key, str) else tuple(key)


def test_keys_json_is_well_formed() -> None:
    data = _keys_json()
    assert isinstance(data.get("_comment"), list) and isinstance(data.get("_sources"), dict)
    registry = load_registry()
    problems = []
    for name, facts in _facts().items():
        if name not in registry.types:
            problems.append(f"{name}: no such type in the registry")
        if not isinstance(facts, dict):
            problems.append(f"{name}: facts must be an object")
            continue
        unknown = {k for k in facts if not k.startswith("_")} - {"keyedLists", "unorderedLists", "subcomponents"}
        if unknown:
            problems.append(f"{name}: unknown fields {sorted(unknown)}")
        keyed = facts.get("keyedLists", {})
        unordered = facts.get("unorderedLists", [])
        if not isinstance(keyed, dict) or not isinstance(unordered, list) or not (keyed or unordered):
            problems.append(f"{name}: needs a keyedLists object and/or an unorderedLists list")
            continue
        for element, key in keyed.items():
            if not ELEMENT_PATH.match(element):
                problems.append(f"{name}: '{element}' is not an element name or dotted element path")
            parts = [key] if isinstance(key, str) else key
            if (
                not isinstance(parts, list)
                or not parts
                or not all(isinstance(p, str) and ELEMENT_NAME.match(p) for p in parts)
                or len(set(parts)) != len(parts)
            ):
                problems.append(f"{name}.{element}: key must be an element name or a list of distinct ones")
        if len(set(unordered)) != len(unordered):
            problems.append(f"{name}: unorderedLists repeats an element")
        for element in unordered:
            if not isinstance(element, str) or not ELEMENT_PATH.match(element):
                problems.append(f"{name}: unordered '{element}' is not an element name or dotted path")
            elif element in keyed:
                problems.append(f"{name}: '{element}' is both keyed and unordered")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("presets", [(), *((p,) for p in PRESETS)])
def test_registry_carries_keys_json(presets: tuple[str, ...]) -> None:
    registry = load_registry(presets)
    for name, facts in _facts().items():
        t = registry.types.get(name)
        assert t is not None, f"{name} is gone under {presets}"
        assert t.keyed_lists == {e: _key_parts(k) for e, k in facts.get("keyedLists", {}).items()}, name
        assert t.unordered_lists == frozenset(facts.get("unorderedLists", ())), name


# -- against the Metadata API WSDL


def _wsdl_path() -> Path | None:
    spec = importlib.util.find_spec("simple_salesforce")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "metadata.wsdl"
    return path if path.is_file() else None


@pytest.fixture(scope="module")
def wsdl() -> dict[str, tuple[str | None, dict[str, tuple[str, str, str]]]]:
    """complexType name → (base type, {element: (type, minOccurs, maxOccurs)})."""
    path = _wsdl_path()
    if path is None:
        pytest.skip("needs the Metadata API WSDL shipped with simple-salesforce (simple_salesforce/metadata.wsdl)")
    xs = "{http://www.w3.org/2001/XMLSchema}"
    types = {}
    for complex_type in etree.parse(str(path), XML_PARSER).iter(f"{xs}complexType"):
        if not complex_type.get("name"):  # anonymous wrappers of the SOAP operations
            continue
        extension = complex_type.find(f".//{xs}extension")
        base = extension.get("base").split(":")[-1] if extension is not None else None
        elements = {
            e.get("name"): (e.get("type", "").split(":")[-1], e.get("minOccurs", "1"), e.get("maxOccurs", "1"))
            for e in complex_type.iter(f"{xs}element")
        }
        types[complex_type.get("name")] = (base, elements)
    return types


def _wsdl_elements(wsdl: dict, type_name: str) -> dict[str, tuple[str, str, str]]:
    base, own = wsdl[type_name]
    return {**(_wsdl_elements(wsdl, base) if base in wsdl else {}), **own}


def _wsdl_resolve(wsdl: dict, type_name: str, path: str) -> tuple[str, str, str] | None:
    """(item type, minOccurs, maxOccurs) of the element a dotted path names, from the type's root."""
    found = None
    current = type_name
    for step in path.split("."):
        if current not in wsdl:
            return None
        found = _wsdl_elements(wsdl, current).get(step)
        if found is None:
            return None
        current = found[0]
    return found


def test_keys_json_agrees_with_the_metadata_api_wsdl(wsdl: dict) -> None:
    problems = []
    for name, facts in _facts().items():
        if name not in wsdl:
            problems.append(f"{name}: no such complexType in the WSDL")
            continue
        for element, key in facts.get("keyedLists", {}).items():
            found = _wsdl_resolve(wsdl, name, element)
            if found is None or found[2] != "unbounded" or found[0] not in wsdl:
                problems.append(f"{name}.{element}: not a repeated complex element in the WSDL ({found})")
                continue
            item = _wsdl_elements(wsdl, found[0])
            for part in _key_parts(key):
                if part not in item:
                    problems.append(f"{name}.{element}: {found[0]} has no <{part}>")
                elif item[part][2] != "1" or item[part][0] in wsdl:
                    problems.append(f"{name}.{element}: <{part}> is not a single plain value")
        for element in facts.get("unorderedLists", ()):
            found = _wsdl_resolve(wsdl, name, element)
            if found is None or found[2] != "unbounded" or found[0] in wsdl:
                problems.append(f"{name}.{element}: not a repeated plain-value element in the WSDL ({found})")
    assert not problems, "\n".join(problems)


# -- against real files


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str) and _local(c) == name]


def _lists(root: etree._Element, path: str) -> list[list[etree._Element]]:
    """The entries a dotted element path names, one list per parent element the path reaches."""
    *above, leaf = path.split(".")
    parents = [root]
    for step in above:
        parents = [c for p in parents for c in _children(p, step)]
    return [_children(p, leaf) for p in parents]


def _text(entry: etree._Element, element: str) -> str:
    found = _children(entry, element)
    return str(found[0].xpath("string()")) if found else ""  # string() leaves comments out


def key_problems(root: etree._Element, facts: dict) -> tuple[list[str], int]:
    """What breaks ``facts`` in one parsed file, and how many entries were checked."""
    problems, checked = [], 0
    for path, key in facts.get("keyedLists", {}).items():
        parts = _key_parts(key)
        for entries in _lists(root, path):
            seen: dict[tuple[str, ...], int] = {}
            for entry in entries:
                checked += 1
                value = tuple(_text(entry, part) for part in parts)
                if not value[0]:
                    problems.append(f"line {entry.sourceline}: <{path}> without <{parts[0]}>")
                elif value in seen:
                    problems.append(f"line {entry.sourceline}: <{path}> key {value} repeats line {seen[value]}")
                else:
                    seen[value] = entry.sourceline
    for path in facts.get("unorderedLists", ()):
        for entries in _lists(root, path):
            for entry in entries:
                checked += 1
                if any(isinstance(c.tag, str) for c in entry):
                    problems.append(f"line {entry.sourceline}: <{path}> has child elements, not a plain value")
    return problems, checked


def test_key_check_finds_missing_and_repeated_keys() -> None:
    profile = etree.fromstring(
        b"""<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
        <fieldPermissions><field>A.x__c</field></fieldPermissions>
        <fieldPermissions><editable>true</editable></fieldPermissions>
        <fieldPermissions><field>A.x__c</field></fieldPermissions>
        <layoutAssignments><layout>A-L</layout></layoutAssignments>
        <layoutAssignments><layout>A-L</layout><recordType>A.R</recordType></layoutAssignments>
        <layoutAssignments><recordType>A.R</recordType></layoutAssignments>
        </Profile>""",
        XML_PARSER,
    )
    problems, checked = key_problems(profile, _facts()["Profile"])
    assert checked == 6
    assert problems == [
        "line 3: <fieldPermissions> without <field>",
        "line 4: <fieldPermissions> key ('A.x__c',) repeats line 2",
        "line 7: <layoutAssignments> without <layout>",
    ]
    translation = etree.fromstring(
        b"""<CustomObjectTranslation xmlns="http://soap.sforce.com/2006/04/metadata">
        <fields><name>A</name><picklistValues><masterLabel>x</masterLabel></picklistValues></fields>
        <fields><name>B</name><picklistValues><masterLabel>x</masterLabel></picklistValues>
        <picklistValues><masterLabel>x</masterLabel></picklistValues></fields>
        </CustomObjectTranslation>""",
        XML_PARSER,
    )
    problems, _ = key_problems(translation, _facts()["CustomObjectTranslation"])
    assert problems == ["line 4: <fields.picklistValues> key ('x',) repeats line 3"]


# the real files each keyed type is checked against (globs under realdata; empty files are skipped)
REAL_FILES = {
    "Profile": ["org-profiles-eda/src/profiles/*.profile", "sgd-infile-fixtures/profile-*/*.xml"],
    "PermissionSet": [
        "sdr-snapshots/preset-PermSet/originalMdapi/permissionsets/*.permissionset",
        "sdr-snapshots/preset-PermSet/__snapshots__/verify-md-files.expected/permissionsets/*.permissionset",
        "dreamhouse-source/force-app/main/default/permissionsets/*.permissionset-meta.xml",
        "sgd-infile-fixtures/permission-set-stress/*.xml",
    ],
    "CustomLabels": ["org-profiles-eda/src/labels/*.labels", "sdr-snapshots/customLabels-simple/**/*.labels*"],
    "Translations": ["org-profiles-eda/src/translations/*.translation", "sgd-infile-fixtures/flow-translation/*.xml"],
    "CustomObjectTranslation": [
        "org-profiles-eda/src/objectTranslations/*.objectTranslation",
        "sgd-infile-fixtures/custom-object-translation*/*.xml",
    ],
    "Workflow": ["sgd-infile-fixtures/workflow-*/*.xml", "sdr-snapshots/workflow/**/*.workflow*"],
    "CustomObject": [
        "org-profiles-eda/src/objects/*.object",
        "sdr-snapshots/customObjects-and-children/**/*.object",
        "dreamhouse-source/force-app/main/default/objects/*/*.object-meta.xml",
    ],
    "CustomApplication": ["org-profiles-eda/src/applications/*.app", "dreamhouse-source/**/*.app-meta.xml"],
}


@pytest.mark.parametrize("type_name", sorted(REAL_FILES))
def test_real_files_carry_unique_keys(type_name: str, realdata: Path) -> None:
    facts = _facts()[type_name]
    files = sorted({f for pattern in REAL_FILES[type_name] for f in realdata.glob(pattern) if f.stat().st_size})
    assert files, f"no {type_name} file under {realdata} matches {REAL_FILES[type_name]}"
    problems, checked = [], 0
    for f in files:
        root = etree.parse(str(f), XML_PARSER).getroot()
        assert _local(root) == type_name, f"{f} holds a {_local(root)}"
        found, count = key_problems(root, facts)
        checked += count
        problems += [f"{f.relative_to(realdata)} {p}" for p in found]
    assert checked, f"no keyed entry in {len(files)} {type_name} files"
    assert not problems, "\n".join(problems)


def test_every_real_file_of_a_keyed_type_carries_unique_keys(realdata: Path) -> None:
    """Whatever real file holds a type keys.json knows (by its root element), e.g. source-format children."""
    facts = _facts()
    problems, files = [], Counter()
    for f in sorted(realdata.rglob("*")):
        if not f.is_file() or f.suffix in (".json", ".md", ".yaml", ".yml") or not f.stat().st_size:
            continue
        try:
            root = etree.parse(str(f), XML_PARSER).getroot()
        except etree.XMLSyntaxError:  # content files: Apex, e-mail bodies, JavaScript
            continue
        name = _local(root)
        if name in facts:
            files[name] += 1
            problems += [f"{f.relative_to(realdata)} {p}" for p in key_problems(root, facts[name])[0]]
    assert set(REAL_FILES) <= set(files), f"types without real files: {set(REAL_FILES) - set(files)}"
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------------------
# (d) a real describeMetadata result

_BUNDLE = "a bundle in SDR (one directory per component, no file suffix); describeMetadata still gives a suffix"
_FOLDER = (
    "a folder type: describeMetadata gives no suffix; SDR's suffix names the source-format folder file "
    "(<folder>.<suffix>-meta.xml)"
)
# Where the org's own describeMetadata and SDR disagree on directoryName / suffix / inFolder. SDR is the
# reference for conversion (it is what `sf project convert` writes), so the registry follows SDR.
DESCRIBE_DISAGREEMENTS = {
    "ContentTypeBundle": _BUNDLE,
    "ExperiencePropertyTypeBundle": _BUNDLE,
    "GenAiFunction": _BUNDLE,
    "LightningTypeBundle": _BUNDLE,
    "DashboardFolder": _FOLDER,
    "DocumentFolder": _FOLDER,
    "EmailFolder": _FOLDER,
    "EmailTemplateFolder": _FOLDER,
    "ReportFolder": _FOLDER,
    "Document": (
        "documents keep their own file extension in the metadata API (no suffix in describeMetadata); SDR's "
        "suffix 'document' names the source-format <name>.document-meta.xml"
    ),
    "IndustriesManufacturingSettings": (
        "describeMetadata files it with every *Settings type under settings/; SDR gives it a directory of its own"
    ),
    "SvcCatalogFilterCriteria": (
        "SDR has directory svcCatalogFilterCriterias and suffix catalogFilterCriteria, describeMetadata "
        "svcCatalogFilterCriteria and filterCriterion"
    ),
    "Territory2": (
        "SDR files territories inside each model (territory2Models/<model>/territories, folderType "
        "Territory2Model); describeMetadata names only the top folder"
    ),
    "Territory2Rule": "as Territory2: territory2Models/<model>/rules in SDR",
    "WorkflowFlowAutomation": (
        "describeMetadata gives no directory or suffix (it is part of Workflow files); SDR files it as "
        "workflowFlowAutomations/*.workflowFlowAutomation"
    ),
}


def test_describe_metadata_agrees_with_the_registry_but_for_listed_types(sdr_dir: Path) -> None:
    describe = _load_json(sdr_dir / "describeMetadata-result.json")
    registry = load_registry()
    compared, disagreements = 0, {}
    for name, described in describe.items():
        t = registry.types.get(name)
        if t is None or t.is_child:  # child types are compared with SDR in (a)
            continue
        compared += 1
        ours = (t.directory_name, t.suffix or None, t.in_folder)
        theirs = (described.get("directoryName"), described.get("suffix") or None, bool(described["inFolder"]))
        if ours != theirs:
            disagreements[name] = f"registry {ours}, describeMetadata {theirs}"
    assert compared > 400
    unexplained = {name: d for name, d in disagreements.items() if name not in DESCRIBE_DISAGREEMENTS}
    assert not unexplained, "\n".join(f"{name}: {d}" for name, d in sorted(unexplained.items()))
    assert set(DESCRIBE_DISAGREEMENTS) <= set(disagreements), "listed disagreements that no longer occur"
