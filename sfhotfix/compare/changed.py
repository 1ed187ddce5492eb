"""Compare two git revisions by what git says differs: only the units a changed path touches are resolved.

``compare("git:TO", "git:FROM")`` resolves every file of both revisions and reads every component to sign it:
on a 50,000-file project that is seconds of Python per side, although a hotfix changes a few hundred files.
Here ``git diff`` names the changed paths and both revisions are narrowed to the units they touch
(compare/narrowing.py); the rows are the whole comparison's for every one of those units. FROM is read
without being listed: TO's listing with the diff undone (FromTree).
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Union

from ..errors import UsageError
from ..gittree import REPOSITORY_ENV_VARS, GitTree
from ..project import PROJECT_FILE
from . import Comparison

if TYPE_CHECKING:  # the comparison's machinery is imported by compare_revisions: compare needs FromTree alone
    from ..registry import MetadataType
    from ..sources import Setup, Source
    from .units import Unit


@dataclass(frozen=True)
class Change:
    """One path git says differs: A, M, D or T, and FROM's blob there when FROM holds a regular file."""

    status: str
    before: str | None


class FromTree:
    """FROM, read without listing it: TO's listing with the diff undone, a changed file read by FROM's blob id.

    Listing a 50,000-file revision costs a tenth of a second of Python; the diff says everything FROM does not
    share with TO, and what they share reads the same from either.
    """

    def __init__(self, to_tree: GitTree, ref: str, commit: str, changes: dict[str, Change], label: str | None = None):
        self.label = label or f"git:{ref}"
        self.repo = to_tree.repo
        self.commit = commit
        self._to = to_tree
        self._before = {path: change.before for path, change in changes.items()}

    @cached_property
    def _files(self) -> list[str]:
        shared = [f for f in self._to.files() if f not in self._before]
        return sorted(shared + [path for path, blob in self._before.items() if blob])

    def files(self) -> list[str]:
        return list(self._files)

    def holds(self, path: str) -> bool:
        """Whether FROM has a file at ``path``, known from the diff alone."""
        blob = self._before.get(path, "shared")
        return blob is not None and (blob != "shared" or self._to.holds(path))

    def read(self, path: str) -> bytes:
        return self.read_many([path])[path]

    def fingerprint(self, path: str) -> str:
        """The file's git blob id, known without reading it (see tree.fingerprint)."""
        blob = self._before.get(path, "shared")
        if blob is None:
            raise UsageError(f"{self.label}: no file '{path}' in {self.repo}")
        return self._to.fingerprint(path) if blob == "shared" else blob

    def read_many(self, paths: Iterable[str]) -> dict[str, bytes]:
        paths = list(paths)
        own = {path: self._before[path] for path in paths if path in self._before}
        missing = [path for path, blob in own.items() if not blob]
        if missing:
            raise UsageError(f"{self.label}: no file '{missing[0]}' in {self.repo}")
        shared = self._to.read_many(path for path in paths if path not in own)
        blobs = _blobs(self.repo, sorted(set(own.values()))) if own else {}
        return {path: shared[path] if path in shared else blobs[own[path]] for path in paths}


class ListedFolder:
    """A folder listed once, each file known by the blob id git would give it: the hotfix's retrieved folder
    compared with a revision like one revision with another (compare/revisions.py).

    Hashing a 45,000-file folder takes well under a second; resolving and signing every component of it
    took several.
    """

    def __init__(self, folder: Path):
        from ..tree import FolderTree, blob_id  # tree.py reads zips too: imported when a folder is compared

        self._blob_id = blob_id
        self._tree = FolderTree(folder)
        self.label = self._tree.label
        self._files = self._tree.files()
        self._held = set(self._files)
        self._ids: dict[str, str] = {}

    def files(self) -> list[str]:
        return list(self._files)

    def holds(self, path: str) -> bool:
        return path in self._held

    def read(self, path: str) -> bytes:
        return self._tree.read(path)

    def read_many(self, paths: Iterable[str]) -> dict[str, bytes]:
        return {path: self._tree.read(path) for path in paths}

    def fingerprint(self, path: str) -> str:
        found = self._ids.get(path)
        if found is None:
            found = self._ids[path] = self._blob_id(self._tree.read(path))
        return found


