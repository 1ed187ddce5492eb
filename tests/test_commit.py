"""Committing selected components: real git repositories, dirty checkouts, bare remotes, minimal diffs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfhotfix.cli import main
from sfhotfix.compare import compare
from sfhotfix.inventory import convert

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SANDBOX = EXAMPLES / "hotfix-sandbox"
PROFILE = "force-app/main/default/profiles/Admin.profile-meta.xml"


def git(repo: Path, *args: str, check: bool = True) -> str:
    env_args = ["-c", "user.name=Release Manager", "-c", "user.email=rm@example.com"]
    done = subprocess.run(["git", "-C", str(repo), *env_args, *args], capture_output=True, text=True, check=check)
    return done.stdout


def make_repo(tmp_path: Path, content: Path = EXAMPLES / "production") -> tuple[Path, Path]:
    """A clone of a bare origin whose main holds ``content``, with develop and release branches."""
    origin, repo = tmp_path / "origin.git", tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    subprocess.run(["git", "clone", "-q", str(origin), str(repo)], check=True, capture_output=True)
    shutil.copytree(content, repo, dirs_exist_ok=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "production")
    git(repo, "push", "-q", "origin", "main")
    git(repo, "push", "-q", "origin", "main:develop")
    git(repo, "config", "user.name", "Dev One")
    git(repo, "config", "user.email", "dev1@example.com")
    return repo, origin


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def changed_lines(repo: Path, ref: str, path: str) -> list[str]:
    diff = git(repo, "diff", f"{ref}~1", ref, "--", path)
    return [line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def snapshot(repo: Path) -> dict:
    """Everything of the user's checkout sfhotfix must not touch."""
    files = {p.relative_to(repo).as_posix(): p.read_bytes() for p in repo.rglob("*")
             if p.is_file() and ".git" not in p.relative_to(repo).parts}
    return {"status": git(repo, "status", "--porcelain"), "head": git(repo, "rev-parse", "HEAD"),
            "index": git(repo, "diff", "--cached"), "files": files, "branch": git(repo, "branch", "--show-current"),
            "worktrees": git(repo, "worktree", "list", "--porcelain")}


def test_commit_on_a_dirty_checkout_touches_nothing_of_it(tmp_path: Path) -> None:
    repo, _ = make_repo(tmp_path)
    (repo / "force-app/main/default/classes/InvoiceService.cls").write_text("// work in progress\n")
    (repo / "notes.txt").write_text("untracked")
    (repo / PROFILE).write_text((repo / PROFILE).read_text().replace("<custom>false</custom>", "<custom>true</custom>"))
    git(repo, "add", PROFILE)
    before = snapshot(repo)
    code, out, err = run("commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main",
                         "--branch", "hotfix/late-fee", "-m", "Late fee FLS",
                         "--select", "CustomField:Invoice__c.Late_Fee__c",
                         "--select", "Profile:Admin/fieldPermissions:Invoice__c.Late_Fee__c")
    assert code == 0, err
    assert snapshot(repo) == before
    assert git(repo, "log", "-1", "--format=%an|%s", "hotfix/late-fee").strip() == "Dev One|Late fee FLS"
    # one FLS entry inserted in its sorted place, nothing else in the profile changed
    assert changed_lines(repo, "hotfix/late-fee", PROFILE) == [
        "+    <fieldPermissions>", "+        <editable>false</editable>",
        "+        <field>Invoice__c.Late_Fee__c</field>", "+        <readable>true</readable>",
        "+    </fieldPermissions>"]
    shown = git(repo, "show", f"hotfix/late-fee:{PROFILE}")
    assert shown.index("Invoice__c.Due_Date__c") < shown.index("Invoice__c.Late_Fee__c") < shown.index("Invoice__c.Status__c")
    new_field = git(repo, "show", "hotfix/late-fee:force-app/main/default/objects/Invoice__c/fields/Late_Fee__c.field-meta.xml")
    converted = tmp_path / "converted"
    convert(SANDBOX, "source", converted, EXAMPLES, force=False)
    assert new_field == (converted / "main/default/objects/Invoice__c/fields/Late_Fee__c.field-meta.xml").read_text()
    assert sorted(git(repo, "diff", "--name-only", "main", "hotfix/late-fee").split()) == sorted(
        [PROFILE, "force-app/main/default/objects/Invoice__c/fields/Late_Fee__c.field-meta.xml"])


