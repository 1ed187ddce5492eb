"""Sources of components: a folder in either format or a retrieve ``.zip``, resolved with its project."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .components import ResolvedTree
from .forceignore import ForceIgnore
from .project import PROJECT_FILE, SfdxProject, load_project
from .registry import Registry, load_registry
from .resolve import resolve
from .tree import FileTree, FolderTree, open_tree


@dataclass
class Source:
    """A resolved tree with what is needed to read and convert it."""

    tree: FileTree
    resolved: ResolvedTree
    registry: Registry
    project: SfdxProject


class _SubTree:
    """The package directories of a project folder, as one tree."""

    def __init__(self, tree: FolderTree, prefixes: tuple[str, ...]):
        self._tree = tree
        self._prefixes = tuple(p.rstrip("/") + "/" for p in prefixes)
        self.label = tree.label

    def files(self) -> list[str]:
        return [f for f in self._tree.files() if f.startswith(self._prefixes)]

    def read(self, path: str) -> bytes:
        return self._tree.read(path)


def open_source(path: Path, project_dir: Path | None = None, with_children: bool = True) -> Source:
    """Resolve ``path``; presets, API version and .forceignore come from ``project_dir``'s sfdx-project.json.

    A folder holding sfdx-project.json is read through its package directories; any other folder or
    zip is read whole and its format detected.
    """
    path = Path(path)
    own_project = path.is_dir() and (path / PROJECT_FILE).is_file()
    project = load_project(path if own_project and project_dir is None else project_dir)
    registry = load_registry(project.presets)
    tree = open_tree(path)
    if own_project and isinstance(tree, FolderTree):
        tree = _SubTree(tree, project.package_directories)
    forceignore = ForceIgnore.from_directory(project.root if project.root else (path if path.is_dir() else None))
    resolved = resolve(tree, registry, "source" if own_project else None, forceignore, with_children)
    return Source(tree, resolved, registry, project)
