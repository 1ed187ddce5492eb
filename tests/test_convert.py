"""Conversion both ways must match Salesforce's converter (SDR) file for file, byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sfhotfix.inventory import convert

SNAPSHOT_PROJECTS = ["customLabels-simple", "customObjects-and-children", "preset-PermSet", "workflow"]


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_same_tree(actual: Path, expected: Path) -> None:
    got, want = tree_bytes(actual), tree_bytes(expected)
    assert sorted(got) == sorted(want), "extra or missing files"
    different = [name for name in want if got[name] != want[name]]
    assert different == [], f"files differ from Salesforce's converter: {different}"


@pytest.mark.parametrize("name", SNAPSHOT_PROJECTS)
def test_mdapi_to_source_matches_sdr_snapshot(realdata: Path, tmp_path: Path, name: str) -> None:
    project = realdata / "sdr-snapshots" / name
    convert(project / "originalMdapi", "source", tmp_path / "out", project, force=False)
    assert_same_tree(tmp_path / "out", project / "__snapshots__" / "verify-source-files.expected" / "force-app")


@pytest.mark.parametrize("name", SNAPSHOT_PROJECTS)
def test_source_to_mdapi_matches_sdr_snapshot(realdata: Path, tmp_path: Path, name: str) -> None:
    project = realdata / "sdr-snapshots" / name
    source = project / "__snapshots__" / "verify-source-files.expected" / "force-app"
    convert(source, "mdapi", tmp_path / "out", project, force=False)
    assert_same_tree(tmp_path / "out", project / "__snapshots__" / "verify-md-files.expected")


def test_real_org_project_round_trip_is_stable(realdata: Path, tmp_path: Path) -> None:
    """A real org retrieve (EDA): once in metadata-API form, converting there and back changes nothing."""
    src = realdata / "org-profiles-eda" / "src"
    project = tmp_path / "project"
    project.mkdir()
    (project / "sfdx-project.json").write_text('{"packageDirectories": [{"path": "force-app"}], "sourceApiVersion": "59.0"}')
    convert(src, "source", tmp_path / "s1", project, force=False)
    convert(tmp_path / "s1", "mdapi", tmp_path / "m1", project, force=False)
    convert(tmp_path / "m1", "source", tmp_path / "s2", project, force=False)
    convert(tmp_path / "s2", "mdapi", tmp_path / "m2", project, force=False)
    assert_same_tree(tmp_path / "m2", tmp_path / "m1")
    originals = {p.name for p in (src / "objects").iterdir()}
    assert originals == {p.name for p in (tmp_path / "m1" / "objects").iterdir()}
    assert len(list((tmp_path / "s1" / "main" / "default" / "objects" / "Contact" / "fields").iterdir())) > 10


def test_decomposed_children_sorted_like_locale_compare(tmp_path: Path) -> None:
    """Recomposed children are ordered as JavaScript's localeCompare orders their names."""
    fields = tmp_path / "force-app" / "main" / "default" / "objects" / "Edge__c" / "fields"
    fields.mkdir(parents=True)
    for name in ["B__c", "a__c", "A__c", "_x__c", "Price__c", "Price_Sold__c"]:
        (fields / f"{name}.field-meta.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">\n'
            f"    <fullName>{name}</fullName>\n</CustomField>\n"
        )
    convert(tmp_path / "force-app", "mdapi", tmp_path / "out", tmp_path, force=False)
    text = (tmp_path / "out" / "objects" / "Edge__c.object").read_text()
    order = [line.strip()[10:-11] for line in text.splitlines() if "<fullName>" in line]
    assert order == ["_x__c", "a__c", "A__c", "B__c", "Price__c", "Price_Sold__c"]


