"""The metadata merge driver: real git merges of branches that touch different keyed entries of one file,
real conflicts left to git, the driver's installation, and a property test of the entry-by-entry merge."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from sfhotfix.act.merge import (
    BLOCK_BEGIN,
    BLOCK_END,
    DRIVER,
    Unresolved,
    attribute_patterns,
    driver_command,
    install_merge_driver,
    merge_documents,
    run_merge_driver,
    type_for_path,
    update_gitattributes,
)
from sfhotfix.registry import load_registry
from sfhotfix.xmlio import escape_text

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PRODUCTION = EXAMPLES / "production"  # source format
SANDBOX = EXAMPLES / "hotfix-sandbox"  # metadata-API format
DEFAULT = "force-app/main/default"
LABELS = f"{DEFAULT}/labels/CustomLabels.labels-meta.xml"
PROFILE = f"{DEFAULT}/profiles/Admin.profile-meta.xml"
OBJECT = f"{DEFAULT}/objects/Invoice__c/Invoice__c.object-meta.xml"
MDAPI_OBJECT = "objects/Invoice__c.object"
NS = "http://soap.sforce.com/2006/04/metadata"
IDENTITY = ["-c", "user.name=Release Manager", "-c", "user.email=rm@example.com"]


def sfhotfix_command() -> list[str]:
    """The sfhotfix of this test run: the console script beside the interpreter (``<clone>/.venv/bin`` in CI),
    else the interpreter running the package."""
    script = Path(sys.executable).parent / ("sfhotfix.exe" if os.name == "nt" else "sfhotfix")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "sfhotfix"]


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(["git", "-C", str(repo), *IDENTITY, *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def make_repo(tmp_path: Path, content: Path) -> Path:
    """A repository whose main holds ``content``, with the driver installed by ``sfhotfix install-merge-driver``
    and its .gitattributes committed (the command itself commits nothing)."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    shutil.copytree(content, repo, dirs_exist_ok=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    installed = subprocess.run([*sfhotfix_command(), "install-merge-driver", "--repo", str(repo)],
                               capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr
    assert "not committed" in installed.stdout
    assert git(repo, "status", "--porcelain").stdout == "?? .gitattributes\n"
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "merge driver")
    return repo


def commit_on(repo: Path, branch: str, edits: dict[str, object], start: str = "main") -> None:
    """Commit edits on a new branch from ``start``: a path maps to a function of its text, new text, or None
    (delete)."""
    git(repo, "checkout", "-q", "-b", branch, start)
    for path, edit in edits.items():
        file = repo / path
        if edit is None:
            git(repo, "rm", "-q", path)
            continue
        text = edit(file.read_text(encoding="utf-8")) if callable(edit) else edit
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8", newline="")
        git(repo, "add", path)
    git(repo, "commit", "-qm", f"{branch} edits")
    git(repo, "checkout", "-q", start)


def merge(repo: Path, ours: str, theirs: str) -> subprocess.CompletedProcess:
    git(repo, "checkout", "-q", ours)
    return git(repo, "merge", "--no-edit", theirs, check=False)


def show(repo: Path, ref: str, path: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), "show", f"{ref}:{path}"], capture_output=True, check=True).stdout


def unmerged(repo: Path) -> list[str]:
    return git(repo, "diff", "--name-only", "--diff-filter=U").stdout.split()


def with_entry(text: str, tag: str, key_element: str, block: str) -> str:
    """``text`` with a top-level ``<tag>`` entry inserted where a retrieve puts it: in its key's code-point
    order among the others (written independently of the code under test)."""
    key = re.search(rf"<{key_element}>(.*?)</{key_element}>", block).group(1)
    entries = list(re.finditer(rf"(?ms)^    <{tag}>\n.*?^    </{tag}>\n", text))
    at = next((m.start() for m in entries
               if re.search(rf"<{key_element}>(.*?)</{key_element}>", m.group()).group(1) > key), entries[-1].end())
    return text[:at] + block + text[at:]


def label(name: str, value: str) -> str:
    return (f"    <labels>\n        <fullName>{name}</fullName>\n        <language>en_US</language>\n"
            f"        <protected>false</protected>\n        <shortDescription>{name}</shortDescription>\n"
            f"        <value>{value}</value>\n    </labels>\n")


def labels_doc(body: str, indent: str = "    ") -> bytes:
    body = body.replace("    ", indent)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomLabels xmlns="{NS}">\n{body}</CustomLabels>\n'.encode()


def fls(field: str, editable: str = "true") -> str:
    return (f"    <fieldPermissions>\n        <editable>{editable}</editable>\n        <field>{field}</field>\n"
            f"        <readable>true</readable>\n    </fieldPermissions>\n")


