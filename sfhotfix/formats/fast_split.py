"""A line-level shortcut for splitting canonical decomposed files, equal in output to the exact path.

Most object files come straight from a retrieve: one element per line, four-space indentation, escaped
text, repeated elements next to each other. For such a file the converter's output is the file's own
lines regrouped — each child entry's lines dedented under its type's root, the rest kept for the
parent — so it can be produced without building any tree. Every line is checked against that form
while it is read; the first one that does not fit (a comment, an attribute, text over several lines, a
raw quote, an element repeated out of sequence…) returns None and the exact path (sdr_xml) is taken.
tests/test_convert.py runs both paths on real files and requires the same bytes.
"""

from __future__ import annotations

import re

from ..registry import META_SUFFIX, MetadataType, Registry
from .sdr_xml import DECLARATION, NS_URL

_ROOT = re.compile(r'<(\w+) xmlns="' + re.escape(NS_URL) + r'">$')
# a leaf with text, an empty pair, a self-closed leaf, an opening or a closing tag
_LINE = re.compile(
    r"(?P<indent>(?:    )*)(?:<(?P<leaf>\w+)>(?P<text>[^<>'\"]+)</(?P=leaf)>"
    r"|<(?P<empty>\w+)></(?P=empty)>|<(?P<closed>\w+)/>|<(?P<open>\w+)>|</(?P<close>\w+)>)$"
)
# an '&' the converter would escape again (it keeps named entities and character references as they are)
_LONE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'"}
_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos);")


def rewrite(data: bytes, t: MetadataType) -> bytes | None:
    """The converter's rewrite of a whole canonical file (custom labels to source format): the same
    lines under the converter's declaration; None when the file is not canonical."""
    checked = _canonical_body(data, t)
    if checked is None:
        return None
    body = "".join(raw + "\n" for raw, *_ in checked)
    return f'{DECLARATION}<{t.name} xmlns="{NS_URL}">\n{body}</{t.name}>\n'.encode("utf-8") if checked else (
        f'{DECLARATION}<{t.name} xmlns="{NS_URL}"></{t.name}>\n'.encode("utf-8"))


def _canonical_body(data: bytes, t: MetadataType) -> list[tuple[str, int, str, str]] | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    if len(lines) < 3 or not lines[0].startswith("<?xml ") or lines[-1] != "" or "\r" in text:
        return None
    root = _ROOT.match(lines[1])
    if root is None or root.group(1) != t.name or lines[-2] != f"</{t.name}>":
        return None
    logical = _join_text_lines(lines[2:-2])
    return _check(logical) if logical is not None else None


def split(data: bytes, t: MetadataType, full_name: str, registry: Registry, folder: str) -> dict[str, bytes] | None:
    """The decomposed files of a canonical file, by path below ``folder``; None when it is not canonical."""
    body = _canonical_body(data, t)
    if body is None:
        return None
    parent: list[str] = []
    out: dict[str, bytes] = {}
    child_types = {c.xml_element or c.directory_name: c for c in registry.children_of(t)}
    index = 0
    while index < len(body):
        line, depth, tag, kind = body[index]
        end = _block_end(body, index)
        child = child_types.get(tag)
        if child is None:
            parent.extend(raw for raw, *_ in body[index:end + 1])
        elif kind == "open":
            block = body[index + 1:end]
            name = _name(block, child)
            if name is None:
                return None
            sub = f"{child.directory_name}/" if t.decomposition == "folderPerType" else ""
            inner = "".join(raw[4:] + "\n" for raw, *_ in block)
            out[f"{folder}/{sub}{name}.{child.suffix}{META_SUFFIX}"] = (
                f'{DECLARATION}<{child.name} xmlns="{NS_URL}">\n{inner}</{child.name}>\n').encode("utf-8")
        # a child entry written as a leaf or an empty element is dropped, as the converter drops it
        index = end + 1
    head = f'{DECLARATION}<{t.name} xmlns="{NS_URL}">'
    parent_text = head + ("\n" + "".join(line + "\n" for line in parent) if parent else "") + f"</{t.name}>\n"
    out[f"{folder}/{full_name}.{t.suffix}{META_SUFFIX}"] = parent_text.encode("utf-8")
    return out