def test_non_canonical_input_is_rewritten_as_the_converter_writes(tmp_path: Path) -> None:
    """Two-space indentation, padded text and comments come out as SDR 13.7 writes them (seen with the peer)."""
    objects = tmp_path / "src" / "objects"
    objects.mkdir(parents=True)
    (objects / "E__c.object").write_bytes(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata">\n'
        b"  <label>raw ' \" &gt; &#39;x</label>\n  <description>  padded  </description>\n  <!-- note -->\n"
        b"  <fields><fullName>F__c</fullName><defaultValue/></fields>\n</CustomObject>\n"
    )
    convert(tmp_path / "src", "source", tmp_path / "out", tmp_path, force=False)
    folder = tmp_path / "out" / "main" / "default" / "objects" / "E__c"
    assert (folder / "E__c.object-meta.xml").read_bytes() == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata">\n'
        b"    <label>raw &apos; &quot; &gt; &#39;x</label>\n    <description>padded</description><!-- note --></CustomObject>\n"
    )
    assert (folder / "fields" / "F__c.field-meta.xml").read_bytes() == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">\n'
        b"    <fullName>F__c</fullName>\n    <defaultValue></defaultValue>\n</CustomField>\n"
    )


def test_a_comment_between_labels_is_left_out_as_the_converter_leaves_it(tmp_path: Path) -> None:
    """NPSP's CustomLabels.labels marks groups of labels with comments between them: SDR 13.7 rebuilds the file
    from its labels, keeping a comment inside a label and not one between two (seen with the peer on NPSP's
    file and on this one); sfhotfix wrote the latter at the end of the file."""
    labels = tmp_path / "src" / "labels"
    labels.mkdir(parents=True)
    entry = ("    <labels>\n        <fullName>{0}</fullName>\n{1}        <language>en_US</language>\n"
             "        <protected>false</protected>\n        <shortDescription>{0}</shortDescription>\n"
             "        <value>{0}</value>\n    </labels>\n")
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<CustomLabels xmlns="http://soap.sforce.com/2006/04/metadata">\n'
    (labels / "CustomLabels.labels").write_text(
        head + entry.format("A", "") + "    <!-- err prefix: the ERR_ classes' labels -->\n"
        + entry.format("B", "        <!-- inner -->\n") + "</CustomLabels>\n")
    convert(tmp_path / "src", "source", tmp_path / "out", tmp_path, force=False)
    assert (tmp_path / "out/main/default/labels/CustomLabels.labels-meta.xml").read_text() == (
        head + entry.format("A", "") + "    <labels>\n        <fullName>B</fullName><!-- inner --><language>en_US"
        "</language>\n        <protected>false</protected>\n        <shortDescription>B</shortDescription>\n"
        "        <value>B</value>\n    </labels>\n</CustomLabels>\n")


@pytest.mark.parametrize("content_type, extension", [
    ("image/jpeg", "jpeg"), ("application/xml", "xml"), ("audio/mpeg", "mpga"), ("text/css; charset=utf-8", "css"),
    ("Image/PNG", "png"), ("application/x-javascript", "js"), ("application/x-font-woff", "bin"),
    ("application/octet-stream", "bin")])
def test_a_resource_file_is_named_by_its_content_type_as_the_converter_names_it(
        tmp_path: Path, content_type: str, extension: str) -> None:
    """The extensions SDR 13.7 gave (seen with the peer: mime 2.6.0, then SDR's own fallbacks, then bin), where
    Python's mimetypes says .jpg, .xsl, .mp3; lwc-recipes' developer.jpeg came out as developer.jpg."""
    resources = tmp_path / "src" / "staticresources"
    resources.mkdir(parents=True)
    (resources / "logo.resource").write_bytes(b"\x89data")
    (resources / "logo.resource-meta.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<StaticResource xmlns="http://soap.sforce.com/2006/04/metadata">\n'
        f"    <cacheControl>Public</cacheControl>\n    <contentType>{content_type}</contentType>\n</StaticResource>\n")
    convert(tmp_path / "src", "source", tmp_path / "out", tmp_path, force=False)
    written = {p.name for p in (tmp_path / "out/main/default/staticresources").iterdir()}
    assert written == {f"logo.{extension}", "logo.resource-meta.xml"}


