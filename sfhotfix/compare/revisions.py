"""``compare`` of a git revision, or a folder, against a revision, building only what a changed path touches.

compare() builds a unit for every component of both sides (compare/units.py): between two revisions of a
45,000-file project that is seconds of Python, although a hotfix changes a few hundred files and every other
component is identical by construction, having the same files with the same blobs on both sides. Here git
names the changed paths (``git diff --raw``, run while the source revision is listed; for a folder, such as
a retrieve from the hotfix sandbox, the files whose git blob ids differ), the two sides are narrowed to the
units those paths touch (compare/narrowing.py) and compared through the same resolver, units and engine as
compare(). The report is the one compare() gives, row for row and count for count:

* a unit no changed path touches has the same files on both sides, so it is identical: it is counted, and
  filtered, by its key alone;
* the touched units' rows go where compare_units puts them (narrowing.Narrowed.keys);
* the children inside a file no change touches (20,000 custom labels in one file) are identical on both
  sides but counted: a forked child parses that file (compare/forked.py), on the other core, while this
  process compares the touched units.

Where the sides are not read the same way (other folders of the repository, a changed sfdx-project.json or
.forceignore, files laid out or detected otherwise: changed.shared_format), or identical rows are wanted,
:func:`revision_report` answers None and compare() runs.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..gittree import GitTree, parse_git_spec
from . import STATUSES, Filters
from .narrowing import UNKNOWN, Key

if TYPE_CHECKING:
    from ..registry import MetadataType
    from ..sources import Setup
    from .changed import Change, FromTree, ListedFolder
    from .engine import Row
    from .narrowing import Placed


def revision_report(source_spec: str, target_spec: str, repo: Path | None = None, project_dir: Path | None = None,
                    filters: Filters = Filters(), texts: bool = False) -> dict | None:
    """The report ``compare --json`` prints for ``git:TO[:PATH]``, or a folder, against ``git:FROM[:PATH]``
    (with ``texts``, the one the HTML report is drawn from), or None where this way does not apply (then
    compare() answers, with its own errors for bad specs)."""
    if not target_spec.startswith("git:"):
        return None
    from_ref, from_subpath = parse_git_spec(target_spec)
    try:
        if source_spec.startswith("git:"):
            to_ref, to_subpath = parse_git_spec(source_spec)
            if _folder(to_subpath) != _folder(from_subpath):
                return None
            pair = _Revisions.open(Path(repo or "."), to_ref, from_ref, to_subpath)
        elif Path(source_spec).is_dir():
            pair = _Revisions.folder(Path(source_spec), Path(repo or "."), from_ref, from_subpath, project_dir)
        else:
            return None
    except UsageError:
        return None  # compare() names what is wrong, as it always has
    # Hundreds of thousands of keys and paths, no reference cycles: the cyclic collector would rescan them all
    # again and again (as xmlio.parse notes for large profiles).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return pair.report(project_dir, filters, texts)
    finally:
        if collecting:
            gc.enable()


def revision_components(repo: Path, to_ref: str, from_ref: str) -> list[dict]:
    """The rows of ``compare --json`` for what ``to_ref`` changes relative to ``from_ref`` (a pull request's
    body), built through what git says differs where the two are read the same way."""
    report = revision_report(f"git:{to_ref}", f"git:{from_ref}", repo)
    if report is None:
        from . import compare

        report = compare(f"git:{to_ref}", f"git:{from_ref}", repo=repo).as_json()
    return report["components"]


def _folder(subpath: str | None) -> str:
    return "/".join(part for part in (subpath or "").split("/") if part not in ("", "."))


@dataclass
class _Revisions:
    """TO (the source) listed, FROM (the target), and what differs between them.

    Between two revisions FROM is TO with git's changes undone; against a folder (TO) FROM is listed, and
    the changes are the files whose blob ids differ.
    """

    to_tree: GitTree | ListedFolder
    from_tree: FromTree | GitTree
    changes: dict[str, Change]
    setup: Setup | None = None  # TO's, where read already

    @classmethod
    def open(cls, repo: Path, to_ref: str, from_ref: str, subpath: str | None) -> _Revisions:
        from .changed import open_revisions

        return cls(*open_revisions(repo, to_ref, from_ref, subpath))

    @classmethod
    def folder(cls, folder: Path, repo: Path, from_ref: str, subpath: str | None,
               project_dir: Path | None) -> _Revisions:
        from ..sources import read_setup
        from .changed import ListedFolder, folder_changes

        to_tree, from_tree = ListedFolder(folder), GitTree(repo, from_ref, subpath)
        setup = read_setup(to_tree, project_dir)
        return cls(to_tree, from_tree, folder_changes(to_tree, from_tree, setup), setup)

    def report(self, project_dir: Path | None, filters: Filters, texts: bool) -> dict | None:
        from ..sources import read_setup
        from .changed import shared_format

        setup = self.setup or read_setup(self.to_tree, project_dir)
        fmt = shared_format(self.to_tree, self.from_tree, setup, self.changes, project_dir)
        if fmt is None:
            return None  # each side would be read its own way
        changed = {path: change for path, change in self.changes.items() if setup.reads(path)}
        from .forked import Forked
        from .narrowing import narrow, placed_and_touched

        placed, touched, known = placed_and_touched(self.to_tree, self.from_tree, changed, setup, fmt)
        # the untouched files' children counted in a child process, the touched units' rows here meanwhile: the
        # rows walk the placement, which a child would copy page by page as it touched each object's count
        parents = {key: where for key, where in placed.in_file.items()
                   if key not in touched.keys and key not in placed.with_children}
        # the child starts its own git reader; a folder is read from the disk as it is
        in_child = [self.to_tree.forget_reader] if isinstance(self.to_tree, GitTree) else []
        inside = Forked(lambda: _children_inside(self.to_tree, setup, parents), in_child=in_child)
        try:
            narrowed = narrow(self.to_tree, self.from_tree, setup, fmt, placed, touched, read_all=False, known=known)
            rows = _accepted(narrowed.rows(texts=texts), filters, texts)
        except BaseException:
            inside.abandon()
            raise
        return _report(self.to_tree.label, self.from_tree.label, rows, placed, inside.result(), filters)


def _accepted(groups: list[tuple[Key, list[Row]]], filters: Filters,
              texts: bool) -> tuple[set[Key], list[tuple[str, dict]]]:
    """The units compared, and the status and JSON of each row the filters let through."""
    return {key for key, _ in groups}, [(row.status, row.as_json(texts)) for _, rows in groups for row in rows
                                        if filters.accepts(row)]


Inside = list[tuple[Key, list[Key]]]  # a component's key, and the keys of the children inside its file


def _children_inside(to_tree: GitTree | ListedFolder, setup: Setup,
                     parents: dict[Key, tuple[list[str], MetadataType]]) -> Inside:
    """The children inside the files of untouched components (custom labels…), read and parsed: small enough
    to come back from a child process."""
    from ..resolve import in_file_child_keys, in_two_files

    data = to_tree.read_many(path for paths, _ in parents.values() for path in paths) if parents else {}
    inside: Inside = []
    for key, (paths, parent_type) in parents.items():
        keys: list[Key] = []
        found_in: dict[str, str] = {}  # a label in two package directories' files is refused, as compare() does
        for path in paths:
            for child_type, full_name in in_file_child_keys(parent_type, key[1], data[path], f"{to_tree.label}/{path}",
                                                            setup.registry):
                if found_in.setdefault(full_name, path) != path:
                    raise in_two_files(child_type, full_name, to_tree.label, found_in[full_name], path)
                keys.append((child_type.name, full_name))
        inside.append((key, keys))
    return inside


def _report(source_label: str, target_label: str, touched_rows: tuple[set[Key], list[tuple[str, dict]]],
            placed: Placed, inside: Inside, filters: Filters) -> dict:
    """compare --json's report: the touched rows, and every untouched unit of TO counted identical."""
    compared, rows = touched_rows
    counts = {status: 0 for status in STATUSES}
    for status, _ in rows:
        counts[status] += 1
    plain = filters == Filters() or filters == Filters(statuses=filters.statuses)
    if plain and (not filters.statuses or "identical" in filters.statuses):
        # TO's units (components and decomposed children, unclaimed files, children inside files) less those
        # compared, counted without gathering the 60,000 keys into one set
        first = placed.first
        unknown = {(UNKNOWN, path) for path in placed.unknown}
        children = {key for _, keys in inside for key in keys if key not in first and key not in unknown}
        compared_here = sum(1 for key in compared if key in first or key in unknown or key in children)
        counts["identical"] += len(first) + len(unknown) + len(children) - compared_here
    elif not plain:
        counts["identical"] += sum(1 for key, parent in _untouched(placed, inside, compared)
                                   if filters.admits(key[0], key[1], f"{key[0]}:{key[1]}", parent, "identical"))
    return {"summary": counts, "source": source_label, "target": target_label,
            "components": [row for status, row in rows if status != "identical"]}


def _untouched(placed: Placed, inside: Inside, compared: set[Key]):
    """Every unit of TO no change touches, once, with its parent's key (None for a component)."""
    seen = set(compared)
    for key in placed.first:
        if key not in seen:
            seen.add(key)
            yield key, placed.parents.get(key)
    for path in placed.unknown:
        key = (UNKNOWN, path)
        if key not in seen:
            seen.add(key)
            yield key, None
    for parent, keys in inside:
        for key in keys:
            if key not in seen:
                seen.add(key)
                yield key, parent
