"""Reading a retrieve's answer while it arrives: the base64 zip to disk, the per-component records one at a time.

A retrieve chunk answers with up to 39 MB of zip as base64 text inside the SOAP body, and with one
``<fileProperties>`` record per component (10,000 of them for a full chunk). Building the whole answer
as a tree would hold that text, then its decoded bytes, and every record in memory. A parser target
decodes ``<zipFile>`` as it streams, hands each record element (named by the caller) to a handler as a
dict of its leaf fields as soon as it ends, and builds only the rest of the answer as a small tree.
"""

from __future__ import annotations

import binascii
from typing import IO, Callable, Iterable, Mapping

from lxml import etree

from .soap import MD_NS, not_xml, response_of

_WHITESPACE = b" \t\r\n\f\v"
_ZIP_TAG = f"{{{MD_NS}}}zipFile"

RecordHandler = Callable[[dict[str, str]], None]


class _ZipSink:
    """Decodes base64 text arriving in arbitrary pieces."""

    def __init__(self, out: IO[bytes]):
        self.out = out
        self.pending = b""
        self.size = 0

    def feed(self, text: str) -> None:
        data = self.pending + text.encode("ascii").translate(None, _WHITESPACE)
        usable = len(data) - len(data) % 4
        if usable:
            self._write(data[:usable])
        self.pending = data[usable:]

    def close(self) -> None:
        if self.pending:
            self._write(self.pending + b"=" * (-len(self.pending) % 4))
            self.pending = b""

    def _write(self, encoded: bytes) -> None:
        decoded = binascii.a2b_base64(encoded)
        self.out.write(decoded)
        self.size += len(decoded)


class _Target:
    """A parser target: a TreeBuilder for the answer's frame, the sink for ``<zipFile>``, handlers for records."""

    def __init__(self, sink: _ZipSink, records: Mapping[str, RecordHandler]):
        self.builder = etree.TreeBuilder()
        self.sink = sink
        self.handlers = {f"{{{MD_NS}}}{tag}": handler for tag, handler in records.items()}
        self.in_zip = False
        self.saw_zip = False
        self.record: dict[str, str] | None = None  # the fields of the record being read
        self.handler: RecordHandler | None = None
        self.depth = 0  # inside a record: 1 in one of its fields, 2+ below a field (which is then no leaf)
        self.field: str | None = None
        self.text: list[str] = []

    def start(self, tag, attrib):
        if self.record is not None:
            self.depth += 1
            if self.depth == 1:
                self.field, self.text = tag, []
            else:
                self.field = None  # a field with children is not a leaf: skipped, as soap.as_dict does
            return None
        handler = self.handlers.get(tag)
        if handler is not None:
            self.record, self.handler, self.depth = {}, handler, 0
            return None
        if tag == _ZIP_TAG:
            self.in_zip = self.saw_zip = True
        return self.builder.start(tag, attrib)

    def end(self, tag):
        if self.record is not None:
            if self.depth == 0:
                record, self.record = self.record, None
                self.handler(record)
            else:
                if self.depth == 1 and self.field is not None:
                    self.record[self.field.rpartition("}")[2]] = "".join(self.text)
                self.depth -= 1
            return None
        if tag == _ZIP_TAG:
            self.in_zip = False
            self.sink.close()
        return self.builder.end(tag)

    def data(self, data):
        if self.record is not None:
            if self.depth == 1:
                self.text.append(data)
        elif self.in_zip:
            self.sink.feed(data)
        else:
            self.builder.data(data)

    def comment(self, text):
        return None

    def close(self):
        return self.builder.close()


def parse_streaming(chunks: Iterable[bytes], operation: str, zip_out: IO[bytes],
                    records: Mapping[str, RecordHandler] | None = None) -> tuple[etree._Element, bool]:
    """Parse a SOAP answer from ``chunks``; any ``<zipFile>`` is decoded into ``zip_out``.

    Each element named in ``records`` (a metadata-namespace tag such as ``fileProperties``) is left out
    of the tree and handed to its handler, as ``{field: text}``, when it ends. Returns the response
    element (as :func:`soap.parse_response` does) and whether a zip was present.
    """
    sink = _ZipSink(zip_out)
    target = _Target(sink, records or {})
    parser = etree.XMLParser(target=target, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    try:
        for chunk in chunks:
            parser.feed(chunk)
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        raise not_xml(operation, exc) from None
    return response_of(root, operation), target.saw_zip
