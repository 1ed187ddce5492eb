"""`sfhotfix delta`: what to deploy and what to delete between two git revisions, laid out as sfdx-git-delta does.

Teams that deploy incrementally with sfdx-git-delta (sgd) keep their pipelines: the output folder holds
``package/package.xml`` (new and changed components, child components included), ``destructiveChanges/
destructiveChanges.xml`` (deleted ones) beside an empty ``destructiveChanges/package.xml``, and with
``--generate-delta`` the changed source files at their repository paths. What changed comes from sfhotfix's
semantic comparison (``compare/changed.py``: git names the changed files, compare judges the components),
so a reformatted file is no change, while each type is laid out the way sgd lays it out:

* a component with its own files (a class, a bundle, a field) is written whole; a child brings its parent's
  file where Salesforce needs it (a master-detail field, a decomposed workflow rule); a new or changed object
  brings its master-detail fields;
* the in-file types (Profile, PermissionSet, Translations, Workflow, CustomLabels, SharingRules…) are written
  pruned to what changed, byte for byte as sgd writes them (``formats/sgd_xml.py``), and listed only when the
  pruned file holds a change; their children (a WorkflowAlert, a CustomLabel) are listed one by one;
* a member both deployed and deleted is only deployed; record types are never deleted (the Metadata API
  cannot); a deleted flow is listed with a warning; a changed flow brings the translations that mention it.

The per-type facts are data: ``metadata_types/delta.json``.

Where sfhotfix differs from sfdx-git-delta 6.31, on purpose (tests/test_delta.py pins each one):

* a file whose text changed but whose component did not (re-indented, moved to another folder of the project)
  is no change; sgd, reading git's line diff, lists and copies it;
* a permission set in one file is pruned like a profile and listed only when the pruned file holds a change,
  as sgd's own reference fixtures prune it (sgd 6.31 copies it whole); an object translation whose pruned file
  is empty is neither written nor listed (sgd writes it) unless one of its field translations changed;
* under decomposePermissionSetBeta the member is the permission set (sgd 6.31 lists the part's folder name);
* the manifests are written as ``sf project convert`` writes them (types by name, members in code-point order,
  a final newline; sgd sorts with a French collator, CustomObject first, no final newline); the API version is
  TO's ``sourceApiVersion`` as written (63.0 without one; sgd: the latest it knows);
* each revision's ``.forceignore`` is honoured; a deleted record type and a changed file no type claims are
  named in warnings (sgd drops both silently); ``--pre-destructive`` / ``--post-destructive`` name the file
  ``destructiveChangesPre.xml`` / ``destructiveChangesPost.xml`` (sgd has no such options);
* no ``--ignore-whitespace``: XML is compared by meaning already; ``--include-file`` delivers every entry of an
  included in-file type (sgd compares it with the repository's first commit).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pathspec
from lxml import etree

from ..compare.changed import ChangedComparison, compare_revisions
from ..compare.units import UNKNOWN, Unit
from ..errors import UsageError
from ..forceignore import ignore_lines
from ..formats import sgd_xml
from ..formats.manifest import SLASHED_FOLDERS, build_manifest
from ..output import ensure_writable, write_files
from ..registry import META_SUFFIX, MetadataType, data_dir

DESTRUCTIVE_NAMES = ("destructiveChanges", "destructiveChangesPre", "destructiveChangesPost")
FLOW, TRANSLATIONS = "Flow", "Translations"
NS = "http://soap.sforce.com/2006/04/metadata"
Member = tuple[str, str]


@dataclass(frozen=True)
class DeltaFacts:
    """``metadata_types/delta.json``: how sgd treats each type (see the comments in the file)."""

    in_file_keys: dict[str, str]
    pruned_files: dict[str, str]
    parent_file_with: dict[str, str]
    children_files_with: dict[str, dict[str, str]]
    parent_listed_with: frozenset[str]
    through_parent: frozenset[str]
    whole_when_decomposed: frozenset[str]
    never_destroyed: dict[str, str]
    warn_when_deleted: dict[str, str]


def _facts_section(data: dict, name: str) -> dict:
    return {k: v for k, v in data.get(name, {}).items() if not k.startswith("_")}


@lru_cache(maxsize=1)
def load_facts() -> DeltaFacts:
    data = json.loads((data_dir() / "delta.json").read_text(encoding="utf-8"))
    return DeltaFacts(
        in_file_keys=_facts_section(data, "inFileKeys"),
        pruned_files=_facts_section(data, "prunedFiles"),
        parent_file_with=_facts_section(data, "parentFileWith"),
        children_files_with=_facts_section(data, "childrenFilesWith"),
        parent_listed_with=frozenset(data.get("parentListedWith", ())),
        through_parent=frozenset(_facts_section(data, "throughParent")),
        whole_when_decomposed=frozenset(_facts_section(data, "wholeWhenDecomposed")),
        never_destroyed=_facts_section(data, "neverDestroyed"),
        warn_when_deleted=_facts_section(data, "warnWhenDeleted"),
    )


# ------------------------------------------------------------------------------------------ request, result


@dataclass(frozen=True)
class DeltaRequest:
    """The options of ``sfhotfix delta``, named as sgd names them where sgd has them."""

    from_rev: str
    output_dir: Path
    to_rev: str = "HEAD"
    repo: Path = Path(".")
    source_dirs: tuple[str, ...] = ()
    api_version: str | None = None
    generate_delta: bool = False
    destructive_name: str = "destructiveChanges"
    force: bool = False
    ignore_file: Path | None = None
    ignore_destructive_file: Path | None = None
    include_file: Path | None = None
    include_destructive_file: Path | None = None


@dataclass
class DeltaResult:
    """What was written: the members of each manifest, the delta's source files, and the warnings."""

    from_commit: str
    to_commit: str
    output_dir: Path
    api_version: str
    package: dict[str, set[str]]
    destructive: dict[str, set[str]]
    destructive_file: str
    files: list[str]
    warnings: list[str]

    def as_json(self) -> dict:
        return {
            "from": self.from_commit,
            "to": self.to_commit,
            "outputDir": str(self.output_dir),
            "apiVersion": self.api_version,
            "package": _sorted_members(self.package),
            "destructiveChanges": _sorted_members(self.destructive),
            "destructiveChangesFile": self.destructive_file,
            "files": self.files,
            "warnings": self.warnings,
        }


