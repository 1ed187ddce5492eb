"""The reports: terminal table, per-component diff, and the self-contained HTML page (also run in headless Chromium)."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html
from rich.console import Console

from sfhotfix.report.diff_text import grouped_rows, side_by_side, unified_diff
from sfhotfix.report.html import render_html
from sfhotfix.report.terminal import print_comparison, print_component_diff

NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"'

AMOUNT_TARGET = f"""<?xml version="1.0" encoding="UTF-8"?>
<CustomField {NS}>
    <fullName>Amount__c</fullName>
    <externalId>false</externalId>
    <label>Amount</label>
    <precision>16</precision>
    <required>false</required>
    <scale>2</scale>
    <trackTrending>false</trackTrending>
    <type>Currency</type>
</CustomField>
"""
AMOUNT_SOURCE = AMOUNT_TARGET.replace("<precision>16</precision>", "<precision>18</precision>").replace(
    "<required>false</required>", "<required>true</required>")

LATE_FEE_SOURCE = f"""<?xml version="1.0" encoding="UTF-8"?>
<CustomField {NS}>
    <fullName>Late_Fee__c</fullName>
    <defaultValue>0</defaultValue>
    <externalId>false</externalId>
    <label>Late Fee</label>
    <precision>16</precision>
    <scale>2</scale>
    <type>Currency</type>
</CustomField>
"""

_APEX_BODY = "\n".join(f"        total += lines[{i}].Amount__c; // line item {i}" for i in range(24))
APEX_TARGET = f"""public with sharing class InvoiceService {{
    public static Decimal total(List<Invoice_Line__c> lines) {{
        Decimal total = 0;
{_APEX_BODY}
        return total;
    }}

    public static Decimal lateFee(Invoice__c inv) {{
        return 0;
    }}
}}
"""
APEX_SOURCE = APEX_TARGET.replace("        return 0;\n", """        if (inv.Due_Date__c < Date.today()) {
            return inv.Amount__c * 0.05;
        }
        return 0;
