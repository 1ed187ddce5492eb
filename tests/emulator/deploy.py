"""What a deploy of a zip does to the emulated org: the DeployResult it earns and the change it makes.

Why: a deploy is checked completely when it is submitted (package.xml, files named but missing, malformed
XML with line and column, the ``SFHOTFIX_FAIL`` marker, destructive changes, Apex tests and coverage), and
the verdict is revealed by later checkDeployStatus polls. The change itself is kept as a function run only
when a non-checkOnly deploy completes successfully, so a canceled or failed deploy leaves the org untouched,
and a quick deploy (deployRecentValidation) can re-plan the validated zip against the org of its own time.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass, field
from typing import Callable

from . import apex, sfxml
from .fileset import Component, FileSet
from .ids import component_id
from .org import Org, User, merge_parent, value_of
from .registry import BUNDLE_STRATEGIES

FAIL_MARKER = "SFHOTFIX_FAIL"
DESTRUCTIVE = ("destructiveChangesPre.xml", "destructiveChanges.xml", "destructiveChangesPost.xml")


@dataclass
class DeployOptions:
    check_only: bool = False
    test_level: str | None = None
    run_tests: list[str] = field(default_factory=list)
    rollback_on_error: bool = True
    single_package: bool = False
    allow_missing_files: bool = False
    ignore_warnings: bool = False
    purge_on_delete: bool = False
    auto_update_package: bool = False
    perform_retrieve: bool = False

    @property
    def effective_test_level(self) -> str:
        return self.test_level or "NoTestRun"


@dataclass
class DeployPlan:
    """The verdict on one zip and the change it would make."""

    successes: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    tests: apex.RunResult | None = None
    tests_ran: bool = False
    status: str = "Succeeded"
    error_message: str | None = None
    error_status_code: str | None = None
    components_total: int = 0
    apply: Callable[[], None] | None = None

    @property
    def success(self) -> bool:
        return self.status in ("Succeeded", "SucceededPartial")

    @property
    def component_errors(self) -> int:
        return sum(
            1 for f in self.failures
            if f["problemType"] == "Error" and (f.get("componentType") or f["fullName"] != "package.xml")
        )


def message(
    comp_type: str,
    full_name: str,
    file_name: str,
    *,
    success: bool,
    created_date: str,
    changed: bool = False,
    created: bool = False,
    deleted: bool = False,
    id: str | None = None,
    line: int | None = None,
    column: int | None = None,
    problem: str | None = None,
    problem_type: str | None = None,
) -> dict:
    """A DeployMessage, keys in WSDL order."""
    return {
        "changed": changed,
        "columnNumber": column,
        "componentType": comp_type,
        "created": created,
        "createdDate": created_date,
        "deleted": deleted,
        "fileName": file_name,
        "fullName": full_name,
        "id": id,
        "lineNumber": line,
        "problem": problem,
        "problemType": problem_type,
        "success": success,
    }


def _marker_positions(data: bytes) -> list[tuple[int, int, str]]:
    """(line, column, problem text) of every SFHOTFIX_FAIL marker in a file."""
    text = data.decode("utf-8", errors="replace")
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        start = 0
        while (at := line.find(FAIL_MARKER, start)) >= 0:
            rest = line[at + len(FAIL_MARKER) :]
            detail = ""
            if rest.startswith(":"):
                detail = rest[1:].split("<", 1)[0].strip().strip("'\";").strip()
            found.append((number, at + 1, detail or "Emulated deployment error (SFHOTFIX_FAIL marker)"))
            start = at + len(FAIL_MARKER)
    return found


def _is_xml_file(fs: FileSet, comp: Component, path: str) -> bool:
    info = fs.types.top(comp.type)
    if path.endswith("-meta.xml") or path.endswith(".xml"):
        return True
    if info is None or info.strategy in BUNDLE_STRATEGIES | {"matchingContentFile", "mixedContent", "staticResource"}:
        return False
    return True


def _child_spans(fs: FileSet, parent: Component) -> list[tuple[Component, int, int]]:
    """Line ranges of a parent file's child elements."""
    children = fs.children(parent)
    total = fs.files[parent.main_file].count(b"\n") + 1
    spans = []
    for index, (comp, el) in enumerate(children):
        nxt = el.getnext()
        while nxt is not None and not isinstance(nxt.tag, str):
            nxt = nxt.getnext()
        end = (nxt.sourceline - 1) if nxt is not None and nxt.sourceline else total
        spans.append((comp, el.sourceline or 1, end))
    return spans


