"""sfdx-git-delta's view of XML, so that a file ``sfhotfix delta --generate-delta`` prunes is byte-identical to sgd's.

sfdx-git-delta (sgd) reads a changed in-file metadata file (a Profile, a Workflow, CustomLabels…) at both
revisions into plain objects with fast-xml-parser 5, keeps the entries that changed, and writes the result back
with fast-xml-parser's builder. Its options are not Salesforce's converter's (see ``sdr_xml.py``), and the
differences show in the bytes:

* entity and character references are neither decoded nor re-escaped (``processEntities: false`` both ways):
  ``&amp;amp;`` stays ``&amp;amp;``, a bare ``'`` stays ``'``;
* text is trimmed; the text pieces of an element are glued together without a separator, after its children;
* a CDATA section becomes plain text, untrimmed and unescaped; comments are kept (``#comment``);
* repeated elements are grouped at their first position; an empty element is written ``<x></x>``;
* the declaration is kept as read (``?xml`` with its attributes), indentation is four spaces, the file ends
  with a newline.

No XML library reproduces these rules, so this module is a small port of the parts of fast-xml-parser's
``OrderedObjParser``/``node2json`` and ``fast-xml-builder`` that sgd's options reach, over the document text.
It never expands an entity and refuses a DOCTYPE. Like fast-xml-parser it is lenient; :func:`prune_documents`
checks a document with :func:`sfhotfix.xmlio.parse_tree` (malformed XML refused with file and line) whenever
the shortcut below does not apply.

A node is a ``str`` (a leaf's text) or a ``dict`` whose keys keep document order (``@_name`` attributes after
the children, ``#comment``, ``#text``, child element names; a repeated key holds a ``list``), as in sdr_xml.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Union

from ..errors import UsageError
from ..xmlio import parse_tree

Node = Union[str, dict, list]

TEXT = "#text"
COMMENT = "#comment"
DECLARATION_KEY = "?xml"
ATTRIBUTE_PREFIX = "@_"
INDENT = "    "
ARRAY_KEY = "<array>"  # sgd: the list is one unit, kept whole when any of it differs
OBJECT_KEY = "<object>"  # sgd: an entry is identified by its whole content

# what JavaScript's String.prototype.trim() and the regex class \s treat as white space
JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
           "\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_SPACE_CLASS = "[" + re.escape(JS_SPACE) + "]"
_FIRST_SPACE = re.compile(_JS_SPACE_CLASS)
_ATTRIBUTE = re.compile(rf"([^{re.escape(JS_SPACE)}=]+){_JS_SPACE_CLASS}*"
                        rf"(={_JS_SPACE_CLASS}*(?:\"([^\"]*)\"|'([^']*)'))?")


def js_trim(text: str) -> str:
    return text.strip(JS_SPACE)


# ----------------------------------------------------------------------------------------------- parsing


@dataclass
class _Element:
    """fast-xml-parser's ordered node: a tag, its children in order (``(name, value)``), its attributes."""

    tag: str
    children: list[tuple[str, object]] = field(default_factory=list)
    attributes: dict[str, str] | None = None


