"""The validation gate, promotion, rollback and the deployment history, on real repositories with a bare origin.

Org traffic is replayed from cassettes/org (recorded from tests/emulator with `make cassettes`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sfhotfix.act.apex_tests import covering_tests
from sfhotfix.act.commit import open_repo
from sfhotfix.act.delta_package import build_delta_package
from sfhotfix.act.history import REF, History, Record

from test_commit import SANDBOX, git, make_repo, run, snapshot

FAST = ["--poll-interval", "0.05"]
HOTFIX = ["--select", "CustomField:Invoice__c.Days_Overdue__c", "--select", "ApexClass:InvoiceService"]


def hotfix_branch(tmp_path: Path, *selects: str) -> tuple[Path, Path]:
    repo, origin = make_repo(tmp_path)
    code, _, err = run("commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main", "--branch", "hf",
                       "-m", "hotfix", *(selects or HOTFIX))
    assert code == 0, err
    return repo, origin


# ------------------------------------------------------------------------------------------- test selection


def test_tests_are_picked_by_naming_and_by_reference() -> None:
    tests = {
        "InvoiceServiceTest": "class InvoiceServiceTest { void t() { } }",
        "Test_Billing": "class Test_Billing { }",
        "UsesInvoices": "class UsesInvoices { void t() { INVOICESERVICE.run(); } }",
        "MentionsInComment": "class MentionsInComment {  }",  # comments are stripped before this point
        "Unrelated": "class Unrelated { void t() { Other.run(); } }",
    }
    assert covering_tests(["InvoiceService", "Billing"], tests) == ["InvoiceServiceTest", "Test_Billing", "UsesInvoices"]
    assert covering_tests(["Unrelated"], tests) == ["Unrelated"]  # a deployed test class runs itself
    assert covering_tests(["Nothing"], tests) == []


def test_comments_and_strings_are_not_references(tmp_path: Path) -> None:
    from sfhotfix.act.apex_tests import find_test_classes

    repo, _ = make_repo(tmp_path)
    classes = repo / "force-app/main/default/classes"
    (classes / "CommentOnlyTest.cls").write_text(
        "@IsTest\nprivate class CommentOnlyTest {\n    // InvoiceService is tested elsewhere\n"
        "    static String s = 'InvoiceService';\n    /* InvoiceService */\n}\n")
    (classes / "NotATest.cls").write_text("public class NotATest { InvoiceService s; }\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "more classes")
    found = find_test_classes(repo, "HEAD")
    assert sorted(found) == ["CommentOnlyTest", "InvoiceServiceTest"]
    assert covering_tests(["InvoiceService"], found) == ["InvoiceServiceTest"]


# ------------------------------------------------------------------------------------------- delta package


def test_the_package_is_the_delta_in_metadata_api_format(tmp_path: Path) -> None:
    repo, _ = hotfix_branch(tmp_path)
    git(repo, "checkout", "-q", "hf")
    (repo / "force-app/main/default/classes/InvoiceServiceTest.cls").unlink()
    (repo / "force-app/main/default/classes/InvoiceServiceTest.cls-meta.xml").unlink()
    git(repo, "commit", "-qam", "drop a test")
    git(repo, "checkout", "-q", "main")
    head, base = git(repo, "rev-parse", "hf").strip(), git(repo, "rev-parse", "main").strip()
    package = build_delta_package(repo, base, head)
    assert package.package == {"ApexClass": ["InvoiceService"], "CustomField": ["Invoice__c.Days_Overdue__c"]}
    assert package.destructive == {"ApexClass": ["InvoiceServiceTest"]}
    assert sorted(package.files) == ["classes/InvoiceService.cls", "classes/InvoiceService.cls-meta.xml",
                                     "destructiveChanges.xml", "objects/Invoice__c.object", "package.xml"]
    recomposed = package.files["objects/Invoice__c.object"].decode()
    assert "<fullName>Days_Overdue__c</fullName>" in recomposed and "Late_Fee__c" not in recomposed
    assert b"<members>InvoiceServiceTest</members>" in package.files["destructiveChanges.xml"]
    assert (repo / "force-app/main/default/classes/InvoiceServiceTest.cls").exists()  # nothing touched


# ------------------------------------------------------------------------------------------- history


def _record(record_id: str, **more) -> Record:
    return Record(id=record_id, kind="validation", org="production", who="ci", when=f"2026-11-27T10:00:0{record_id[-1]}Z",
                  status="Succeeded", success=True, **more)


def test_history_lives_on_its_own_ref_and_joins_concurrent_writers(tmp_path: Path) -> None:
    repo, origin = make_repo(tmp_path)
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(origin), str(other))
    before = snapshot(repo)
    mine, theirs = History(open_repo(repo)), History(open_repo(other))
    assert mine.append(_record("0Af1"), backup=b"zip bytes") == []
    assert theirs.append(_record("0Af2")) == []  # refused first (origin moved on), joined, pushed again
    assert mine.append(_record("0Af3")) == []
    assert [r.id for r in History(open_repo(repo)).records()] == ["0Af1", "0Af2", "0Af3"]
    assert git(origin, "ls-tree", "-r", "--name-only", REF).split() == [
        "backups/0Af1.zip", "records/0Af1.json", "records/0Af2.json", "records/0Af3.json"]
    assert mine.backup("0Af1") == b"zip bytes"
    assert snapshot(repo) == before  # the working tree, index and branch are untouched
    with pytest.raises(Exception, match="no backup was kept"):
        mine.backup("0Af2")
    code, out, err = run("history", "--repo", str(other), "--json")
    assert code == 0, err
    assert [r["id"] for r in json.loads(out)["records"]] == ["0Af1", "0Af2", "0Af3"]
    code, out, _ = run("history", "--repo", str(other))
    assert code == 0 and "0Af3" in out


# ------------------------------------------------------------------------------------------- validate


def test_validate_a_branch_with_specified_tests(recorded_org, tmp_path: Path) -> None:
    repo, origin = hotfix_branch(tmp_path)
    before = snapshot(repo)
    code, out, err = run("validate", "--branch", "hf", "--repo", str(repo), "--test-level", "RunSpecifiedTests",
                         "--json", *FAST)
    assert code == 0, err
    result = json.loads(out)
    record = result["record"]
    assert record["kind"] == "validation" and record["success"] and record["status"] == "Succeeded"
    assert record["tests"] == ["InvoiceServiceTest"] and record["testLevel"] == "RunSpecifiedTests"
    assert record["package"] == {"ApexClass": ["InvoiceService"], "CustomField": ["Invoice__c.Days_Overdue__c"]}
    assert record["commit"] == git(repo, "rev-parse", "hf").strip()
    assert result["deploy"]["checkOnly"] is True and result["deploy"]["tests"]["completed"] > 0
    assert git(origin, "rev-parse", REF).strip()  # shared through origin
    assert [r.id for r in History(open_repo(repo)).records()] == [record["id"]]
    assert snapshot(repo) == before


def test_validate_in_a_shallow_single_branch_ci_clone(recorded_org, tmp_path: Path) -> None:
    """A CI clone has the pull request's branch and its last commit: the base branch and the history to the
    merge base are fetched first."""
    repo, origin = hotfix_branch(tmp_path)
    git(repo, "push", "-q", "origin", "hf")
    clone = tmp_path / "ci-clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "hf", f"file://{origin}", str(clone))
    code, out, err = run("validate", "--branch", "hf", "--repo", str(clone), "--test-level", "RunSpecifiedTests",
                         "--json", *FAST)
    assert code == 0, err
    record = json.loads(out)["record"]
    assert record["package"] == {"ApexClass": ["InvoiceService"], "CustomField": ["Invoice__c.Days_Overdue__c"]}
    assert record["base"] == git(repo, "rev-parse", "main").strip()
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "false"


def test_validate_reports_failures_and_records_them(recorded_org, tmp_path: Path) -> None:
    repo, _ = hotfix_branch(tmp_path)
    git(repo, "checkout", "-q", "hf")
    service = repo / "force-app/main/default/classes/InvoiceService.cls"
    service.write_text(service.read_text() + "// SFHOTFIX_FAIL: Unexpected token 'oops'\n")
    git(repo, "commit", "-qam", "broken")
    git(repo, "checkout", "-q", "main")
    code, out, err = run("validate", "--branch", "hf", "--repo", str(repo), "--test-level", "RunLocalTests",
                         "--json", *FAST)
    assert code == 1, err
    record = json.loads(out)["record"]
    assert not record["success"] and record["status"] == "Failed"
    assert any("InvoiceService" in e and "oops" in e for e in record["errors"])
    assert History(open_repo(repo)).records()[0].success is False


def test_validate_bad_input(tmp_path: Path) -> None:
    repo, _ = make_repo(tmp_path)
    code, _, err = run("validate", "--branch", "main", "--repo", str(repo))
    assert code == 2 and "no metadata changes against main, nothing to validate" in err
    code, _, err = run("validate", "--branch", "nope", "--repo", str(repo))
    assert code == 2 and "--branch nope: no such branch" in err
    code, _, err = run("validate", "--repo", str(repo))
    assert code == 2 and "--branch B or --pr N" in err
    repo, _ = hotfix_branch(tmp_path / "b", "--select", "ApexClass:InvoiceService")
    test_file = repo / "force-app/main/default/classes/InvoiceServiceTest.cls"
    git(repo, "checkout", "-q", "hf")
    git(repo, "rm", "-q", str(test_file), str(test_file.with_name("InvoiceServiceTest.cls-meta.xml")))
    git(repo, "commit", "-qm", "no test is left that names or mentions the service")
    git(repo, "checkout", "-q", "main")
    code, _, err = run("validate", "--branch", "hf", "--repo", str(repo), "--test-level", "RunSpecifiedTests")
    assert code == 2 and "no test class" in err and "InvoiceService" in err and "--tests" in err
    assert git(repo, "for-each-ref", REF).strip() == ""  # nothing recorded, nothing deployed


# ------------------------------------------------------------------------------------------- pull requests

HOST_PORT = 8766  # the GitHub emulator's port while recording: its URLs are in the org cassette
HOST_BASE = f"http://127.0.0.1:{HOST_PORT}"
LATE_FEES = ("public with sharing class LateFees {\n    public static Decimal of(Decimal amount) {\n"
             "        return amount * 0.02;\n    }\n}\n")
LATE_FEES_TEST = ("@IsTest\nprivate class LateFeesTest {\n    @IsTest\n    static void twoPercent() {\n"
                  "        System.assertEquals(2, LateFees.of(100));\n    }\n}\n")


@pytest.fixture
def github(recorded_org, monkeypatch):
    """The GitHub emulator while the org cassette records (None in replay), with fixed commit dates so that
    the commits, and the URLs and bodies that name them, are the same on every run."""
    from hosts_emulator import HostsEmulator
    from test_hosts import GOOD_TOKENS

    for name in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
        monkeypatch.setenv(name, "2026-11-27T10:00:00+00:00")
    monkeypatch.setenv("GITHUB_TOKEN", GOOD_TOKENS["github"])
    monkeypatch.delenv("GH_TOKEN", raising=False)
    if recorded_org is None:
        yield None
        return
    with HostsEmulator(port=HOST_PORT) as emu:
        yield emu


def pr_repo(tmp_path: Path, github) -> tuple[Path, Path]:
    """A hotfix branch pushed to origin with a new class besides the fix, and its pull request #1 into main."""
    repo, origin = hotfix_branch(tmp_path)
    git(repo, "checkout", "-q", "hf")
    classes = repo / "force-app/main/default/classes"
    for name, code in (("LateFees", LATE_FEES), ("LateFeesTest", LATE_FEES_TEST)):
        (classes / f"{name}.cls").write_text(code)
        (classes / f"{name}.cls-meta.xml").write_bytes((classes / "InvoiceService.cls-meta.xml").read_bytes())
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "late fees helper")
    git(repo, "push", "-q", "origin", "hf")
    git(repo, "checkout", "-q", "main")
    if github is not None:
        github.add_pr("github", "hf", "main", title="Hotfix: late fee").head_commit = git(repo, "rev-parse", "hf").strip()
    return repo, origin


