"""``compare`` between two revisions of one repository, building only what a changed path touches.

compare() builds a unit for every component of both sides (compare/units.py): between two revisions of a
45,000-file project that is seconds of Python, although a hotfix changes a few hundred files and every other
component is identical by construction, having the same files with the same blobs on both sides. Here git
names the changed paths (``git diff --raw``, run while the source revision is listed), every path of the
source revision is *placed* (resolve.PathResolver: a folder's decisions once, a look-up per file), which
gives every unit's key without building it, and only the units a changed path touches are built and
compared, on both sides, through the same resolver, units and engine as compare(). The report is the one
compare() gives, row for row and count for count:

* a unit no changed path touches has the same files on both sides, so it is identical: it is counted, and
  filtered, by its key alone;
* the units a changed path touches are resolved from their own files, with their component's own files and
  its first unchanged decomposed child (so that on each side the component exists exactly when the whole
  resolution finds it, and reads the children inside its file exactly when that does);
* their rows go where compare_units puts them: the source's units in the source's order (components by the
  first path that registers them, children after their parent, unclaimed files last), then the units only
  the target has, in the target's order;
* the children inside a file no change touches (20,000 custom labels in one file) are identical on both
  sides but counted: that file is parsed, in a thread while the changed units are compared.

Where the sides are not two revisions of one tree read the same way (other folders, a changed
sfdx-project.json or .forceignore, formats detected differently), or identical rows or texts are wanted,
:func:`revision_report` answers None and compare() runs.
"""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..gittree import GitTree, parse_git_spec
from ..project import PROJECT_FILE
from . import Filters

if TYPE_CHECKING:
    from ..registry import MetadataType
    from ..sources import Setup
    from .changed import Change, FromTree
    from .engine import Row
    from .units import Unit

UNKNOWN = "Unknown"  # as compare/units.py names the units of files no type claims
Key = tuple[str, str]


def revision_report(source_spec: str, target_spec: str, repo: Path | None = None, project_dir: Path | None = None,
                    filters: Filters = Filters()) -> dict | None:
    """The report ``compare --json`` prints for ``git:TO[:PATH]`` against ``git:FROM[:PATH]``, or None where
    this way does not apply (then compare() answers, with its own errors for bad specs)."""
    if not (source_spec.startswith("git:") and target_spec.startswith("git:")):
        return None
    to_ref, to_subpath = parse_git_spec(source_spec)
    from_ref, from_subpath = parse_git_spec(target_spec)
    if _folder(to_subpath) != _folder(from_subpath):
        return None
    try:
        pair = _Revisions.open(Path(repo or "."), to_ref, from_ref, to_subpath)
    except UsageError:
        return None  # compare() names what is wrong, as it always has
    if pair is None:
        return None
    return pair.report(project_dir, filters)


def _folder(subpath: str | None) -> str:
    return "/".join(part for part in (subpath or "").split("/") if part not in ("", "."))


