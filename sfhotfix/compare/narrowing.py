"""Two revisions of one tree narrowed to the units a changed path touches: one way for every caller.

Every path of TO is *placed* (resolve.PathResolver: a folder's decisions once, a look-up per file), which
gives every unit's key without building it. A changed path touches its own unit and that unit's component;
each side is then resolved from the files of the touched units, with each touched component's own files
and its first unchanged decomposed child (a *helper*, left out of the units), so that on each side the
component exists exactly when the whole resolution finds it there (an object folder holding only fields)
and reads the children inside its file exactly when that does. The units built are the whole comparison's
units for those keys, and every other unit has the same files on both sides.

``compare_revisions`` (compare/changed.py, for ``delta``) and ``revision_report`` (compare/revisions.py, for
``compare``) both narrow this way.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from ..errors import UsageError

if TYPE_CHECKING:
    from ..registry import MetadataType
    from ..sources import Setup, Source
    from .changed import Change, FromTree, Tree
    from .engine import Row
    from .units import Unit

UNKNOWN = "Unknown"  # as compare/units.py names the units of files no type claims
Key = tuple[str, str]


@dataclass
class Placed:
    """Every path of TO placed: each unit's key, without building a unit.

    ``first`` holds every component and decomposed child, as resolve's collector would register them, with
    the first path that registers it (which orders components in compare()).
    """

    files: list[str]
    owners: list[Key | None]  # by file: the unit it belongs to (None: skipped)
    first: dict[Key, str]
    parents: dict[Key, Key]  # decomposed child → its component
    # components whose type keeps children in its file → their files (custom labels may have one per package
    # directory: resolve._Collector), type
    in_file: dict[Key, tuple[list[str], MetadataType]]
    with_children: set[Key]  # components with a decomposed child
    unknown: list[str]
    resolver: object  # the PathResolver, whose folder decisions the changed paths reuse

    @classmethod
    def of(cls, files: list[str], setup: Setup, fmt: str, label: str = "") -> Placed:
        """``label`` names the tree in errors."""
        from ..resolve import REFUSED, SPLIT, PathResolver, in_two_files, second_file

        resolver = PathResolver(setup.registry, fmt, setup.root)
        place = resolver.place
        owners: list[Key | None] = []
        first: dict[Key, str] = {}
        parents: dict[Key, Key] = {}
        in_file: dict[Key, tuple[list[str], MetadataType]] = {}
        xml_files: dict[Key, str] = {}
        unknown: list[str] = []
        register, own, xml_of = first.setdefault, owners.append, xml_files.setdefault  # 45,000 times: no look-ups
        tops: dict[int, Key] = {}  # a folder's decomposed parent, one tuple held by its rule: its key, once
        for path in files:
            where = place(path)
            if where is None:
                unknown.append(path)
                own((UNKNOWN, path))
                continue
            if not where:
                own(None)
                continue
            t, full_name, is_xml, _, parent = where
            key = (t.name, full_name)
            if parent is not None:
                top = tops.get(id(parent))
                if top is None:
                    top = tops[id(parent)] = (parent[0].name, parent[1])
                register(top, path)
                parents[key] = top
            if is_xml and xml_of(key, path) != path:  # the same component's metadata in a second file
                second = second_file(t)
                if second == REFUSED:
                    raise in_two_files(t, full_name, label, xml_files[key], path)
                if second == SPLIT and key in in_file:
                    in_file[key][0].append(path)
            elif parent is None and t.children and is_xml:
                in_file[key] = ([path], t)
            register(key, path)
            own(key)
        return cls(files, owners, first, parents, in_file, set(parents.values()), unknown, resolver)


@dataclass
class Touched:
    """The units a changed path touches, and what each side's registration of their components needs."""

    keys: set[Key]  # units whose files changed, and their components
    tops: set[Key]  # the components among them
    from_paths: dict[Key, str]  # component → the first changed path of FROM that registers it
    changed: dict[str, Change]

    @classmethod
    def of(cls, placed: Placed, changed: dict[str, Change], also: Iterable[str], from_tree: FromTree) -> Touched:
        place = placed.resolver.place  # type: ignore[attr-defined]
        keys: set[Key] = set()
        tops: set[Key] = set()
        from_paths: dict[Key, str] = {}
        for path in sorted({*changed, *also}):
            where = place(path)
            if where is None:
                key = top = (UNKNOWN, path)
            elif not where:
                continue
            else:
                t, full_name, _, _, parent = where
                key = (t.name, full_name)
                top = (parent[0].name, parent[1]) if parent is not None else key
            keys.update((key, top))
            tops.add(top)
            if path in changed and from_tree.holds(path):
                from_paths.setdefault(top, path)
        return cls(keys, tops, from_paths, changed)