def merge(repo: Path, github) -> str:
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge pull request #1 from acme/hf", "hf")
    git(repo, "push", "-q", "origin", "main")
    sha = git(repo, "rev-parse", "main").strip()
    if github is not None:
        github.merge("github", 1, merge_sha=sha)
    return sha


HOST = ["--host-url", "https://github.com/acme/repo", "--api-url", f"{HOST_BASE}/github"]


def test_validate_the_pull_request_then_promote_and_roll_back(github, recorded_org, tmp_path: Path) -> None:
    repo, origin = pr_repo(tmp_path, github)
    head = git(repo, "rev-parse", "hf").strip()
    code, out, err = run("promote", "--pr", "1", "--repo", str(repo), *HOST, *FAST)
    assert code == 2 and "not merged yet" in err
    code, out, err = run("validate", "--pr", "1", "--repo", str(repo), "--test-level", "RunSpecifiedTests", "--json",
                         *HOST, *FAST)
    assert code == 0, err + out
    validation = json.loads(out)
    assert validation["record"]["tests"] == ["InvoiceServiceTest", "LateFeesTest"]
    assert validation["record"]["pr"] == "1" and validation["record"]["commit"] == head
    assert validation["comment"].startswith("https://github.com/acme/repo/pull/1#issuecomment-")
    if github is not None:
        pr = github.prs[0]
        assert len(pr.comments) == 1 and "<!-- sfhotfix:validation -->" in pr.comments[0].body
        assert "Validation Succeeded" in pr.comments[0].body and validation["record"]["id"] in pr.comments[0].body
        assert [(s["sha"], s["state"], s["context"]) for s in github.statuses] == [
            (head, "success", "sfhotfix/validation")]
    merged = merge(repo, github)
    code, out, err = run("validate", "--pr", "1", "--repo", str(repo), *HOST, *FAST)
    assert code == 2 and "already merged" in err and "sfhotfix promote --pr 1" in err
    code, out, err = run("promote", "--pr", "1", "--repo", str(repo), "--json", *HOST, *FAST)
    assert code == 0, err
    promotion = json.loads(out)["record"]
    assert promotion["kind"] == "quick-deployment" and promotion["success"]
    assert promotion["validatedId"] == validation["record"]["id"] and promotion["commit"] == merged
    assert promotion["added"] == {"ApexClass": ["LateFees", "LateFeesTest"]} and promotion["backup"] is True
    if recorded_org is not None:
        org = recorded_org.org
        assert org.lookup("ApexClass", "LateFees") is not None
    code, out, err = run("history", "--repo", str(repo), "--json")
    kinds = [(r["kind"], r["id"]) for r in json.loads(out)["records"]]
    assert kinds == [("validation", validation["record"]["id"]), ("quick-deployment", promotion["id"])]
    code, out, err = run("rollback", "--deployment", validation["record"]["id"], "--repo", str(repo))
    assert code == 2 and "a validation, not a deployment" in err
    code, out, err = run("rollback", "--deployment", promotion["id"], "--repo", str(repo),
                         "--test-level", "RunLocalTests", "--json", *FAST)
    assert code == 0, err
    rollback = json.loads(out)["record"]
    assert rollback["kind"] == "rollback" and rollback["rollbackOf"] == promotion["id"] and rollback["success"]
    assert rollback["destructive"] == {"ApexClass": ["LateFees", "LateFeesTest"]}
    assert rollback["package"] == {"ApexClass": ["InvoiceService"], "CustomField": ["Invoice__c.Days_Overdue__c"]}
    if recorded_org is not None:
        assert recorded_org.org.lookup("ApexClass", "LateFees") is None
    code, _, err = run("rollback", "--deployment", promotion["id"], "--repo", str(repo), *FAST)
    assert code == 2 and f"already rolled back by {rollback['id']}" in err
    assert git(origin, "ls-tree", "-r", "--name-only", REF).split().count(f"backups/{promotion['id']}.zip") == 1


