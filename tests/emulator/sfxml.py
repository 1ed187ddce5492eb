"""Safe XML parsing and Salesforce-style metadata XML writing for the emulated org.

Why: requests and deployed files come from the client under test and must be parsed without entity
expansion, DTDs or network access (lxml with those off; a DOCTYPE is refused as Salesforce refuses it).
Files the org has to *write* itself — a CustomObject holding only the requested fields, an object after a
field was deployed into it — are written the way Salesforce's retrieve writes them: UTF-8 declaration,
four-space indentation, ``<a></a>`` for empty elements, and ``&apos;``/``&quot;`` in text.
"""

from __future__ import annotations

from lxml import etree

MD_NS = "http://soap.sforce.com/2006/04/metadata"

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True, remove_comments=True
)


class XmlError(ValueError):
    """Malformed XML, with the position lxml reports (1-based line and column)."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def parse(data: bytes) -> etree._Element:
    """Parse bytes into an element tree root; raise XmlError for malformed input or a DOCTYPE."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (1, 1)
        message = exc.msg or str(exc)
        # lxml appends ", line N, column M"; Salesforce's parser reports position separately
        message = message.split(", line ")[0]
        raise XmlError(message, line or 1, column or 1) from None
    if root.getroottree().docinfo.doctype:
        raise XmlError("DOCTYPE is disallowed", 1, 1)
    return root


def local(el: etree._Element) -> str:
    """Local name of an element (namespace dropped); '' for comments and processing instructions."""
    if not isinstance(el.tag, str):
        return ""
    return etree.QName(el).localname


def elements(el: etree._Element) -> list[etree._Element]:
    """Element children only (no comments)."""
    return [c for c in el if isinstance(c.tag, str)]


def find(el: etree._Element, name: str) -> etree._Element | None:
    """First child element whose local name equals ``name`` (case-insensitive: clients vary, e.g. ZipFile)."""
    wanted = name.lower()
    for child in elements(el):
        if local(child).lower() == wanted:
            return child
    return None


def find_all(el: etree._Element, name: str) -> list[etree._Element]:
    wanted = name.lower()
    return [c for c in elements(el) if local(c).lower() == wanted]


def text_of(el: etree._Element | None, name: str, default: str | None = None) -> str | None:
    if el is None:
        return default
    child = find(el, name)
    if child is None:
        return default
    return (child.text or "").strip()


def escape(text: str) -> str:
    """Text escaping as Salesforce writes metadata and SOAP: & < > " ' all as entities."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )


def _attrs(el: etree._Element) -> str:
    if not el.attrib:
        return ""
    reverse = {uri: prefix for prefix, uri in el.nsmap.items() if prefix}
    parts = []
    for key, value in el.attrib.items():
        qname = etree.QName(key)
        name = qname.localname
        if qname.namespace and qname.namespace in reverse:
            name = f"{reverse[qname.namespace]}:{name}"
        parts.append(f' {name}="{escape(value)}"')
    return "".join(parts)


def _write(el: etree._Element, depth: int, out: list[str]) -> None:
    indent = "    " * depth
    name = local(el)
    kids = elements(el)
    if kids:
        out.append(f"{indent}<{name}{_attrs(el)}>\n")
        for kid in kids:
            _write(kid, depth + 1, out)
        out.append(f"{indent}</{name}>\n")
    else:
        out.append(f"{indent}<{name}{_attrs(el)}>{escape(el.text or '')}</{name}>\n")


def serialize(root: etree._Element) -> bytes:
    """Write a metadata file the way Salesforce's retrieve does."""
    decls = "".join(
        f' xmlns="{uri}"' if prefix is None else f' xmlns:{prefix}="{uri}"'
        for prefix, uri in root.nsmap.items()
    )
    if None not in root.nsmap:
        decls = f' xmlns="{MD_NS}"' + decls
    name = local(root)
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n', f"<{name}{decls}{_attrs(root)}>\n"]
    for kid in elements(root):
        _write(kid, 1, out)
    out.append(f"</{name}>\n")
    return "".join(out).encode("utf-8")


def canonical(el: etree._Element) -> tuple:
    """A whitespace-insensitive value of an element, to tell changed from unchanged components."""
    kids = elements(el)
    if kids:
        return (local(el), tuple(sorted(el.attrib.items())), tuple(canonical(k) for k in kids))
    return (local(el), tuple(sorted(el.attrib.items())), (el.text or "").strip())


def child_key(el: etree._Element, key: str | None) -> str | None:
    """The name of a child entry: its ``key`` element, else fullName, else name."""
    for name in ([key] if key else []) + ["fullName", "name"]:
        value = text_of(el, name)
        if value:
            return value
    return None


def new_root_like(root: etree._Element) -> etree._Element:
    """An empty element with the same name and namespaces as ``root``."""
    return etree.Element(root.tag, nsmap=root.nsmap)


def package_xml(types: dict[str, list[str]], version: str) -> bytes:
    """A package.xml as Salesforce writes it into a retrieve zip: types by name, members sorted."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n', f'<Package xmlns="{MD_NS}">\n']
    for name in sorted(types):
        out.append("    <types>\n")
        for member in sorted(set(types[name])):
            out.append(f"        <members>{escape(member)}</members>\n")
        out.append(f"        <name>{escape(name)}</name>\n")
        out.append("    </types>\n")
    out.append(f"    <version>{escape(version)}</version>\n")
    out.append("</Package>\n")
    return "".join(out).encode("utf-8")


def read_package(root: etree._Element) -> tuple[dict[str, list[str]], str | None]:
    """Types (name → members, in order) and version of a Package element (package.xml or unpackaged)."""
    types: dict[str, list[str]] = {}
    for entry in find_all(root, "types"):
        name = text_of(entry, "name") or ""
        members = [(m.text or "").strip() for m in find_all(entry, "members")]
        types.setdefault(name, []).extend(members)
    return types, text_of(root, "version")
