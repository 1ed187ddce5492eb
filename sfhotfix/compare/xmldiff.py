"""What differs between two versions of one component's XML, in the terms of its metadata type.

Keyed lists (a Profile's ``fieldPermissions`` by ``field``) are matched by key whatever their order;
lists the registry marks unordered are compared as multisets; every other repeated element keeps its
order, because there the order means something (picklist values, layout items, flow elements), and a
pure reordering is reported as such. Whitespace between elements, indentation, comments and the
namespace declarations carry no meaning and are ignored. Entries whose bytes are equal are skipped
without being walked, which keeps one change in a 5,000-entry profile fast.

Unkeyed nested structures that differ are compared with deepdiff, whose paths into lists and dicts
are exactly what such structures need.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any, Iterator

from lxml import etree

KEY_SEPARATOR = "|"
_XMLNS = "http://www.w3.org/2000/xmlns/"


@dataclass(frozen=True)
class Change:
    """One difference: where, what kind, and the value on each side (source = what the change brings)."""

    path: str
    kind: str  # added | removed | modified | reordered
    source: Any
    target: Any

    def as_json(self) -> dict:
        return {"path": self.path, "kind": self.kind, "source": self.source, "target": self.target}


@dataclass(frozen=True)
class TypeFacts:
    """The registry facts the comparison needs: keyed lists and unordered lists, by dotted element path."""

    keyed: dict[str, tuple[str, ...]]
    unordered: frozenset[str]


def local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def element_children(el: etree._Element) -> Iterator[etree._Element]:
    """Child elements, skipping comments and processing instructions."""
    for child in el:
        if isinstance(child.tag, str):
            yield child


def grouped(el: etree._Element) -> dict[str, list[etree._Element]]:
    groups: dict[str, list[etree._Element]] = {}
    for child in element_children(el):
        groups.setdefault(local(child), []).append(child)
    return groups


def entry_key(entry: etree._Element, key: tuple[str, ...]) -> str:
    """The key of a keyed-list entry; composite keys joined by ``|``, missing trailing parts dropped."""
    values = {}
    for child in element_children(entry):
        name = local(child)
        if name in key and name not in values:
            values[name] = (child.text or "").strip()
    parts = [values.get(k, "") for k in key]
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return KEY_SEPARATOR.join(parts)


def plain(el: etree._Element, facts: TypeFacts, path: str = "") -> Any:
    """The meaning of an element as plain data: text for a leaf, else per child tag its value, the list of
    its values when it repeats, or a dict by key for a keyed list."""
    attributes = {f"@{etree.QName(k).localname}": v for k, v in el.attrib.items() if not k.startswith(f"{{{_XMLNS}}}")}
    groups = grouped(el)
    if not groups:
        text = (el.text or "").strip()
        return {**attributes, "#text": text} if attributes else text
    out: dict[str, Any] = dict(attributes)
    for tag, items in groups.items():
        sub = f"{path}.{tag}" if path else tag
        key = facts.keyed.get(sub)
        if key:
            out[tag] = {entry_key(i, key): plain(i, facts, sub) for i in items}
        elif sub in facts.unordered:
            out[tag] = sorted((plain(i, facts, sub) for i in items), key=repr)
        else:
            values = [plain(i, facts, sub) for i in items]
            out[tag] = values[0] if len(values) == 1 else values
    return out


def _same_bytes(a: etree._Element, b: etree._Element) -> bool:
    return etree.tostring(a, with_tail=False) == etree.tostring(b, with_tail=False)


def diff_elements(target: etree._Element, source: etree._Element, facts: TypeFacts, path: str = "",
                  shown: str = "") -> list[Change]:
    """The changes that turn ``target`` into ``source`` (both the same component's root or entry)."""
    changes: list[Change] = []
    _diff_into(target, source, facts, path, shown, changes)
    return changes


def _diff_into(target: etree._Element, source: etree._Element, facts: TypeFacts, path: str, shown: str,
               changes: list[Change]) -> None:
    t_groups, s_groups = grouped(target), grouped(source)
    if not t_groups and not s_groups:
        t_value, s_value = plain(target, facts, path), plain(source, facts, path)
        if t_value != s_value:
            changes.append(Change(shown or local(source), "modified", s_value, t_value))
        return
    _diff_attributes(target, source, shown, changes)
    for tag in [*s_groups, *(t for t in t_groups if t not in s_groups)]:
        sub = f"{path}.{tag}" if path else tag
        label = f"{shown}.{tag}" if shown else tag
        s_items, t_items = s_groups.get(tag, []), t_groups.get(tag, [])
        key = facts.keyed.get(sub)
        if key:
            diff_keyed(t_items, s_items, key, facts, sub, label, changes)
        elif sub in facts.unordered:
            _diff_unordered(t_items, s_items, facts, sub, label, changes)
        else:
            _diff_ordered(t_items, s_items, facts, sub, label, changes)


def _diff_attributes(target: etree._Element, source: etree._Element, shown: str, changes: list[Change]) -> None:
    if target.attrib == source.attrib:
        return
    for name in sorted(set(target.attrib) | set(source.attrib)):
        t_value, s_value = target.attrib.get(name), source.attrib.get(name)
        if t_value != s_value:
            kind = "added" if t_value is None else "removed" if s_value is None else "modified"
            changes.append(Change(f"{shown}@{etree.QName(name).localname}", kind, s_value, t_value))


def keyed_entries(items: list[etree._Element], key: tuple[str, ...]) -> dict[str, etree._Element]:
    return {entry_key(item, key): item for item in items}


def diff_keyed(t_items: list[etree._Element], s_items: list[etree._Element], key: tuple[str, ...],
               facts: TypeFacts, path: str, label: str, changes: list[Change]) -> None:
    t_map, s_map = keyed_entries(t_items, key), keyed_entries(s_items, key)
    for name, s_entry in s_map.items():
        t_entry = t_map.get(name)
        if t_entry is None:
            changes.append(Change(f"{label}[{name}]", "added", plain(s_entry, facts, path), None))
        elif not _same_bytes(t_entry, s_entry):
            _diff_into(t_entry, s_entry, facts, path, f"{label}[{name}]", changes)
    for name, t_entry in t_map.items():
        if name not in s_map:
            changes.append(Change(f"{label}[{name}]", "removed", None, plain(t_entry, facts, path)))


def _diff_unordered(t_items: list[etree._Element], s_items: list[etree._Element], facts: TypeFacts,
                    path: str, label: str, changes: list[Change]) -> None:
    t_values = [plain(i, facts, path) for i in t_items]
    s_values = [plain(i, facts, path) for i in s_items]
    remaining = list(t_values)
    for value in s_values:
        if value in remaining:
            remaining.remove(value)
        else:
            changes.append(Change(label, "added", value, None))
    for value in remaining:
        changes.append(Change(label, "removed", None, value))


def _diff_ordered(t_items: list[etree._Element], s_items: list[etree._Element], facts: TypeFacts,
                  path: str, label: str, changes: list[Change]) -> None:
    if len(t_items) == len(s_items) and all(_same_bytes(a, b) for a, b in zip(t_items, s_items)):
        return
    if len(t_items) == 1 and len(s_items) == 1:
        _diff_into(t_items[0], s_items[0], facts, path, label, changes)
        return
    t_values = [plain(i, facts, path) for i in t_items]
    s_values = [plain(i, facts, path) for i in s_items]
    if t_values == s_values:
        return
    if not t_values or not s_values:
        kind = "added" if not t_values else "removed"
        changes.append(Change(label, kind, s_values or None, t_values or None))
        return
    if sorted(map(repr, t_values)) == sorted(map(repr, s_values)):
        changes.append(Change(label, "reordered", s_values, t_values))
        return
    if len(t_items) == len(s_items):
        # same length: the entries correspond by position; what differs is inside them
        for index, (t_item, s_item, t_value, s_value) in enumerate(zip(t_items, s_items, t_values, s_values)):
            if t_value != s_value:
                _diff_into(t_item, s_item, facts, path, f"{label}[{index}]", changes)
        return
    changes.extend(_deepdiff_changes(t_values, s_values, label))


_KINDS = {
    "iterable_item_added": "added",
    "dictionary_item_added": "added",
    "iterable_item_removed": "removed",
    "dictionary_item_removed": "removed",
    "values_changed": "modified",
    "type_changes": "modified",
}


def _deepdiff_changes(t_values: list, s_values: list, label: str) -> list[Change]:
    """Changes between two ordered lists of unkeyed structures, with deepdiff's element paths."""
    if all(type(v) is str for v in t_values) and all(type(v) is str for v in s_values):
        return _string_list_changes(t_values, s_values, label)
    from deepdiff import DeepDiff  # imported when first needed: it costs every command 50 ms otherwise

    diff = DeepDiff(t_values, s_values, view="tree", ignore_order=False, cutoff_intersection_for_pairs=1)
    changes = []
    for report, levels in diff.items():
        kind = _KINDS.get(report)
        if kind is None:
            continue
        for level in levels:
            steps = level.path(output_format="list")
            shown = label + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps)
            source = None if kind == "removed" else level.t2
            target = None if kind == "added" else level.t1
            changes.append(Change(shown, kind, source, target))
    changes.sort(key=lambda c: c.path)
    return changes


