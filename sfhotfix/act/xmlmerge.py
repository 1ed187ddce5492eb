"""Bring one element of a base file to the meaning of the source's, changing as little as possible.

The base file is edited in place through sfhotfix's preserving writer, so everything this module does
not touch is written back byte for byte: a changed leaf gets its new text, a keyed entry is updated,
inserted where Salesforce would put it (its key's code-point order, as a retrieve orders entries) or
removed, an ordered list is rewritten only when it differs, and a new element goes where the source
has it relative to its neighbours.
"""

from __future__ import annotations

import copy
from bisect import bisect_right

from lxml import etree

from ..collation import sort_key
from ..compare.xmldiff import TypeFacts, entry_key, grouped, local, plain


def sync(base: etree._Element, source: etree._Element, facts: TypeFacts, path: str = "",
         skip: frozenset[str] = frozenset()) -> bool:
    """Make ``base``'s content mean what ``source``'s does; returns whether anything changed.

    ``skip`` names top-level child elements left alone (children that are components of their own).
    """
    b_groups = {t: v for t, v in grouped(base).items() if t not in skip}
    s_groups = {t: v for t, v in grouped(source).items() if t not in skip}
    if not b_groups and not s_groups and not (skip and (len(base) or len(source))):
        return _sync_text(base, source)
    changed = _sync_attributes(base, source)
    order = list(s_groups)
    for tag, s_items in s_groups.items():
        sub = f"{path}.{tag}" if path else tag
        b_items = b_groups.get(tag, [])
        key = facts.keyed.get(sub)
        if key:
            changed |= _sync_keyed(base, tag, b_items, s_items, key, facts, sub, order)
        elif sub in facts.unordered:
            changed |= _sync_unordered(base, tag, b_items, s_items, facts, sub, order)
        else:
            changed |= _sync_ordered(base, tag, b_items, s_items, facts, sub, order)
    for tag, b_items in b_groups.items():
        if tag not in s_groups:
            for item in b_items:
                remove(item)
            changed = True
    return changed


def _sync_text(base: etree._Element, source: etree._Element) -> bool:
    new = (source.text or "").strip()
    if (base.text or "").strip() == new:
        return False
    base.text = new
    return True


def _sync_attributes(base: etree._Element, source: etree._Element) -> bool:
    if dict(base.attrib) == dict(source.attrib):
        return False
    for name in list(base.attrib):
        if name not in source.attrib:
            del base.attrib[name]
    for name, value in source.attrib.items():
        base.set(name, value)
    return True


def _sync_keyed(parent: etree._Element, tag: str, b_items: list, s_items: list, key: tuple[str, ...],
                facts: TypeFacts, path: str, order: list[str]) -> bool:
    changed = False
    b_map = {entry_key(e, key): e for e in b_items}
    s_map = {entry_key(e, key): e for e in s_items}
    for name, entry in b_map.items():
        if name not in s_map:
            remove(entry)
            changed = True
    for name, s_entry in s_map.items():
        b_entry = b_map.get(name)
        if b_entry is None:
            insert_entry(parent, tag, s_entry, key, order)
            changed = True
        elif plain(b_entry, facts, path) != plain(s_entry, facts, path):
            changed |= sync(b_entry, s_entry, facts, path)
    return changed


def _sync_unordered(parent: etree._Element, tag: str, b_items: list, s_items: list, facts: TypeFacts,
                    path: str, order: list[str]) -> bool:
    wanted = [plain(i, facts, path) for i in s_items]
    changed = False
    for item in b_items:
        value = plain(item, facts, path)
        if value in wanted:
            wanted.remove(value)
        else:
            remove(item)
            changed = True
    for item in s_items:
        value = plain(item, facts, path)
        if value in wanted:
            wanted.remove(value)
            insert_new(parent, tag, item, order)
            changed = True
    return changed