def _sorted_members(members: dict[str, set[str]]) -> dict[str, list[str]]:
    return {t: sorted(names) for t, names in sorted(members.items()) if names}


# ------------------------------------------------------------------------------------------ path filters


@dataclass(frozen=True)
class PathFilter:
    """Which changed paths count: ``--source-dir`` folders, and sgd's ignore / include files (gitignore syntax)."""

    source_dirs: tuple[str, ...] = ()
    ignore: pathspec.PathSpec | None = None
    ignore_destructive: pathspec.PathSpec | None = None
    include: pathspec.PathSpec | None = None
    include_destructive: pathspec.PathSpec | None = None

    @classmethod
    def from_request(cls, request: DeltaRequest) -> "PathFilter":
        ignore = _spec(request.ignore_file, "--ignore-file")
        return cls(
            source_dirs=tuple(_folder(d) for d in request.source_dirs),
            ignore=ignore,
            ignore_destructive=_spec(request.ignore_destructive_file, "--ignore-destructive-file") or ignore,
            include=_spec(request.include_file, "--include-file"),
            include_destructive=_spec(request.include_destructive_file, "--include-destructive-file"),
        )

    def in_sources(self, path: str) -> bool:
        return not self.source_dirs or any(_within(path, d) for d in self.source_dirs)

    def unknown_sources(self, *listings: list[str]) -> list[str]:
        """The ``--source-dir`` folders that no file of the listings is in: a typo, most likely, which sgd passes
        over in silence, leaving an empty delta."""
        return [d for d in self.source_dirs if d and not any(_within(f, d) for files in listings for f in files)]

    def keep(self, path: str, status: str) -> bool:
        """sgd's rule: a deletion is judged by the destructive ignore file, anything else by the ignore file."""
        spec = self.ignore_destructive if status == "D" else self.ignore
        return self.in_sources(path) and not (spec is not None and spec.match_file(path))

    def included(self, files: list[str]) -> list[str]:
        """The files the include files name: delivered (or deleted) whatever the diff says."""
        specs = [spec for spec in (self.include, self.include_destructive) if spec is not None]
        if not specs:
            return []
        return [f for f in files if self.in_sources(f) and any(spec.match_file(f) for spec in specs)]

    def writable(self, path: str) -> bool:
        """sgd never writes an ignored file into the delta folder."""
        return self.ignore is None or not self.ignore.match_file(path)