@dataclass
class _Revisions:
    """TO (the source) listed, FROM (the target) as TO with git's changes undone."""

    to_tree: GitTree
    from_tree: FromTree
    changes: dict[str, Change]

    @classmethod
    def open(cls, repo: Path, to_ref: str, from_ref: str, subpath: str | None) -> _Revisions | None:
        """List TO in a thread while git compares the two commits: the two git processes run at once."""
        commits = _commits(repo, (to_ref, from_ref))
        if commits is None:
            return None
        to_commit, from_commit = commits
        listed: dict = {}

        def list_to() -> None:
            try:
                listed["tree"] = GitTree(repo, to_ref, subpath)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                listed["error"] = exc

        lister = threading.Thread(target=list_to)
        lister.start()
        from .changed import FromTree, diff_process, read_changes

        diff = diff_process(repo, from_commit, to_commit, _folder(subpath) or None)
        try:
            changes = read_changes(diff, _folder(subpath) or None, f"git diff failed in {repo}")
        finally:
            lister.join()
        if "error" in listed:
            raise listed["error"]
        to_tree: GitTree = listed["tree"]
        if to_tree.commit != to_commit:
            return None  # the reference moved in between: let one listing answer
        label = f"git:{from_ref}" + (f":{to_tree.subpath}" if to_tree.subpath else "")
        return cls(to_tree, FromTree(to_tree, from_ref, from_commit, changes, label), changes)

    def report(self, project_dir: Path | None, filters: Filters) -> dict | None:
        from ..sources import read_setup

        if PROJECT_FILE in self.changes or ".forceignore" in self.changes:
            return None  # each side would be read its own way
        setup = read_setup(self.to_tree, project_dir)
        to_files = [path for path in self.to_tree.files() if setup.reads(path)]
        changed = {path: change for path, change in self.changes.items() if setup.reads(path)}
        fmt = setup.format
        if fmt is None:
            from ..resolve import detect_format

            fmt = detect_format(to_files, setup.registry)
            from_files = [path for path in self.from_tree.files() if setup.reads(path)]
            if detect_format(from_files, setup.registry) != fmt:
                return None
        placed = _Placed.of(to_files, setup, fmt)
        touched = _Touched.of(placed, changed, self.from_tree)
        counting = _InFileCounter(self.to_tree, setup, placed, touched)
        counting.start()
        try:
            rows = _TouchedRows.compare(self, setup, fmt, placed, touched)
        finally:
            counting.join()
        return _report(self.to_tree.label, self.from_tree.label, rows, placed, touched, counting, filters)


def _commits(repo: Path, refs: tuple[str, ...]) -> tuple[str, ...] | None:
    """The commits the references name, through one ``git rev-parse``; None when git refuses any."""
    from ..gittree import _git_env

    if not repo.is_dir():
        return None
    result = subprocess.run(["git", "rev-parse", "--end-of-options", *(f"{ref}^{{commit}}" for ref in refs)],
                            cwd=repo, env=_git_env(), capture_output=True, check=False)
    lines = result.stdout.decode("ascii", "replace").split()
    if lines[:1] == ["--end-of-options"]:  # without --verify (one revision only), rev-parse echoes it
        lines = lines[1:]
    if result.returncode != 0 or len(lines) != len(refs):
        return None
    return tuple(lines)


@dataclass
class _Placed:
    """Every path of TO placed: each unit's key in the order compare() would build the units, without them.

    ``first`` is resolve's collector in miniature: every component and decomposed child by key, in the order
    resolve registers them, with the path that registered it first.
    """

    files: list[str]
    owners: list[Key | None]  # by file: the unit it belongs to (None: skipped)
    first: dict[Key, str]
    parents: dict[Key, Key]  # decomposed child → its component
    in_file: dict[Key, str]  # components whose type keeps children in its file → that file
    with_children: set[Key]  # components with a decomposed child
    unknown: list[str]
    resolver: object  # the PathResolver, whose folder decisions the changed paths reuse
    types: dict[str, MetadataType] = field(default_factory=dict)

    @classmethod
    def of(cls, files: list[str], setup: Setup, fmt: str) -> _Placed:
        from ..resolve import PathResolver

        resolver = PathResolver(setup.registry, fmt)
        place = resolver.place
        owners: list[Key | None] = []
        first: dict[Key, str] = {}
        parents: dict[Key, Key] = {}
        in_file: dict[Key, str] = {}
        unknown: list[str] = []
        types: dict[str, MetadataType] = {}
        for path in files:
            placed = place(path)
            if placed is None:
                unknown.append(path)
                owners.append((UNKNOWN, path))
                continue
            if not placed:
                owners.append(None)
                continue
            t, full_name, is_xml, _, parent = placed
            key = (t.name, full_name)
            if parent is not None:
                top = (parent[0].name, parent[1])
                if top not in first:
                    first[top] = path
                    types[top[0]] = parent[0]
                parents[key] = top
            elif t.children and is_xml and key not in in_file:
                in_file[key] = path
            if key not in first:
                first[key] = path
                types[key[0]] = t
            owners.append(key)
        with_children = set(parents.values())
        return cls(files, owners, first, parents, in_file, with_children, unknown, resolver, types)

    def top_of(self, key: Key) -> Key:
        return self.parents.get(key, key)