def _sync_ordered(parent: etree._Element, tag: str, b_items: list, s_items: list, facts: TypeFacts,
                  path: str, order: list[str]) -> bool:
    b_values = [plain(i, facts, path) for i in b_items]
    s_values = [plain(i, facts, path) for i in s_items]
    if b_values == s_values:
        return False
    if len(b_items) == len(s_items):
        changed = False
        for b_item, s_item, b_value, s_value in zip(b_items, s_items, b_values, s_values):
            if b_value != s_value:
                changed |= sync(b_item, s_item, facts, path)
        return changed
    anchor = b_items[-1] if b_items else None
    for s_item in s_items:
        new = adopt(s_item, parent, tag)
        if anchor is None:
            _insert_at_tag_position(parent, tag, new, order)
        else:
            anchor.addnext(new)
        anchor = new
    for item in b_items:
        remove(item)
    return True


def adopt(source: etree._Element, parent: etree._Element, tag: str) -> etree._Element:
    """A copy of a source element for ``parent``'s document: named ``tag`` in the parent's namespace,
    with layout whitespace dropped so that the writer indents it the way the file is indented."""
    new = copy.deepcopy(source)
    namespace = etree.QName(parent).namespace
    new.tag = f"{{{namespace}}}{tag}" if namespace else tag
    for el in new.iter():
        if isinstance(el.tag, str) and len(el) and el.text is not None and not el.text.strip():
            el.text = None
        if el.tail is not None and not el.tail.strip():
            el.tail = None
        if el is not new and isinstance(el.tag, str) and namespace:
            el.tag = f"{{{namespace}}}{local(el)}"
    new.tail = None
    return new


def insert_entry(parent: etree._Element, tag: str, source_entry: etree._Element, key: tuple[str, ...],
                 order: list[str]) -> etree._Element:
    """Insert a keyed entry in its key's order among the parent's entries of that tag: code-point order, as
    the Metadata API retrieves them, or where the file follows it, the order Salesforce's converter writes
    (``collation.sort_key``); after the last entry in a file that follows neither."""
    new = adopt(source_entry, parent, tag)
    siblings = [c for c in parent if isinstance(c.tag, str) and local(c) == tag]
    if not siblings:
        _insert_at_tag_position(parent, tag, new, order)
        return new
    keys = [entry_key(s, key) for s in siblings]
    if keys == sorted(keys):
        position = bisect_right(keys, entry_key(new, key))
    elif (collated := [sort_key(k) for k in keys]) == sorted(collated):
        position = bisect_right(collated, sort_key(entry_key(new, key)))
    else:
        position = len(keys)
    if position == 0:
        siblings[0].addprevious(new)
    else:
        siblings[position - 1].addnext(new)
    return new


def insert_new(parent: etree._Element, tag: str, source_item: etree._Element, order: list[str]) -> etree._Element:
    """Insert a copy of an unkeyed item after the parent's last item of that tag (or at the tag's place)."""
    new = adopt(source_item, parent, tag)
    siblings = [c for c in parent if isinstance(c.tag, str) and local(c) == tag]
    if siblings:
        siblings[-1].addnext(new)
    else:
        _insert_at_tag_position(parent, tag, new, order)
    return new


def _insert_at_tag_position(parent: etree._Element, tag: str, new: etree._Element, order: list[str]) -> None:
    """Place an element of a tag the parent lacks where the source has that tag among its neighbours."""
    children = [c for c in parent if isinstance(c.tag, str)]
    position = order.index(tag) if tag in order else len(order)
    before = set(order[:position])
    after = set(order[position + 1:])
    last_before = next((c for c in reversed(children) if local(c) in before), None)
    if last_before is not None:
        last_before.addnext(new)
        return
    first_after = next((c for c in children if local(c) in after), None)
    if first_after is not None:
        first_after.addprevious(new)
        return
    names = [local(c) for c in children]
    index = next((i for i, name in enumerate(names) if name > tag), None)  # alphabetical, as most types are
    if index is None:
        parent.append(new)
    else:
        children[index].addprevious(new)


def remove(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is not None:
        parent.remove(el)