def test_children_salesforces_converter_cannot_name_are_their_parents_content(tmp_path: Path) -> None:
    """A MktDataTranObject's mktDataTranFields have no key element in SDR's registry, so SDR reads none of them
    inside the file: package.xml lists the object alone (SDR 13.7 did, seen with the peer), and a changed field
    is a change of the object, not a row of a child sfhotfix would name on its own."""
    from sfhotfix.compare import compare

    def write(root: Path, label: str) -> None:
        folder = root / "force-app" / "main" / "default" / "mktDataTranObjects"
        folder.mkdir(parents=True)
        (folder / "Orders.mktDataTranObject-meta.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<MktDataTranObject xmlns="http://soap.sforce.com/2006/04/metadata">\n'
            f"    <masterLabel>Orders</masterLabel>\n    <mktDataTranFields>\n        <fullName>Total</fullName>\n"
            f"        <masterLabel>{label}</masterLabel>\n    </mktDataTranFields>\n</MktDataTranObject>\n")
        (root / "sfdx-project.json").write_text('{"packageDirectories": [{"path": "force-app", "default": true}]}')

    write(tmp_path / "a", "Total")
    write(tmp_path / "b", "Order total")
    convert(tmp_path / "a", "mdapi", tmp_path / "mdapi", tmp_path / "a", force=False)
    manifest = (tmp_path / "mdapi" / "package.xml").read_text()
    assert "<name>MktDataTranObject</name>" in manifest and "MktDataTranField" not in manifest
    rows = compare(str(tmp_path / "b"), str(tmp_path / "a")).rows
    assert [(r.selector, r.status, [c.path for c in r.changes]) for r in rows] == [
        ("MktDataTranObject:Orders", "changed", ["mktDataTranFields.masterLabel"])]


def test_a_document_folders_own_file_in_source_format_is_the_folder(tmp_path: Path) -> None:
    """``documents/Docs.documentFolder-meta.xml`` is the DocumentFolder Docs, not a document: it converts to
    ``documents/Docs-meta.xml`` as SDR 13.7 converted it (seen with the peer), and package.xml lists the
    folder under Document as a retrieve does."""
    folder = tmp_path / "force-app" / "main" / "default" / "documents"
    (folder / "Docs").mkdir(parents=True)
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    (folder / "Docs.documentFolder-meta.xml").write_text(
        f'{head}<DocumentFolder xmlns="http://soap.sforce.com/2006/04/metadata">\n    <name>Docs</name>\n</DocumentFolder>\n')
    (folder / "Docs" / "logo.png").write_bytes(b"PNG")
    (folder / "Docs" / "logo.document-meta.xml").write_text(
        f'{head}<Document xmlns="http://soap.sforce.com/2006/04/metadata">\n    <name>logo</name>\n</Document>\n')
    (tmp_path / "sfdx-project.json").write_text('{"packageDirectories": [{"path": "force-app", "default": true}]}')
    convert(tmp_path / "force-app", "mdapi", tmp_path / "mdapi", tmp_path, force=False)
    written = sorted(p.relative_to(tmp_path / "mdapi").as_posix() for p in (tmp_path / "mdapi").rglob("*") if p.is_file())
    assert written == ["documents/Docs-meta.xml", "documents/Docs/logo.png", "documents/Docs/logo.png-meta.xml",
                       "package.xml"]
    assert "<members>Docs</members>\n        <members>Docs/logo</members>\n        <name>Document</name>" in \
        (tmp_path / "mdapi" / "package.xml").read_text()