def test_changed_file_keeps_its_declaration_and_indentation(tmp_path: Path) -> None:
    repo, _ = make_repo(tmp_path)
    field = repo / "force-app/main/default/objects/Invoice__c/fields/Days_Overdue__c.field-meta.xml"
    text = field.read_text().replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="UTF-8" ?>')
    field.write_text(text.replace("\n    ", "\n  "))
    git(repo, "commit", "-qam", "two-space style")
    code, _, err = run("commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main", "--branch", "fix",
                       "-m", "Days overdue ignores paid invoices", "--select", "CustomField:Invoice__c.Days_Overdue__c")
    assert code == 0, err
    path = "force-app/main/default/objects/Invoice__c/fields/Days_Overdue__c.field-meta.xml"
    assert changed_lines(repo, "fix", path) == [
        "-  <formula>MAX(TODAY() - Due_Date__c, 0)</formula>",
        "+  <formula>IF(ISPICKVAL(Status__c, &apos;Paid&apos;), 0, MAX(TODAY() - Due_Date__c, 0))</formula>"]
    assert git(repo, "show", f"fix:{path}").startswith('<?xml version="1.0" encoding="UTF-8" ?>')


def test_existing_branch_is_refused_then_reused(tmp_path: Path) -> None:
    repo, _ = make_repo(tmp_path)
    args = ["commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main", "--branch", "develop",
            "-m", "label", "--select", "CustomLabel:Invoice_Late_Fee_Notice"]
    code, _, err = run(*args)
    assert code == 2 and "already exists on origin" in err
    first = git(repo, "rev-parse", "origin/develop").strip()
    git(repo, "branch", "hotfix/x", "main")
    code, _, err = run(*args[:8], "hotfix/x", *args[9:])
    assert code == 2 and "already exists locally" in err
    code, _, err = run(*args[:8], "hotfix/x", *args[9:], "--reuse-branch")
    assert code == 0, err
    assert git(repo, "rev-parse", "hotfix/x~1").strip() == first


def test_push_sets_upstream_and_a_rejected_push_keeps_the_local_branch(tmp_path: Path) -> None:
    repo, origin = make_repo(tmp_path)
    code, _, err = run("commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main",
                       "--branch", "hotfix/a", "-m", "a", "--select", "CustomLabel:Invoice_Late_Fee_Notice", "--push")
    assert code == 0, err
    assert git(origin, "rev-parse", "hotfix/a").strip() == git(repo, "rev-parse", "hotfix/a").strip()
    assert git(repo, "rev-parse", "--abbrev-ref", "hotfix/a@{upstream}").strip() == "origin/hotfix/a"
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected: pushes refused' >&2\nexit 1\n")
    hook.chmod(0o755)
    code, _, err = run("commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main",
                       "--branch", "hotfix/b", "-m", "b", "--select", "CustomLabel:Invoice_Late_Fee_Notice", "--push")
    assert code == 1 and "rejected" in err and "hotfix/b is kept" in err
    assert git(repo, "rev-parse", "--verify", "hotfix/b").strip()
    assert git(origin, "branch", "--list", "hotfix/b").strip() == ""


def test_failure_half_way_leaves_no_branch_and_no_worktree(tmp_path: Path) -> None:
    repo, _ = make_repo(tmp_path)
    before = snapshot(repo)
    code, _, err = run("commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main", "--branch", "half",
                       "-m", "x", "--select", "CustomLabel:Invoice_Late_Fee_Notice", "--select", "ApexClass:Nope")
    assert code == 2 and "ApexClass:Nope" in err
    code, _, err = run("commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "nope", "--branch", "half",
                       "-m", "x", "--select", "CustomLabel:Invoice_Late_Fee_Notice")
    assert code == 2 and "--base nope" in err
    assert git(repo, "branch", "--list", "half").strip() == ""
    assert snapshot(repo) == before


