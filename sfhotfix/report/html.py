"""The comparison as ONE self-contained HTML page: inline CSS and vanilla JS, no network assets.

Every piece of report text (labels, names, XML, Apex, change values) is untrusted and goes through
:func:`html.escape`.  Per-row diffs are rendered in Python (``difflib.SequenceMatcher`` opcodes) but
kept out of the DOM until a row is expanded: each lives as inert text in a
``<script type="text/html" id="d-N">`` block that the page's script inserts on demand, so a page
of thousands of rows loads quickly.  Since the diff text is escaped, no ``<`` from the report can
end such a block early.

The page also reads a test hook from its query string, applied on load:
``?filter-status=new,changed`` (or ``all``), ``filter-type=CustomField``, ``filter-name=invoice``,
``expand=first|all|<selector>``.  When its script has initialised, ``<body>`` gets ``data-ready="1"``.
"""

from __future__ import annotations

import re
from html import escape

from .diff_text import (
    KINDS,
    STATUSES,
    Entry,
    SideRow,
    change_count,
    format_value,
    grouped_rows,
    has_texts,
    inline_spans,
    short_date,
    side_by_side,
    status_counts,
    summary_counts,
)

#: Folds of more unchanged lines than this are not embedded (the marker cannot be opened).
FOLD_EMBED_MAX = 400
#: At most this many line pairs (hidden fold lines included) are embedded for one component.
MAX_DIFF_ROWS = 5000


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _breakable(value: object) -> str:
    """Escaped, with line-break opportunities after the separators of metadata names."""
    return re.sub(r"([.:/-])", r"\1<wbr>", _e(value))


# --------------------------------------------------------------------------- per-row detail

def _code(segments: list[tuple[bool, str]]) -> str:
    return "".join(f'<span class="x">{_e(text)}</span>' if changed else _e(text) for changed, text in segments)


def _line_row(row: SideRow) -> str:
    kind = row.kind
    if kind == "replace" and row.left is not None and row.right is not None:
        left_segs, right_segs = inline_spans(row.left, row.right)
        left, right = _code(left_segs), _code(right_segs)
    else:
        left, right = _e(row.left), _e(row.right)
    left_cls = {"equal": "c", "replace": "c del", "delete": "c del", "insert": "c none"}[kind]
    right_cls = {"equal": "c", "replace": "c ins", "delete": "c none", "insert": "c ins"}[kind]
    return (f'<tr class="{kind}"><td class="ln">{"" if row.left_no is None else row.left_no}</td>'
            f'<td class="{left_cls}">{left}</td>'
            f'<td class="ln">{"" if row.right_no is None else row.right_no}</td>'
            f'<td class="{right_cls}">{right}</td></tr>')


def _side_by_side_html(row: dict, source_label: str, target_label: str) -> str:
    rows = side_by_side(row.get("targetText"), row.get("sourceText"))
    target_missing = not isinstance(row.get("targetText"), str)
    source_missing = not isinstance(row.get("sourceText"), str)
    out = ['<div class="sbs-wrap"><table class="sbs"><colgroup><col class="lnc"><col><col class="lnc"><col>'
           '</colgroup><thead><tr>'
           f'<th colspan="2"><span class="side-tag t">Target</span> {_e(target_label)}'
           f'{" <em>(not present)</em>" if target_missing else ""}</th>'
           f'<th colspan="2"><span class="side-tag s">Source</span> {_e(source_label)}'
           f'{" <em>(not present)</em>" if source_missing else ""}</th>'
           '</tr></thead><tbody>']
    budget = MAX_DIFF_ROWS
    for position, side_row in enumerate(rows):
        if budget <= 0:
            rest = sum(len(r.folded or ()) or 1 for r in rows[position:])
            out.append(f'</tbody><tbody><tr class="note"><td colspan="4">Diff truncated: {rest:,} more '
                       f'line{"s" if rest != 1 else ""} not shown. Use <code>sfhotfix diff</code> for the whole '
                       'text.</td></tr>')
            break
        if side_row.kind == "fold":
            folded = side_row.folded or []
            n = len(folded)
            label = f"{n:,} unchanged line{'s' if n != 1 else ''}"
            if n <= FOLD_EMBED_MAX and n <= budget:
                out.append(f'</tbody><tbody class="foldm"><tr><td colspan="4"><button type="button" class="fold" '
                           f'title="Show these lines">⋯ {label}</button></td></tr></tbody><tbody class="folded" hidden>')
                out.extend(_line_row(r) for r in folded)
                out.append('</tbody><tbody>')
                budget -= n
            else:
                out.append(f'</tbody><tbody class="foldm"><tr><td colspan="4"><span class="fold static">⋯ {label}'
                           '</span></td></tr></tbody><tbody>')
                budget -= 1
            continue
        out.append(_line_row(side_row))
        budget -= 1
    out.append("</tbody></table></div>")
    if not rows:
        return '<div class="nodiff">Both sides are empty.</div>'
    if not any(r.kind != "equal" and r.kind != "fold" for r in rows):
        out.insert(0, '<div class="nodiff">The texts are identical.</div>')
    return "".join(out)


