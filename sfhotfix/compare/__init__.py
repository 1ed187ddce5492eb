"""Compare two sources and report what differs, as rows with selectors later commands accept."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from ..errors import UsageError
from ..sources import open_source
from .engine import STATUSES, Row, compare_units, summarize
from .units import collect_units


@dataclass(frozen=True)
class Filters:
    """The filters every compare-based command takes."""

    types: frozenset[str] = frozenset()
    exclude_types: frozenset[str] = frozenset()
    name: str | None = None
    statuses: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, types: str | None, exclude_types: str | None, name: str | None, status: str | None) -> "Filters":
        statuses = _split(status)
        unknown = statuses - set(STATUSES)
        if unknown:
            raise UsageError(f"--status: unknown status {', '.join(sorted(unknown))} (use {', '.join(STATUSES)})")
        return cls(_split(types), _split(exclude_types), name, statuses)

    def accepts(self, row: Row) -> bool:
        owner_types = {row.type, row.parent[0]} if row.parent else {row.type}
        if self.types and not owner_types & self.types:
            return False
        if self.exclude_types and owner_types & self.exclude_types:
            return False
        if self.name and not (fnmatchcase(row.full_name, self.name) or fnmatchcase(row.selector, self.name)):
            return False
        return not self.statuses or row.status in self.statuses


def _split(value: str | None) -> frozenset[str]:
    return frozenset(v.strip() for v in (value or "").split(",") if v.strip())


@dataclass
class Comparison:
    source_label: str
    target_label: str
    rows: list[Row]

    def as_json(self, include_identical: bool = False, texts: bool = False) -> dict:
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
            filters: Filters = Filters(), include_identical: bool = False, texts: bool = False) -> Comparison:
    """Compare SOURCE with TARGET; rows relative to the target (``new`` = only in the source)."""
    source = open_source(source_spec, project_dir, repo=repo)
    target = open_source(target_spec, project_dir, repo=repo)
    rows = compare_units(collect_units(source), collect_units(target), include_identical, texts)
    rows = [r for r in rows if filters.accepts(r)]
    return Comparison(source.tree.label, target.tree.label, rows)
