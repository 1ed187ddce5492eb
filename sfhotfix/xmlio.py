"""The one place sfhotfix reads and writes metadata XML.

Two concerns live here, and nowhere else:

* Safety. Metadata files come from orgs, pull requests and zips nobody on the project wrote, so every parse
  goes through :func:`safe_parser` (no entity expansion, no network, no DTD loading) and documents carrying a
  DOCTYPE are refused outright: Salesforce never writes one, and refusing is simpler and safer than reasoning
  about which declarations are harmless (XXE, billion laughs).

* Minimal diffs. A hotfix edits a few elements of files that may be megabytes long, and the pull request must
  show only those edits. lxml keeps the tree but forgets lexical details (``&#39;`` versus ``'``, ``<x/>``
  versus ``<x></x>``, attribute quoting, layout whitespace), so :func:`parse` also records, per node, the raw
  text of the original file; :meth:`XmlDocument.to_bytes` writes that raw text back wherever the tree still
  holds the value it was recorded for, and Salesforce's canonical form everywhere else.

Salesforce's canonical form is what a Metadata API retrieve writes: ``<?xml version="1.0" encoding="UTF-8"?>``,
a newline, the root element with its namespace declarations, one element per line indented by four spaces per
level, leaf text inline and escaped with ``&amp; &lt; &gt; &quot; &apos;``, a newline at the end of the file,
and empty elements self-closing: ``<searchLayouts/>``, as in the retrieve recorded in the realdata cassette
(Test__c.object) and in the org-retrieved EDA project (``<layoutColumns/>``, ``<searchLayouts/>``). The paired
form ``<searchLayouts></searchLayouts>`` of the SDR snapshots is kept where a file has it, never produced.
"""

from __future__ import annotations

import codecs
import gc
import itertools
import re
from pathlib import Path
from typing import Final

from lxml import etree

from sfhotfix.errors import UsageError

CANONICAL_DECLARATION: Final = '<?xml version="1.0" encoding="UTF-8"?>'
"""The XML declaration a Metadata API retrieve writes."""

DEFAULT_INDENT: Final = "    "
"""Salesforce's indentation unit, used when a file gives no evidence of another one."""

_XML_SPACE: Final = " \t\r\n"
"""XML's whitespace characters; str.isspace() would also accept U+00A0, which is content, not layout."""

_XML_NAMESPACE: Final = "http://www.w3.org/XML/1998/namespace"

_DOCTYPE_REFUSED: Final = "DOCTYPE and entity declarations are refused"

_PROLOG_ITEM: Final = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.S)
"""What may precede a DOCTYPE: whitespace, the declaration, processing instructions, comments."""

_DECLARATION_START: Final = re.compile(r"<\?xml[ \t\r\n]")
"""The XML declaration, as opposed to a processing instruction such as <?xml-stylesheet?>."""

_LXML_POSITION: Final = re.compile(r", line \d+, column (\d+)$")
"""The position suffix libxml2 appends to its messages; the line goes in front of ours instead."""

_PIECE: Final = re.compile(
    r"""([^<]*)                                     # character data up to the next markup
    (   <!--.*?-->                                  # comment
      | <\?.*?\?>                                   # processing instruction (or the XML declaration)
      | <!\[CDATA\[.*?\]\]>                         # CDATA section: character data, folded into the text around it
      | </[^>]*>                                    # end tag
      | <[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>    # start tag or empty-element tag; '>' may occur in quoted values
    )""",
    re.S | re.X,
)
"""Character data and the markup token after it. Only applied to documents libxml2 has accepted as well-formed
and DTD-free, where these alternatives are exact: no other construct can contain '<' or end a token early."""

_CONTENT: Final = 0
"""The slot held content (or was not yet a layout position) when parsed: its layout may be generated."""
_REGULAR: Final = 1
"""The slot was layout whitespace equal to what the pretty-printer generates there: regenerate it."""
_IRREGULAR: Final = 2
"""The slot was layout whitespace unlike the pretty-printer's (trailing blanks, a comment on the line): keep it."""

_UNRECORDED: Final = object()
"""What is 'recorded' for a node added after parsing: equal to nothing, so the tree's own values get written."""


