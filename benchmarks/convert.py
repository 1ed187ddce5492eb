#!/usr/bin/env python3
"""Benchmark `sfhotfix convert` against Salesforce's own converter (SDR) on a large synthetic project.

What it does, in one run:

1. Generates (deterministically, from --seed) a large metadata-API project in --work (default
   benchmarks/work/full, or benchmarks/work/small with --small; benchmarks/work/ is git-ignored): custom objects
   (the first two are Account and Contact) with fields of a dozen types, list views, record types, validation
   rules and a compact layout each; one page layout per object; Apex classes (.cls + .cls-meta.xml); profiles
   and permission sets with class access, layout assignments, object permissions, record type visibilities and
   field-level security on every non-required field; one labels/CustomLabels.labels; a package.xml; plus
   sfdx-project.json (package directory force-app, sourceApiVersion 60.0) and an empty force-app/. The XML is in
   Salesforce's canonical form: 4-space indent, the metadata namespace, elements in the order a Metadata API
   retrieve writes them (alphabetical, children interleaved: fields after enableStreamingApi, listViews after
   label ...), text escaped as a retrieve escapes it (&amp; &lt; &gt; &quot; &apos;), some non-ASCII text and
   multi-line formulas. The tree is reused by later runs with the same parameters (--regenerate to force).
2. Times whole processes (wall clock around subprocess.run, best of --repeat runs; SDR stops repeating once
   its runs exceeded --sdr-budget seconds; CPU seconds and peak RSS from /usr/bin/time -v):
     a. metadata-API -> source: `python -m sfhotfix convert --to source` vs `node sdr-convert.js mdapi-to-source`
     b. source -> metadata-API: both convert the same tree, SDR's own source output from (a).
   Both tools run with cwd = --out-root, a project folder holding a copy of sfdx-project.json (SDR's script
   needs its output inside a project). Every run writes into a fresh folder after an untimed sync.
3. Diffs sfhotfix's outputs against SDR's (both directions), byte for byte, file for file. SDR's
   mdapi-to-source script writes CustomLabels under OUT/OUT/main/default/labels (a quirk of the script's
   output options); that path is mapped back to OUT/main/default/labels before comparing, and counted apart.
4. Prints a table and writes benchmarks/results/convert.json (convert-small.json with --small), with the
   sfhotfix commit and a hash of its sources (the code measured).

    python benchmarks/convert.py                 # default scale (about 10 minutes, most of it SDR)
    python benchmarks/convert.py --small         # smoke run (seconds)
    python benchmarks/convert.py --profile       # also cProfile sfhotfix, both directions (top functions)
    python benchmarks/convert.py --out-root benchmarks/work/out   # write the outputs on disk, not tmpfs
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import platform
import pstats
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from installed import compile_package  # noqa: E402

NS = "http://soap.sforce.com/2006/04/metadata"
DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
API = "60.0"
GENERATOR_VERSION = 3  # bump when the generated content changes, so cached trees are regenerated

# ---------------------------------------------------------------------------------------------- generation

WORDS = (
    "Account Active Address Amount Annual Approval Area Asset Balance Billing Branch Budget Campaign Case Category "
    "Channel City Claim Code Commission Contract Cost Country Coverage Credit Customer Date Deal Delivery Department "
    "Discount District Due Effective Eligibility Email End Estimate Expense External Fee Forecast Grade Gross Health "
    "Income Industry Invoice Last Lead Level Limit Margin Market Method Net Next Note Number Offer Order Origin Owner "
    "Partner Payment Phone Plan Policy Portal Premium Price Primary Priority Product Program Quota Rate Reason Region "
    "Renewal Request Revenue Risk Route Sales Score Segment Service Shipping Source Stage Start Status Subscription "
    "Supplier Target Tax Term Territory Tier Total Type Unit Usage Vendor Volume Warranty Weight Zone"
).split()

FIELD_KINDS = ("Text", "Number", "Checkbox", "Picklist", "Lookup", "Date", "Currency", "Email", "LongTextArea",
               "Formula", "Percent", "TextArea")
# descriptions and help texts with the characters escaping must get right (&, <, >, ", ') and non-ASCII text
PHRASES = (
    "Used by the billing team & finance",
    "Value must be <= the contract limit",
    'Shown on the "Summary" tab',
    "Customer's preferred option",
    "Synced nightly from the ERP (SAP) system",
    "Montant facturé à l'échéance — voir la politique",
    "Größe der Lieferung in kg",
    "Sichtbar für alle Benutzer",
    "見積もりの合計金額",
    "Set by the integration user; do not edit",
    "Tracks the <b>current</b> value > 0",
)
ACTIONS = ("Accept", "CancelEdit", "Clone", "Delete", "Edit", "List", "New", "SaveEdit", "Tab", "View")


def esc(text: str) -> str:
    """Salesforce's text escaping in retrieved files."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&apos;"))


def leaf(indent: int, name: str, value) -> str:
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"{'    ' * indent}<{name}>{esc(str(value))}</{name}>\n"


