"""Resolve a tree of files into components, in either file format.

Metadata-API format keeps each type in its directory at the root (``objects/Account.object``);
source format (SFDX) nests package directories anywhere and marks metadata files with ``-meta.xml``,
splitting decomposed types into folders. The rules follow Salesforce's resolver: a strict directory
name in the path decides the type first (bundles, static resources, decomposed objects), then the
``-meta.xml`` suffix, then a folder's ``-meta.xml``, then the bare file suffix. Which rule applies to
which type is read from the registry; nothing here names a type.
"""

from __future__ import annotations

from lxml import etree

from .components import Component, ResolvedTree
from .errors import UsageError
from .forceignore import ForceIgnore
from .registry import META_SUFFIX, MetadataType, Registry
from .tree import FileTree
from .xmlio import parse_tree

MANIFEST_NAMES = ("package.xml", "destructiveChanges.xml", "destructiveChangesPre.xml", "destructiveChangesPost.xml")
BUNDLE_STRATEGIES = ("bundle", "digitalExperience", "uiBundle")
MIXED_STRATEGIES = ("mixedContent", "staticResource")


def detect_format(files: list[str], registry: Registry) -> str:
    """``mdapi`` when the tree looks like a retrieve (package.xml, bare suffixes), else ``source``."""
    if "package.xml" in files:
        return "mdapi"
    bare = meta = 0
    for path in files:
        name = path.rsplit("/", 1)[-1]
        if name.endswith(META_SUFFIX):
            t = registry.by_suffix(name[: -len(META_SUFFIX)].rsplit(".", 1)[-1])
            if t is not None and not t.has_content_file:
                meta += 1
        elif "." in name:
            t = registry.by_suffix(name.rsplit(".", 1)[-1])
            if t is not None and not t.has_content_file and t.strategy != "bundle":
                bare += 1
    return "mdapi" if bare > meta else "source"


class _Collector:
    """Gathers files into components keyed by (type, fullName), keeping first-seen order."""

    def __init__(self) -> None:
        self.components: dict[tuple[str, str], Component] = {}
        self.unknown: list[str] = []

    def get(self, t: MetadataType, full_name: str, package_root: str = "") -> Component:
        key = (t.name, full_name)
        if key not in self.components:
            self.components[key] = Component(t, full_name, package_root=package_root)
        return self.components[key]

    def add(self, t: MetadataType, full_name: str, path: str, is_xml: bool, package_root: str = "") -> Component:
        component = self.get(t, full_name, package_root)
        if is_xml and component.xml is None:
            component.xml = path
        else:
            component.content.append(path)
        return component


def resolve(
    tree: FileTree,
    registry: Registry,
    fmt: str | None = None,
    forceignore: ForceIgnore | None = None,
    with_children: bool = True,
) -> ResolvedTree:
    """Every component of ``tree``; files no type claims are listed in ``unknown``, never dropped."""
    files = tree.files()
    forceignore = forceignore or ForceIgnore()
    kept: list[str] = []
    ignored: list[str] = []
    for path in files:
        (ignored if forceignore.denies(path) else kept).append(path)
    fmt = fmt or detect_format(kept, registry)
    collector = _Collector()
    for path in kept:
        if fmt == "mdapi":
            _resolve_mdapi_file(path, registry, collector)
        else:
            _resolve_source_file(path, registry, collector)
    components = _attach_decomposed_children(collector)
    if with_children:
        for component in components:
            if component.type.children and component.xml and not component.children:
                component.children = in_file_children(component, tree.read(component.xml), tree.label, registry)
    return ResolvedTree(fmt, components, collector.unknown, ignored)


def _strip_suffix(name: str) -> tuple[str, str | None, bool]:
    """``Foo.cls-meta.xml`` → ("Foo", "cls", True); ``Foo.object`` → ("Foo", "object", False)."""
    is_meta = name.endswith(META_SUFFIX)
    stem = name[: -len(META_SUFFIX)] if is_meta else name
    if "." not in stem:
        return stem, None, is_meta
    base, suffix = stem.rsplit(".", 1)
    return base, suffix, is_meta


def _resolve_mdapi_file(path: str, registry: Registry, collector: _Collector) -> None:
    parts = path.split("/")
    if len(parts) == 1:
        if path not in MANIFEST_NAMES:
            collector.unknown.append(path)
        return
    candidates = registry.by_directory(parts[0])
    if not candidates:
        collector.unknown.append(path)
        return
    name = parts[-1]
    base, suffix, is_meta = _strip_suffix(name)
    folder_path = parts[1:-1]
    # a folder's own metadata: reports/Sales-meta.xml
    if is_meta and suffix is None:
        folder_type = next((t for t in candidates if t.folder_content_type and not t.alias_for), None)
        if folder_type is not None:
            collector.add(folder_type, "/".join(folder_path + [base]), path, True)
            return
    bundle = next((t for t in candidates if t.strategy in BUNDLE_STRATEGIES), None)
    if bundle is not None and len(parts) > 2:
        collector.add(bundle, parts[1], path, is_meta and name.startswith(parts[1] + "."))
        return
    by_suffix = [t for t in candidates if suffix is not None and t.suffix == suffix and not t.alias_for]
    t = by_suffix[0] if by_suffix else None
    if t is None:
        mixed = next((c for c in candidates if c.strategy in MIXED_STRATEGIES), None)
        if mixed is None:
            collector.unknown.append(path)
            return
        # documents/Folder/logo.png(-meta.xml): the fullName keeps the file's extension
        full = "/".join(folder_path + [name[: -len(META_SUFFIX)] if is_meta else name])
        if not mixed.in_folder:
            full = parts[1].split(".", 1)[0]
        collector.add(mixed, full, path, is_meta)
        return
    if t.in_folder:
        full_name = "/".join(folder_path + [base])
    elif t.strategy in MIXED_STRATEGIES and len(parts) > 2:
        full_name = parts[1].split(".", 1)[0]
    else:
        full_name = base
    has_xml_meta = t.has_content_file
    collector.add(t, full_name, path, is_meta if has_xml_meta else True)