def folder_changes(folder: ListedFolder, revision: GitTree, setup: Setup) -> dict[str, Change]:
    """What differs between a folder (TO) and a revision (FROM), as ``git diff`` would say it: the files
    ``setup`` reads, and the two that decide how each side is read."""
    def read(tree: ListedFolder | GitTree) -> set[str]:
        return {*setup.read_files(tree.files()), *(path for path in (PROJECT_FILE, ".forceignore") if tree.holds(path))}

    to_paths, from_paths = read(folder), read(revision)
    changes: dict[str, Change] = {}
    for path in to_paths | from_paths:
        before = revision.fingerprint(path) if path in from_paths else None
        after = folder.fingerprint(path) if path in to_paths else None
        if before != after:
            changes[path] = Change("A" if before is None else "D" if after is None else "M", before)
    return changes


Tree = Union[GitTree, FromTree, ListedFolder]


@dataclass
class Revision:
    """One side: the whole listing of its package folders (for look-ups beyond what was resolved) and the
    narrowed source."""

    tree: Tree
    files: list[str]
    source: Source


@dataclass
class ChangedComparison:
    """A comparison of TO (source) against FROM (target), with git's view of what changed."""

    comparison: Comparison
    to: Revision
    from_: Revision
    changes: dict[str, str] = field(default_factory=dict)  # path → A, M, D or T (relative to FROM)


def compare_revisions(repo: Path, from_ref: str, to_ref: str,
                      keep: Callable[[str, str], bool] = lambda path, status: True,
                      extra: Callable[[list[str]], Iterable[str]] = lambda files: (),
                      compared: Callable[[Unit | None, Unit | None], bool] = lambda to, from_: True,
                      parse_children: Callable[[MetadataType], bool] = lambda t: True) -> ChangedComparison:
    """Rows of what TO adds to FROM (``new`` = only in TO), over the components git says changed.

    ``keep(path, status)`` drops changed paths before anything is resolved (``--source-dir``, ignore files);
    the paths ``extra`` picks from TO's listing are resolved as if they had changed (their components get
    units, and rows when they differ). For a caller that judges some types itself: ``compared(to_unit,
    from_unit)`` leaves units out of the rows (they stay in the units), and the children inside the files of
    the types ``parse_children`` refuses are not read at all. Each side is read through its own
    sfdx-project.json; where the two differ (or their .forceignore files do, or the files are laid out
    otherwise: :func:`shared_format`), both are resolved whole.
    """
    from ..sources import read_setup
    from .narrowing import narrow, placed_and_touched

    to_tree, from_tree, every_change = open_revisions(repo, to_ref, from_ref)
    kept = {path: change for path, change in every_change.items() if keep(path, change.status)}
    to_setup = read_setup(to_tree)
    fmt = shared_format(to_tree, from_tree, to_setup, every_change)
    if fmt is None:
        return _whole(to_tree, from_tree, to_setup, kept, compared, parse_children)
    changes = {path: change for path, change in kept.items() if to_setup.reads(path)}
    also = [path for path in extra(_listed(to_tree, to_setup)) if to_setup.reads(path)]
    placed, touched, known = placed_and_touched(to_tree, from_tree, changes, to_setup, fmt, also, whole=False)
    narrowed = narrow(to_tree, from_tree, to_setup, fmt, placed, touched, parse_children, known=known)
    rows = [row for _, group in narrowed.rows(compared) for row in group]
    comparison = Comparison(to_tree.label, from_tree.label, rows, narrowed.source, narrowed.target,
                            narrowed.source_units, narrowed.target_units)
    to_rev = Revision(to_tree, _listed(to_tree, to_setup), narrowed.source)
    from_rev = Revision(from_tree, _listed(from_tree, to_setup), narrowed.target)
    return ChangedComparison(comparison, to_rev, from_rev, {path: change.status for path, change in kept.items()})


def open_revisions(repo: Path, to_ref: str, from_ref: str, subpath: str | None = None,
                   ) -> tuple[GitTree, FromTree, dict[str, Change]]:
    """TO listed (below ``subpath``), FROM as TO with git's changes undone, and the changes.

    ``git diff`` runs while TO is listed: the two git processes work at once. A revision git does not know is
    refused as GitTree refuses it.
    """
    commits = _commits(repo, (to_ref, from_ref))
    diff = diff_process(repo, commits[1], commits[0], subpath) if commits else None
    try:
        to_tree = GitTree(repo, to_ref, subpath)
    except BaseException:
        if diff is not None:
            diff.kill()
            diff.communicate()
        raise
    if diff is None or to_tree.commit != commits[0]:  # refused, or the reference moved in between: one at a time
        if diff is not None:
            diff.kill()
            diff.communicate()
        from_commit = _commit(to_tree, from_ref)
        diff = diff_process(repo, from_commit, to_tree.commit, to_tree.subpath)
    else:
        from_commit = commits[1]
        from ..registry import load_registry

        load_registry(())  # while git compares: the registry most projects read (no presets), kept by its cache
    changes = read_changes(diff, to_tree.subpath, f"git diff git:{from_commit[:12]} {to_tree.label} failed in {repo}")
    label = f"git:{from_ref}" + (f":{to_tree.subpath}" if to_tree.subpath else "")
    return to_tree, FromTree(to_tree, from_ref, from_commit, changes, label), changes


