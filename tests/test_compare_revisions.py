"""compare between two git revisions, or a folder and a revision (compare/revisions.py), gives exactly what the
whole comparison gives.

Each example builds a small repository, commits a base and then a random set of edits, and compares the
report of ``revision_report`` with ``compare(...).as_json()`` for both directions, several filters, and
``git:REF:PATH``; in source format (two package directories, decomposed objects, a standard object with
fields only, labels, profiles, bundles, static resources, folders, a .forceignore) and metadata-API format.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfhotfix.cli import main
from sfhotfix.compare import Filters, compare, xmldiff
from sfhotfix.compare.revisions import revision_report
from sfhotfix.errors import UsageError

NS = "http://soap.sforce.com/2006/04/metadata"
DEFAULT = "force-app/main/default"
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                          check=True, capture_output=True, text=True).stdout


def xml(root: str, body: str) -> str:
    return f'{HEAD}<{root} xmlns="{NS}">\n{body}</{root}>\n'


def field(name: str, label: str) -> str:
    return xml("CustomField", f"    <fullName>{name}</fullName>\n    <label>{label}</label>\n    <type>Text</type>\n"
                              "    <length>40</length>\n")


def labels(entries: dict[str, str]) -> str:
    return xml("CustomLabels", "".join(
        f"    <labels>\n        <fullName>{name}</fullName>\n        <language>en_US</language>\n"
        f"        <protected>false</protected>\n        <shortDescription>{name}</shortDescription>\n"
        f"        <value>{value}</value>\n    </labels>\n" for name, value in entries.items()))


def profile(fls: dict[str, bool], description: str | None = None) -> str:
    body = f"    <description>{description}</description>\n" if description else ""
    body += "    <custom>true</custom>\n" + "".join(
        f"    <fieldPermissions>\n        <editable>{str(e).lower()}</editable>\n        <field>{f}</field>\n"
        f"        <readable>true</readable>\n    </fieldPermissions>\n" for f, e in fls.items())
    return xml("Profile", body)


def apex_meta(kind: str = "ApexClass") -> str:
    return xml(kind, "    <apiVersion>60.0</apiVersion>\n    <status>Active</status>\n")


def source_tree() -> dict[str, str]:
    """A source-format project: every kind the resolver treats its own way, in two package directories."""
    files = {
        "sfdx-project.json": '{"packageDirectories": [{"path": "force-app", "default": true}, {"path": "extra-app"}]}',
        ".forceignore": "**/jsconfig.json\nforce-app/main/default/classes/Ignored*\n",
        "docs/notes.md": "outside every package directory\n",
        f"{DEFAULT}/lwc/jsconfig.json": "{}",
        f"{DEFAULT}/classes/IgnoredOne.cls": "public class IgnoredOne {}\n",
        f"{DEFAULT}/notes/README.txt": "no type claims this\n",
        f"{DEFAULT}/labels/CustomLabels.labels-meta.xml": labels({f"L{i}": f"Label {i}" for i in range(6)}),
        f"{DEFAULT}/objects/Account/fields/Std__c.field-meta.xml": field("Std__c", "Standard"),
        f"{DEFAULT}/objects/Account/fields/Std2__c.field-meta.xml": field("Std2__c", "Standard 2"),
        f"{DEFAULT}/aura/Aur/Aur.cmp": "<aura:component/>\n",
        f"{DEFAULT}/aura/Aur/Aur.cmp-meta.xml": xml("AuraDefinitionBundle", "    <apiVersion>60.0</apiVersion>\n"),
        f"{DEFAULT}/staticresources/img.resource-meta.xml": xml("StaticResource", "    <contentType>application/zip</contentType>\n"),
        f"{DEFAULT}/staticresources/img/a.png": "png-a",
        f"{DEFAULT}/staticresources/lib.resource": "lib",
        f"{DEFAULT}/staticresources/lib.resource-meta.xml": xml("StaticResource", "    <contentType>text/plain</contentType>\n"),
        f"{DEFAULT}/reports/Sales.reportFolder-meta.xml": xml("ReportFolder", "    <name>Sales</name>\n"),
        f"{DEFAULT}/email/Inv.emailFolder-meta.xml": xml("EmailFolder", "    <name>Inv</name>\n"),
        f"{DEFAULT}/email/Inv/T.email": "Dear {!Name}\n",
        f"{DEFAULT}/email/Inv/T.email-meta.xml": xml("EmailTemplate", "    <available>true</available>\n"),
        f"{DEFAULT}/workflows/Obj0__c.workflow-meta.xml": xml("Workflow", "".join(
            f"    <alerts>\n        <fullName>A{i}</fullName>\n        <description>alert {i}</description>\n"
            "    </alerts>\n" for i in range(3))),
        "extra-app/main/default/classes/Extra.cls": "public class Extra {}\n",
        "extra-app/main/default/classes/Extra.cls-meta.xml": apex_meta(),
    }
    for i in range(3):
        obj = f"{DEFAULT}/objects/Obj{i}__c"
        files[f"{obj}/Obj{i}__c.object-meta.xml"] = xml("CustomObject", f"    <label>Obj {i}</label>\n")
        for j in range(3):
            files[f"{obj}/fields/F{j}__c.field-meta.xml"] = field(f"F{j}__c", f"Field {j}")
        files[f"{obj}/listViews/All.listView-meta.xml"] = xml("ListView", "    <fullName>All</fullName>\n"
                                                                           "    <filterScope>Everything</filterScope>\n")
        files[f"{obj}/recordTypes/RT.recordType-meta.xml"] = xml("RecordType", "    <fullName>RT</fullName>\n"
                                                                              "    <active>true</active>\n")
        files[f"{DEFAULT}/classes/C{i}.cls"] = f"public class C{i} {{}}\n"
        files[f"{DEFAULT}/classes/C{i}.cls-meta.xml"] = apex_meta()
        files[f"{DEFAULT}/lwc/cmp{i}/cmp{i}.js"] = f"export default class Cmp{i} {{}}\n"
        files[f"{DEFAULT}/lwc/cmp{i}/cmp{i}.html"] = "<template></template>\n"
        files[f"{DEFAULT}/lwc/cmp{i}/cmp{i}.js-meta.xml"] = xml("LightningComponentBundle", "    <apiVersion>60.0</apiVersion>\n")
        files[f"{DEFAULT}/reports/Sales/R{i}.report-meta.xml"] = xml("Report", f"    <name>R{i}</name>\n")
        files[f"{DEFAULT}/profiles/P{i}.profile-meta.xml"] = profile({f"Obj0__c.F{j}__c": j % 2 == 0 for j in range(3)})
        files[f"{DEFAULT}/permissionsets/PS{i}.permissionset-meta.xml"] = xml(
            "PermissionSet", f"    <label>PS {i}</label>\n    <fieldPermissions>\n        <editable>true</editable>\n"
                             "        <field>Obj1__c.F0__c</field>\n        <readable>true</readable>\n"
                             "    </fieldPermissions>\n")
    return files


def _edit_label(files: dict, path: str, rng: random.Random) -> None:
    _replace(files, path, "<label>", f"<label>X{rng.randint(0, 9)} ")


def _replace(files: dict, path: str, old: str, new: str) -> None:
    """Edit a file the earlier edits left in place."""
    if path in files:
        files[path] = files[path].replace(old, new, 1)


def source_edits(files: dict[str, str], names: list[str], rng: random.Random) -> dict[str, str]:
    """The second revision: each named edit applied to a copy of ``files``."""
    files = dict(files)
    obj = f"{DEFAULT}/objects/Obj{rng.randint(0, 2)}__c"
    for name in names:
        if name == "field label":
            _edit_label(files, f"{obj}/fields/F{rng.randint(0, 2)}__c.field-meta.xml", rng)
        elif name == "field whitespace":  # the same meaning: identical
            path = f"{obj}/fields/F1__c.field-meta.xml"
            if path in files:
                files[path] = files[path].replace("    <", "  <")
        elif name == "field deleted":
            files.pop(f"{obj}/fields/F2__c.field-meta.xml", None)
        elif name == "field added":
            files[f"{obj}/fields/New{rng.randint(0, 9)}__c.field-meta.xml"] = field("New__c", "New")
        elif name == "standard object emptied":  # Account loses every field: the object itself goes too
            files.pop(f"{DEFAULT}/objects/Account/fields/Std__c.field-meta.xml", None)
            files.pop(f"{DEFAULT}/objects/Account/fields/Std2__c.field-meta.xml", None)
        elif name == "standard field changed":
            _edit_label(files, f"{DEFAULT}/objects/Account/fields/Std2__c.field-meta.xml", rng)
        elif name == "object changed":
            _edit_label(files, f"{obj}/{obj.rsplit('/', 1)[1]}.object-meta.xml", rng)
        elif name == "object deleted":
            for path in [p for p in files if p.startswith(obj + "/")]:
                del files[path]
        elif name == "list view changed":
            _replace(files, f"{obj}/listViews/All.listView-meta.xml", "Everything", "Mine")
        elif name == "class renamed":
            for suffix in (".cls", ".cls-meta.xml"):
                files[f"{DEFAULT}/classes/Renamed{suffix}"] = files.pop(f"{DEFAULT}/classes/C0{suffix}", "")
        elif name == "class moved to the other package":
            for suffix in (".cls", ".cls-meta.xml"):
                files[f"extra-app/main/default/classes/C1{suffix}"] = files.pop(f"{DEFAULT}/classes/C1{suffix}")
        elif name == "class body":
            files[f"{DEFAULT}/classes/C2.cls"] = "public class C2 { Integer x; }\n"
        elif name == "labels":
            entries = {f"L{i}": f"Label {i}" for i in range(6)}
            entries["L1"] = "Changed"
            entries.pop("L2")
            entries[f"L{rng.randint(6, 9)}"] = "Added"
            files[f"{DEFAULT}/labels/CustomLabels.labels-meta.xml"] = labels(entries)
        elif name == "profile":
            files[f"{DEFAULT}/profiles/P1.profile-meta.xml"] = profile(
                {"Obj0__c.F0__c": False, "Obj0__c.F2__c": True, "Obj0__c.F9__c": True}, rng.choice([None, "d"]))
        elif name == "permission set":
            _replace(files, f"{DEFAULT}/permissionsets/PS0.permissionset-meta.xml", "<editable>true", "<editable>false")
        elif name == "lwc":
            files[f"{DEFAULT}/lwc/cmp1/cmp1.js"] = "export default class Cmp1 { x = 1; }\n"
        elif name == "lwc deleted":
            for path in [p for p in files if p.startswith(f"{DEFAULT}/lwc/cmp2/")]:
                del files[path]
        elif name == "static resource file":
            files[f"{DEFAULT}/staticresources/img/b{rng.randint(0, 3)}.png"] = "png-b"
        elif name == "report":
            files[f"{DEFAULT}/reports/Sales/R1.report-meta.xml"] = xml("Report", "    <name>R1 renamed</name>\n")
        elif name == "email":
            files[f"{DEFAULT}/email/Inv/T.email"] = "Hello {!Name}\n"
        elif name == "workflow alert":
            _replace(files, f"{DEFAULT}/workflows/Obj0__c.workflow-meta.xml", "alert 1", "alert one")
        elif name == "unknown file":
            files[f"{DEFAULT}/notes/README.txt"] = f"changed {rng.randint(0, 9)}\n"
        elif name == "ignored file":
            files[f"{DEFAULT}/classes/IgnoredOne.cls"] = "public class IgnoredOne { }\n"
            files[f"{DEFAULT}/lwc/jsconfig.json"] = '{"x": 1}'
        elif name == "outside the packages":
            files["docs/notes.md"] = "changed\n"
    return files


SOURCE_EDITS = ["field label", "field whitespace", "field deleted", "field added", "standard object emptied",
                "standard field changed", "object changed", "object deleted", "list view changed", "class renamed",
                "class moved to the other package", "class body", "labels", "profile", "permission set", "lwc",
                "lwc deleted", "static resource file", "report", "email", "workflow alert", "unknown file",
                "ignored file", "outside the packages"]


def mdapi_tree() -> dict[str, str]:
    """A metadata-API-format tree (no sfdx-project.json): objects and labels keep their children inside."""
    fields = "".join(f"    <fields>\n        <fullName>F{j}__c</fullName>\n        <label>Field {j}</label>\n"
                     "        <type>Text</type>\n    </fields>\n" for j in range(3))
    return {
        "package.xml": xml("Package", "    <version>60.0</version>\n"),
        "objects/Obj0__c.object": xml("CustomObject", fields + "    <label>Obj</label>\n"),
        "objects/Obj1__c.object": xml("CustomObject", fields + "    <label>Obj 1</label>\n"),
        "labels/CustomLabels.labels": labels({f"L{i}": f"Label {i}" for i in range(4)}),
        "profiles/P.profile": profile({"Obj0__c.F0__c": True}),
        "classes/C.cls": "public class C {}\n",
        "classes/C.cls-meta.xml": apex_meta(),
        "reports/Sales/R.report": xml("Report", "    <name>R</name>\n"),
        "reports/Sales-meta.xml": xml("ReportFolder", "    <name>Sales</name>\n"),
    }


def mdapi_edits(files: dict[str, str], names: list[str], rng: random.Random) -> dict[str, str]:
    files = dict(files)
    for name in names:
        if name == "field inside the object":
            _replace(files, "objects/Obj0__c.object", "Field 1", f"Field {rng.random()}")
        elif name == "field added inside":
            _replace(files, "objects/Obj1__c.object",
                     "    <label>Obj 1", "    <fields>\n        <fullName>G__c</fullName>\n        <label>G</label>\n"
                                        "    </fields>\n    <label>Obj 1")
        elif name == "object deleted":
            files.pop("objects/Obj1__c.object", None)
        elif name == "labels":
            files["labels/CustomLabels.labels"] = labels({"L0": "Label 0", "L1": "Other", "L7": "New"})
        elif name == "profile":
            files["profiles/P.profile"] = profile({"Obj0__c.F0__c": False, "Obj0__c.F1__c": True})
        elif name == "class":
            files["classes/C.cls"] = "public class C { }\n"
        elif name == "report":
            files["reports/Sales/R.report"] = xml("Report", "    <name>R2</name>\n")
    return files


MDAPI_EDITS = ["field inside the object", "field added inside", "object deleted", "labels", "profile", "class",
               "report"]

FILTERS = [Filters(), Filters.parse("CustomField", None, None, None), Filters.parse(None, "Profile,CustomObject", None, None),
           Filters.parse(None, None, "*F1*", None), Filters.parse(None, None, None, "identical"),
           Filters.parse("CustomLabels", None, None, "changed,new"), Filters.parse(None, None, "Profile:*", "identical,deleted")]


def commit_tree(repo: Path, files: dict[str, str], message: str) -> None:
    for path in [p for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts]:
        path.unlink()
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message, "--allow-empty")


def make_repo(base: Path, before: dict[str, str], after: dict[str, str]) -> Path:
    repo = base / "repo"
    if repo.exists():
        shutil.rmtree(repo)
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    commit_tree(repo, before, "before")
    git(repo, "tag", "A")
    commit_tree(repo, after, "after")
    git(repo, "tag", "B")
    return repo


def assert_same_reports(repo: Path, source: str, target: str, filters: Filters, texts: bool = False) -> None:
    quick = revision_report(source, target, repo, None, filters, texts)
    assert quick is not None, (source, target)
    whole = compare(source, target, repo=repo, filters=filters, texts=texts).as_json(texts=texts)
    assert quick == whole, (source, target, filters)


def assert_revisions_compare_alike(tmp_path: Path, before: dict[str, str], after: dict[str, str],
                                   folders: tuple[str, ...] = ()) -> None:
    """Both directions, every filter, and each of ``folders`` as git:REF:PATH on both sides; then B written
    out as a folder (a retrieve's shape) against git:A, likewise."""
    repo = make_repo(tmp_path, before, after)
    for filters in FILTERS:
        assert_same_reports(repo, "git:B", "git:A", filters)
    assert_same_reports(repo, "git:B", "git:A", Filters(), texts=True)  # what the HTML report is drawn from
    assert_same_reports(repo, "git:A", "git:B", FILTERS[3])
    for folder in folders:
        assert_same_reports(repo, f"git:B:{folder}", f"git:A:{folder}/", Filters())
    written = tmp_path / "retrieved"
    if written.exists():
        shutil.rmtree(written)
    for rel, text in after.items():
        (written / rel).parent.mkdir(parents=True, exist_ok=True)
        (written / rel).write_text(text)
    for filters in FILTERS:
        assert_same_reports(repo, str(written), "git:A", filters)
    for folder in folders:
        assert_same_reports(repo, str(written / folder), f"git:A:{folder}", Filters())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(SOURCE_EDITS), min_size=1, max_size=8, unique=True), st.integers(0, 10_000))