@dataclass
class Narrowed:
    """Both sides resolved over the touched units: their sources and units, and compare_units' order."""

    source: Source  # TO's
    target: Source  # FROM's
    source_units: dict[Key, Unit]
    target_units: dict[Key, Unit]
    placed: Placed
    touched: Touched
    first_kept: dict[Key, str]

    def keys(self) -> list[Key]:
        """Every unit's key, where compare_units puts its rows: TO's units by the first path that registers
        their component (unclaimed files after every component), then the units only FROM has, likewise."""
        source, target = self.source_units, self.target_units
        keys = [*source, *(key for key in target if key not in source)]
        order = {key: index for index, key in enumerate(keys)}
        return sorted(keys, key=lambda key: self._position(key, order))

    def rows(self, compared: Callable[[Unit | None, Unit | None], bool] = lambda to, from_: True,
             texts: bool = False) -> list[tuple[Key, list[Row]]]:
        """Each unit's rows (of the units ``compared`` admits), in compare_units' order; with ``texts``, the
        changed rows carry both sides' texts (for the HTML report)."""
        from .engine import compare_unit

        groups = []
        for key in self.keys():
            s, t = self.source_units.get(key), self.target_units.get(key)
            if compared(s, t):
                groups.append((key, compare_unit(s, t, texts=texts)))
        return groups

    def _position(self, key: Key, order: dict[Key, int]) -> tuple:
        s = self.source_units.get(key)
        unit = s or self.target_units[key]
        top = unit.parent or key
        if s is not None:
            side, first = 0, self.placed.first.get(top)
        else:
            candidates = [p for p in (self.first_kept.get(top), self.touched.from_paths.get(top)) if p is not None]
            side, first = 1, min(candidates) if candidates else None
        if top[0] == UNKNOWN and unit.type is None:
            return (side, 1, top[1], order[key])
        return (side, 0, first or "", order[key])


Known = tuple[dict[str, bytes], dict[str, bytes]]  # contents read already: TO's, FROM's


def placed_and_touched(to_tree: Tree, from_tree: FromTree, changes: dict[str, Change], setup: Setup, fmt: str,
                       also: Iterable[str] = (), whole: bool = True) -> tuple[Placed, Touched, Known]:
    """TO placed, the units ``changes`` (the paths read, see Setup.reads) and the TO paths ``also`` touch, and
    the changed files of both sides, read from git in a thread while the listing is placed.

    ``whole=False`` places only the paths :func:`near` the changed ones, for a caller that needs the touched
    units but neither the count nor the order of the others (``delta``).
    """
    from ..resolve import text_paths

    also = list(also)
    text_paths([path for path in changes if not to_tree.holds(path)], from_tree.label)  # deleted files' names
    known: Known = ({}, {})
    reader = threading.Thread(target=_read_changed, args=(to_tree, from_tree, changes, known))
    reader.start()
    try:
        files = to_tree.files()  # narrowed before the ignore rules, which then test a few paths instead of all
        read = setup.read_files(files if whole else near(files, [*changes, *also], setup.registry))
        placed = Placed.of(text_paths(read, to_tree.label), setup, fmt, to_tree.label)
    finally:
        reader.join()
    return placed, Touched.of(placed, changes, also, from_tree), known


