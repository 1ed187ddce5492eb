"""The Metadata API's SOAP envelopes, built and read with lxml.

sfhotfix keeps simple-salesforce for authentication, the session and REST/Tooling calls, and speaks
SOAP to the Metadata API itself: simple-salesforce's ``SfdcMetadataApi`` mutates the shared session
headers, has no timeouts, never refreshes its session id, sends deploy options as ``True``/``False``
with a stray ``None None`` when no test level is given, and does not XML-escape retrieve members.
Building the few envelopes needed here with lxml avoids all of that in a hundred lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from ..xmlio import safe_parser

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
MD_NS = "http://soap.sforce.com/2006/04/metadata"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_NSMAP = {"soapenv": SOAP_NS, None: MD_NS, "xsi": XSI_NS}


@dataclass
class SoapFault(Exception):
    """A SOAP fault: ``code`` is Salesforce's exception code (INVALID_SESSION_ID, REQUEST_LIMIT_EXCEEDED…)."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.message and not self.message.startswith(self.code) else self.message


def md(tag: str) -> str:
    return f"{{{MD_NS}}}{tag}"


def add(parent: etree._Element, tag: str, value: Any = None) -> etree._Element:
    """Append ``<tag>value</tag>``; booleans as ``true``/``false`` as the WSDL's xsd:boolean wants."""
    el = etree.SubElement(parent, md(tag))
    if isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        el.text = str(value)
    return el


def envelope(session_id: str, operation: str) -> tuple[etree._Element, etree._Element]:
    """A request envelope with the session header; returns it and the operation element to fill."""
    root = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap=_NSMAP)
    header = etree.SubElement(root, f"{{{SOAP_NS}}}Header")
    session = etree.SubElement(header, md("SessionHeader"))
    add(session, "sessionId", session_id)
    body = etree.SubElement(root, f"{{{SOAP_NS}}}Body")
    return root, etree.SubElement(body, md(operation))


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def parse_response(data: bytes, operation: str) -> etree._Element:
    """The ``<result>`` elements' parent of a response, or a SoapFault raised from a fault."""
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise not_xml(operation, exc) from None
    return response_of(root, operation)


def not_xml(operation: str, exc: etree.XMLSyntaxError) -> SoapFault:
    return SoapFault("MALFORMED_RESPONSE", f"{operation}: the server's answer is not XML ({exc.msg})")


def response_of(root: etree._Element, operation: str) -> etree._Element:
    """The response element of a parsed envelope, or a SoapFault raised from a fault."""
    body = root.find(f"{{{SOAP_NS}}}Body")
    if body is None:
        raise SoapFault("MALFORMED_RESPONSE", f"{operation}: the server's answer has no SOAP body")
    fault = body.find(f"{{{SOAP_NS}}}Fault")
    if fault is not None:
        raise fault_of(fault)
    response = next((el for el in body if isinstance(el.tag, str)), None)
    if response is None:
        raise SoapFault("MALFORMED_RESPONSE", f"{operation}: empty SOAP body")
    return response


def fault_of(fault: etree._Element) -> SoapFault:
    code = ""
    for el in fault.iter():
        if isinstance(el.tag, str) and etree.QName(el).localname == "exceptionCode" and el.text:
            code = el.text.strip()
    faultcode = (fault.findtext("faultcode") or "").strip()
    message = (fault.findtext("faultstring") or "").strip()
    if not code:
        code = faultcode.split(":", 1)[-1] or "SOAP_FAULT"
    return SoapFault(code, message)


def text(el: etree._Element | None, tag: str, default: str | None = None) -> str | None:
    if el is None:
        return default
    found = el.find(md(tag))
    return found.text if found is not None and found.text is not None else default


def flag(el: etree._Element | None, tag: str) -> bool:
    return text(el, tag, "false") == "true"


def children(el: etree._Element | None, tag: str) -> list[etree._Element]:
    return [] if el is None else el.findall(md(tag))


def as_dict(el: etree._Element) -> dict[str, str]:
    """The leaf children of a result element as a dict (FileProperties, DeployMessage…)."""
    return {etree.QName(c).localname: (c.text or "") for c in el if isinstance(c.tag, str) and len(c) == 0}