class Project:
    """The synthetic project's names and shapes, derived from the seed and the sizes."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        rng = random.Random(args.seed)
        self.rng = rng
        n = args.objects
        self.objects: list[dict] = []
        used = set()
        for i in range(n):
            if i == 0 and n >= 10:
                api, label, standard = "Account", "Account", True
            elif i == 1 and n >= 10:
                api, label, standard = "Contact", "Contact", True
            else:
                while True:
                    w1, w2 = rng.choice(WORDS), rng.choice(WORDS)
                    base = f"{w1}_{w2}" if w1 != w2 else w1
                    if base not in used:
                        break
                    base = f"{base}_{i}"
                    if base not in used:
                        break
                used.add(base)
                api, label, standard = f"{base}__c", base.replace("_", " "), False
            self.objects.append({"api": api, "label": label, "standard": standard})
        for obj in self.objects:
            obj["fields"] = self._fields(obj)
            obj["recordTypes"] = [] if args.record_types == 0 else [
                f"{w}_{k}" for k, w in enumerate(rng.sample(WORDS, args.record_types))]
        self.fls_objects = self.objects if args.fls_objects is None else self.objects[: args.fls_objects]
        self.classes = [f"{rng.choice(WORDS)}{rng.choice(WORDS)}_{'Service Controller Batch Handler Test Selector'.split()[k % 6]}_{k:04d}"
                        for k in range(args.classes)]
        self.classes.sort()
        self.profiles = self._profile_names(args.profiles)
        self.permsets = [f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_Access_{k:03d}" for k in range(args.permsets)]
        self.labels = sorted({f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{rng.choice(WORDS)}_{k:05d}" if k % 7
                              else f"{rng.choice(WORDS).lower()}{rng.choice(WORDS)}{k:05d}" for k in range(args.labels)})

    def _fields(self, obj: dict) -> list[dict]:
        rng = self.rng
        fields = []
        names = set()
        for k in range(self.args.fields):
            while True:
                w1, w2 = rng.choice(WORDS), rng.choice(WORDS)
                if k % 17 == 5:
                    name = f"{w1.lower()}{w2}__c"  # a lower-case first letter: collation must agree
                elif k % 13 == 3:
                    name = f"{w1}{w2}{rng.randint(1, 99)}__c"
                else:
                    name = f"{w1}_{w2}__c"
                if name not in names:
                    break
            names.add(name)
            kind = FIELD_KINDS[k % len(FIELD_KINDS)] if k else "Picklist"
            fields.append({"api": name, "label": f"{w1} {w2}", "kind": kind, "k": k,
                           "required": kind == "Text" and k % 5 == 0})
        return fields

    def _profile_names(self, n: int) -> list[str]:
        base = ["Admin", "Standard", "ReadOnly", "SolutionManager", "MarketingProfile", "ContractManager"]
        names = base[:n]
        k = 0
        while len(names) < n:
            region = self.rng.choice(WORDS)
            # file names of custom profiles are URL-encoded as in a retrieve: "Custom: X" -> "Custom%3A X"
            names.append(f"Custom%3A {region} Team {k:03d}")
            k += 1
        return names

    # ---------------------------------------------------------------- objects

    def object_xml(self, obj: dict) -> str:
        rng = random.Random(f"{self.args.seed}:{obj['api']}")
        fields = obj["fields"]
        out = [DECL, f'<CustomObject xmlns="{NS}">\n']
        for action in ACTIONS:
            out.append(f"    <actionOverrides>\n        <actionName>{action}</actionName>\n"
                       f"        <type>Default</type>\n    </actionOverrides>\n")
            if not obj["standard"] and action in ("Edit", "New", "View"):
                for factor in ("Large", "Small"):
                    out.append(f"    <actionOverrides>\n        <actionName>{action}</actionName>\n"
                               f"        <formFactor>{factor}</formFactor>\n        <type>Default</type>\n"
                               f"    </actionOverrides>\n")
        if not obj["standard"]:
            out.append(leaf(1, "allowInChatterGroups", False))
        compact = f"{obj['api'].removesuffix('__c')}_Compact"
        out.append(leaf(1, "compactLayoutAssignment", compact))
        out.append(f"    <compactLayouts>\n        <fullName>{compact}</fullName>\n")
        for f in fields[:4]:
            out.append(leaf(2, "fields", f["api"]))
        out.append(f"        <label>{esc(obj['label'])} Compact</label>\n    </compactLayouts>\n")
        if not obj["standard"]:
            out.append(leaf(1, "deploymentStatus", "Deployed"))
            out.append(leaf(1, "description", f"{obj['label']}: {rng.choice(PHRASES)}"))
            for flag in ("enableActivities", "enableBulkApi", "enableFeeds", "enableHistory", "enableLicensing",
                         "enableReports", "enableSearch", "enableSharing", "enableStreamingApi"):
                out.append(leaf(1, flag, rng.random() < 0.7))
        else:
            out.append(leaf(1, "enableFeeds", True))
            out.append(leaf(1, "enableHistory", True))
        out.append(leaf(1, "externalSharingModel", "Private"))
        for f in sorted(fields, key=lambda f: f["api"].lower()):  # a retrieve lists fields by name
            out.append(self.field_xml(obj, f, rng))
        if not obj["standard"]:
            out.append(leaf(1, "label", obj["label"]))
        out.append(self.list_views_xml(obj, rng))
        if not obj["standard"]:
            out.append("    <nameField>\n        <label>" + esc(obj["label"]) + " Name</label>\n"
                       "        <trackHistory>false</trackHistory>\n        <type>Text</type>\n    </nameField>\n")
            out.append(leaf(1, "pluralLabel", obj["label"] + "s"))
        picklists = [f for f in fields if f["kind"] == "Picklist"][:2]
        for rt in obj["recordTypes"]:
            out.append(f"    <recordTypes>\n        <fullName>{rt}</fullName>\n        <active>true</active>\n")
            out.append(leaf(2, "description", f"{rt.replace('_', ' ')} records; {rng.choice(PHRASES)}"))
            out.append(leaf(2, "label", rt.replace("_", " ")))
            for p in picklists:
                out.append(f"        <picklistValues>\n            <picklist>{p['api']}</picklist>\n")
                for v in self.picklist_values(p):
                    out.append(f"            <values>\n                <fullName>{esc(v)}</fullName>\n"
                               f"                <default>false</default>\n            </values>\n")
                out.append("        </picklistValues>\n")
            out.append("    </recordTypes>\n")
        if fields:
            out.append("    <searchLayouts>\n")
            for f in fields[:3]:
                out.append(leaf(2, "customTabListAdditionalFields", f["api"]))
            for f in fields[:2]:
                out.append(leaf(2, "lookupDialogsAdditionalFields", f["api"]))
            out.append("    </searchLayouts>\n")
        else:
            out.append("    <searchLayouts/>\n")
        out.append(leaf(1, "sharingModel", "ReadWrite"))
        for k in range(self.args.validation_rules):
            target = fields[(k * 7) % len(fields)]["api"] if fields else None
            out.append(f"    <validationRules>\n        <fullName>Check_{rng.choice(WORDS)}_{k}</fullName>\n"
                       f"        <active>{'true' if k % 3 else 'false'}</active>\n")
            out.append(leaf(2, "description", rng.choice(PHRASES)))
            formula = (f"AND(\n    NOT(ISBLANK({target})),\n    LEN({target}) &gt; 80 &amp;&amp; ISCHANGED({target})\n)"
                       if target else "false")
            out.append(f"        <errorConditionFormula>{formula}</errorConditionFormula>\n")
            if target:
                out.append(leaf(2, "errorDisplayField", target))
            out.append(leaf(2, "errorMessage", f"Please check the value: {rng.choice(PHRASES)}."))
            out.append("    </validationRules>\n")
        if not obj["standard"]:
            out.append(leaf(1, "visibility", "Public"))
        out.append("</CustomObject>\n")
        return "".join(out)

    def picklist_values(self, f: dict) -> list[str]:
        k = f["k"]
        return [f"{WORDS[(k * 3 + j) % len(WORDS)]} {j}" for j in range(4)] + (["R&D"] if k % 2 else [])

    def field_xml(self, obj: dict, f: dict, rng: random.Random) -> str:
        kind, k = f["kind"], f["k"]
        o = ["    <fields>\n", leaf(2, "fullName", f["api"])]
        add = o.append
        if kind == "Checkbox":
            add(leaf(2, "defaultValue", k % 2 == 0))
        if kind == "Lookup":
            add(leaf(2, "deleteConstraint", "SetNull"))
        if k % 4 == 1:
            add(leaf(2, "description", rng.choice(PHRASES)))
        if kind != "Formula":
            add(leaf(2, "externalId", False))
        if kind == "Formula":
            ref = obj["fields"][0]["api"]
            add(f"        <formula>IF(ISPICKVAL({ref}, &quot;R&amp;D&quot;),\n    &apos;Research&apos;,\n"
                f"    TEXT({ref}) &amp; &quot; &lt;none&gt;&quot;)</formula>\n")
            add(leaf(2, "formulaTreatBlanksAs", "BlankAsZero"))
        if k % 3 == 2:
            add(leaf(2, "inlineHelpText", rng.choice(PHRASES)))
        add(leaf(2, "label", f["label"]))
        if kind == "Text":
            add(leaf(2, "length", 255))
        if kind == "LongTextArea":
            add(leaf(2, "length", 32768))
        if kind in ("Number", "Currency", "Percent"):
            add(leaf(2, "precision", 18))
        if kind == "Lookup":
            target = self.objects[(k * 31 + len(f["api"])) % len(self.objects)]
            add(leaf(2, "referenceTo", target["api"]))
            rel = f["api"].removesuffix("__c") + "s"
            add(leaf(2, "relationshipLabel", rel.replace("_", " ")))
            add(leaf(2, "relationshipName", rel))
        if kind not in ("Checkbox", "Formula"):
            add(leaf(2, "required", f["required"]))
        if kind in ("Number", "Currency", "Percent"):
            add(leaf(2, "scale", 2 if kind != "Number" else 0))
        if kind not in ("Formula",):
            add(leaf(2, "trackFeedHistory", False))
            if k % 6 == 0:
                add(leaf(2, "trackHistory", True))
        add(leaf(2, "trackTrending", False))
        add(leaf(2, "type", {"Formula": "Text"}.get(kind, kind)))
        if kind in ("Text", "Email", "Number"):
            add(leaf(2, "unique", False))
        if kind == "Picklist":
            add("        <valueSet>\n            <restricted>true</restricted>\n            <valueSetDefinition>\n"
                "                <sorted>false</sorted>\n")
            for j, v in enumerate(self.picklist_values(f)):
                add(f"                <value>\n                    <fullName>{esc(v)}</fullName>\n"
                    f"                    <default>{'true' if j == 0 else 'false'}</default>\n"
                    f"                    <label>{esc(v)}</label>\n                </value>\n")
            add("            </valueSetDefinition>\n        </valueSet>\n")
        if kind == "LongTextArea":
            add(leaf(2, "visibleLines", 3))
        o.append("    </fields>\n")
        return "".join(o)

    def list_views_xml(self, obj: dict, rng: random.Random) -> str:
        fields = obj["fields"]
        views = [("All", "All", "Everything", [], [])]
        names = ["My_Records", "Recently_Changed", "Open_Items", "Team_View", "Priority_Queue", "Archive"]
        for k in range(max(0, self.args.list_views - 1)):
            cols = ["NAME"] + [f["api"] for f in fields[k: k + 5]] + ["UPDATEDBY_USER.ALIAS"]
            filters = [(fields[k]["api"], "notEqual", "")] if fields and k % 2 else []
            views.append((names[k % len(names)] + (f"_{k}" if k >= len(names) else ""),
                          names[k % len(names)].replace("_", " "), "Mine" if k % 2 else "Everything", cols, filters))
        out = []
        for name, label, scope, cols, filters in sorted(views):
            out.append(f"    <listViews>\n        <fullName>{name}</fullName>\n")
            for c in cols:
                out.append(leaf(2, "columns", c))
            out.append(leaf(2, "filterScope", scope))
            for field, op, value in filters:
                out.append(f"        <filters>\n            <field>{field}</field>\n"
                           f"            <operation>{op}</operation>\n" +
                           (f"            <value>{value}</value>\n" if value else "") + "        </filters>\n")
            out.append(leaf(2, "label", label))
            out.append("    </listViews>\n")
        return "".join(out)

    # ---------------------------------------------------------------- layouts, classes

    def layout_xml(self, obj: dict) -> str:
        fields = obj["fields"]
        out = [DECL, f'<Layout xmlns="{NS}">\n', leaf(1, "excludeButtons", "Submit")]
        half = (len(fields) + 1) // 2
        out.append("    <layoutSections>\n        <customLabel>false</customLabel>\n"
                   "        <detailHeading>false</detailHeading>\n        <editHeading>true</editHeading>\n"
                   "        <label>Information</label>\n")
        for col in (fields[:half], fields[half:]):
            if not col:
                out.append("        <layoutColumns/>\n")
                continue
            out.append("        <layoutColumns>\n")
            for f in col:
                behavior = "Required" if f["required"] else ("Readonly" if f["kind"] == "Formula" else "Edit")
                out.append(f"            <layoutItems>\n                <behavior>{behavior}</behavior>\n"
                           f"                <field>{f['api']}</field>\n            </layoutItems>\n")
            out.append("        </layoutColumns>\n")
        out.append("        <style>TwoColumnsTopToBottom</style>\n    </layoutSections>\n")
        out.append("    <layoutSections>\n        <customLabel>true</customLabel>\n"
                   "        <detailHeading>false</detailHeading>\n        <editHeading>true</editHeading>\n"
                   "        <label>Custom Links</label>\n        <layoutColumns/>\n        <layoutColumns/>\n"
                   "        <layoutColumns/>\n        <style>CustomLinks</style>\n    </layoutSections>\n")
        for flag in ("showEmailCheckbox", "showHighlightsPanel", "showInteractionLogPanel",
                     "showRunAssignmentRulesCheckbox", "showSubmitAndAttachButton"):
            out.append(leaf(1, flag, False))
        out.append("</Layout>\n")
        return "".join(out)

    def layout_name(self, obj: dict) -> str:
        return f"{obj['api']}-{obj['label']} Layout"

    def class_body(self, name: str) -> str:
        return (f"/**\n * {name}: generated for the sfhotfix convert benchmark.\n */\n"
                f"public with sharing class {name} {{\n"
                f"    private static final String LABEL = 'R&D <team>';\n\n"
                f"    public static Integer compute(List<Integer> values) {{\n"
                f"        Integer total = 0;\n        for (Integer v : values) {{\n"
                f"            total += v == null ? 0 : v;\n        }}\n        return total;\n    }}\n}}\n")

    def class_meta(self) -> str:
        return (f'{DECL}<ApexClass xmlns="{NS}">\n    <apiVersion>{API}</apiVersion>\n'
                f"    <status>Active</status>\n</ApexClass>\n")

    # ---------------------------------------------------------------- profiles, permission sets

    def _fls(self, seed: int) -> str:
        out = []
        entries = []
        for obj in self.fls_objects:
            for f in obj["fields"]:
                if f["required"]:
                    continue  # Salesforce never lists field permissions of required fields
                entries.append(f"{obj['api']}.{f['api']}")
        entries.sort()
        for i, field in enumerate(entries):
            r = (i * 2654435761 + seed) & 0xFF
            readable = r > 40
            editable = readable and r > 110
            out.append(f"    <fieldPermissions>\n        <editable>{'true' if editable else 'false'}</editable>\n"
                       f"        <field>{field}</field>\n        <readable>{'true' if readable else 'false'}</readable>\n"
                       f"    </fieldPermissions>\n")
        return "".join(out)

    def _object_perms(self, seed: int) -> str:
        out = []
        for i, obj in enumerate(sorted(self.objects, key=lambda o: o["api"])):
            r = (i * 40503 + seed) & 0xF
            read = r > 2
            edit = read and r > 6
            out.append(f"    <objectPermissions>\n        <allowCreate>{str(edit).lower()}</allowCreate>\n"
                       f"        <allowDelete>{str(edit and r > 12).lower()}</allowDelete>\n"
                       f"        <allowEdit>{str(edit).lower()}</allowEdit>\n"
                       f"        <allowRead>{str(read).lower()}</allowRead>\n"
                       f"        <modifyAllRecords>{str(r == 15).lower()}</modifyAllRecords>\n"
                       f"        <object>{obj['api']}</object>\n"
                       f"        <viewAllRecords>{str(r >= 14).lower()}</viewAllRecords>\n    </objectPermissions>\n")
        return "".join(out)

    def _class_accesses(self, seed: int) -> str:
        return "".join(f"    <classAccesses>\n        <apexClass>{c}</apexClass>\n"
                       f"        <enabled>{'true' if (i + seed) % 3 else 'false'}</enabled>\n    </classAccesses>\n"
                       for i, c in enumerate(self.classes[:50]))

    def _record_types(self, seed: int, profile: bool) -> str:
        out = []
        for obj in sorted(self.objects, key=lambda o: o["api"]):
            for j, rt in enumerate(sorted(obj["recordTypes"])):
                out.append("    <recordTypeVisibilities>\n")
                if profile:
                    out.append(leaf(2, "default", j == 0))
                out.append(f"        <recordType>{obj['api']}.{rt}</recordType>\n"
                           f"        <visible>{'true' if (j + seed) % 4 else 'false'}</visible>\n"
                           f"    </recordTypeVisibilities>\n")
        return "".join(out)

    USER_PERMS = ("ActivateContract", "ApiEnabled", "ConvertLeads", "EditTask", "ExportReport", "ImportLeads",
                  "ManageDashboards", "RunReports", "ViewAllData", "ViewSetup")

    def profile_xml(self, idx: int, name: str, fls: str) -> str:
        out = [DECL, f'<Profile xmlns="{NS}">\n']
        out.append(self._class_accesses(idx))
        out.append(leaf(1, "custom", name.startswith("Custom")))
        out.append(leaf(1, "description", f"{name.replace('%3A', ':')} — {PHRASES[idx % len(PHRASES)]}")
                   if idx % 2 else "")
        out.append(fls)
        for obj in sorted(self.objects, key=lambda o: o["api"]):
            out.append(f"    <layoutAssignments>\n        <layout>{esc(self.layout_name(obj))}</layout>\n"
                       f"    </layoutAssignments>\n")
            for rt in sorted(obj["recordTypes"])[:1]:
                out.append(f"    <layoutAssignments>\n        <layout>{esc(self.layout_name(obj))}</layout>\n"
                           f"        <recordType>{obj['api']}.{rt}</recordType>\n    </layoutAssignments>\n")
        out.append(self._object_perms(idx))
        out.append(self._record_types(idx, True))
        out.append(leaf(1, "userLicense", "Salesforce"))
        for i, p in enumerate(self.USER_PERMS):
            out.append(f"    <userPermissions>\n        <enabled>{'true' if (i + idx) % 3 else 'false'}</enabled>\n"
                       f"        <name>{p}</name>\n    </userPermissions>\n")
        out.append("</Profile>\n")
        return "".join(out)

    def permset_xml(self, idx: int, name: str, fls: str) -> str:
        out = [DECL, f'<PermissionSet xmlns="{NS}">\n']
        out.append(self._class_accesses(idx))
        out.append(leaf(1, "description", f"Grants {name.replace('_', ' ')}; {PHRASES[idx % len(PHRASES)]}"))
        out.append(fls)
        out.append(leaf(1, "hasActivationRequired", False))
        out.append(leaf(1, "label", name.replace("_", " ")))
        out.append(self._object_perms(idx + 7))
        out.append(self._record_types(idx, False))
        for i, p in enumerate(self.USER_PERMS[: 3 + idx % 5]):
            out.append(f"    <userPermissions>\n        <enabled>true</enabled>\n        <name>{p}</name>\n"
                       f"    </userPermissions>\n")
        out.append("</PermissionSet>\n")
        return "".join(out)

    # ---------------------------------------------------------------- labels, package.xml

    def labels_xml(self) -> str:
        rng = random.Random(f"{self.args.seed}:labels")
        out = [DECL, f'<CustomLabels xmlns="{NS}">\n']
        cats = ("Settings", "Error", "Billing,Invoices", "UI")
        for k, name in enumerate(self.labels):
            out.append(f"    <labels>\n        <fullName>{name}</fullName>\n")
            if k % 3:
                out.append(leaf(2, "categories", cats[k % len(cats)]))
            out.append("        <language>en_US</language>\n")
            out.append(leaf(2, "protected", k % 5 == 0))
            out.append(leaf(2, "shortDescription", name.replace("_", " ")))
            value = f"{rng.choice(PHRASES)} ({name})"
            if k % 11 == 0:
                value += "\nSecond line: {0} of {1}"
            out.append(leaf(2, "value", value))
            out.append("    </labels>\n")
        out.append("</CustomLabels>\n")
        return "".join(out)

    def package_xml(self) -> str:
        types = {
            "ApexClass": self.classes,
            "CustomLabels": ["CustomLabels"] if self.labels else [],
            "CustomObject": [o["api"] for o in self.objects],
            "Layout": [self.layout_name(o) for o in self.objects],
            "PermissionSet": self.permsets,
            "Profile": [p.replace("%3A", ":") for p in self.profiles],
        }
        out = [DECL, f'<Package xmlns="{NS}">\n']
        for t in sorted(types):
            if not types[t]:
                continue
            out.append("    <types>\n")
            for m in sorted(types[t]):
                out.append(leaf(2, "members", m))
            out.append(leaf(2, "name", t))
            out.append("    </types>\n")
        out.append(leaf(1, "version", API))
        out.append("</Package>\n")
        return "".join(out)

    # ---------------------------------------------------------------- counts and writing

    def counts(self) -> dict:
        objs = self.objects
        nf = sum(len(o["fields"]) for o in objs)
        c = {
            "CustomObject": len(objs),
            "CustomField": nf,
            "ListView": len(objs) * self.args.list_views,
            "RecordType": sum(len(o["recordTypes"]) for o in objs),
            "ValidationRule": len(objs) * self.args.validation_rules,
            "CompactLayout": len(objs),
            "Layout": len(objs),
            "ApexClass": len(self.classes),
            "Profile": len(self.profiles),
            "PermissionSet": len(self.permsets),
            "CustomLabels": 1 if self.labels else 0,
            "CustomLabel": len(self.labels),
        }
        c["total"] = sum(c.values())
        fls_fields = sum(1 for o in self.fls_objects for f in o["fields"] if not f["required"])
        c["fieldPermissions per profile/permission set"] = fls_fields
        c["fieldPermissions total"] = fls_fields * (len(self.profiles) + len(self.permsets))
        return c

    def write(self, root: Path) -> None:
        src = root / "mdapi"
        for d in ("objects", "layouts", "classes", "profiles", "permissionsets", "labels"):
            (src / d).mkdir(parents=True, exist_ok=True)

        def w(path: Path, text: str) -> None:
            path.write_bytes(text.encode("utf-8"))

        t0 = time.perf_counter()
        for obj in self.objects:
            w(src / "objects" / f"{obj['api']}.object", self.object_xml(obj))
            w(src / "layouts" / f"{self.layout_name(obj)}.layout", self.layout_xml(obj))
        for name in self.classes:
            w(src / "classes" / f"{name}.cls", self.class_body(name))
            w(src / "classes" / f"{name}.cls-meta.xml", self.class_meta())
        log(f"  objects, layouts, classes written ({time.perf_counter() - t0:.1f} s)")
        fls_cache: dict[int, str] = {}
        for i, name in enumerate(self.profiles):
            key = i % 8  # eight FLS variants, reused: generation stays fast, files still differ elsewhere
            fls = fls_cache.setdefault(key, self._fls(key))
            w(src / "profiles" / f"{name}.profile", self.profile_xml(i, name, fls))
        for i, name in enumerate(self.permsets):
            key = 8 + i % 8
            fls = fls_cache.setdefault(key, self._fls(key))
            w(src / "permissionsets" / f"{name}.permissionset", self.permset_xml(i, name, fls))
        fls_cache.clear()
        log(f"  profiles and permission sets written ({time.perf_counter() - t0:.1f} s)")
        if self.labels:
            w(src / "labels" / "CustomLabels.labels", self.labels_xml())
        w(src / "package.xml", self.package_xml())
        project = {"packageDirectories": [{"path": "force-app", "default": True}], "name": "sfhotfix-bench",
                   "namespace": "", "sfdcLoginUrl": "https://login.salesforce.com", "sourceApiVersion": API}
        (root / "sfdx-project.json").write_text(json.dumps(project, indent=2) + "\n")
        (root / "force-app").mkdir(exist_ok=True)
        log(f"  generated in {time.perf_counter() - t0:.1f} s")


# ---------------------------------------------------------------------------------------------- measuring


def log(msg: str) -> None:
    print(msg, flush=True)


def tree_stats(path: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, _, names in os.walk(path):
        for n in names:
            files += 1
            size += os.path.getsize(os.path.join(dirpath, n))
    return files, size


def rmtree(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)


TIME_BIN = "/usr/bin/time"
# Without GNU time: a fresh Python process runs the command and reports its RUSAGE_CHILDREN in GNU time's words
# (ru_maxrss of waited-for children is the largest single process among them, as with GNU time).
RUSAGE_WRAPPER = """import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as fh:
    fh.write(f"User time (seconds): {r.ru_utime:.2f}\\nSystem time (seconds): {r.ru_stime:.2f}\\n"
             f"Maximum resident set size (kbytes): {r.ru_maxrss}\\n")
