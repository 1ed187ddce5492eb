"""Reading a retrieve's answer while it arrives, writing its base64 zip to disk in pieces.

A retrieve chunk answers with up to 39 MB of zip as base64 text inside the SOAP body. Building the
whole answer as a tree would hold that text, then its decoded bytes, in memory; a parser target that
decodes ``<zipFile>`` as it streams keeps memory flat, and the rest of the answer is built as a
normal small tree.
"""

from __future__ import annotations

import base64
import re
from typing import IO, Iterable

from lxml import etree

from .soap import MD_NS, parse_response

_WHITESPACE = re.compile(rb"\s+")
_ZIP_TAG = f"{{{MD_NS}}}zipFile"


class _ZipSink:
    """Decodes base64 text arriving in arbitrary pieces."""

    def __init__(self, out: IO[bytes]):
        self.out = out
        self.pending = b""
        self.size = 0

    def feed(self, text: str) -> None:
        data = self.pending + _WHITESPACE.sub(b"", text.encode("ascii"))
        usable = len(data) - len(data) % 4
        if usable:
            decoded = base64.b64decode(data[:usable])
            self.out.write(decoded)
            self.size += len(decoded)
        self.pending = data[usable:]

    def close(self) -> None:
        if self.pending:
            decoded = base64.b64decode(self.pending + b"=" * (-len(self.pending) % 4))
            self.out.write(decoded)
            self.size += len(decoded)
            self.pending = b""


class _Target:
    """A parser target: a TreeBuilder for everything but ``<zipFile>``, whose text goes to the sink."""

    def __init__(self, sink: _ZipSink):
        self.builder = etree.TreeBuilder()
        self.sink = sink
        self.in_zip = False
        self.saw_zip = False

    def start(self, tag, attrib):
        if tag == _ZIP_TAG:
            self.in_zip = self.saw_zip = True
        return self.builder.start(tag, attrib)

    def end(self, tag):
        if tag == _ZIP_TAG:
            self.in_zip = False
            self.sink.close()
        return self.builder.end(tag)

    def data(self, data):
        if self.in_zip:
            self.sink.feed(data)
        else:
            self.builder.data(data)

    def comment(self, text):
        return None

    def close(self):
        return self.builder.close()


def parse_streaming(chunks: Iterable[bytes], operation: str, zip_out: IO[bytes]) -> tuple[etree._Element, bool]:
    """Parse a SOAP answer from ``chunks``; any ``<zipFile>`` is decoded into ``zip_out``.

    Returns the response element (as :func:`soap.parse_response` does) and whether a zip was present.
    """
    sink = _ZipSink(zip_out)
    target = _Target(sink)
    parser = etree.XMLParser(target=target, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    for chunk in chunks:
        parser.feed(chunk)
    root = parser.close()
    return parse_response(etree.tostring(root), operation), target.saw_zip