class _Record:
    """What the original file said about one node, so the writer can tell untouched (raw form) from edited.

    ``key`` is what the raw markup ``start`` encodes (see :func:`_markup_key`); ``end`` is the raw end tag, None
    for a self-closing element, a comment or a processing instruction. ``text``/``tail`` are the values lxml
    parsed, ``raw_text``/``raw_tail`` their lexical form (character references and CDATA as written), and the
    modes say whether each slot was layout and whether the pretty-printer would have written it that way.
    """

    __slots__ = ("key", "start", "end", "text", "raw_text", "text_mode", "tail", "raw_tail", "tail_mode")

    def __init__(self, key: object, start: str) -> None:
        self.key = key
        self.start = start
        self.end: str | None = None
        self.text: object = None
        self.raw_text = ""
        self.text_mode = _CONTENT
        self.tail: object = None
        self.raw_tail = ""
        self.tail_mode = _CONTENT


_NEW: Final = _Record((_UNRECORDED, _UNRECORDED), "")
"""The record of every node added after parsing: nothing matches it, so such nodes are written canonically."""
_NEW.text = _NEW.tail = _UNRECORDED


def _markup_key(node: etree._Element) -> object:
    """What a node's own markup encodes: name and attributes of an element, the content of a comment or PI.

    Equal keys mean the recorded raw markup still says the same thing and can be written back as it was.
    """
    tag = node.tag
    if isinstance(tag, str):
        return (tag, node.items())
    if tag is etree.PI:
        return (node.target, node.text)
    return node.text


def safe_parser(keep_blanks: bool = True) -> etree.XMLParser:
    """A parser that never resolves entities, touches the network or loads a DTD.

    A new parser per call, because lxml parsers keep per-parse state and must not be shared between threads.
    ``huge_tree`` because real profiles run to megabytes; the DOCTYPE refusal in :func:`parse` is what keeps that
    from opening the door to entity amplification. Without ``keep_blanks`` the indentation between elements is
    not kept: for a reader of names and values only, a 7 MB labels file parses in two thirds of the time.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_blank_text=not keep_blanks,
        strip_cdata=False,
    )


def escape_text(text: str) -> str:
    """Escape text content the way Salesforce does: all five predefined entities, quotes included."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )


def _escape_attribute(value: str) -> str:
    """Escape an attribute value; tabs and line breaks as references, because a parser would normalise them."""
    return escape_text(value).replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")


def local_name(el: etree._Element) -> str:
    """The tag without its namespace; '' for comments and processing instructions, which have no name."""
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _is_layout_value(value: str | None) -> bool:
    """Whether a text or tail holds nothing but XML whitespace (or nothing at all)."""
    return value is None or not value.strip(_XML_SPACE)


def _has_doctype_prolog(data: bytes) -> bool:
    """Whether an ASCII-compatible document declares a DOCTYPE, found before libxml2 reads (and expands) any of it.

    A loop of single matches rather than one repeated pattern, so the scan stays linear on hostile input.
    """
    pos = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    while match := _PROLOG_ITEM.match(data, pos):
        pos = match.end()
    return data.startswith(b"<!DOCTYPE", pos)


def _qualified(name: str, el: etree._Element, is_attribute: bool) -> str:
    """The prefixed form of an element or attribute name ('{uri}local' or 'local') as written on ``el``."""
    if not name.startswith("{"):
        return name
    uri, _, local = name[1:].partition("}")
    if not is_attribute:
        prefix = el.prefix
    elif uri == _XML_NAMESPACE:
        prefix = "xml"
    else:
        # An unprefixed attribute is in no namespace, so a namespaced one needs a declared prefix.
        prefix = next(p for p, u in el.nsmap.items() if u == uri and p is not None)
    return f"{prefix}:{local}" if prefix else local