def list_view(name: str, label_text: str) -> str:
    return (f"    <listViews>\n        <fullName>{name}</fullName>\n        <filterScope>Everything</filterScope>\n"
            f"        <label>{label_text}</label>\n    </listViews>\n")


def assert_ours_plus(ours: bytes, merged: bytes, block: str | bytes) -> None:
    """The merge is our file byte for byte with ``block`` (theirs' entry, as a retrieve writes it) inserted once
    at a line boundary: none of our lines changed, moved or lost."""
    block = block.encode() if isinstance(block, str) else block
    at = merged.find(block)
    assert at >= 0 and merged.count(block) == 1, merged.decode()
    assert at == 0 or merged[at - 1:at] == b"\n"
    assert merged[:at] + merged[at + len(block):] == ours


def keys_of(data: bytes, tag: str, key_element: str) -> list[str]:
    root = etree.fromstring(data)
    return [e.findtext(f"{{{NS}}}{key_element}") for e in root.findall(f"{{{NS}}}{tag}")]


def text_conflicts(repo: Path, path: str, ours: str, theirs: str) -> bool:
    """Whether git's text merge alone conflicts on ``path`` (the case the driver exists for)."""
    base = git(repo, "merge-base", ours, theirs).stdout.strip()
    files = {}
    for name, ref in (("o", ours), ("b", base), ("t", theirs)):
        files[name] = repo.parent / f"text-merge.{name}"
        files[name].write_bytes(show(repo, ref, path))
    done = subprocess.run(["git", "merge-file", "-p", str(files["o"]), str(files["b"]), str(files["t"])],
                          capture_output=True)
    return done.returncode != 0


# --------------------------------------------------------------------------- merges git cannot do by text


def test_two_new_labels_at_the_same_place_merge_in_key_order(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, PRODUCTION)
    ours_label, theirs_label = label("Invoice_Due_Soon", "Due soon"), label("Invoice_Discount", "Discount &amp; more")
    commit_on(repo, "ours", {LABELS: lambda t: with_entry(t, "labels", "fullName", ours_label)})
    commit_on(repo, "theirs", {LABELS: lambda t: with_entry(t, "labels", "fullName", theirs_label)})
    assert text_conflicts(repo, LABELS, "ours", "theirs")

    done = merge(repo, "ours", "theirs")

    assert done.returncode == 0, done.stdout + done.stderr
    merged = (repo / LABELS).read_bytes()
    assert b"<<<<<<<" not in merged and b">>>>>>>" not in merged
    assert keys_of(merged, "labels", "fullName") == [
        "Invoice_Discount", "Invoice_Due_Soon", "Invoice_Legacy_Footer", "Invoice_Overdue_Subject",
        "Invoice_Paid_Thanks"]
    assert_ours_plus(show(repo, "HEAD^1", LABELS), merged, theirs_label)
    assert git(repo, "show", "-s", "--format=%P", "HEAD").stdout.count(" ") == 1  # a real merge commit


def test_two_field_permissions_in_a_profile(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, PRODUCTION)
    ours_fls, theirs_fls = fls("Invoice__c.Discount__c"), fls("Invoice__c.Due_Amount__c")
    commit_on(repo, "ours", {PROFILE: lambda t: with_entry(t, "fieldPermissions", "field", ours_fls)})
    commit_on(repo, "theirs", {PROFILE: lambda t: with_entry(t, "fieldPermissions", "field", theirs_fls)})
    assert text_conflicts(repo, PROFILE, "ours", "theirs")

    done = merge(repo, "ours", "theirs")

    assert done.returncode == 0, done.stdout + done.stderr
    merged = (repo / PROFILE).read_bytes()
    assert keys_of(merged, "fieldPermissions", "field") == [
        "Invoice__c.Account__c", "Invoice__c.Amount__c", "Invoice__c.Days_Overdue__c", "Invoice__c.Discount__c",
        "Invoice__c.Due_Amount__c", "Invoice__c.Due_Date__c", "Invoice__c.Status__c"]
    assert_ours_plus(show(repo, "HEAD^1", PROFILE), merged, theirs_fls)


def test_two_list_views_in_a_metadata_api_object(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, SANDBOX)
    assert f"merge: {DRIVER}" in git(repo, "check-attr", "merge", MDAPI_OBJECT).stdout
    ours_view, theirs_view = list_view("Open_Invoices", "Open"), list_view("Old_Invoices", "Old")
    commit_on(repo, "ours", {MDAPI_OBJECT: lambda t: with_entry(t, "listViews", "fullName", ours_view)})
    commit_on(repo, "theirs", {MDAPI_OBJECT: lambda t: with_entry(t, "listViews", "fullName", theirs_view)})
    assert text_conflicts(repo, MDAPI_OBJECT, "ours", "theirs")

    done = merge(repo, "ours", "theirs")

    assert done.returncode == 0, done.stdout + done.stderr
    merged = (repo / MDAPI_OBJECT).read_bytes()
    assert keys_of(merged, "listViews", "fullName") == ["All", "Old_Invoices", "Open_Invoices", "Overdue_Invoices"]
    assert_ours_plus(show(repo, "HEAD^1", MDAPI_OBJECT), merged, theirs_view)