sys.exit(code)
"""


def run_measured(cmd: list[str], cwd: Path, env: dict, log_path: Path) -> dict:
    """Run one whole process: wall-clock seconds, CPU seconds (user + system, children included) and peak
    RSS (MB, the largest single process) from GNU time -v, or from a rusage wrapper without it."""
    stats_file = log_path.with_suffix(".time")
    if os.access(TIME_BIN, os.X_OK):
        full = [TIME_BIN, "-v", "-o", str(stats_file)] + cmd
    else:
        full = [sys.executable, "-c", RUSAGE_WRAPPER, str(stats_file)] + cmd
    load_before = os.getloadavg()[0]  # other work on the machine skews wall clock: recorded per run
    with open(log_path, "wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.run(full, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        seconds = time.perf_counter() - t0
    peak_mb = cpu = None
    if stats_file.exists():
        stats = stats_file.read_text()
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stats)
        if m:
            peak_mb = int(m.group(1)) / 1024
        u = re.search(r"User time \(seconds\): ([\d.]+)", stats)
        k = re.search(r"System time \(seconds\): ([\d.]+)", stats)
        if u and k:
            cpu = round(float(u.group(1)) + float(k.group(1)), 2)
    text = log_path.read_text(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{text[-3000:]}")
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak_mb, "output": text.strip()[-500:],
            "load_before": round(load_before, 2)}


def fs_type(path: Path) -> str:
    """The file system type of the mount holding ``path`` (from /proc/mounts)."""
    best, kind = "", "?"
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return kind
    target = str(path.resolve())
    for line in mounts:
        parts = line.split()
        if len(parts) >= 3 and (target == parts[1] or target.startswith(parts[1].rstrip("/") + "/")) \
                and len(parts[1]) > len(best):
            best, kind = parts[1], parts[2]
    return kind


def bench(label: str, make_cmd, cwd: Path, env: dict, runs_dir: Path, repeat: int, budget: float | None,
          logs: Path, discard_old: bool) -> dict:
    """Best of ``repeat`` runs; each run writes into a fresh folder (nothing is deleted before a timed run:
    on this machine's journal-less ext4, creating files right after deleting many is several times slower)."""
    runs = []
    spent = 0.0
    previous = None
    for i in range(repeat):
        out_dir = runs_dir / f"{label}-{i + 1}"
        cmd = make_cmd(out_dir)
        os.sync()  # the previous run's writeback must not overlap this one (untimed)
        r = run_measured(cmd, cwd, env, logs / f"{label}-{i + 1}.log")
        r["out_dir"] = out_dir
        runs.append(r)
        spent += r["seconds"]
        log(f"    {label} run {i + 1}: {r['seconds']:.2f} s wall, "
            f"{r['cpu_seconds'] if r['cpu_seconds'] is not None else float('nan'):.2f} s CPU, "
            f"peak {fmt_mb(r['peak_mb'])}, load average before {r['load_before']:.2f}")
        if previous is not None and discard_old:
            shutil.rmtree(previous, ignore_errors=True)
        previous = out_dir
        if budget is not None and spent > budget and i + 1 < repeat:
            log(f"    {label}: stopping after {i + 1} run(s), {spent:.0f} s > budget {budget:.0f} s")
            break
    best = min(runs, key=lambda r: r["seconds"])
    return {"command": " ".join(make_cmd(runs_dir / f"{label}-N")), "cwd": str(cwd), "runs": len(runs),
            "seconds_all": [round(r["seconds"], 3) for r in runs], "seconds": round(best["seconds"], 3),
            "cpu_seconds_all": [r["cpu_seconds"] for r in runs],
            "cpu_seconds": min((r["cpu_seconds"] for r in runs if r["cpu_seconds"] is not None), default=None),
            "load_average_before_runs": [r["load_before"] for r in runs],
            "peak_mb": round(max(r["peak_mb"] or 0 for r in runs), 1) if any(r["peak_mb"] for r in runs) else None,
            "tool_output": best["output"], "last_out_dir": runs[-1]["out_dir"]}


def fmt_mb(v) -> str:
    return f"{v:.0f} MB" if v is not None else "n/a"


# ---------------------------------------------------------------------------------------------- comparing


def list_files(root: Path) -> dict[str, Path]:
    files = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = Path(dirpath) / n
            files[p.relative_to(root).as_posix()] = p
    return files


def compare(expected_root: Path, actual_root: Path, quirk_prefix: str | None = None, details: int = 5) -> dict:
    """SDR's output (expected) against sfhotfix's (actual), byte for byte."""
    expected = list_files(expected_root)
    quirk = []
    if quirk_prefix:
        for rel in [r for r in expected if r.startswith(quirk_prefix + "/")]:
            fixed = rel[len(quirk_prefix) + 1:]
            quirk.append(rel)
            expected[fixed] = expected.pop(rel)
    actual = list_files(actual_root)
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    differing = []
    for rel in sorted(set(expected) & set(actual)):
        a, b = expected[rel], actual[rel]
        if a.stat().st_size != b.stat().st_size or a.read_bytes() != b.read_bytes():
            differing.append(rel)
    result = {"sdr_files": len(expected), "sfhotfix_files": len(actual), "identical": len(expected) - len(missing)
              - len(differing), "differing": len(differing), "missing": len(missing), "extra": len(extra),
              "sdr_labels_path_quirk_files": quirk,
              "differing_files": differing[:50], "missing_files": missing[:50], "extra_files": extra[:50],
              "diff_details": []}
    for rel in differing[:details]:
        a = expected[rel].read_text(errors="replace").splitlines(keepends=True)
        b = actual[rel].read_text(errors="replace").splitlines(keepends=True)
        d = list(difflib.unified_diff(a, b, f"sdr/{rel}", f"sfhotfix/{rel}", n=2))
        if not d:  # same lines: the bytes differ in line endings or at the end of the file
            d = [f"(same lines; bytes differ: sdr {expected[rel].stat().st_size} B, "
                 f"sfhotfix {actual[rel].stat().st_size} B; sdr ends {expected[rel].read_bytes()[-20:]!r}, "
                 f"sfhotfix ends {actual[rel].read_bytes()[-20:]!r})\n"]
        result["diff_details"].append({"file": rel, "diff": "".join(d[:60])})
    return result


# ---------------------------------------------------------------------------------------------- main


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--small", action="store_true", help="smoke run: 10 objects x 10 fields, a few of the rest")
    p.add_argument("--objects", type=int, help="custom objects (default 400; --small 10)")
    p.add_argument("--fields", type=int, help="fields per object (default 100; --small 10)")
    p.add_argument("--profiles", type=int, help="profiles (default 100; --small 3)")
    p.add_argument("--permsets", type=int, help="permission sets (default 100; --small 3)")
    p.add_argument("--labels", type=int, help="custom labels (default 20000; --small 50)")
    p.add_argument("--classes", type=int, help="Apex classes (default 200; --small 5)")
    p.add_argument("--list-views", type=int, default=3, help="list views per object (default 3)")
    p.add_argument("--record-types", type=int, default=2, help="record types per object (default 2)")
    p.add_argument("--validation-rules", type=int, default=2, help="validation rules per object (default 2)")
    p.add_argument("--fls-objects", type=int, default=None,
                   help="give profiles/permission sets field permissions for the first N objects only "
                        "(default: every object)")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--work", type=Path, default=None,
                   help="work folder for the generated tree (default benchmarks/work/full, benchmarks/work/small "
                        "with --small)")
    p.add_argument("--regenerate", action="store_true", help="regenerate the tree even if it is up to date")
    p.add_argument("--generate-only", action="store_true")
    p.add_argument("--repeat", type=int, default=3, help="runs per measurement, best is kept (default 3)")
    p.add_argument("--sdr-repeat", type=int, default=None, help="runs per SDR measurement (default --repeat)")
    p.add_argument("--sdr-budget", type=float, default=900.0,
                   help="stop repeating an SDR measurement once its runs took this many seconds (default 900)")
    p.add_argument("--python", default=str(REPO / ".venv/bin/python") if (REPO / ".venv/bin/python").exists()
                   else sys.executable)
    p.add_argument("--node", default="node")
    p.add_argument("--sdr-script", type=Path, default=Path("/tmp/peers/sdr-convert.js"))
    p.add_argument("--out-root", type=Path, default=None,
                   help="project folder the timed runs write into (default /dev/shm/sfhotfix-convert-bench when "
                        "that tmpfs has room, else benchmarks/work/out): this machine's disk (ext4 without a "
                        "journal) makes creating files after a large deletion erratically slow, which swamps "
                        "both converters; give a disk folder to measure on disk")
    p.add_argument("--keep-outputs", action="store_true", help="keep the outputs on a tmpfs --out-root")
    p.add_argument("--profile", action="store_true",
                   help="also run sfhotfix once per direction under cProfile and save the top functions")
    p.add_argument("--skip-sdr", action="store_true", help="time sfhotfix only (no ratio, no correctness check)")
    p.add_argument("--results", type=Path, help="results JSON (default benchmarks/results/convert.json, "
                                                "convert-small.json with --small)")
    a = p.parse_args(argv)
    defaults = dict(objects=400, fields=100, profiles=100, permsets=100, labels=20000, classes=200)
    small = dict(objects=10, fields=10, profiles=3, permsets=3, labels=50, classes=5)
    for k, v in (small if a.small else defaults).items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    if a.work is None:
        a.work = HERE / "work" / ("small" if a.small else "full")
    if a.results is None:
        a.results = HERE / "results" / ("convert-small.json" if a.small else "convert.json")
    if a.sdr_repeat is None:
        a.sdr_repeat = a.repeat
    return a


