"""Salesforce's converter's view of XML, so that split and merged files come out byte-identical to it.

``sf project convert`` (source-deploy-retrieve) reads XML into plain objects with fast-xml-parser and
writes them back with its XMLBuilder. That round trip has rules no XML library reproduces: repeated
elements are grouped at their first position, text is trimmed, text of mixed content moves after the
child elements, empty elements become ``<x></x>``, comments are glued to their neighbours, numeric
character references survive untouched while ``' " < > &`` are escaped. This module is a small,
exact re-implementation of those rules over an lxml parse (lxml does the safe parsing): a node is a
``str`` (a leaf's text) or a ``dict`` whose keys keep document order (``@_name`` attributes,
``#comment``, ``#text``, child element names; repeated keys hold lists).
"""

from __future__ import annotations

import re
from typing import Union

from lxml import etree

from ..xmlio import parse_tree

Node = Union[str, dict]

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
COMMENT = "#comment"
TEXT = "#text"
CDATA = "__cdata"
NS_URL = "http://soap.sforce.com/2006/04/metadata"
INDENT = "    "
# a numeric character reference that fast-xml-parser leaves alone and its builder does not re-escape
_AMP_NOT_CHARREF = re.compile(r"&(?!#[0-9]+;|#x[0-9a-fA-F]+;)")
_GLUED_COMMENTS = re.compile(r"\s+<!--(.*?)-->\s+")
# lxml decodes character references; hiding the '&' keeps their raw form, as fast-xml-parser does
_CHARREF_GUARD = (b"&#", b"&amp;#")


def parse(data: bytes, source: str) -> dict:
    """Read a metadata file into the converter's object form: ``{RootName: {...}}``."""
    root = parse_tree(data.replace(*_CHARREF_GUARD), source).getroot()
    # namespace declarations below the root are rare; without them no element needs its nsmap looked at
    nested_ns = data.count(b"xmlns") > len(root.nsmap)
    return {etree.QName(root).localname: _element(root, nested_ns, True)}


def _element(el: etree._Element, nested_ns: bool, is_root: bool = False) -> Node:
    if not is_root and not nested_ns and not len(el) and not el.attrib:
        text = el.text  # a leaf: its trimmed text, as the converter reads it
        return text.strip() if text else ""
    obj: dict = {}
    texts: list[str] = []
    if el.text:
        texts.append(el.text)
    for child in el:
        tag = child.tag
        if tag is etree.Comment:
            _add(obj, COMMENT, child.text.replace("&amp;#", "&#") if child.text else "")
        elif isinstance(tag, str):
            if not nested_ns and not len(child) and not child.attrib:  # a leaf, inline for speed
                value: Node = child.text.strip() if child.text else ""
            else:
                value = _element(child, nested_ns)
            _add(obj, tag[tag.rfind("}") + 1:], value)
        if child.tail:
            texts.append(child.tail)
    text = "".join(t.strip() for t in texts)
    attributes = _attributes(el) if is_root or nested_ns or el.attrib else {}
    if text:
        if not obj and not attributes:
            return text
        obj[TEXT] = text
    obj.update(attributes)
    return obj


def _attributes(el: etree._Element) -> dict:
    attributes = {}
    nsmap = el.nsmap
    parent_nsmap = el.getparent().nsmap if el.getparent() is not None else {}
    for prefix, uri in nsmap.items():
        if parent_nsmap.get(prefix) != uri:
            attributes["@_xmlns" if prefix is None else f"@_xmlns:{prefix}"] = uri
    for name, value in el.attrib.items():
        qname = etree.QName(name)
        prefix = el.prefix if qname.namespace is None else _prefix_of(nsmap, qname.namespace)
        attributes[f"@_{prefix}:{qname.localname}" if qname.namespace else f"@_{qname.localname}"] = value
    return attributes


def _prefix_of(nsmap: dict, uri: str) -> str:
    for prefix, candidate in nsmap.items():
        if candidate == uri and prefix:
            return prefix
    return "ns"


def _add(obj: dict, key: str, value: Node) -> None:
    if key in obj:
        existing = obj[key]
        if isinstance(existing, list):
            existing.append(value)
        else:
            obj[key] = [existing, value]
    else:
        obj[key] = value


def build(obj: dict) -> bytes:
    """Write the object form as Salesforce's converter writes it (declaration, 4-space indent)."""
    xml = DECLARATION + "".join(_j2x(obj, 0)[1])
    if "<!--" in xml:
        xml = _GLUED_COMMENTS.sub(r"<!--\1-->", xml)
    return xml.encode("utf-8")


def escape(text: str) -> str:
    if "&" not in text and "<" not in text and ">" not in text and "'" not in text and '"' not in text:
        return text
    text = _AMP_NOT_CHARREF.sub("&amp;", text)
    return text.replace(">", "&gt;").replace("<", "&lt;").replace("'", "&apos;").replace('"', "&quot;")


def _j2x(obj: dict, level: int) -> tuple[str, list[str]]:
    attrs = ""
    out: list[str] = []
    for key, value in obj.items():
        if key.startswith("@_"):
            attrs += f' {key[2:]}="{escape(value)}"'
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str) and item and key[0] != "#" and key != CDATA:
                    out.append(f"{INDENT * level}<{key}>{escape(item)}</{key}>\n")  # a leaf, inline
                else:
                    out.append(_node(item, key, level))
        elif key == TEXT:
            out.append(escape(value))
        elif isinstance(value, str) and value and key[0] != "#" and key != CDATA:
            out.append(f"{INDENT * level}<{key}>{escape(value)}</{key}>\n")  # a leaf, inline
        else:
            out.append(_node(value, key, level))
    return attrs, out


def _node(value: Node, key: str, level: int) -> str:
    indent = INDENT * level
    if isinstance(value, str):
        if key == COMMENT:
            return f"{indent}<!--{value}-->\n"
        if key == CDATA:
            return f"{indent}<![CDATA[{value}]]>\n"
        return f"{indent}<{key}></{key}>\n" if value == "" else f"{indent}<{key}>{escape(value)}</{key}>\n"
    attrs, parts = _j2x(value, level + 1)
    if TEXT in value and len(value) == 1:
        return f"{indent}<{key}{attrs}>{parts[0]}</{key}>\n"
    inner = "".join(parts)
    if inner == "":
        return f"{indent}<{key}{attrs}></{key}>\n"
    if "<" not in inner:
        return f"{indent}<{key}{attrs}>{inner}</{key}>\n"
    return f"{indent}<{key}{attrs}>\n{inner}{indent}</{key}>\n"


def unique_id(obj: Node, elements: tuple[str, ...]) -> str | None:
    """The value naming a child entry (``fullName``, ``name`` or the type's key), as the converter reads it."""
    if not isinstance(obj, dict):
        return None
    for element in elements:
        value = obj.get(element)
        if isinstance(value, str):
            return value
    return None
