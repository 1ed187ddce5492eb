"""Compare a source with a target, component by component: new, changed, deleted or identical.

Every component and child component is a row; Profiles and Permission Sets (types marked
``subcomponents`` in metadata_types/keys.json) also get a row per entry of their keyed lists, so that
one field permission can be chosen without the rest of the profile. Each row carries a selector that
later commands accept.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable

from lxml import etree

from . import STATUSES
from .units import UNKNOWN, Unit, canonical_text, comparable_content, facts_of, xml_text
from .window import children_touching, differing_lines
from .xmldiff import Change, TypeFacts, diff_elements, grouped, keyed_entries, local, plain


@dataclass
class Row:
    """One line of a comparison."""

    type: str
    full_name: str
    selector: str
    status: str
    parent: tuple[str, str] | None = None
    changes: list[Change] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)  # content file → unified diff
    unknown_type: bool = False
    source_text: str | None = None
    target_text: str | None = None
    extra: dict = field(default_factory=dict)  # e.g. changedBy / changedOn from an org

    def as_json(self, texts: bool = False) -> dict:
        out = {
            "type": self.type,
            "fullName": self.full_name,
            "selector": self.selector,
            "status": self.status,
            "parent": {"type": self.parent[0], "fullName": self.parent[1]} if self.parent else None,
            "changes": [c.as_json() for c in self.changes]
            + [{"path": name, "kind": "modified", "source": None, "target": None, "diff": d} for name, d in self.diffs.items()],
        }
        if self.unknown_type:
            out["unknownType"] = True
        if texts:
            out["sourceText"] = self.source_text
            out["targetText"] = self.target_text
        out.update(self.extra)
        return out


def compare_units(source: dict[tuple[str, str], Unit], target: dict[tuple[str, str], Unit],
                  include_identical: bool = False, texts: bool = False) -> list[Row]:
    """Rows for every unit of either side, parents before their children; identical ones too, for the
    summary (identical subcomponents only with ``include_identical``, as listing them means parsing)."""
    rows: list[Row] = []
    keys = list(source) + [k for k in target if k not in source]
    shared = _shared_files(source), _shared_files(target)
    for key in keys:
        pair = source.get(key), target.get(key)
        rows.extend(compare_unit(*pair, include_identical, texts))
        for unit, side_shared in zip(pair, shared):
            if unit is not None and not side_shared.intersection(unit.files):
                unit.release()  # no other unit reads its files: their trees are done with
    return rows


def _shared_files(units: dict[tuple[str, str], Unit]) -> set[str]:
    """The files more than one unit reads (a parent and the children inside its file)."""
    seen: set[str] = set()
    shared: set[str] = set()
    for unit in units.values():
        for path in unit.files:
            (shared if path in seen else seen).add(path)
    return shared


def _selector(type_name: str, full_name: str) -> str:
    return f"{type_name}:{full_name}"


def compare_unit(s: Unit | None, t: Unit | None, include_identical: bool = False, texts: bool = False) -> list[Row]:
    """The rows of one unit (the source's ``s``, the target's ``t``; either may be missing): its own row first,
    then its subcomponents'."""
    unit = s or t
    assert unit is not None
    base = dict(type=unit.type_name, full_name=unit.full_name, selector=_selector(unit.type_name, unit.full_name),
                parent=unit.parent, unknown_type=unit.type_name == UNKNOWN)
    if s is None or t is None:
        status = "new" if t is None else "deleted"
        row = Row(status=status, **base)
        if texts:
            row.source_text, row.target_text = _text(s), _text(t)
        return [row, *_subcomponent_rows(s, t, include_identical, texts)]
    if s.signature == t.signature and not (include_identical and unit.type and unit.type.subcomponents):
        return [Row(status="identical", **base)]
    facts = facts_of(unit.type)
    subsections: frozenset[str] = frozenset()
    window = None
    if unit.type is not None and unit.type.subcomponents:
        subsections = frozenset(tag for tag in facts.keyed if "." not in tag)
        if not include_identical:
            window = _window(s, t)
    changes: list[Change] = []
    elsewhere = s.skip | subsections  # compared as child components or subcomponents, not as the parent
    parent_touched = window is None or any(local(c) not in elsewhere for c in [*window[0], *window[1]])
    if parent_touched and (s.xml is not None or t.xml is not None):
        changes = _diff_root(_or_bare(t.xml, s.xml), _or_bare(s.xml, t.xml), facts, elsewhere)
    diffs = _content_diffs(s, t)
    sub_rows = _subcomponent_rows(s, t, include_identical, texts, window)
    changed = bool(changes or diffs or any(r.status != "identical" for r in sub_rows))
    row = Row(status="changed" if changed else "identical", changes=changes, diffs=diffs, **base)
    if texts and changed:
        row.source_text, row.target_text = _text(s), _text(t)
    return [row, *sub_rows]