@dataclass
class _Touched:
    """The units a changed path touches, and what each side's registration of their components needs."""

    keys: set[Key]  # units whose files changed, and their components
    tops: set[Key]  # the components among them
    from_paths: dict[Key, str]  # component → the first changed path of FROM that registers it
    changed: dict[str, Change]

    @classmethod
    def of(cls, placed: _Placed, changed: dict[str, Change], from_tree: FromTree) -> _Touched:
        place = placed.resolver.place  # type: ignore[attr-defined]
        keys: set[Key] = set()
        tops: set[Key] = set()
        from_paths: dict[Key, str] = {}
        for path in sorted(changed):
            where = place(path)
            if where is None:
                key = top = (UNKNOWN, path)
            elif not where:
                continue
            else:
                t, full_name, _, _, parent = where
                key = (t.name, full_name)
                top = (parent[0].name, parent[1]) if parent is not None else key
                placed.types.setdefault(top[0], parent[0] if parent is not None else t)
            keys.update((key, top))
            tops.add(top)
            if from_tree.holds(path):
                from_paths.setdefault(top, path)
        return cls(keys, tops, from_paths, changed)


class _InFileCounter(threading.Thread):
    """Reads and parses the files of untouched components that keep children inside (custom labels…) in a
    thread: libxml2 parses without Python's lock, while the touched units are compared."""

    def __init__(self, to_tree: GitTree, setup: Setup, placed: _Placed, touched: _Touched):
        super().__init__(daemon=True)
        self.parents = {key: path for key, path in placed.in_file.items()
                        if key not in touched.keys and key not in placed.with_children}
        self._tree, self._setup, self._placed = to_tree, setup, placed
        self.children: list[tuple[Key, Key]] = []  # (child key, parent key)
        self.error: BaseException | None = None

    def run(self) -> None:
        from ..resolve import in_file_child_keys

        try:
            data = self._tree.read_many(self.parents.values()) if self.parents else {}
            for key, path in self.parents.items():
                parent_type = self._placed.types[key[0]]
                for child_type, full_name in in_file_child_keys(parent_type, key[1], data[path],
                                                                f"{self._tree.label}/{path}", self._setup.registry):
                    self.children.append(((child_type.name, full_name), key))
        except BaseException as exc:  # noqa: BLE001 - raised again by the caller
            self.error = exc


class _TouchedRows:
    """The touched units of both sides, resolved from their files alone, compared, and put in compare()'s order."""

    @staticmethod
    def compare(pair: _Revisions, setup: Setup, fmt: str, placed: _Placed, touched: _Touched) -> list[tuple[Key, list[Row]]]:
        from ..resolve import resolve
        from ..sources import Source
        from .changed import NarrowTree
        from .engine import compare_unit
        from .units import collect_units

        wanted, helpers, first_kept = _narrowing(placed, touched)
        from_only = [path for path, change in touched.changed.items()
                     if change.before is not None and not pair.to_tree.holds(path)]
        to_files = sorted(path for path in wanted if pair.to_tree.holds(path))
        from_files = sorted([path for path in wanted if pair.from_tree.holds(path)] + from_only)
        sides = []
        for tree, files in ((pair.to_tree, to_files), (pair.from_tree, from_files)):
            # read at once: the changed files (the others have equal blobs on both sides, and are not read)
            narrow = NarrowTree(tree, files, [path for path in files if path in touched.changed])
            resolved = resolve(narrow, setup.registry, fmt, setup.forceignore, with_children=True)
            units = collect_units(Source(narrow, resolved, setup.registry, setup.project))
            sides.append({key: unit for key, unit in units.items() if key not in helpers})
        source, target = sides
        keys = [*source, *(key for key in target if key not in source)]
        order = {key: index for index, key in enumerate(keys)}
        groups: list[tuple[tuple, Key, list[Row]]] = []
        for key in keys:
            s, t = source.get(key), target.get(key)
            rows = compare_unit(s, t)
            groups.append((_position(key, s, t, placed, touched, first_kept, order), key, rows))
        groups.sort(key=lambda group: group[0])
        return [(key, rows) for _, key, rows in groups]