def test_an_expired_validation_is_deployed_in_full_with_a_note(github, recorded_org, tmp_path: Path) -> None:
    repo, _ = pr_repo(tmp_path, github)
    code, out, err = run("validate", "--pr", "1", "--repo", str(repo), "--test-level", "RunSpecifiedTests", "--json",
                         "--no-post", *HOST, *FAST)
    assert code == 0, err
    validation_id = json.loads(out)["record"]["id"]
    if recorded_org is not None:
        recorded_org.clock.advance(days=11)  # the org's clock: its validation has expired there
    merge(repo, github)
    code, out, err = run("promote", "--pr", "1", "--repo", str(repo), "--json", "--no-post",
                         "--test-level", "RunSpecifiedTests", *HOST, *FAST)
    assert code == 0, err
    record = json.loads(out)["record"]
    assert record["kind"] == "deployment" and record["success"] and record["validatedId"] is None
    assert any(f"refused to quick-deploy validation {validation_id}" in n and "expired" in n for n in record["notes"])
    assert record["tests"] == ["InvoiceServiceTest", "LateFeesTest"]
    assert record["package"] == {"ApexClass": ["InvoiceService", "LateFees", "LateFeesTest"],
                                 "CustomField": ["Invoice__c.Days_Overdue__c"]}


