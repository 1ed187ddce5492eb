"""The CLI contract other work relies on, and one-line errors with exit code 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfhotfix.cli import main


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_types_json_lists_every_type() -> None:
    code, out, _ = run("types", "--json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 535
    by_name = {r["name"]: r for r in rows}
    assert set(by_name["CustomObject"]) == {"name", "directoryName", "suffix", "inFolder", "strategy", "children"}
    assert by_name["CustomObject"]["strategy"] == "decomposed"
    assert "CustomField" in by_name["CustomObject"]["children"]
    assert by_name["Report"]["inFolder"] is True
    assert by_name["Workflow"]["strategy"] == "inFile"


def test_components_json_of_a_source_project(realdata: Path) -> None:
    folder = realdata / "sdr-snapshots" / "customObjects-and-children" / "__snapshots__" / "verify-source-files.expected"
    code, out, _ = run("components", str(folder / "force-app"), "--json")
    assert code == 0
    rows = json.loads(out)
    keys = {(r["type"], r["fullName"]) for r in rows}
    assert ("CustomObject", "Broker__c") in keys
    assert ("CustomField", "Property__c.Price__c") in keys
    assert ("ListView", "Broker__c.All") in keys
    field = next(r for r in rows if r["fullName"] == "Broker__c.Email__c")
    assert field["files"] == ["main/default/objects/Broker__c/fields/Email__c.field-meta.xml"]


def test_components_of_mdapi_folder_include_in_file_children(realdata: Path) -> None:
    code, out, _ = run("components", str(realdata / "sdr-snapshots" / "workflow" / "originalMdapi"), "--json")
    assert code == 0
    keys = {(r["type"], r["fullName"]) for r in json.loads(out)}
    assert {("Workflow", "Account"), ("WorkflowAlert", "Account.emailalert1"), ("WorkflowTask", "Account.task_1")} <= keys
    assert ("EmailTemplate", "emailtest/MarketingProductInquiryResponse") in keys


def test_manifest_matches_the_converters_package_xml(realdata: Path, tmp_path: Path) -> None:
    project = realdata / "sdr-snapshots" / "customObjects-and-children"
    source = project / "__snapshots__" / "verify-source-files.expected" / "force-app"
    code, _, _ = run("manifest", str(source), "--project", str(project), "--output", str(tmp_path / "package.xml"))
    assert code == 0
    expected = project / "__snapshots__" / "verify-md-files.expected" / "package.xml"
    assert (tmp_path / "package.xml").read_bytes() == expected.read_bytes()


def test_unknown_files_are_reported_not_dropped(tmp_path: Path) -> None:
    (tmp_path / "classes").mkdir()
    (tmp_path / "classes" / "A.cls-meta.xml").write_text("<ApexClass/>")
    (tmp_path / "classes" / "notes.txt").write_text("hello")
    code, out, err = run("components", str(tmp_path))
    assert code == 0
    assert "ApexClass:A" in out
    assert "classes/notes.txt: no metadata type claims this file" in err


def test_malformed_xml_is_one_line_with_file_and_line_and_nothing_written(tmp_path: Path) -> None:
    objects = tmp_path / "src" / "objects"
    objects.mkdir(parents=True)
    (objects / "Bad__c.object").write_text('<?xml version="1.0"?>\n<CustomObject>\n  <label>x</lab>\n</CustomObject>\n')
    code, _, err = run("convert", "--to", "source", str(tmp_path / "src"), "--output-dir", str(tmp_path / "out"))
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "Bad__c.object:3" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*"))


def test_doctype_is_refused(tmp_path: Path) -> None:
    objects = tmp_path / "src" / "objects"
    objects.mkdir(parents=True)
    (objects / "X__c.object").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        "<CustomObject><label>&xxe;</label></CustomObject>\n"
    )
    code, _, err = run("convert", "--to", "source", str(tmp_path / "src"), "--output-dir", str(tmp_path / "out"))
    assert code == 2
    assert "X__c.object" in err and "root:" not in err


def test_zip_entry_escaping_the_folder_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("classes/A.cls-meta.xml", "<ApexClass/>")
        z.writestr("../../escape.txt", "x")
    code, _, err = run("convert", "--to", "source", str(archive), "--output-dir", str(tmp_path / "out"))
    assert code == 2
    assert "escapes the output folder" in err
    assert not (tmp_path / "out").exists()


def test_non_empty_output_folder_is_refused_without_force(realdata: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    src = realdata / "sdr-snapshots" / "workflow" / "originalMdapi"
    code, _, err = run("convert", "--to", "source", str(src), "--output-dir", str(out))
    assert code == 2 and "not empty" in err
    code, _, _ = run("convert", "--to", "source", str(src), "--output-dir", str(out), "--force")
    assert code == 0
    assert (out / "keep.txt").read_text() == "mine"
    assert (out / "main" / "default" / "workflows" / "Account.workflow-meta.xml").exists()


def test_missing_path_and_non_zip_file(tmp_path: Path) -> None:
    code, _, err = run("components", str(tmp_path / "nope"))
    assert code == 2 and "nope" in err
    (tmp_path / "fake.zip").write_text("not a zip")
    code, _, err = run("components", str(tmp_path / "fake.zip"))
    assert code == 2 and "not a zip" in err


@pytest.mark.parametrize("path, listed", [("./force-app/", "ApexClass:A\n"), ("force-app", "ApexClass:A\n"),
                                          ("other", "")])
def test_package_directories_are_read_as_the_sf_cli_resolves_them(tmp_path: Path, path: str, listed: str) -> None:
    """``./force-app/`` is force-app (it read nothing before); a folder the project lacks holds nothing."""
    classes = tmp_path / "force-app" / "main" / "default" / "classes"
    classes.mkdir(parents=True)
    (classes / "A.cls").write_text("public class A {}\n")
    (classes / "A.cls-meta.xml").write_text('<?xml version="1.0" encoding="UTF-8"?>\n<ApexClass xmlns="http://soap.'
                                            'sforce.com/2006/04/metadata"><status>Active</status></ApexClass>\n')
    (tmp_path / "sfdx-project.json").write_text(json.dumps({"packageDirectories": [{"path": path, "default": True}]}))
    assert run("components", str(tmp_path)) == (0, listed, "")


@pytest.mark.parametrize("entries, why", [
    ([{"path": "../shared", "default": True}], "package directory '../shared' is outside the project"),
    ([{"path": "/srv/app"}], "package directory '/srv/app' is outside the project"),
    ([{"default": True}], "every packageDirectories entry needs a 'path'"),
    ([{"path": 7}], "every packageDirectories entry needs a 'path'")])
def test_a_package_directory_that_cannot_be_read_is_a_one_line_error(tmp_path: Path, entries: list, why: str) -> None:
    (tmp_path / "sfdx-project.json").write_text(json.dumps({"packageDirectories": entries}))
    assert run("components", str(tmp_path)) == (2, "", f"sfhotfix: error: {tmp_path}/sfdx-project.json: {why}\n")


def test_console_script_runs_as_a_process(realdata: Path, tmp_path: Path) -> None:
    project = realdata / "sdr-snapshots" / "customLabels-simple"
    result = subprocess.run(
        [sys.executable, "-m", "sfhotfix", "convert", "--to", "mdapi",
         str(project / "__snapshots__" / "verify-source-files.expected" / "force-app"),
         "--output-dir", str(tmp_path / "out"), "--project", str(project)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    expected = project / "__snapshots__" / "verify-md-files.expected" / "labels" / "CustomLabels.labels"
    assert (tmp_path / "out" / "labels" / "CustomLabels.labels").read_bytes() == expected.read_bytes()
