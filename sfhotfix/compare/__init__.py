"""Compare two sources and report what differs, as rows with selectors later commands accept.

The comparison's machinery (sources, units, the XML engine) is imported when a comparison runs: between two
git revisions ``compare --json`` takes a path that needs little of it (compare/revisions.py), and the
command's start-up is part of its time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..errors import UsageError

if TYPE_CHECKING:
    from ..sources import Source
    from .engine import Row

STATUSES = ("new", "changed", "deleted", "identical")


@dataclass(frozen=True)
class Filters:
    """The filters every compare-based command takes."""

    types: frozenset[str] = frozenset()
    exclude_types: frozenset[str] = frozenset()
    name: str | None = None
    statuses: frozenset[str] = frozenset()
    changed_by: str | None = None
    changed_since: str | None = None

    @classmethod
    def parse(cls, types: str | None, exclude_types: str | None, name: str | None, status: str | None,
              changed_by: str | None = None, changed_since: str | None = None) -> "Filters":
        statuses = _split(status)
        unknown = statuses - set(STATUSES)
        if unknown:
            raise UsageError(f"--status: unknown status {', '.join(sorted(unknown))} (use {', '.join(STATUSES)})")
        if changed_since is not None:
            try:
                date.fromisoformat(changed_since[:10])
            except ValueError:
                raise UsageError(f"--changed-since: '{changed_since}' is not a date (YYYY-MM-DD)") from None
        return cls(_split(types), _split(exclude_types), name, statuses, changed_by, changed_since)

    def accepts(self, row: Row) -> bool:
        return self.admits(row.type, row.full_name, row.selector, row.parent, row.status, row.extra)

    def admits(self, type_name: str, full_name: str, selector: str, parent: tuple[str, str] | None, status: str,
               extra: dict | None = None) -> bool:
        """Whether a row with these fields passes (``accepts`` without a Row: identical rows are counted unbuilt)."""
        owner_types = {type_name, parent[0]} if parent else {type_name}
        if self.types and not owner_types & self.types:
            return False
        if self.exclude_types and owner_types & self.exclude_types:
            return False
        if self.name and not (fnmatchcase(full_name, self.name) or fnmatchcase(selector, self.name)):
            return False
        extra = extra or {}
        if self.changed_by and (extra.get("changedBy") or "").casefold() != self.changed_by.casefold():
            return False
        if self.changed_since and (extra.get("changedOn") or "") < self.changed_since:
            return False
        return not self.statuses or status in self.statuses


def _split(value: str | None) -> frozenset[str]:
    return frozenset(v.strip() for v in (value or "").split(",") if v.strip())


@dataclass
class Comparison:
    source_label: str
    target_label: str
    rows: list[Row]
    # what the rows were computed from, for the commands that act on a comparison
    source: Source | None = None
    target: Source | None = None
    source_units: dict = field(default_factory=dict)
    target_units: dict = field(default_factory=dict)

    def as_json(self, include_identical: bool = False, texts: bool = False) -> dict:
        from .engine import summarize

        rows = [r for r in self.rows if include_identical or r.status != "identical"]
        return {
            "summary": summarize(self.rows),
            "source": self.source_label,
            "target": self.target_label,
            "components": [r.as_json(texts) for r in rows],
        }

    def find(self, selector: str) -> Row | None:
        return next((r for r in self.rows if r.selector == selector), None)


def compare(source_spec: str, target_spec: str, repo: Path | None = None, project_dir: Path | None = None,
            filters: Filters = Filters(), include_identical: bool = False, texts: bool = False,
            focus: Callable[[str], bool] | None = None) -> Comparison:
    """Compare SOURCE with TARGET; rows relative to the target (``new`` = only in the source).

    An ``org:`` side is opened after the other one, to retrieve only the types that side holds (or
    those ``--types`` names); its FileProperties add "changed by / changed on" to the rows.
    """
    from ..sources import open_source
    from .engine import compare_units
    from .units import collect_units

    specs = {"source": source_spec, "target": target_spec}
    order = sorted(specs, key=lambda side: specs[side].startswith("org:"))
    opened: dict = {}
    for side in order:
        types = sorted(filters.types) or _types_of(opened.values())
        opened[side] = open_source(specs[side], project_dir, repo=repo, org_types=types, focus=focus)
    source, target = opened["source"], opened["target"]
    source_units, target_units = collect_units(source), collect_units(target)
    rows = compare_units(source_units, target_units, include_identical, texts)
    properties = {**target.file_properties, **source.file_properties}
    for row in rows:
        _add_org_columns(row, properties)
    rows = [r for r in rows if filters.accepts(r)]
    return Comparison(source.tree.label, target.tree.label, rows, source, target, source_units, target_units)


def _types_of(sources) -> list[str]:
    return sorted({c.type.name for s in sources for c in s.resolved.components})


def _add_org_columns(row: Row, properties: dict) -> None:
    """Who changed a component last, and when; a child or subcomponent inherits its parent's."""
    props = properties.get((row.type, row.full_name)) or (properties.get(row.parent) if row.parent else None)
    if props is not None:
        row.extra["changedBy"] = props.last_modified_by_name
        row.extra["changedOn"] = props.last_modified_date