def test_territories_and_their_rules_live_in_their_models_folder(tmp_path: Path) -> None:
    """``territory2Models/M1/territories/T1.territory2`` is Territory2 M1.T1 and ``…/rules/R1.territory2Rule``
    Territory2Rule M1.R1, in both formats (they were files no type claimed, and converting flattened the
    model's folder); the conversion both ways is the one SDR 13.7 wrote (seen with the peer), and the source
    tree compares identical to the metadata-API one."""
    from sfhotfix.compare import compare
    from sfhotfix.sources import open_source

    head = '<?xml version="1.0" encoding="UTF-8"?>\n<{0} xmlns="http://soap.sforce.com/2006/04/metadata">\n'
    files = {"territory2Models/M1/M1.territory2Model": ("Territory2Model", "    <name>M1</name>\n"),
             "territory2Models/M1/territories/T1.territory2": ("Territory2", "    <name>T1</name>\n"),
             "territory2Models/M1/rules/R1.territory2Rule": ("Territory2Rule", "    <name>R1</name>\n")}
    for path, (root, body) in files.items():
        (tmp_path / "src" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / path).write_text(head.format(root) + body + f"</{root}>\n")
    (tmp_path / "sfdx-project.json").write_text('{"packageDirectories": [{"path": "force-app", "default": true}]}')
    convert(tmp_path / "src", "source", tmp_path / "force-app", tmp_path, force=False)
    below = tmp_path / "force-app" / "main" / "default"
    assert sorted(p.relative_to(below).as_posix() for p in below.rglob("*") if p.is_file()) == sorted(
        path + "-meta.xml" for path in files)
    expected = ["Territory2:M1.T1", "Territory2Model:M1", "Territory2Rule:M1.R1"]
    for tree in (tmp_path / "src", tmp_path):
        resolved = open_source(tree).resolved
        assert sorted(c.selector for c in resolved.components) == expected and resolved.unknown == []
    convert(tmp_path / "force-app", "mdapi", tmp_path / "back", tmp_path, force=False)
    assert sorted(p.relative_to(tmp_path / "back").as_posix() for p in (tmp_path / "back").rglob("*")
                  if p.is_file()) == sorted([*files, "package.xml"])
    summary = compare(str(tmp_path), str(tmp_path / "src")).as_json()["summary"]
    assert summary == {"new": 0, "changed": 0, "deleted": 0, "identical": 3}
    from click.testing import CliRunner

    from sfhotfix.cli import main

    for selector in expected:  # diff (and commit) read only the files a selector can live in: the model's folder
        result = CliRunner().invoke(main, ["diff", "--source", str(tmp_path), "--target", str(tmp_path / "src"),
                                           selector])
        assert (result.exit_code, result.stdout.splitlines()[0]) == (0, f"{selector}  identical"), result.stderr


SITE = {
    "Shop1.digitalExperience-meta.xml": '<?xml version="1.0" encoding="UTF-8"?>\n<DigitalExperienceBundle xmlns='
                                        '"http://soap.sforce.com/2006/04/metadata">\n    <label>Shop1</label>\n'
                                        "</DigitalExperienceBundle>\n",
    "sfdc_cms__view/home/_meta.json": '{"apiName":"home","type":"sfdc_cms__view","path":"views"}\n',
    "sfdc_cms__view/home/content.json": '{"type":"sfdc_cms__view","title":"Home","contentBody":{}}\n',
    "sfdc_cms__route/Home/_meta.json": '{"apiName":"Home","type":"sfdc_cms__route","path":"routes"}\n',
    "sfdc_cms__route/Home/content.json": '{"type":"sfdc_cms__route","title":"Home"}\n',
}