def test_source_format_revisions_report_what_the_whole_comparison_reports(tmp_path: Path, edits: list[str],
                                                                          seed: int) -> None:
    before = source_tree()
    assert_revisions_compare_alike(tmp_path, before, source_edits(before, edits, random.Random(seed)),
                                   ("force-app", "force-app/main/default/objects"))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(MDAPI_EDITS), min_size=1, max_size=5, unique=True), st.integers(0, 10_000))
def test_metadata_api_format_revisions_report_what_the_whole_comparison_reports(tmp_path: Path, edits: list[str],
                                                                                seed: int) -> None:
    before = mdapi_tree()
    assert_revisions_compare_alike(tmp_path, before, mdapi_edits(before, edits, random.Random(seed)))


def test_sides_read_differently_take_the_whole_comparison(tmp_path: Path) -> None:
    before = source_tree()
    after = dict(before)
    after["sfdx-project.json"] = '{"packageDirectories": [{"path": "force-app", "default": true}]}'
    repo = make_repo(tmp_path, before, after)
    assert revision_report("git:B", "git:A", repo) is None  # another project file: each side its own way
    assert revision_report("git:B:force-app", "git:A", repo) is None  # other folders
    assert revision_report("git:B", str(repo), repo) is None  # not two revisions
    assert revision_report("git:B", "git:nope", repo) is None  # compare() names the bad revision