def _within(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or below it ("" is the whole repository)."""
    return folder == "" or path == folder or path.startswith(folder + "/")


def _folder(path: str) -> str:
    folder = path.replace("\\", "/").strip()
    while folder.startswith("./"):
        folder = folder[2:]
    return "" if folder in ("", ".") else folder.strip("/")


def _spec(path: Path | None, option: str) -> pathspec.PathSpec | None:
    if path is None:
        return None
    try:
        lines = ignore_lines(Path(path).read_bytes())
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot read: {exc.strerror or exc}") from None
    return pathspec.GitIgnoreSpec.from_lines(lines)


# ------------------------------------------------------------------------------------------ running


def run_delta(request: DeltaRequest) -> DeltaResult:
    """Compare FROM with TO, plan the delta as sgd lays it out, and write it into the output folder."""
    if request.destructive_name not in DESTRUCTIVE_NAMES:
        raise UsageError(f"destructive file name must be one of {', '.join(DESTRUCTIVE_NAMES)}")
    ensure_writable(request.output_dir, request.force)
    facts = load_facts()
    paths = PathFilter.from_request(request)
    changed = _compare(request, paths, facts)
    delta = Planner(changed, facts, paths, request.generate_delta).plan()
    delta.warnings.extend(f"--source-dir {folder}: no such folder in {changed.from_.tree.label} or "
                          f"{changed.to.tree.label}; nothing below it is in the delta"
                          for folder in paths.unknown_sources(changed.to.tree.files(), changed.from_.tree.files()))
    api_version = request.api_version or changed.to.source.project.source_api_version
    destructive_file = f"destructiveChanges/{request.destructive_name}.xml"
    outputs = {
        "package/package.xml": build_manifest(delta.package, api_version),
        destructive_file: build_manifest(delta.destructive, api_version),
        "destructiveChanges/package.xml": build_manifest({}, api_version),
    }
    clash = sorted(set(outputs) & set(delta.files))
    if clash:
        raise UsageError(f"{clash[0]}: a repository file has the path of a manifest in {request.output_dir}")
    write_files(request.output_dir, {**outputs, **delta.files})
    return DeltaResult(changed.from_.tree.commit, changed.to.tree.commit, request.output_dir, api_version,
                       delta.package, delta.destructive, destructive_file, sorted(delta.files), delta.warnings)


def _compare(request: DeltaRequest, paths: PathFilter, facts: DeltaFacts) -> ChangedComparison:
    """The semantic comparison over what git says changed; the in-file types are left to the planner."""
    return compare_revisions(Path(request.repo), request.from_rev, request.to_rev, paths.keep, paths.included,
                             lambda to, from_: _compared(to, from_, facts),
                             lambda t: t.name not in facts.pruned_files)


def _compared(to: Unit | None, from_: Unit | None, facts: DeltaFacts) -> bool:
    """Whether a unit goes through compare: not the in-file types sgd prunes (judged as sgd judges them, entry
    by entry, see Planner._prune), not an in-file child that is byte for byte the same on both sides."""
    unit = to or from_
    assert unit is not None
    if unit.parent is None:
        return unit.type_name not in facts.pruned_files or _whole(unit, facts)
    if unit.in_file and to is not None and from_ is not None and to.xml is not None and from_.xml is not None:
        return etree.tostring(to.xml, with_tail=False) != etree.tostring(from_.xml, with_tail=False)
    return True


def _whole(unit: Unit, facts: DeltaFacts) -> bool:
    """A permission set decomposed by a preset is written whole (every file of its folder), not pruned."""
    return unit.type_name in facts.whole_when_decomposed and unit.type is not None \
        and unit.type.strategy == "decomposed"


# ------------------------------------------------------------------------------------------ planning


@dataclass
class Delta:
    """The plan: members to deploy and to delete, files of the delta folder (path → bytes), warnings."""

    package: dict[str, set[str]] = field(default_factory=dict)
    destructive: dict[str, set[str]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class Planner:
    """Turns the comparison into sgd's layout, one rule per kind of unit (see the module's docstring)."""

    def __init__(self, changed: ChangedComparison, facts: DeltaFacts, paths: PathFilter, generate: bool):
        self.changed = changed
        self.facts = facts
        self.paths = paths
        self.generate = generate
        self.to_units: dict[tuple[str, str], Unit] = changed.comparison.source_units
        self.from_units: dict[tuple[str, str], Unit] = changed.comparison.target_units
        self.to_tree = changed.to.source.tree
        self.from_tree = changed.from_.source.tree
        self.delta = Delta()
        self._touched: set[tuple[str, str]] = set()  # parents whose non-addressable children changed

    def plan(self) -> Delta:
        events = self._events()
        for key, status in events.items():
            self._child_touches_parent(key, status)
        for key, status in events.items():
            self._apply(key, status)
        self._pruned_files()
        self._included()
        self._flow_translations()
        self._deploy_wins()
        return self.delta

    # ---- what changed

    def _events(self) -> dict[tuple[str, str], str]:
        """Unit key → new, changed or deleted, from the comparison's rows (subcomponent rows left out)."""
        events: dict[tuple[str, str], str] = {}
        for row in self.changed.comparison.rows:
            if row.status == "identical" or "." in row.type:
                continue
            if row.type == UNKNOWN:
                self.delta.warnings.append(f"{row.full_name}: no metadata type claims this file; left out of the delta")
                continue
            events[(row.type, row.full_name)] = row.status
        return events

    def _unit(self, key: tuple[str, str]) -> Unit | None:
        return self.to_units.get(key) or self.from_units.get(key)

    # ---- rules

    def _through_parent(self, unit: Unit) -> bool:
        """A child with a file of its own that is deployed and deleted as its parent: one the Metadata API
        cannot address alone, or one sgd names by its parent (a site's view: its bundle)."""
        return unit.parent is not None and not unit.in_file and unit.type is not None and (
            not unit.type.addressable or unit.type_name in self.facts.through_parent)

    def _child_touches_parent(self, key: tuple[str, str], status: str) -> None:
        """Note the in-file parents whose unaddressable child changed: they are written even when their own
        pruned file is empty (sgd: a field translation is not deployable without its object translation)."""
        unit = self._unit(key)
        if unit is not None and self._through_parent(unit) and unit.parent in self.to_units \
                and self.to_units[unit.parent].type_name in self.facts.pruned_files:
            self._touched.add(unit.parent)

    def _redeploy_parent(self, unit: Unit) -> None:
        """A change to a child the Metadata API cannot address (a field translation, a decomposed permission
        set's part) redeploys its parent; an in-file parent is handled with the pruned files."""
        parent = self.to_units.get(unit.parent) if unit.parent else None
        if parent is None or parent.type_name in self.facts.pruned_files and not _whole(parent, self.facts):
            return
        self._list(self.delta.package, parent)
        if _whole(parent, self.facts):
            self._write_folder_of(parent)
        else:
            self._write_unit(parent)

    def _apply(self, key: tuple[str, str], status: str) -> None:
        unit = self._unit(key)
        if unit is None or unit.type is None:
            return
        if status == "deleted":
            self._destroy(unit)
            return
        if unit.parent is None:
            self._deploy_component(unit)
        elif unit.in_file:
            self._deploy_in_file_child(unit)
        else:
            self._deploy_decomposed_child(unit)

    def _deploy_component(self, unit: Unit) -> None:
        self._list(self.delta.package, unit)
        if _whole(unit, self.facts):
            self._write_folder_of(unit)
        else:
            self._write_unit(unit)
        for child_type, marker in self.facts.children_files_with.get(unit.type_name, {}).items():
            self._write_children_containing(unit, child_type, marker)

    def _deploy_in_file_child(self, unit: Unit) -> None:
        """A child inside its parent's file: listed; the file is the parent's (pruned, or whole)."""
        if unit.type is not None and unit.type.addressable:
            self._list(self.delta.package, unit)
        parent = self.to_units.get(unit.parent) if unit.parent else None
        if parent is not None and parent.type_name not in self.facts.pruned_files:
            self._write_unit(parent)

    def _deploy_decomposed_child(self, unit: Unit) -> None:
        """A child with a file of its own: listed (or its parent, when the child is not addressable) and written,
        with its parent's file where sgd writes it."""
        if self._through_parent(unit):
            self._redeploy_parent(unit)
        else:
            self._list(self.delta.package, unit)
        self._write_unit(unit)
        parent = self.to_units.get(unit.parent) if unit.parent else None
        if parent is None:
            return
        if unit.type_name in self.facts.parent_listed_with:
            self._list(self.delta.package, parent)
        marker = self.facts.parent_file_with.get(unit.type_name)
        if marker is not None and parent.component is not None and parent.component.xml is not None \
                and (marker == "" or marker.encode() in b"".join(self._read_to(p) for p in unit.files)):
            self._write_files([parent.component.xml])

    def _destroy(self, unit: Unit) -> None:
        """A deleted component or child goes to destructiveChanges.xml, except what sgd never deletes."""
        if unit.type is None:
            return
        if self._through_parent(unit):
            self._redeploy_parent(unit)  # the Metadata API cannot delete it alone, or sgd names its parent
            return
        if unit.parent is None and self.facts.pruned_files.get(unit.type_name) in ("container", "children"):
            return  # an in-file container is never deleted itself, only its children
        warning = self.facts.warn_when_deleted.get(unit.type_name)
        if warning is not None:
            self.delta.warnings.append(f"{unit.type_name}:{unit.full_name} was deleted: {warning}")
        self._list(self.delta.destructive, unit)

    # ---- the in-file types

    def _pruned_files(self) -> None:
        """Each changed file of an in-file type, pruned as sgd prunes it; listed when the pruned file holds a change."""
        keys = {*self.to_units, *self.from_units}
        for key in sorted(keys):
            unit = self._unit(key)
            if unit is None or unit.parent is not None or unit.type_name not in self.facts.pruned_files \
                    or _whole(unit, self.facts):
                continue
            self._prune(self.to_units.get(key), self.from_units.get(key), key in self._touched)

    def _prune(self, to: Unit | None, from_: Unit | None, touched: bool) -> None:
        """sgd's in-file handling of one file: its children listed entry by entry, the file pruned."""
        unit = to or from_
        assert unit is not None
        mode = self.facts.pruned_files[unit.type_name]
        after_path = to.component.xml if to is not None and to.component is not None else None
        before_path = from_.component.xml if from_ is not None and from_.component is not None else None
        after = self._read_to(after_path) if after_path else b""
        before = self.from_tree.read(before_path) if before_path else b""
        if before == after and not touched:
            return
        pruned = sgd_xml.prune_documents(before, after, self.facts.in_file_keys,
                                         f"{(self.to_tree if after_path else self.from_tree).label}/{after_path or before_path}",
                                         self._member_tags(unit))
        self._list_children(unit, pruned)
        if to is None:
            if mode == "pruneOnly":
                self._destroy(unit)
            return
        if (pruned.empty and not touched) or after_path is None:
            return
        if mode != "children":
            self._list(self.delta.package, to)
        if self.generate and self.paths.writable(after_path):
            self.delta.files[after_path] = pruned.xml

    def _member_tags(self, unit: Unit) -> frozenset[str]:
        """The tags of a pruned file whose entries are components of their own (``alerts``, ``labels``…)."""
        registry = self.changed.to.source.registry
        return frozenset(c.xml_element or c.directory_name for c in registry.children_of(unit.type)
                         if c.addressable) if unit.type is not None else frozenset()

    def _list_children(self, unit: Unit, pruned: sgd_xml.Pruned) -> None:
        """The entries sgd lists: new or changed ones to deploy, deleted ones to delete."""
        registry = self.changed.to.source.registry
        for found, store in ((pruned.changed, self.delta.package), (pruned.deleted, self.delta.destructive)):
            for tag, names in found.items():
                child = registry.child_by_element(unit.type, tag) if unit.type is not None else None
                if child is None:
                    continue
                for name in names:
                    self._list_member(store, child, name if child.ignore_parent_name else f"{unit.full_name}.{name}")

    # ---- include files

    def _included(self) -> None:
        """Components the include files name: delivered (--include-file) or deleted (--include-destructive-file)."""
        for spec, store in ((self.paths.include, self.delta.package), (self.paths.include_destructive, None)):
            if spec is None:
                continue
            for key, unit in self.to_units.items():
                if not any(spec.match_file(p) for p in unit.files):
                    continue
                if store is None:
                    self._destroy_included(unit)
                elif unit.type_name in self.facts.pruned_files and unit.parent is None and not _whole(unit, self.facts):
                    self._include_pruned(unit)
                else:
                    self._apply(key, "new")

    def _include_pruned(self, unit: Unit) -> None:
        path = unit.component.xml if unit.component is not None else None
        if path is None:
            return
        pruned = sgd_xml.prune_documents(b"", self._read_to(path), self.facts.in_file_keys, path, self._member_tags(unit))
        self._list_children(unit, pruned)
        if self.facts.pruned_files[unit.type_name] != "children":
            self._list(self.delta.package, unit)
        if self.generate and self.paths.writable(path):
            self.delta.files[path] = pruned.xml

    def _destroy_included(self, unit: Unit) -> None:
        if unit.type is None:
            return
        mode = self.facts.pruned_files.get(unit.type_name) if unit.parent is None else None
        if mode in ("container", "children") and unit.component is not None and unit.component.xml:
            everything = sgd_xml.prune_documents(self._read_to(unit.component.xml), b"", self.facts.in_file_keys,
                                                 unit.component.xml, self._member_tags(unit))
            self._list_children(unit, everything)  # sgd compares the other way round: every entry is deleted
            return
        self._destroy(unit)

    # ---- flows and their translations

    def _flow_translations(self) -> None:
        """sgd's FlowTranslationProcessor: a deployed flow brings every translation file that mentions it."""
        flows = self.delta.package.get(FLOW)
        if not flows:
            return
        candidates = [f for f in self.changed.to.files
                      if f.removesuffix(META_SUFFIX).endswith(".translation") and self.paths.in_sources(f)
                      and self.paths.writable(f)]
        contents = self.changed.to.tree.read_many(candidates)
        names = [f"<fullName>{flow}</fullName>".encode() for flow in flows]
        for path in candidates:
            data = contents[path]
            if b"<flowDefinitions" not in data or not any(name in data for name in names):
                continue
            document = sgd_xml.parse(data, f"{self.to_tree.label}/{path}")
            definitions = [d for d in _cast_list(_child(document.get(TRANSLATIONS), "flowDefinitions"))
                           if isinstance(d, dict) and d.get("fullName") in flows]
            if not definitions:
                continue
            name = path.rsplit("/", 1)[-1].removesuffix(META_SUFFIX).removesuffix(".translation")
            self.delta.package.setdefault(TRANSLATIONS, set()).add(name)
            if self.generate:
                self.delta.files[path] = _with_flow_definitions(self.delta.files.get(path), definitions)

    # ---- listing and writing

    def _list(self, store: dict[str, set[str]], unit: Unit) -> None:
        if unit.type is not None:
            self._list_member(store, unit.type, unit.full_name)

    def _list_member(self, store: dict[str, set[str]], t: MetadataType, full_name: str) -> None:
        """A member as package.xml names it (folders under the type they hold, report folders with a slash)."""
        if not t.addressable:
            return
        if store is self.delta.destructive and t.name in self.facts.never_destroyed:
            self.delta.warnings.append(f"{t.name}:{full_name} was deleted but is not in destructiveChanges: "
                                       f"{self.facts.never_destroyed[t.name]}")
            return
        name = f"{full_name}/" if t.name in SLASHED_FOLDERS else full_name
        store.setdefault(t.folder_content_type or t.name, set()).add(name)

    def _deploy_wins(self) -> None:
        """sgd's rule: a member listed for deployment is not also deleted (a component moved between folders)."""
        for type_name, names in list(self.delta.destructive.items()):
            names -= self.delta.package.get(type_name, set())
            if not names:
                del self.delta.destructive[type_name]

    def _read_to(self, path: str) -> bytes:
        return self.to_tree.read(path)

    def _write_unit(self, unit: Unit) -> None:
        """A unit's own files as TO holds them (an in-file child has none of its own)."""
        if unit.in_file or unit.key not in self.to_units:
            return
        self._write_files(unit.files)

    def _write_files(self, paths: list[str]) -> None:
        if not self.generate:
            return
        for path in paths:
            if path not in self.delta.files and self.paths.writable(path):
                self.delta.files[path] = self._read_to(path)

    def _write_folder_of(self, unit: Unit) -> None:
        """Every file of a decomposed component, read from the whole listing of TO (sgd copies the folder)."""
        if not self.generate or unit.component is None or unit.component.xml is None:
            return
        folder = unit.component.xml.rsplit("/", 1)[0] + "/"
        paths = [f for f in self.changed.to.files if f.startswith(folder)]
        contents = self.changed.to.tree.read_many(p for p in paths if p not in self.delta.files and self.paths.writable(p))
        self.delta.files.update(contents)

    def _write_children_containing(self, unit: Unit, child_type: str, marker: str) -> None:
        """Children of a new or changed parent whose file holds ``marker`` (sgd: the object's master-detail fields)."""
        if not self.generate or unit.component is None or unit.component.xml is None or unit.type is None:
            return
        child = next((c for c in self.changed.to.source.registry.children_of(unit.type) if c.name == child_type), None)
        if child is None or not child.suffix:
            return
        folder = f"{unit.component.xml.rsplit('/', 1)[0]}/{child.directory_name}/"
        ending = f".{child.suffix}{META_SUFFIX}"
        paths = [f for f in self.changed.to.files if f.startswith(folder) and f.endswith(ending)]
        contents = self.changed.to.tree.read_many(paths)
        for path, data in contents.items():
            if marker.encode() in data and path not in self.delta.files and self.paths.writable(path):
                self.delta.files[path] = data