def ensure_tree(args: argparse.Namespace, project: Project) -> dict:
    work = args.work
    params = {k: getattr(args, k) for k in ("objects", "fields", "profiles", "permsets", "labels", "classes",
                                            "list_views", "record_types", "validation_rules", "fls_objects",
                                            "seed")}
    params["generator"] = GENERATOR_VERSION
    stamp = work / "generated.json"
    if not args.regenerate and stamp.exists() and json.loads(stamp.read_text()).get("params") == params:
        log(f"reusing the generated tree in {work} (same parameters; --regenerate to rebuild)")
        return json.loads(stamp.read_text())
    log(f"generating the metadata-API tree in {work}/mdapi ...")
    rmtree(work)
    work.mkdir(parents=True)
    project.write(work)
    files, size = tree_stats(work / "mdapi")
    info = {"params": params, "counts": project.counts(), "input_files": files, "input_bytes": size}
    stamp.write_text(json.dumps(info, indent=1) + "\n")
    return info


def code_fingerprint() -> dict:
    """Which sfhotfix was measured: the commit and a hash of the working tree's sfhotfix/ sources."""
    h = hashlib.sha256()
    files = {}
    latest = 0.0
    for path in sorted((REPO / "sfhotfix").rglob("*.py")):
        data = path.read_bytes()
        rel = path.relative_to(REPO).as_posix()
        files[rel] = hashlib.sha256(data).hexdigest()[:12]
        h.update(rel.encode() + b"\0" + data + b"\0")
        latest = max(latest, path.stat().st_mtime)
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "sfhotfix"],
                           capture_output=True, text=True).stdout.split("\n")
    return {"commit": head or None, "sources_sha256": h.hexdigest()[:16],
            "uncommitted": [line[3:] for line in dirty if line.strip()],
            "newest_source_mtime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(latest)), "_files": files}


def sdr_version() -> str | None:
    try:
        pkg = json.loads((Path("/tmp/peers/node_modules/@salesforce/source-deploy-retrieve/package.json")).read_text())
        return pkg.get("version")
    except OSError:
        return None


def default_out_root() -> Path:
    shm = Path("/dev/shm")
    try:
        st = os.statvfs(shm)
        if os.access(shm, os.W_OK) and st.f_bavail * st.f_frsize > 12e9:
            return shm / "sfhotfix-convert-bench"
    except OSError:
        pass
    return HERE / "work" / "out"  # git-ignored too


def main(argv=None) -> int:
    args = parse_args(argv)
    work = args.work.resolve()
    args.work = work
    project = Project(args)
    info = ensure_tree(args, project)
    counts = info["counts"]
    log(f"tree: {info['input_files']} files, {info['input_bytes'] / 1e6:.1f} MB; components: "
        + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if args.fls_objects is not None and args.fls_objects < args.objects:
        log(f"NOTE: field-level security scaled down: profiles/permission sets list the fields of the first "
            f"{args.fls_objects} of {args.objects} objects")
    if args.generate_only:
        return 0
    compile_package(REPO)

    # Outputs go to --out-root, a project folder of their own (SDR writes the CustomLabels of mdapi-to-source
    # relative to the project it runs in, so it must run inside one). Default: a tmpfs, see --out-root.
    root = (args.out_root or default_out_root()).resolve()
    on_tmpfs = fs_type(root) == "tmpfs"
    if root.exists():
        shutil.rmtree(root)
    os.sync()
    (root / "force-app").mkdir(parents=True)
    shutil.copy2(work / "sfdx-project.json", root / "sfdx-project.json")
    runs_dir, logs = root / "runs", root / "logs"
    runs_dir.mkdir()
    logs.mkdir()
    log(f"outputs in {root} ({fs_type(root)}); input {work / 'mdapi'} ({fs_type(work)})")
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    mdapi_in = str(work / "mdapi")
    hf = [args.python, "-m", "sfhotfix", "convert"]
    sdr = [args.node, str(args.sdr_script)]

    def rel(p: Path) -> str:
        return p.relative_to(root).as_posix()

    fingerprint = code_fingerprint()
    log(f"sfhotfix measured: commit {fingerprint['commit']}, sources {fingerprint['sources_sha256']}, "
        f"uncommitted: {', '.join(fingerprint['uncommitted']) or 'none'}")
    results: dict = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sfhotfix_code": fingerprint,
        "tree": info,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": subprocess.run([args.python, "--version"], capture_output=True, text=True).stdout.strip(),
                    "node": subprocess.run([args.node, "--version"], capture_output=True, text=True).stdout.strip(),
                    "sdr": sdr_version(), "input_fs": fs_type(work), "output_fs": fs_type(root)},
        "method": ("whole processes, wall clock (time.perf_counter around subprocess.run), best of the runs listed; "
                   "CPU = user + system seconds of the process and its children (sfhotfix forks workers on a large tree); "
                   "peak = GNU time -v 'Maximum resident set size', the largest single process; every run writes into a fresh "
                   "folder, after an untimed sync; both tools run with cwd = the output project folder, the same "
                   "input; page cache warm after the first run"),
        "directions": {},
    }

    # ---- (a) metadata-API -> source
    log("\n(a) metadata-API -> source")
    a_hf = bench("sfhotfix-to-source", lambda o: hf + ["--to", "source", mdapi_in, "--output-dir", rel(o),
                                                       "--project", "."],
                 root, env, runs_dir, args.repeat, None, logs, on_tmpfs)
    hf_src = a_hf.pop("last_out_dir")
    a_hf["files_out"] = tree_stats(hf_src)[0]
    direction_a = {"input": mdapi_in, "files_in": info["input_files"], "sfhotfix": a_hf}
    common = root / "source-input"
    if not args.skip_sdr:
        a_sdr = bench("sdr-to-source", lambda o: sdr + ["mdapi-to-source", mdapi_in, rel(o)],
                      root, env, runs_dir, args.sdr_repeat, args.sdr_budget, logs, on_tmpfs)
        sdr_src = a_sdr.pop("last_out_dir")
        a_sdr["files_out"] = tree_stats(sdr_src)[0]
        direction_a["sdr"] = a_sdr
        direction_a["components_sdr"] = _components(a_sdr["tool_output"])
        direction_a["ratio_sdr_over_sfhotfix"] = round(a_sdr["seconds"] / a_hf["seconds"], 2)
        direction_a["cpu_ratio_sdr_over_sfhotfix"] = _ratio(a_sdr["cpu_seconds"], a_hf["cpu_seconds"])
        log("  comparing outputs ...")
        quirk = rel(sdr_src)
        direction_a["correctness"] = compare(sdr_src, hf_src, quirk_prefix=quirk)
        # the common input of (b): SDR's own source output, its labels file moved to where it belongs
        sdr_src.rename(common)
        for q in direction_a["correctness"]["sdr_labels_path_quirk_files"]:
            dest = common / q[len(quirk) + 1:]
            dest.parent.mkdir(parents=True, exist_ok=True)
            (common / q).rename(dest)
        nested = common / quirk.split("/")[0]
        if nested.is_dir() and not any(p.is_file() for p in nested.rglob("*")):
            shutil.rmtree(nested)
    else:
        shutil.copytree(hf_src, common)
    direction_a["sfhotfix_output"], direction_a["sdr_output"] = str(hf_src), str(common) + " (moved)"
    results["directions"]["mdapi_to_source"] = direction_a

    # ---- (b) source -> metadata-API
    log("\n(b) source -> metadata-API")
    files_in = tree_stats(common)[0]
    b_hf = bench("sfhotfix-to-mdapi", lambda o: hf + ["--to", "mdapi", rel(common), "--output-dir", rel(o),
                                                      "--project", "."],
                 root, env, runs_dir, args.repeat, None, logs, on_tmpfs)
    hf_md = b_hf.pop("last_out_dir")
    b_hf["files_out"] = tree_stats(hf_md)[0]
    direction_b = {"input": f"{common} ({'SDR' if not args.skip_sdr else 'sfhotfix'}'s source output)",
                   "files_in": files_in, "sfhotfix": b_hf}
    if not args.skip_sdr:
        b_sdr = bench("sdr-to-mdapi", lambda o: sdr + ["source-to-mdapi", rel(common), rel(o)],
                      root, env, runs_dir, args.sdr_repeat, args.sdr_budget, logs, on_tmpfs)
        sdr_md = b_sdr.pop("last_out_dir")
        b_sdr["files_out"] = tree_stats(sdr_md)[0]
        direction_b["sdr"] = b_sdr
        direction_b["components_sdr"] = _components(b_sdr["tool_output"])
        direction_b["ratio_sdr_over_sfhotfix"] = round(b_sdr["seconds"] / b_hf["seconds"], 2)
        direction_b["cpu_ratio_sdr_over_sfhotfix"] = _ratio(b_sdr["cpu_seconds"], b_hf["cpu_seconds"])
        log("  comparing outputs ...")
        direction_b["correctness"] = compare(sdr_md, hf_md)
    results["directions"]["source_to_mdapi"] = direction_b

    if args.profile:
        log("\nprofiling sfhotfix (cProfile, one serial run per direction) ...")
        results["profiles"] = {}
        (HERE / "results").mkdir(exist_ok=True)
        for name, argv_ in (("to_source", ["--to", "source", mdapi_in]), ("to_mdapi", ["--to", "mdapi", rel(common)])):
            out_dir = runs_dir / f"profile-{name}"
            stats = work / f"convert-profile-{name}.pstats"  # binary: kept out of results/
            # sfhotfix forks workers on a large tree, which cProfile does not follow: the profiled run is made
            # serial (os.cpu_count() -> 1), so the profile holds all of the conversion's work
            cli = ["convert"] + argv_ + ["--output-dir", rel(out_dir), "--project", "."]
            program = ("import os, sys, cProfile\n"
                       "os.cpu_count = lambda: 1\n"
                       "if hasattr(os, 'process_cpu_count'): os.process_cpu_count = lambda: 1\n"
                       f"sys.argv = ['sfhotfix'] + {cli!r}\n"
                       "from sfhotfix.cli import main\n"
                       f"cProfile.run('main()', {str(stats)!r})\n")
            cmd = [args.python, "-c", program]
            os.sync()
            r = run_measured(cmd, root, env, logs / f"profile-{name}.log")
            text = HERE / "results" / f"convert-profile-{name}.txt"
            with open(text, "w") as fh:
                st = pstats.Stats(str(stats), stream=fh)
                fh.write(f"# cwd {root}\n# serial run (os.cpu_count patched to 1) of: python -m sfhotfix "
                         f"{' '.join(cli)}\n# wall {r['seconds']:.2f} s under cProfile\n\n")
                st.sort_stats("cumulative").print_stats(40)
                st.sort_stats("tottime").print_stats(25)
            results["profiles"][name] = {"seconds_under_cprofile": round(r["seconds"], 2),
                                         "report": str(text.relative_to(REPO))}
            log(f"  {name}: {r['seconds']:.1f} s under cProfile -> {text.relative_to(REPO)}")
            shutil.rmtree(out_dir, ignore_errors=True)

    after = code_fingerprint()
    before_files = fingerprint.pop("_files")
    after_files = after.pop("_files")
    if after["sources_sha256"] != fingerprint["sources_sha256"]:
        changed = sorted(f for f in set(before_files) | set(after_files) if before_files.get(f) != after_files.get(f))
        after["changed_files"] = changed
        results["sfhotfix_code_changed_during_run"] = after
        log(f"WARNING: sfhotfix/ changed while the benchmark ran ({fingerprint['sources_sha256']} -> "
            f"{after['sources_sha256']}; {', '.join(changed)}): runs may have measured different code")
    report(results, args)
    for d in results["directions"].values():
        for tool in ("sfhotfix", "sdr"):
            if tool in d:
                d[tool].pop("last_out_dir", None)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str) + "\n")
    log(f"\nresults written to {args.results}")
    if args.keep_outputs or not on_tmpfs:
        log(f"outputs kept in {root}")
    else:
        shutil.rmtree(root)  # a tmpfs holds them in memory: free it (--keep-outputs to inspect them)
        log(f"outputs in {root} deleted (tmpfs; --keep-outputs keeps them)")
    return 0


