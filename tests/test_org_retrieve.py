"""The chunked retrieve without an org: how chunks are cut, when they are extracted, what is held in memory."""

from __future__ import annotations

import io
import os
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from sfhotfix.org.metadata import FileProperties, RetrieveStatus
from sfhotfix.org.retrieve import Polling, plan_chunks, retrieve
from sfhotfix.org.soap import SoapFault
from sfhotfix.org.stream import parse_streaming
from sfhotfix.registry import load_registry

FAST = Polling(first=0.001, factor=1.0, cap=0.001, timeout=60)


def classes(count: int) -> dict[str, list[str]]:
    return {"ApexClass": [f"Service{n:05d}" for n in range(count)]}


def test_a_split_retrieve_is_cut_into_even_chunks() -> None:
    registry = load_registry()
    chunks = plan_chunks(classes(12_500), registry)  # 25,000 files: three chunks, not 10,000/10,000/5,000
    assert [c.size for c in chunks] == [4167, 4167, 4166]
    assert [c.files for c in chunks] == [8334, 8334, 8332]
    assert [c.size for c in plan_chunks(classes(15_000), registry)] == [5000, 5000, 5000]
    assert [c.size for c in plan_chunks(classes(15_001), registry)] == [3750, 3750, 3751, 3750]
    assert [c.size for c in plan_chunks(classes(4_000), registry)] == [4000]
    assert [c.size for c in plan_chunks({"ApexClass": list("abcdefg")}, registry, max_components=2)] == [2, 2, 2, 1]


def test_children_stay_with_their_parent_and_no_limit_is_passed() -> None:
    members = {"CustomObject": [f"Obj{n}__c" for n in range(300)],
               "CustomField": [f"Obj{n}__c.Field{f}__c" for n in range(300) for f in range(20)],
               "ApexClass": [f"Class{n}" for n in range(3000)], "CustomLabel": [f"Label{n}" for n in range(500)]}
    chunks = plan_chunks(members, load_registry(), max_files=4000)
    assert len(chunks) == 4 and all(c.files <= 4000 for c in chunks)
    assert sorted(n for c in chunks for names in c.members.values() for n in names) == \
        sorted(n for names in members.values() for n in names)
    for chunk in chunks:
        objects = set(chunk.members.get("CustomObject", []))
        assert {f.split(".")[0] for f in chunk.members.get("CustomField", [])} <= objects
    assert sum(1 for c in chunks if "CustomLabel" in c.members) == 1  # all labels share one file


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(f"unpackaged/{name}", data)
        archive.writestr("unpackaged/package.xml", "<Package/>")
    return buffer.getvalue()


class FakeOrg:
    """A Metadata API that answers each retrieve with a prepared zip, written in pieces as the client does."""

    class client:
        name = "fake-org"

    def __init__(self, zips: dict[str, bytes], polls_before: dict[str, object] | None = None):
        self.zips = zips  # first member of a chunk → its zip
        self.jobs: dict[str, str] = {}
        self.polls_before = polls_before or {}  # first member → a callable saying "done" when true
        self.classes = {first: [n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.endswith(".cls")]
                        for first, data in zips.items()}

    def retrieve(self, members: dict[str, list[str]]) -> str:
        first = sorted(members["ApexClass"])[0]
        self.jobs[f"09S{len(self.jobs)}"] = first
        return f"09S{len(self.jobs) - 1}"

    def check_retrieve_status(self, process_id: str, out, properties_out=None) -> RetrieveStatus:
        first = self.jobs[process_id]
        ready = self.polls_before.get(first)
        if ready is not None and not ready():
            return RetrieveStatus(process_id, False, "InProgress")
        data = memoryview(self.zips[first])
        out.seek(0)
        out.truncate()
        for start in range(0, len(data), 1 << 16):
            out.write(data[start:start + (1 << 16)])
        for name in self.classes[first]:
            props = FileProperties("ApexClass", name.rsplit("/", 1)[1][:-4], name[len("unpackaged/"):],
                                   "Admin User", "2024-05-01T10:00:00.000Z")
            properties_out.write(props.as_line())
        return RetrieveStatus(process_id, True, "Succeeded", has_zip=True)