def _apex_units(fs: FileSet) -> dict[str, apex.ApexUnit]:
    units = {}
    for type_name, kind, suffix in (("ApexClass", "Class", ".cls"), ("ApexTrigger", "Trigger", ".trigger")):
        for comp in fs.of_type(type_name):
            content = next((p for p in comp.files if p.endswith(suffix)), None)
            body = fs.files[content].decode("utf-8", errors="replace") if content else ""
            units[comp.full_name] = apex.ApexUnit(comp.full_name, body, kind)
    return units


def read_zip(data: bytes) -> dict[str, bytes] | None:
    """Files of a deploy zip (directories and entries escaping the zip's root dropped); None if unreadable."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        files = {}
        for info in archive.infolist():
            name = info.filename.replace("\\", "/")
            norm = posixpath.normpath(name)
            if info.is_dir() or name.startswith("/") or norm.startswith("..") or norm == ".":
                continue
            files[norm] = archive.read(info)
        return files
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def plan(org: Org, zip_data: bytes, opts: DeployOptions, user: User, now: str, run_tests: bool = True) -> DeployPlan:
    """Check a deploy zip against the org; the plan's ``apply`` makes the change (not run here)."""
    result = DeployPlan()
    files = read_zip(zip_data)
    if files is None:
        result.status = "Failed"
        result.error_status_code = "UNKNOWN_EXCEPTION"
        result.error_message = "The deployment zip file could not be read"
        return result
    if "package.xml" in files:
        packages = [""]
    elif opts.single_package:
        packages = []
    else:
        packages = sorted({p.split("/", 1)[0] + "/" for p in files if p.count("/") == 1 and p.endswith("/package.xml")})
    if not packages:
        result.status = "Failed"
        result.failures.append(
            message("", "package.xml", "package.xml", success=False, created_date=now, problem="No package.xml found", problem_type="Error")
        )
        return result

    actions: list[Callable[[], None]] = []
    deployed_classes: set[str] = set()
    with org.lock:
        after = FileSet(dict(org.files), org.types)  # the org as it would be after this deploy, for tests
        for prefix in packages:
            sub = {p[len(prefix):]: data for p, data in files.items() if p.startswith(prefix)}
            _plan_package(org, FileSet(sub, org.types), prefix, opts, user, now, result, actions, after, deployed_classes)

    errors = [f for f in result.failures if f["problemType"] == "Error"]
    warnings = [f for f in result.failures if f["problemType"] == "Warning"]
    test_level = opts.effective_test_level
    tests_failed = False
    if run_tests and test_level != "NoTestRun" and not errors:
        result.tests = apex.run_tests(_apex_units(after), test_level, opts.run_tests, deployed_classes)
        result.tests_ran = True
        tests_failed = bool(result.tests.failures) or result.tests.coverage_failed
    blocked = bool(errors) or tests_failed or (bool(warnings) and not opts.ignore_warnings)
    if not blocked:
        result.status = "Succeeded"
    elif not opts.rollback_on_error and result.successes and not tests_failed:
        result.status = "SucceededPartial"
    else:
        result.status = "Failed"

    def apply() -> None:
        with org.lock:
            for action in actions:
                action()

    if result.success and not opts.check_only:
        result.apply = apply
    return result


