"""Sources of components: a folder in either format, a retrieve ``.zip`` or a git revision.

A SPEC names one: a path (folder or zip), ``git:REF`` or ``git:REF:PATH`` (read from git objects,
nothing checked out). A tree that holds an ``sfdx-project.json`` at its root is read through that
file's package directories, with its presets and ``.forceignore``; a tree whose only ``package.xml``
is one folder down (``src/package.xml``, the Ant migration tool's layout) is read below that folder, in
metadata-API format; any other tree is read whole and its format detected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .components import ResolvedTree
from .errors import UsageError
from .forceignore import ForceIgnore, ignore_lines
from .project import PROJECT_FILE, SfdxProject, load_project
from .registry import Registry, load_registry
from .resolve import detect_format, resolve

if TYPE_CHECKING:
    from .tree import FileTree


@dataclass
class Source:
    """A resolved tree with what is needed to read and convert it."""

    tree: FileTree
    resolved: ResolvedTree
    registry: Registry
    project: SfdxProject
    # for an org: each component's FileProperties (who changed it, when), by (type, fullName)
    file_properties: dict = field(default_factory=dict)


class _SubTree:
    """The package directories of a project, as one tree."""

    def __init__(self, tree: FileTree, prefixes: tuple[str, ...], focus: Callable[[str], bool] | None = None):
        self._tree = tree
        self._prefixes = tuple(p.rstrip("/") + "/" if p else "" for p in prefixes)
        self._focus = focus
        self.label = tree.label

    def files(self) -> list[str]:
        return [f for f in self._tree.files()
                if f.startswith(self._prefixes) and (self._focus is None or self._focus(f))]

    def read(self, path: str) -> bytes:
        return self._tree.read(path)

    def __getattr__(self, name: str):
        """Whatever else the tree offers (a git tree's blob ids, a folder's local paths)."""
        return getattr(self._tree, name)


def open_tree_spec(spec: str, repo: Path | None = None) -> FileTree:
    """The tree a SPEC names; ``git:`` specs read ``repo`` (default: the current directory)."""
    if spec.startswith("git:"):
        from .gittree import GitTree, parse_git_spec

        ref, subpath = parse_git_spec(spec)
        return GitTree(Path(repo or "."), ref, subpath)
    from .tree import open_tree  # zip support, imported when a folder or zip is read

    return open_tree(Path(spec))


def open_source(spec: str | Path, project_dir: Path | None = None, with_children: bool = True,
                repo: Path | None = None, org_types: list[str] | None = None,
                focus: Callable[[str], bool] | None = None) -> Source:
    """Resolve SPEC. The project (API version, presets, .forceignore) is ``project_dir``'s, else the tree's own.

    ``org:ALIAS`` retrieves ``org_types`` from the org first (see sfhotfix/org/source.py).
    """
    if str(spec).startswith("org:"):
        return _open_org(str(spec)[4:], project_dir, org_types or [])
    tree = open_tree_spec(str(spec), repo)
    setup = read_setup(tree, project_dir)
    fmt = setup.format
    if fmt is None and focus is not None:  # the format is the whole tree's, not that of the few files in focus
        fmt = detect_format(setup.read_files(tree.files()), setup.registry)
    if setup.package_prefixes is not None:
        tree = _SubTree(tree, setup.package_prefixes, focus)
    elif focus is not None:
        tree = _SubTree(tree, ("",), focus)
    resolved = resolve(tree, setup.registry, fmt, setup.forceignore, with_children, root=setup.root,
                       packages=setup.package_prefixes)
    return Source(tree, resolved, setup.registry, setup.project)


@dataclass(frozen=True)
class Setup:
    """How a tree is read: its project and registry, the folders read (as prefixes ending in ``/``; None: all),
    what is ignored, the format (None: detected from the files)."""

    project: SfdxProject
    registry: Registry
    package_prefixes: tuple[str, ...] | None
    forceignore: ForceIgnore
    format: str | None
    root: str = ""  # a metadata-API tree's package folder (see mdapi_root)

    def reads(self, path: str) -> bool:
        """Whether ``path`` is among the files resolved (in a package directory, not ignored)."""
        if self.package_prefixes is not None and not path.startswith(self.package_prefixes):
            return False
        return not self.forceignore.denies(path)

    def read_files(self, paths: list[str]) -> list[str]:
        """The paths among ``paths`` that are resolved, in order (``reads`` for a whole listing)."""
        prefixes = self.package_prefixes
        if prefixes is not None:
            paths = [path for path in paths if path.startswith(prefixes)]
        return self.forceignore.kept(paths)


def read_setup(tree: FileTree, project_dir: Path | None = None) -> Setup:
    """The project (``project_dir``'s, else the tree's own sfdx-project.json) and what follows from it.

    A tree with its own sfdx-project.json is read through that file's package directories, in source format;
    any other tree is read whole and its format detected.
    """
    listing = tree.files()  # a folder's listing walks the disk: once
    own_project = PROJECT_FILE in listing
    if project_dir is not None:
        project = load_project(project_dir)
    elif own_project:
        project = project_in_tree(tree)
    else:
        project = load_project(None)
    registry = load_registry(project.presets)
    forceignore = _forceignore(tree, project, own_project)
    if own_project:
        prefixes = tuple(p.rstrip("/") + "/" if p else "" for p in project.package_directories)
        return Setup(project, registry, prefixes, forceignore, "source")
    root = mdapi_root(listing, registry)
    if root:
        return Setup(project, registry, (root + "/",), forceignore, "mdapi", root)
    return Setup(project, registry, None, forceignore, None)


def mdapi_root(files: list[str], registry: Registry) -> str:
    """The folder a metadata-API tree keeps its metadata in, when its only package.xml is one folder down
    beside type folders (``src/package.xml`` and ``src/classes/``, as the Ant migration tool and older
    projects lay it out); "" otherwise."""
    manifests = [path for path in files if path == "package.xml" or path.endswith("/package.xml")]
    if len(manifests) != 1 or manifests[0].count("/") != 1:
        return ""
    root = manifests[0].split("/", 1)[0]
    below = {path.split("/", 2)[1] for path in files if path.startswith(root + "/") and path.count("/") >= 2}
    return root if any(registry.by_directory(folder) for folder in below) else ""


def project_in_tree(tree: FileTree) -> SfdxProject:
    """The sfdx-project.json at a tree's root (a git revision has no folder to read it from)."""
    source = f"{tree.label}/{PROJECT_FILE}"
    try:
        data = json.loads(tree.read(PROJECT_FILE))
    except json.JSONDecodeError as exc:
        raise UsageError(f"{source}:{exc.lineno}: malformed JSON: {exc.msg}") from None
    return SfdxProject.parse(data, None, source)


def _forceignore(tree: FileTree, project: SfdxProject, own_project: bool) -> ForceIgnore:
    if project.root is not None:
        return ForceIgnore.from_directory(project.root)
    if own_project:
        try:
            return ForceIgnore(ignore_lines(tree.read(".forceignore")))
        except (KeyError, FileNotFoundError, UsageError):
            return ForceIgnore()
    return ForceIgnore()


def _open_org(alias: str, project_dir: Path | None, types: list[str]) -> Source:
    from .org.source import retrieve_org_tree

    project = load_project(project_dir)
    registry = load_registry(project.presets)
    tree, properties = retrieve_org_tree(alias, types, registry)
    resolved = resolve(tree, registry, "mdapi", ForceIgnore(), True)
    return Source(tree, resolved, registry, project, properties)
