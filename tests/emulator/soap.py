"""SOAP 1.1 envelopes as Salesforce writes them: responses, faults, and request parsing.

Why: the client is tested against what Salesforce puts on the wire, byte shapes included — the ``soapenv``
prefix, the Metadata namespace as default namespace of the body, ``xmlns:xsi`` only where a response uses
``xsi:nil``/``xsi:type``, faults with ``faultcode`` ``sf:CODE``, ``faultstring`` ``CODE: message`` and a
``detail`` naming the fault type (``sf:LoginFault``, ``sf:UnexpectedErrorFault`` …) sent with HTTP 500.
Templates are plain strings built from escaped values; requests are parsed with the safe lxml parser.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from . import sfxml

SOAPENV = "http://schemas.xmlsoap.org/soap/envelope/"
MD_NS = "http://soap.sforce.com/2006/04/metadata"
PARTNER_NS = "urn:partner.soap.sforce.com"
PARTNER_FAULT_NS = "urn:fault.partner.soap.sforce.com"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

FAULT_TYPES = {
    "INVALID_LOGIN": "LoginFault",
    "LOGIN_MUST_USE_SECURITY_TOKEN": "LoginFault",
    "INVALID_ID_FIELD": "InvalidIdFault",
    "INVALID_TYPE": "InvalidSObjectFault",
    "INVALID_FIELD": "InvalidFieldFault",
    "MALFORMED_QUERY": "MalformedQueryFault",
}


class SoapFault(Exception):
    """Raised by an operation: becomes a SOAP fault with HTTP 500."""

    def __init__(self, code: str, message: str, fault_type: str | None = None, faultcode: str | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fault_type = fault_type or FAULT_TYPES.get(code, "UnexpectedErrorFault")
        self.faultcode = faultcode or f"sf:{code}"


@dataclass
class SoapRequest:
    operation: str  # local name of the Body's first element, e.g. "retrieve"
    body: etree._Element  # that element
    session_id: str | None  # from <SessionHeader><sessionId>


def parse_request(data: bytes) -> SoapRequest:
    """Parse a SOAP request; raise SoapFault (soapenv:Client) when it is not one."""
    try:
        root = sfxml.parse(data)
    except sfxml.XmlError as exc:
        raise SoapFault(
            "INVALID_XML", f"Could not parse request: {exc.message}", faultcode="soapenv:Client"
        ) from None
    if sfxml.local(root) != "Envelope":
        raise SoapFault("INVALID_XML", "Expected a SOAP Envelope", faultcode="soapenv:Client")
    header = sfxml.find(root, "Header")
    body = sfxml.find(root, "Body")
    if body is None or not sfxml.elements(body):
        raise SoapFault("INVALID_XML", "Missing SOAP Body", faultcode="soapenv:Client")
    operation = sfxml.elements(body)[0]
    session = None
    if header is not None:
        session_header = sfxml.find(header, "SessionHeader")
        if session_header is not None:
            session = sfxml.text_of(session_header, "sessionId")
    return SoapRequest(sfxml.local(operation), operation, session)


def el(name: str, value: object) -> str:
    """One element with escaped text; booleans as true/false; None → omitted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{sfxml.escape(str(value))}</{name}>"


def nil(name: str) -> str:
    return f'<{name} xsi:nil="true"/>'


def envelope(body: str, default_ns: str = MD_NS) -> bytes:
    """A response envelope; ``xmlns:xsi`` is declared only when the body uses it, as Salesforce does."""
    xsi = f' xmlns:xsi="{XSI}"' if "xsi:" in body else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAPENV}" xmlns="{default_ns}"{xsi}>'
        f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    ).encode("utf-8")


def response(operation: str, result: str | list[str], default_ns: str = MD_NS) -> bytes:
    """``<opResponse><result>…</result></opResponse>``; a list gives several result elements."""
    results = result if isinstance(result, list) else [result]
    inner = "".join(f"<result>{r}</result>" for r in results)
    if not results:
        return envelope(f"<{operation}Response/>", default_ns)
    return envelope(f"<{operation}Response>{inner}</{operation}Response>", default_ns)


def fault(exc: SoapFault, partner: bool = False) -> bytes:
    """A SOAP fault in Salesforce's form (metadata or partner fault namespace)."""
    ns = PARTNER_FAULT_NS if partner else MD_NS
    if exc.faultcode.startswith("sf:"):
        detail = (
            f'<detail><sf:{exc.fault_type} xsi:type="sf:{exc.fault_type}">'
            f"<sf:exceptionCode>{sfxml.escape(exc.code)}</sf:exceptionCode>"
            f"<sf:exceptionMessage>{sfxml.escape(exc.message)}</sf:exceptionMessage>"
            f"</sf:{exc.fault_type}></detail>"
        )
        faultstring = f"{exc.code}: {exc.message}"
    else:  # a SOAP-level client fault: no Salesforce detail
        detail = ""
        faultstring = exc.message
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<soapenv:Envelope xmlns:soapenv="{SOAPENV}" xmlns:sf="{ns}" xmlns:xsi="{XSI}">'
        "<soapenv:Body><soapenv:Fault>"
        f"<faultcode>{sfxml.escape(exc.faultcode)}</faultcode>"
        f"<faultstring>{sfxml.escape(faultstring)}</faultstring>"
        f"{detail}</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    ).encode("utf-8")


def boolean(text: str | None, default: bool = False) -> bool:
    """xsd:boolean as clients send it (simple_salesforce sends Python's True/False)."""
    if text is None or text == "":
        return default
    return text.strip().lower() in ("true", "1")