def _plan_package(
    org: Org,
    fs: FileSet,
    prefix: str,
    opts: DeployOptions,
    user: User,
    now: str,
    result: DeployPlan,
    actions: list[Callable[[], None]],
    after: FileSet,
    deployed_classes: set[str],
) -> None:
    types = org.types
    pkg_name = prefix + "package.xml"

    def fail(comp_type: str, full_name: str, file_name: str, problem: str, *, line=None, column=None, kind="Error") -> None:
        result.failures.append(
            message(comp_type, full_name, file_name, success=False, created_date=now, line=line, column=column, problem=problem, problem_type=kind)
        )

    try:
        requested, _ = sfxml.read_package(fs.parsed("package.xml"))
    except sfxml.XmlError as exc:
        fail("", "package.xml", pkg_name, f"Error parsing file: {exc.message}", line=exc.line, column=exc.column)
        return

    # ---- what the package names ----
    targets: dict[tuple[str, str], Component] = {}
    for type_name, members in requested.items():
        if types.top(type_name) is None and type_name not in types.children:
            fail("", "package.xml", pkg_name, f"Unknown type name '{type_name}' specified in package.xml")
            continue
        for member in members:
            if member == "*":
                found = fs.of_type(type_name) or fs.children_of_type(type_name)
                targets.update((c.key, c) for c in found)
                continue
            comp = fs.lookup(type_name, member)
            if comp is None:
                if not opts.allow_missing_files:
                    fail(
                        type_name, member, pkg_name,
                        f"An object '{member}' of type {type_name} was named in package.xml, but was not found in zipped directory",
                    )
                continue
            targets[comp.key] = comp
    # a deployed parent deploys every child in its file
    for comp in list(targets.values()):
        if comp.parent is None:
            for child, _ in fs.children(comp):
                targets.setdefault(child.key, child)

    # ---- file checks: malformed XML, failure markers ----
    failed: set[tuple[str, str]] = set()
    checked_files: set[str] = set()
    for comp in sorted(targets.values(), key=lambda c: (c.parent is not None, c.type, c.full_name)):
        for path in comp.files:
            if path in checked_files or path not in fs.files:
                continue
            checked_files.add(path)
            owner = comp if comp.parent is None else targets.get(comp.parent.key, comp)
            if _is_xml_file(fs, comp, path):
                try:
                    fs.parsed(path)
                except sfxml.XmlError as exc:
                    fail(owner.type, owner.full_name, prefix + path, f"Error parsing file: {exc.message}", line=exc.line, column=exc.column)
                    failed.add(owner.key)
                    failed.update(c.key for c in targets.values() if path in c.files)
                    continue
            markers = _marker_positions(fs.files[path])
            if not markers:
                continue
            spans = _child_spans(fs, owner.parent or owner) if comp.parent is not None or fs.children(comp) else []
            for line, column, problem in markers:
                blame = next((c for c, start, end in spans if start <= line <= end), None)
                if blame is None:  # outside every child: the parent's own part
                    blame = owner if owner.parent is None and owner.key in targets else None
                elif blame.key not in targets:
                    blame = None
                if blame is None:
                    continue  # the marker sits in a part of the file this deploy does not deploy
                fail(blame.type, blame.full_name, prefix + path, problem, line=line, column=column)
                failed.add(blame.key)

    # ---- successes, and the change to make ----
    for comp in sorted(targets.values(), key=lambda c: (c.type, c.full_name)):
        if comp.parent is None or comp.key in failed or comp.parent.key in targets:
            continue
        if comp.child_type.ignore_parent_name or org.components().get(comp.parent.key) is not None:
            continue
        fail(comp.type, comp.full_name, prefix + comp.main_file, f"No {comp.parent.type} named {comp.parent.full_name} found")
        failed.add(comp.key)
    ok = [c for c in targets.values() if c.key not in failed]
    parents_touched: dict[tuple[str, str], list[Component]] = {}
    for comp in sorted(ok, key=lambda c: (c.type, c.full_name)):
        org_comp = org.lookup(comp.type, comp.full_name)
        created = org_comp is None
        changed = not created and value_of(org, org_comp) != value_of(fs, comp)
        result.successes.append(
            message(comp.type, comp.full_name, prefix + comp.main_file, success=True, created_date=now,
                    changed=changed, created=created, id=component_id(comp.type, comp.full_name))
        )
        if comp.type == "ApexClass":
            deployed_classes.add(comp.full_name)
        parent = comp.parent or comp
        info = types.top(parent.type)
        if info is not None and info.children:
            parents_touched.setdefault(parent.key, []).append(comp)
        else:
            _plan_replace(org, fs, comp, org_comp, after, actions)
        if created or changed:
            actions.append(lambda key=comp.key, created=created: org.record_change(key, user, created=created))
    for parent_key, comps in parents_touched.items():
        _plan_merge(org, fs, parent_key, comps, after, actions)
    result.successes.append(message("", "package.xml", pkg_name, success=True, created_date=now, changed=True))
    result.components_total += len(targets)

    # ---- destructive changes ----
    for name in DESTRUCTIVE:
        if name not in fs.files:
            continue
        try:
            doomed, _ = sfxml.read_package(fs.parsed(name))
        except sfxml.XmlError as exc:
            fail("", name, prefix + name, f"Error parsing file: {exc.message}", line=exc.line, column=exc.column)
            continue
        for type_name, members in doomed.items():
            for member in members:
                result.components_total += 1
                victim = org.lookup(type_name, member)
                if victim is None:
                    fail(type_name, member, prefix + name, f"No {type_name} named: {member} found", kind="Warning")
                    continue
                result.successes.append(
                    message(type_name, member, prefix + victim.main_file, success=True, created_date=now,
                            deleted=True, id=component_id(type_name, member))
                )
                _plan_delete(org, victim, after, actions)
                actions.append(lambda key=victim.key: org.record_change(key, user, deleted=True))


