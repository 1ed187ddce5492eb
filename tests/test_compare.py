"""The semantic comparer: real in-file fixtures, cross-format comparisons, properties, bad input."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sfhotfix.cli import main
from sfhotfix.compare import Filters, compare
from sfhotfix.compare.revisions import revision_report
from sfhotfix.inventory import convert

EXAMPLE = Path(__file__).resolve().parents[1] / "examples"
NS = "http://soap.sforce.com/2006/04/metadata"

# where each fixture's file lives, by its root element (metadata-API layout)
FIXTURE_PATHS = {
    "Profile": "profiles/Admin.profile",
    "PermissionSet": "permissionsets/Stress.permissionset",
    "CustomObjectTranslation": "objectTranslations/Account-es.objectTranslation",
    "Translations": "translations/fr.translation",
    "Workflow": "workflows/Account.workflow",
}


def fixture_dirs(fixture: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Lay out a fixture's to.xml as the source and from.xml as the target (absent when empty)."""
    to_xml = (fixture / "to.xml").read_bytes()
    root = to_xml.split(b"<", 3)[2].split(b" ", 1)[0].split(b">", 1)[0].decode()
    rel = FIXTURE_PATHS[root]
    source, target = tmp_path / "source", tmp_path / "target"
    for side, data in ((source, to_xml), (target, (fixture / "from.xml").read_bytes())):
        side.mkdir()
        if data.strip():
            (side / rel).parent.mkdir(parents=True)
            (side / rel).write_bytes(data)
    return source, target


def sgd_fixtures(realdata: Path) -> list[Path]:
    return sorted(p for p in (realdata / "sgd-infile-fixtures").iterdir() if p.is_dir())


def test_sgd_infile_fixtures(realdata: Path, tmp_path: Path) -> None:
    """Fixtures whose two files are byte-identical (profile-identical, and custom-object-translation-empty-root,
    whose from.xml and to.xml are the same bytes) compare all identical; every other fixture differs;
    workflow alerts get the status expected.json gives them."""
    fixtures = sgd_fixtures(realdata)
    assert len(fixtures) >= 17
    assert "profile-identical" in {f.name for f in fixtures}
    for fixture in fixtures:
        work = tmp_path / fixture.name
        work.mkdir()
        source, target = fixture_dirs(fixture, work)
        result = compare(str(source), str(target), include_identical=True)
        statuses = {r.status for r in result.rows}
        if (fixture / "from.xml").read_bytes() == (fixture / "to.xml").read_bytes():
            assert statuses == {"identical"}, fixture.name
            continue
        assert statuses - {"identical"}, f"{fixture.name}: no difference found"
        expected = json.loads((fixture / "expected.json").read_text())
        alerts = {r.full_name.split(".", 1)[1]: r.status for r in result.rows if r.type == "WorkflowAlert"}
        for kind, status in (("added", "new"), ("modified", "changed"), ("deleted", "deleted")):
            for member in expected[kind]:
                if member["type"] == "WorkflowAlert":
                    assert alerts.get(member["member"]) == status, (fixture.name, member)


def test_profile_keyed_entries_ignore_order_and_whitespace(realdata: Path, tmp_path: Path) -> None:
    profile = (realdata / "org-profiles-eda" / "src" / "profiles" / "Admin.profile").read_text()
    (tmp_path / "a" / "profiles").mkdir(parents=True)
    (tmp_path / "b" / "profiles").mkdir(parents=True)
    (tmp_path / "a" / "profiles" / "Admin.profile").write_text(profile)
    entries = profile.split("    <fieldPermissions>")
    head, perms = entries[0], entries[1:]
    last = perms[-1]
    tail_at = last.index("</fieldPermissions>\n") + len("</fieldPermissions>\n")
    perms[-1], tail = last[:tail_at], last[tail_at:]
    random.Random(7).shuffle(perms)
    shuffled = head + "".join("  <fieldPermissions>" + p.replace("        ", "      ") for p in perms) + tail
    (tmp_path / "b" / "profiles" / "Admin.profile").write_text(shuffled)
    result = compare(str(tmp_path / "a"), str(tmp_path / "b"), include_identical=True)
    assert {r.status for r in result.rows} == {"identical"}
    assert len([r for r in result.rows if r.type == "Profile.fieldPermissions"]) == len(perms)