def test_list_views_and_action_overrides_of_a_source_format_object(tmp_path: Path) -> None:
    """Source format: new list views are files of their own (git merges them without help); the object file's
    own keyed lists (actionOverrides by action and form factor) are merged by the driver."""
    repo = make_repo(tmp_path, PRODUCTION)
    views = f"{DEFAULT}/objects/Invoice__c/listViews"
    view_file = ('<?xml version="1.0" encoding="UTF-8"?>\n<ListView xmlns="http://soap.sforce.com/2006/04/metadata">\n'
                 "    <fullName>{0}</fullName>\n    <filterScope>Everything</filterScope>\n    <label>{0}</label>\n"
                 "</ListView>\n")
    override = "    <actionOverrides>\n        <actionName>{0}</actionName>\n        <type>Default</type>\n    </actionOverrides>\n"
    commit_on(repo, "ours", {f"{views}/Open.listView-meta.xml": view_file.format("Open"),
                             OBJECT: lambda t: with_entry(t, "actionOverrides", "actionName", override.format("Edit"))})
    commit_on(repo, "theirs", {f"{views}/Paid.listView-meta.xml": view_file.format("Paid"),
                               OBJECT: lambda t: with_entry(t, "actionOverrides", "actionName",
                                                            override.format("Delete"))})
    assert text_conflicts(repo, OBJECT, "ours", "theirs")

    done = merge(repo, "ours", "theirs")

    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / views / "Open.listView-meta.xml").is_file() and (repo / views / "Paid.listView-meta.xml").is_file()
    merged = (repo / OBJECT).read_bytes()
    assert keys_of(merged, "actionOverrides", "actionName") == ["Accept", "Delete", "Edit", "View"]
    assert_ours_plus(show(repo, "HEAD^1", OBJECT), merged, override.format("Delete"))


def test_a_changed_label_and_a_new_label_beside_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, PRODUCTION)
    new = label("Invoice_Overdue_Reminder", "Reminder")
    commit_on(repo, "ours", {LABELS: lambda t: t.replace("Your invoice {0} is overdue", "Invoice {0} is overdue")})
    commit_on(repo, "theirs", {LABELS: lambda t: with_entry(t, "labels", "fullName", new)})

    done = merge(repo, "ours", "theirs")

    assert done.returncode == 0, done.stdout + done.stderr
    merged = (repo / LABELS).read_bytes()
    assert keys_of(merged, "labels", "fullName") == [
        "Invoice_Legacy_Footer", "Invoice_Overdue_Reminder", "Invoice_Overdue_Subject", "Invoice_Paid_Thanks"]
    assert b"<value>Invoice {0} is overdue</value>" in merged
    assert b"Your invoice" not in merged
    assert b"<value>Thank you &apos;{0}&apos;, we received your payment.</value>" in merged
    assert_ours_plus(show(repo, "HEAD^1", LABELS), merged, new)


def test_a_label_changed_by_them_and_one_deleted_by_us(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, PRODUCTION)
    legacy = re.search(r"(?ms)^    <labels>\n        <fullName>Invoice_Legacy_Footer.*?^    </labels>\n",
                       (repo / LABELS).read_text()).group()
    commit_on(repo, "ours", {LABELS: lambda t: t.replace(legacy, "")})
    commit_on(repo, "theirs", {LABELS: lambda t: t.replace("Your invoice {0} is overdue", "Overdue: {0}")})

    done = merge(repo, "ours", "theirs")

    assert done.returncode == 0, done.stdout + done.stderr
    merged = (repo / LABELS).read_bytes()
    assert keys_of(merged, "labels", "fullName") == ["Invoice_Overdue_Subject", "Invoice_Paid_Thanks"]
    assert b"<value>Overdue: {0}</value>" in merged


def test_both_branches_add_the_same_new_file_with_different_labels(tmp_path: Path) -> None:
    """add/add: git gives the driver an empty base; entries added on one side only are all kept."""
    repo = make_repo(tmp_path, SANDBOX)
    path = "labels/Extra.labels"

    def labels_file(*entries: str) -> str:
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<CustomLabels xmlns="http://soap.sforce.com/2006/04/metadata">\n'
                + "".join(entries) + "</CustomLabels>\n")

    commit_on(repo, "ours", {path: labels_file(label("B_Ours", "b"), label("Shared", "s"))})
    commit_on(repo, "theirs", {path: labels_file(label("A_Theirs", "a"), label("Shared", "s"))})

    done = merge(repo, "ours", "theirs")

    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / path).read_text() == labels_file(label("A_Theirs", "a"), label("B_Ours", "b"), label("Shared", "s"))


