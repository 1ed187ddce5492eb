"""The comparable units of a source: every component and child component, whatever the file format.

A CustomField is one unit whether it sits in ``objects/A.object`` (metadata-API format) or in
``objects/A/fields/F.field-meta.xml`` (source format); its parent's unit leaves the child elements out.
Each unit carries the git blob ids of the files that hold it (``signature``) so that equal files compare
without being parsed — between two git revisions without even being read — and parses lazily, each file
at most once.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

from lxml import etree

from ..components import Component
from ..registry import MetadataType, Registry
from ..resolve import in_two_files
from ..sources import Source
from ..xmlio import new_document, parse_tree
from .xmldiff import TypeFacts, entry_key, local

UNKNOWN = "Unknown"
NS = "http://soap.sforce.com/2006/04/metadata"


@dataclass(eq=False)
class Unit:
    """One comparable component: its identity, how to load its XML and content, and a cheap signature."""

    type_name: str
    full_name: str
    type: MetadataType | None
    parent: tuple[str, str] | None
    signature: tuple[str, ...]
    load_xml: Callable[[], etree._Element | None]
    content: dict[str, Callable[[], bytes]] = field(default_factory=dict)
    # child element names left out of this unit's XML (its children are units of their own)
    skip: frozenset[str] = frozenset()
    files: list[str] = field(default_factory=list)
    # the component this unit was read from (an in-file child's is the child component)
    component: Component | None = None
    # True when the unit's XML is an element inside its parent's file, not a file of its own
    in_file: bool = False
    read_file: Callable[[str], bytes] | None = None
    forget_file: Callable[[str], None] | None = None  # drops a file's parsed tree from the source's cache

    def release(self) -> None:
        """Drop the parsed XML, read again if it is asked for later: a comparison of two hundred large
        profiles then holds one pair of trees at a time, not all of them (compare_units)."""
        self.__dict__.pop("xml", None)
        if self.forget_file is not None:
            for path in self.files:
                self.forget_file(path)

    @property
    def key(self) -> tuple[str, str]:
        return (self.type_name, self.full_name)

    def file_bytes(self) -> bytes:
        """The bytes of the unit's only file (for units held by one file)."""
        assert self.read_file is not None
        return self.read_file(self.files[0])

    @cached_property
    def xml(self) -> etree._Element | None:
        return self.load_xml()


def facts_of(t: MetadataType | None) -> TypeFacts:
    if t is None:
        return TypeFacts({}, frozenset())
    return TypeFacts(t.keyed_lists, t.unordered_lists)


class _Files:
    """Reads and parses each file of a source once."""

    def __init__(self, source: Source):
        self.source = source
        self._trees: dict[str, etree._Element] = {}
        self._entries: dict[tuple[str, str, tuple[str, ...]], dict[str, etree._Element]] = {}

    def data(self, path: str) -> bytes:
        return self.source.tree.read(path)

    def fingerprint(self, path: str) -> str:
        known = getattr(self.source.tree, "fingerprint", None)  # a git tree's blob ids: nothing to read or hash
        if known is not None:
            return known(path)
        from ..tree import fingerprint

        return fingerprint(self.source.tree, path)

    def forget(self, path: str) -> None:
        self._trees.pop(path, None)
        for index_key in [k for k in self._entries if k[0] == path]:
            del self._entries[index_key]

    def root(self, path: str) -> etree._Element:
        if path not in self._trees:
            label = f"{self.source.tree.label}/{path}"
            self._trees[path] = parse_tree(self.data(path), label).getroot()
        return self._trees[path]

    def entry(self, path: str, element: str, key_elements: tuple[str, ...], name: str) -> etree._Element | None:
        """The ``<element>`` entry named ``name`` in a file, from an index built once per file and element."""
        index_key = (path, element, key_elements)
        if index_key not in self._entries:
            self._entries[index_key] = {
                child_name(el, key_elements) or "": el
                for el in self.root(path)
                if isinstance(el.tag, str) and local(el) == element
            }
        return self._entries[index_key].get(name)


def collect_units(source: Source) -> dict[tuple[str, str], Unit]:
    """Every unit of ``source`` by (type, fullName); unknown files become opaque units."""
    files = _Files(source)
    registry = source.registry
    units: dict[tuple[str, str], Unit] = {}
    for component in source.resolved.components:
        for unit in _component_units(component, files, registry):
            unit.read_file, unit.forget_file = files.data, files.forget
            known = units.get(unit.key)
            if known is not None and unit.parent is None:  # custom labels in another package directory's file
                known.signature += unit.signature  # (resolve._Collector): one unit of all its files
                known.files = [*known.files, *unit.files]
                continue
            if known is not None and known.files != unit.files:  # one label in two of those files
                assert unit.type is not None
                raise in_two_files(unit.type, unit.full_name, source.tree.label, known.files[0], unit.files[0])
            units[unit.key] = unit
    for path in source.resolved.unknown:
        units[(UNKNOWN, path)] = Unit(UNKNOWN, path, None, None, (files.fingerprint(path),), lambda: None,
                                      {path.rsplit("/", 1)[-1]: (lambda p=path: files.data(p))}, files=[path])
    return units