def _canonical_start(el: etree._Element, inherited: dict[str | None, str], close: str) -> str:
    """A start tag (``close`` '>') or empty-element tag ('/>'): name, namespaces not inherited, attributes."""
    parts = ["<", _qualified(el.tag, el, is_attribute=False)]
    for prefix, uri in el.nsmap.items():
        if inherited.get(prefix) != uri:
            name = "xmlns" if prefix is None else f"xmlns:{prefix}"
            parts.append(f' {name}="{_escape_attribute(uri)}"')
    for name, value in el.items():
        parts.append(f' {_qualified(name, el, is_attribute=True)}="{_escape_attribute(value)}"')
    parts.append(close)
    return "".join(parts)


class XmlDocument:
    """A metadata XML document: an lxml tree plus what it takes to write the file back with minimal changes.

    Edit ``root`` with lxml as usual. :meth:`to_bytes` writes each node's raw form from the original file while
    its name, attributes and text are unchanged, and the canonical form otherwise. Layout whitespace between
    elements is regenerated from ``indent``, ``newline`` and the nesting depth, so inserted, removed and moved
    elements get the file's indentation; layout the pretty-printer would not have produced (blanks at a line
    end, a comment inside a leaf, a whole file on one line) is kept as it was instead, and a file on one line
    stays on one line.

    An empty element keeps the form it had (``<x/>``, ``<x />`` or ``<x></x>``); a new empty element, and one
    whose children were all removed, is written ``<x/>`` as a retrieve does. A moved element keeps its recorded
    start tag, so it must stay where its namespace prefixes are declared (Salesforce files use one default
    namespace, so they always are). Text outside the root element (comments before it, blank lines after it)
    is kept as it was and is not part of the tree model. Built by :func:`parse`, :func:`read` or
    :func:`new_document`.
    """

    def __init__(self, root: etree._Element) -> None:
        """A document in Salesforce's canonical form; :func:`parse` then overlays what the original file said."""
        self.root: etree._Element = root
        self.declaration: str | None = CANONICAL_DECLARATION
        self.indent: str = DEFAULT_INDENT
        self.newline: str = "\n"
        self.trailing_newline: bool = True
        self._prolog = "\n"
        self._epilog = ""
        self._final_newline = "\n"
        self._encoding = "UTF-8"
        self._bom = b""
        self._pretty = True
        self._records: dict[etree._Element, _Record] = {}

    def _record_source(self, data: bytes, encoding: str, source: str) -> None:
        """Record the lexical form of ``data``, the file ``root`` was parsed from (well-formed, no DTD).

        Walks the markup tokens in document order alongside ``root.iter()``, which yields the same elements,
        comments and processing instructions in the same order, and gives the character data between two tokens
        to the text or tail it belongs to. Whether that slot is layout, and which layout the pretty-printer
        would put there, depends on what comes next (a child or the parent's end tag), so a slot is classified
        when the following token is seen. Linear in the size of the file.
        """
        self._bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
        self._encoding = encoding
        try:
            text = data[len(self._bom) :].decode(encoding)
        except (LookupError, UnicodeDecodeError) as error:
            raise UsageError(f"{source}: cannot decode as {encoding}: {error}") from None
        newline_at = text.find("\n")
        if newline_at > 0 and text[newline_at - 1] == "\r":
            self.newline = self._final_newline = "\r\n"
        pieces = _PIECE.findall(text)
        first = 0
        pos = 0  # in text, just after the pieces consumed
        while pieces[first][1][1] in "!?":  # the prolog's declaration, comments and PIs precede the root
            pos += len(pieces[first][0]) + len(pieces[first][1])
            first += 1
        prolog = text[: pos + len(pieces[first][0])]
        if _DECLARATION_START.match(prolog):
            end = prolog.index("?>") + 2
            self.declaration, self._prolog = prolog[:end], prolog[end:]
        else:
            self.declaration, self._prolog = None, prolog

        records = self._records
        nodes = self.root.iter()
        open_elements: list[etree._Element] = []  # whose end tag is still to come; the index is the depth
        slot_node: etree._Element | None = None  # whose text (slot_is_text) or tail the character data is
        slot_is_text = False
        slot_depth = 0
        raw: list[str] = []
        for chars, markup in itertools.islice(pieces, first, None):
            pos += len(chars) + len(markup)
            if chars:
                raw.append(chars)
            kind = markup[1]
            if kind == "!" and markup[2] == "[":  # CDATA is character data
                raw.append(markup)
                continue
            is_end = kind == "/"
            if slot_node is not None:
                self._classify(records[slot_node], slot_node, slot_is_text, slot_depth, "".join(raw), is_end)
            raw = []
            if is_end:
                slot_node = open_elements.pop()
                records[slot_node].end = markup
                slot_is_text, slot_depth = False, len(open_elements)
            else:
                slot_node = next(nodes)
                records[slot_node] = _Record(_markup_key(slot_node), markup)
                slot_depth = len(open_elements)
                slot_is_text = kind != "!" and kind != "?" and not markup.endswith("/>")
                if slot_is_text:
                    open_elements.append(slot_node)
            if not open_elements:  # the root is complete; what follows is outside the tree
                break
        epilog = text[pos:]
        for final in ("\r\n", "\n"):
            if epilog.endswith(final):
                self._epilog, self._final_newline = epilog[: -len(final)], final
                break
        else:
            self._epilog, self.trailing_newline = epilog, False

    def _classify(
        self, record: _Record, node: etree._Element, is_text: bool, depth: int, raw: str, before_end: bool
    ) -> None:
        """Store one slot's value and raw form, and whether it is layout the writer may regenerate.

        ``before_end``: the slot is followed by an end tag, so a text slot belongs to a leaf (content, not
        layout) and a tail slot to a last child (indented one level less). The root's text is where the indent
        unit is learnt; a root whose children do not start on an indented line of their own marks the whole
        file as not pretty-printed, so that no layout is ever generated for it.
        """
        value = node.text if is_text else node.tail
        if is_text:
            record.text, record.raw_text = value, raw
        else:
            record.tail, record.raw_tail = value, raw
        if (is_text and before_end) or not _is_layout_value(value):
            return
        if depth == 0 and is_text:
            unit = raw[len(self.newline) :]
            self._pretty = raw.startswith(self.newline) and unit != "" and unit in (" " * len(unit), "\t" * len(unit))
            if self._pretty:
                self.indent = unit
        level = depth + 1 if is_text else depth - 1 if before_end else depth
        mode = _REGULAR if raw == self.newline + self.indent * level else _IRREGULAR
        if is_text:
            record.text_mode = mode
        else:
            record.tail_mode = mode

    def to_bytes(self) -> bytes:
        """Serialise: raw forms for untouched nodes, Salesforce's canonical form for the rest."""
        out: list[str] = []
        if self.declaration is not None:
            out.append(self.declaration)
        out.append(self._prolog)
        self._write_tree(out)
        out.append(self._epilog)
        if self.trailing_newline:
            out.append(self._final_newline)
        return self._bom + "".join(out).encode(self._encoding, "xmlcharrefreplace")

    def _slot(self, value: str | None, recorded: object, raw: str, mode: int, level: int | None) -> str:
        """The text or tail to write: generated layout, the raw form of an unchanged value, or escaped text.

        ``level`` is the indentation depth when the slot sits between elements (None inside a leaf).
        """
        if level is not None and self._pretty and mode != _IRREGULAR and _is_layout_value(value):
            return self.newline + self.indent * level
        if value == recorded:
            return raw
        return escape_text(value) if value else ""

    def _write_tree(self, out: list[str]) -> None:
        """Write the root element, depth first without recursion (no recursion limit on deep documents)."""
        records = self._records
        root = self.root
        open_elements: list[tuple[etree._Element, _Record]] = []
        node, depth = root, 0
        while True:
            record = records.get(node, _NEW)
            key = _markup_key(node)
            if not isinstance(node.tag, str):
                out.append(record.start if record.key == key else _canonical_other(node))
            else:
                has_children = len(node) > 0
                text = node.text
                # Layout left inside an element whose children were all removed is not content: write it empty.
                emptied = not has_children and record.text_mode == _REGULAR and self._pretty and _is_layout_value(text)
                parent = open_elements[-1][0] if open_elements else None
                if emptied or (not has_children and not text and record.end is None):
                    out.append(_start_tag(node, record, key, parent, "/>"))
                else:
                    out.append(_start_tag(node, record, key, parent, ">"))
                    level = depth + 1 if has_children else None
                    out.append(self._slot(text, record.text, record.raw_text, record.text_mode, level))
                    if has_children:
                        open_elements.append((node, record))
                        node, depth = node[0], depth + 1
                        continue
                    out.append(_end_tag(node, record))
            # The node is written: its tail, then the next sibling, or the end tags of the finished parents.
            while node is not root:
                following = node.getnext()
                level = depth if following is not None else depth - 1
                out.append(self._slot(node.tail, record.tail, record.raw_tail, record.tail_mode, level))
                if following is not None:
                    node = following
                    break
                node, record = open_elements.pop()
                depth -= 1
                out.append(_end_tag(node, record))
            else:
                return