def _strict_index(parts: list[str], registry: Registry) -> tuple[int, MetadataType] | None:
    for index, part in enumerate(parts[:-1]):
        t = registry.strict_directories.get(part)
        if t is not None:
            return index, t
    return None


def _resolve_source_file(path: str, registry: Registry, collector: _Collector) -> None:
    parts = path.split("/")
    name = parts[-1]
    base, suffix, is_meta = _strip_suffix(name)
    strict = _strict_index(parts, registry)
    if strict is not None:
        index, t = strict
        root = "/".join(parts[:index])
        if _resolve_in_strict_directory(path, parts, index, t, registry, collector, root):
            return
    if suffix is None:
        collector.unknown.append(path)
        return
    t = registry.by_suffix(suffix)
    if t is None or t.strategy in BUNDLE_STRATEGIES:
        collector.unknown.append(path)
        return
    type_index = _last_index(parts, t.directory_name)
    root = "/".join(parts[:type_index]) if type_index >= 0 else "/".join(parts[:-1])
    if t.in_folder or t.folder_content_type:
        folder = parts[type_index + 1 : -1] if type_index >= 0 else []
        full_name = "/".join(folder + [base])
    else:
        full_name = base
    collector.add(t, full_name, path, is_meta or not t.has_content_file, root)


def _last_index(parts: list[str], directory: str) -> int:
    for index in range(len(parts) - 2, -1, -1):
        if parts[index] == directory:
            return index
    return -1


def _resolve_in_strict_directory(
    path: str,
    parts: list[str],
    index: int,
    t: MetadataType,
    registry: Registry,
    collector: _Collector,
    root: str,
) -> bool:
    below = parts[index + 1 :]
    name = below[-1]
    base, suffix, is_meta = _strip_suffix(name)
    if t.strategy in BUNDLE_STRATEGIES:
        if len(below) < 2:
            return False
        depth = 2 if t.strategy == "digitalExperience" and len(below) > 2 else 1
        full_name = "/".join(below[:depth])
        is_xml = is_meta and len(below) == depth + 1 and name.startswith(below[depth - 1] + ".")
        collector.add(t, full_name, path, is_xml, root)
        return True
    if t.strategy in MIXED_STRATEGIES:
        folder = below[:1] if t.in_folder and len(below) > 1 else []
        rest = below[len(folder) :]
        if not rest:
            return False
        first = rest[0]
        if len(rest) == 1 and is_meta:
            full_name = "/".join(folder + [base])
        else:
            full_name = "/".join(folder + [first.split(".", 1)[0] if len(rest) == 1 else first])
        collector.add(t, full_name, path, is_meta and len(rest) == 1 and suffix == t.suffix, root)
        return True
    if t.strategy == "decomposed":
        if len(below) == 1:
            return False  # objects/Foo.object-meta.xml outside a folder: let the suffix rules decide
        parent_name = below[0]
        if len(below) == 2 and suffix == t.suffix:
            collector.add(t, parent_name, path, True, root)
            return True
        child = registry.child_by_suffix(t, suffix) if suffix else None
        if child is None:
            return False
        parent = collector.get(t, parent_name, root)
        child_component = collector.add(child, f"{parent_name}.{base}", path, True, root)
        child_component.parent = parent
        return True
    return False


def _attach_decomposed_children(collector: _Collector) -> list[Component]:
    top: list[Component] = []
    for component in collector.components.values():
        if component.parent is not None:
            component.parent.children.append(component)
        else:
            top.append(component)
    return top


def in_file_children(parent: Component, data: bytes, label: str, registry: Registry) -> list[Component]:
    """The child components stored inside a parent's XML (fields of an mdapi object, labels, alerts)."""
    root = parse_tree(data, f"{label}/{parent.xml}").getroot()
    children: list[Component] = []
    for el in root:
        if not isinstance(el.tag, str):
            continue
        child_type = registry.child_by_element(parent.type, etree.QName(el).localname)
        if child_type is None:
            continue
        key = _child_key(el, child_type)
        if key is None:
            raise UsageError(f"{label}/{parent.xml}: a <{child_type.xml_element}> entry has no name")
        full_name = key if child_type.ignore_parent_name else f"{parent.full_name}.{key}"
        children.append(Component(child_type, full_name, parent=parent, package_root=parent.package_root))
    return children


def _child_key(el: etree._Element, child_type: MetadataType) -> str | None:
    for element in child_type.unique_id_elements():
        for sub in el:
            if isinstance(sub.tag, str) and etree.QName(sub).localname == element:
                return (sub.text or "").strip()
    return None