def test_a_chunk_is_extracted_while_the_others_are_still_polled(tmp_path: Path) -> None:
    first = zip_of({"classes/A.cls": b"public class A {}", "classes/A.cls-meta.xml": b"<ApexClass/>"})
    second = zip_of({"classes/B.cls": b"public class B {}"})
    seen_extracted: list[bool] = []
    deadline = time.monotonic() + 20

    def a_extracted() -> bool:  # chunk B stays in progress until chunk A's files are in the folder
        found = any(tmp_path.glob("extract-*/classes/A.cls"))
        seen_extracted.append(found)
        return found or time.monotonic() > deadline

    org = FakeOrg({"A": first, "B": second}, {"B": a_extracted})
    outcome = retrieve(org, {"ApexClass": ["A", "B"]}, load_registry(), tmp_path, parallel=2, max_components=1,
                       polling=FAST)
    assert seen_extracted[-1]  # B finished only once A was in the folder, not at the deadline
    assert sorted(p.name for p in (outcome.folder / "classes").iterdir()) == ["A.cls", "A.cls-meta.xml", "B.cls"]
    assert not (outcome.folder / "package.xml").exists()
    assert {p.full_name for p in outcome.file_properties} == {"A", "B"}
    assert all(r.status.file_properties == [] for r in outcome.chunks)  # spooled to disk, not kept


def test_memory_does_not_grow_with_the_zip(tmp_path: Path) -> None:
    files = {f"staticresources/R{n:02d}.resource": os.urandom(400_000) for n in range(40)}
    files.update({f"classes/C{n:04d}.cls": f"public class C{n:04d} {{}}".encode() for n in range(2000)})
    big = zip_of(files)
    assert len(big) > 16_000_000
    org = FakeOrg({"C0000": big})
    members = {"ApexClass": [f"C{n:04d}" for n in range(2000)]}
    tracemalloc.start()
    try:
        outcome = retrieve(org, members, load_registry(), tmp_path, parallel=1, polling=FAST)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sum(1 for p in outcome.folder.rglob("*") if p.is_file()) == 2040
    assert (outcome.folder / "staticresources" / "R07.resource").read_bytes() == files["staticresources/R07.resource"]
    assert peak < len(big) / 5, f"peak {peak} for a zip of {len(big)}"


ANSWER = (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns="http://soap.sforce.com/2006/04/metadata"><soapenv:Body><checkRetrieveStatusResponse><result>'
    "<done>true</done>{props}<id>09S1</id><messages><fileName>unpackaged/package.xml</fileName>"
    "<problem>Entity of type 'ApexClass' named 'Nope' cannot be found</problem></messages>"
    "<status>Succeeded</status><success>true</success><zipFile>{zip}</zipFile></result>"
    "</checkRetrieveStatusResponse></soapenv:Body></soapenv:Envelope>"
)


def test_the_answer_is_read_in_pieces_with_records_handed_out(tmp_path: Path) -> None:
    import base64

    data = zip_of({"classes/A.cls": b"public class A {}" * 100})
    encoded = base64.b64encode(data).decode()
    encoded = "\n".join(encoded[i:i + 76] for i in range(0, len(encoded), 76))  # line-wrapped, as some servers do
    props = "".join(f"<fileProperties><fileName>classes/C{n}.cls</fileName><fullName>C{n}</fullName>"
                    f"<lastModifiedByName>Jane &amp; Joe</lastModifiedByName><namespacePrefix/>"
                    f"<type>ApexClass</type></fileProperties>" for n in range(3))
    answer = ANSWER.format(props=props, zip=encoded).encode()
    records: list[dict[str, str]] = []
    out = io.BytesIO()
    response, has_zip = parse_streaming((answer[i:i + 7] for i in range(0, len(answer), 7)), "checkRetrieveStatus",
                                        out, {"fileProperties": records.append})
    assert has_zip and out.getvalue() == data
    assert [r["fullName"] for r in records] == ["C0", "C1", "C2"]
    assert records[0]["lastModifiedByName"] == "Jane & Joe" and records[0]["namespacePrefix"] == ""
    assert FileProperties.from_fields(records[0]).namespace_prefix is None
    assert b"fileProperties" not in etree.tostring(response)
    assert response.findtext(".//{http://soap.sforce.com/2006/04/metadata}problem").endswith("cannot be found")


def test_a_fault_or_garbage_in_a_streamed_answer_is_a_soap_fault() -> None:
    fault = (b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
             b"<soapenv:Fault><faultcode>sf:INVALID_SESSION_ID</faultcode><faultstring>INVALID_SESSION_ID: gone"
             b"</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>")
    with pytest.raises(SoapFault) as raised:
        parse_streaming([fault], "checkRetrieveStatus", io.BytesIO())
    assert raised.value.code == "INVALID_SESSION_ID"
    with pytest.raises(SoapFault) as raised:
        parse_streaming([b"<html><body>Service unavailable"], "checkRetrieveStatus", io.BytesIO())
    assert raised.value.code == "MALFORMED_RESPONSE"