def test_rollback_refusals_need_no_org(tmp_path: Path) -> None:
    """What cannot be rolled back is refused from the history alone, before any org call."""
    repo, _ = make_repo(tmp_path)
    store = History(open_repo(repo))
    fix = {"ApexClass": ["InvoiceService"]}
    store.append(Record(id="0Af1", kind="quick-deployment", org="production", who="ci", when="2026-11-27T10:00:01Z",
                        status="Succeeded", success=True, package=fix, backup=True), backup=b"PK\x05\x06" + bytes(18))
    store.append(Record(id="0Af2", kind="deployment", org="production", who="ci", when="2026-11-27T10:00:02Z",
                        status="Succeeded", success=True, package=fix))
    store.append(Record(id="0Af3", kind="deployment", org="production", who="ci", when="2026-11-27T10:00:03Z",
                        status="Failed", success=False, package={"Flow": ["Late"]}))
    code, _, err = run("rollback", "--deployment", "0Af1", "--repo", str(repo))
    assert code == 2 and "the later deployment 0Af2 changed some of the same components" in err and "--force" in err
    code, _, err = run("rollback", "--deployment", "0Af2", "--repo", str(repo))
    assert code == 2 and "no backup was kept" in err
    code, _, err = run("rollback", "--deployment", "0Af3", "--repo", str(repo))
    assert code == 2 and "Failed, so the org was not changed" in err
    code, _, err = run("rollback", "--deployment", "0Af9", "--repo", str(repo))
    assert code == 2 and "no such deployment" in err