def test_a_tree_moved_into_src_takes_the_whole_comparison(tmp_path: Path) -> None:
    """package.xml and the type folders moved into src/ (the Ant layout): each revision is read its own way, so
    the same components compare identical, in both directions, for compare and delta alike."""
    flat = mdapi_tree()
    ant = {f"src/{path}": text for path, text in flat.items()}
    ant["src/classes/C.cls"] = "public class C { /* hotfix */ }\n"
    repo = make_repo(tmp_path, flat, ant)
    for source, target in (("git:B", "git:A"), ("git:A", "git:B")):
        assert revision_report(source, target, repo) is None
        whole = compare(source, target, repo=repo).as_json()
        assert [(c["selector"], c["status"]) for c in whole["components"]] == [("ApexClass:C", "changed")]
    out = tmp_path / "delta"
    done = CliRunner().invoke(main, ["delta", "--from", "A", "--to", "B", "--repo", str(repo), "--output-dir", str(out)])
    assert done.exit_code == 0, done.output
    package = (out / "package" / "package.xml").read_text()
    assert "<members>C</members>" in package and "Obj0__c" not in package and "CustomLabel" not in package
    assert "<types>" not in (out / "destructiveChanges" / "destructiveChanges.xml").read_text()


def test_cli_prints_the_whole_comparisons_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = source_tree()
    repo = make_repo(tmp_path, before, source_edits(before, ["labels", "field label", "profile"], random.Random(1)))
    args = ["compare", "--source", "git:B", "--target", "git:A", "--repo", str(repo), "--json"]
    quick = CliRunner().invoke(main, args)
    quick_html = CliRunner().invoke(main, [*args, "--html", str(tmp_path / "quick.html")])
    monkeypatch.setattr("sfhotfix.compare.revisions.revision_report", lambda *a, **k: None)
    whole = CliRunner().invoke(main, args)
    whole_html = CliRunner().invoke(main, [*args, "--html", str(tmp_path / "whole.html")])
    assert quick.exit_code == whole.exit_code == quick_html.exit_code == whole_html.exit_code == 0
    assert quick.stdout == whole.stdout == quick_html.stdout == whole_html.stdout
    assert (tmp_path / "quick.html").read_bytes() == (tmp_path / "whole.html").read_bytes()
    bad = CliRunner().invoke(main, ["compare", "--source", "git:B", "--target", "git:nope", "--repo", str(repo)])
    assert bad.exit_code == 2 and "unknown revision" in bad.stderr


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from("abcd"), min_size=1, max_size=9), st.lists(st.sampled_from("abcd"), min_size=1, max_size=9))
def test_string_lists_compare_as_deepdiff_compares_them(target: list[str], source: list[str]) -> None:
    """deepdiff's own report for lists of strings, which xmldiff works out without importing deepdiff; where
    deepdiff reports two kinds at one index its order depends on string hashing, so only those may differ."""
    from deepdiff import DeepDiff

    diff = DeepDiff(target, source, view="tree", ignore_order=False, cutoff_intersection_for_pairs=1)
    expected = sorted((xmldiff.Change(f"x[{level.path(output_format='list')[0]}]", kind,
                                      None if kind == "removed" else level.t2, None if kind == "added" else level.t1)
                       for report, levels in diff.items() if (kind := xmldiff._KINDS.get(report))
                       for level in levels), key=lambda c: c.path)
    ours = xmldiff._string_list_changes(target, source, "x")
    assert [c.path for c in ours] == [c.path for c in expected]
    assert Counter(ours) == Counter(expected)


def test_a_malformed_file_is_the_same_one_line_error(tmp_path: Path) -> None:
    """Raised in the forked child that compares the changed units, told by the parent as compare() tells it."""
    before = source_tree()
    after = dict(before)
    after[f"{DEFAULT}/objects/Obj1__c/fields/F1__c.field-meta.xml"] = "<CustomField><label>broken</CustomField>"
    repo = make_repo(tmp_path, before, after)
    with pytest.raises(UsageError) as quick:
        revision_report("git:B", "git:A", repo)
    with pytest.raises(UsageError) as whole:
        compare("git:B", "git:A", repo=repo)
    assert str(quick.value) == str(whole.value) and "F1__c.field-meta.xml" in str(quick.value)