def shared_format(to_tree: Tree, from_tree: Tree, to_setup: Setup, changes: dict[str, Change],
                  project_dir: Path | None = None) -> str | None:
    """The format both sides are read in, through TO's setup; None where a side must be read its own way.

    That is where sfdx-project.json or .forceignore changed, or, in a tree without a project of its own,
    where the files are laid out otherwise (a package.xml moved into ``src/``, the Ant layout, or a format
    detected differently): a path then means another thing on each side.
    """
    from ..resolve import detect_format
    from ..sources import read_setup

    if PROJECT_FILE in changes or ".forceignore" in changes:
        return None
    if to_setup.package_prefixes is not None and not to_setup.root:
        return to_setup.format
    from_setup = read_setup(from_tree, project_dir)
    if (from_setup.package_prefixes, from_setup.format, from_setup.root) != \
            (to_setup.package_prefixes, to_setup.format, to_setup.root):
        return None
    if to_setup.format is not None:
        return to_setup.format
    fmt = detect_format(to_setup.read_files(to_tree.files()), to_setup.registry)
    return fmt if detect_format(to_setup.read_files(from_tree.files()), to_setup.registry) == fmt else None


def _commits(repo: Path, refs: tuple[str, ...]) -> tuple[str, ...] | None:
    """The commits the references name, through one ``git rev-parse``; None when git refuses any."""
    if not Path(repo).is_dir():
        return None
    result = _git(repo, "rev-parse", "--end-of-options", *(f"{ref}^{{commit}}" for ref in refs))
    lines = result.stdout.decode("ascii", "replace").split()
    if lines[:1] == ["--end-of-options"]:  # without --verify (one revision only), rev-parse echoes it
        lines = lines[1:]
    if result.returncode != 0 or len(lines) != len(refs):
        return None
    return tuple(lines)


def _listed(tree: Tree, setup: Setup) -> list[str]:
    """The files of the package directories (every file without a project), ignored ones included."""
    prefixes = setup.package_prefixes
    return tree.files() if prefixes is None else [f for f in tree.files() if f.startswith(prefixes)]


def _whole(to_tree: GitTree, from_tree: FromTree, to_setup: Setup, kept: dict[str, Change],
           compared: Callable[[Unit | None, Unit | None], bool],
           parse_children: Callable[[MetadataType], bool]) -> ChangedComparison:
    """Both revisions resolved whole, each through its own project: a changed sfdx-project.json or .forceignore
    may change what every path is."""
    from ..resolve import in_file_children, resolve
    from ..sources import Source, _SubTree, read_setup
    from .engine import compare_units
    from .units import collect_units

    sides = []
    for tree, setup in ((to_tree, to_setup), (from_tree, read_setup(from_tree))):
        read = tree if setup.package_prefixes is None else _SubTree(tree, setup.package_prefixes)
        resolved = resolve(read, setup.registry, setup.format, setup.forceignore, with_children=False, root=setup.root,
                           packages=setup.package_prefixes)
        for component in resolved.components:
            if component.type.children and component.xml and not component.children and parse_children(component.type):
                component.children = in_file_children(component, tree.read(component.xml), tree.label, setup.registry)
        sides.append((tree, _listed(tree, setup), Source(read, resolved, setup.registry, setup.project)))
    (_, to_files, to_source), (_, from_files, from_source) = sides
    source_units, target_units = collect_units(to_source), collect_units(from_source)
    judged = {key for key in {*source_units, *target_units} if compared(source_units.get(key), target_units.get(key))}
    rows = compare_units({k: u for k, u in source_units.items() if k in judged},
                         {k: u for k, u in target_units.items() if k in judged})
    comparison = Comparison(to_tree.label, from_tree.label, rows, to_source, from_source, source_units, target_units)
    return ChangedComparison(comparison, Revision(to_tree, to_files, to_source), Revision(from_tree, from_files, from_source),
                             {path: change.status for path, change in kept.items()})


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """One git command on ``repo``, with the repository variables of a hook cleared (as gittree.py does)."""
    env = {name: value for name, value in os.environ.items() if name not in REPOSITORY_ENV_VARS}
    env.update(GIT_OPTIONAL_LOCKS="0", LC_ALL="C", GIT_TERMINAL_PROMPT="0", GIT_LITERAL_PATHSPECS="1")
    return subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, env=env, check=False)