# --------------------------------------------------------------------------- real conflicts stay conflicts


def test_the_same_label_changed_differently_is_a_conflict(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, PRODUCTION)
    commit_on(repo, "ours", {LABELS: lambda t: t.replace("Your invoice {0} is overdue", "Invoice {0}: overdue")})
    commit_on(repo, "theirs", {LABELS: lambda t: t.replace("Your invoice {0} is overdue", "Overdue: {0}")})

    done = merge(repo, "ours", "theirs")

    assert done.returncode != 0
    assert "CONFLICT" in done.stdout
    assert f"{LABELS}: labels[Invoice_Overdue_Subject]: changed differently on both sides" in done.stderr
    assert unmerged(repo) == [LABELS]
    text = (repo / LABELS).read_text()
    assert "<<<<<<< ours\n" in text and "=======\n" in text and ">>>>>>> theirs\n" in text
    assert "Invoice {0}: overdue" in text and "Overdue: {0}" in text


def test_a_label_deleted_on_one_side_and_changed_on_the_other_is_a_conflict(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, PRODUCTION)
    paid = re.search(r"(?ms)^    <labels>\n        <fullName>Invoice_Paid_Thanks.*?^    </labels>\n",
                     (repo / LABELS).read_text()).group()
    commit_on(repo, "ours", {LABELS: lambda t: t.replace(paid, "")})
    commit_on(repo, "theirs", {LABELS: lambda t: t.replace("we received your payment", "payment received")})

    done = merge(repo, "ours", "theirs")

    assert done.returncode != 0
    assert "deleted on one side and changed on the other" in done.stderr
    assert unmerged(repo) == [LABELS]
    assert "<<<<<<< ours" in (repo / LABELS).read_text()


def test_a_conflict_in_an_apex_class_is_an_ordinary_git_conflict(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, PRODUCTION)
    apex = f"{DEFAULT}/classes/InvoiceService.cls"
    assert "merge: unspecified" in git(repo, "check-attr", "merge", apex).stdout
    commit_on(repo, "ours", {apex: lambda t: t.replace("Integer changed = 0;", "Integer changed = 1;")})
    commit_on(repo, "theirs", {apex: lambda t: t.replace("Integer changed = 0;", "Integer changed = 2;")})

    done = merge(repo, "ours", "theirs")

    assert done.returncode != 0 and "CONFLICT" in done.stdout
    assert unmerged(repo) == [apex]
    text = (repo / apex).read_text()
    assert "<<<<<<< HEAD" in text and ">>>>>>> theirs" in text  # git's own labels: the driver was not run
    assert "Integer changed = 1;" in text and "Integer changed = 2;" in text


def test_the_driver_leaves_files_without_keyed_entries_to_git_merge_file(tmp_path: Path) -> None:
    """Called on a list view (no keyed lists) or an Apex class, the driver is git merge-file and nothing else."""
    base = "<ListView>\n    <label>All</label>\n</ListView>\n"
    for path in ("objects/A/listViews/All.listView-meta.xml", "classes/A.cls"):
        files = {name: tmp_path / name for name in ("O", "A", "B")}
        files["O"].write_text(base)
        files["A"].write_text(base.replace("All", "Ours"))
        files["B"].write_text(base.replace("All", "Theirs"))
        assert run_merge_driver(files["O"], files["A"], files["B"], path) == 1
        text = files["A"].read_text()  # (a diff3 conflict style in the user's git config adds the base part)
        assert text.startswith("<ListView>\n<<<<<<< ours\n    <label>Ours</label>\n")
        assert text.endswith("=======\n    <label>Theirs</label>\n>>>>>>> theirs\n</ListView>\n")
        files["A"].write_text(base + "<!-- ours -->\n")  # a clean text merge stays clean
        assert run_merge_driver(files["O"], files["A"], files["B"], path) == 0