""").replace("Decimal total = 0;", "Decimal total = 0.00;")


def make_report() -> dict:
    """A hand-built comparison in the JSON shape of ``sfhotfix compare --json``."""
    invoice = {"type": "CustomObject", "fullName": "Invoice__c"}
    admin = {"type": "Profile", "fullName": "Admin"}
    components = [
        {"type": "ApexClass", "fullName": "InvoiceService", "selector": "ApexClass:InvoiceService",
         "status": "changed", "parent": None, "unknownType": False,
         "changes": [{"path": "body", "kind": "modified", "source": None, "target": None}],
         "sourceText": APEX_SOURCE, "targetText": APEX_TARGET,
         "changedBy": "Dana Admin", "changedOn": "2024-05-02T10:15:00Z"},
        {"type": "ApexClass", "fullName": "InvoiceServiceTest", "selector": "ApexClass:InvoiceServiceTest",
         "status": "identical", "parent": None, "changes": [], "unknownType": False},
        {"type": "CustomObject", "fullName": "Invoice__c", "selector": "CustomObject:Invoice__c",
         "status": "changed", "parent": None, "unknownType": False,
         "changes": [{"path": "description", "kind": "modified", "source": "Customer invoices (hotfix)",
                      "target": "Customer invoices"}]},
        {"type": "CustomField", "fullName": "Invoice__c.Late_Fee__c", "selector": "CustomField:Invoice__c.Late_Fee__c",
         "status": "new", "parent": invoice, "changes": [], "unknownType": False,
         "sourceText": LATE_FEE_SOURCE, "targetText": None,
         "changedBy": "Sam Dev", "changedOn": "2024-05-03"},
        {"type": "CustomField", "fullName": "Invoice__c.Amount__c", "selector": "CustomField:Invoice__c.Amount__c",
         "status": "changed", "parent": invoice, "unknownType": False,
         "changes": [{"path": "precision", "kind": "modified", "source": "18", "target": "16"},
                     {"path": "required", "kind": "modified", "source": "true", "target": "false"}],
         "sourceText": AMOUNT_SOURCE, "targetText": AMOUNT_TARGET},
        {"type": "CustomField", "fullName": "Invoice__c.Legacy_Code__c", "selector": "CustomField:Invoice__c.Legacy_Code__c",
         "status": "deleted", "parent": invoice, "changes": [], "unknownType": False},
        {"type": "Layout", "fullName": "Invoice__c-Invoice Layout", "selector": "Layout:Invoice__c-Invoice Layout",
         "status": "identical", "parent": None, "changes": [], "unknownType": False},
        {"type": "Profile", "fullName": "Admin", "selector": "Profile:Admin", "status": "changed",
         "parent": None, "unknownType": False,
         "changes": [{"path": "fieldPermissions[Invoice__c.Amount__c].editable", "kind": "modified",
                      "source": "true", "target": "false"},
                     {"path": "fieldPermissions[Invoice__c.Late_Fee__c]", "kind": "added",
                      "source": {"field": "Invoice__c.Late_Fee__c", "editable": "true", "readable": "true"},
                      "target": None},
                     {"path": "tabVisibilities", "kind": "reordered",
                      "source": ["Invoice__c", "Account"], "target": ["Account", "Invoice__c"]}]},
        {"type": "Profile.fieldPermissions", "fullName": "Invoice__c.Amount__c",
         "selector": "Profile:Admin/fieldPermissions:Invoice__c.Amount__c", "status": "changed", "parent": admin,
         "unknownType": False,
         "changes": [{"path": "editable", "kind": "modified", "source": "true", "target": "false"}]},
        {"type": "Profile.fieldPermissions", "fullName": "Invoice__c.Late_Fee__c",
         "selector": "Profile:Admin/fieldPermissions:Invoice__c.Late_Fee__c", "status": "new", "parent": admin,
         "unknownType": False, "changes": []},
        {"type": "Profile.fieldPermissions", "fullName": "Account.Rating",
         "selector": "Profile:Admin/fieldPermissions:Account.Rating", "status": "identical", "parent": admin,
         "unknownType": False, "changes": []},
        {"type": "WaveTemplateBundle", "fullName": "Invoice_Dashboards", "selector": "WaveTemplateBundle:Invoice_Dashboards",
         "status": "changed", "parent": None, "unknownType": True,
         "changes": [{"path": "(text)", "kind": "modified", "source": "v2", "target": "v1"}]},
    ]
    return {"summary": {"new": 2, "changed": 6, "deleted": 1, "identical": 3},
            "source": "hotfix-sandbox (INV-42)", "target": "main @ production",
            "components": components}


def _console() -> Console:
    return Console(record=True, width=160, no_color=True)


# --------------------------------------------------------------------------- shared helpers

def test_grouping_nests_children_under_present_parents():
    groups = dict(grouped_rows(make_report()["components"]))
    assert list(groups) == ["ApexClass", "CustomObject", "Layout", "Profile", "WaveTemplateBundle"]
    assert "CustomField" not in groups  # every field's parent object is in the report
    custom_object = groups["CustomObject"]
    assert [e.depth for e in custom_object] == [0, 1, 1, 1]
    assert [e.label for e in custom_object[1:]] == [
        "CustomField:Invoice__c.Amount__c", "CustomField:Invoice__c.Late_Fee__c", "CustomField:Invoice__c.Legacy_Code__c"]
    profile = groups["Profile"]
    assert profile[0].label == "Profile:Admin"
    assert {e.label for e in profile[1:]} == {"fieldPermissions:Invoice__c.Amount__c",
                                            "fieldPermissions:Invoice__c.Late_Fee__c",
                                            "fieldPermissions:Account.Rating"}


def test_child_without_its_parent_is_grouped_by_its_own_type():
    rows = [r for r in make_report()["components"] if r["type"] != "Profile"]
    groups = dict(grouped_rows(rows))
    assert [e.label for e in groups["Profile.fieldPermissions"]][0].startswith("Profile:Admin/")


def test_side_by_side_folds_long_unchanged_runs():
    rows = side_by_side(APEX_TARGET, APEX_SOURCE)
    folds = [r for r in rows if r.kind == "fold"]
    assert len(folds) == 1 and len(folds[0].folded) > 8
    assert any(r.kind == "replace" and "0.00" in r.right for r in rows)
    assert any(r.kind == "insert" and "Date.today()" in r.right for r in rows)
    # every line of both sides is accounted for, in order
    left = [r.left_no for r in rows for r in (r.folded or [r]) if r.left_no]
    right = [r.right_no for r in rows for r in (r.folded or [r]) if r.right_no]
    assert left == list(range(1, APEX_TARGET.count("\n") + 1))
    assert right == list(range(1, APEX_SOURCE.count("\n") + 1))
    assert [r.kind for r in side_by_side("a\nb\n", "a\nb\n")] == ["equal", "equal"]
    assert [r.kind for r in side_by_side("\n".join("x" * 20), "\n".join("x" * 20))] == ["fold"]


def test_unified_diff_reads_target_to_source():
    lines = unified_diff("a\nold\n", "a\nnew\n")
    assert "-old" in lines and "+new" in lines
    assert lines[0].startswith("--- target") and lines[1].startswith("+++ source")


# --------------------------------------------------------------------------- terminal

def test_print_comparison_groups_counts_selectors_and_summary():
    console = _console()
    print_comparison(make_report(), console)
    out = console.export_text()
    assert "hotfix-sandbox (INV-42) → main @ production" in out
    for header in ("ApexClass  1 changed, 1 identical", "CustomObject  1 changed",
                   "Profile  1 changed", "Layout  1 identical", "WaveTemplateBundle  1 changed"):
        assert header in out, header
    assert "subcomponents: 1 new, 1 changed, 1 deleted" in out
    assert "subcomponents: 1 new, 1 changed, 1 identical" in out
    for selector in ("ApexClass:InvoiceService", "CustomObject:Invoice__c", "Profile:Admin",
                     "Layout:Invoice__c-Invoice Layout", "WaveTemplateBundle:Invoice_Dashboards"):
        assert selector in out
    # child rows come indented right after their parent, shown relative to it
    lines = out.splitlines()
    admin = next(i for i, line in enumerate(lines) if "Profile:Admin" in line)
    assert "└ fieldPermissions:Account.Rating" in lines[admin + 1]
    child = lines[admin + 1]
    assert child.index("└") > lines[admin].index("Profile:Admin")
    obj = next(i for i, line in enumerate(lines) if "CustomObject:Invoice__c" in line)
    assert "└ CustomField:Invoice__c.Amount__c" in lines[obj + 1]
    # change counts, unknown type, changed-by columns
    assert re.search(r"changed\s+.*Profile:Admin\s+3\b", out)
    assert "(unknown type)" in out
    assert "Changed by" in out and "Changed on" in out
    assert "Dana Admin" in out and "2024-05-03" in out
    assert lines[-1].strip() == "2 new, 6 changed, 1 deleted, 3 identical"


def test_print_comparison_without_changed_by_has_no_such_columns_and_keeps_markup_literal():
    report = make_report()
    for row in report["components"]:
        row.pop("changedBy", None)
        row.pop("changedOn", None)
    report["components"][0]["fullName"] = "[bold red]Evil[/]"
    report["components"][0]["selector"] = "ApexClass:[bold red]Evil[/]"
    console = _console()
    print_comparison(report, console)
    out = console.export_text()
    assert "Changed by" not in out and "Changed on" not in out
    assert "ApexClass:[bold red]Evil[/]" in out


def test_a_long_list_of_identical_rows_is_cut_keeping_every_difference_under_its_parent():
    from sfhotfix.report.terminal import IDENTICAL_LISTED

    rows = []
    for i in range(IDENTICAL_LISTED + 30):
        obj = f"Obj{i:03d}__c"
        rows.append({"type": "CustomObject", "fullName": obj, "selector": f"CustomObject:{obj}", "status": "identical",
                     "parent": None, "changes": []})
        rows.append({"type": "CustomField", "fullName": f"{obj}.F__c", "selector": f"CustomField:{obj}.F__c",
                     "status": "changed" if i == IDENTICAL_LISTED + 20 else "identical",
                     "parent": {"type": "CustomObject", "fullName": obj}, "changes": []})
    console = _console()
    print_comparison({"components": rows}, console)
    out = console.export_text()
    lines = out.splitlines()
    changed_parent = f"CustomObject:Obj{IDENTICAL_LISTED + 20:03d}__c"
    at = next(i for i, line in enumerate(lines) if changed_parent in line)
    assert "└ CustomField:" in lines[at + 1] and "changed" in lines[at + 1]  # the difference, under its parent
    shown = sum(1 for line in lines if line.lstrip().startswith("identical"))
    assert shown == IDENTICAL_LISTED + 1  # the first ones, and the changed field's parent
    hidden = len(rows) - 1 - shown
    assert f"… {hidden:,} more identical (all in --json, --html)" in out
    assert lines[-1].strip() == f"0 new, 1 changed, 0 deleted, {len(rows) - 1} identical"


def test_print_comparison_summary_is_computed_when_missing():
    report = make_report()
    del report["summary"]
    console = _console()
    print_comparison(report, console)
    assert console.export_text().splitlines()[-1].strip() == "2 new, 6 changed, 1 deleted, 3 identical"


@pytest.mark.parametrize("summary, said", [
    ({"new": 0, "changed": 0, "deleted": 0, "identical": 80}, "No differences."),
    ({"new": 0, "changed": 0, "deleted": 0, "identical": 0}, "No components compared.")])
def test_print_comparison_of_identical_trees_says_there_is_no_difference(summary: dict, said: str):
    """Without --include-identical an identical tree's report lists no rows but counts them: lwc-recipes against
    itself (80 identical) was said to have no components compared."""
    console = _console()
    print_comparison({"summary": summary, "source": "a", "target": "b", "components": []}, console)
    assert console.export_text().splitlines()[1:] == [said, f"0 new, 0 changed, 0 deleted, {summary['identical']} identical"]


def test_print_comparison_in_colour_styles_statuses():
    console = Console(record=True, width=160, force_terminal=True, color_system="truecolor")
    print_comparison(make_report(), console)
    styled = console.export_text(styles=True, clear=False)
    assert "\x1b[" in styled  # colours are emitted when the console has them
    assert "2 new, 6 changed, 1 deleted, 3 identical" in console.export_text()


def test_print_component_diff_shows_unified_diff():
    row = next(r for r in make_report()["components"] if r["fullName"] == "Invoice__c.Amount__c")
    console = _console()
    print_component_diff(row, console)
    out = console.export_text()
    assert "CustomField:Invoice__c.Amount__c" in out
    assert "--- target: CustomField:Invoice__c.Amount__c" in out
    assert "+++ source: CustomField:Invoice__c.Amount__c" in out
    assert "-    <precision>16</precision>" in out
    assert "+    <precision>18</precision>" in out
    assert "-    <required>false</required>" in out and "+    <required>true</required>" in out
    assert "@@" in out


def test_print_component_diff_colours_plus_and_minus_lines():
    row = next(r for r in make_report()["components"] if r["fullName"] == "Invoice__c.Amount__c")
    console = Console(record=True, width=160, force_terminal=True, color_system="standard")
    print_component_diff(row, console)
    styled = console.export_text(styles=True)
    plus = next(line for line in styled.splitlines() if "+    <precision>18" in line)
    minus = next(line for line in styled.splitlines() if "-    <precision>16" in line)
    assert "\x1b[32m" in plus and "\x1b[31m" in minus  # green and red


def test_print_component_diff_prints_brackets_literally():
    row = {"type": "ApexClass", "fullName": "[red]X", "selector": "ApexClass:[red]X", "status": "changed",
           "changes": [], "targetText": "String s = '[bold]a[/bold]';\n", "sourceText": "String s = '[link=x]b';\n"}
    console = _console()
    print_component_diff(row, console)
    out = console.export_text()
    assert "ApexClass:[red]X" in out
    assert "-String s = '[bold]a[/bold]';" in out and "+String s = '[link=x]b';" in out


def test_print_component_diff_new_component_is_all_plus():
    row = next(r for r in make_report()["components"] if r["fullName"] == "Invoice__c.Late_Fee__c")
    console = _console()
    print_component_diff(row, console)
    out = console.export_text()
    assert "+    <label>Late Fee</label>" in out
    assert not any(line.startswith("-") and not line.startswith("---") for line in out.splitlines())
    assert "last changed by Sam Dev on 2024-05-03" in out


def test_print_component_diff_shows_every_changed_file_of_a_bundle():
    """A bundle (an LWC, a site's view) whose second file changed printed "modified card.js: (none) → (none)":
    the texts hold its first file only. Each content file's line diff is printed."""
    row = {"selector": "LightningComponentBundle:card", "status": "changed", "sourceText": "<template/>\n",
           "targetText": "<template/>\n", "changes": [
               {"path": "card.js", "kind": "modified", "source": None, "target": None,
                "diff": "--- target/card.js\n+++ source/card.js\n@@ -1 +1 @@\n-let a = 1;\n+let a = 2;\n"},
               {"path": "apiVersion", "kind": "modified", "source": "63.0", "target": "62.0"}]}
    console = _console()
    print_component_diff(row, console)
    assert console.export_text().splitlines() == [
        "LightningComponentBundle:card  changed", "--- target/card.js", "+++ source/card.js", "@@ -1 +1 @@",
        "-let a = 1;", "+let a = 2;", "modified  apiVersion: 62.0 → 63.0"]


def test_print_component_diff_lists_changes_without_texts():
    row = next(r for r in make_report()["components"] if r["selector"] == "Profile:Admin")
    console = _console()
    print_component_diff(row, console)
    out = console.export_text()
    assert "modified   fieldPermissions[Invoice__c.Amount__c].editable: false → true" in out
    assert "added      fieldPermissions[Invoice__c.Late_Fee__c]: (none) → " in out
    assert '"editable": "true"' in out
    assert 'reordered  tabVisibilities: ["Account", "Invoice__c"] → ["Invoice__c", "Account"]' in out


def test_print_component_diff_deleted_without_anything():
    row = next(r for r in make_report()["components"] if r["status"] == "deleted")
    console = _console()
    print_component_diff(row, console)
    assert "Only in the target" in console.export_text()


# --------------------------------------------------------------------------- HTML (static checks)

URL_ATTRS = ("src", "href", "action", "formaction", "srcset", "poster", "data", "background", "xlink:href",
             "ping", "manifest", "codebase", "cite", "longdesc", "usemap", "lowsrc", "dynsrc")


def _diff_fragments(doc) -> list:
    """The lazily inserted diff HTML, parsed as the browser would on expand."""
    return [lxml_html.fragment_fromstring(s.text or "", create_parent="div")
            for s in doc.xpath('//script[@type="text/html"]')]


def _assert_no_network(page: str) -> None:
    low = page.lower()
    assert "<script src" not in low and not re.search(r"<script[^>]*\ssrc\s*=", low)
    assert "<link" not in low
    assert "@import" not in low
    assert "url(" not in low
    assert "<iframe" not in low and "<img" not in low and "<object" not in low and "<embed" not in low
    doc = lxml_html.document_fromstring(page)
    trees = [doc] + _diff_fragments(doc)
    for tree in trees:
        for el in tree.iter():
            if not isinstance(el.tag, str):
                continue
            for name, value in el.attrib.items():
                assert name.lower() not in URL_ATTRS, (el.tag, name, value)
                assert "http:" not in value.lower() and "https:" not in value.lower() and "//" not in value, \
                    (el.tag, name, value)
    # the page's own CSS and JS name no URL
    for el in doc.xpath("//style | //script[not(@type)]"):
        assert "http" not in (el.text or "").lower()
        assert "url(" not in (el.text or "").lower()
    # every "http://" left in the page is escaped text of the report (the XML namespace here)
    visible = "".join(t for tree in trees for t in tree.xpath("//text()") if t.getparent().tag != "script")
    assert page.count("http://") + page.count("https://") <= \
        sum(s.text.count("http") for s in doc.xpath('//script[@type="text/html"]') if s.text)
    assert "https://" not in visible


def test_render_html_is_self_contained():
    page = render_html(make_report())
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<html") == 1 and page.rstrip().endswith("</html>")
    assert "http://soap.sforce.com" in page  # the component XML is there, as text
    _assert_no_network(page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_render_html_contains_summary_title_filters_and_rows():
    page = render_html(make_report())
    doc = lxml_html.document_fromstring(page)
    assert doc.findtext(".//title") == "sfhotfix: hotfix-sandbox (INV-42) → main @ production"
    cards = {b.get("data-only"): b.findtext('span[@class="n"]') for b in doc.xpath('//button[@data-only]')}
    assert cards == {"new": "2", "changed": "6", "deleted": "1", "identical": "3"}
    options = [o.get("value") for o in doc.xpath('//select[@id="f-type"]/option')]
    assert options == ["", "ApexClass", "CustomField", "CustomObject", "Layout", "Profile",
                       "Profile.fieldPermissions", "WaveTemplateBundle"]
    labels = [o.text for o in doc.xpath('//select[@id="f-type"]/option')]
    assert labels[0] == "All types (12)" and "Profile (4)" in labels and "Profile.fieldPermissions (3)" in labels
    boxes = {i.get("value"): i.get("checked") is not None for i in doc.xpath('//fieldset[@id="f-status"]//input')}
    assert boxes == {"new": True, "changed": True, "deleted": True, "identical": False}
    assert doc.xpath('//input[@id="f-name"]')
    rows = doc.xpath('//tbody[@id="rows"]/tr[contains(@class,"row")]')
    assert len(rows) == len(make_report()["components"])
    selectors = [r.get("data-selector") for r in rows]
    assert selectors.index("CustomObject:Invoice__c") + 1 == selectors.index("CustomField:Invoice__c.Amount__c")
    assert "Changed by" in page and "Dana Admin" in page
    admin = rows[selectors.index("Profile:Admin")]
    assert admin.xpath('string(td[contains(@class,"num")])') == "3"
    assert admin.xpath('string(.//span[contains(@class,"badge")])') == "changed"


def test_render_html_side_by_side_diff_is_aligned_and_folded():
    page = render_html(make_report())
    doc = lxml_html.document_fromstring(page)
    rows = doc.xpath('//tbody[@id="rows"]/tr[contains(@class,"row")]')
    apex = next(r for r in rows if r.get("data-selector") == "ApexClass:InvoiceService")
    frag = lxml_html.fragment_fromstring(doc.get_element_by_id(f"d-{apex.get('data-i')}").text, create_parent="div")
    table = frag.xpath('.//table[@class="sbs"]')[0]
    assert "Target" in table.xpath("string(thead)") and "main @ production" in table.xpath("string(thead)")
    body_rows = table.xpath("tbody/tr")
    assert all(len(tr.xpath("td")) in (1, 4) for tr in body_rows)
    marker = table.xpath('.//button[@class="fold"]')
    assert marker and re.fullmatch(r"⋯ \d+ unchanged lines", marker[0].text)
    replaced = table.xpath('tbody/tr[@class="replace"]')[0]
    assert replaced.xpath('string(td[2])').strip() == "Decimal total = 0;"
    assert replaced.xpath('string(td[4])').strip() == "Decimal total = 0.00;"
    assert replaced.xpath('td[4]//span[@class="x"]')  # the changed characters are highlighted
    inserted = table.xpath('tbody/tr[@class="insert"]')
    assert inserted and all(tr.xpath('td[2][contains(@class,"none")]') for tr in inserted)
    # a row without texts expands to its list of changes
    admin = next(r for r in rows if r.get("data-selector") == "Profile:Admin")
    frag = lxml_html.fragment_fromstring(doc.get_element_by_id(f"d-{admin.get('data-i')}").text, create_parent="div")
    assert frag.xpath('.//table[@class="changes"]')
    assert "fieldPermissions[Invoice__c.Amount__c].editable" in frag.text_content()
    # identical rows carry no diff data at all
    identical = next(r for r in rows if r.get("data-selector") == "Layout:Invoice__c-Invoice Layout")
    assert doc.xpath(f'//*[@id="d-{identical.get("data-i")}"]') == []


def test_render_html_truncates_huge_diffs_and_keeps_huge_folds_closed():
    from sfhotfix.report import html as html_mod

    big = "".join(f"<line>{i}</line>\n" for i in range(html_mod.MAX_DIFF_ROWS + 250))
    page = render_html({"source": "s", "target": "t", "components": [
        {"type": "Profile", "fullName": "Big", "selector": "Profile:Big", "status": "new", "changes": [],
         "sourceText": big, "targetText": None},
        {"type": "Profile", "fullName": "Long", "selector": "Profile:Long", "status": "changed", "changes": [],
         "sourceText": big.replace("<line>2000</line>", "<line>two thousand</line>"), "targetText": big}]})
    doc = lxml_html.document_fromstring(page)
    new_diff = lxml_html.fragment_fromstring(doc.get_element_by_id("d-0").text, create_parent="div")
    assert len(new_diff.xpath('.//tr[@class="insert"]')) == html_mod.MAX_DIFF_ROWS
    assert "Diff truncated: 250 more lines not shown" in new_diff.text_content()
    changed = lxml_html.fragment_fromstring(doc.get_element_by_id("d-1").text, create_parent="div")
    assert changed.xpath('.//tr[@class="replace"]')
    static = changed.xpath('.//span[@class="fold static"]')  # too long to embed: not expandable
    assert [s.text for s in static] == ["⋯ 1,997 unchanged lines", f"⋯ {html_mod.MAX_DIFF_ROWS + 250 - 2004:,} unchanged lines"]


def test_diff_lines_follow_editor_numbering():
    rows = side_by_side("a\r\nb\r\n", "a\r\nc\r\n")
    assert [(r.kind, r.left, r.right) for r in rows] == [("equal", "a", "a"), ("replace", "b", "c")]
    assert [r.kind for r in side_by_side("x\u2028y\n", "x\u2028y\n")] == ["equal"]  # one line, as an editor shows it
    assert side_by_side(None, None) == []


def test_render_html_escapes_untrusted_text():
    report = make_report()
    evil = "<script>alert(1)</script>"
    report["source"] = 'sandbox"><img src=x onerror=alert(2)>'
    report["components"].append({
        "type": "CustomField", "fullName": f"Invoice__c.{evil}", "selector": f"CustomField:Invoice__c.{evil}",
        "status": "changed", "parent": None, "unknownType": False,
        "changes": [{"path": f"label{evil}", "kind": "modified", "source": f"</script>{evil}", "target": "x"}],
        "sourceText": f"<label>{evil}</label>\n</script><script>alert(3)</script>\n", "targetText": "<label>x</label>\n",
        "changedBy": evil, "changedOn": "2024-01-01"})
    report["components"].append({
        "type": evil, "fullName": "x", "selector": "", "status": "new", "parent": None, "changes": []})
    page = render_html(report)
    assert "<script>alert" not in page
    assert "alert(1)</script>" not in page
    assert "<img" not in page and "onerror=alert(2)>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    doc = lxml_html.document_fromstring(page)
    scripts = doc.xpath("//script")
    assert [s.get("type") for s in scripts].count(None) == 1  # only the page's own script runs
    for frag in _diff_fragments(doc):
        assert not frag.xpath(".//script | .//img")
        assert not [a for el in frag.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")]
    assert not [a for el in doc.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")]
    _assert_no_network(page)


def test_render_html_empty_report():
    page = render_html({"summary": {"new": 0, "changed": 0, "deleted": 0, "identical": 0},
                        "source": "a", "target": "b", "components": []})
    assert "No components match the filters." in page
    _assert_no_network(page)


def test_render_html_scales_to_thousands_of_rows():
    base = make_report()["components"]
    components = []
    for i in range(5000):
        row = copy.deepcopy(base[i % len(base)])
        row["fullName"] = f"{row['fullName']}_{i}"
        row["selector"] = f"{row['selector']}_{i}"
        components.append(row)
    page = render_html({"source": "s", "target": "t", "components": components})
    doc = lxml_html.document_fromstring(page)
    assert len(doc.xpath('//tbody[@id="rows"]/tr')) == 5000
    # diffs are inert text until expanded: the DOM holds no diff tables at load
    assert not doc.xpath('//table[@class="sbs"]')


# --------------------------------------------------------------------------- HTML in headless Chromium

def _chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)
    if not found:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium); "
                    "the headless browser test of the HTML report needs /usr/bin/chromium")
    return found


def _run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    binary = _chromium()
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
           f"--user-data-dir={profile}", *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:  # pragma: no cover - depends on the machine
        pytest.fail(f"chromium did not finish in 180 s: {' '.join(cmd)}")


def _page(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    path.write_text(render_html(make_report()), encoding="utf-8")
    return path


def test_chromium_runs_the_page_script_and_applies_the_query_hooks(tmp_path):
    page = _page(tmp_path)
    proc = _run_chromium(tmp_path, "--dump-dom", f"{page.as_uri()}?filter-status=new&expand=first")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Uncaught" not in proc.stderr, proc.stderr[-2000:]
    doc = lxml_html.document_fromstring(proc.stdout)
    assert doc.body.get("data-ready") == "1", "the page script did not finish initialising"
    rows = doc.xpath('//tbody[@id="rows"]/tr[contains(@class,"row")]')
    assert rows
    for tr in rows:
        assert (tr.get("hidden") is None) == (tr.get("data-status") == "new"), tr.get("data-selector")
    visible = [tr for tr in rows if tr.get("hidden") is None]
    first = visible[0]
    assert first.get("data-selector") == "CustomField:Invoice__c.Late_Fee__c"
    assert first.get("aria-expanded") == "true"
    detail = first.getnext()
    assert "detail" in detail.get("class") and detail.get("hidden") is None
    sbs = detail.xpath('.//table[@class="sbs"]')
    assert sbs and "<label>Late Fee</label>" in sbs[0].text_content()
    assert detail.xpath('.//tr[@class="insert"]')
    assert all(tr.get("aria-expanded") == "false" for tr in visible[1:])
    assert doc.xpath('string(//*[@id="f-count"])') == "Showing 2 of 12 components"
    assert doc.get_element_by_id("empty").get("hidden") is not None


def test_chromium_default_filters_and_name_filter(tmp_path):
    page = _page(tmp_path)
    proc = _run_chromium(tmp_path, "--dump-dom", f"{page.as_uri()}?filter-name=LATE_fee&filter-status=all")
    doc = lxml_html.document_fromstring(proc.stdout)
    assert doc.body.get("data-ready") == "1"
    visible = [tr.get("data-selector") for tr in doc.xpath('//tbody[@id="rows"]/tr[contains(@class,"row")]')
               if tr.get("hidden") is None]
    assert visible == ["CustomField:Invoice__c.Late_Fee__c", "Profile:Admin/fieldPermissions:Invoice__c.Late_Fee__c"]
    # a type filter takes in that type's subcomponents
    proc = _run_chromium(tmp_path, "--dump-dom", f"{page.as_uri()}?filter-type=Profile&filter-status=all")
    doc = lxml_html.document_fromstring(proc.stdout)
    visible = [tr.get("data-selector") for tr in doc.xpath('//tbody[@id="rows"]/tr[contains(@class,"row")]')
               if tr.get("hidden") is None]
    assert visible[0] == "Profile:Admin" and len(visible) == 4
    assert all(s.startswith("Profile:Admin") for s in visible)
    proc = _run_chromium(tmp_path, "--dump-dom", page.as_uri())
    doc = lxml_html.document_fromstring(proc.stdout)
    hidden = {tr.get("data-status") for tr in doc.xpath('//tbody[@id="rows"]/tr[@hidden]')}
    assert hidden == {"identical"}  # identical rows are filtered out by default


def test_chromium_screenshot(tmp_path):
    page = _page(tmp_path)
    shot = tmp_path / "shot.png"
    proc = _run_chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,900", "--hide-scrollbars",
                         f"{page.as_uri()}?expand=first")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.is_file(), proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 900)
    assert len(data) > 20_000  # a rendered page, not a blank image