def _plan_replace(org: Org, fs: FileSet, comp: Component, org_comp: Component | None, after: FileSet, actions: list) -> None:
    """A top-level component without children: its files replace the org's."""
    changes: dict[str, bytes | None] = {p: None for p in (org_comp.files if org_comp else ())}
    changes.update({p: fs.files[p] for p in comp.files})
    _stage(after, changes)
    actions.append(lambda: org.write(changes))


def _plan_merge(org: Org, fs: FileSet, parent_key: tuple[str, str], comps: list[Component], after: FileSet, actions: list) -> None:
    """Children (and maybe the parent's own fields) merged into the org's parent file."""
    info = org.types.top(parent_key[0])
    child_tags = {c.xml_element: c.key for c in info.children}
    parent_in_zip = next((c for c in comps if c.parent is None), None) or comps[0].parent
    incoming = fs.parsed(parent_in_zip.main_file)
    upserts = [fs.element_of(c) for c in comps if c.parent is not None]
    replace_own = any(c.parent is None for c in comps)
    org_parent = org.components().get(parent_key)
    path = org_parent.main_file if org_parent else parent_in_zip.main_file

    def merged(base: FileSet) -> bytes:
        existing = base.parsed(path) if path in base.files else None
        return merge_parent(existing, incoming, child_tags=child_tags, replace_own=replace_own, upserts=[u for u in upserts if u is not None])

    _stage(after, {path: merged(after)})
    actions.append(lambda: org.write({path: merged(org)}))


def _plan_delete(org: Org, victim: Component, after: FileSet, actions: list) -> None:
    if victim.parent is None:
        changes = {p: None for p in victim.files}
        _stage(after, changes)
        actions.append(lambda: org.write(changes))
        return
    info = org.types.top(victim.parent.type)
    child_tags = {c.xml_element: c.key for c in info.children}
    tag = victim.child_type.xml_element
    path = victim.parent.main_file

    def pruned(base: FileSet) -> bytes | None:
        if path not in base.files:
            return None
        root = base.parsed(path)
        return merge_parent(root, root, child_tags=child_tags, replace_own=False, upserts=[], deletes=[(tag, victim.child_key)])

    _stage(after, {path: pruned(after)})
    actions.append(lambda: org.write({path: pruned(org)}))


def _stage(fs: FileSet, changes: dict[str, bytes | None]) -> None:
    for path, data in changes.items():
        if data is None:
            fs.files.pop(path, None)
        else:
            fs.files[path] = data
    fs._invalidate()