def _ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def _components(tool_output: str):
    for line in reversed(tool_output.splitlines()):
        try:
            return json.loads(line).get("components")
        except (ValueError, AttributeError):
            continue
    return None


def report(results: dict, args: argparse.Namespace) -> None:
    counts = results["tree"]["counts"]
    log("\n" + "=" * 100)
    log(f"tree: {results['tree']['input_files']} files, {results['tree']['input_bytes'] / 1e6:.0f} MB, "
        f"{counts['total']} components ({counts['CustomObject']} objects, {counts['CustomField']} fields, "
        f"{counts['Profile']} profiles, {counts['PermissionSet']} permission sets, {counts['CustomLabel']} labels; "
        f"{counts['fieldPermissions total']} fieldPermissions entries in all)")
    head = f"{'direction':<17} {'tool':<9} {'files in':>8} {'files out':>9} {'runs':>4} {'best s':>8} " \
           f"{'all runs s (wall)':<26} {'CPU s':>7} {'peak MB':>8} {'SDR/sfhotfix':>12} {'(CPU)':>6}"
    log(head)
    log("-" * len(head))
    for key, d in results["directions"].items():
        for tool in ("sfhotfix", "sdr"):
            if tool not in d:
                continue
            r = d[tool]
            ratio = f"{d['ratio_sdr_over_sfhotfix']:.1f}x" if tool == "sdr" and "ratio_sdr_over_sfhotfix" in d else ""
            cpu_ratio = f"{d['cpu_ratio_sdr_over_sfhotfix']:.1f}x" if tool == "sdr" and d.get(
                "cpu_ratio_sdr_over_sfhotfix") else ""
            cpu = f"{r['cpu_seconds']:.2f}" if r.get("cpu_seconds") is not None else "n/a"
            log(f"{key:<17} {tool:<9} {d['files_in']:>8} {r['files_out']:>9} {r['runs']:>4} {r['seconds']:>8.2f} "
                f"{', '.join(f'{s:.2f}' for s in r['seconds_all']):<26} {cpu:>7} {(r['peak_mb'] or 0):>8.0f} "
                f"{ratio:>12} {cpu_ratio:>6}")
    log("")
    for key, d in results["directions"].items():
        c = d.get("correctness")
        if not c:
            continue
        log(f"correctness {key}: SDR {c['sdr_files']} files, sfhotfix {c['sfhotfix_files']}; identical "
            f"{c['identical']}, differing {c['differing']}, missing {c['missing']}, extra {c['extra']}"
            + (f" (SDR labels path quirk mapped back: {len(c['sdr_labels_path_quirk_files'])} file)"
               if c["sdr_labels_path_quirk_files"] else ""))
        for name, lst in (("differing", c["differing_files"]), ("missing", c["missing_files"]),
                          ("extra", c["extra_files"])):
            if lst:
                log(f"  {name} (first {min(len(lst), 5)}): " + "; ".join(lst[:5]))
        for dd in c["diff_details"][:3]:
            log(f"  --- diff of {dd['file']}:\n" + "\n".join("    " + line for line in dd["diff"].splitlines()[:30]))
    for key, d in results["directions"].items():
        if "ratio_sdr_over_sfhotfix" in d:
            ok = d["ratio_sdr_over_sfhotfix"] >= 10
            log(f"target {key}: sfhotfix >= 10x faster than SDR: {'MET' if ok else 'NOT MET'} "
                f"({d['ratio_sdr_over_sfhotfix']:.1f}x)")
    results["target"] = {k: d.get("ratio_sdr_over_sfhotfix", 0) >= 10 for k, d in results["directions"].items()}


if __name__ == "__main__":
    sys.exit(main())
