"""The org commands against recorded Metadata API traffic (cassettes/org, recorded from tests/emulator).

`make cassettes` records them again (SFHOTFIX_RECORD=all with the emulator on 127.0.0.1:8443); CI replays
them (record mode "none"), so no test here reaches any network.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from conftest import ORG_CASSETTES
from sfhotfix.act.selection import read_selectors
from sfhotfix.cli import main
from sfhotfix.formats.manifest import read_manifest
from sfhotfix.inventory import convert
from sfhotfix.org import connect
from sfhotfix.org.auth import Credentials
from sfhotfix.org.client import OrgClient, OrgError
from sfhotfix.org.metadata import MetadataApi
from sfhotfix.org.retrieve import Polling, retrieve
from sfhotfix.registry import load_registry

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FAST = ["--poll-interval", "0.05"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("args, message", [
    (["retrieve", "--manifest", "broken.xml", "--output-dir", "out"], "broken.xml:1: malformed XML"),
    (["retrieve", "--manifest", "missing.xml", "--output-dir", "out"], "missing.xml: no such manifest"),
    (["retrieve", "--types", "ApexClass,ApexClas", "--output-dir", "out"], "unknown metadata type 'ApexClas'"),
    (["retrieve", "--output-dir", "out"], "name what to retrieve"),
    (["retrieve", "--changed-since", "last tuesday", "--output-dir", "out"], "'last tuesday' is no date"),
    (["retrieve", "--changed-since", "2024-05-01", "--types", "Flows", "--output-dir", "out"],
     "unknown metadata type 'Flows'"),
    (["changes", "--since", "2024-13-01"], "'2024-13-01' is no date"),
    (["changes", "--types", "ApexClas"], "unknown metadata type 'ApexClas'"),
])
def test_retrieve_and_changes_input_is_checked_before_any_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                args: list[str], message: str) -> None:
    for name in ("SF_ACCESS_TOKEN", "SF_INSTANCE_URL", "SF_CLIENT_ID", "SF_USERNAME", "SF_PASSWORD"):
        monkeypatch.delenv(name, raising=False)  # no org at all: the input's own error comes first
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.xml").write_text("<Package><types><name>ApexClass</name></types>")
    code, _, err = run(*args)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out").exists()


def test_retrieve_in_source_format(recorded_org, tmp_path: Path) -> None:
    code, out, err = run("retrieve", "--types", "CustomObject,ApexClass", "--output-dir", str(tmp_path / "out"),
                         "--project", str(EXAMPLES), "--json", *FAST)
    assert code == 0, err
    report = json.loads(out)
    assert report["chunks"] == 1 and report["files"] > 10
    expected = tmp_path / "expected"
    convert(EXAMPLES / "hotfix-sandbox", "source", expected, EXAMPLES, force=False)
    for rel in ("main/default/objects/Invoice__c/fields/Late_Fee__c.field-meta.xml",
                "main/default/classes/InvoiceService.cls"):
        assert (tmp_path / "out" / rel).read_bytes() == (expected / rel).read_bytes()


def test_retrieve_in_parallel_chunks(recorded_org, tmp_path: Path) -> None:
    api = connect(None)
    members = {"ApexClass": ["InvoiceService", "InvoiceServiceTest"], "CustomObject": ["Invoice__c"],
               "Profile": ["Admin"], "CustomTab": ["Invoice__c"], "Flow": ["Invoice_Overdue_Reminder"]}
    outcome = retrieve(api, members, load_registry(), tmp_path, parallel=3, max_components=2,
                       polling=Polling(first=0.05, timeout=60))
    assert len(outcome.chunks) == 3
    files = {p.relative_to(outcome.folder).as_posix() for p in outcome.folder.rglob("*") if p.is_file()}
    assert {"classes/InvoiceService.cls", "objects/Invoice__c.object", "profiles/Admin.profile",
            "flows/Invoice_Overdue_Reminder.flow"} <= files
    assert (outcome.folder / "classes" / "InvoiceService.cls").read_bytes() == \
        (EXAMPLES / "hotfix-sandbox" / "classes" / "InvoiceService.cls").read_bytes()


def test_retrieve_messages_become_warnings(recorded_org, tmp_path: Path) -> None:
    manifest = tmp_path / "package.xml"
    manifest.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<Package xmlns="http://soap.sforce.com/2006/04/metadata">\n'
                        "    <types>\n        <members>Invoice__c</members>\n        <members>Nope__c</members>\n"
                        "        <name>CustomObject</name>\n    </types>\n    <version>63.0</version>\n</Package>\n")
    code, _, err = run("retrieve", "--manifest", str(manifest), "--output-dir", str(tmp_path / "out"),
                       "--format", "mdapi", *FAST)
    assert code == 0, err
    assert "Nope__c" in err and "warning" in err
    assert (tmp_path / "out" / "objects" / "Invoice__c.object").exists()


def test_validate_with_tests_then_quick_deploy(recorded_org, tmp_path: Path) -> None:
    code, out, err = run("validate", str(EXAMPLES / "hotfix-sandbox"), "--test-level", "RunLocalTests", "--json", *FAST)
    assert code == 0, err
    result = json.loads(out)
    assert result["success"] and result["checkOnly"] and result["tests"]["total"] >= 1
    code, out, err = run("deploy", "--validated-id", result["id"], "--json", *FAST)
    assert code == 0, err
    assert json.loads(out)["success"]


def test_deploy_with_component_and_test_failures(recorded_org, tmp_path: Path) -> None:
    project = tmp_path / "broken"
    shutil.copytree(EXAMPLES / "hotfix-sandbox", project)
    apex = project / "classes" / "InvoiceService.cls"
    apex.write_text(apex.read_text().replace("return changed;", "return changed; // SFHOTFIX_FAIL: Unexpected token 'changed'"))
    test = project / "classes" / "InvoiceServiceTest.cls"
    test.write_text(test.read_text().replace("System.assertEquals(1, changed);",
                                             "System.assertEquals(2, changed); // SFHOTFIX_TEST_FAIL: Expected: 2, Actual: 1"))
    code, out, err = run("deploy", str(project), "--test-level", "RunLocalTests", "--json", *FAST)
    assert code == 1
    result = json.loads(out)
    assert not result["success"]
    failure = result["componentFailures"][0]
    assert failure["full_name"] == "InvoiceService" and failure["line"] and "Unexpected token" in failure["problem"]
    code, out, _ = run("validate", str(project), "--test-level", "RunLocalTests", *FAST)
    assert code == 1 and "Component failures" in out


def test_expired_session_logs_in_again(recorded_org, monkeypatch) -> None:
    monkeypatch.delenv("SF_ACCESS_TOKEN")
    monkeypatch.setenv("SF_USERNAME", "admin@hotfix.example")
    monkeypatch.setenv("SF_PASSWORD", "password+")
    monkeypatch.setenv("SF_SECURITY_TOKEN", "TOKEN")
    api = connect(None)
    first = api.describe()
    if recorded_org is not None:
        recorded_org.expire_sessions()
    listed = api.list_metadata(["ApexClass"])
    assert {p.full_name for p in listed} == {"InvoiceService", "InvoiceServiceTest"}
    assert any(o.name == "CustomObject" for o in first.objects)


def test_wrong_password_is_a_one_line_error(recorded_org, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SF_ACCESS_TOKEN")
    monkeypatch.setenv("SF_USERNAME", "admin@hotfix.example")
    monkeypatch.setenv("SF_PASSWORD", "wrong")
    code, _, err = run("retrieve", "--types", "ApexClass", "--output-dir", str(tmp_path / "out"), *FAST)
    assert code == 3 and len(err.strip().splitlines()) == 1 and "login of admin@hotfix.example" in err
    assert not (tmp_path / "out").exists()


def test_request_limit_is_retried_with_backoff(recorded_org) -> None:
    if recorded_org is not None:
        recorded_org.fail_next("listMetadata", "REQUEST_LIMIT_EXCEEDED")
        recorded_org.fail_next("listMetadata", "http500")
    sleeps: list[float] = []
    api = connect(None)
    api.client.sleep = sleeps.append
    assert {p.full_name for p in api.list_metadata(["ApexClass"])} == {"InvoiceService", "InvoiceServiceTest"}
    assert sleeps == [1.0, 2.0]


def test_failed_retrieve_is_retried_alone_then_reported(recorded_org, tmp_path: Path) -> None:
    if recorded_org is not None:
        recorded_org.retrieve_outcome(status="Failed", error_message="UNKNOWN_EXCEPTION: try again")
    api = connect(None)
    outcome = retrieve(api, {"ApexClass": ["InvoiceService"]}, load_registry(), tmp_path,
                       polling=Polling(first=0.05, timeout=60))
    assert outcome.chunks[0].attempts == 2


def test_connection_reset_is_retried() -> None:
    """A dropped connection (which no cassette can hold) is retried with backoff, then reported."""
    calls: list[int] = []

    class Resetting(requests.Session):
        def post(self, *args, **kwargs):
            calls.append(1)
            raise requests.ConnectionError("Connection reset by peer")

    client = OrgClient(lambda: Credentials("https://org.example", "x", "63.0"), retries=2, sleep=lambda _: None)
    client._local.session = Resetting()
    with pytest.raises(OrgError, match="connection failed after 3 tries"):
        MetadataApi(client).describe()
    assert len(calls) == 3


def test_cassettes_hold_no_secrets() -> None:
    cassettes = sorted(ORG_CASSETTES.parent.rglob("*.yaml"))
    leaks = []
    for cassette in cassettes:
        text = cassette.read_text(errors="replace")
        for pattern in (r"<sessionId>(?!SCRUBBED<)[^<]+</sessionId>", r"EMULATOR-SESSION-\d+",
                        r'"access_token":\s*"(?!SCRUBBED")', r"<password>(?!SCRUBBED<)", r"[Aa]uthorization:",
                        r"password\+", r"00D[A-Za-z0-9]{12}![A-Za-z0-9._]{20,}"):
            if re.search(pattern, text):
                leaks.append(f"{cassette.name}: {pattern}")
    assert leaks == []


def test_org_as_a_comparison_source_with_changed_by(recorded_org) -> None:
    code, out, err = run("compare", "--source", "org:", "--target", str(EXAMPLES / "production"),
                         "--types", "CustomObject,CustomLabels", "--json")
    assert code == 0, err
    rows = {r["selector"]: r for r in json.loads(out)["components"]}
    late_fee = rows["CustomField:Invoice__c.Late_Fee__c"]
    assert late_fee["status"] == "new"
    assert rows["CustomLabel:Invoice_Legacy_Footer"]["status"] == "deleted"
    changed = rows["CustomField:Invoice__c.Days_Overdue__c"]
    assert changed["status"] == "changed" and changed["changedBy"] == "Admin User"
    code, out, _ = run("compare", "--source", "org:", "--target", str(EXAMPLES / "production"),
                       "--types", "CustomObject,CustomLabels", "--json", "--changed-since", "2999-01-01")
    assert code == 0 and json.loads(out)["components"] == []


def _edit_the_sandbox(recorded_org) -> None:
    """While recording: on 2 May 2024 one class changes and the test class is deleted."""
    if recorded_org is None:
        return
    recorded_org.clock.set(datetime(2024, 5, 2, 9, 30))
    source = (EXAMPLES / "hotfix-sandbox" / "classes" / "InvoiceService.cls").read_text()
    recorded_org.edit("classes/InvoiceService.cls", source + "\n// hotfix: late fees rounded\n")
    recorded_org.edit("classes/InvoiceServiceTest.cls", None)
    recorded_org.edit("classes/InvoiceServiceTest.cls-meta.xml", None)


def test_changes_in_a_source_tracked_sandbox(recorded_org, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")  # the table's cells unwrapped
    _edit_the_sandbox(recorded_org)
    selection = tmp_path / "changed.txt"
    code, out, err = run("changes", "--since", "2024-05-01", "--json", "--select-file", str(selection))
    assert code == 0, err
    report = json.loads(out)
    rows = {c["selector"]: c for c in report["changes"]}
    assert set(rows) == {"ApexClass:InvoiceService", "ApexClass:InvoiceServiceTest"}
    assert not rows["ApexClass:InvoiceService"]["deleted"] and rows["ApexClass:InvoiceServiceTest"]["deleted"]
    assert rows["ApexClass:InvoiceService"]["changedBy"] == "Admin User"  # ChangedBy's user Id, resolved
    assert rows["ApexClass:InvoiceService"]["lastModifiedDate"].startswith("2024-05-02T09:30")
    assert report["latestRevision"] == max(c["revision"] for c in report["changes"])
    assert read_selectors((), selection, None) == ["ApexClass:InvoiceService", "ApexClass:InvoiceServiceTest"]

    code, out, err = run("changes", "--since-revision", str(report["latestRevision"] - 1), "--types", "ApexClass")
    assert code == 0, err
    assert "InvoiceServiceTest" in out and "deleted" in out and "Admin User" in out
    assert "InvoiceService " not in out.replace("InvoiceServiceTest", "")


def test_retrieve_only_what_changed(recorded_org, tmp_path: Path) -> None:
    _edit_the_sandbox(recorded_org)
    code, out, err = run("retrieve", "--changed-since", "2024-05-01", "--format", "mdapi", "--output-dir",
                         str(tmp_path / "out"), "--json", *FAST)
    assert code == 0, err
    files = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert files == ["classes/InvoiceService.cls", "classes/InvoiceService.cls-meta.xml", "package.xml"]
    assert "hotfix: late fees rounded" in (tmp_path / "out" / "classes" / "InvoiceService.cls").read_text()
    # one manifest for what came back, so that the folder deploys as it is (sf project deploy start --metadata-dir)
    members, version = read_manifest((tmp_path / "out" / "package.xml").read_bytes(), "package.xml")
    assert members == {"ApexClass": ["InvoiceService"]} and version
    assert "ApexClass:InvoiceServiceTest: deleted in the org" in err and json.loads(out)["files"] == 3


def test_changes_of_an_org_without_source_tracking_is_a_one_line_error(recorded_org) -> None:
    if recorded_org is not None:
        recorded_org.source_tracking = False
    code, _, err = run("changes", "--since", "2024-05-01")
    assert code == 3 and len(err.strip().splitlines()) == 1
    assert "does not track source changes" in err
    code, _, err = run("changes", "--since", "May 1st")
    assert code == 2 and "is no date" in err


def test_an_ant_layout_folder_deploys_from_its_src(tmp_path: Path) -> None:
    """The deploy zip of an Ant-layout repository holds the package folder's files at its top, as src/ alone."""
    from sfhotfix.org.deploy import deploy_files

    convert(EXAMPLES / "production" / "force-app", "mdapi", tmp_path / "src", EXAMPLES, force=False)
    (tmp_path / "README.md").write_text("# Acme org\n")
    whole, src = deploy_files(tmp_path), deploy_files(tmp_path / "src")
    assert whole == src and "classes/InvoiceService.cls" in whole and "README.md" not in whole
