"""The Salesforce emulator that cassettes are recorded against, driven like a client drives Salesforce.

Plain ``requests`` (with the emulator's throwaway CA) and simple_salesforce (SOAP login, zeep-based
describe/list, its retrieve/deploy messages) talk to an emulator over ``examples/hotfix-sandbox``; every
answer is checked against the shapes of real Salesforce responses (see /work/shared/realdata) and the
Metadata API WSDL shipped in simple_salesforce.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from zeep.exceptions import Fault

try:
    from tests.emulator import start_emulator
    from tests.emulator.fixtures import emulator_fixture
except ModuleNotFoundError:  # pytest put tests/ itself on sys.path
    from emulator import start_emulator
    from emulator.fixtures import emulator_fixture

ROOT = Path(__file__).resolve().parents[1]
SANDBOX = ROOT / "examples" / "hotfix-sandbox"
MD = "http://soap.sforce.com/2006/04/metadata"
NS = {"m": MD, "soapenv": "http://schemas.xmlsoap.org/soap/envelope/"}
# the default user's password+security token, as concatenated on the wire, is "password+TOKEN"
USER, PASSWORD, TOKEN = "admin@hotfix.example", "password+", "TOKEN"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


@pytest.fixture
def emu(monkeypatch):
    yield from emulator_fixture(SANDBOX, monkeypatch=monkeypatch)


@pytest.fixture
def session(emu) -> str:
    return emu.session_for()


@pytest.fixture
def sf(emu, session) -> Salesforce:
    http = requests.Session()
    http.verify = emu.ca_file
    return Salesforce(instance_url=emu.url, session_id=session, version="63.0", session=http)


# ---- helpers -------------------------------------------------------------------------------------------
def md_call(emu, session: str | None, operation: str, inner: str = "", path: str = "/services/Soap/m/63.0/00D000000000001"):
    """POST one Metadata API operation; return (HTTP status, parsed envelope)."""
    header = f'<SessionHeader xmlns="{MD}"><sessionId>{session}</sessionId></SessionHeader>' if session else ""
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        f"<soapenv:Header>{header}</soapenv:Header>"
        f'<soapenv:Body><{operation} xmlns="{MD}">{inner}</{operation}></soapenv:Body></soapenv:Envelope>'
    )
    reply = requests.post(
        emu.url + path, data=body.encode(), headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": operation},
        verify=emu.ca_file,
    )
    return reply.status_code, etree.fromstring(reply.content, PARSER)


def result_of(root, operation: str):
    return root.find(f"soapenv:Body/m:{operation}Response/m:result", NS)


def fault_of(root) -> tuple[str, str, str]:
    fault = root.find("soapenv:Body/soapenv:Fault", NS)
    assert fault is not None, etree.tostring(root)
    code = fault.findtext("detail/{*}*/{*}exceptionCode")
    return fault.findtext("faultcode"), fault.findtext("faultstring"), code


def package(types: dict[str, list[str]], version: str = "63.0") -> str:
    body = "".join(
        "<types>" + "".join(f"<members>{m}</members>" for m in members) + f"<name>{name}</name></types>"
        for name, members in types.items()
    )
    return body + f"<version>{version}</version>"


def retrieve(emu, session, types, single_package=False, polls_expected=1):
    """retrieve + checkRetrieveStatus until done; return the final result element."""
    status, root = md_call(
        emu, session, "retrieve",
        f"<retrieveRequest><apiVersion>63.0</apiVersion><singlePackage>{str(single_package).lower()}</singlePackage>"
        f"<unpackaged>{package(types)}</unpackaged></retrieveRequest>",
    )
    assert status == 200
    started = result_of(root, "retrieve")
    assert [started.findtext("m:done", namespaces=NS), started.findtext("m:state", namespaces=NS)] == ["false", "Queued"]
    job = started.findtext("m:id", namespaces=NS)
    for _ in range(polls_expected):
        _, root = md_call(emu, session, "checkRetrieveStatus", f"<asyncProcessId>{job}</asyncProcessId><includeZip>true</includeZip>")
        assert result_of(root, "checkRetrieveStatus").findtext("m:done", namespaces=NS) == "false"
    _, root = md_call(emu, session, "checkRetrieveStatus", f"<asyncProcessId>{job}</asyncProcessId><includeZip>true</includeZip>")
    return result_of(root, "checkRetrieveStatus")


def zip_of(result) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(base64.b64decode(result.findtext("m:zipFile", namespaces=NS))))


def make_zip(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def package_xml(types: dict[str, list[str]]) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><Package xmlns="{MD}">{package(types)}</Package>'


def sandbox_file(path: str) -> bytes:
    return (SANDBOX / path).read_bytes()


def deploy(emu, session, zip_bytes: bytes, **options) -> str:
    opts = {"checkOnly": False, "rollbackOnError": True, "singlePackage": True, **options}
    run_tests = opts.pop("runTests", [])
    inner = "".join(f"<{k}>{str(v).lower() if isinstance(v, bool) else v}</{k}>" for k, v in opts.items())
    inner += "".join(f"<runTests>{t}</runTests>" for t in run_tests)
    status, root = md_call(emu, session, "deploy", f"<ZipFile>{base64.b64encode(zip_bytes).decode()}</ZipFile><DeployOptions>{inner}</DeployOptions>")
    assert status == 200, etree.tostring(root)
    result = result_of(root, "deploy")
    assert result.findtext("m:state", namespaces=NS) == "Queued"
    return result.findtext("m:id", namespaces=NS)


def deploy_status(emu, session, job: str, details: bool = True):
    status, root = md_call(emu, session, "checkDeployStatus", f"<asyncProcessId>{job}</asyncProcessId><includeDetails>{str(details).lower()}</includeDetails>")
    assert status == 200, etree.tostring(root)
    return result_of(root, "checkDeployStatus")


def wait_deploy(emu, session, job: str):
    for _ in range(10):
        result = deploy_status(emu, session, job)
        if result.findtext("m:done", namespaces=NS) == "true":
            return result
    raise AssertionError("deploy never finished")


def texts(el, path: str) -> list[str]:
    return [e.text or "" for e in el.findall(path, NS)]


def classes_zip(test_body: str | None = None, extra: dict | None = None) -> bytes:
    files = {
        "package.xml": package_xml({"ApexClass": ["InvoiceService", "InvoiceServiceTest"]}),
        "classes/InvoiceService.cls": sandbox_file("classes/InvoiceService.cls"),
        "classes/InvoiceService.cls-meta.xml": sandbox_file("classes/InvoiceService.cls-meta.xml"),
        "classes/InvoiceServiceTest.cls": test_body or sandbox_file("classes/InvoiceServiceTest.cls"),
        "classes/InvoiceServiceTest.cls-meta.xml": sandbox_file("classes/InvoiceServiceTest.cls-meta.xml"),
    }
    files.update(extra or {})
    return make_zip(files)


# ---- transport and versions ----------------------------------------------------------------------------
def test_https_with_the_throwaway_ca_and_versions_list(emu):
    assert emu.url.startswith("https://127.0.0.1:")
    untrusting = requests.Session()
    untrusting.trust_env = False  # ignore REQUESTS_CA_BUNDLE: the system store does not know the emulator's CA
    with pytest.raises(requests.exceptions.SSLError):
        untrusting.get(emu.url + "/services/data/", timeout=5)
    versions = requests.get(emu.url + "/services/data/", verify=emu.ca_file).json()
    assert versions[-1] == {"label": "Spring '25", "url": "/services/data/v63.0", "version": "63.0"}
    assert {"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"} in versions
    assert ("GET", "/services/data/", "versions") in emu.requests_log


# ---- login ----------------------------------------------------------------------------------------------
def test_soap_login_with_simple_salesforce(emu, monkeypatch):
    session_id, instance = SalesforceLogin(
        username=USER, password=PASSWORD, security_token=TOKEN, sf_version="63.0", scratch_url=emu.url
    )
    assert session_id.startswith("EMULATOR-SESSION-")
    assert instance == emu.url.removeprefix("https://")
    sf = Salesforce(instance=instance, session_id=session_id, version="63.0")
    assert sf.describe()["sobjects"][0]["name"] == "Account"


def test_soap_login_response_shape(emu):
    body = (
        '<?xml version="1.0" encoding="utf-8" ?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">'
        '<env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com">'
        f"<n1:username>{USER}</n1:username><n1:password>{PASSWORD}{TOKEN}</n1:password></n1:login></env:Body></env:Envelope>"
    )
    reply = requests.post(emu.url + "/services/Soap/u/63.0", data=body, headers={"SOAPAction": "login", "Content-Type": "text/xml"}, verify=emu.ca_file)
    assert reply.status_code == 200
    root = etree.fromstring(reply.content)
    result = root.find("{*}Body/{urn:partner.soap.sforce.com}loginResponse/{urn:partner.soap.sforce.com}result")
    fields = [etree.QName(e).localname for e in result]
    assert fields == ["metadataServerUrl", "passwordExpired", "sandbox", "serverUrl", "sessionId", "userId", "userInfo"]
    p = "{urn:partner.soap.sforce.com}"
    assert result.findtext(p + "metadataServerUrl") == emu.url + "/services/Soap/m/63.0/00D000000000001"
    assert result.findtext(p + "sandbox") == "true"
    assert result.findtext(f"{p}userInfo/{p}organizationId") == "00D000000000001EAA"
    assert result.findtext(f"{p}userInfo/{p}userName") == USER
    assert result.findtext(f"{p}userInfo/{p}userFullName") == "Admin User"


def test_soap_login_failure(emu):
    with pytest.raises(SalesforceAuthenticationFailed) as raised:
        SalesforceLogin(username=USER, password=PASSWORD, security_token="WRONG", sf_version="63.0", scratch_url=emu.url)
    assert raised.value.code == "INVALID_LOGIN"
    assert "Invalid username, password, security token; or user locked out." in str(raised.value)
    body = (
        '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>'
        '<login xmlns="urn:partner.soap.sforce.com"><username>nobody@example.com</username><password>x</password></login>'
        "</env:Body></env:Envelope>"
    )
    reply = requests.post(emu.url + "/services/Soap/u/63.0", data=body, verify=emu.ca_file)
    assert reply.status_code == 500
    assert b'<sf:LoginFault xsi:type="sf:LoginFault">' in reply.content
    assert b"<faultcode>sf:INVALID_LOGIN</faultcode>" in reply.content
    assert b'xmlns:sf="urn:fault.partner.soap.sforce.com"' in reply.content


def test_custom_users_port_and_version(monkeypatch):
    with start_emulator(SANDBOX, users={"jane@hotfix.example": {"password": "pw+tok", "name": "Jane Doe"}}, api_version="62.0") as emu:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", emu.ca_file)
        versions = requests.get(emu.url + "/services/data/", verify=emu.ca_file).json()
        assert versions[-1]["version"] == "62.0"
        session_id, _ = SalesforceLogin(username="jane@hotfix.example", password="pw+", security_token="tok", sf_version="62.0", scratch_url=emu.url)
        status, root = md_call(emu, session_id, "retrieve", "<retrieveRequest><apiVersion>62.0</apiVersion></retrieveRequest>", path="/services/Soap/m/62.0")
        assert status == 200
        status, root = md_call(emu, session_id, "describeMetadata", "", path="/services/Soap/m/63.0")
        assert status == 500 and fault_of(root)[0] == "sf:UNSUPPORTED_API_VERSION"


# ---- OAuth ----------------------------------------------------------------------------------------------
def _rsa_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, public


def _assertion(pem, **claims):
    payload = {"iss": "CONSUMER_KEY", "sub": USER, "aud": "https://test.salesforce.com", "exp": int(time.time()) + 180}
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, pem, algorithm="RS256")


def _token(emu, **form):
    return requests.post(emu.url + "/services/oauth2/token", data=form, verify=emu.ca_file)


def test_jwt_bearer_token(emu):
    pem, public = _rsa_key()
    reply = _token(emu, grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer", assertion=_assertion(pem))
    assert reply.status_code == 200, reply.text
    token = reply.json()
    assert token["access_token"].startswith("EMULATOR-SESSION-")
    assert token["instance_url"] == emu.url and token["token_type"] == "Bearer"
    assert token["id"].startswith(emu.url + "/id/00D000000000001EAA/005")
    assert {"issued_at", "signature"} <= set(token)
    # the token works on REST and Metadata API
    me = requests.get(token["id"], headers={"Authorization": "Bearer " + token["access_token"]}, verify=emu.ca_file)
    assert me.json()["username"] == USER
    status, _ = md_call(emu, token["access_token"], "describeMetadata", "<asOfVersion>63.0</asOfVersion>")
    assert status == 200
    # a registered key must have signed
    emu.register_jwt_key("CONSUMER_KEY", public)
    assert _token(emu, grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer", assertion=_assertion(pem)).status_code == 200
    other, _ = _rsa_key()
    bad = _token(emu, grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer", assertion=_assertion(other))
    assert bad.status_code == 400 and bad.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}


@pytest.mark.parametrize(
    "claims, description",
    [
        ({"aud": "https://example.com"}, "audience is invalid"),
        ({"exp": int(time.time()) - 60}, "expired authorization code"),
        ({"sub": "nobody@hotfix.example"}, "user hasn't approved this consumer"),
        ({"iss": None}, "invalid assertion"),
    ],
)
def test_jwt_bearer_refused(emu, claims, description):
    pem, _ = _rsa_key()
    reply = _token(emu, grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer", assertion=_assertion(pem, **claims))
    assert reply.status_code == 400
    assert reply.json() == {"error": "invalid_grant", "error_description": description}


def test_jwt_must_be_rs256(emu):
    token = jwt.encode({"iss": "K", "sub": USER, "aud": "https://test.salesforce.com", "exp": int(time.time()) + 60}, "secret" * 6, algorithm="HS256")
    reply = _token(emu, grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer", assertion=token)
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_grant"


def test_password_grant(emu):
    ok = _token(emu, grant_type="password", client_id="CID", client_secret="SECRET", username=USER, password=PASSWORD + TOKEN)
    assert ok.status_code == 200 and ok.json()["access_token"].startswith("EMULATOR-SESSION-")
    bad = _token(emu, grant_type="password", client_id="CID", client_secret="SECRET", username=USER, password="nope")
    assert bad.status_code == 400 and bad.json() == {"error": "invalid_grant", "error_description": "authentication failure"}
    emu.register_connected_app("KNOWN", "S3CRET")
    unknown = _token(emu, grant_type="password", client_id="CID", client_secret="x", username=USER, password=PASSWORD + TOKEN)
    assert unknown.json() == {"error": "invalid_client_id", "error_description": "client identifier invalid"}


# ---- describe and list ----------------------------------------------------------------------------------
def test_describe_metadata_with_zeep(sf):
    result = sf.mdapi.describe_metadata()
    by_name = {o.xmlName: o for o in result.metadataObjects}
    assert len(by_name) > 300
    assert by_name["ApexClass"].directoryName == "classes" and by_name["ApexClass"].metaFile is True
    assert by_name["ApexClass"].suffix == "cls"
    assert "CustomField" in by_name["CustomObject"].childXmlNames
    assert "CustomLabel" in by_name["CustomLabels"].childXmlNames
    assert by_name["Report"].inFolder is True
    assert result.partialSaveAllowed is True and result.testRequired is False


def test_list_metadata_three_queries_and_refuses_four(sf, emu):
    query = sf.mdapi.ListMetadataQuery
    emu.set_file_properties("ApexClass", "InvoiceService", lastModifiedByName="Jane Doe", lastModifiedDate="2024-05-01T10:00:00.000Z")
    props = sf.mdapi.list_metadata([query(type="ApexClass"), query(type="CustomObject"), query(type="CustomField")])
    rows = {(p.type, p.fullName): p for p in props}
    assert set(rows) >= {("ApexClass", "InvoiceService"), ("ApexClass", "InvoiceServiceTest"), ("CustomObject", "Invoice__c"), ("CustomField", "Invoice__c.Amount__c")}
    service = rows[("ApexClass", "InvoiceService")]
    assert service.fileName == "classes/InvoiceService.cls" and service.manageableState == "unmanaged"
    assert service.lastModifiedByName == "Jane Doe" and service.createdByName == "Admin User"
    assert service.namespacePrefix is None and service.id.startswith("01p") and len(service.id) == 18
    assert rows[("CustomField", "Invoice__c.Amount__c")].fileName == "objects/Invoice__c.object"
    with pytest.raises(Fault) as raised:
        sf.mdapi.list_metadata([query(type=t) for t in ("ApexClass", "CustomObject", "Layout", "Flow")])
    assert raised.value.code == "sf:EXCEEDED_ID_LIMIT"
    assert sf.mdapi.list_metadata([query(type="Report")]) == []


def test_list_metadata_raw_field_order(emu, session):
    _, root = md_call(emu, session, "listMetadata", "<queries><type>Flow</type></queries><asOfVersion>63.0</asOfVersion>")
    result = result_of(root, "listMetadata")
    assert [etree.QName(e).localname for e in result] == [
        "createdById", "createdByName", "createdDate", "fileName", "fullName", "id", "lastModifiedById",
        "lastModifiedByName", "lastModifiedDate", "manageableState", "type",
    ]
    assert result.findtext("m:createdDate", namespaces=NS) == "2024-01-01T00:00:00.000Z"


# ---- retrieve -------------------------------------------------------------------------------------------
def test_retrieve_object_child_field_and_wildcard(emu, session):
    result = retrieve(emu, session, {"CustomTab": ["Invoice__c"], "CustomField": ["Invoice__c.Amount__c"], "ApexClass": ["*"]})
    assert texts(result, "m:status") == ["Succeeded"] and texts(result, "m:success") == ["true"]
    archive = zip_of(result)
    assert archive.namelist() == [
        "unpackaged/classes/InvoiceService.cls", "unpackaged/classes/InvoiceService.cls-meta.xml",
        "unpackaged/classes/InvoiceServiceTest.cls", "unpackaged/classes/InvoiceServiceTest.cls-meta.xml",
        "unpackaged/objects/Invoice__c.object", "unpackaged/tabs/Invoice__c.tab", "unpackaged/package.xml",
    ]
    assert archive.read("unpackaged/classes/InvoiceService.cls") == sandbox_file("classes/InvoiceService.cls")
    obj = etree.fromstring(archive.read("unpackaged/objects/Invoice__c.object"))
    assert [etree.QName(e).localname for e in obj] == ["fields"]
    assert obj.findtext("m:fields/m:fullName", namespaces=NS) == "Amount__c"
    assert archive.read("unpackaged/objects/Invoice__c.object").startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns=')
    manifest = archive.read("unpackaged/package.xml").decode()
    assert "<members>*</members>\n        <name>ApexClass</name>" in manifest and "<version>63.0</version>" in manifest
    props = {(p.findtext("m:type", namespaces=NS), p.findtext("m:fullName", namespaces=NS)): p.findtext("m:fileName", namespaces=NS) for p in result.findall("m:fileProperties", NS)}
    assert props[("CustomField", "Invoice__c.Amount__c")] == "unpackaged/objects/Invoice__c.object"
    assert props[("Package", "unpackaged/package.xml")] == "unpackaged/package.xml"
    assert props[("ApexClass", "InvoiceServiceTest")] == "unpackaged/classes/InvoiceServiceTest.cls"
    assert [etree.QName(e).localname for e in result][:2] == ["done", "fileProperties"]


def test_retrieve_whole_object_single_package_with_simple_salesforce(sf):
    job, state = sf.mdapi.retrieve("x", unpackaged={"CustomObject": ["Invoice__c"]})
    assert state == "Queued"
    state, _, _ = sf.mdapi.check_retrieve_status(job)
    assert state == "InProgress"
    state, error, messages, data = sf.mdapi.retrieve_zip(job)
    assert state == "Succeeded" and error is None
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.namelist() == ["objects/Invoice__c.object", "package.xml"]
    assert archive.read("objects/Invoice__c.object") == sandbox_file("objects/Invoice__c.object")


def test_retrieve_missing_member_gives_a_message(emu, session):
    result = retrieve(emu, session, {"ApexClass": ["Nope"], "CustomField": ["Invoice__c.Missing__c"], "Flow": ["Invoice_Overdue_Reminder"]})
    messages = [(m.findtext("m:fileName", namespaces=NS), m.findtext("m:problem", namespaces=NS)) for m in result.findall("m:messages", NS)]
    assert messages == [
        ("unpackaged/package.xml", "Entity of type 'ApexClass' named 'Nope' cannot be found"),
        ("unpackaged/package.xml", "Entity of type 'CustomField' named 'Invoice__c.Missing__c' cannot be found"),
    ]
    assert zip_of(result).namelist() == ["unpackaged/flows/Invoice_Overdue_Reminder.flow", "unpackaged/package.xml"]
    assert "<members>Nope</members>" in zip_of(result).read("unpackaged/package.xml").decode()


def test_retrieve_labels_and_profile_filtering(emu, session):
    result = retrieve(emu, session, {"CustomLabel": ["Invoice_Paid_Thanks"], "Profile": ["Admin"], "ApexClass": ["InvoiceService"]})
    archive = zip_of(result)
    labels = etree.fromstring(archive.read("unpackaged/labels/CustomLabels.labels"))
    assert texts(labels, "m:labels/m:fullName") == ["Invoice_Paid_Thanks"]
    assert b"Thank you &apos;{0}&apos;" in archive.read("unpackaged/labels/CustomLabels.labels")
    profile = etree.fromstring(archive.read("unpackaged/profiles/Admin.profile"))
    assert texts(profile, "m:classAccesses/m:apexClass") in ([], ["InvoiceService"])
    assert texts(profile, "m:fieldPermissions/m:field") == []  # no field in this retrieve
    assert texts(profile, "m:layoutAssignments/m:layout") == []


def test_retrieve_failed_outcome_and_zip_deleted_after_download(emu, session):
    emu.retrieve_outcome(error_message="Too many components", error_status_code="UNKNOWN_EXCEPTION", polls=0)
    status, root = md_call(emu, session, "retrieve", "<retrieveRequest><apiVersion>63.0</apiVersion><unpackaged>" + package({"ApexClass": ["*"]}) + "</unpackaged></retrieveRequest>")
    job = result_of(root, "retrieve").findtext("m:id", namespaces=NS)
    _, root = md_call(emu, session, "checkRetrieveStatus", f"<asyncProcessId>{job}</asyncProcessId><includeZip>true</includeZip>")
    result = result_of(root, "checkRetrieveStatus")
    assert [etree.QName(e).localname for e in result] == ["done", "errorMessage", "errorStatusCode", "id", "status", "success"]
    assert texts(result, "m:status") == ["Failed"] and texts(result, "m:errorMessage") == ["Too many components"]

    ok = retrieve(emu, session, {"ApexClass": ["InvoiceService"]})
    job = ok.findtext("m:id", namespaces=NS)
    status, root = md_call(emu, session, "checkRetrieveStatus", f"<asyncProcessId>{job}</asyncProcessId><includeZip>true</includeZip>")
    assert status == 500
    assert fault_of(root) == ("sf:INVALID_ID_FIELD", "INVALID_ID_FIELD: Retrieve result has been deleted.", "INVALID_ID_FIELD")


def test_concurrent_retrieves(emu):
    emu.latency = 0.15
    sessions = [emu.session_for() for _ in range(4)]
    wanted = [{"ApexClass": ["InvoiceService"]}, {"Flow": ["*"]}, {"CustomObject": ["Invoice__c"]}, {"CustomLabels": ["CustomLabels"]}]
    results: dict[int, list[str]] = {}

    def work(index: int) -> None:
        results[index] = zip_of(retrieve(emu, sessions[index], wanted[index])).namelist()

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert results == {
        0: ["unpackaged/classes/InvoiceService.cls", "unpackaged/classes/InvoiceService.cls-meta.xml", "unpackaged/package.xml"],
        1: ["unpackaged/flows/Invoice_Overdue_Reminder.flow", "unpackaged/package.xml"],
        2: ["unpackaged/objects/Invoice__c.object", "unpackaged/package.xml"],
        3: ["unpackaged/labels/CustomLabels.labels", "unpackaged/package.xml"],
    }
    assert elapsed < 4 * 3 * 0.15  # three calls each, in parallel rather than one after another
    assert not emu.internal_errors


def test_latency_knob(emu):
    started = time.monotonic()
    requests.get(emu.url + "/services/data/", verify=emu.ca_file)
    fast = time.monotonic() - started
    emu.latency = 0.3
    started = time.monotonic()
    requests.get(emu.url + "/services/data/", verify=emu.ca_file)
    assert time.monotonic() - started >= 0.3 > fast


# ---- deploy ---------------------------------------------------------------------------------------------
def test_check_only_deploy_with_local_tests(emu, session, sf):
    job = deploy(emu, session, classes_zip(), checkOnly=True, testLevel="RunLocalTests")
    first = deploy_status(emu, session, job)
    assert texts(first, "m:status") == ["InProgress"] and texts(first, "m:done") == ["false"]
    result = deploy_status(emu, session, job)
    assert texts(result, "m:status") == ["Succeeded"] and texts(result, "m:success") == ["true"]
    assert texts(result, "m:checkOnly") == ["true"] and texts(result, "m:runTestsEnabled") == ["true"]
    assert texts(result, "m:numberTestsTotal") == ["1"] and texts(result, "m:numberTestErrors") == ["0"]
    assert texts(result, "m:numberComponentsTotal") == ["2"] and texts(result, "m:numberComponentsDeployed") == ["2"]
    successes = {(s.findtext("m:componentType", namespaces=NS), s.findtext("m:fullName", namespaces=NS)): s for s in result.findall("m:details/m:componentSuccesses", NS)}
    assert set(successes) == {("ApexClass", "InvoiceService"), ("ApexClass", "InvoiceServiceTest"), ("", "package.xml")}
    assert successes[("ApexClass", "InvoiceService")].findtext("m:changed", namespaces=NS) == "false"
    assert successes[("ApexClass", "InvoiceService")].findtext("m:fileName", namespaces=NS) == "classes/InvoiceService.cls"
    run = result.find("m:details/m:runTestResult", NS)
    assert texts(run, "m:successes/m:methodName") == ["marksSentInvoicesPastDueAsOverdue"]
    assert texts(run, "m:codeCoverage/m:name") == ["InvoiceService"] and run.findall("m:codeCoverageWarnings", NS) == []
    assert [etree.QName(e).localname for e in result] == [
        "checkOnly", "completedDate", "createdBy", "createdByName", "createdDate", "details", "done", "id",
        "ignoreWarnings", "lastModifiedDate", "numberComponentErrors", "numberComponentsDeployed",
        "numberComponentsTotal", "numberTestErrors", "numberTestsCompleted", "numberTestsTotal", "rollbackOnError",
        "runTestsEnabled", "startDate", "status", "success",
    ]
    # simple_salesforce reads it too
    assert sf.checkDeployStatus(job)["state"] == "Succeeded"


def test_deploy_with_simple_salesforce_and_coverage_warning(emu, sf, tmp_path):
    extra = {
        "classes/Orphan.cls": "public class Orphan { public static Integer one() { return 1; } }",
        "classes/Orphan.cls-meta.xml": sandbox_file("classes/InvoiceService.cls-meta.xml"),
        "package.xml": package_xml({"ApexClass": ["InvoiceService", "InvoiceServiceTest", "Orphan"]}),
    }
    path = tmp_path / "deploy.zip"
    path.write_bytes(classes_zip(extra=extra))
    started = sf.deploy(str(path), sandbox=True, checkOnly=True, testLevel="RunSpecifiedTests", tests=["InvoiceServiceTest"])
    assert started["state"] == "Queued"
    sf.checkDeployStatus(started["asyncId"])
    final = sf.checkDeployStatus(started["asyncId"])
    assert final["state"] == "Failed"  # Orphan has no test naming it
    status, root = md_call(emu, emu.session_for(), "checkDeployStatus", f"<asyncProcessId>{started['asyncId']}</asyncProcessId><includeDetails>true</includeDetails>")
    warnings = root.findall(".//m:codeCoverageWarnings", NS)
    assert [w.findtext("m:name", namespaces=NS) for w in warnings] == ["Orphan"]
    assert "Test coverage of selected Apex Class is 0%" in warnings[0].findtext("m:message", namespaces=NS)


def test_deploy_failure_marker_reports_line_and_column(emu, session):
    body = sandbox_file("classes/InvoiceService.cls").decode().replace(
        "        update invoices;", "        update invoices; // SFHOTFIX_FAIL: Variable does not exist: invoicez"
    )
    files = {
        "package.xml": package_xml({"ApexClass": ["InvoiceService"]}),
        "classes/InvoiceService.cls": body,
        "classes/InvoiceService.cls-meta.xml": sandbox_file("classes/InvoiceService.cls-meta.xml"),
    }
    result = wait_deploy(emu, session, deploy(emu, session, make_zip(files)))
    assert texts(result, "m:status") == ["Failed"] and texts(result, "m:numberComponentErrors") == ["1"]
    failure = result.find("m:details/m:componentFailures", NS)
    assert failure.findtext("m:componentType", namespaces=NS) == "ApexClass"
    assert failure.findtext("m:fileName", namespaces=NS) == "classes/InvoiceService.cls"
    assert failure.findtext("m:problem", namespaces=NS) == "Variable does not exist: invoicez"
    assert failure.findtext("m:problemType", namespaces=NS) == "Error"
    assert (failure.findtext("m:lineNumber", namespaces=NS), failure.findtext("m:columnNumber", namespaces=NS)) == ("13", "29")
    assert emu.org.files["classes/InvoiceService.cls"] == sandbox_file("classes/InvoiceService.cls")


def test_deploy_malformed_xml_and_missing_member(emu, session):
    files = {
        "unpackaged/package.xml": package_xml({"Flow": ["Invoice_Overdue_Reminder"], "ApexClass": ["Ghost"]}),
        "unpackaged/flows/Invoice_Overdue_Reminder.flow": '<?xml version="1.0" encoding="UTF-8"?>\n<Flow xmlns="http://soap.sforce.com/2006/04/metadata">\n    <label>x</labl>\n</Flow>\n',
    }
    result = wait_deploy(emu, session, deploy(emu, session, make_zip(files), singlePackage=False))
    failures = {f.findtext("m:fullName", namespaces=NS): f for f in result.findall("m:details/m:componentFailures", NS)}
    flow = failures["Invoice_Overdue_Reminder"]
    assert flow.findtext("m:fileName", namespaces=NS) == "unpackaged/flows/Invoice_Overdue_Reminder.flow"
    assert flow.findtext("m:lineNumber", namespaces=NS) == "3" and flow.findtext("m:columnNumber", namespaces=NS)
    assert flow.findtext("m:problem", namespaces=NS).startswith("Error parsing file: ")
    assert failures["Ghost"].findtext("m:problem", namespaces=NS) == (
        "An object 'Ghost' of type ApexClass was named in package.xml, but was not found in zipped directory"
    )


def test_deploy_without_package_xml(emu, session):
    result = wait_deploy(emu, session, deploy(emu, session, make_zip({"classes/X.cls": "x"})))
    failure = result.find("m:details/m:componentFailures", NS)
    assert failure.findtext("m:problem", namespaces=NS) == "No package.xml found"
    assert texts(result, "m:status") == ["Failed"]


def test_deploy_with_failing_test(emu, session):
    test = sandbox_file("classes/InvoiceServiceTest.cls").decode().replace(
        "System.assertEquals(1, changed);", "System.assertEquals(2, changed, 'SFHOTFIX_TEST_FAIL: Expected: 2, Actual: 1');"
    )
    result = wait_deploy(emu, session, deploy(emu, session, classes_zip(test), checkOnly=True, testLevel="RunLocalTests"))
    assert texts(result, "m:status") == ["Failed"] and texts(result, "m:numberTestErrors") == ["1"]
    failure = result.find("m:details/m:runTestResult/m:failures", NS)
    assert failure.findtext("m:name", namespaces=NS) == "InvoiceServiceTest"
    assert failure.findtext("m:methodName", namespaces=NS) == "marksSentInvoicesPastDueAsOverdue"
    assert failure.findtext("m:message", namespaces=NS) == "System.AssertException: Assertion Failed: Expected: 2, Actual: 1"
    assert failure.findtext("m:stackTrace", namespaces=NS) == "Class.InvoiceServiceTest.marksSentInvoicesPastDueAsOverdue: line 12, column 1"
    assert texts(result, "m:details/m:runTestResult/m:numFailures") == ["1"]


def test_real_deploy_changes_the_org_and_source_tracking(emu, session):
    before = requests.get(
        emu.url + "/services/data/v63.0/tooling/query/",
        params={"q": "SELECT MemberName, MemberType, RevisionCounter FROM SourceMember WHERE IsNameObsolete = false"},
        headers={"Authorization": f"Bearer {session}"}, verify=emu.ca_file,
    ).json()
    last = max(r["RevisionCounter"] for r in before["records"])
    obj = sandbox_file("objects/Invoice__c.object").decode()
    field_xml = obj[obj.index("    <fields>\n        <fullName>Amount__c"):]
    field_xml = field_xml[: field_xml.index("</fields>") + len("</fields>")].replace("<label>Amount</label>", "<label>Invoice Amount</label>")
    new_field = "<fields><fullName>Notes__c</fullName><label>Notes</label><type>LongTextArea</type><length>32768</length><visibleLines>3</visibleLines></fields>"
    files = {
        "package.xml": package_xml({"CustomField": ["Invoice__c.Amount__c", "Invoice__c.Notes__c"]}),
        "objects/Invoice__c.object": f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns="{MD}">\n{field_xml}\n{new_field}\n</CustomObject>\n',
    }
    result = wait_deploy(emu, session, deploy(emu, session, make_zip(files)))
    assert texts(result, "m:status") == ["Succeeded"] and texts(result, "m:checkOnly") == ["false"]
    flags = {s.findtext("m:fullName", namespaces=NS): (s.findtext("m:created", namespaces=NS), s.findtext("m:changed", namespaces=NS)) for s in result.findall("m:details/m:componentSuccesses", NS)}
    assert flags["Invoice__c.Amount__c"] == ("false", "true") and flags["Invoice__c.Notes__c"] == ("true", "false")

    retrieved = zip_of(retrieve(emu, session, {"CustomObject": ["Invoice__c"]}))
    obj = etree.fromstring(retrieved.read("unpackaged/objects/Invoice__c.object"))
    labels = dict(zip(texts(obj, "m:fields/m:fullName"), texts(obj, "m:fields/m:label")))
    assert labels["Amount__c"] == "Invoice Amount" and labels["Notes__c"] == "Notes" and "Status__c" in labels
    assert obj.findtext("m:label", namespaces=NS) == "Invoice"

    changed = requests.get(
        emu.url + "/services/data/v63.0/tooling/query/",
        params={"q": f"SELECT MemberName, MemberType, RevisionCounter, IsNameObsolete, ChangedBy FROM SourceMember WHERE RevisionCounter > {last}"},
        headers={"Authorization": f"Bearer {session}", "X-PrettyPrint": "1"}, verify=emu.ca_file,
    )
    assert '"size" : 2' in changed.text
    payload = changed.json()
    assert payload["entityTypeName"] == "SourceMember" and payload["done"] is True and payload["queryLocator"] is None
    assert sorted((r["MemberType"], r["MemberName"]) for r in payload["records"]) == [
        ("CustomField", "Invoice__c.Amount__c"), ("CustomField", "Invoice__c.Notes__c"),
    ]
    record = payload["records"][0]
    assert record["attributes"]["url"].startswith("/services/data/v63.0/tooling/sobjects/SourceMember/0MZ")
    assert record["IsNameObsolete"] is False and record["ChangedBy"].startswith("005")


def test_destructive_changes(emu, session):
    files = {
        "package.xml": package_xml({}),
        "destructiveChanges.xml": package_xml({"ApexClass": ["InvoiceService", "Missing"], "ListView": ["Invoice__c.All"]}),
    }
    result = wait_deploy(emu, session, deploy(emu, session, make_zip(files), ignoreWarnings=True))
    assert texts(result, "m:status") == ["Succeeded"]
    deleted = {s.findtext("m:fullName", namespaces=NS) for s in result.findall("m:details/m:componentSuccesses", NS) if s.findtext("m:deleted", namespaces=NS) == "true"}
    assert deleted == {"InvoiceService", "Invoice__c.All"}
    assert texts(result, "m:details/m:componentFailures/m:problemType") == ["Warning"]
    assert "classes/InvoiceService.cls" not in emu.org.files
    assert b"<fullName>All</fullName>" not in emu.org.files["objects/Invoice__c.object"]
    assert emu.org.lookup("ListView", "Invoice__c.Overdue_Invoices") is not None


def test_deploy_recent_validation(emu, session):
    validation = deploy(emu, session, classes_zip(), checkOnly=True, testLevel="RunLocalTests")
    assert texts(wait_deploy(emu, session, validation), "m:status") == ["Succeeded"]
    status, root = md_call(emu, session, "deployRecentValidation", f"<validationId>{validation}</validationId>")
    assert status == 200
    quick = result_of(root, "deployRecentValidation").text
    assert quick.startswith("0Af") and quick != validation
    result = wait_deploy(emu, session, quick)
    assert texts(result, "m:status") == ["Succeeded"] and texts(result, "m:checkOnly") == ["false"]
    assert texts(result, "m:numberTestsTotal") == ["0"]
    # a validation is used once
    status, root = md_call(emu, session, "deployRecentValidation", f"<validationId>{validation}</validationId>")
    assert status == 500 and fault_of(root)[0] == "sf:INVALID_ID_FIELD"


def test_deploy_recent_validation_expired_unknown_and_without_tests(emu, session):
    emu.clock.set(dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.timezone.utc))
    validation = deploy(emu, session, classes_zip(), checkOnly=True, testLevel="RunLocalTests")
    wait_deploy(emu, session, validation)
    emu.clock.advance(days=11)
    status, root = md_call(emu, session, "deployRecentValidation", f"<validationId>{validation}</validationId>")
    assert status == 500 and fault_of(root)[2] == "INVALID_ID_FIELD" and "expired" in fault_of(root)[1]
    status, root = md_call(emu, session, "deployRecentValidation", "<validationId>0Af000000000999AAA</validationId>")
    assert status == 500 and fault_of(root)[0] == "sf:INVALID_ID_FIELD"
    no_tests = deploy(emu, session, classes_zip(), checkOnly=True)
    wait_deploy(emu, session, no_tests)
    status, root = md_call(emu, session, "deployRecentValidation", f"<validationId>{no_tests}</validationId>")
    assert status == 500 and fault_of(root)[0] == "sf:INVALID_ID_FIELD"


def test_cancel_deploy(emu, session):
    emu.deploy_polls = 2
    body = sandbox_file("classes/InvoiceService.cls") + b"\n// changed\n"
    zip_bytes = classes_zip(extra={"classes/InvoiceService.cls": body})
    job = deploy(emu, session, zip_bytes)
    assert texts(deploy_status(emu, session, job), "m:status") == ["Pending"]
    assert texts(deploy_status(emu, session, job), "m:status") == ["InProgress"]
    status, root = md_call(emu, session, "cancelDeploy", f"<String>{job}</String>")
    assert status == 200
    cancel = result_of(root, "cancelDeploy")
    assert [etree.QName(e).localname for e in cancel] == ["done", "id"] and cancel.findtext("m:id", namespaces=NS) == job
    assert texts(cancel, "m:done") == ["false"]
    result = wait_deploy(emu, session, job)
    assert texts(result, "m:status") == ["Canceled"] and texts(result, "m:success") == ["false"]
    assert texts(result, "m:canceledByName") == ["Admin User"]
    assert emu.org.files["classes/InvoiceService.cls"] == sandbox_file("classes/InvoiceService.cls")
    # canceling a queued deploy is immediate
    queued = deploy(emu, session, zip_bytes)
    _, root = md_call(emu, session, "cancelDeploy", f"<String>{queued}</String>")
    assert texts(result_of(root, "cancelDeploy"), "m:done") == ["true"]
    assert texts(deploy_status(emu, session, queued), "m:status") == ["Canceled"]


# ---- faults and sessions --------------------------------------------------------------------------------
def test_fault_injection_each_kind(emu, session, sf):
    emu.fail_next("describeMetadata", "INVALID_SESSION_ID")
    with pytest.raises(Fault) as raised:
        sf.mdapi.describe_metadata()
    assert raised.value.code == "sf:INVALID_SESSION_ID"

    emu.fail_next("listMetadata", "REQUEST_LIMIT_EXCEEDED")
    status, root = md_call(emu, session, "listMetadata", "<queries><type>Flow</type></queries>")
    assert status == 500 and fault_of(root) == ("sf:REQUEST_LIMIT_EXCEEDED", "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.", "REQUEST_LIMIT_EXCEEDED")

    emu.fail_next("checkRetrieveStatus", "http500")
    status, root = md_call(emu, session, "retrieve", "<retrieveRequest><apiVersion>63.0</apiVersion><unpackaged>" + package({"Flow": ["*"]}) + "</unpackaged></retrieveRequest>")
    job = result_of(root, "retrieve").findtext("m:id", namespaces=NS)
    broken = requests.post(emu.url + "/services/Soap/m/63.0", data=f'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Header><SessionHeader xmlns="{MD}"><sessionId>{session}</sessionId></SessionHeader></e:Header><e:Body><checkRetrieveStatus xmlns="{MD}"><asyncProcessId>{job}</asyncProcessId></checkRetrieveStatus></e:Body></e:Envelope>', verify=emu.ca_file)
    assert broken.status_code == 500 and broken.headers["Content-Type"].startswith("text/html")

    emu.fail_next("query", "reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(emu.url + "/services/data/v63.0/tooling/query/", params={"q": "SELECT Id FROM SourceMember"}, headers={"Authorization": f"Bearer {session}"}, verify=emu.ca_file)

    emu.fail_next("query", "INVALID_SESSION_ID")
    reply = requests.get(emu.url + "/services/data/v63.0/tooling/query/", params={"q": "SELECT Id FROM SourceMember"}, headers={"Authorization": f"Bearer {session}"}, verify=emu.ca_file)
    assert reply.status_code == 401 and reply.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]

    # faults are one-shot: everything works again
    assert sf.mdapi.describe_metadata().metadataObjects
    assert retrieve(emu, session, {"Flow": ["*"]}).findtext("m:status", namespaces=NS) == "Succeeded"
    ops = emu.operations()
    assert ops.count("query") == 2 and "checkRetrieveStatus" in ops
    assert not emu.internal_errors


def test_fault_on_login_and_token(emu):
    emu.fail_next("login", "REQUEST_LIMIT_EXCEEDED")
    with pytest.raises(SalesforceAuthenticationFailed) as raised:
        SalesforceLogin(username=USER, password=PASSWORD, security_token=TOKEN, sf_version="63.0", scratch_url=emu.url)
    assert raised.value.code == "REQUEST_LIMIT_EXCEEDED"
    emu.fail_next("token", "http500")
    assert _token(emu, grant_type="password", username=USER, password=PASSWORD + TOKEN).status_code == 500


def test_session_expiry(emu, session, sf):
    emu.expire_sessions()
    status, root = md_call(emu, session, "describeMetadata", "<asOfVersion>63.0</asOfVersion>")
    assert status == 500
    assert fault_of(root) == (
        "sf:INVALID_SESSION_ID", "INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session", "INVALID_SESSION_ID",
    )
    reply = requests.get(emu.url + "/services/data/v63.0/sobjects/", headers={"Authorization": f"Bearer {session}"}, verify=emu.ca_file)
    assert reply.status_code == 401
    assert reply.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    with pytest.raises(Fault):
        sf.mdapi.describe_metadata()
    fresh = emu.session_for()
    assert md_call(emu, fresh, "describeMetadata", "<asOfVersion>63.0</asOfVersion>")[0] == 200


def test_setup_edit_is_tracked_and_retrieved(emu, session):
    body = sandbox_file("classes/InvoiceService.cls").decode().replace("0.02", "0.03")
    assert emu.edit("classes/InvoiceService.cls", body) == [("ApexClass", "InvoiceService")]
    rows = requests.get(
        emu.url + "/services/data/v63.0/tooling/query/",
        params={"q": "SELECT MemberName, ChangedBy.Name FROM SourceMember WHERE MemberType IN ('ApexClass') ORDER BY RevisionCounter DESC LIMIT 1"},
        headers={"Authorization": f"Bearer {session}"}, verify=emu.ca_file,
    ).json()["records"]
    assert rows[0]["MemberName"] == "InvoiceService" and rows[0]["ChangedBy"]["Name"] == "Admin User"
    archive = zip_of(retrieve(emu, session, {"ApexClass": ["InvoiceService"]}))
    assert b"0.03" in archive.read("unpackaged/classes/InvoiceService.cls")


def test_soql_errors(emu, session):
    def query(q):
        return requests.get(emu.url + "/services/data/v63.0/tooling/query/", params={"q": q}, headers={"Authorization": f"Bearer {session}"}, verify=emu.ca_file)

    bad_field = query("SELECT Nope FROM SourceMember")
    assert bad_field.status_code == 400 and bad_field.json()[0]["errorCode"] == "INVALID_FIELD"
    assert query("SELECT Id FROM Widget").json()[0]["errorCode"] == "INVALID_TYPE"
    assert query("SELEKT Id").json()[0]["errorCode"] == "MALFORMED_QUERY"
    org = requests.get(emu.url + "/services/data/v63.0/query/", params={"q": "SELECT IsSandbox FROM Organization LIMIT 1"}, headers={"Authorization": f"Bearer {session}"}, verify=emu.ca_file)
    assert org.json()["records"][0]["IsSandbox"] is True


def test_unsupported_version_and_unknown_operation(emu, session):
    status, root = md_call(emu, session, "describeMetadata", "", path="/services/Soap/m/99.0")
    assert status == 500 and fault_of(root)[0] == "sf:UNSUPPORTED_API_VERSION"
    status, root = md_call(emu, session, "frobnicate")
    assert status == 500 and fault_of(root)[0] == "soapenv:Client"
    assert requests.get(emu.url + "/services/data/v99.0/sobjects/", headers={"Authorization": f"Bearer {session}"}, verify=emu.ca_file).status_code == 404


def test_legacy_check_status(emu, session):
    status, root = md_call(emu, session, "retrieve", "<retrieveRequest><apiVersion>48.0</apiVersion><unpackaged>" + package({"CustomObject": ["Invoice__c"]}) + "</unpackaged></retrieveRequest>")
    job = result_of(root, "retrieve").findtext("m:id", namespaces=NS)
    states = []
    for _ in range(2):
        _, root = md_call(emu, session, "checkStatus", f"<asyncProcessId>{job}</asyncProcessId>")
        states.append(result_of(root, "checkStatus").findtext("m:state", namespaces=NS))
    assert states == ["InProgress", "Completed"]


# ---- standalone -----------------------------------------------------------------------------------------
def test_standalone_module_prints_url_and_ca(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.emulator", str(SANDBOX)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(process.stdout.readline() for _ in range(5)), daemon=True)
        reader.start()
        reader.join(timeout=30)
        assert len(lines) == 5, lines
        info = dict(line.split(":", 1) for line in lines if ":" in line and not line.startswith("export"))
        url, ca = info["url"].strip(), info["ca file"].strip()
        assert requests.get(url + "/services/data/", verify=ca).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0
