"""Real Metadata API answers (recorded from real orgs) replayed through sfhotfix's own client code."""

from __future__ import annotations

import base64
import io
import re
import zipfile
from pathlib import Path

import pytest
import vcr
import yaml

from sfhotfix.org.auth import Credentials
from sfhotfix.org.client import OrgClient
from sfhotfix.org.deploy import wait_for_deploy
from sfhotfix.org.metadata import MetadataApi
from sfhotfix.org.retrieve import Polling, retrieve
from sfhotfix.registry import load_registry

NO_WAIT = Polling(first=0.0, factor=1.0, cap=0.0, timeout=60.0, sleep=lambda _: None)


def soap_path(r1, r2) -> None:
    """Match Metadata calls whatever the org id suffix, REST calls by path: hosts differ between recordings."""
    strip = re.compile(r"^/services/Soap/m/([0-9.]+)(/.*)?$")
    p1, p2 = strip.sub(r"/services/Soap/m/\1", r1.path), strip.sub(r"/services/Soap/m/\1", r2.path)
    assert p1 == p2, f"{p1} != {p2}"


def replayer(cassette_dir: Path) -> vcr.VCR:
    recorder = vcr.VCR(cassette_library_dir=str(cassette_dir), record_mode="none", match_on=["method", "soap_path"])
    recorder.register_matcher("soap_path", soap_path)
    return recorder


def api_for(version: str, host: str = "https://orgname.my.salesforce.com") -> MetadataApi:
    return MetadataApi(OrgClient(lambda: Credentials(host, "not-a-real-session", version), sleep=lambda _: None))


def test_cumulusci_retrieve_cassette_yields_the_zips_object(realdata: Path, tmp_path: Path) -> None:
    cassette = realdata / "metadata-api-responses" / "cumulusci-retrieve-changes.cassette.yaml"
    recorded = yaml.safe_load(cassette.read_text())
    zipped = re.search(rb"<zipFile>([^<]+)</zipFile>",
                       recorded["interactions"][-1]["response"]["body"]["string"].encode()).group(1)
    expected = zipfile.ZipFile(io.BytesIO(base64.b64decode(zipped))).read("unpackaged/objects/Test__c.object")

    api = api_for("48.0")
    with replayer(cassette.parent).use_cassette(cassette.name, allow_playback_repeats=False):
        changed = api.client.tooling_query(
            "SELECT MemberName, MemberType, RevisionCounter FROM SourceMember WHERE IsNameObsolete=false")
        outcome = retrieve(api, {"CustomObject": ["Test__c"]}, load_registry(), tmp_path, polling=NO_WAIT)
    assert {"MemberName": "Admin", "MemberType": "Profile"}.items() <= changed[0].items()
    assert (outcome.folder / "objects" / "Test__c.object").read_bytes() == expected
    assert len(outcome.chunks) == 1 and outcome.chunks[0].status.status == "Succeeded"
    assert {p.full_name for p in outcome.file_properties} >= {"Test__c"}


def write_cassette(path: Path, answers: list[tuple[str, Path]]) -> None:
    """A cassette whose answers are the real response bodies, in order."""
    interactions = [{
        "request": {"method": "POST", "uri": "https://orgname.my.salesforce.com/services/Soap/m/50.0",
                    "body": None, "headers": {}},
        "response": {"status": {"code": 200, "message": "OK"}, "headers": {"Content-Type": ["text/xml;charset=UTF-8"]},
                     "body": {"string": body.read_text()}},
    } for _, body in answers]
    path.write_text(yaml.safe_dump({"interactions": interactions, "version": 1}))


def responses(realdata: Path, name: str) -> Path:
    return realdata / "metadata-api-responses" / name


def test_real_deploy_answers_give_states_successes_and_failures(realdata: Path, tmp_path: Path) -> None:
    write_cassette(tmp_path / "deploy.yaml", [
        ("deploy", responses(realdata, "test_api_L838_deployResponse.xml")),
        ("pending", responses(realdata, "test_api_L921_checkDeployStatusResponse.xml")),
        ("in progress", responses(realdata, "test_api_L1102_checkDeployStatusResponse.xml")),
        ("succeeded", responses(realdata, "test_api_L980_checkDeployStatusResponse.xml")),
    ])
    api = api_for("50.0")
    seen: list[str] = []
    with replayer(tmp_path).use_cassette("deploy.yaml"):
        deploy_id = api.deploy(b"PK\x05\x06" + b"\x00" * 18, check_only=False, test_level="NoTestRun")
        status = wait_for_deploy(api, deploy_id, NO_WAIT, lambda s: seen.append(s.status))
    assert deploy_id == "0Af3B00001CMyfASAT"
    assert seen == ["Pending", "InProgress", "Succeeded"]
    assert status.success and status.components_deployed == 4 and status.components_total == 4
    assert {p.full_name for p in status.component_successes} >= {"Apex", "Chatter", "LightningExperience"}
    assert status.component_failures == []


def test_real_failed_validation_answer(realdata: Path, tmp_path: Path) -> None:
    write_cassette(tmp_path / "failed.yaml", [("failed", responses(realdata, "test_api_L1042_checkDeployStatusResponse.xml"))])
    with replayer(tmp_path).use_cassette("failed.yaml"):
        status = api_for("50.0").check_deploy_status("0Af3D00001NVD0TSAX")
    assert status.done and not status.success and status.status == "Failed" and status.check_only
    assert [(p.file_name, p.problem) for p in status.component_failures] == [("package.xml", "No package.xml found")]


@pytest.mark.parametrize("name", ["test_Deploy_L123_checkRetrieveStatusResponse.xml",
                                  "test_Deploy_L184_checkRetrieveStatusResponse.xml"])
def test_real_retrieve_answers_with_messages(realdata: Path, tmp_path: Path, name: str) -> None:
    write_cassette(tmp_path / "r.yaml", [("status", responses(realdata, name))])
    with replayer(tmp_path).use_cassette("r.yaml"), open(tmp_path / "out.zip", "w+b") as out:
        status = api_for("50.0").check_retrieve_status("09S1m000001EKBkEAO", out)
    assert status.finished and status.status == "Succeeded" and status.has_zip
    assert status.messages and all(f == "unpackaged/package.xml" for f, _ in status.messages)
    assert "cannot be found" in status.messages[0][1]
    assert zipfile.ZipFile(tmp_path / "out.zip").namelist() == ["unpackaged/package.xml"]