def parse(data: bytes | str, source: str = "") -> dict:
    """A document in sgd's object form: ``{"?xml": {...}, "Profile": {...}}``; empty input gives ``{}``."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if not text:
        return {}
    return _compress(_ordered(text.replace("\r\n", "\n").replace("\r", "\n"), source).children)


def _ordered(xml: str, source: str) -> _Element:
    """The ordered tree, read as fast-xml-parser's parseXml reads a well-formed document."""
    root = _Element("!xml")
    stack: list[_Element] = []
    current = root
    text = ""
    i, end = 0, len(xml)
    while i < end:
        lt = xml.find("<", i)
        if lt < 0:
            break  # trailing text after the root element is dropped
        text += xml[i:lt]
        i = lt
        nxt = xml[i + 1:i + 2]
        if nxt == "/":
            close = _find(xml, ">", i, source, "closing tag is not closed")
            text = _save_text(text, current)
            current = stack.pop() if stack else root
            text = ""
            i = close + 1
        elif nxt == "?":
            name, expression, close, _ = _tag_expression(xml, i, "?>", source)
            text = _save_text(text, current)
            element = _Element(name, [(TEXT, "")])
            if name != expression:
                element.attributes = _attributes(expression)
            current.children.append((name, element))
            i = close + 2
        elif xml.startswith("!--", i + 1):
            close = _find(xml, "-->", i + 4, source, "comment is not closed")
            text = _save_text(text, current)
            current.children.append((COMMENT, _Element(COMMENT, [(TEXT, xml[i + 4:close])])))
            i = close + 3
        elif xml.startswith("!D", i + 1):
            raise UsageError(f"{source}: DOCTYPE and entity declarations are refused")
        elif xml.startswith("![", i + 1):
            close = _find(xml, "]]>", i, source, "CDATA is not closed")
            text = _save_text(text, current)
            current.children.append((TEXT, xml[i + 9:close]))
            i = close + 3
        else:
            name, expression, close, present = _tag_expression(xml, i, ">", source)
            if text and current.tag != "!xml":
                text = _save_text(text, current)
            self_closing = expression.endswith("/")
            if self_closing:
                if name.endswith("/"):
                    name = expression = name[:-1]
                else:
                    expression = expression[:-1]
                present = name != expression
            element = _Element(name)
            if name != expression and present:
                element.attributes = _attributes(expression)
            current.children.append((name, element))
            if not self_closing:
                stack.append(current)
                current = element
            text = ""
            i = close + 1
    return root


def _find(xml: str, needle: str, start: int, source: str, what: str) -> int:
    found = xml.find(needle, start)
    if found < 0:
        raise UsageError(f"{source}: malformed XML: {what}")
    return found


def _tag_expression(xml: str, i: int, closing: str, source: str) -> tuple[str, str, int, bool]:
    """Name, attribute expression and closing index of the tag at ``i`` (quotes may hide ``>``; tabs become spaces)."""
    index = i + 1
    parts: list[str] = []
    start = index
    end = len(xml)
    while index < end:
        char = xml[index]
        if char in "\"'":
            index = xml.find(char, index + 1)
            if index < 0:
                break
        elif char == closing[0] and (len(closing) == 1 or xml.startswith(closing, index)):
            parts.append(xml[start:index])
            data = "".join(parts)
            space = _FIRST_SPACE.search(data)
            if space is None:
                return data, data, index, True
            return data[:space.start()], data[space.start() + 1:].lstrip(JS_SPACE), index, True
        elif char == "\t":
            parts.append(xml[start:index] + " ")
            start = index + 1
        index += 1
    raise UsageError(f"{source}: malformed XML: a tag is not closed")


def _attributes(expression: str) -> dict[str, str] | None:
    """Attributes with a value, trimmed, references kept; valueless ones are dropped (allowBooleanAttributes off)."""
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(expression):
        value = match.group(3) if match.group(3) is not None else match.group(4)
        if match.group(1) and value is not None:
            found[ATTRIBUTE_PREFIX + match.group(1)] = js_trim(value)
    return found or None


def _save_text(text: str, element: _Element) -> str:
    """Keep the text gathered so far as a child of ``element`` when anything is left after trimming."""
    if text:
        value = js_trim(text)
        if value:
            element.children.append((TEXT, value))
    return ""


def _compress(children: list[tuple[str, object]]) -> dict:
    """node2json: children grouped by name at their first position, text last, attributes after the children."""
    out: dict = {}
    text: str | None = None
    for name, value in children:
        if name == TEXT:
            assert isinstance(value, str)
            text = value if text is None else text + value
            continue
        assert isinstance(value, _Element)
        node: Node = _compress(value.children)
        if value.attributes:
            node.update(value.attributes)
        elif len(node) == 1 and TEXT in node:
            node = node[TEXT]
        elif not node:
            node = ""
        if name in out:
            existing = out[name]
            if isinstance(existing, list):
                existing.append(node)
            else:
                out[name] = [existing, node]
        else:
            out[name] = node
    if text:
        out[TEXT] = text
    return out


# ----------------------------------------------------------------------------------------------- building


