"""package.xml: the manifest of a metadata-API tree, written as Salesforce's converter writes it."""

from __future__ import annotations

from typing import Iterable

from lxml import etree

from ..components import Component
from ..errors import UsageError
from ..registry import Registry
from ..tree import FileTree
from ..xmlio import parse_tree
from . import sdr_xml

NS = "http://soap.sforce.com/2006/04/metadata"


# folder types whose members carry a trailing "/" so that the Metadata API knows them for folders
SLASHED_FOLDERS = ("DashboardFolder", "ReportFolder", "EmailTemplateFolder")


def manifest_members(components: Iterable[Component], registry: Registry, tree: FileTree) -> dict[str, set[str]]:
    """Type name → members, for components and their addressable children, as the converter lists them.

    Folders are listed under the type they hold (``EmailTemplate: emailtest``). A decomposed parent
    whose own file is empty or absent (a standard object that only carries fields: lwc-recipes keeps Account
    so) is left out, as ``sf project convert`` leaves it out.
    """
    members: dict[str, set[str]] = {}
    for component in components:
        for child in component.children:
            if child.type.addressable:
                members.setdefault(child.type.name, set()).add(child.full_name)
        t = component.type
        if t.addressable and not _empty_decomposed_parent(component, registry, tree):
            name = f"{component.full_name}/" if t.name in SLASHED_FOLDERS else component.full_name
            members.setdefault(t.folder_content_type or t.name, set()).add(name)
    return members


def _empty_decomposed_parent(component: Component, registry: Registry, tree: FileTree) -> bool:
    t = component.type
    if t.transformer != "decomposed":
        return False
    children = registry.children_of(t)
    if not any(c.addressable for c in children) or all(c.unaddressable_without_parent for c in children):
        return False
    if not component.xml:
        return True
    body = next(iter(sdr_xml.parse(tree.read(component.xml), f"{tree.label}/{component.xml}").values()))
    return not (isinstance(body, dict) and len(body) > 1)


def build_manifest(members: dict[str, set[str]], api_version: str) -> bytes:
    """package.xml bytes: types sorted by name, members in code-point order, version last."""
    types = [
        {"members": sorted(names), "name": type_name}
        for type_name, names in sorted(members.items())
        if names
    ]
    package: dict = {"@_xmlns": NS}
    if types:
        package["types"] = types
    package["version"] = api_version
    return sdr_xml.build({"Package": package})


def read_manifest(data: bytes, source: str) -> tuple[dict[str, list[str]], str | None]:
    """The members and version a package.xml names."""
    root = parse_tree(data, source).getroot()
    if etree.QName(root).localname != "Package":
        raise UsageError(f"{source}: not a package.xml (root element is <{etree.QName(root).localname}>)")
    members: dict[str, list[str]] = {}
    version = None
    for el in root:
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local == "version":
            version = (el.text or "").strip()
        elif local == "types":
            names = [(m.text or "").strip() for m in el if isinstance(m.tag, str) and etree.QName(m).localname == "members"]
            type_name = next(((n.text or "").strip() for n in el if isinstance(n.tag, str) and etree.QName(n).localname == "name"), None)
            if not type_name:
                raise UsageError(f"{source}:{el.sourceline}: a <types> entry has no <name>")
            members.setdefault(type_name, []).extend(names)
    return members, version