def _child(node: object, name: str) -> object:
    return node.get(name) if isinstance(node, dict) else None


def _cast_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _with_flow_definitions(existing: bytes | None, definitions: list) -> bytes:
    """The translation file sgd writes: the pruned one already in the delta (or an empty one) plus the flows'
    definitions it does not name yet."""
    if existing is not None:
        document = sgd_xml.parse(existing)
    else:
        document = {sgd_xml.DECLARATION_KEY: {"@_version": "1.0", "@_encoding": "UTF-8"},
                    TRANSLATIONS: {"@_xmlns": NS, "flowDefinitions": []}}
    root = document.get(TRANSLATIONS)
    if not isinstance(root, dict):
        root = document[TRANSLATIONS] = {}
    present = _cast_list(root.get("flowDefinitions"))
    names = {d.get("fullName") for d in present if isinstance(d, dict)}
    root["flowDefinitions"] = present + [d for d in definitions if d.get("fullName") not in names]
    return sgd_xml.build(document)


def describe(result: DeltaResult) -> list[str]:
    """The lines ``sfhotfix delta`` prints without --json."""
    deploy = sum(len(v) for v in result.package.values())
    delete = sum(len(v) for v in result.destructive.values())
    lines = [f"{deploy} member(s) to deploy: {result.output_dir / 'package' / 'package.xml'}",
             f"{delete} member(s) to delete: {result.output_dir / result.destructive_file}"]
    if result.files:
        lines.append(f"{len(result.files)} source file(s) written under {result.output_dir}")
    return lines