def build(document: dict) -> bytes:
    """The document written as fast-xml-parser's builder writes it with sgd's options."""
    return _j2x(document, 0)[1].encode("utf-8")


def _j2x(obj: dict, level: int) -> tuple[str, str]:
    attributes, out = "", []
    for key, value in obj.items():
        if isinstance(value, str):
            if key.startswith(ATTRIBUTE_PREFIX):
                attributes += f' {key[len(ATTRIBUTE_PREFIX):]}="{_escape_attribute(value)}"'
            elif key == TEXT:
                out.append(value)
            else:
                out.append(_text_node(value, key, "", level))
        elif isinstance(value, list):
            for item in value:
                out.append(_object_node(item, key, level) if isinstance(item, dict) else _text_node(item, key, "", level))
        elif isinstance(value, dict):
            out.append(_object_node(value, key, level))
    return attributes, "".join(out)


def _object_node(obj: dict, key: str, level: int) -> str:
    attributes, inner = _j2x(obj, level + 1)
    if key.startswith("?"):
        return _text_node("", key, attributes, level)
    if TEXT in obj and len(obj) == 1:
        return _text_node(obj[TEXT], key, attributes, level)
    indent = INDENT * level
    if inner == "":
        return f"{indent}<{key}{attributes}></{key}>\n"
    if "<" not in inner:
        return f"{indent}<{key}{attributes}>{inner}</{key}>\n"
    if key == COMMENT:
        return f"{indent}<!--{_safe_comment(inner)}-->\n"
    return f"{indent}<{key}{attributes}>\n{inner}{indent}</{key}>\n"


def _text_node(value: str, key: str, attributes: str, level: int) -> str:
    indent = INDENT * level
    if key == COMMENT:
        return f"{indent}<!--{_safe_comment(value)}-->\n"
    if key.startswith("?"):
        return f"{indent}<{key}{attributes}?>\n"
    if value == "":
        return f"{indent}<{key}{attributes}></{key}>\n"
    return f"{indent}<{key}{attributes}>{value}</{key}>\n"


def _escape_attribute(value: str) -> str:
    return value.replace('"', "&quot;").replace("'", "&apos;")


def _safe_comment(value: str) -> str:
    value = value.replace("--", "- -").replace("--", "- -")
    return value[:-1] + "- " if value.endswith("-") else value


# ----------------------------------------------------------------------------------------------- pruning


@dataclass(frozen=True)
class Pruned:
    """What sgd keeps of a changed file: the document to write, whether anything in it changed, and for the
    tags asked for (a Workflow's ``alerts``…) the keys of the entries new or changed, and of those deleted."""

    xml: bytes
    empty: bool
    changed: dict[str, list[str]] = field(default_factory=dict)
    deleted: dict[str, list[str]] = field(default_factory=dict)


def root_key(document: dict) -> str:
    return next((key for key in document if key != DECLARATION_KEY), "")


def _root(document: dict) -> dict:
    """The root element's object; a string root (a comment before the root element) as JavaScript indexes it."""
    root = document.get(root_key(document))
    if isinstance(root, str):
        return {str(index): char for index, char in enumerate(root)}
    return root if isinstance(root, dict) else {}


def _as_list(value: Node | None) -> list:
    """lodash-free castArray as sgd writes it: a list stays, a falsy value (``""``, missing) is no entry."""
    if isinstance(value, list):
        return value
    return [value] if value else []


def prune(before: dict, after: dict, keys: dict[str, str], members: frozenset[str] = frozenset()) -> Pruned:
    """sgd's JsonTransformer: ``after`` cut down to the entries that differ from ``before``.

    Each element under the root is judged by the key sgd's metadata gives its tag (``keys``: tag → key
    element, ``<array>`` or ``<object>``): a keyed list keeps its new or changed entries, an ``<array>``
    is kept whole when it differs, an ``<object>`` list keeps the entries not found verbatim before, and an
    element without a key is always kept (that is how ``<fullName>``, ``<userLicense>`` or ``<label>`` stay) and
    counts as a change when it differs. ``empty`` is sgd's ``isEmpty``: nothing in the file is new or changed.
    """
    old, new = _root(before), _root(after)
    out: dict = {}
    if DECLARATION_KEY in after:
        out[DECLARATION_KEY] = after[DECLARATION_KEY]
    root: dict = {}
    out[root_key(after)] = root
    empty = True
    for tag, value in new.items():
        if tag.startswith(ATTRIBUTE_PREFIX):
            root[tag] = value
            continue
        kept, changed = _partial(_as_list(old.get(tag)), _as_list(value), keys.get(tag))
        empty = empty and not changed
        if kept:
            root[tag] = kept
    changed_keys, deleted_keys = _members(old, new, keys, members)
    return Pruned(build(out), empty, changed_keys, deleted_keys)