def test_deleted_components_are_removed_and_listed(tmp_path: Path) -> None:
    repo, _ = make_repo(tmp_path)
    code, out, err = run("commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main", "--branch", "d",
                         "-m", "drop legacy label", "--select", "CustomLabel:Invoice_Legacy_Footer", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["destructiveChanges"] == [{"type": "CustomLabel", "fullName": "Invoice_Legacy_Footer"}]
    lines = changed_lines(repo, "d", "force-app/main/default/labels/CustomLabels.labels-meta.xml")
    assert len(lines) == 8 and all(line.startswith("-") for line in lines)


def test_metadata_api_repository_gets_in_file_edits(tmp_path: Path) -> None:
    """A repository in metadata-API format: a new field goes inside the object file, in its sorted place."""
    production_mdapi = tmp_path / "prod-mdapi"
    convert(EXAMPLES / "production" / "force-app", "mdapi", production_mdapi, EXAMPLES, force=False)
    repo, _ = make_repo(tmp_path, production_mdapi)
    sandbox_source = tmp_path / "sandbox-source"
    convert(SANDBOX, "source", sandbox_source / "force-app", EXAMPLES, force=False)
    shutil.copy(EXAMPLES / "sfdx-project.json", sandbox_source)
    code, _, err = run("commit", "--repo", str(repo), "--source", str(sandbox_source), "--base", "main",
                       "--branch", "m", "-m", "late fee", "--select", "CustomField:Invoice__c.Late_Fee__c",
                       "--select", "Profile:Admin/fieldPermissions:Invoice__c.Late_Fee__c")
    assert code == 0, err
    assert sorted(git(repo, "diff", "--name-only", "main", "m").split()) == ["objects/Invoice__c.object", "package.xml",
                                                                            "profiles/Admin.profile"]
    assert changed_lines(repo, "m", "package.xml") == ["+        <members>Invoice__c.Late_Fee__c</members>"]
    lines = changed_lines(repo, "m", "objects/Invoice__c.object")
    assert all(line.startswith("+") for line in lines) and "+        <fullName>Late_Fee__c</fullName>" in lines
    obj = git(repo, "show", "m:objects/Invoice__c.object")
    assert obj.index("<fullName>Due_Date__c</fullName>") < obj.index("<fullName>Late_Fee__c</fullName>") \
        < obj.index("<fullName>Status__c</fullName>")


def test_ant_layout_repository_is_read_and_written_below_src(tmp_path: Path) -> None:
    """The Ant migration tool's layout: metadata-API files under src/ beside src/package.xml, a README and a
    build.xml at the top, no sfdx-project.json. Only src/ is metadata; new files go there too."""
    content = tmp_path / "ant"
    convert(EXAMPLES / "production" / "force-app", "mdapi", content / "src", EXAMPLES, force=False)
    (content / "README.md").write_text("# Acme org\n")
    (content / "build.xml").write_text("<project name=\"acme\"/>\n")
    repo, _ = make_repo(tmp_path, content)
    sandbox = tmp_path / "sandbox"
    shutil.copytree(SANDBOX, sandbox)
    shutil.copy(SANDBOX / "classes" / "InvoiceService.cls-meta.xml", sandbox / "classes" / "LateFee.cls-meta.xml")
    (sandbox / "classes" / "LateFee.cls").write_text("public with sharing class LateFee {}\n")
    result = compare(str(sandbox), "git:main", repo=repo).as_json()
    assert not [row for row in result["components"] if row["type"] == "Unknown"]  # README, build.xml: not metadata
    assert result["summary"] == {"new": 5, "changed": 5, "deleted": 1, "identical": 14}
    code, _, err = run("commit", "--repo", str(repo), "--source", str(sandbox), "--base", "main",
                       "--branch", "ant", "-m", "late fee", "--select", "CustomField:Invoice__c.Late_Fee__c",
                       "--select", "Profile:Admin/fieldPermissions:Invoice__c.Late_Fee__c", "--select", "ApexClass:LateFee")
    assert code == 0, err
    assert sorted(git(repo, "diff", "--name-only", "main", "ant").split()) == [
        "src/classes/LateFee.cls", "src/classes/LateFee.cls-meta.xml",
        "src/objects/Invoice__c.object", "src/package.xml", "src/profiles/Admin.profile"]
    assert changed_lines(repo, "ant", "src/package.xml") == [
        "+        <members>LateFee</members>", "+        <members>Invoice__c.Late_Fee__c</members>"]
    for name in ("LateFee.cls", "LateFee.cls-meta.xml"):
        assert git(repo, "show", f"ant:src/classes/{name}") == (sandbox / "classes" / name).read_text()
    assert all(line.startswith("+") for line in changed_lines(repo, "ant", "src/objects/Invoice__c.object"))


def test_a_deleted_component_takes_its_in_file_children_with_it(tmp_path: Path) -> None:
    """Metadata-API format: an object deleted in the sandbox, its fields and list views deleted rows of their own.
    The object's file goes; removing the children's entries must not write it back."""
    production_mdapi = tmp_path / "prod-mdapi"
    convert(EXAMPLES / "production" / "force-app", "mdapi", production_mdapi, EXAMPLES, force=False)
    repo, _ = make_repo(tmp_path, production_mdapi)
    sandbox = tmp_path / "sandbox"
    shutil.copytree(production_mdapi, sandbox)
    (sandbox / "objects" / "Invoice__c.object").unlink()
    report = tmp_path / "report.json"
    code, out, err = run("compare", "--source", str(sandbox), "--target", "git:main", "--repo", str(repo), "--json",
                         "--types", "CustomObject")
    assert code == 0, err
    report.write_text(out)
    deleted = {row["type"] for row in json.loads(out)["components"] if row["status"] == "deleted"}
    assert {"CustomObject", "CustomField"} <= deleted
    code, _, err = run("commit", "--repo", str(repo), "--source", str(sandbox), "--base", "main", "--branch", "gone",
                       "-m", "drop invoices", "--from-comparison", str(report))
    assert code == 0, err
    assert git(repo, "diff", "--name-status", "main", "gone").split() == ["D", "objects/Invoice__c.object",
                                                                         "M", "package.xml"]
    from sfhotfix.formats.manifest import read_manifest

    before, _ = read_manifest(git(repo, "show", "main:package.xml").encode(), "main")
    after, _ = read_manifest(git(repo, "show", "gone:package.xml").encode(), "gone")
    # the object and its fields, list views and rule unlisted; the tab (not deleted) still there
    assert {t: m for t, m in before.items() if t not in ("CustomObject", "CustomField", "ListView", "ValidationRule")} \
        == after
    assert after["CustomTab"] == ["Invoice__c"]


def test_a_hand_kept_manifest_is_left_with_a_warning(tmp_path: Path) -> None:
    """A package.xml not written as a retrieve writes it (a packaged org's <fullName>, a wildcard order…) is its
    owner's: untouched, and the commit says so where a new or deleted component would be listed in it (NPSP's
    src/package.xml was warned about for a commit of changed labels)."""
    production_mdapi = tmp_path / "prod-mdapi"
    convert(EXAMPLES / "production" / "force-app", "mdapi", production_mdapi, EXAMPLES, force=False)
    manifest = production_mdapi / "package.xml"
    manifest.write_text(manifest.read_text().replace("<types>", "<fullName>Acme</fullName>\n    <types>", 1))
    repo, _ = make_repo(tmp_path, production_mdapi)
    code, out, err = run("commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main", "--branch", "h",
                         "-m", "late fee", "--select", "CustomField:Invoice__c.Late_Fee__c", "--json")
    assert code == 0, err
    assert git(repo, "diff", "--name-only", "main", "h").split() == ["objects/Invoice__c.object"]
    assert json.loads(out)["warnings"] == [
        "package.xml: not written as a retrieve writes it, so not updated; check that it lists the new components "
        "and not the deleted ones"]
    code, out, err = run("commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main", "--branch", "c",
                         "-m", "days overdue", "--select", "CustomField:Invoice__c.Days_Overdue__c",
                         "--select", "ApexClass:InvoiceService", "--json")
    assert code == 0, err
    assert json.loads(out)["warnings"] == []


def commit_everything(repo: Path, source: Path, tmp_path: Path, branch: str) -> None:
    """Compare ``source`` with main, then commit every row of the report to ``branch``."""
    report = tmp_path / f"{branch}-report.json"
    code, out, err = run("compare", "--source", str(source), "--target", "git:main", "--repo", str(repo), "--json")
    assert code == 0, err
    report.write_text(out)
    code, _, err = run("commit", "--repo", str(repo), "--source", str(source), "--base", "main", "--branch", branch,
                       "-m", "everything", "--from-comparison", str(report))
    assert code == 0, err


def test_committing_every_change_makes_the_branch_equal_to_the_source(tmp_path: Path) -> None:
    repo, _ = make_repo(tmp_path)
    commit_everything(repo, SANDBOX, tmp_path, "all")
    after = compare(str(SANDBOX), "git:all", repo=repo).as_json()["summary"]
    assert after["new"] == after["changed"] == after["deleted"] == 0


@pytest.mark.parametrize("flag, hint", [([], True), (["--with-dependencies"], False)])
def test_dependency_hints(tmp_path: Path, flag: list[str], hint: bool) -> None:
    repo, _ = make_repo(tmp_path)
    code, out, err = run("commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main", "--branch", "h",
                         "-m", "field", "--select", "CustomField:Invoice__c.Late_Fee__c", "--json", *flag)
    assert code == 0, err
    report = json.loads(out)
    related = {"Profile:Admin/fieldPermissions:Invoice__c.Late_Fee__c",
               "PermissionSet:Invoice_Manager/fieldPermissions:Invoice__c.Late_Fee__c",
               "Layout:Invoice__c-Invoice Layout"}
    committed = {c["selector"] for c in report["components"]}
    assert (set(report["dependencyHints"]) == related) is hint
    assert (related <= committed) is not hint


def test_layout_referencing_a_missing_field_is_warned(tmp_path: Path) -> None:
    repo, _ = make_repo(tmp_path)
    code, _, err = run("commit", "--repo", str(repo), "--source", str(SANDBOX), "--base", "main", "--branch", "w",
                       "-m", "layout", "--select", "Layout:Invoice__c-Invoice Layout")
    assert code == 0
    assert "references Invoice__c.Late_Fee__c, which the base branch does not have" in err
    assert "Invoice__c.Amount__c" not in err  # a field production has is not warned about


@pytest.mark.parametrize("names, expected", [
    # retrieved from an org: code-point order ('I' < '_')
    (["Picture_IMG__c", "Picture__c", "Zip__c"], ["Picture_A__c", "Picture_IMG__c", "Picture__c", "Zip__c"]),
    # written by Salesforce's converter: localeCompare order ('_' before letters)
    (["Picture__c", "Picture_IMG__c", "Zip__c"], ["Picture__c", "Picture_A__c", "Picture_IMG__c", "Zip__c"]),
    # neither: after the last
    (["Zip__c", "Picture__c"], ["Zip__c", "Picture__c", "Picture_A__c"]),
])
def test_a_new_entry_goes_where_the_files_order_puts_it(names: list[str], expected: list[str]) -> None:
    from lxml import etree

    from sfhotfix.act.xmlmerge import insert_entry

    ns = "http://soap.sforce.com/2006/04/metadata"
    parent = etree.fromstring(f'<CustomObject xmlns="{ns}">'
                              + "".join(f"<fields><fullName>{n}</fullName></fields>" for n in names) + "</CustomObject>")
    entry = etree.fromstring(f'<fields xmlns="{ns}"><fullName>Picture_A__c</fullName></fields>')
    insert_entry(parent, "fields", entry, ("fullName",), ["fields"])
    assert [f.findtext(f"{{{ns}}}fullName") for f in parent] == expected


def test_a_new_child_goes_beside_its_parent_in_another_package_directory(tmp_path: Path) -> None:
    """Two package directories, the object in the second (not the default): its new field goes beside it, as
    the converter merges a child into the parent it finds; a new class goes to the default directory."""
    content = tmp_path / "two-packages"
    shutil.copytree(EXAMPLES / "production", content)
    project = json.loads((EXAMPLES / "sfdx-project.json").read_text())
    project["packageDirectories"] = [{"path": "force-app", "default": True}, {"path": "billing"}]
    (content / "sfdx-project.json").write_text(json.dumps(project, indent=2))
    (content / "billing" / "main" / "default").mkdir(parents=True)
    shutil.move(content / "force-app" / "main" / "default" / "objects", content / "billing" / "main" / "default")
    repo, _ = make_repo(tmp_path, content)
    sandbox = tmp_path / "sandbox"
    shutil.copytree(SANDBOX, sandbox)
    shutil.copy(SANDBOX / "classes" / "InvoiceService.cls-meta.xml", sandbox / "classes" / "LateFee.cls-meta.xml")
    (sandbox / "classes" / "LateFee.cls").write_text("public with sharing class LateFee {}\n")
    code, _, err = run("commit", "--repo", str(repo), "--source", str(sandbox), "--base", "main", "--branch", "two",
                       "-m", "late fee", "--select", "CustomField:Invoice__c.Late_Fee__c", "--select", "ApexClass:LateFee")
    assert code == 0, err
    assert sorted(git(repo, "diff", "--name-only", "main", "two").split()) == [
        "billing/main/default/objects/Invoice__c/fields/Late_Fee__c.field-meta.xml",
        "force-app/main/default/classes/LateFee.cls", "force-app/main/default/classes/LateFee.cls-meta.xml"]


def split_labels(tmp_path: Path, moved: str) -> Path:
    """The production example with the label ``moved`` kept in a second package directory's labels file."""
    content = tmp_path / "split-labels"
    shutil.copytree(EXAMPLES / "production", content)
    project = json.loads((EXAMPLES / "sfdx-project.json").read_text())
    project["packageDirectories"] = [{"path": "force-app", "default": True}, {"path": "billing"}]
    (content / "sfdx-project.json").write_text(json.dumps(project, indent=2))
    labels = content / "force-app/main/default/labels/CustomLabels.labels-meta.xml"
    head, _, rest = labels.read_text().partition("    <labels>")
    entries = ["    <labels>" + entry for entry in ("    <labels>" + rest).split("    <labels>")[1:]]
    entries[-1] = entries[-1].replace("</CustomLabels>\n", "")
    kept = [entry for entry in entries if f"<fullName>{moved}<" not in entry]
    assert len(kept) == len(entries) - 1
    labels.write_text(head + "".join(kept) + "</CustomLabels>\n")
    other = content / "billing/main/default/labels/CustomLabels.labels-meta.xml"
    other.parent.mkdir(parents=True)
    other.write_text(head + next(entry for entry in entries if entry not in kept) + "</CustomLabels>\n")
    return content


def test_labels_kept_in_two_package_directories_are_edited_where_they_are(tmp_path: Path) -> None:
    """A label in the second package directory's file (billing, read first) is changed in that file; a new
    label goes to the default package directory's file, as Salesforce's converter puts it; before, the changed
    label was unseen and committed as new: a second copy in the default file."""
    repo, _ = make_repo(tmp_path, split_labels(tmp_path, "Invoice_Paid_Thanks"))
    sandbox = tmp_path / "sandbox"
    shutil.copytree(SANDBOX, sandbox)
    labels = sandbox / "labels" / "CustomLabels.labels"
    labels.write_text(labels.read_text().replace("we received your payment", "we have your payment"))
    rows = {r.selector: r.status for r in compare(str(sandbox), "git:main", repo=repo).rows}
    assert rows["CustomLabel:Invoice_Paid_Thanks"] == "changed"
    code, _, err = run("commit", "--repo", str(repo), "--source", str(sandbox), "--base", "main", "--branch", "labels",
                       "-m", "labels", "--select", "CustomLabel:Invoice_Paid_Thanks",
                       "--select", "CustomLabel:Invoice_Late_Fee_Notice")
    assert code == 0, err
    billing = "billing/main/default/labels/CustomLabels.labels-meta.xml"
    default = "force-app/main/default/labels/CustomLabels.labels-meta.xml"
    assert sorted(git(repo, "diff", "--name-only", "main", "labels").split()) == [billing, default]
    assert changed_lines(repo, "labels", billing) == [
        "-        <value>Thank you &apos;{0}&apos;, we received your payment.</value>",
        "+        <value>Thank you &apos;{0}&apos;, we have your payment.</value>"]
    added = changed_lines(repo, "labels", default)
    assert added[1] == "+        <fullName>Invoice_Late_Fee_Notice</fullName>" and all(line[0] == "+" for line in added)
    assert "Invoice_Paid_Thanks" not in git(repo, "show", f"labels:{default}")


def test_an_experience_cloud_sites_content_is_committed_view_by_view(tmp_path: Path) -> None:
    """From a retrieve (metadata-API format) into a source repository: a changed view with a new mobile variant,
    and a new view, each a DigitalExperience row of its own; the commit writes those files only, and the branch
    then compares identical to the retrieve."""
    from test_convert import write_site

    content = tmp_path / "production"
    shutil.copytree(EXAMPLES / "production", content)
    write_site(content / "force-app" / "main" / "default")
    repo, _ = make_repo(tmp_path, content)
    retrieve = tmp_path / "retrieve"
    write_site(retrieve)
    (retrieve / "package.xml").write_text('<?xml version="1.0" encoding="UTF-8"?>\n<Package xmlns="http://soap.'
                                          'sforce.com/2006/04/metadata">\n    <version>63.0</version>\n</Package>\n')
    views = retrieve / "digitalExperiences" / "site" / "Shop1" / "sfdc_cms__view"
    (views / "home" / "content.json").write_text('{"type":"sfdc_cms__view","title":"Home v2","contentBody":{}}\n')
    (views / "home" / "mobile").mkdir()
    (views / "home" / "mobile" / "mobile.json").write_text('{"mobile":true}\n')
    (views / "about").mkdir()
    (views / "about" / "_meta.json").write_text('{"apiName":"about","type":"sfdc_cms__view","path":"views"}\n')
    rows = {r.selector: r.status for r in compare(str(retrieve), "git:main", repo=repo).rows
            if r.status != "identical" and r.type.startswith("Digital")}  # the retrieve holds the site alone
    assert rows == {"DigitalExperience:site/Shop1.sfdc_cms__view/home": "changed",
                    "DigitalExperience:site/Shop1.sfdc_cms__view/about": "new"}
    code, _, err = run("commit", "--repo", str(repo), "--source", str(retrieve), "--base", "main", "--branch", "site",
                       "-m", "site", *(arg for selector in rows for arg in ("--select", selector)))
    assert code == 0, err
    site = "force-app/main/default/digitalExperiences/site/Shop1/sfdc_cms__view"
    assert sorted(git(repo, "diff", "--name-only", "main", "site").split()) == [
        f"{site}/about/_meta.json", f"{site}/home/content.json", f"{site}/home/mobile/mobile.json"]
    after = [r for r in compare(str(retrieve), "git:site", repo=repo).rows if r.type.startswith("Digital")]
    assert {r.status for r in after} == {"identical"} and len(after) == 4


def test_bundles_and_a_folder_static_resource_are_committed_file_by_file(tmp_path: Path) -> None:
    """An LWC bundle changed (a file edited, one added, one removed), one new, one deleted, and a static resource
    kept as a folder with a file added: committing every row makes the branch's files the sandbox's."""
    ns = 'xmlns="http://soap.sforce.com/2006/04/metadata"'

    def bundle(root: Path, name: str) -> None:
        folder = root / "lwc" / name
        folder.mkdir(parents=True)
        (folder / f"{name}.js").write_text(f"export default class {name} {{}}\n")
        (folder / f"{name}.html").write_text("<template><p>hi</p></template>\n")
        (folder / f"{name}.js-meta.xml").write_text(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<LightningComponentBundle {ns}>\n    <apiVersion>62.0</apiVersion>\n'
            "    <isExposed>false</isExposed>\n</LightningComponentBundle>\n")

    production = tmp_path / "production"
    shutil.copytree(EXAMPLES / "production", production)
    default = production / "force-app" / "main" / "default"
    bundle(default, "invoiceCard")
    bundle(default, "oldCard")
    (default / "staticresources" / "brand").mkdir(parents=True)
    (default / "staticresources" / "brand" / "style.css").write_text("a{}\n")
    (default / "staticresources" / "brand.resource-meta.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<StaticResource {ns}>\n    <cacheControl>Public</cacheControl>\n'
        "    <contentType>application/zip</contentType>\n</StaticResource>\n")
    repo, _ = make_repo(tmp_path, production)
    sandbox = tmp_path / "sandbox"
    shutil.copytree(production, sandbox)
    changed = sandbox / "force-app" / "main" / "default"
    (changed / "lwc" / "invoiceCard" / "invoiceCard.js").write_text("export default class invoiceCard { late = true; }\n")
    (changed / "lwc" / "invoiceCard" / "invoiceCard.css").write_text(".late{color:red}\n")
    (changed / "lwc" / "invoiceCard" / "invoiceCard.html").unlink()
    shutil.rmtree(changed / "lwc" / "oldCard")
    bundle(changed, "lateFeeBanner")
    (changed / "staticresources" / "brand" / "extra.txt").write_text("x\n")
    commit_everything(repo, sandbox, tmp_path, "ui")
    branch = {path: git(repo, "show", f"ui:{path}") for path in git(repo, "ls-tree", "-r", "--name-only", "ui").split()
              if path.startswith("force-app/main/default/lwc/") or "staticresources" in path}
    expected = {p.relative_to(sandbox).as_posix(): p.read_text() for p in sandbox.rglob("*")
                if p.is_file() and ("/lwc/" in p.as_posix() or "staticresources" in p.as_posix())}
    assert branch == expected


def test_a_static_resource_crosses_formats_as_a_zip_or_a_folder(tmp_path: Path) -> None:
    """A zip static resource is a folder in source format and one .resource file in metadata-API format: the same
    files compare identical, a changed one shows by its name in the folder, and committing it into the
    metadata-API repository writes the .resource zip again. A selection of content-file types only (a class) is
    placed by the repository's format, not by the few files in focus."""
    import io
    import zipfile

    ns = 'xmlns="http://soap.sforce.com/2006/04/metadata"'
    project = tmp_path / "project"
    shutil.copytree(EXAMPLES / "production", project)
    resources = project / "force-app" / "main" / "default" / "staticresources"
    (resources / "brand").mkdir(parents=True)
    (resources / "brand" / "style.css").write_text("a{}\n")
    (resources / "brand" / "logo.svg").write_text("<svg/>\n")
    (resources / "brand.resource-meta.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<StaticResource {ns}>\n    <cacheControl>Public</cacheControl>\n'
        "    <contentType>application/zip</contentType>\n</StaticResource>\n")
    production_mdapi = tmp_path / "prod-mdapi"
    convert(project / "force-app", "mdapi", production_mdapi, project, force=False)
    repo, _ = make_repo(tmp_path, production_mdapi)
    assert compare(str(project), "git:main", repo=repo).as_json()["summary"]["changed"] == 0
    (resources / "brand" / "style.css").write_text("a{color:blue}\n")
    classes = project / "force-app" / "main" / "default" / "classes"
    shutil.copy(classes / "InvoiceService.cls-meta.xml", classes / "LateFee.cls-meta.xml")
    (classes / "LateFee.cls").write_text("public with sharing class LateFee {}\n")
    rows = [row for row in compare(str(project), "git:main", repo=repo).rows if row.status != "identical"]
    assert [(row.selector, row.status, sorted(row.diffs)) for row in rows] == [
        ("ApexClass:LateFee", "new", []), ("StaticResource:brand", "changed", ["brand/style.css"])]
    code, _, err = run("commit", "--repo", str(repo), "--source", str(project), "--base", "main", "--branch", "sr",
                       "-m", "brand", "--select", "StaticResource:brand", "--select", "ApexClass:LateFee")
    assert code == 0, err
    assert sorted(git(repo, "diff", "--name-only", "main", "sr").split()) == [
        "classes/LateFee.cls", "classes/LateFee.cls-meta.xml", "package.xml", "staticresources/brand.resource"]
    data = subprocess.run(["git", "-C", str(repo), "show", "sr:staticresources/brand.resource"], capture_output=True,
                          check=True).stdout
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {name: archive.read(name) for name in archive.namelist()} == {
            "style.css": b"a{color:blue}\n", "logo.svg": b"<svg/>\n"}
    code, _, err = run("commit", "--repo", str(repo), "--source", str(project), "--base", "main", "--branch", "brand",
                       "-m", "brand", "--select", "StaticResource:brand")
    assert code == 0, err
    assert git(repo, "diff", "--name-only", "main", "brand").split() == ["staticresources/brand.resource"]


@pytest.mark.parametrize("text, why", [
    ("{bad", "Expecting property name"),
    ('{"components": [{"selector": 5, "status": "new"}]}', "the selector 5 is not text"),
    ("[1, 2]", "list indices"),
    ('{"components": [5]}', "has no attribute"),
    ('{"summary": {}}', "components"),
])
def test_a_file_that_is_not_a_comparison_report_is_a_one_line_error(tmp_path: Path, text: str, why: str) -> None:
    from sfhotfix.act.selection import read_selectors
    from sfhotfix.errors import UsageError

    report = tmp_path / "report.json"
    report.write_text(text)
    with pytest.raises(UsageError) as raised:
        read_selectors((), None, report)
    message = str(raised.value)
    assert message.startswith(f"{report}: not a report of `sfhotfix compare --json`") and why in message
    assert "\n" not in message