def near(files: list[str], paths: list[str], registry) -> list[str]:
    """The files of ``files`` that may share a unit with one of ``paths``: a superset, found by prefix.

    Below the first folder that is a type's folder (``objects``, ``classes``, ``lwc``…), a component's files
    all start with the type folder plus the first name below it: ``classes/Foo`` (``Foo.cls``,
    ``Foo.cls-meta.xml``), ``objects/Account`` (``Account/…`` and ``Account.object``), ``lwc/card``,
    ``staticresources/logo`` (``logo/…`` and ``logo.resource-meta.xml``). A path under no type folder
    brings the files named like it in its own folder.
    """
    ordered = sorted(files)
    prefixes: set[str] = set()
    for path in paths:
        parts = path.split("/")
        anchor = next((i for i, part in enumerate(parts[:-1]) if registry.by_directory(part)), None)
        if anchor is None or len(parts) == anchor + 2:
            folder, _, name = path.rpartition("/")
            prefixes.add(f"{folder}/{name.split('.', 1)[0]}" if folder else name.split(".", 1)[0])
        else:
            prefixes.add("/".join(parts[: anchor + 2]))
    found: set[str] = set()
    for prefix in prefixes:
        for index in range(bisect.bisect_left(ordered, prefix), len(ordered)):
            if not ordered[index].startswith(prefix):
                break
            found.add(ordered[index])
    return [path for path in files if path in found]


def _read_changed(to_tree: Tree, from_tree: FromTree, changes: dict[str, Change], known: Known) -> None:
    """The changed files of each side, into ``known``; what fails to read is read (and fails) again later."""
    try:
        known[0].update(to_tree.read_many(path for path in changes if to_tree.holds(path)))
        known[1].update(from_tree.read_many(path for path, change in changes.items() if change.before))
    except UsageError:
        pass


def narrow(to_tree: Tree, from_tree: FromTree, setup: Setup, fmt: str, placed: Placed, touched: Touched,
           parse_children: Callable[[MetadataType], bool] = lambda t: True, read_all: bool = True,
           known: Known = ({}, {})) -> Narrowed:
    """Both sides resolved over the touched units (see :func:`placed_and_touched`).

    The children inside the files of the types ``parse_children`` refuses are not read. ``read_all`` reads
    every file resolved in one batch per side (for a caller that reads them); otherwise the changed ones.
    ``known`` holds contents read already, TO's and FROM's.
    """
    from ..resolve import in_file_children, resolve
    from ..sources import Source
    from .changed import NarrowTree
    from .units import collect_units

    changes = touched.changed
    wanted, helpers, first_kept = _narrowing(placed, touched)
    from_only = [path for path, change in changes.items() if change.before is not None and not to_tree.holds(path)]
    sides = []
    from_files = sorted([path for path in wanted if from_tree.holds(path)] + from_only)
    for tree, files, read in ((to_tree, sorted(wanted), known[0]), (from_tree, from_files, known[1])):
        narrowed = NarrowTree(tree, files, None if read_all else [path for path in files if path in changes], read)
        resolved = resolve(narrowed, setup.registry, fmt, setup.forceignore, with_children=False,
                           placer=placed.resolver, packages=setup.package_prefixes)  # type: ignore[arg-type]
        for component in resolved.components:  # as resolve(with_children=True) does, for the types asked for
            if component.type.children and component.xml and not component.children and parse_children(component.type):
                component.children = in_file_children(component, narrowed.read(component.xml), narrowed.label,
                                                      setup.registry)
        source = Source(narrowed, resolved, setup.registry, setup.project)
        units = collect_units(source)
        sides.append((source, {key: unit for key, unit in units.items() if key not in helpers}))
    (to_source, source_units), (from_source, target_units) = sides
    return Narrowed(to_source, from_source, source_units, target_units, placed, touched, first_kept)


def _narrowing(placed: Placed, touched: Touched) -> tuple[set[str], set[Key], dict[Key, str]]:
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
