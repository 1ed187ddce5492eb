"""What a retrieve returns: the zip, its FileProperties and the "cannot be found" messages.

Why: this is the call sfhotfix depends on most, so its result is built as Salesforce builds it — a zip
with ``unpackaged/`` (or nothing, with singlePackage) before each path and a package.xml echoing the
request; child members (``CustomField Invoice__c.Amount__c``, ``CustomLabel X``) cut out of their parent's
file when the parent itself is not requested; ``*`` expanded (not for folder types, as in a real org);
one message per member the org does not have; and Profiles holding only the sections that concern the
other components of the same retrieve, which is how a real org answers a Profile retrieve.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

from lxml import etree

from . import sfxml
from .fileset import Component
from .org import Org, User

# Profile sections and the component each entry depends on: (element, type, element naming the component)
PROFILE_SECTIONS = {
    "applicationVisibilities": ("CustomApplication", "application"),
    "classAccesses": ("ApexClass", "apexClass"),
    "customMetadataTypeAccesses": ("CustomObject", "name"),
    "customPermissions": ("CustomPermission", "name"),
    "customSettingAccesses": ("CustomObject", "name"),
    "externalDataSourceAccesses": ("ExternalDataSource", "externalDataSource"),
    "fieldPermissions": ("CustomField", "field"),
    "flowAccesses": ("Flow", "flow"),
    "layoutAssignments": ("Layout", "layout"),
    "objectPermissions": ("CustomObject", "object"),
    "pageAccesses": ("ApexPage", "apexPage"),
    "recordTypeVisibilities": ("RecordType", "recordType"),
    "tabVisibilities": ("CustomTab", "tab"),
}
PROFILE_TYPES = {"Profile"}


@dataclass
class RetrievePlan:
    zip_file: bytes
    file_properties: list[dict] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)


def _zip(files: dict[str, bytes], date_time: tuple) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def _filter_profile(data: bytes, selected: dict[str, set[str]]) -> bytes:
    """Keep a Profile's sections only for components in the same retrieve."""
    root = sfxml.parse(data)
    objects = selected.get("CustomObject", set())
    for el in list(sfxml.elements(root)):
        section = PROFILE_SECTIONS.get(sfxml.local(el))
        if section is None:
            continue
        type_name, name_element = section
        name = sfxml.text_of(el, name_element) or ""
        keep = name in selected.get(type_name, set())
        if not keep and type_name in ("CustomField", "RecordType"):
            keep = name.split(".", 1)[0] in objects
        if not keep:
            root.remove(el)
    return sfxml.serialize(root)


def plan(org: Org, request: etree._Element, user: User, now: str, date_time: tuple) -> RetrievePlan:
    """Build the result of a RetrieveRequest against the org as it is now."""
    api_version = sfxml.text_of(request, "apiVersion") or ""
    single = (sfxml.text_of(request, "singlePackage") or "").lower() in ("true", "1")
    prefix = "" if single else "unpackaged/"
    unpackaged = sfxml.find(request, "unpackaged")
    requested, version = sfxml.read_package(unpackaged) if unpackaged is not None else ({}, None)
    version = version or api_version
    package_file = prefix + "package.xml"
    result = RetrievePlan(b"")

    def missing(problem: str) -> None:
        result.messages.append({"fileName": package_file, "problem": problem})

    for name in sfxml.find_all(request, "packageNames"):
        package = (name.text or "").strip()
        missing(f"Entity of type 'Package' named '{package}' cannot be found")

    with org.lock:
        chosen: dict[tuple[str, str], Component] = {}
        for type_name, members in requested.items():
            info = org.types.top(type_name)
            if info is None and type_name not in org.types.children:
                missing(f"Entity type: '{type_name}' is unknown")
                continue
            for member in members:
                if member == "*":
                    if info is not None:
                        comps = [] if info.in_folder else org.of_type(type_name)
                    else:
                        comps = org.children_of_type(type_name)
                    chosen.update((c.key, c) for c in comps)
                    continue
                comp = org.lookup(type_name, member)
                if comp is None:
                    missing(f"Entity of type '{type_name}' named '{member}' cannot be found")
                    continue
                chosen[comp.key] = comp

        selected: dict[str, set[str]] = {}
        for comp in chosen.values():
            selected.setdefault(comp.type, set()).add(comp.full_name)

        files: dict[str, bytes] = {}
        partial: dict[tuple[str, str], list[Component]] = {}
        for comp in chosen.values():
            if comp.parent is None:
                for path in comp.files:
                    data = org.files[path]
                    if comp.type in PROFILE_TYPES and path == comp.main_file:
                        try:
                            data = _filter_profile(data, selected)
                        except sfxml.XmlError:
                            pass
                    files[path] = data
            elif comp.parent.key not in chosen:
                partial.setdefault(comp.parent.key, []).append(comp)
        for parent_key, kids in partial.items():
            parent = kids[0].parent
            files[parent.main_file] = org.partial_parent(parent, kids)

        props = [org.file_properties(c, prefix + c.main_file) for c in chosen.values()]

    props.append(
        {
            "createdById": user.id,
            "createdByName": user.name,
            "createdDate": now,
            "fileName": package_file,
            "fullName": package_file,
            "id": "",
            "lastModifiedById": user.id,
            "lastModifiedByName": user.name,
            "lastModifiedDate": now,
            "manageableState": "unmanaged",
            "type": "Package",
        }
    )
    result.file_properties = sorted(props, key=lambda p: (p["fileName"], p["type"], p["fullName"]))
    entries = {prefix + path: files[path] for path in sorted(files)}
    entries[package_file] = sfxml.package_xml(requested, version)
    result.zip_file = _zip(entries, date_time)
    return result