def test_one_entry_changed_on_both_sides_falls_back_to_git_whose_verdict_stands(tmp_path: Path) -> None:
    """Ours changes a label's value, theirs its language: by entry a conflict, so git's text merge decides; the
    two lines are far enough apart for it to merge them, as git would have done without the driver."""
    files = {name: tmp_path / name for name in ("O", "A", "B")}
    base = labels_doc(label("A", "x") + label("B", "y"))
    ours_change = (b"<value>x</value>", b"<value>ours</value>")
    theirs_change = (b"<language>en_US</language>", b"<language>fr</language>")  # with count 1: label A's
    files["O"].write_bytes(base)
    files["A"].write_bytes(base.replace(*ours_change))
    files["B"].write_bytes(base.replace(*theirs_change, 1))
    messages = io.StringIO()
    assert run_merge_driver(files["O"], files["A"], files["B"], LABELS, err=messages) == 0
    assert f"{LABELS}: labels[A]: changed differently on both sides; leaving it to git's text merge" \
        in messages.getvalue()
    assert files["A"].read_bytes() == base.replace(*ours_change).replace(*theirs_change, 1)


# --------------------------------------------------------------------------- the entry-by-entry merge itself


def test_our_formatting_is_kept_and_new_entries_take_our_indentation() -> None:
    """Ours re-indented the file by two spaces (same meaning as the base) and kept a comment and character
    references; theirs added a label. The merge is ours plus that label, indented as ours is."""
    base = labels_doc(label("B", "x") + label("D", "y"))
    ours = (b'<?xml version="1.0" encoding="UTF-8"?>\n<CustomLabels xmlns="http://soap.sforce.com/2006/04/metadata">\n'
            b"  <!-- kept -->\n"
            b"  <labels>\n    <fullName>B</fullName>\n    <language>en_US</language>\n    <protected>false</protected>\n"
            b"    <shortDescription>B</shortDescription>\n    <value>x</value>\n  </labels>\n"
            b"  <labels>\n    <fullName>D</fullName>\n    <language>en_US</language>\n    <protected>false</protected>\n"
            b"    <shortDescription>D</shortDescription>\n    <value>&#121;</value>\n  </labels>\n"
            b"</CustomLabels>\n")
    theirs = labels_doc(label("B", "x") + label("C", "it's") + label("D", "y"))
    merged = merge_documents(base, ours, theirs, LABELS)
    assert_ours_plus(ours, merged, label("C", "it&apos;s").replace("    ", "  "))


def test_non_keyed_parts_take_the_side_that_changed_them() -> None:
    obj = ('<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns="{ns}">\n'
           "    <description>{d}</description>\n    <enableHistory>{h}</enableHistory>\n{views}</CustomObject>\n")

    def doc(d: str, h: str, *views: str) -> bytes:
        return obj.format(ns=NS, d=d, h=h, views="".join(views)).encode()

    base = doc("old", "true", list_view("A", "A"))
    ours = doc("new", "true", list_view("A", "A"), list_view("B", "B"))
    theirs = doc("old", "false", list_view("A", "A2"))
    assert merge_documents(base, ours, theirs, MDAPI_OBJECT) == doc("new", "false", list_view("A", "A2"),
                                                                    list_view("B", "B"))
    with pytest.raises(Unresolved, match="description: changed differently on both sides"):
        merge_documents(base, ours, doc("other", "true", list_view("A", "A")), MDAPI_OBJECT)


def test_workflow_alerts_translations_and_nested_keyed_lists() -> None:
    def workflow(*alerts: str) -> bytes:
        body = "".join(f"    <alerts>\n        <fullName>{a}</fullName>\n        <description>{a}</description>\n"
                       f"    </alerts>\n" for a in alerts)
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<Workflow xmlns="{NS}">\n{body}</Workflow>\n'.encode()

    assert merge_documents(workflow("A"), workflow("A", "C"), workflow("A", "B"), "workflows/Invoice__c.workflow") \
        == workflow("A", "B", "C")

    def translation(*names: str) -> bytes:
        body = "".join(f"    <customLabels>\n        <label>{n}!</label>\n        <name>{n}</name>\n"
                       f"    </customLabels>\n" for n in names)
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<Translations xmlns="{NS}">\n{body}</Translations>\n'.encode()

    path = f"{DEFAULT}/translations/fr.translation-meta.xml"
    assert merge_documents(translation("X"), translation("X", "Ä"), translation("X", "Y"), path) \
        == translation("X", "Y", "Ä")  # code-point order: Ä (U+00C4) after Y

    def field(*dependent: str) -> bytes:  # keyed valueSettings inside the single <valueSet>
        settings_ = "".join(f"        <valueSettings>\n            <controllingFieldValue>On</controllingFieldValue>\n"
                            f"            <valueName>{v}</valueName>\n        </valueSettings>\n" for v in dependent)
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<CustomField xmlns="{NS}">\n    <fullName>F__c</fullName>\n'
                f"    <valueSet>\n        <controllingField>C__c</controllingField>\n{settings_}    </valueSet>\n"
                f"</CustomField>\n").encode()

    path = f"{DEFAULT}/objects/A__c/fields/F__c.field-meta.xml"
    assert merge_documents(field("a"), field("a", "c"), field("a", "b"), path) == field("a", "b", "c")