def _failure(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[0].removeprefix("fatal: ") if lines else "no message"


def _commit(to_tree: GitTree, ref: str) -> str:
    """FROM's commit, refused as GitTree refuses an unknown revision (TO's tree has vouched for the repository)."""
    result = _git(to_tree.repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if result.returncode != 0 or not result.stdout.strip():
        raise UsageError(f"git:{ref}: unknown revision in {to_tree.repo}")
    return result.stdout.decode("ascii").strip()


_REGULAR = (b"100644", b"100755")


def diff_process(repo: Path, from_commit: str, to_commit: str, subpath: str | None = None) -> subprocess.Popen:
    """``git diff --raw`` between two commits, started: its output is read by :func:`read_changes`."""
    env = {name: value for name, value in os.environ.items() if name not in REPOSITORY_ENV_VARS}
    env.update(GIT_OPTIONAL_LOCKS="0", LC_ALL="C", GIT_TERMINAL_PROMPT="0", GIT_LITERAL_PATHSPECS="1")
    return subprocess.Popen(
        ["git", "-C", str(repo), "diff", "--raw", "--no-renames", "--no-ext-diff", "--no-textconv", "--no-relative",
         "-z", "--abbrev=40", from_commit, to_commit, "--", *([subpath] if subpath else [])],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def read_changes(process: subprocess.Popen, subpath: str | None, failure: str) -> dict[str, Change]:
    """The changes a :func:`diff_process` reports, by path relative to ``subpath``."""
    out, err = process.communicate()
    if process.returncode != 0:
        raise UsageError(f"{failure}: {_failure(subprocess.CompletedProcess([], process.returncode, out, err))}")
    prefix = (subpath + "/").encode("utf-8", "surrogateescape") if subpath else b""
    fields = out.split(b"\0")
    changes: dict[str, Change] = {}
    for meta, path in zip(fields[0::2], fields[1::2]):
        if not meta.startswith(b":") or not path.startswith(prefix):
            continue
        old_mode, _, old_blob, _, status = meta[1:].split(b" ")
        before = old_blob.decode("ascii") if old_mode in _REGULAR else None
        changes[path[len(prefix):].decode("utf-8", "surrogateescape")] = Change(status.decode("ascii")[:1], before)
    return changes


def _blobs(repo: Path, blobs: list[str]) -> dict[str, bytes]:
    """Blobs by id, through one ``git cat-file --batch``."""
    result = _git(repo, "cat-file", "--batch", stdin="".join(f"{blob}\n" for blob in blobs).encode("ascii"))
    if result.returncode != 0:
        raise UsageError(f"git cat-file failed in {repo}: {_failure(result)}")
    out, position, found = result.stdout, 0, {}
    for blob in blobs:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        if len(header) != 3 or header[1] != b"blob":
            raise UsageError(f"blob {blob} is missing from {repo}")
        size = int(header[2])
        found[blob] = out[end + 1:end + 1 + size]
        position = end + 2 + size
    return found


# ------------------------------------------------------------------------------------------- narrowing


class NarrowTree:
    """The files of a revision that matter, read once in one batch; the rest of the listing stays hidden."""

    def __init__(self, tree: Tree, files: list[str], batch: Iterable[str] | None = None,
                 known: dict[str, bytes] | None = None):
        self.label = tree.label
        self._tree = tree
        self._files = files
        self._batch = files if batch is None else list(batch)  # what the first read fetches at once
        self._known = known or {}  # contents read already
        self._data: dict[str, bytes] | None = None

    def files(self) -> list[str]:
        return list(self._files)

    def read(self, path: str) -> bytes:
        if self._data is None:
            missing = [p for p in self._batch if p not in self._known]
            self._data = {**self._known, **(self._tree.read_many(missing) if missing else {})}
        data = self._data.get(path)
        return data if data is not None else self._tree.read(path)

    def fingerprint(self, path: str) -> str:
        """The file's git blob id: equal ids mean equal bytes, and neither file is read."""
        return self._tree.fingerprint(path)