def _start_tag(node: etree._Element, record: _Record, key: object, parent: etree._Element | None, close: str) -> str:
    """A start tag (``close`` '>') or empty-element tag ('/>'): the recorded one, in the form asked for, while
    name and attributes are unchanged, else the canonical one. ``parent`` None means the root is being written.
    """
    if record.key != key:
        return _canonical_start(node, parent.nsmap if parent is not None else {}, close)
    raw = record.start
    if raw.endswith("/>"):
        return raw if close == "/>" else raw[:-2].rstrip(_XML_SPACE) + ">"
    return raw if close == ">" else raw[:-1] + "/>"


def _end_tag(el: etree._Element, record: _Record) -> str:
    """The recorded end tag while the element keeps its name, else the canonical one."""
    if record.end is not None and record.key[0] == el.tag:
        return record.end
    return f"</{_qualified(el.tag, el, is_attribute=False)}>"


def _canonical_other(node: etree._Element) -> str:
    """A comment or processing instruction as lxml holds it."""
    if node.tag is etree.PI:
        return f"<?{node.target} {node.text}?>" if node.text else f"<?{node.target}?>"
    return f"<!--{node.text or ''}-->"


def _malformed(source: str, error: etree.XMLSyntaxError) -> UsageError:
    """One line naming file and line; libxml2's own position suffix becomes a column note."""
    lines = (error.msg or "").splitlines()
    message = lines[0] if lines else "not well-formed"
    position = _LXML_POSITION.search(message)
    if position:
        message = f"{message[: position.start()]} (column {position.group(1)})"
    return UsageError(f"{source}:{error.lineno}: malformed XML: {message}")