def _narrowing(placed: _Placed, touched: _Touched) -> tuple[set[str], set[Key], dict[Key, str]]:
    """The files to resolve on either side: those of the touched units, and for each touched component the
    first of its decomposed children that did not change (a helper, whose own rows are left out).

    Also returns, for each touched component, the first unchanged path that registers it: FROM's order of
    the components holding units only FROM has.
    """
    wanted: set[str] = set()
    helpers: set[Key] = set()
    helped: set[Key] = set()
    first_kept: dict[Key, str] = {}
    keys, tops, changed = touched.keys, touched.tops, touched.changed
    parents = placed.parents
    for path, owner in zip(placed.files, placed.owners):
        if owner in keys:
            wanted.add(path)
            if path not in changed:
                first_kept.setdefault(parents.get(owner, owner), path)
        elif owner is not None:
            top = parents.get(owner)
            if top is not None and top in tops and top not in helped:  # unchanged, or its unit would be touched
                helped.add(top)
                first_kept.setdefault(top, path)
                wanted.add(path)
                helpers.add(owner)
    return wanted, helpers, first_kept


def _position(key: Key, s: Unit | None, t: Unit | None, placed: _Placed, touched: _Touched,
              first_kept: dict[Key, str], order: dict[Key, int]) -> tuple:
    """Where compare_units puts a unit's rows: the source's units by the first path that registers their
    component (unclaimed files after every component), then the target's own, the same way in the target."""
    unit = s or t
    assert unit is not None
    top = unit.parent or key
    if s is not None:
        side = 0
        first = placed.first.get(top)
    else:
        side = 1
        candidates = [p for p in (first_kept.get(top), touched.from_paths.get(top)) if p is not None]
        first = min(candidates) if candidates else None
    if top[0] == UNKNOWN and unit.type is None:
        return (side, 1, top[1], order[key])
    return (side, 0, first or "", order[key])


def _report(source_label: str, target_label: str, groups: list[tuple[Key, list[Row]]], placed: _Placed,
            touched: _Touched, counting: _InFileCounter, filters: Filters) -> dict:
    """compare --json's report: the touched rows, and every untouched unit of TO counted identical."""
    from .engine import summarize

    if counting.error is not None:
        raise counting.error
    rows = [row for _, group in groups for row in group if filters.accepts(row)]
    counts = summarize(rows)
    compared = {key for key, _ in groups}
    identical = counts["identical"]
    plain = filters == Filters() or filters == Filters(statuses=filters.statuses)
    if plain and (not filters.statuses or "identical" in filters.statuses):
        units = set(placed.first)
        units.update((UNKNOWN, path) for path in placed.unknown)
        units.update(child for child, _ in counting.children)
        identical += len(units - compared)
    elif not plain:
        identical += sum(1 for key, parent in _untouched(placed, counting, compared)
                         if filters.admits(key[0], key[1], f"{key[0]}:{key[1]}", parent, "identical"))
    counts["identical"] = identical
    return {"summary": counts, "source": source_label, "target": target_label,
            "components": [row.as_json() for row in rows if row.status != "identical"]}


def _untouched(placed: _Placed, counting: _InFileCounter, compared: set[Key]):
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
    for key, parent in counting.children:
        if key not in seen:
            seen.add(key)
            yield key, parent