def _members(old: dict, new: dict, keys: dict[str, str], members: frozenset[str]) -> tuple[dict, dict]:
    """sgd's MetadataComparator for the ``members`` tags: keys of the entries new or differing from the first
    entry of their key before, and keys of the entries before that no entry now has."""
    changed: dict[str, list[str]] = {}
    deleted: dict[str, list[str]] = {}
    for tag in members:
        key = keys.get(tag)
        if key is None or key in (ARRAY_KEY, OBJECT_KEY):
            continue
        now, then = _as_list(new.get(tag)), _as_list(old.get(tag))
        first: dict[object, Node] = {}
        for item in then:
            first.setdefault(_key_of(item, key), item)
        present = set()
        changed[tag] = []
        for item in now:
            k = _key_of(item, key)
            present.add(k)
            if isinstance(k, str) and (k not in first or first[k] != item):
                changed[tag].append(k)
        deleted[tag] = [k for k in (_key_of(item, key) for item in then) if isinstance(k, str) and k not in present]
    return _nonempty(changed), _nonempty(deleted)


def _nonempty(found: dict[str, list[str]]) -> dict[str, list[str]]:
    return {tag: keys for tag, keys in found.items() if keys}


def _partial(old: list, new: list, key: str | None) -> tuple[list, bool]:
    """The entries of ``new`` to keep for one tag, and whether they count as a change."""
    if not new:
        return [], False
    if not old:
        return new, True
    if key is None:
        return new, old != new
    if key == ARRAY_KEY:
        kept = [] if old == new else new
    elif key == OBJECT_KEY:
        seen = {_identity(item) for item in old}
        kept = [item for item in new if _identity(item) not in seen]
    else:
        by_key = {_key_of(item, key): item for item in old}
        kept = [item for item in new if _key_of(item, key) not in by_key or by_key[_key_of(item, key)] != item]
    return kept, bool(kept)


def _identity(item: Node) -> str:
    """JSON.stringify of an entry: its whole content, in document order."""
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"))


def _key_of(item: Node, key: str) -> object:
    """``item[key]`` as JavaScript's Map sees it: a string by value, an object or list by identity."""
    value = item.get(key) if isinstance(item, dict) else None
    return value if value is None or isinstance(value, str) else ("object", id(value))


# ------------------------------------------------------------------------------------- pruning, fast path
#
# Parsing a 1 MB profile entry by entry in Python takes a tenth of a second, twice per changed file, while a
# hotfix touches a few of its thousands of entries. Most of that is saved by reading each revision only down
# to its root's children (the *entries*, kept as text) and parsing just the entries sgd keeps or whose text
# differs: two entries with the same text parse to the same object. Entries are found by splitting at the
# line breaks that start them (a file as Salesforce writes it: one entry per line group, all at one
# indentation), each piece checked to be exactly one element; other layouts are found by a regular expression.
# The shortcut applies to documents without comments, CDATA, DOCTYPE or processing instructions after the
# prolog, whose root holds elements only and whose entries do not nest an element of their own name; anything
# else goes through :func:`prune` on whole parses, which is what the shortcut is tested against. Like sgd,
# neither path checks that a document is well-formed.