def _diff_root(target: etree._Element, source: etree._Element, facts: TypeFacts, skip: frozenset[str]) -> list[Change]:
    if not skip:
        return diff_elements(target, source, facts)
    return diff_elements(_without(target, skip), _without(source, skip), facts)


def _or_bare(xml: etree._Element | None, other: etree._Element | None) -> etree._Element:
    """A side's XML; where it has no metadata file (a standard object's folder holding only fields), the bare
    root element Salesforce's converter composes there on deploy, so that only what the other side's file
    adds is a difference."""
    if xml is not None:
        return xml
    assert other is not None
    return etree.Element(other.tag, nsmap=other.nsmap)


def _without(root: etree._Element, skip: frozenset[str]) -> etree._Element:
    """A shallow stand-in for ``root`` without the child elements named in ``skip``."""
    stand_in = etree.Element(root.tag, attrib=dict(root.attrib), nsmap=root.nsmap)
    for child in root:
        tag = child.tag
        if isinstance(tag, str) and tag.rpartition("}")[2] not in skip:
            stand_in.append(copy.deepcopy(child))
    return stand_in


def _text(unit: Unit | None) -> str | None:
    if unit is None:
        return None
    for load in unit.content.values():
        data = load()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return xml_text(unit)


def _content_diffs(s: Unit, t: Unit) -> dict[str, str]:
    diffs: dict[str, str] = {}
    s_content, t_content = comparable_content(s), comparable_content(t)
    for name in sorted(set(s_content) | set(t_content)):
        s_data = s_content[name]() if name in s_content else None
        t_data = t_content[name]() if name in t_content else None
        if s_data == t_data or _same_text(s_data, t_data):
            continue
        diffs[name] = _line_diff(name, t_data, s_data)
    return diffs


def _same_text(a: bytes | None, b: bytes | None) -> bool:
    """Two texts that differ only in line endings (CRLF from a Windows checkout, LF from the org): the same
    source to Salesforce. Binary content (a NUL byte, or not UTF-8) is compared byte for byte."""
    if a is None or b is None or (b"\r" not in a and b"\r" not in b) or b"\0" in a or b"\0" in b:
        return False
    try:
        return a.decode("utf-8").replace("\r\n", "\n") == b.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return False


def _line_diff(name: str, target: bytes | None, source: bytes | None) -> str:
    try:
        t_lines = (target or b"").decode("utf-8").splitlines(keepends=True)
        s_lines = (source or b"").decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return f"binary file {name} differs"
    return "".join(difflib.unified_diff(t_lines, s_lines, f"target/{name}", f"source/{name}"))


def _window(s: Unit, t: Unit) -> tuple[list[etree._Element], list[etree._Element]] | None:
    """The top-level elements of each side that overlap the bytes where two single files differ."""
    if s.xml is None or t.xml is None or len(s.signature) != 1 or len(t.signature) != 1:
        return None
    s_lines, t_lines = differing_lines(s.file_bytes(), t.file_bytes())
    return children_touching(s.xml, s_lines), children_touching(t.xml, t_lines)