def parse_tree(data: bytes, source: str, keep_blanks: bool = True) -> etree._ElementTree:
    """Parse metadata XML safely, for readers that never write the file back (no lexical record is kept).

    Raises UsageError for a DOCTYPE (refused before libxml2 sees the document when the encoding is
    ASCII-compatible, and checked again on the parsed tree for the others) and for malformed XML; ``source``
    names the file in the message. ``keep_blanks`` as for :func:`safe_parser`.
    """
    if _has_doctype_prolog(data):
        raise UsageError(f"{source}: {_DOCTYPE_REFUSED}")
    try:
        tree = etree.fromstring(data, safe_parser(keep_blanks)).getroottree()
    except etree.XMLSyntaxError as error:
        raise _malformed(source, error) from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UsageError(f"{source}: {_DOCTYPE_REFUSED}")
    return tree


def parse(data: bytes, source: str) -> XmlDocument:
    """Parse metadata XML as :func:`parse_tree` does, and record its lexical form for writing it back."""
    tree = parse_tree(data, source)
    document = XmlDocument(tree.getroot())
    # The records form no reference cycles, but creating hundreds of thousands of them makes the cyclic
    # collector rescan everything repeatedly: a 10 MB profile took three times as long with it enabled.
    collecting = gc.isenabled()
    gc.disable()
    try:
        document._record_source(data, tree.docinfo.encoding or "UTF-8", source)
    finally:
        if collecting:
            gc.enable()
    return document


def read(path: Path) -> XmlDocument:
    """Read and :func:`parse` a metadata file; an unreadable path is a UsageError naming it."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"{path}: cannot read: {error.strerror or error}") from None
    return parse(data, str(path))


def new_document(root: etree._Element) -> XmlDocument:
    """Wrap a newly built tree; it will be written in Salesforce's canonical form."""
    return XmlDocument(root)