def _component_units(component: Component, files: _Files, registry: Registry) -> list[Unit]:
    t = component.type
    xml_path = component.xml
    content = {content_name(component, p): (lambda p=p: files.data(p)) for p in component.content}
    skip = frozenset(c.xml_element or c.directory_name for c in registry.children_of(t))
    in_file = [c for c in component.children if c.xml is None and not c.content]
    signature = tuple(files.fingerprint(p) for p in component.files)
    load = (lambda p=xml_path: files.root(p)) if xml_path else (lambda: None)
    parent = Unit(t.name, component.full_name, t, None, signature, load, content, skip, component.files, component)
    units = [parent]
    if in_file and xml_path:
        # children inside the parent's file: equal parent bytes mean equal children
        for child in in_file:
            units.append(_in_file_child(child, component, files, xml_path, signature))
    for child in component.children:
        if child.xml is not None:
            child_path = child.xml
            units.append(Unit(child.type.name, child.full_name, child.type, component.key,
                              (files.fingerprint(child_path),), lambda p=child_path: files.root(p),
                              files=[child_path], component=child))
        elif child.content:  # a site's content (DigitalExperience): its files, no metadata XML
            units.append(Unit(child.type.name, child.full_name, child.type, component.key,
                              tuple(files.fingerprint(p) for p in child.content), lambda: None,
                              {content_name(child, p): (lambda p=p: files.data(p)) for p in child.content},
                              files=list(child.content), component=child))
    return units


def _in_file_child(child: Component, parent: Component, files: _Files, xml_path: str,
                   signature: tuple[str, ...]) -> Unit:
    t = child.type
    element = t.xml_element or t.directory_name
    key_elements = t.unique_id_elements()
    wanted = child.full_name if t.ignore_parent_name else child.full_name[len(parent.full_name) + 1:]

    return Unit(t.name, child.full_name, t, parent.key, signature,
                lambda: files.entry(xml_path, element, key_elements, wanted), files=[xml_path], component=child,
                in_file=True)


def child_name(el: etree._Element, key_elements: tuple[str, ...]) -> str | None:
    """The name of an in-file child entry: the first of its key elements that has a value."""
    for name in key_elements:
        value = entry_key(el, (name,))
        if value:
            return value
    return None


def content_name(component: Component, path: str) -> str:
    """A content file's name relative to its component, the same in both formats."""
    parts = path.split("/")
    directory = component.type.directory_name
    if directory in parts:
        below = parts[len(parts) - 1 - parts[::-1].index(directory) + 1:]
        if component.type.strategy == "digitalExperience":  # below the site's folder, or its content's
            depth = 4 if component.parent is not None else 2
            return "/".join(below[depth:]) if len(below) > depth else below[-1]
        if component.type.strategy in ("bundle", "uiBundle") and len(below) > 1:
            return "/".join(below[1:])
        return "/".join(below)
    return parts[-1]


def comparable_content(unit: Unit) -> dict[str, Callable[[], bytes]]:
    """A unit's content files by names that are the same in both formats.

    A static resource is one ``.resource`` file in metadata-API format and, when it is a zip, a folder of the
    zip's files in source format (``brand/style.css``), else one file with its MIME type's extension
    (``brand.svg``): a zip is read as its files below the resource's name, any other single file by the
    resource's name. Only called for units whose files differ, so a resource is read only then.
    """
    t = unit.type
    if t is None or t.strategy != "staticResource" or len(unit.content) != 1:
        return unit.content
    (name, load), = unit.content.items()
    if "/" in name:  # one file kept in the resource's folder
        return unit.content
    data = load()
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return {unit.full_name: load}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    return {f"{unit.full_name}/{member}": (lambda value=value: value) for member, value in members.items()}


def xml_text(unit: Unit) -> str | None:
    """The unit's XML as its own file in Salesforce's form (children left out), for side-by-side diffs.

    Written the same way whichever format it came from, so that only meaning shows as a difference.
    """
    root = unit.xml
    if root is None:
        return None
    return canonical_text(root, unit.skip, f"{{{NS}}}{unit.type_name}" if unit.type else None)


def canonical_text(element: etree._Element, skip: frozenset[str] = frozenset(), tag: str | None = None) -> str:
    """``element`` re-indented Salesforce's way, optionally renamed and without the ``skip`` children."""
    copy = etree.fromstring(etree.tostring(element, with_tail=False))
    if tag:
        copy.tag = tag
    for el in list(copy):
        if isinstance(el.tag, str) and local(el) in skip:
            copy.remove(el)
    for el in copy.iter():
        if len(el) and el.text is not None and not el.text.strip():
            el.text = None
        if el.tail is not None and not el.tail.strip():
            el.tail = None
    etree.indent(copy, space="    ")
    return new_document(copy).to_bytes().decode("utf-8")