_S = _JS_SPACE_CLASS
_LAYOUT = " \t\n"
_TAG_AT = re.compile(r"<([^\s/>!?]+)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_PROLOG = re.compile(rf"(?:{_S}|<\?(?:[^?]|\?(?!>))*\?>)*")
_ENTRY = re.compile(rf"(<([^\s/>!?]+)((?:[^>\"'/]|/(?!>)|\"[^\"]*\"|'[^']*')*)(?:/>|>(.*?)</\2{_S}*>))", re.S)
_FLAT_BODY = re.compile(r"(?:[ \t\n]*(?:<([^\s/>!?]+)>[^<]*</\1>|<[^\s/>!?]+/>))*[ \t\n]*")
_NAME_END = re.compile(r"[\s/>]")

Entry = tuple[str, str]  # tag, text


@dataclass
class _Shallow:
    """A document read down to its root's children: the parsed shell (declaration, root attributes) and the
    entries, in order."""

    shell: dict
    root: str
    entries: list[Entry]

    @classmethod
    def read(cls, data: bytes) -> "_Shallow | None":
        """The document's entries, or None when the shortcut does not apply (see above)."""
        text = data.decode("utf-8", "replace")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if not text or "<!--" in text or "<![CDATA[" in text or "<!D" in text:
            return None
        root = _TAG_AT.match(text, _PROLOG.match(text).end())
        if root is None or root.group(2).rstrip(JS_SPACE).endswith("/") or "<?" in text[root.end():]:
            return None
        name = root.group(1)
        end = text.rfind("</")
        if end < root.end() or not _closes(text[end + 2:], name):
            return None
        region = text[root.end():end]
        entries = _split_entries(region)
        if entries is None:
            entries = _match_entries(region)
        if entries is None:
            return None
        return cls(parse(text[:root.end()] + f"</{name}>"), name, entries)

    def groups(self) -> dict[str, list[Entry]]:
        """Entries by tag, tags in order of first appearance (the order sgd's object keeps)."""
        out: dict[str, list[Entry]] = {}
        for entry in self.entries:
            group = out.get(entry[0])
            if group is None:
                out[entry[0]] = [entry]
            else:
                group.append(entry)
        return out


def _closes(rest: str, name: str) -> bool:
    """Whether ``rest`` (after ``</``) is the end tag of ``name`` followed by white space only."""
    if not rest.startswith(name):
        return False
    closing = rest[len(name):]
    gt = closing.find(">")
    return gt >= 0 and not js_trim(closing[:gt]) and not js_trim(closing[gt + 1:])


def _split_entries(region: str) -> list[Entry] | None:
    """The root's children split at the line breaks before them, each piece checked to be one element."""
    first = region.find("<")
    if first < 0:
        return [] if not region.strip(_LAYOUT) else None
    lead = region[:first]
    if lead.strip(_LAYOUT) or "\n" not in lead:
        return None
    separator = re.compile(re.escape("\n" + lead.rsplit("\n", 1)[1]) + "<(?!/)")
    pieces = [piece.rstrip(_LAYOUT) for piece in separator.split(region[first + 1:])]
    tags = [piece[:piece.find(">")] for piece in pieces]
    # the usual case, checked list-wide: a plain start tag, and the name nowhere but there and in the end tag
    if all(tag.isidentifier() for tag in tags) \
            and all(piece.endswith("</" + tag + ">") and piece.count(tag) == 2 for piece, tag in zip(pieces, tags)):
        return list(zip(tags, ["<" + piece for piece in pieces]))
    return _checked_pieces(pieces)


def _checked_pieces(pieces: list[str]) -> list[Entry] | None:
    """The pieces one by one: self-closing entries, attributes, a name that also occurs as text."""
    entries: list[Entry] = []
    for piece in pieces:
        cut = _NAME_END.search(piece)
        if cut is None:
            return None
        tag = piece[:cut.start()]
        gt = piece.find(">")
        if piece.endswith("/>") and gt == len(piece) - 1:
            entries.append((tag, "<" + piece))
        elif piece.endswith(f"</{tag}>") and _one_element(piece, tag) and piece[gt - 1:gt] != "/":
            entries.append((tag, "<" + piece))
        else:
            return None
    return entries


def _one_element(piece: str, tag: str) -> bool:
    """Whether ``<piece`` is one element: its first end tag of its name is its last, and no element of that name
    opens inside it."""
    closing = f"</{tag}>"
    return piece.find(closing) == len(piece) - len(closing) and piece.find(f"<{tag}>") < 0 \
        and piece.find(f"<{tag} ") < 0 and piece.find(f"<{tag}\n") < 0 and piece.find(f"<{tag}\t") < 0


def _match_entries(region: str) -> list[Entry] | None:
    """The root's children by regular expression, for layouts the split does not fit."""
    found = _ENTRY.findall(region)
    joined = "".join(entry[0] for entry in found)
    if len(region) - len(joined) != sum(region.count(c) - joined.count(c) for c in _LAYOUT):
        return None  # text at the root, or an entry nesting its own name
    return [(tag, raw) for raw, tag, _, _ in found]


class _Entries:
    """One tag's entries on one side: their text, parsed values and keys, each computed once."""

    def __init__(self, tag: str, entries: list[Entry]):
        self.tag = tag
        self.entries = entries
        self.raws = [entry[1] for entry in entries]
        self._parsed: dict[int, Node] = {}
        self._keys: dict[str, list] = {}  # by key element: the pruning and the member lists both ask

    def value(self, index: int) -> Node:
        if index not in self._parsed:
            self._parsed[index] = parse(self.raws[index])[self.tag]
        return self._parsed[index]

    def values(self) -> list:
        """castArray of the tag's value: a lone empty element is no entry at all."""
        if len(self.raws) == 1:
            return _as_list(self.value(0))
        return [self.value(i) for i in range(len(self.raws))]

    def same_as(self, other: "_Entries") -> bool:
        """Whether both lists parse to the same values (equal text decides without parsing)."""
        return self.raws == other.raws or self.values() == other.values()

    def keys(self, key: str) -> list:
        """Every entry's key: :meth:`key`, with its usual case (a plain element of leaves) unrolled into one loop."""
        found = self._keys.get(key)
        if found is None:
            found = self._keys[key] = self._read_keys(key)
        return found

    def _read_keys(self, key: str) -> list:
        head, tail = f"<{self.tag}>", f"</{self.tag}>"
        start, end = len(head), -len(tail)
        opening, empty = f"<{key}>", f"<{key}/>"
        flat = _FLAT_BODY.fullmatch
        found: list = []
        for index, raw in enumerate(self.raws):
            if not (raw.startswith(head) and raw.endswith(tail)):
                found.append(self.key(index, key))
                continue
            body = raw[start:end]
            if not flat(body):
                found.append(_key_of(self.value(index), key))
                continue
            count = body.count(opening)
            if count == 1 and empty not in body:
                at = body.find(opening) + len(opening)
                found.append(body[at:body.find("<", at)].strip(JS_SPACE))
            else:
                found.append(self.key(index, key))
        return found

    def key(self, index: int, key: str) -> object:
        """``entry[key]`` as sgd's Map sees it, read from the text when the entry holds leaf elements only."""
        raw = self.raws[index]
        gt = raw.find(">")
        if raw[gt - 1] == "/" or raw[1:gt] != self.tag:  # self-closing, or attributes: parse it
            return _key_of(self.value(index), key)
        body = raw[gt + 1:len(raw) - len(self.tag) - 3]
        if not _FLAT_BODY.fullmatch(body):
            return _key_of(self.value(index), key)
        opening = f"<{key}>"
        count = body.count(opening) + body.count(f"<{key}/>")
        if count == 0:
            return None
        if count > 1:
            return ("object", id(self), index)  # a list: equal to nothing but itself
        at = body.find(opening)
        if at < 0:
            return ""
        return js_trim(body[at + len(opening):body.find("<", at + len(opening))])


def prune_documents(before: bytes, after: bytes, keys: dict[str, str], source: str = "",
                    members: frozenset[str] = frozenset()) -> Pruned:
    """:func:`prune` of two revisions of a file (``source`` names it in errors), parsing only what it must: the
    same result, byte for byte."""
    old, new = (_Shallow.read(before) if before else None), (_Shallow.read(after) if after else None)
    if new is None or old is None:
        for data in (before, after):
            if data:
                parse_tree(data, source)
        return prune(parse(before, source), parse(after, source), keys, members)
    old_groups = {tag: _Entries(tag, entries) for tag, entries in old.groups().items()}
    new_groups = {tag: _Entries(tag, entries) for tag, entries in new.groups().items()}
    root: dict = {}
    empty = True
    for tag, entries in new_groups.items():
        kept, changed = _partial_entries(old_groups.get(tag) or _Entries(tag, []), entries, keys.get(tag))
        empty = empty and not changed
        if kept:
            root[tag] = kept
    shell_root = new.shell.get(new.root)
    if isinstance(shell_root, dict):
        root.update(shell_root)
    out: dict = {}
    if DECLARATION_KEY in new.shell:
        out[DECLARATION_KEY] = new.shell[DECLARATION_KEY]
    out[new.root] = root
    changed_keys, deleted_keys = _entry_members(old_groups, new_groups, keys, members)
    return Pruned(build(out), empty, changed_keys, deleted_keys)


def _entry_members(old: dict[str, _Entries], new: dict[str, _Entries], keys: dict[str, str],
                   members: frozenset[str]) -> tuple[dict, dict]:
    """:func:`_members` over entries as text."""
    changed: dict[str, list[str]] = {}
    deleted: dict[str, list[str]] = {}
    for tag in members:
        key = keys.get(tag)
        if key is None or key in (ARRAY_KEY, OBJECT_KEY):
            continue
        now, then = _castable(new.get(tag)), _castable(old.get(tag))
        first: dict[object, int] = {}
        then_keys = then.keys(key)
        for i, k in enumerate(then_keys):
            first.setdefault(k, i)
        present = set()
        changed[tag] = []
        for i, (raw, k) in enumerate(zip(now.raws, now.keys(key))):
            present.add(k)
            match = first.get(k)
            if isinstance(k, str) and (match is None or (raw != then.raws[match] and now.value(i) != then.value(match))):
                changed[tag].append(k)
        deleted[tag] = [k for k in then_keys if isinstance(k, str) and k not in present]
    return _nonempty(changed), _nonempty(deleted)


def _castable(entries: "_Entries | None") -> "_Entries":
    """A tag's entries as castArray sees them: none when absent or a lone empty element."""
    if entries is None or (len(entries.raws) == 1 and entries.value(0) == ""):
        return _Entries("", [])
    return entries


def _partial_entries(old: _Entries, new: _Entries, key: str | None) -> tuple[list, bool]:
    """:func:`_partial` over entries as text: the same decisions, parsing an entry only when it must be read."""
    if not new.raws or (len(new.raws) == 1 and new.value(0) == ""):
        return [], False
    if not old.raws or (len(old.raws) == 1 and old.value(0) == ""):
        return new.values(), True
    if key is None:
        return new.values(), not new.same_as(old)
    if key == ARRAY_KEY:
        kept = [] if new.same_as(old) else new.values()
    elif key == OBJECT_KEY:
        seen_raw = set(old.raws)
        misses = [i for i, raw in enumerate(new.raws) if raw not in seen_raw]
        seen = {_identity(value) for value in old.values()} if misses else set()
        kept = [new.value(i) for i in misses if _identity(new.value(i)) not in seen]
    else:
        kept = _changed_by_key(old, new, key)
    return kept, bool(kept)


def _changed_by_key(old: _Entries, new: _Entries, key: str) -> list:
    """The new entries whose key is new, or whose entry of that key before (the last one: a Map) differs.

    An entry whose text is also before has that entry's key, so only the others' keys are read."""
    old_keys = old.keys(key)
    by_key = dict(zip(old_keys, range(len(old_keys))))
    key_of_text = dict(zip(old.raws, old_keys))
    kept = []
    for i, raw in enumerate(new.raws):
        known = key_of_text.get(raw, _MISSING)
        if known is _MISSING or (isinstance(known, tuple) and known[:1] == ("object",)):
            known = new.key(i, key)
        match = by_key.get(known)
        if match is None or (raw != old.raws[match] and new.value(i) != old.value(match)):
            kept.append(new.value(i))
    return kept


_MISSING = object()