def test_metadata_api_folder_equals_its_source_conversion(tmp_path: Path) -> None:
    convert(EXAMPLE / "hotfix-sandbox", "source", tmp_path / "force-app", EXAMPLE, force=False)
    shutil.copy(EXAMPLE / "sfdx-project.json", tmp_path)
    result = compare(str(EXAMPLE / "hotfix-sandbox"), str(tmp_path))
    assert result.as_json()["summary"]["changed"] == 0
    assert result.as_json()["summary"]["new"] == result.as_json()["summary"]["deleted"] == 0
    assert result.as_json()["summary"]["identical"] > 20


SNAPSHOTS = ["customLabels-simple", "customObjects-and-children", "preset-PermSet", "workflow"]


@pytest.mark.parametrize("snapshot", SNAPSHOTS)
def test_sdr_snapshots_compare_identical_across_formats(realdata: Path, snapshot: str) -> None:
    """Salesforce's own conversions of one project hold the same components in both formats, each way round;
    preset-PermSet's decomposePermissionSetBeta makes FieldPermission… child types, not subcomponents."""
    project = realdata / "sdr-snapshots" / snapshot
    source = project / "__snapshots__" / "verify-source-files.expected"
    for mdapi in (project / "originalMdapi", project / "__snapshots__" / "verify-md-files.expected"):
        for a, b in ((source, mdapi), (mdapi, source)):
            summary = compare(str(a), str(b), project_dir=project).as_json()["summary"]
            assert summary["new"] == summary["changed"] == summary["deleted"] == 0, (a, b, summary)
            assert summary["identical"] > 0


def test_sdr_preset_permission_set_children_are_child_rows(realdata: Path, tmp_path: Path) -> None:
    """One field permission changed in the decomposed permission set: one FieldPermission row (its parent's
    own XML is the same, as a CustomObject's is when one of its fields changes), and no subcomponent row of
    the parent's for the sections that are child types."""
    project = realdata / "sdr-snapshots" / "preset-PermSet"
    source = tmp_path / "source"
    shutil.copytree(project / "__snapshots__" / "verify-source-files.expected", source)
    entry = source / "force-app/main/default/permissionsets/dreamhouse/fieldPermissions/Broker__c.Email__c.fieldPermission-meta.xml"
    entry.write_text(entry.read_text().replace("<editable>true</editable>", "<editable>false</editable>"))
    rows = [r for r in compare(str(source), str(project / "originalMdapi"), project_dir=project).rows
            if r.status != "identical"]
    assert [(r.selector, r.status, r.parent) for r in rows] == [
        ("FieldPermission:dreamhouse.Broker__c.Email__c", "changed", ("PermissionSet", "dreamhouse"))]


def test_real_projects_compare_identical_to_their_conversions(realdata: Path, tmp_path: Path) -> None:
    """The org-retrieved EDA project (metadata-API format) and dreamhouse (source format) against their
    conversions by sfhotfix: every component identical, each way round."""
    eda, eda_source = realdata / "org-profiles-eda" / "src", tmp_path / "eda"
    (eda_source).mkdir()
    (eda_source / "sfdx-project.json").write_text('{"packageDirectories": [{"path": "force-app", "default": true}]}')
    convert(eda, "source", eda_source / "force-app", eda_source, force=False)
    dreamhouse, dreamhouse_mdapi = realdata / "dreamhouse-source", tmp_path / "dreamhouse"
    convert(dreamhouse / "force-app", "mdapi", dreamhouse_mdapi, dreamhouse, force=False)
    for a, b, components in ((eda_source, eda, 2000), (dreamhouse, dreamhouse_mdapi, 50)):
        for source, target in ((a, b), (b, a)):
            summary = compare(str(source), str(target)).as_json()["summary"]
            assert summary["new"] == summary["changed"] == summary["deleted"] == 0, (source, target, summary)
            assert summary["identical"] > components