def write_site(folder: Path) -> None:
    """An Experience Cloud (LWR) site as ``folder``/digitalExperiences/site/Shop1, the same in both formats."""
    for name, text in SITE.items():
        path = folder / "digitalExperiences" / "site" / "Shop1" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_an_experience_cloud_site_is_a_bundle_with_its_content_as_children(tmp_path: Path) -> None:
    """A site's files were files no type claimed in source format (and one bundle named ``site`` in metadata-API
    format): the site is DigitalExperienceBundle site/Shop1 and each content folder a DigitalExperience of it,
    and both conversions copy them and list them as SDR 13.7 did (seen with the peer)."""
    from sfhotfix.sources import open_source

    write_site(tmp_path / "force-app" / "main" / "default")
    (tmp_path / "sfdx-project.json").write_text('{"packageDirectories": [{"path": "force-app", "default": true}]}')
    resolved = open_source(tmp_path).resolved
    assert resolved.unknown == []
    assert [(c.selector, c.parent and c.parent.selector, len(c.files)) for c in resolved.all_components()] == [
        ("DigitalExperienceBundle:site/Shop1", None, 1),
        ("DigitalExperience:site/Shop1.sfdc_cms__route/Home", "DigitalExperienceBundle:site/Shop1", 2),
        ("DigitalExperience:site/Shop1.sfdc_cms__view/home", "DigitalExperienceBundle:site/Shop1", 2)]
    convert(tmp_path / "force-app", "mdapi", tmp_path / "mdapi", tmp_path, force=False)
    site = tmp_path / "mdapi" / "digitalExperiences" / "site" / "Shop1"
    assert {p.relative_to(site).as_posix(): p.read_text() for p in site.rglob("*") if p.is_file()} == SITE
    assert ("<members>site/Shop1.sfdc_cms__route/Home</members>\n        <members>site/Shop1.sfdc_cms__view/home"
            "</members>\n        <name>DigitalExperience</name>\n    </types>\n    <types>\n        <members>site/Shop1"
            "</members>\n        <name>DigitalExperienceBundle</name>") in (tmp_path / "mdapi" / "package.xml").read_text()
    assert [c.selector for c in open_source(tmp_path / "mdapi").resolved.all_components()] == [
        c.selector for c in resolved.all_components()]
    convert(tmp_path / "mdapi", "source", tmp_path / "back", tmp_path, force=False)
    back = tmp_path / "back" / "main" / "default" / "digitalExperiences" / "site" / "Shop1"
    assert {p.relative_to(back).as_posix(): p.read_text() for p in back.rglob("*") if p.is_file()} == SITE


def test_zip_source_converts_like_its_folder(realdata: Path, tmp_path: Path) -> None:
    project = realdata / "sdr-snapshots" / "workflow"
    archive = shutil.make_archive(str(tmp_path / "retrieve"), "zip", project / "originalMdapi")
    convert(Path(archive), "source", tmp_path / "out", project, force=False)
    assert_same_tree(tmp_path / "out", project / "__snapshots__" / "verify-source-files.expected" / "force-app")


def _decompose_both_ways(path: Path):
    """The line-level shortcut's split of a file, and the exact path's, for the same file."""
    import sfhotfix.formats.convert as convert_module
    from sfhotfix.components import Component
    from sfhotfix.formats import fast_split
    from sfhotfix.registry import load_registry

    registry = load_registry()
    t = registry.by_suffix(path.suffix[1:])
    data = path.read_bytes()
    quick = fast_split.split(data, t, path.stem, registry, f"main/default/{t.directory_name}/{path.stem}")
    exact = convert_module.Output()
    original = convert_module.fast_split.split
    convert_module.fast_split.split = lambda *args, **kwargs: None
    try:
        convert_module._decompose(Component(t, path.stem, xml=path.name), data, "test", registry, exact)
    finally:
        convert_module.fast_split.split = original
    return quick, exact.files


def test_line_level_split_equals_the_exact_path_on_real_files(realdata: Path) -> None:
    paths = sorted([*realdata.rglob("*.object"), *realdata.rglob("*.objectTranslation"),
                    *Path(__file__).resolve().parents[1].joinpath("examples").rglob("*.object")])
    taken = 0
    for path in paths:
        quick, exact = _decompose_both_ways(path)
        if quick is not None:
            taken += 1
            assert quick == exact, path
    assert taken >= len(paths) // 3  # the shortcut is really used on retrieved files


def test_line_level_split_declines_what_it_cannot_write_exactly(tmp_path: Path) -> None:
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata">\n'
    bodies = [
        "    <label>It's</label>\n",                        # a raw quote is escaped by the converter
        "    <label> padded</label>\n",                     # text is trimmed
        "    <!-- note -->\n",                              # comments are glued
        "    <a>1</a>\n    <b>2</b>\n    <a>3</a>\n",       # repeated out of sequence: regrouped
        '    <label xml:lang="en">x</label>\n',              # attributes
        "  <label>two-space</label>\n",                     # another indentation
    ]
    for n, body in enumerate(bodies):
        path = tmp_path / f"E{n}__c.object"
        path.write_text(head + body + "</CustomObject>\n")
        quick, exact = _decompose_both_ways(path)
        assert quick is None, body
        assert exact  # the exact path still converts it