def test_what_cannot_be_decided_by_key_is_left_to_git() -> None:
    one = labels_doc(label("A", "x"))
    twice = labels_doc(label("A", "x") + label("A", "y"))
    with pytest.raises(Unresolved, match=r"labels\[A\]: the key occurs twice"):
        merge_documents(one, twice, labels_doc(label("B", "x")), LABELS)
    with pytest.raises(Unresolved, match="added on both sides with different content"):
        merge_documents(one, labels_doc(label("A", "x") + label("N", "1")), labels_doc(label("A", "x") + label("N", "2")),
                        LABELS)
    with pytest.raises(Unresolved, match=r"ours:\d+: malformed XML"):
        merge_documents(one, one + b"<<<<<<< ours\n", labels_doc(label("B", "x")), LABELS)
    with pytest.raises(Unresolved, match="not metadata XML with keyed entries"):
        merge_documents(one, one, one, "flows/F.flow-meta.xml")


@pytest.mark.parametrize(("path", "expected"), [
    (LABELS, "CustomLabels"),
    ("labels/CustomLabels.labels", "CustomLabels"),
    (PROFILE, "Profile"),
    ("src/profiles/Admin.profile", "Profile"),
    (OBJECT, "CustomObject"),
    (MDAPI_OBJECT, "CustomObject"),
    (f"{DEFAULT}/objects/Invoice__c/listViews/All.listView-meta.xml", "ListView"),
    (f"{DEFAULT}/objects/Invoice__c/fields/Amount__c.field-meta.xml", "CustomField"),
    ("objectTranslations/Invoice__c-fr/Amount__c.fieldTranslation-meta.xml", "CustomFieldTranslation"),
    ("workflows/Invoice__c.workflow", "Workflow"),
    ("customMetadata/Rate.Default.md", "CustomMetadata"),
    ("README.md", None),
    (f"{DEFAULT}/classes/InvoiceService.cls", None),
    ("Invoice__c.object", None),  # metadata-API files live in their type's folder
])
def test_the_type_comes_from_the_path(path: str, expected: str | None) -> None:
    t = type_for_path(path, load_registry())
    assert (t.name if t else None) == expected


# --------------------------------------------------------------------------- installation


def test_install_is_idempotent_and_keeps_other_attributes(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".gitattributes").write_text("*.png binary\n*.cls text eol=lf")
    said = install_merge_driver(repo / ".", "/opt/sf hotfix/sfhotfix merge-driver %O %A %B %P")
    assert any("not committed" in line for line in said)
    first = (repo / ".gitattributes").read_text()
    assert first.startswith("*.png binary\n*.cls text eol=lf\n\n" + BLOCK_BEGIN + "\n")
    assert first.endswith(BLOCK_END + "\n")
    for pattern in ("*.labels-meta.xml", "*.profile-meta.xml", "*.permissionset-meta.xml", "*.object-meta.xml",
                    "*.field-meta.xml", "*.translation-meta.xml", "*.objectTranslation-meta.xml",
                    "*.workflow-meta.xml", "*.sharingRules-meta.xml", "**/profiles/*.profile",
                    "**/objects/*.object", "**/labels/*.labels", "**/workflows/*.workflow"):
        assert re.search(rf"^{re.escape(pattern)} +merge={DRIVER}$", first, re.M), pattern
    assert "listView" not in first and ".cls-meta.xml" not in first and "**/customMetadata/*.md" in first
    assert git(repo, "config", "merge.sfhotfix-metadata.driver").stdout == \
        "/opt/sf hotfix/sfhotfix merge-driver %O %A %B %P\n"
    assert git(repo, "config", "merge.sfhotfix-metadata.name").stdout.startswith("sfhotfix")
    assert git(repo, "status", "--porcelain").stdout == "?? .gitattributes\n"  # nothing committed

    again = install_merge_driver(repo, "/opt/sf hotfix/sfhotfix merge-driver %O %A %B %P")
    assert (repo / ".gitattributes").read_text() == first
    assert all("already" in line for line in again), again