def test_an_object_folder_without_its_own_file_is_the_bare_object(realdata: Path, tmp_path: Path) -> None:
    """A standard object kept in source format as fields alone (lwc-recipes keeps Account so: no
    Account.object-meta.xml) is the object Salesforce's converter composes from them: identical to a retrieve's
    Account.object holding those fields, each way round; a file that adds object settings shows them. The
    conversion's package.xml lists the fields and not the object."""
    source = tmp_path / "source"
    shutil.copytree(realdata / "dreamhouse-source", source)
    (source / "force-app/main/default/objects/Broker__c/Broker__c.object-meta.xml").unlink()
    mdapi = tmp_path / "mdapi"
    convert(source / "force-app", "mdapi", mdapi, source, force=False)
    assert b"<sharingModel>" not in (mdapi / "objects" / "Broker__c.object").read_bytes()  # the fields alone
    objects = (mdapi / "package.xml").read_text().split("<name>CustomField</name>")[1].split("</types>")[1]
    assert "<name>CustomObject</name>" in objects  # the object not listed, as SDR 13.7 left it out of this tree's
    assert "<members>Property__c</members>" in objects and "<members>Broker__c</members>" not in objects
    for a, b in ((source, mdapi), (mdapi, source)):
        summary = compare(str(a), str(b)).as_json()["summary"]
        assert summary["new"] == summary["changed"] == summary["deleted"] == 0, (a, b, summary)
    rows = [r for r in compare(str(source), str(realdata / "dreamhouse-source")).rows if r.status != "identical"]
    assert [(r.selector, r.status) for r in rows] == [("CustomObject:Broker__c", "changed")]
    removed = {change.path: change.kind for change in rows[0].changes}
    assert removed["label"] == removed["sharingModel"] == "removed" and set(removed.values()) == {"removed"}


LABEL = """    <labels>
        <fullName>{0}</fullName>
        <language>en_US</language>
        <protected>false</protected>
        <shortDescription>{0}</shortDescription>
        <value>{1}</value>
    </labels>
"""


def labels_file(*entries: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomLabels xmlns="{NS}">\n' + "".join(entries)
            + "</CustomLabels>\n")


def two_package_project(root: Path) -> None:
    root.mkdir(parents=True)
    (root / "sfdx-project.json").write_text(json.dumps({"packageDirectories": [
        {"path": "force-app", "default": True}, {"path": "billing"}], "sourceApiVersion": "63.0"}))


def committed(repo: Path, message: str) -> None:
    """Everything in ``repo`` committed, the repository made first where there is none."""
    if not (repo / ".git").exists():
        git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def assert_refused(repo: Path, sides: tuple[tuple[str, str], ...], message: str) -> None:
    """``compare`` of each (source, target) of ``repo`` exits 2 with ``message``, naming the source."""
    for source, target in sides:
        result = CliRunner().invoke(main, ["compare", "--source", source, "--target", target, "--repo", str(repo),
                                           "--json"])
        label = source if source.startswith("git:") else str(repo)
        assert (result.exit_code, result.stderr) == (2, message.format(label)), (source, target)


def test_labels_in_two_package_directories_are_one_set_of_labels(tmp_path: Path) -> None:
    """Labels kept in a file per package directory (Salesforce's converter merges them) compare as the labels
    of one file, convert into one CustomLabels.labels, and compare the same way between git revisions; before,
    the second file's labels were unseen (a content file of the first) and convert dropped them."""
    one, two = LABEL.format("One", "First"), LABEL.format("Two", "Second")
    split, whole = tmp_path / "split", tmp_path / "whole"
    for root in (split, whole):
        two_package_project(root)
        (root / "force-app/main/default/labels").mkdir(parents=True)
    (split / "force-app/main/default/labels/CustomLabels.labels-meta.xml").write_text(labels_file(one))
    (split / "billing/labels").mkdir(parents=True)
    (split / "billing/labels/CustomLabels.labels-meta.xml").write_text(labels_file(two))
    (whole / "force-app/main/default/labels/CustomLabels.labels-meta.xml").write_text(labels_file(one, two))
    for a, b in ((split, whole), (whole, split)):
        assert statuses(compare(str(a), str(b), include_identical=True)) == {
            "CustomLabels:CustomLabels": "identical", "CustomLabel:One": "identical", "CustomLabel:Two": "identical"}
    convert(split, "mdapi", tmp_path / "mdapi", split, force=False)
    assert (tmp_path / "mdapi/labels/CustomLabels.labels").read_text() == labels_file(one, two)
    repo = tmp_path / "repo"
    shutil.copytree(whole, repo)
    committed(repo, "A")
    shutil.rmtree(repo / "force-app")
    shutil.copytree(split / "force-app", repo / "force-app")
    shutil.copytree(split / "billing", repo / "billing")
    (repo / "billing/labels/CustomLabels.labels-meta.xml").write_text(labels_file(LABEL.format("Two", "Fixed")))
    committed(repo, "B")
    report = revision_report("git:HEAD", "git:HEAD~1", repo)
    assert report is not None
    assert report["summary"] == {"new": 0, "changed": 1, "deleted": 0, "identical": 2}
    assert [c["selector"] for c in report["components"]] == ["CustomLabel:Two"]
    assert report["summary"] == compare("git:HEAD", "git:HEAD~1", repo).as_json()["summary"]