def test_line_level_rewrite_of_labels_equals_the_exact_path(realdata: Path, tmp_path: Path) -> None:
    from sfhotfix.formats import fast_split, sdr_xml
    from sfhotfix.registry import load_registry

    t = load_registry().get("CustomLabels")
    paths = sorted(realdata.rglob("*.labels")) + sorted(Path(__file__).resolve().parents[1].joinpath("examples").rglob("*.labels"))
    odd = tmp_path / "odd.labels"
    odd.write_bytes(b'<?xml version="1.0" encoding="UTF-8" ?>\n<CustomLabels xmlns="http://soap.sforce.com/2006/04/metadata">\n'
                    b"  <labels>\n    <fullName>A</fullName>\n  </labels>\n</CustomLabels>\n")
    taken = 0
    for path in [*paths, odd]:
        data = path.read_bytes()
        quick = fast_split.rewrite(data, t)
        if quick is not None:
            taken += 1
            assert quick == sdr_xml.build(sdr_xml.parse(data, str(path))), path
    assert taken >= 2 and fast_split.rewrite(odd.read_bytes(), t) is None


def test_an_ant_layout_folder_converts_as_its_src(tmp_path: Path) -> None:
    """A folder with src/package.xml beside type folders (the Ant layout) converts as src/ alone would."""
    examples = Path(__file__).resolve().parents[1] / "examples"
    ant = tmp_path / "ant"
    shutil.copytree(examples / "hotfix-sandbox", ant / "src")
    (ant / "README.md").write_text("# Acme org\n")
    convert(ant, "source", tmp_path / "whole", examples, force=False)
    convert(ant / "src", "source", tmp_path / "src-only", examples, force=False)
    whole = {p.relative_to(tmp_path / "whole"): p.read_bytes() for p in (tmp_path / "whole").rglob("*") if p.is_file()}
    alone = {p.relative_to(tmp_path / "src-only"): p.read_bytes() for p in (tmp_path / "src-only").rglob("*") if p.is_file()}
    assert whole == alone and len(whole) >= 20


def test_output_below_missing_folders_is_staged_beside_it_not_in_the_system_temp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The staging folder goes in the nearest folder that exists above the output (the same disk, one rename
    into place), never in the system's temporary folder; nothing of it is left behind."""
    import tempfile

    examples = Path(__file__).resolve().parents[1] / "examples"
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-system-temp-here"))
    out = tmp_path / "new" / "deeper" / "force-app"
    convert(examples / "hotfix-sandbox", "source", out, examples, force=False)
    assert (out / "main" / "default" / "classes" / "InvoiceService.cls").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new"]


@pytest.mark.parametrize("to", ["source", "mdapi"])
def test_a_file_that_cannot_be_read_is_a_one_line_error_and_nothing_is_written(tmp_path: Path, to: str) -> None:
    from click.testing import CliRunner

    from sfhotfix.cli import main

    examples = Path(__file__).resolve().parents[1] / "examples"
    folder = tmp_path / "in"
    if to == "source":
        shutil.copytree(examples / "hotfix-sandbox", folder)
        broken = folder / "classes" / "Gone.cls"
    else:
        convert(examples / "hotfix-sandbox", "source", folder / "force-app", examples, force=False)
        broken = folder / "force-app" / "main" / "default" / "classes" / "Gone.cls"
    broken.symlink_to(tmp_path / "nowhere")
    (broken.parent / "Gone.cls-meta.xml").write_bytes((broken.parent / "InvoiceService.cls-meta.xml").read_bytes())
    result = CliRunner().invoke(main, ["convert", "--to", to, str(folder), "--output-dir", str(tmp_path / "out"),
                                       "--project", str(examples)])
    assert result.exit_code == 2, result.output
    assert "Gone.cls: cannot be" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no output, no staging left