_MISSING = object()


def _string_list_changes(t_values: list[str], s_values: list[str], label: str) -> list[Change]:
    """What :func:`_deepdiff_changes` gives for two lists of plain strings (two ``<description>`` entries against
    one), worked out as deepdiff 9 works it out, without importing deepdiff, which costs 60 ms of a command.

    deepdiff pairs the lists by difflib's opcodes (a replaced run index by index, deleted and inserted items
    alone), unless pairing the whole lists index by index reports no more; an item both removed and added at
    the same index is reported modified. A removal is at its index in the target, an addition at its index in
    the source. (tests/test_compare.py checks this against deepdiff itself.)
    """
    def paired(t_from: int, t_to: int, s_from: int, s_to: int, out: list) -> None:
        for offset, (t, s) in enumerate(zip_longest(t_values[t_from:t_to], s_values[s_from:s_to], fillvalue=_MISSING)):
            t_index, s_index = t_from + offset, s_from + offset
            if s is _MISSING:
                out.append(("removed", t_index, None, t))
            elif t is _MISSING:
                out.append(("added", s_index, s, None))
            elif t_index != s_index and t == s:
                out.append(("moved", t_index, s, t))  # counted as deepdiff counts it, never reported here
            elif t != s:
                out.append(("modified", t_index, s, t))

    by_opcodes: list = []
    matcher = difflib.SequenceMatcher(None, t_values, s_values, autojunk=False)
    for tag, t_from, t_to, s_from, s_to in matcher.get_opcodes():
        if tag == "replace":
            paired(t_from, t_to, s_from, s_to, by_opcodes)
        elif tag == "delete":
            by_opcodes.extend(("removed", i, None, t_values[i]) for i in range(t_from, t_to))
        elif tag == "insert":
            by_opcodes.extend(("added", i, s_values[i], None) for i in range(s_from, s_to))
    found = by_opcodes
    if len(by_opcodes) > 1:
        by_index: list = []
        paired(0, len(t_values), 0, len(s_values), by_index)
        if len(by_opcodes) >= len(by_index):
            found = by_index
    added: dict[int, tuple] = {}
    removed: dict[int, tuple] = {}
    for item in found:
        if item[0] == "added":
            added[item[1]] = item
        elif item[0] == "removed":
            removed[item[1]] = item
    both = sorted(added.keys() & removed.keys())
    merged = {id(added[index]) for index in both} | {id(removed[index]) for index in both}
    changes = [Change(f"{label}[{index}]", kind, source, target) for kind, index, source, target in
               (item for item in found if item[0] != "moved" and id(item) not in merged)]
    changes += [Change(f"{label}[{index}]", "modified", added[index][2], removed[index][3]) for index in both]
    changes.sort(key=lambda c: c.path)
    return changes
