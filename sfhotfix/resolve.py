"""Resolve a tree of files into components, in either file format.

Metadata-API format keeps each type in its directory at the root (``objects/Account.object``);
source format (SFDX) nests package directories anywhere and marks metadata files with ``-meta.xml``,
splitting decomposed types into folders. The rules follow Salesforce's resolver: a strict directory
name in the path decides the type first (bundles, static resources, decomposed objects), then the
``-meta.xml`` suffix, then a folder's ``-meta.xml``, then the bare file suffix. Which rule applies to
which type is read from the registry; nothing here names a type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, NamedTuple

from .components import Component, ResolvedTree
from .errors import UsageError
from .forceignore import ForceIgnore
from .registry import META_SUFFIX, MetadataType, Registry

if TYPE_CHECKING:
    from .tree import FileTree

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
    """Gathers files into components keyed by (type, fullName), keeping first-seen order.

    A component's metadata file found twice (in two package directories) is read as :func:`second_file` says:
    custom labels get one component per file, each with the labels inside it; a decomposed parent
    (``objects/Account``) takes its children from every directory and its own content from the file of the
    first directory in ``packages`` (the project's order); any other (one class in two package directories) is
    refused, where the converter would quietly deploy whichever file it read last.
    """

    def __init__(self, label: str = "", packages: tuple[str, ...] = ()) -> None:
        self.components: dict[tuple[str, ...], Component] = {}
        self.unknown: list[str] = []
        self.label = label
        self.packages = packages

    def get(self, t: MetadataType, full_name: str, package_root: str = "") -> Component:
        key = (t.name, full_name)
        if key not in self.components:
            self.components[key] = Component(t, full_name, package_root=package_root)
        return self.components[key]

    def add(self, t: MetadataType, full_name: str, path: str, is_xml: bool, package_root: str = "") -> Component:
        component = self.get(t, full_name, package_root)
        if not is_xml:
            component.content.append(path)
        elif component.xml is None:
            component.xml = path
        elif second_file(t) == SPLIT:
            component = self.components[(t.name, full_name, path)] = Component(t, full_name, path,
                                                                             package_root=package_root)
        elif second_file(t) == REFUSED:
            raise in_two_files(t, full_name, self.label, component.xml, path)
        elif self._package(path) < self._package(component.xml):
            component.xml = path
        return component

    def _package(self, path: str) -> int:
        """The position of a path's package directory in the project."""
        return next((i for i, prefix in enumerate(self.packages) if path.startswith(prefix)), len(self.packages))


SPLIT, PASSED_OVER, REFUSED = "split", "passed over", "refused"


def second_file(t: MetadataType) -> str:
    """What a component's metadata file found a second time is (in another package directory), as Salesforce's
    converter reads it: custom labels are SPLIT across files; a decomposed parent's file is PASSED_OVER but for
    the first package directory's; any other is REFUSED (see _Collector)."""
    if t.transformer == "nonDecomposed":
        return SPLIT
    return PASSED_OVER if t.strategy == "decomposed" else REFUSED


def in_two_files(t: MetadataType, full_name: str, label: str, first: str, second: str) -> UsageError:
    """The error for a component whose metadata file is in two places (see _Collector)."""
    where = f"{label}/" if label else ""
    return UsageError(f"{t.name}:{full_name} is in two files, {where}{first} and {where}{second}: keep one (a "
                      "deploy cannot take both)")


def text_paths(paths: list[str], label: str) -> list[str]:
    """``paths``, refused with a one-line error where one is not UTF-8: the disk and git allow any bytes in a
    name, but Salesforce's names, the JSON and HTML reports and the manifests are text."""
    if not "".join(paths).isascii():
        for path in paths:
            try:
                path.encode("utf-8")
            except UnicodeEncodeError:
                shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                raise UsageError(f"{label}/{shown}: the file name is not UTF-8; rename or remove the file") from None
    return paths


def resolve(
    tree: FileTree,
    registry: Registry,
    fmt: str | None = None,
    forceignore: ForceIgnore | None = None,
    with_children: bool = True,
    placer: PathResolver | None = None,
    root: str = "",
    packages: tuple[str, ...] | None = None,
) -> ResolvedTree:
    """Every component of ``tree``; files no type claims are listed in ``unknown``, never dropped.

    ``placer`` may bring the folder decisions a PathResolver of the same registry and format made already.
    ``root`` is a metadata-API tree's package folder (see sources.mdapi_root); ``packages`` a project's
    package directories, in its order (Setup.package_prefixes).
    """
    files = tree.files()
    forceignore = forceignore or ForceIgnore()
    kept: list[str] = []
    ignored: list[str] = []
    for path in files:
        (ignored if forceignore.denies(path) else kept).append(path)
    text_paths(kept, tree.label)
    fmt = fmt or detect_format(kept, registry)
    collector = _Collector(tree.label, packages or ())
    resolver = placer or PathResolver(registry, fmt, root)
    place = resolver.place
    for path in kept:
        placed = place(path)
        if placed is None:
            collector.unknown.append(path)
        elif placed:
            t, full_name, is_xml, root, parent = placed
            owner = collector.get(parent[0], parent[1], root) if parent is not None else None  # parents first
            component = collector.add(t, full_name, path, is_xml, root)
            if owner is not None:
                component.parent = owner
    components = _attach_decomposed_children(collector)
    if with_children:
        for component in components:
            if component.type.children and component.xml and not component.children:
                component.children = in_file_children(component, tree.read(component.xml), tree.label, registry)
    return ResolvedTree(fmt, components, collector.unknown, ignored, resolver.root if fmt == "mdapi" else "")


# Where a path belongs: (type, fullName, is_xml, package root, decomposed parent as (type, fullName) or None);
# None for a file no type claims; SKIPPED for a manifest at a metadata-API root (neither component nor unknown).
Placement = tuple[MetadataType, str, bool, str, "tuple[MetadataType, str] | None"]
SKIPPED: tuple = ()

# How a file's name completes its placement, once its folder and suffix are known (see _Rule)
_BASE, _CONSTANT, _BUNDLE_FILE, _NAME_STEM, _NAME, _ROOT_FILE = range(6)


class _Rule(NamedTuple):
    """What a folder decides for every file of one suffix there (``-meta.xml`` or not).

    ``form`` says what the file's own name adds: _BASE, the fullName is ``prefix`` + the name without its
    suffixes; _CONSTANT, the fullName is ``prefix``; _BUNDLE_FILE, the same, and the file is the bundle's
    metadata when its name starts with ``xml_prefix``; _NAME_STEM, ``prefix`` + the name up to its first
    dot; _NAME, ``prefix`` + the name without ``-meta.xml``; _ROOT_FILE, a file at a metadata-API root: a
    manifest, skipped, or unknown.
    """

    form: int
    type: MetadataType
    prefix: str
    is_xml: bool
    root: str
    parent: tuple[MetadataType, str] | None = None
    xml_prefix: str = ""


class PathResolver:
    """Places each path of a tree in its component, by its folder and its name alone.

    A tree of 45,000 files has a few thousand folders and a few suffixes in each: every decision is made
    once per folder and suffix (a ``_Rule``), leaving a split of the name and a dictionary look-up per
    file. The rules are Salesforce's (module docstring). The same path is placed the same way in any tree
    of the same format and registry, which is what lets a comparison of two revisions place only the
    paths that changed.
    """

    def __init__(self, registry: Registry, fmt: str, root: str = ""):
        self.registry = registry
        self.root = root  # a metadata-API tree's package folder ("src" in the Ant layout; "" for the top)
        self._folders: dict[str, tuple[dict, dict, _SourceFolder | _MdapiFolder]] = {}
        if fmt == "source":
            self._folder_rules: Callable[[str, Registry], _SourceFolder | _MdapiFolder] = _SourceFolder
        else:
            self._folder_rules = lambda folder, registry: _MdapiFolder(folder, registry, root)

    def place(self, path: str) -> Placement | None | tuple:
        folder, _, name = path.rpartition("/")
        rules = self._folders.get(folder)
        if rules is None:
            rules = self._folders[folder] = ({}, {}, self._folder_rules(folder, self.registry))
        is_meta = name.endswith(META_SUFFIX)
        stem = name[:-_META_LENGTH] if is_meta else name
        base, dot, suffix = stem.rpartition(".")
        if not dot:
            base, suffix = stem, None
        by_suffix = rules[is_meta]
        rule = by_suffix.get(suffix, _UNDECIDED)
        if rule is _UNDECIDED:
            rule = by_suffix[suffix] = rules[2].rule(suffix, is_meta)
        if rule is None or rule is SKIPPED:
            return rule
        form = rule.form
        if form == _BASE:
            full_name = rule.prefix + base
        elif form == _CONSTANT:
            full_name = rule.prefix
        elif form == _BUNDLE_FILE:
            return (rule.type, rule.prefix, is_meta and name.startswith(rule.xml_prefix), rule.root, None)
        elif form == _NAME_STEM:
            full_name = rule.prefix + name.split(".", 1)[0]
        elif form == _NAME:
            full_name = rule.prefix + stem
        else:
            return SKIPPED if name in MANIFEST_NAMES else None
        return (rule.type, full_name, rule.is_xml, rule.root, rule.parent)


_UNDECIDED = object()
_META_LENGTH = len(META_SUFFIX)
_ROOT_RULE = _Rule(_ROOT_FILE, None, "", False, "")  # type: ignore[arg-type]


class _MdapiFolder:
    """Metadata-API format: the type's directory is the first folder below the package root
    (``objects/Account.object``, ``src/objects/Account.object``); nothing outside the root is metadata."""

    def __init__(self, folder: str, registry: Registry, root: str = ""):
        self.root = root
        self.outside = bool(root) and folder != root and not folder.startswith(root + "/")
        below = folder[len(root) + 1:] if root else folder
        self.dirs = [] if self.outside or not below else below.split("/")
        self.candidates = registry.by_directory(self.dirs[0]) if self.dirs else []
        self.folder_prefix = "".join(part + "/" for part in self.dirs[1:])
        self.registry = registry

    def rule(self, suffix: str | None, is_meta: bool) -> _Rule | None | tuple:
        dirs, candidates, root = self.dirs, self.candidates, self.root
        if self.outside:
            return None
        if not dirs:
            return _ROOT_RULE
        if not candidates:
            return None
        # a folder's own metadata: reports/Sales-meta.xml
        folder_type = next((t for t in candidates if t.folder_content_type and not t.alias_for), None)
        if is_meta and suffix is None and folder_type is not None:
            return _Rule(_BASE, folder_type, self.folder_prefix, True, root)
        bundle = next((t for t in candidates if t.strategy in BUNDLE_STRATEGIES), None)
        if bundle is not None and bundle.strategy == "digitalExperience":
            return _site_rule(self.registry, bundle, dirs[1:], root)
        if bundle is not None and len(dirs) > 1:
            return _Rule(_BUNDLE_FILE, bundle, dirs[1], False, root, xml_prefix=dirs[1] + ".")
        t = next((t for t in candidates if suffix is not None and t.suffix == suffix and not t.alias_for), None)
        nested = _nested(self.registry, dirs, suffix) if t is None and len(dirs) == 3 else None
        if nested is not None:  # territory2Models/M1/rules/R1.territory2Rule: Territory2Rule M1.R1
            return _Rule(_BASE, nested, dirs[1] + ".", True, root)
        if t is None:
            mixed = next((c for c in candidates if c.strategy in MIXED_STRATEGIES), None)
            if mixed is None:
                return None
            # documents/Folder/logo.png(-meta.xml): the fullName keeps the file's extension
            if mixed.in_folder:
                return _Rule(_NAME, mixed, self.folder_prefix, is_meta, root)
            if len(dirs) > 1:
                return _Rule(_CONSTANT, mixed, dirs[1].split(".", 1)[0], is_meta, root)
            return _Rule(_NAME_STEM, mixed, "", is_meta, root)
        is_xml = is_meta if t.has_content_file else True
        if t.in_folder:
            return _Rule(_BASE, t, self.folder_prefix, is_xml, root)
        if t.strategy in MIXED_STRATEGIES and len(dirs) > 1:
            return _Rule(_CONSTANT, t, dirs[1].split(".", 1)[0], is_xml, root)
        return _Rule(_BASE, t, "", is_xml, root)


class _SourceFolder:
    """Source format: a strict directory anywhere above decides first (bundles, static resources, decomposed
    objects), then the file's suffix, the type's directory above it giving the package root."""

    def __init__(self, folder: str, registry: Registry):
        self.registry = registry
        self.folder = folder
        self.dirs = folder.split("/") if folder else []
        self.strict: tuple[MetadataType, list[str], str] | None = None  # type, folders below it, package root
        for index, part in enumerate(self.dirs):
            t = registry.strict_directories.get(part)
            if t is not None:
                self.strict = (t, self.dirs[index + 1:], "/".join(self.dirs[:index]))
                break

    def rule(self, suffix: str | None, is_meta: bool) -> _Rule | None:
        decided = self._strict_rule(suffix, is_meta) if self.strict is not None else None
        if decided is not None:
            return decided
        if suffix is None:
            return None
        t = self.registry.by_suffix(suffix)
        if t is None or t.strategy in BUNDLE_STRATEGIES:
            return None
        dirs = self.dirs
        type_index = next((i for i in range(len(dirs) - 1, -1, -1) if dirs[i] == t.directory_name), -1)
        root = "/".join(dirs[:type_index]) if type_index >= 0 else self.folder
        prefix = ""
        if (t.in_folder or t.folder_content_type) and type_index >= 0:
            prefix = "".join(part + "/" for part in dirs[type_index + 1:])
        elif type_index >= 2 and _nested(self.registry, dirs[type_index - 2:type_index + 1], suffix) is t:
            # territory2Models/M1/territories/T1.territory2-meta.xml: Territory2 M1.T1, the package root above
            prefix, root = dirs[type_index - 1] + ".", "/".join(dirs[:type_index - 2])
        return _Rule(_BASE, t, prefix, is_meta or not t.has_content_file, root)

    def _strict_rule(self, suffix: str | None, is_meta: bool) -> _Rule | None:
        """What the strict directory above decides; None leaves the file to the suffix rules."""
        assert self.strict is not None
        t, below, root = self.strict
        depth_below = len(below) + 1  # with the file's own name
        if t.strategy == "digitalExperience":
            return _site_rule(self.registry, t, below, root)
        if t.strategy in BUNDLE_STRATEGIES:
            if depth_below < 2:
                return None
            full_name = below[0]
            if depth_below == 2:  # directly in the bundle's folder: maybe its metadata file
                return _Rule(_BUNDLE_FILE, t, full_name, False, root, xml_prefix=below[0] + ".")
            return _Rule(_CONSTANT, t, full_name, False, root)
        if t.strategy in MIXED_STRATEGIES:
            if t.folder_type and is_meta and suffix == self.registry.get(t.folder_type).suffix:
                # documents/Docs.documentFolder-meta.xml: the folder's own file, not a document
                return _Rule(_BASE, self.registry.get(t.folder_type), "".join(part + "/" for part in below), True, root)
            folder = below[:1] if t.in_folder and depth_below > 1 else []
            prefix = folder[0] + "/" if folder else ""
            rest = below[len(folder):]
            if rest:  # a file in a folder of the resource: that folder names it
                return _Rule(_CONSTANT, t, prefix + rest[0], False, root)
            if is_meta:
                return _Rule(_BASE, t, prefix, suffix == t.suffix, root)
            return _Rule(_NAME_STEM, t, prefix, False, root)
        if t.strategy == "decomposed":
            if depth_below == 1:
                return None  # objects/Foo.object-meta.xml outside a folder: the suffix rules decide
            parent_name = below[0]
            if depth_below == 2 and suffix == t.suffix:
                return _Rule(_CONSTANT, t, parent_name, True, root)
            child = self.registry.child_by_suffix(t, suffix) if suffix else None
            if child is not None:
                return _Rule(_BASE, child, parent_name + ".", True, root, (t, parent_name))
        elif suffix == t.suffix:  # a type whose suffix another shares: sites/E_Bikes.site-meta.xml is a CustomSite,
            return _Rule(_BASE, t, "", is_meta or not t.has_content_file, root)  # though .site alone names SiteDotCom
        return None


def _site_rule(registry: Registry, t: MetadataType, below: list[str], root: str) -> _Rule | None:
    """A file of an Experience Cloud site (``digitalExperiences/site/Shop/…``, the same in both formats), as
    Salesforce's converter reads it: ``Shop.digitalExperience-meta.xml`` in the site's folder is the bundle
    ``site/Shop``; everything in ``<content type>/<content name>/`` (``_meta.json``, ``content.json``, a
    mobile variant below) is the DigitalExperience ``site/Shop.sfdc_cms__view/home``, a child of the bundle
    made of content files only. ``below`` are the folders below ``digitalExperiences``."""
    if len(below) < 2:
        return None
    bundle = f"{below[0]}/{below[1]}"
    if len(below) < 4:  # the site's own folder (its metadata file), or a file no content folder holds
        return _Rule(_BUNDLE_FILE, t, bundle, False, root, xml_prefix=below[1] + ".")
    child = next(iter(registry.children_of(t)), None)
    if child is None:
        return None
    return _Rule(_CONSTANT, child, f"{bundle}.{below[2]}/{below[3]}", False, root, (t, bundle))


def _nested(registry: Registry, dirs: list[str], suffix: str | None) -> MetadataType | None:
    """The type of a file in ``<folder type's directory>/<folder>/<its directory>`` (``dirs``), named
    ``<folder>.<name>``: Salesforce's converter nests territories and territory rules so in their model's
    folder (a type with a folderType that is not its own and is not in folders)."""
    t = registry.by_suffix(suffix) if suffix else None
    if t is None or not t.folder_type or t.folder_type == t.name or t.in_folder or dirs[2] != t.directory_name:
        return None
    return t if registry.get(t.folder_type).directory_name == dirs[0] else None


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
    return [Component(child_type, full_name, parent=parent, package_root=parent.package_root)
            for child_type, full_name in in_file_child_keys(parent.type, parent.full_name, data,
                                                            f"{label}/{parent.xml}", registry)]


def in_file_child_keys(parent_type: MetadataType, parent_name: str, data: bytes, source: str,
                       registry: Registry) -> list[tuple[MetadataType, str]]:
    """Type and fullName of each child inside a parent's XML, in the file's order; ``source`` names the file
    in errors. Twenty thousand custom labels in one file are read in a few tens of milliseconds."""
    from .xmlio import parse_tree  # imported here: placing paths needs no XML

    root = parse_tree(data, source, keep_blanks=False).getroot()  # names only: the indentation is not read
    by_element: dict[str, MetadataType] = {}
    for child in registry.children_of(parent_type):
        by_element.setdefault(child.xml_element or child.directory_name, child)
    keys: list[tuple[MetadataType, str]] = []
    for el in root:
        tag = el.tag
        if not isinstance(tag, str):
            continue
        child_type = by_element.get(tag.rpartition("}")[2])
        if child_type is None:
            continue
        key = _child_key(el, child_type)
        if key is None:
            raise UsageError(f"{source}: a <{child_type.xml_element}> entry has no name")
        keys.append((child_type, key if child_type.ignore_parent_name else f"{parent_name}.{key}"))
    return keys


def _child_key(el, child_type: MetadataType) -> str | None:
    """The text of the entry's first naming element, by the type's order of preference (any namespace)."""
    wanted = child_type.unique_id_elements()
    found: dict[str, str] = {}
    for sub in el:
        tag = sub.tag
        if isinstance(tag, str):
            name = tag.rpartition("}")[2]
            if name == wanted[0]:
                return (sub.text or "").strip()
            if name in wanted and name not in found:
                found[name] = (sub.text or "").strip()
    return next((found[name] for name in wanted if name in found), None)
