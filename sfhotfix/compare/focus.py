"""The files the components a few selectors name can live in: a comparison focused on them reads a few
hundred files of a fifty-thousand-file tree (``commit``, ``diff``)."""

from __future__ import annotations

from typing import Callable, Mapping

from ..registry import Registry


def focus(selectors: list[str], registry: Registry,
          also: Mapping[str, tuple[str, ...]] | None = None) -> Callable[[str], bool] | None:
    """A path filter keeping the files the selected components can live in, and for a selected component of
    a type ``also`` names, whole type folders (what commit's dependency hints read). None when a selector
    names a type the filter cannot place: then everything is read."""
    names: set[tuple[str, str]] = set()
    whole: set[str] = set()
    for selector in selectors:
        type_name, _, rest = selector.partition(":")
        full_name = rest.split("/", 1)[0]
        t = registry.find(type_name)
        if t is None:
            return None
        top = registry.get(t.parent) if t.parent else t
        if t.parent and not t.ignore_parent_name:
            full_name = full_name.split(".", 1)[0]
        if t.ignore_parent_name:
            full_name = top.name  # all labels live in one file per project
            whole.add(top.directory_name)
        if top.in_folder or "/" in full_name:
            return None
        if top.folder_type and top.folder_type != top.name:  # a territory lives in its model's folder (M1.T1)
            names.add((registry.get(top.folder_type).directory_name, full_name.split(".", 1)[0]))
        else:
            names.add((top.directory_name, full_name))
        whole.update((also or {}).get(type_name, ()))
        # the warnings about missing fields look at the object a layout or a field permission names
        if type_name == "Layout":
            names.add(("objects", full_name.split("-", 1)[0]))
        if "/fieldPermissions:" in selector:
            names.add(("objects", selector.rsplit(":", 1)[1].split(".", 1)[0]))

    def keep(path: str) -> bool:
        parts = path.split("/")
        for index, part in enumerate(parts[:-1]):
            if part in whole:
                return True
            if any(part == directory and (parts[index + 1] == name or parts[index + 1].startswith(name + "."))
                   for directory, name in names):
                return True
        return path.endswith("sfdx-project.json") or path.endswith(".forceignore")

    return keep