# the last group each alternative of _LINE closes, and the kind of line it means
_KINDS = {"text": "leaf", "empty": "empty", "closed": "closed", "open": "open", "close": "close"}
_OPENS_TEXT = re.compile(r"(?:    )*<(\w+)>[^<]+$")


def _join_text_lines(lines: list[str]) -> list[str] | None:
    """Physical lines as logical ones: a leaf whose text runs over several lines becomes one entry."""
    if all(line.endswith(">") for line in lines):
        return lines  # no text runs over a line end
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        opening = _OPENS_TEXT.match(line)
        if opening is None:
            out.append(line)
            index += 1
            continue
        closing = f"</{opening.group(1)}>"
        end = index + 1
        while end < len(lines) and "<" not in lines[end]:
            end += 1
        if end == len(lines) or not lines[end].endswith(closing) or "<" in lines[end][: -len(closing)]:
            return None
        out.append("\n".join(lines[index:end + 1]))
        index = end + 1
    return out


def _check(lines: list[str]) -> list[tuple[str, int, str, str]] | None:
    """Each line as (line as written, depth, tag, kind) if the whole body has the canonical form.

    Written for speed (it sees every line of every object): one match per line, its positions instead
    of new strings, and a mutable frame per open element.
    """
    body = []
    append = body.append
    match_line = _LINE.match
    lone_ampersand = _LONE_AMPERSAND.search
    frame: list = ["", set(), None]  # (tag, children seen, last child) of the element being read
    stack = [frame]
    for raw in lines:
        match = match_line(raw)
        if match is None:
            return None
        depth = match.end(1) >> 2
        kind = _KINDS[match.lastgroup]
        if kind == "close":
            tag = match.group("close")
            if len(stack) < 2 or frame[0] != tag or depth != len(stack) - 1:
                return None
            stack.pop()
            frame = stack[-1]
            append((raw, depth, tag, "close"))
            continue
        if depth != len(stack):
            return None
        tag = match.group(kind)
        if kind == "leaf":
            start, end = match.span("text")
            if raw[start].isspace() or raw[end - 1].isspace() or ("&" in raw and lone_ampersand(raw, start, end)):
                return None  # the converter trims text and escapes a lone ampersand
        seen = frame[1]
        if tag != frame[2]:
            if tag in seen:
                return None  # repeated out of sequence: the converter would regroup it
            seen.add(tag)
            frame[2] = tag
        if kind == "closed":
            raw = f"{raw[:match.end(1)]}<{tag}></{tag}>"
        append((raw, depth, tag, kind))
        if kind == "open":
            frame = [tag, set(), None]
            stack.append(frame)
    return body if len(stack) == 1 else None


def _block_end(body: list[tuple[str, int, str, str]], start: int) -> int:
    line, depth, tag, kind = body[start]
    if kind != "open":
        return start
    for index in range(start + 1, len(body)):
        if body[index][1] == depth and body[index][3] == "close":
            return index
    return len(body) - 1


def _name(block: list[tuple[str, int, str, str]], child: MetadataType) -> str | None:
    """The entry's name as the converter reads it (its key element, else fullName, else name)."""
    values: dict[str, str] = {}
    for raw, depth, tag, kind in block:
        if depth == 2 and kind == "leaf" and tag not in values:
            text = raw.strip()[len(tag) + 2:-(len(tag) + 3)]
            values[tag] = _ENTITY.sub(lambda m: _ENTITIES[m.group(0)], text)
    for element in child.unique_id_elements():
        if element in values:
            return values[element]
    return None