def _subcomponent_rows(s: Unit | None, t: Unit | None, include_identical: bool, texts: bool,
                       window: tuple[list[etree._Element], list[etree._Element]] | None = None) -> list[Row]:
    """Rows for the entries of a Profile / Permission Set, by section and key.

    With a ``window`` only the entries it holds are compared: every other entry lies in bytes both
    files share, so it is identical, unless its key moved into the window on the other side, which
    the look-up in the other side's whole section catches.
    """
    unit = s or t
    if unit is None or unit.type is None or not unit.type.subcomponents:
        return []
    facts = facts_of(unit.type)
    # sections a preset makes child types (decomposePermissionSetBeta's FieldPermission…) are rows of their own
    children = (s.skip if s else frozenset()) | (t.skip if t else frozenset())
    s_all = _LazyGroups(s)
    t_all = _LazyGroups(t)
    s_groups = _group_list(window[0]) if window else s_all.groups
    t_groups = _group_list(window[1]) if window else t_all.groups
    rows = []
    for section, key in facts.keyed.items():
        if "." in section or section in children or (section not in s_groups and section not in t_groups):
            continue
        s_map = keyed_entries(s_groups.get(section, []), key)
        t_map = keyed_entries(t_groups.get(section, []), key)
        if window:
            _complete(s_map, t_map, s_all, section, key)
            _complete(t_map, s_map, t_all, section, key)
        for name in [*s_map, *(n for n in t_map if n not in s_map)]:
            row = _entry_row(unit, section, name, s_map.get(name), t_map.get(name), facts, texts)
            if row.status != "identical" or include_identical:
                rows.append(row)
    return rows


def _group_list(elements: list[etree._Element]) -> dict[str, list[etree._Element]]:
    groups: dict[str, list[etree._Element]] = {}
    for el in elements:
        if isinstance(el.tag, str):
            groups.setdefault(local(el), []).append(el)
    return groups


class _LazyGroups:
    """A side's top-level elements grouped by name, computed only when first needed."""

    def __init__(self, unit: Unit | None):
        self._unit = unit

    @cached_property
    def groups(self) -> dict[str, list[etree._Element]]:
        unit = self._unit
        return grouped(unit.xml) if unit is not None and unit.xml is not None else {}

    def section(self, name: str) -> list[etree._Element]:
        """One group, picked out by libxml2 unless every group is built already: a window's look-up of a
        few keys should not build an object for each of a profile's thousands of entries."""
        if "groups" in self.__dict__:
            return self.groups.get(name, [])
        unit = self._unit
        return list(unit.xml.iterchildren(f"{{*}}{name}")) if unit is not None and unit.xml is not None else []


def _complete(mine: dict[str, etree._Element], theirs: dict[str, etree._Element], whole: _LazyGroups,
              section: str, key: tuple[str, ...]) -> None:
    """Add to ``mine`` the entries of its whole section that ``theirs`` names but the window left out."""
    missing = [name for name in theirs if name not in mine]
    if missing:
        everything = keyed_entries(whole.section(section), key)
        mine.update((name, everything[name]) for name in missing if name in everything)


def _entry_row(unit: Unit, section: str, name: str, s_el: etree._Element | None, t_el: etree._Element | None,
               facts: TypeFacts, texts: bool) -> Row:
    selector = f"{unit.type_name}:{unit.full_name}/{section}:{name}"
    base = dict(type=f"{unit.type_name}.{section}", full_name=name, selector=selector, parent=unit.key)
    if s_el is None or t_el is None:
        status = "new" if t_el is None else "deleted"
        changes = [Change(section, "added" if t_el is None else "removed",
                          plain(s_el, facts, section) if s_el is not None else None,
                          plain(t_el, facts, section) if t_el is not None else None)]
        row = Row(status=status, changes=changes, **base)
    else:
        if etree.tostring(s_el, with_tail=False) == etree.tostring(t_el, with_tail=False):
            return Row(status="identical", **base)
        changes = diff_elements(t_el, s_el, facts, section)
        row = Row(status="changed" if changes else "identical", changes=changes, **base)
    if texts and row.status != "identical":
        row.source_text = canonical_text(s_el) if s_el is not None else None
        row.target_text = canonical_text(t_el) if t_el is not None else None
    return row


def summarize(rows: Iterable[Row]) -> dict[str, int]:
    counts = {status: 0 for status in STATUSES}
    for row in rows:
        counts[row.status] += 1
    return counts
