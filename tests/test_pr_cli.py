"""`sfhotfix pr` and `sfhotfix hotfix` end to end on real repositories (the host call as a dry run)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfhotfix.act.hotfix import parse_pick
from sfhotfix.cli import main
from sfhotfix.errors import UsageError

from test_commit import SANDBOX, git, make_repo


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_pr_dry_run_prints_the_hosts_own_payload_with_the_components(tmp_path: Path) -> None:
    repo, _ = make_repo(tmp_path)
    code, _, err = run("commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main", "--branch",
                       "hotfix/fee", "-m", "fee", "--select", "CustomField:Invoice__c.Late_Fee__c", "--push")
    assert code == 0, err
    code, out, err = run("pr", "--repo", str(repo), "--branch", "hotfix/fee", "--base", "main", "--title", "Late fee",
                         "--host-url", "https://github.com/acme/billing", "--dry-run", "--json")
    assert code == 0, err
    planned = json.loads(out)
    assert planned["method"] == "POST" and planned["url"] == "https://api.github.com/repos/acme/billing/pulls"
    assert set(planned["body"]) == {"title", "head", "base", "body", "draft"}
    assert planned["body"]["head"] == "hotfix/fee" and planned["body"]["base"] == "main"
    assert "Invoice__c.Late_Fee__c" in planned["body"]["body"] and "new" in planned["body"]["body"]


def test_hotfix_runs_the_whole_path(tmp_path: Path) -> None:
    repo, origin = make_repo(tmp_path)
    code, out, err = run("hotfix", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main",
                         "--branch", "hotfix/INV-42", "--select", "CustomField:Invoice__c.Late_Fee__c",
                         "--with-dependencies", "--host-url", "https://gitlab.com/acme/billing", "--dry-run")
    assert code == 0, err
    assert "1. Compare" in out and "3. Commit" in out and "4. Pull request" in out
    assert "Would send: POST https://gitlab.com/api/v4/projects/acme%2Fbilling/merge_requests" in out
    assert git(origin, "rev-parse", "hotfix/INV-42").strip()
    files = git(repo, "diff", "--name-only", "main", "hotfix/INV-42").split()
    assert any(f.endswith("Admin.profile-meta.xml") for f in files)  # the field's FLS came as a dependency


def test_hotfix_from_a_folder_or_a_retrieve_zip_commits_the_same(tmp_path: Path) -> None:
    """A folder is compared through what differs from the base and the commit reads what its selection touches;
    a retrieve's zip is read once and its comparison reused by the commit: the same table, the same branch."""
    repo, _ = make_repo(tmp_path)
    retrieve = tmp_path / "retrieve.zip"
    with zipfile.ZipFile(retrieve, "w") as archive:
        for path in sorted(SANDBOX.rglob("*")):
            if path.is_file():
                archive.write(path, f"unpackaged/{path.relative_to(SANDBOX).as_posix()}")
    trees = {}
    for source, branch in ((SANDBOX, "hotfix/folder"), (retrieve, "hotfix/zip")):
        code, out, err = run("hotfix", "--repo", str(repo), "--source", str(source), "--base", "main", "--branch",
                             branch, "--select", "CustomField:Invoice__c.Late_Fee__c", "--select",
                             "Profile:Admin/fieldPermissions:Invoice__c.Late_Fee__c", "--no-push", "--no-pr")
        assert code == 0, err
        assert "4 new, 5 changed, 1 deleted, 14 identical" in out and "Committed 2 component(s)" in out
        trees[branch] = git(repo, "rev-parse", f"{branch}^{{tree}}")
    assert trees["hotfix/folder"] == trees["hotfix/zip"]
    assert git(repo, "diff", "--name-only", "main", "hotfix/zip").split() == [
        "force-app/main/default/objects/Invoice__c/fields/Late_Fee__c.field-meta.xml",
        "force-app/main/default/profiles/Admin.profile-meta.xml"]


def test_hotfix_without_a_selection_needs_a_terminal(tmp_path: Path) -> None:
    repo, _ = make_repo(tmp_path)
    code, _, err = run("hotfix", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main", "--branch", "x",
                       "--no-pr")
    assert code == 2 and "interactive picker needs a terminal" in err


def test_parse_pick() -> None:
    selectors = [f"T:{i}" for i in range(1, 6)]
    assert parse_pick("1,3-4", selectors) == ["T:1", "T:3", "T:4"]
    assert parse_pick("all", selectors) == selectors
    with pytest.raises(UsageError):
        parse_pick("7", selectors)
    with pytest.raises(UsageError):
        parse_pick("x", selectors)