def test_a_label_in_two_package_directories_files_is_a_one_line_error(tmp_path: Path) -> None:
    """The same label in the labels files of two package directories: the converter would merge both into one
    file, which a deploy refuses, so every comparison refuses it by name, whether its files changed or not."""
    repo = tmp_path / "repo"
    two_package_project(repo)
    (repo / "force-app/main/default/labels").mkdir(parents=True)
    (repo / "force-app/main/default/labels/CustomLabels.labels-meta.xml").write_text(labels_file(LABEL.format("One", "a")))
    (repo / "billing/labels").mkdir(parents=True)
    (repo / "billing/labels/CustomLabels.labels-meta.xml").write_text(labels_file(LABEL.format("One", "b")))
    (repo / "billing/labels/Other.txt").write_text("not metadata\n")
    committed(repo, "A")
    (repo / "billing/labels/Other.txt").write_text("still not metadata\n")
    committed(repo, "B: the labels untouched")
    (repo / "billing/labels/CustomLabels.labels-meta.xml").write_text(labels_file(LABEL.format("One", "c")))
    committed(repo, "C: the labels touched")
    assert_refused(repo, ((str(repo), str(repo)), ("git:HEAD~1", "git:HEAD~2"), ("git:HEAD", "git:HEAD~1")),
                   "sfhotfix: error: CustomLabel:One is in two files, {0}/billing/labels/CustomLabels.labels-meta.xml "
                   "and {0}/force-app/main/default/labels/CustomLabels.labels-meta.xml: keep one (a deploy cannot take "
                   "both)\n")


def test_an_object_in_two_package_directories_is_read_as_salesforces_converter_reads_it(tmp_path: Path) -> None:
    """Account's folder in two package directories, each with an Account.object-meta.xml and a field: the
    object has both fields and the settings of the file in the project's first package directory (force-app,
    although billing sorts first): Salesforce's converter passes over the other file, as SDR 13.7 did on this
    tree. The same in a whole comparison and between revisions."""
    repo = tmp_path / "repo"
    two_package_project(repo)
    for folder, setting, field in (("billing", "enableHistory", "Billed__c"), ("force-app", "enableFeeds", "Fed__c")):
        objects = repo / folder / "objects" / "Account"
        (objects / "fields").mkdir(parents=True)
        (objects / "Account.object-meta.xml").write_text(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns="{NS}">\n    <{setting}>true</{setting}>\n'
            "</CustomObject>\n")
        (objects / "fields" / f"{field}.field-meta.xml").write_text(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomField xmlns="{NS}">\n    <fullName>{field}</fullName>\n'
            f"    <label>{field}</label>\n    <type>Checkbox</type>\n    <defaultValue>false</defaultValue>\n"
            "</CustomField>\n")
    convert(repo, "mdapi", tmp_path / "mdapi", repo, force=False)
    merged = (tmp_path / "mdapi/objects/Account.object").read_text()
    assert "<enableFeeds>" in merged and "<enableHistory>" not in merged
    assert merged.index("<fullName>Billed__c") < merged.index("<fullName>Fed__c")
    assert set(statuses(compare(str(tmp_path / "mdapi"), str(repo), include_identical=True)).values()) == {"identical"}
    committed(repo, "A")
    for folder, changed in (("billing", 0), ("force-app", 1)):
        settings = repo / folder / "objects/Account/Account.object-meta.xml"
        settings.write_text(settings.read_text().replace("true", "false"))
        committed(repo, f"{folder} changed")
        report = revision_report("git:HEAD", "git:HEAD~1", repo)
        assert report == compare("git:HEAD", "git:HEAD~1", repo).as_json()
        assert report["summary"] == {"new": 0, "changed": changed, "deleted": 0, "identical": 3 - changed}