def _changes_html(row: dict) -> str:
    changes = [c for c in (row.get("changes") or []) if isinstance(c, dict)]
    if not changes:
        return ""
    body = []
    for change in changes:
        kind = str(change.get("kind") or "")
        kind_cls = kind if kind in KINDS else "other"
        body.append(f'<tr><td><span class="kind k-{kind_cls}">{_e(kind)}</span></td>'
                    f'<td class="path">{_e(change.get("path"))}</td>'
                    f'<td class="val t">{_e(format_value(change.get("target")))}</td>'
                    f'<td class="val s">{_e(format_value(change.get("source")))}</td></tr>')
    return ('<table class="changes"><colgroup><col class="k"><col class="p"><col><col></colgroup>'
            '<thead><tr><th>Kind</th><th>Path</th><th>Target</th><th>Source</th></tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _detail_html(row: dict, source_label: str, target_label: str) -> str:
    """The expanded view of one row: a side-by-side diff when texts are present, else its changes."""
    parts = ['<div class="detail-inner">']
    meta = []
    if row.get("changedBy"):
        meta.append(f"Last changed by <b>{_e(row['changedBy'])}</b>")
    if row.get("changedOn"):
        meta.append(f"{'on' if meta else 'Last changed on'} <b>{_e(row['changedOn'])}</b>")
    if row.get("unknownType"):
        meta.append("Type unknown to sfhotfix: compared as plain text")
    if meta:
        parts.append(f'<div class="dmeta">{" ".join(meta)}</div>')
    changes = _changes_html(row)
    n = change_count(row)
    if has_texts(row):
        parts.append(_side_by_side_html(row, source_label, target_label))
        if changes:
            parts.append(f'<details class="chg"><summary>{n} structured change{"s" if n != 1 else ""}</summary>'
                         f"{changes}</details>")
    elif changes:
        parts.append(changes)
    else:
        message = {"new": "New in the source; the target has no such component.",
                   "deleted": "Only in the target; the source has no such component."}.get(
                       str(row.get("status")), "No differences between source and target.")
        parts.append(f'<div class="nodiff">{message}</div>')
    parts.append("</div>")
    return "".join(parts)


def _needs_detail(row: dict) -> bool:
    if change_count(row):
        return True
    if has_texts(row):
        return row.get("status") != "identical" or row.get("sourceText") != row.get("targetText")
    return bool(row.get("changedBy") or row.get("changedOn") or row.get("unknownType"))


# --------------------------------------------------------------------------- page


def _row_html(index: int, entry: Entry, who: bool, when: bool) -> str:
    row = entry.row
    status = str(row.get("status") or "")
    status_cls = status if status in STATUSES else "other"
    selector = str(row.get("selector") or "")
    full_name = str(row.get("fullName") or "")
    search = f"{full_name}\n{selector or entry.label}".lower()
    depth = min(entry.depth, 4)
    indent = '<span class="tree">└</span>' if depth else ""
    unknown = ' <span class="unk" title="Type unknown to sfhotfix">unknown type</span>' if row.get("unknownType") else ""
    n = change_count(row)
    cells = [
        '<td class="chev"><span class="tw" aria-hidden="true"></span></td>',
        f'<td><span class="badge s-{status_cls}">{_e(status)}</span></td>',
        f'<td class="type">{_breakable(row.get("type"))}</td>',
        f'<td class="name d{depth}" title="{_e(selector or entry.label)}">{indent}{_breakable(entry.label)}{unknown}</td>',
        f'<td class="num">{n if n else "<span class=muted>–</span>"}</td>',
    ]
    if who:
        cells.append(f'<td class="who">{_e(row.get("changedBy"))}</td>')
    if when:
        cells.append(f'<td class="when" title="{_e(row.get("changedOn"))}">{_e(short_date(row.get("changedOn")))}</td>')
    return (f'<tr class="row s-{status_cls}" data-i="{index}" data-type="{_e(row.get("type"))}" '
            f'data-status="{_e(status)}" data-name="{_e(search)}" data-selector="{_e(selector)}" '
            f'tabindex="0" aria-expanded="false">{"".join(cells)}</tr>')


def render_html(report: dict) -> str:
    """The whole comparison as one self-contained HTML page (a string)."""
    components = [r for r in (report.get("components") or []) if isinstance(r, dict)]
    source_label = str(report.get("source") or "source")
    target_label = str(report.get("target") or "target")
    counts = summary_counts(report)
    row_counts = status_counts(components)
    groups = grouped_rows(components)
    who = any(r.get("changedBy") for r in components)
    when = any(r.get("changedOn") for r in components)
    ncols = 5 + int(who) + int(when)

    # A type's count (and its filter) takes in its subcomponent types: "Profile" covers "Profile.fieldPermissions".
    own_types: dict[str, int] = {}
    for r in components:
        own_types[str(r.get("type") or "")] = own_types.get(str(r.get("type") or ""), 0) + 1
    type_counts = {t: sum(n for u, n in own_types.items() if u == t or u.startswith(t + ".")) for t in own_types}

    rows_html: list[str] = []
    data_html: list[str] = []
    index = 0
    for _type, entries in groups:
        for entry in entries:
            rows_html.append(_row_html(index, entry, who, when))
            if _needs_detail(entry.row):
                data_html.append(f'<script type="text/html" id="d-{index}">'
                                 f"{_detail_html(entry.row, source_label, target_label)}</script>")
            index += 1

    # Identical rows are noise in a deployment review: hidden by default unless nothing else exists.
    only_identical = not any(row_counts.get(s, 0) for s in row_counts if s != "identical")
    statuses = list(STATUSES) + sorted(s for s in row_counts if s not in STATUSES)
    status_boxes = "".join(
        f'<label class="chk"><input type="checkbox" value="{_e(s)}"'
        f'{" checked" if (s != "identical" or only_identical) else ""}>'
        f'<span class="badge s-{_e(s) if s in STATUSES else "other"}">{_e(s)}</span>'
        f'<span class="cnt">{row_counts.get(s, 0):,}</span></label>'
        for s in statuses)
    type_options = "".join(f'<option value="{_e(t)}">{_e(t or "(no type)")} ({n:,})</option>'
                           for t, n in sorted(type_counts.items(), key=lambda item: item[0].casefold()))
    cards = "".join(
        f'<button type="button" class="card s-{s}" data-only="{s}" title="Show only {s} components">'
        f'<span class="n">{counts.get(s, 0):,}</span><span class="l">{s}</span></button>'
        for s in STATUSES)
    head_extra = ("<th>Changed by</th>" if who else "") + ("<th>Changed on</th>" if when else "")
    title = f"sfhotfix: {source_label} → {target_label}"
    total = len(components)

    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="sfhotfix">
<title>{_e(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header class="top">
<div class="brand">sfhotfix · Compare</div>
<h1><span class="lbl">Source</span> <span class="side">{_e(source_label)}</span><span class="arrow">→</span><span class="lbl">Target</span> <span class="side">{_e(target_label)}</span></h1>
<p class="sub">What deploying the source would change in the target · {total:,} component{"s" if total != 1 else ""} compared</p>
<div class="cards" id="summary">{cards}</div>
</header>
<section class="filters" aria-label="Filters">
<label class="fld">Type <select id="f-type"><option value="">All types ({total:,})</option>{type_options}</select></label>
<fieldset class="statuses" id="f-status"><legend>Status</legend>{status_boxes}</fieldset>
<label class="fld grow">Name <input id="f-name" type="search" placeholder="Filter by name or selector…" autocomplete="off" spellcheck="false"></label>
<button type="button" id="f-reset" class="link">Reset</button>
</section>
<main>
<div class="tablebar"><span id="f-count" class="count" aria-live="polite"></span><span class="hint">Click a row to show its differences</span></div>
<table class="rows">
<colgroup><col class="c-chev"><col class="c-status"><col class="c-type"><col><col class="c-num">{"<col class=c-who>" if who else ""}{"<col class=c-when>" if when else ""}</colgroup>
<thead><tr><th></th><th>Status</th><th>Type</th><th>Component</th><th class="num">Changes</th>{head_extra}</tr></thead>
<tbody id="rows">
{chr(10).join(rows_html)}
</tbody>
<tbody><tr id="empty" hidden><td colspan="{ncols}" class="empty">No components match the filters.</td></tr></tbody>
</table>
<p class="foot">Diffs read <b>target → source</b>: the left column is what the target has now, the right what the source would deploy. Click a row (or press Enter) to show its differences.</p>
</main>
<div id="diff-data" hidden>
{chr(10).join(data_html)}
</div>
<script>{_JS}</script>
</body>
</html>
"""


_CSS = r"""
:root{--bg:#f6f8fa;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#eaeef2;--accent:#0969da;
--new:#1a7f37;--new-bg:#dafbe1;--chg:#9a6700;--chg-bg:#fff1c2;--del:#cf222e;--del-bg:#ffebe9;--idn:#59636e;--idn-bg:#eaeef2;
--mono:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace}
*{box-sizing:border-box}
[hidden]{display:none!important}
html{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans",sans-serif;color:var(--fg);background:var(--bg)}
body{margin:0}
header.top{background:#fff;border-bottom:1px solid var(--line);padding:18px 28px 18px}
.brand{font-size:11px;text-transform:uppercase;letter-spacing:.1em;color:var(--muted);font-weight:600}
h1{font-size:20px;margin:6px 0 2px;font-weight:600;display:flex;align-items:baseline;flex-wrap:wrap;gap:6px;overflow-wrap:anywhere}
h1 .lbl{font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);border:1px solid var(--line);border-radius:4px;padding:1px 5px;position:relative;top:-2px}
h1 .arrow{color:var(--muted);font-weight:400;margin:0 10px}
.sub{margin:2px 0 14px;color:var(--muted)}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{appearance:none;font:inherit;text-align:left;cursor:pointer;background:#fff;border:1px solid var(--line);border-left:4px solid var(--c);border-radius:8px;padding:8px 18px 8px 14px;min-width:130px;transition:box-shadow .15s}
.card:hover{box-shadow:0 1px 6px rgba(31,35,40,.12)}
.card .n{display:block;font-size:24px;font-weight:600;line-height:1.2;font-variant-numeric:tabular-nums}
.card .l{font-size:11px;text-transform:uppercase;letter-spacing:.07em;color:var(--muted);font-weight:600}
.s-new{--c:var(--new);--cb:var(--new-bg)}.s-changed{--c:var(--chg);--cb:var(--chg-bg)}
.s-deleted{--c:var(--del);--cb:var(--del-bg)}.s-identical,.s-other{--c:var(--idn);--cb:var(--idn-bg)}
.card .n{color:var(--c)}
.filters{position:sticky;top:0;z-index:5;display:flex;gap:10px 18px;align-items:center;flex-wrap:wrap;padding:10px 28px;background:rgba(246,248,250,.97);border-bottom:1px solid var(--line)}
.fld{display:flex;align-items:center;gap:8px;color:var(--muted);font-weight:600;font-size:12px}
.fld.grow{flex:1 1 260px}
select,input[type=search]{font:inherit;font-weight:400;color:var(--fg);font-size:13px;border:1px solid var(--line);border-radius:6px;padding:5px 8px;background:#fff;min-width:0}
select{max-width:250px}
input[type=search]{flex:1;max-width:300px}
select:focus,input:focus,button:focus-visible,tr.row:focus-visible{outline:2px solid var(--accent);outline-offset:-1px}
fieldset.statuses{border:0;margin:0;padding:0;display:flex;gap:6px;align-items:center}
fieldset.statuses legend{float:left;color:var(--muted);font-weight:600;font-size:12px;margin-right:4px;padding:0}
.chk{display:inline-flex;align-items:center;gap:5px;border:1px solid var(--line);background:#fff;border-radius:999px;padding:2px 9px 2px 5px;cursor:pointer;user-select:none}
.chk input{margin:0;accent-color:var(--accent)}
.chk .cnt{font-size:12px;color:var(--muted);font-variant-numeric:tabular-nums}
.chk:has(input:not(:checked)){opacity:.55}
button.link{appearance:none;border:0;background:none;color:var(--accent);font:inherit;font-size:13px;cursor:pointer;padding:2px 4px}
button.link:hover{text-decoration:underline}
.tablebar{display:flex;justify-content:space-between;align-items:baseline;margin:0 2px 8px;font-size:12px;color:var(--muted)}
.count{font-variant-numeric:tabular-nums;font-weight:600}
main{padding:14px 28px 40px}
table.rows{width:100%;border-collapse:separate;border-spacing:0;background:#fff;border:1px solid var(--line);border-radius:8px;table-layout:fixed}
col.c-chev{width:34px}col.c-status{width:108px}col.c-type{width:22%}col.c-num{width:88px}col.c-who{width:150px}col.c-when{width:140px}
table.rows>thead>tr>th{text-align:left;font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);font-weight:600;padding:9px 10px;background:#f6f8fa;border-bottom:1px solid var(--line)}
table.rows>thead>tr>th:first-child{border-top-left-radius:8px}table.rows>thead>tr>th:last-child{border-top-right-radius:8px}
table.rows>tbody>tr>td{padding:7px 10px;border-bottom:1px solid var(--soft);vertical-align:middle;overflow-wrap:anywhere}
td.when{white-space:nowrap}
th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.row{cursor:pointer}
tr.row:hover>td{background:#f6f8fa}
tr.row.open>td{background:#eef4ff;border-bottom-color:#d0e0fb}
tr.row.s-identical>td.name,tr.row.s-identical>td.type{color:var(--muted)}
td.type{color:var(--muted);font-size:13px}
td.name{font-family:var(--mono);font-size:12.5px}
table.rows>tbody>tr>td.name{overflow-wrap:break-word}
td.name.d1{padding-left:30px}td.name.d2{padding-left:50px}td.name.d3{padding-left:70px}td.name.d4{padding-left:90px}
.tree{color:#9aa5b1;margin-right:6px}
td.who,td.when{color:var(--muted);font-size:13px}
.muted{color:#9aa5b1}
.unk{font-family:system-ui,sans-serif;font-size:11px;color:var(--muted);border:1px dashed var(--line);border-radius:4px;padding:0 4px;margin-left:6px}
td.chev{text-align:center;padding:0}
.tw{display:inline-block;width:7px;height:7px;border-right:2px solid #8c959f;border-bottom:2px solid #8c959f;transform:rotate(-45deg);transition:transform .12s}
tr.row.open .tw{transform:rotate(45deg);position:relative;top:-2px}
.badge{display:inline-block;min-width:68px;text-align:center;font-size:11px;font-weight:600;letter-spacing:.04em;text-transform:uppercase;padding:2px 8px;border-radius:999px;color:var(--c);background:var(--cb);border:1px solid color-mix(in srgb,var(--c) 25%,transparent)}
.chk .badge{min-width:0}
td.empty{text-align:center;color:var(--muted);padding:28px}
table.rows>tbody>tr.detail>td{padding:0 0 0 34px;background:#fbfcfd;border-bottom:1px solid var(--line)}
.detail-inner{padding:12px 16px 16px 0}
.dmeta{color:var(--muted);font-size:12px;margin-bottom:8px}
.nodiff{color:var(--muted);padding:6px 0;font-size:13px}
.sbs-wrap{border:1px solid var(--line);border-radius:6px;overflow:hidden;background:#fff}
table.sbs{width:100%;border-collapse:collapse;table-layout:fixed;font-family:var(--mono);font-size:12px;line-height:1.5}
col.lnc{width:48px}
table.sbs th{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;text-align:left;font-weight:600;font-size:12px;padding:6px 10px;background:#f6f8fa;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
table.sbs th+th{border-left:1px solid var(--line)}
table.sbs th em{font-weight:400;color:var(--muted)}
.side-tag{font-size:10px;text-transform:uppercase;letter-spacing:.06em;padding:1px 6px;border-radius:4px;margin-right:4px}
.side-tag.t{background:var(--del-bg);color:var(--del)}.side-tag.s{background:var(--new-bg);color:var(--new)}
table.sbs td{padding:0 8px;vertical-align:top;white-space:pre-wrap;word-break:break-all;tab-size:4;height:18px}
table.sbs td.ln{color:#8c959f;text-align:right;user-select:none;padding:0 8px 0 4px;background:#f6f8fa;border-right:1px solid var(--soft)}
table.sbs td.ln+td.c+td.ln,table.sbs tr td:nth-child(3){border-left:1px solid var(--line)}
table.sbs td.del{background:#ffebe9}table.sbs td.ins{background:#e6ffec}
table.sbs tr.replace td.ln,table.sbs tr.delete td.ln:first-child{background:#ffd7d5}
table.sbs tr.replace td.ln:nth-child(3),table.sbs tr.insert td.ln:nth-child(3){background:#ccffd8}
table.sbs td.del .x{background:#ff8182;border-radius:2px;background:rgba(255,129,130,.55)}
table.sbs td.ins .x{background:rgba(74,194,107,.45);border-radius:2px}
table.sbs td.none{background:repeating-linear-gradient(135deg,#f6f8fa 0 6px,#eef1f4 6px 12px)}
tbody.foldm td{padding:0;background:#f1f6fd;border-top:1px solid #dbe7f7;border-bottom:1px solid #dbe7f7}
.fold{display:block;width:100%;text-align:left;font:12px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#3b5f8c;background:none;border:0;padding:4px 60px;cursor:pointer}
button.fold:hover{background:#ddeafb}
.fold.static{cursor:default}
tr.note td{font-family:system-ui,sans-serif;color:var(--muted);padding:8px 12px;white-space:normal}
details.chg{margin-top:10px}
details.chg summary{cursor:pointer;color:var(--accent);font-size:13px}
table.changes{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);border-radius:6px;margin-top:6px;font-size:12.5px;table-layout:fixed}
table.changes th{text-align:left;font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);padding:6px 10px;background:#f6f8fa;border-bottom:1px solid var(--line)}
table.changes col.k{width:112px}table.changes col.p{width:38%}
table.changes td{padding:5px 10px;border-bottom:1px solid var(--soft);vertical-align:top;overflow-wrap:anywhere}
table.changes td.path,table.changes td.val{font-family:var(--mono);font-size:12px;white-space:pre-wrap}
table.changes td.val.t{color:#82071e}table.changes td.val.s{color:#116329}
.kind{display:inline-block;font-size:10.5px;font-weight:600;text-transform:uppercase;letter-spacing:.04em;padding:1px 6px;border-radius:4px}
.k-added{background:var(--new-bg);color:var(--new)}.k-removed{background:var(--del-bg);color:var(--del)}
.k-modified{background:var(--chg-bg);color:var(--chg)}.k-reordered{background:#ddf4ff;color:#0550ae}.k-other{background:var(--idn-bg);color:var(--idn)}
.foot{color:var(--muted);font-size:12px;margin:12px 2px 0}
code{font-family:var(--mono)}
@media (max-width:1100px){col.c-type{width:17%}col.c-who,col.c-when{width:112px}td.when{white-space:normal}main,header.top,.filters{padding-left:16px;padding-right:16px}}
@media print{.filters{position:static}}
"""

_JS = r"""
(function () {
  'use strict';
  var body = document.body;
  var tbody = document.getElementById('rows');
  var typeSel = document.getElementById('f-type');
  var nameBox = document.getElementById('f-name');
  var boxes = Array.prototype.slice.call(document.querySelectorAll('#f-status input[type=checkbox]'));
  var countEl = document.getElementById('f-count');
  var emptyRow = document.getElementById('empty');
  var ncols = document.querySelector('table.rows thead tr').cells.length;
  var items = [];
  var byTr = new Map();
  Array.prototype.forEach.call(tbody.rows, function (tr) {
    if (!tr.classList.contains('row')) return;
    var it = {tr: tr, type: tr.getAttribute('data-type'), status: tr.getAttribute('data-status'),
              name: tr.getAttribute('data-name'), detail: null};
    items.push(it);
    byTr.set(tr, it);
  });
  var defaults = boxes.map(function (cb) { return cb.checked; });
  var fmt = new Intl.NumberFormat('en-US');
  var MESSAGES = {'new': 'New in the source; the target has no such component.',
                  'deleted': 'Only in the target; the source has no such component.',
                  'identical': 'No differences between source and target.'};

  function apply() {
    var type = typeSel.value;
    var q = nameBox.value.trim().toLowerCase();
    var on = {};
    boxes.forEach(function (cb) { on[cb.value] = cb.checked; });
    var shown = 0;
    for (var k = 0; k < items.length; k++) {
      var it = items[k];
      var show = (!type || it.type === type || it.type.lastIndexOf(type + '.', 0) === 0) && on[it.status] === true && (!q || it.name.indexOf(q) !== -1);
      if (it.tr.hidden === show) it.tr.hidden = !show;
      if (it.detail) it.detail.hidden = !show || it.tr.getAttribute('aria-expanded') !== 'true';
      if (show) shown++;
    }
    countEl.textContent = 'Showing ' + fmt.format(shown) + ' of ' + fmt.format(items.length) + ' components';
    emptyRow.hidden = shown > 0;
  }

  function setStatuses(list) {
    var want = {};
    list.forEach(function (s) { want[s.trim()] = true; });
    boxes.forEach(function (cb) { cb.checked = want[cb.value] === true; });
  }

  function toggle(it, open) {
    if (!it) return;
    var isOpen = it.tr.getAttribute('aria-expanded') === 'true';
    if (open === undefined) open = !isOpen;
    if (open === isOpen) return;
    if (open && !it.detail) {
      var tr = document.createElement('tr');
      tr.className = 'detail';
      var td = document.createElement('td');
      td.colSpan = ncols;
      var src = document.getElementById('d-' + it.tr.getAttribute('data-i'));
      if (src) {
        td.innerHTML = src.textContent;  /* diff HTML rendered and escaped at report time */
      } else {
        var div = document.createElement('div');
        div.className = 'detail-inner nodiff';
        div.textContent = MESSAGES[it.status] || MESSAGES.identical;
        td.appendChild(div);
      }
      tr.appendChild(td);
      it.tr.parentNode.insertBefore(tr, it.tr.nextSibling);
      it.detail = tr;
    }
    if (it.detail) it.detail.hidden = !open;
    it.tr.setAttribute('aria-expanded', open ? 'true' : 'false');
    it.tr.classList.toggle('open', open);
  }

  tbody.addEventListener('click', function (e) {
    var fold = e.target.closest('button.fold');
    if (fold) {
      var marker = fold.closest('tbody');
      var hidden = marker.nextElementSibling;
      if (hidden) hidden.hidden = false;
      marker.parentNode.removeChild(marker);
      return;
    }
    var tr = e.target.closest('tr.row');
    if (!tr) return;
    var sel = window.getSelection && window.getSelection();
    if (sel && !sel.isCollapsed && tr.contains(sel.anchorNode)) return;  /* let people copy names */
    toggle(byTr.get(tr));
  });
  tbody.addEventListener('keydown', function (e) {
    if ((e.key === 'Enter' || e.key === ' ') && e.target.classList && e.target.classList.contains('row')) {
      e.preventDefault();
      toggle(byTr.get(e.target));
    }
  });
  typeSel.addEventListener('change', apply);
  boxes.forEach(function (cb) { cb.addEventListener('change', apply); });
  var timer = 0;
  nameBox.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(apply, 90); });
  Array.prototype.forEach.call(document.querySelectorAll('.card[data-only]'), function (b) {
    b.addEventListener('click', function () { setStatuses([b.getAttribute('data-only')]); apply(); });
  });
  document.getElementById('f-reset').addEventListener('click', function () {
    typeSel.value = '';
    nameBox.value = '';
    boxes.forEach(function (cb, k) { cb.checked = defaults[k]; });
    apply();
  });

  /* Test hook: ?filter-status=new,changed|all&filter-type=T&filter-name=x&expand=first|all|<selector> */
  var params = new URLSearchParams(window.location.search);
  if (params.has('filter-status')) {
    var st = params.get('filter-status');
    if (st === 'all') boxes.forEach(function (cb) { cb.checked = true; });
    else setStatuses(st.split(','));
  }
  if (params.has('filter-type')) {
    typeSel.value = params.get('filter-type');
    if (typeSel.selectedIndex < 0) typeSel.value = '';
  }
  if (params.has('filter-name')) nameBox.value = params.get('filter-name');
  apply();
  var expand = params.get('expand');
  if (expand) {
    var visible = items.filter(function (it) { return !it.tr.hidden; });
    if (expand === 'first') toggle(visible[0], true);
    else if (expand === 'all') visible.forEach(function (it) { toggle(it, true); });
    else toggle(items.filter(function (it) { return it.tr.getAttribute('data-selector') === expand; })[0], true);
  }
  body.setAttribute('data-ready', '1');
})();
"""