def test_install_keeps_the_files_own_bytes_and_line_ends(tmp_path: Path) -> None:
    """A .gitattributes written on Windows, with a comment in Latin-1: git reads it as bytes, and so is it kept."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    own = b"# caf\xe9 pictures\r\n*.png binary\r\n"
    (repo / ".gitattributes").write_bytes(own)
    install_merge_driver(repo, "sfhotfix merge-driver %O %A %B %P")
    written = (repo / ".gitattributes").read_bytes()
    assert written.startswith(own + b"\r\n" + BLOCK_BEGIN.encode() + b"\r\n")
    assert written.endswith(BLOCK_END.encode() + b"\r\n") and b"\n" not in written.replace(b"\r\n", b"")
    install_merge_driver(repo, "sfhotfix merge-driver %O %A %B %P")
    assert (repo / ".gitattributes").read_bytes() == written


def test_install_replaces_its_own_block_only(tmp_path: Path) -> None:
    old = f"a.txt text\n{BLOCK_BEGIN}\n*.old merge={DRIVER}\n{BLOCK_END}\nb.txt -text\n"
    new = update_gitattributes(old, ["*.labels-meta.xml"])
    assert new == f"a.txt text\n{BLOCK_BEGIN}\n*.labels-meta.xml merge={DRIVER}\n{BLOCK_END}\nb.txt -text\n"
    assert update_gitattributes(new, ["*.labels-meta.xml"]) == new
    crlf = update_gitattributes("x text\r\n", ["*.p"])
    assert crlf == f"x text\r\n\r\n{BLOCK_BEGIN}\r\n*.p merge={DRIVER}\r\n{BLOCK_END}\r\n"


def test_install_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run([*sfhotfix_command(), "install-merge-driver", "--repo", str(tmp_path)],
                          capture_output=True, text=True, env={**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert done.returncode == 2
    assert done.stderr.startswith("sfhotfix: error: ")


def test_the_installed_command_is_this_sfhotfix_by_absolute_path(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, SANDBOX)
    configured = git(repo, "config", "merge.sfhotfix-metadata.driver").stdout.strip()
    program = sfhotfix_command()
    expected = program[0] if len(program) == 1 else f"{program[0]} -m sfhotfix"
    assert configured == f"{expected} merge-driver %O %A %B %P"
    assert Path(configured.split()[0]).is_absolute()


def test_driver_command_forms(tmp_path: Path) -> None:
    script = tmp_path / "my venv" / "bin" / "sfhotfix"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    assert driver_command(str(script), "/py") == f"'{script}' merge-driver %O %A %B %P"
    assert driver_command("/site/sfhotfix/__main__.py", "/v/bin/python") == \
        "/v/bin/python -m sfhotfix merge-driver %O %A %B %P"


def test_patterns_cover_every_type_with_keyed_lists_or_in_file_children() -> None:
    registry = load_registry()
    patterns = attribute_patterns(registry)
    for t in registry.top_level():
        if (t.keyed_lists or registry.children_of(t)) and t.suffix and t.strategy not in (
                "bundle", "digitalExperience", "uiBundle"):
            assert f"*.{t.suffix}-meta.xml" in patterns, t.name
    assert len(patterns) == len(set(patterns))


# --------------------------------------------------------------------------- property: disjoint edits always merge

KEYS = st.text(alphabet="ABab_09.éΩ", min_size=1, max_size=5)
VALUES = st.text(alphabet="xyZ &<>'\"é", min_size=1, max_size=6).map(str.strip).filter(bool)
ROLES = {  # what an entry is in base, ours, theirs and the merge: its old value, a new one, or absent
    "untouched": ("old", "old", "old", "old"),
    "ours_add": (None, "new", None, "new"),
    "theirs_add": (None, None, "new", "new"),
    "both_add": (None, "new", "new", "new"),
    "ours_mod": ("old", "new", "old", "new"),
    "theirs_mod": ("old", "old", "new", "new"),
    "both_mod": ("old", "new", "new", "new"),
    "ours_del": ("old", None, "old", None),
    "theirs_del": ("old", "old", None, None),
    "both_del": ("old", None, None, None),
}
KINDS = {  # root, keyed element, key element, entry body
    "labels": ("CustomLabels", "labels", "fullName",
               "        <fullName>{k}</fullName>\n        <language>en_US</language>\n"
               "        <protected>false</protected>\n        <value>{v}</value>\n"),
    "profile": ("Profile", "fieldPermissions", "field",
                "        <editable>{v}</editable>\n        <field>{k}</field>\n        <readable>true</readable>\n"),
}


def kind_file(kind: str, entries: dict[str, str], custom: str) -> bytes:
    """A file as a retrieve writes it: entries in key code-point order, Salesforce's escaping and indentation;
    a Profile also has its non-keyed <custom> before and <userLicense> after the entries."""
    root, tag, _, body = KINDS[kind]
    parts = [f"    <{tag}>\n{body.format(k=escape_text(k), v=escape_text(v))}    </{tag}>\n"
             for k, v in sorted(entries.items())]
    if kind == "profile":
        parts = [f"    <custom>{custom}</custom>\n", *parts, "    <userLicense>Salesforce</userLicense>\n"]
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{NS}"'
    return (head + ">\n" + "".join(parts) + f"</{root}>\n" if parts else head + "/>\n").encode()


@st.composite
def disjoint_edits(draw: st.DrawFn) -> tuple[str, dict, dict, dict, dict, tuple[str, str, str, str]]:
    """Base, ours and theirs entries where no entry is changed differently on the two sides, and the union."""
    kind = draw(st.sampled_from(sorted(KINDS)))
    keys = draw(st.lists(KEYS, unique=True, max_size=14))
    sides: tuple[dict[str, str], ...] = ({}, {}, {}, {})  # base, ours, theirs, expected
    for key in keys:
        values = {"old": draw(VALUES), "new": draw(VALUES), None: None}
        for side, state in zip(sides, ROLES[draw(st.sampled_from(sorted(ROLES)))]):
            if state is not None:
                side[key] = values[state]
    customs = draw(st.sampled_from([("false", "false", "false", "false"), ("false", "true", "false", "true"),
                                    ("false", "false", "true", "true"), ("false", "true", "true", "true")]))
    return (kind, *sides, customs)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(disjoint_edits())
def test_disjoint_entry_edits_always_merge_into_the_union_in_key_order(case) -> None:
    kind, base, ours, theirs, expected, (c_base, c_ours, c_theirs, c_expected) = case
    _, tag, key_element, _ = KINDS[kind]
    path = LABELS if kind == "labels" else PROFILE
    merged = merge_documents(kind_file(kind, base, c_base), kind_file(kind, ours, c_ours),
                             kind_file(kind, theirs, c_theirs), path)
    merged_keys = keys_of(merged, tag, key_element)
    assert merged_keys == sorted(expected)  # every entry, none twice, in code-point order
    assert merged == kind_file(kind, expected, c_expected)  # values, order and layout exactly as a retrieve's


# --------------------------------------------------------------------------- real files


def remove_entry(text: str, tag: str, key_element: str, key: str) -> str:
    entry = re.search(rf"(?ms)^    <{tag}>\n(?:(?!^    </{tag}>).)*?<{key_element}>{re.escape(key)}</{key_element}>.*?"
                      rf"^    </{tag}>\n", text)
    assert entry is not None, key
    return text.replace(entry.group(), "", 1)


def first_key(text: str, tag: str, key_element: str, after: int = 0) -> str:
    """The key of the ``after``-th existing entry, so that the edits below hold for whatever the file contains."""
    entries = re.findall(rf"(?ms)^    <{tag}>\n.*?^    </{tag}>\n", text)
    return re.search(rf"<{key_element}>(.*?)</{key_element}>", entries[after]).group(1)


@pytest.mark.parametrize("name", ["profiles/Admin.profile", "labels/CustomLabels.labels", "objects/Contact.object",
                                  "translations/es_MX.translation"])
def test_disjoint_edits_of_real_org_files(realdata: Path, name: str) -> None:
    """Real retrieved files (EDA): both sides edit different entries; the merge is exactly both edits applied."""
    base = (realdata / "org-profiles-eda/src" / name).read_text(encoding="utf-8")
    tag, key_element, new_entry = {
        "profiles/Admin.profile": ("fieldPermissions", "field", lambda k: fls(f"Contact.{k}__c")),
        "labels/CustomLabels.labels": ("labels", "fullName", lambda k: label(k, f"{k} value")),
        "objects/Contact.object": ("fields", "fullName", lambda k: f"    <fields>\n        <fullName>{k}__c</fullName>\n"
                                   f"        <label>{k}</label>\n        <type>Checkbox</type>\n    </fields>\n"),
        "translations/es_MX.translation": ("customLabels", "name", lambda k: f"    <customLabels>\n        <label>{k}"
                                           f"</label>\n        <name>{k}</name>\n    </customLabels>\n"),
    }[name]
    changed, deleted = first_key(base, tag, key_element, 1), first_key(base, tag, key_element, 2)

    def ours_edit(text: str) -> str:
        return remove_entry(with_entry(text, tag, key_element, new_entry("Ours_New")), tag, key_element, deleted)

    def theirs_edit(text: str) -> str:
        text = with_entry(text, tag, key_element, new_entry("Theirs_New"))
        entry = re.search(rf"(?ms)^    <{tag}>\n(?:(?!^    </{tag}>).)*?<{key_element}>{re.escape(changed)}"
                          rf"</{key_element}>.*?^    </{tag}>\n", text).group()
        edited = entry.replace(f"    </{tag}>\n", f"        <zzChangedByTheirs>yes</zzChangedByTheirs>\n    </{tag}>\n")
        return text.replace(entry, edited, 1)

    ours, theirs = ours_edit(base), theirs_edit(base)
    merged = merge_documents(base.encode(), ours.encode(), theirs.encode(), name)
    assert merged.decode() == theirs_edit(ours_edit(base))