def test_a_component_in_two_package_directories_is_a_one_line_error(tmp_path: Path) -> None:
    """One class in two package directories: a deploy would send whichever file the converter read last, so
    every comparison refuses it by name, whether its files changed between two revisions or not."""
    repo = tmp_path / "repo"
    two_package_project(repo)
    meta = f'<?xml version="1.0" encoding="UTF-8"?>\n<ApexClass xmlns="{NS}">\n    <apiVersion>63.0</apiVersion>\n' \
           "    <status>Active</status>\n</ApexClass>\n"
    for folder in ("force-app/main/default/classes", "billing/classes"):
        (repo / folder).mkdir(parents=True)
        (repo / folder / "Foo.cls").write_text("public class Foo {}\n")
        (repo / folder / "Foo.cls-meta.xml").write_text(meta)
    committed(repo, "A")
    (repo / "billing/classes/Bar.cls").write_text("public class Bar {}\n")
    (repo / "billing/classes/Bar.cls-meta.xml").write_text(meta)
    committed(repo, "B")
    assert_refused(repo, ((str(repo), str(repo)), ("git:HEAD", "git:HEAD~1"), ("git:HEAD", "git:HEAD")),
                   "sfhotfix: error: ApexClass:Foo is in two files, {0}/billing/classes/Foo.cls-meta.xml and "
                   "{0}/force-app/main/default/classes/Foo.cls-meta.xml: keep one (a deploy cannot take both)\n")


def edited_copy(tmp_path: Path) -> Path:
    """The example with a hotfix: a picklist label changed, an FLS entry removed, Apex changed."""
    copy = tmp_path / "edited"
    shutil.copytree(EXAMPLE / "hotfix-sandbox", copy)
    obj = copy / "objects" / "Invoice__c.object"
    obj.write_text(obj.read_text().replace("<label>Overdue</label>", "<label>Late</label>"))
    profile = copy / "profiles" / "Admin.profile"
    text = profile.read_text()
    start = text.index("    <fieldPermissions>\n        <editable>false</editable>\n        <field>Invoice__c.Late_Fee__c")
    end = text.index("</fieldPermissions>\n", start) + len("</fieldPermissions>\n")
    profile.write_text(text[:start] + text[end:])
    apex = copy / "classes" / "InvoiceService.cls"
    apex.write_text(apex.read_text().replace("0.02", "0.03"))
    return copy


def test_changes_are_reported_with_selectors_and_paths(tmp_path: Path) -> None:
    target = edited_copy(tmp_path)
    report = compare(str(EXAMPLE / "hotfix-sandbox"), str(target)).as_json()
    rows = {r["selector"]: r for r in report["components"]}
    status = rows["CustomField:Invoice__c.Status__c"]
    assert status["status"] == "changed" and status["parent"] == {"type": "CustomObject", "fullName": "Invoice__c"}
    assert status["changes"] == [{"path": "valueSet.valueSetDefinition.value[2].label", "kind": "modified",
                                  "source": "Overdue", "target": "Late"}]
    fls = rows["Profile:Admin/fieldPermissions:Invoice__c.Late_Fee__c"]
    assert fls["status"] == "new" and fls["parent"] == {"type": "Profile", "fullName": "Admin"}
    apex = rows["ApexClass:InvoiceService"]
    assert "-    public static final Decimal LATE_FEE_RATE = 0.03;" in apex["changes"][0]["diff"]
    assert "CustomObject:Invoice__c" not in rows  # its own content did not change
    assert report["summary"]["changed"] == 3 and report["summary"]["new"] == 1


def test_reorder_of_an_ordered_list_is_reported(tmp_path: Path) -> None:
    target = tmp_path / "t"
    shutil.copytree(EXAMPLE / "hotfix-sandbox", target)
    layout = target / "layouts" / "Invoice__c-Invoice Layout.layout"
    text = layout.read_text()
    a = "            <layoutItems>\n                <behavior>Required</behavior>\n                <field>Account__c</field>\n            </layoutItems>\n"
    b = "            <layoutItems>\n                <behavior>Required</behavior>\n                <field>Amount__c</field>\n            </layoutItems>\n"
    layout.write_text(text.replace(a + b, b + a))
    row = compare(str(EXAMPLE / "hotfix-sandbox"), str(target)).find("Layout:Invoice__c-Invoice Layout")
    assert row is not None and row.status == "changed"
    assert [c.kind for c in row.changes] == ["reordered"]


def test_filters(tmp_path: Path) -> None:
    target = edited_copy(tmp_path)
    only_profiles = compare(str(EXAMPLE / "hotfix-sandbox"), str(target), filters=Filters.parse("Profile", None, None, None))
    assert {r.type for r in only_profiles.rows} == {"Profile", "Profile.fieldPermissions"}
    no_apex = compare(str(EXAMPLE / "hotfix-sandbox"), str(target), filters=Filters.parse(None, "ApexClass", None, "changed"))
    assert {r.selector for r in no_apex.rows} == {"CustomField:Invoice__c.Status__c", "Profile:Admin"}
    named = compare(str(EXAMPLE / "hotfix-sandbox"), str(target), filters=Filters.parse(None, None, "*Late_Fee*", None))
    assert {c["selector"] for c in named.as_json()["components"]} == {"Profile:Admin/fieldPermissions:Invoice__c.Late_Fee__c"}
    assert {r.selector for r in named.rows} == {"Profile:Admin/fieldPermissions:Invoice__c.Late_Fee__c",
                                                 "CustomField:Invoice__c.Late_Fee__c", "CustomLabel:Invoice_Late_Fee_Notice"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          check=True, capture_output=True, text=True).stdout


