"""`sfhotfix sync`: plans on real repositories with develop and release branches, merge pre-checks."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sfhotfix.cli import main

from test_commit import SANDBOX, git, make_repo

FIELD = "force-app/main/default/objects/Invoice__c/fields/Days_Overdue__c.field-meta.xml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_sync_plan_after_a_hotfix(tmp_path: Path) -> None:
    repo, origin = make_repo(tmp_path)
    git(repo, "push", "-q", "origin", "main:release/2026.12")
    git(repo, "push", "-q", "origin", "main:release/2027.01")
    # release/2027.01 changes the formula line the hotfix will change: a real conflict
    git(repo, "checkout", "-q", "-b", "rel", "origin/release/2027.01")
    formula = repo / FIELD
    formula.write_text(formula.read_text().replace("MAX(TODAY() - Due_Date__c, 0)", "MAX(TODAY() - Due_Date__c, 1)"))
    git(repo, "commit", "-qam", "release wording")
    git(repo, "push", "-q", "origin", "rel:release/2027.01")
    git(repo, "checkout", "-q", "main")
    # the hotfix lands on production
    code, _, err = run("commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main", "--branch", "hf",
                       "-m", "hotfix", "--select", "CustomField:Invoice__c.Days_Overdue__c",
                       "--select", "CustomField:Invoice__c.Late_Fee__c")
    assert code == 0, err
    git(repo, "push", "-q", "origin", "hf:main")
    # release/2026.12 already has it
    git(repo, "push", "-q", "origin", "hf:release/2026.12")
    code, out, err = run("sync", "--repo", str(repo), "--dry-run", "--json")
    assert code == 0, err
    plan = {t["branch"]: t for t in json.loads(out)["targets"]}
    assert list(plan) == ["develop", "release/2026.12", "release/2027.01"]
    assert plan["release/2026.12"]["action"] == "up-to-date"
    assert plan["develop"]["action"] == "open-pr" and plan["develop"]["conflicts"] == []
    assert plan["release/2027.01"]["conflicts"] == [FIELD]
    assert plan["develop"]["head"] == git(origin, "rev-parse", "develop").strip()
    assert git(origin, "branch", "--list", "sync/*").strip() == ""  # a dry run pushes nothing
    # a CI clone: one branch, one commit; the sync fetches every branch and the whole history first
    shallow = tmp_path / "ci-clone"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", str(shallow))
    code, out, err = run("sync", "--repo", str(shallow), "--dry-run", "--json")
    assert code == 0, err
    assert json.loads(out)["targets"] == list(plan.values())
    assert git(shallow, "rev-parse", "--is-shallow-repository").strip() == "false"


def test_pattern_matching_nothing_and_no_origin(tmp_path: Path) -> None:
    repo, _ = make_repo(tmp_path)
    code, _, err = run("sync", "--repo", str(repo), "--integration", "nope", "--releases", "rel-*", "--dry-run")
    assert code == 2 and "nothing to sync" in err
    git(repo, "remote", "remove", "origin")
    code, _, err = run("sync", "--repo", str(repo), "--dry-run")
    assert code == 2 and "no remote 'origin'" in err


def test_sync_pushes_the_branches_and_opens_the_pull_requests(tmp_path: Path, monkeypatch) -> None:
    """The whole sync against the GitHub host emulator, recorded in cassettes/hosts (dates fixed, so that
    the commits, the sync branches' names and the requests are the same on every run)."""
    from test_hosts import GOOD_TOKENS, REMOTES, emulator_api_base, recorded

    for name in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
        monkeypatch.setenv(name, "2026-11-27T10:00:00+00:00")
    monkeypatch.setenv("GITHUB_TOKEN", GOOD_TOKENS["github"])
    monkeypatch.delenv("GH_TOKEN", raising=False)
    repo, origin = make_repo(tmp_path)
    git(repo, "push", "-q", "origin", "main:release/2026.12")
    code, _, err = run("commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main", "--branch", "hf",
                       "-m", "hotfix", "--select", "CustomField:Invoice__c.Days_Overdue__c")
    assert code == 0, err
    git(repo, "push", "-q", "origin", "hf:main")
    with recorded("sync-github") as recording:
        code, out, err = run("sync", "--repo", str(repo), "--json", "--host-url", REMOTES["github"],
                             "--api-url", emulator_api_base(recording.base_url, "github"))
        assert code == 0, err
        if recording.emu:
            opened = recording.emu.open_prs("github")
            assert sorted(p.base for p in opened) == ["develop", "release/2026.12"]
    targets = {t["branch"]: t for t in json.loads(out)["targets"]}
    head = git(repo, "rev-parse", "hf").strip()
    for branch in ("develop", "release/2026.12"):
        assert targets[branch]["action"] == "open-pr" and targets[branch]["pullRequest"]
        assert targets[branch]["syncBranch"] == f"sync/{branch}-{head[:8]}"
        assert git(origin, "rev-parse", f"sync/{branch}-{head[:8]}").strip() == head
    bodies = [json.loads(r.body)["body"] for r in recording.cassette.requests
              if r.method == "POST" and r.path.endswith("/repos/acme/repo/pulls")]
    assert len(bodies) == 2 and all("Invoice__c.Days_Overdue__c" in b for b in bodies)


def test_a_refused_push_fails_its_target_only_and_nothing_is_forced(tmp_path: Path, monkeypatch) -> None:
    """origin protects release/* sync branches with a pre-receive hook: that target fails with git's reason,
    develop still gets its sync branch, and nothing on origin is rewritten."""
    repo, origin = make_repo(tmp_path)
    git(repo, "push", "-q", "origin", "main:release/2026.12")
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nwhile read old new ref; do\n  case $ref in refs/heads/sync/release/*)\n"
                    "    echo \"$ref is protected\" >&2; exit 1;;\n  esac\ndone\n")
    hook.chmod(0o755)
    code, _, err = run("commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main", "--branch", "hf",
                       "-m", "hotfix", "--select", "CustomField:Invoice__c.Days_Overdue__c")
    assert code == 0, err
    git(repo, "push", "-q", "origin", "hf:main")
    branches_before = git(origin, "for-each-ref", "refs/heads/main", "refs/heads/develop", "refs/heads/release")
    monkeypatch.setenv("GITHUB_TOKEN", "not-used-the-host-call-fails-first")
    code, out, err = run("sync", "--repo", str(repo), "--json", "--host-url", "https://github.com/acme/repo",
                         "--api-url", "http://127.0.0.1:9/unreachable")
    assert code == 1
    targets = {t["branch"]: t for t in json.loads(out)["targets"]}
    head = git(repo, "rev-parse", "hf").strip()
    assert "rejected" in targets["release/2026.12"]["error"] and "is protected" in targets["release/2026.12"]["error"]
    assert "nothing was forced" in err and "release/2026.12" in err
    # develop's sync branch was pushed (its pull request then failed on the unreachable host, also reported)
    assert git(origin, "rev-parse", f"sync/develop-{head[:8]}").strip() == head
    assert "error" in targets["develop"] and "127.0.0.1:9" not in targets["develop"].get("pullRequest", "")
    assert git(origin, "for-each-ref", "refs/heads/main", "refs/heads/develop", "refs/heads/release") == branches_before


def test_an_empty_release_pattern_is_a_warning(tmp_path: Path) -> None:
    repo, _ = make_repo(tmp_path)
    code, out, err = run("sync", "--repo", str(repo), "--releases", "release/*", "--dry-run", "--json")
    assert code == 0, err
    assert json.loads(out)["warnings"] == ["no branch on origin matches the release pattern release/*"]
    assert "no branch on origin matches" in err
