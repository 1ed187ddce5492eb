"""Which rows of a comparison to act on: selectors, a selection file, or a saved comparison; and the
related changes a selection probably needs (dependency hints).
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

from ..compare import Comparison
from ..compare.engine import Row
from ..errors import UsageError
from ..textfile import read_text

TEST_CLASS_PATTERNS = ("{}Test", "{}_Test", "Test{}", "{}Tests")


def read_selectors(selects: tuple[str, ...], select_file: Path | None, from_comparison: Path | None) -> list[str]:
    """Selectors from flags, a file (one per line, ``#`` comments) and a ``compare --json`` report."""
    selectors = list(selects)
    if select_file is not None:
        if not select_file.is_file():
            raise UsageError(f"{select_file}: no such selection file")
        for line in read_text(select_file).splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                selectors.append(line)
    if from_comparison is not None:
        try:
            report = json.loads(read_text(from_comparison))
            chosen = [c["selector"] for c in report["components"] if c.get("status") != "identical"]
            wrong = next((s for s in chosen if not isinstance(s, str)), None)
            if wrong is not None:
                raise TypeError(f"the selector {json.dumps(wrong)} is not text")
            selectors.extend(chosen)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise UsageError(f"{from_comparison}: not a report of `sfhotfix compare --json` ({exc})") from None
    if not selectors:
        raise UsageError("nothing selected: use --select SELECTOR, --select-file FILE or --from-comparison FILE")
    return list(dict.fromkeys(selectors))


def select_rows(comparison: Comparison, selectors: list[str]) -> tuple[list[Row], list[str]]:
    """The rows the selectors name, with children of a selected new parent; and warnings."""
    by_selector = {r.selector: r for r in comparison.rows}
    rows: list[Row] = []
    warnings: list[str] = []
    for selector in selectors:
        row = by_selector.get(selector)
        if row is None:
            close = difflib.get_close_matches(selector, list(by_selector), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UsageError(f"{selector}: not in the comparison of the source with the base branch{hint}")
        if row.status == "identical":
            warnings.append(f"{selector}: identical on the base branch; nothing to commit for it")
            continue
        rows.append(row)
    chosen = {r.selector for r in rows}
    for row in list(rows):
        if row.status == "new" and row.parent is None:
            for child in comparison.rows:
                if child.parent == (row.type, row.full_name) and child.status == "new" and child.selector not in chosen:
                    rows.append(child)
                    chosen.add(child.selector)
    return rows, warnings


def related_rows(comparison: Comparison, selected: list[Row]) -> list[Row]:
    """Changes the selection probably needs: a new field's FLS and layouts, an Apex class's test class
    and class accesses, a new object's tab, permissions and layouts."""
    chosen = {r.selector for r in selected}
    related: dict[str, Row] = {}
    for row in selected:
        if row.status != "new":
            continue
        for other in comparison.rows:
            if other.selector in chosen or other.status == "identical" or other.selector in related:
                continue
            if _relates(row, other, comparison):
                related[other.selector] = other
    return list(related.values())


def _relates(row: Row, other: Row, comparison: Comparison) -> bool:
    if row.type == "CustomField":
        obj, field = row.full_name.split(".", 1)
        if other.type.endswith(".fieldPermissions") and other.full_name == row.full_name:
            return True
        if other.type == "Layout" and other.full_name.startswith(f"{obj}-"):
            return _mentions(comparison, other, field)
        if other.type in ("RecordType", "BusinessProcess") and other.full_name.startswith(f"{obj}."):
            return _mentions(comparison, other, field)
    if row.type == "ApexClass":
        tests = {p.format(row.full_name) for p in TEST_CLASS_PATTERNS}
        if other.type == "ApexClass" and other.full_name in tests:
            return True
        if other.type.endswith(".classAccesses") and other.full_name == row.full_name:
            return True
    if row.type == "CustomObject":
        if other.type == "CustomTab" and other.full_name == row.full_name:
            return True
        if other.type.endswith(".objectPermissions") and other.full_name == row.full_name:
            return True
        if other.type == "Layout" and other.full_name.startswith(f"{row.full_name}-"):
            return True
    return False


def _mentions(comparison: Comparison, row: Row, name: str) -> bool:
    unit = comparison.source_units.get((row.type, row.full_name))
    if unit is None or unit.xml is None:
        return False
    return any((el.text or "").strip() in (name, f"{row.full_name.split('-')[0].split('.')[0]}.{name}")
               for el in unit.xml.iter() if isinstance(el.tag, str))


def missing_references(comparison: Comparison, selected: list[Row]) -> list[str]:
    """Warnings for selected layouts and field permissions naming a field the base branch lacks."""
    chosen = {(r.type, r.full_name) for r in selected}
    base_fields = {name for (t, name) in comparison.target_units if t == "CustomField"}
    warnings = []
    for row in selected:
        fields: set[str] = set()
        if row.type == "Layout" and row.status != "deleted":
            unit = comparison.source_units.get((row.type, row.full_name))
            obj = row.full_name.split("-", 1)[0]
            if unit is not None and unit.xml is not None:
                fields = {f"{obj}.{el.text.strip()}" for el in unit.xml.iter()
                          if isinstance(el.tag, str) and el.tag.endswith("}field") and el.text and "__c" in el.text}
        elif row.type.endswith(".fieldPermissions") and row.status != "deleted":
            fields = {row.full_name}
        for field in sorted(fields):
            if field not in base_fields and ("CustomField", field) not in chosen and field.endswith("__c"):
                warnings.append(f"{row.selector} references {field}, which the base branch does not have "
                                f"and the selection does not include")
    return warnings


# what dependency hints look at, by the type of a selected component: whole directories kept in focus
HINT_DIRECTORIES = {
    "CustomField": ("profiles", "permissionsets", "layouts"),
    "CustomObject": ("profiles", "permissionsets", "layouts", "tabs"),
    "ApexClass": ("profiles", "permissionsets", "classes"),
}