def test_git_revision_as_target_without_checkout(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shutil.copy(EXAMPLE / "sfdx-project.json", repo)
    convert(EXAMPLE / "hotfix-sandbox", "source", repo / "force-app", EXAMPLE, force=False)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "production")
    (repo / "force-app" / "main" / "default" / "classes" / "InvoiceService.cls").write_text("dirty working tree")
    before = git(repo, "status", "--porcelain")
    result = compare(str(edited_copy(tmp_path)), "git:main", repo=repo)
    assert git(repo, "status", "--porcelain") == before
    selectors = {r.selector for r in result.rows if r.status != "identical"}
    assert "ApexClass:InvoiceService" in selectors  # against the committed class, not the dirty file
    assert "Profile:Admin/fieldPermissions:Invoice__c.Late_Fee__c" in selectors
    sub = compare("git:main:force-app", "git:main", repo=repo)
    assert sub.as_json()["summary"]["changed"] == 0


def test_cli_json_html_and_diff(tmp_path: Path) -> None:
    target = edited_copy(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["compare", "--source", str(EXAMPLE / "hotfix-sandbox"), "--target", str(target),
                                  "--json", "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["summary"]) == {"new", "changed", "deleted", "identical"}
    assert all(set(c) >= {"type", "fullName", "selector", "status", "parent", "changes"} for c in report["components"])
    assert "Invoice__c.Status__c" in (tmp_path / "r.html").read_text()
    result = runner.invoke(main, ["diff", "--source", str(EXAMPLE / "hotfix-sandbox"), "--target", str(target),
                                  "ApexClass:InvoiceService"])
    assert result.exit_code == 0 and "0.03" in result.stdout and "0.02" in result.stdout


def test_diff_reads_only_what_its_selector_can_live_in_and_prints_what_the_whole_comparison_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = edited_copy(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    spec = ["--source", str(EXAMPLE / "hotfix-sandbox"), "--target", str(target)]
    report = json.loads(runner.invoke(main, ["compare", *spec, "--json"]).stdout)
    selectors = [c["selector"] for c in report["components"]]
    assert any("/fieldPermissions:" in s for s in selectors) and any(s.startswith("CustomField:") for s in selectors)
    focused = {s: runner.invoke(main, ["diff", *spec, s]) for s in selectors}
    monkeypatch.setattr("sfhotfix.compare.focus.focus", lambda *args, **kwargs: None)
    for selector, result in focused.items():
        whole = runner.invoke(main, ["diff", *spec, selector])
        assert result.exit_code == whole.exit_code == 0, (selector, result.stderr)
        assert result.stdout == whole.stdout, selector


@pytest.mark.parametrize("spec, message", [
    ("nope-folder", "no such file or folder"),
    ("/dev/null", "neither a folder nor a .zip file"),
    ("git:no-such-ref", "unknown revision"),
])
def test_bad_specs_are_one_line_errors(tmp_path: Path, spec: str, message: str) -> None:
    git(tmp_path, "init", "-q")
    result = CliRunner().invoke(main, ["compare", "--source", str(EXAMPLE / "hotfix-sandbox"), "--target", spec,
                                       "--repo", str(tmp_path)])
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_file_that_cannot_be_read_is_a_one_line_error(tmp_path: Path) -> None:
    folder = tmp_path / "sandbox"
    shutil.copytree(EXAMPLE / "hotfix-sandbox", folder)
    (folder / "classes" / "Gone.cls").symlink_to(tmp_path / "nowhere")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "commit", "-q", "--allow-empty", "-m", "empty")
    for target in (str(EXAMPLE / "hotfix-sandbox"), "git:HEAD"):
        result = CliRunner().invoke(main, ["compare", "--source", str(folder), "--target", target, "--repo", str(repo),
                                           "--json"])
        assert result.exit_code == 2, result.output
        assert "Gone.cls: cannot be read" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_file_name_that_is_not_utf8_is_a_one_line_error(tmp_path: Path) -> None:
    import os

    folder = tmp_path / "sandbox"
    shutil.copytree(EXAMPLE / "hotfix-sandbox", folder)
    try:
        name = os.path.join(os.fsencode(folder / "classes"), b"\xffLatin1.cls")
        with open(name, "wb") as file:
            file.write(b"public class X {}\n")
    except OSError:
        pytest.skip("this file system refuses a file name that is not UTF-8")
    repo = tmp_path / "repo"
    shutil.copytree(folder, repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "with the file")
    for source, target in ((str(folder), str(EXAMPLE / "hotfix-sandbox")), ("git:HEAD", str(EXAMPLE / "hotfix-sandbox")),
                           (str(EXAMPLE / "hotfix-sandbox"), "git:HEAD"), (str(folder), "git:HEAD")):
        for extra in ([], ["--json"], ["--html", str(tmp_path / "r.html")]):
            result = CliRunner().invoke(main, ["compare", "--source", source, "--target", target, "--repo", str(repo),
                                               *extra])
            assert result.exit_code == 2, (source, target, extra, result.output)
            assert "classes/\\xffLatin1.cls: the file name is not UTF-8" in result.stderr, result.stderr
            assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("method", ["deflated", "stored"])
def test_a_damaged_zip_entry_is_a_one_line_error(tmp_path: Path, method: str) -> None:
    import zipfile

    archive = tmp_path / "retrieve.zip"
    compression = zipfile.ZIP_DEFLATED if method == "deflated" else zipfile.ZIP_STORED
    with zipfile.ZipFile(archive, "w", compression) as zf:
        for path in sorted((EXAMPLE / "hotfix-sandbox").rglob("*")):
            if path.is_file():
                zf.write(path, f"unpackaged/{path.relative_to(EXAMPLE / 'hotfix-sandbox').as_posix()}")
    with zipfile.ZipFile(archive) as zf:
        entry = next(i for i in zf.infolist() if i.filename.endswith(".layout"))
    data = bytearray(archive.read_bytes())
    start = entry.header_offset + 30 + len(entry.filename.encode()) + len(entry.extra)
    data[start + 20:start + 40] = bytes(20)  # the entry's data, past its header
    archive.write_bytes(bytes(data))
    result = CliRunner().invoke(main, ["compare", "--source", str(archive), "--target", str(EXAMPLE / "hotfix-sandbox")])
    assert result.exit_code == 2, result.output
    assert f"entry '{entry.filename}' cannot be read" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_not_a_zip_and_unknown_files(tmp_path: Path) -> None:
    (tmp_path / "fake.zip").write_text("no")
    result = CliRunner().invoke(main, ["compare", "--source", str(tmp_path / "fake.zip"), "--target", str(EXAMPLE / "hotfix-sandbox")])
    assert result.exit_code == 2 and "not a zip" in result.stderr
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(EXAMPLE / "hotfix-sandbox", a)
    shutil.copytree(EXAMPLE / "hotfix-sandbox", b)
    (a / "notes.md").write_text("new notes")
    (b / "notes.md").write_text("old notes")
    row = compare(str(a), str(b)).find("Unknown:notes.md")
    assert row is not None and row.status == "changed" and row.unknown_type


# ---------------------------------------------------------------- properties

FIELDS = [f"Account.F{i}__c" for i in range(12)]
PERMISSIONS = ["ApiEnabled", "ViewSetup", "ModifyAllData", "RunReports", "ExportReport"]


@st.composite
def profiles(draw) -> dict:
    fields = draw(st.dictionaries(st.sampled_from(FIELDS), st.tuples(st.booleans(), st.booleans()), max_size=8))
    permissions = draw(st.dictionaries(st.sampled_from(PERMISSIONS), st.booleans(), max_size=4))
    return {"fields": fields, "permissions": permissions, "custom": draw(st.booleans())}


def profile_xml(profile: dict, rng: random.Random | None = None) -> str:
    fls = [f"    <fieldPermissions>\n        <editable>{str(e).lower()}</editable>\n        <field>{f}</field>\n"
           f"        <readable>{str(r).lower()}</readable>\n    </fieldPermissions>\n" for f, (e, r) in sorted(profile["fields"].items())]
    perms = [f"    <userPermissions>\n        <enabled>{str(v).lower()}</enabled>\n        <name>{n}</name>\n    </userPermissions>\n"
             for n, v in sorted(profile["permissions"].items())]
    if rng is not None:
        rng.shuffle(fls)
        rng.shuffle(perms)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Profile xmlns="{NS}">\n    <custom>{str(profile["custom"]).lower()}</custom>\n'
            + "".join(fls) + "".join(perms) + "</Profile>\n")


def write_profile(root: Path, xml: str) -> Path:
    (root / "profiles").mkdir(parents=True, exist_ok=True)
    (root / "profiles" / "Admin.profile").write_text(xml)
    return root


def statuses(result) -> dict[str, str]:
    return {r.selector: r.status for r in result.rows}


@settings(max_examples=40, deadline=None)
@given(profiles(), profiles(), st.integers(0, 1000))
def test_properties(tmp_path_factory, a: dict, b: dict, seed: int) -> None:
    base = tmp_path_factory.mktemp("p")
    pa = write_profile(base / "a", profile_xml(a))
    pb = write_profile(base / "b", profile_xml(b))
    pa_shuffled = write_profile(base / "a2", profile_xml(a, random.Random(seed)))
    same = compare(str(pa), str(pa), include_identical=True)
    assert set(statuses(same).values()) == {"identical"}
    assert set(statuses(compare(str(pa), str(pa_shuffled), include_identical=True)).values()) == {"identical"}
    forward, backward = statuses(compare(str(pa), str(pb))), statuses(compare(str(pb), str(pa)))
    swap = {"new": "deleted", "deleted": "new", "changed": "changed", "identical": "identical"}
    assert {k: swap[v] for k, v in forward.items()} == backward
    expected_new = {f for f in a["fields"] if f not in b["fields"]}
    assert {s.rsplit(":", 1)[1] for s, v in forward.items() if v == "new" and "fieldPermissions" in s} == expected_new


def test_line_endings_a_bom_and_comments_mean_nothing(tmp_path: Path) -> None:
    """A Windows checkout (CRLF), a byte-order mark and an XML comment are no change; a changed line in the
    same CRLF file is, and binary content is compared byte for byte."""
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(EXAMPLE / "hotfix-sandbox", a)
    shutil.copytree(EXAMPLE / "hotfix-sandbox", b)
    crlf = lambda path: path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))  # noqa: E731
    crlf(b / "objects" / "Invoice__c.object")
    crlf(b / "classes" / "InvoiceService.cls")
    profile = b / "profiles" / "Admin.profile"
    profile.write_bytes(b"\xef\xbb\xbf" + profile.read_bytes())
    layout = next((b / "layouts").iterdir())
    layout.write_text(layout.read_text().replace("<layoutSections>", "<!-- reviewed --><layoutSections>", 1))
    assert compare(str(b), str(a)).as_json()["summary"]["changed"] == 0
    service = b / "classes" / "InvoiceService.cls"
    service.write_bytes(service.read_bytes().replace(b"{\r\n", b"{ // hotfix\r\n", 1))
    (a / "staticresources").mkdir()
    (b / "staticresources").mkdir()
    for side, data in ((a, b"\x00\x01line\n"), (b, b"\x00\x01line\r\n")):
        (side / "staticresources" / "blob.resource").write_bytes(data)
        (side / "staticresources" / "blob.resource-meta.xml").write_text(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<StaticResource xmlns="{NS}">\n'
            "    <cacheControl>Private</cacheControl>\n    <contentType>application/octet-stream</contentType>\n"
            "</StaticResource>\n")
    changed = {r.selector for r in compare(str(b), str(a)).rows if r.status == "changed"}
    assert changed == {"ApexClass:InvoiceService", "StaticResource:blob"}


def test_compared_units_let_go_of_their_trees_and_read_them_again_when_asked(tmp_path) -> None:
    """compare_units holds one pair of parsed files at a time, except a file several units read (custom labels
    and the labels inside it); a released unit parses again."""
    from sfhotfix.compare.engine import compare_units
    from sfhotfix.compare.units import collect_units
    from sfhotfix.sources import open_source

    sides = [collect_units(open_source(EXAMPLE / "hotfix-sandbox")) for _ in range(2)]
    for units in sides:
        for unit in units.values():
            unit.xml  # every tree parsed and cached, as --include-identical parses them
    rows = compare_units(*sides, include_identical=True)
    assert rows and all(row.status == "identical" for row in rows)
    profile = sides[0][("Profile", "Admin")]
    label = next(unit for key, unit in sides[0].items() if key[0] == "CustomLabel")
    assert "xml" not in profile.__dict__ and "xml" in label.__dict__  # the labels' file is shared: kept
    assert profile.xml is not None and profile.xml.tag.endswith("Profile")  # read again on demand
