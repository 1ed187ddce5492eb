"""The validation gate, promotion and rollback: what surrounds a hotfix pull request into production.

* :func:`validate` — a check-only deploy of what a branch (or a pull request) changes against production,
  with the configured test level; the result goes into the history, onto the pull request as one comment
  (updated on every rerun) and onto its head commit as a status.
* :func:`promote` — after the merge: quick-deploy the validation of the merged head while the org still
  accepts it, otherwise deploy the delta in full (and say why). The org's current versions of what is about
  to change are retrieved first and kept with the record.
* :func:`rollback` — redeploy those versions and delete what the deployment added.

Everything is recorded in :mod:`sfhotfix.act.history`; nothing here touches the working tree.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import git

from ..config import TEST_LEVELS, Config, load_config
from ..errors import SfhotfixError, UsageError
from ..formats.manifest import build_manifest, read_manifest
from ..hosts import HostRef, PullRequestInfo, get_pull_request, set_commit_status, upsert_comment
from ..org import connect
from ..org.client import OrgError
from ..org.deploy import wait_for_deploy, zip_files
from ..org.metadata import DeployStatus, MetadataApi
from ..org.retrieve import Polling, retrieve
from ..project import DEFAULT_API_VERSION
from ..registry import load_registry
from ..report.gate import gate_comment
from ..resolve import resolve
from ..tree import FolderTree
from .apex_tests import covering_tests, find_test_classes
from .commit import fetch_origin, git_message, has_origin, is_shallow, open_repo, resolve_base
from .delta_package import DeltaPackage, build_delta_package
from .history import History, Record, actor, now
from .pr import repository_host

VALIDATION_DAYS = 10  # how long Salesforce lets a validation be quick-deployed
STATUS_CONTEXT = "sfhotfix/validation"
ENV_ORG = "SF_* environment"  # how a record names the org the environment variables point at
Progress = Callable[[DeployStatus], None]


@dataclass
class GateRequest:
    """What ``validate``, ``promote`` and ``rollback`` take; unset values come from sfhotfix.toml."""

    repo: Path = Path(".")
    branch: str | None = None
    pr: str | None = None
    deployment: str | None = None
    base: str | None = None
    target_org: str | None = None
    test_level: str | None = None
    tests: tuple[str, ...] = ()
    host_url: str | None = None
    host_kind: str | None = None
    api_url: str | None = None
    post: bool = True  # comment on the pull request and set the commit status
    backup: bool = True
    force: bool = False
    polling: Polling = field(default_factory=Polling)
    progress: Progress | None = None


@dataclass
class GateResult:
    """A validation's, promotion's or rollback's outcome, as the CLI prints it."""

    record: Record
    status: DeployStatus
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    comment: str | None = None

    def as_json(self) -> dict:
        return {"record": self.record.as_json(), "deploy": self.status.as_json(), "notes": self.notes,
                "warnings": self.warnings, "comment": self.comment}


class _Context:
    """The repository, its settings, the history and (when a pull request is named) its host."""

    def __init__(self, request: GateRequest):
        self.request = request
        self.repo = open_repo(request.repo)
        self.root = Path(self.repo.working_dir)
        self.config: Config = load_config(self.root)
        self.history = History(self.repo)
        self.org = request.target_org or self.config.pipeline.production_org
        self._host: HostRef | None = None

    @property
    def org_label(self) -> str:
        return self.org or ENV_ORG

    @property
    def host(self) -> HostRef:
        if self._host is None:
            r = self.request
            self._host = repository_host(self.root, self.config, r.host_url, r.host_kind, r.api_url)
        return self._host

    def pull_request(self) -> PullRequestInfo:
        return get_pull_request(self.host, self.request.pr)

    def test_level(self) -> str:
        level = self.request.test_level or self.config.pipeline.test_level
        if level not in TEST_LEVELS:
            raise UsageError(f"--test-level {level}: not one of {', '.join(TEST_LEVELS)}")
        return level

    def fetch(self) -> None:
        if has_origin(self.repo):
            try:
                fetch_origin(self.repo)
            except git.GitCommandError as exc:
                raise SfhotfixError(f"origin: fetch failed ({git_message(exc)})") from None

    def commit(self, revision: str, what: str) -> str:
        """A commit that must be here; fetched from origin once when it is not (a CI clone may lag behind)."""
        for attempt in range(2):
            try:
                return self.repo.git.rev_parse("--verify", "--quiet", f"{revision}^{{commit}}")
            except git.GitCommandError:
                if attempt == 0:
                    self.fetch()
        raise UsageError(f"{what}: commit {revision} is not in {self.root} nor on origin")


# ------------------------------------------------------------------------------------------------ validate


def validate(request: GateRequest) -> GateResult:
    """A check-only deploy of what ``--branch`` or ``--pr`` changes against its base; recorded and posted."""
    if (request.branch is None) == (request.pr is None):
        raise UsageError("validate needs --branch B or --pr N (or a folder to validate)")
    ctx = _Context(request)
    info: PullRequestInfo | None = None
    if request.pr is not None:
        info = ctx.pull_request()
        if info.state == "merged":
            raise UsageError(f"pull request #{info.number} is already merged: promote it with "
                             f"`sfhotfix promote --pr {info.number}`")
        if info.state != "open":
            raise UsageError(f"pull request #{info.number} is {info.state} without merging: nothing to validate")
        head = ctx.commit(info.head_sha, f"pull request #{info.number}")
        branch, base_branch = info.head, request.base or info.base
    else:
        assert request.branch is not None
        head, branch = resolve_base(ctx.repo, request.branch, "--branch"), request.branch
        base_branch = request.base or ctx.config.pipeline.production_branch
    if is_shallow(ctx.repo):
        ctx.fetch()  # the merge base may lie beyond a shallow clone's history
    base = ctx.repo.git.merge_base(resolve_base(ctx.repo, base_branch), head)
    package = build_delta_package(ctx.root, base, head)
    if package.empty:
        raise UsageError(f"{branch}: no metadata changes against {base_branch}, nothing to validate")
    level, tests, notes = _tests(ctx, package, head)
    api = connect(ctx.org)
    status = _deploy(api, package.files, True, level, tests, request)
    record = Record(id=status.id, kind="validation", org=ctx.org_label, who=actor(ctx.repo), when=now(),
                    status=status.status, success=status.success, commit=head, base=base, branch=branch,
                    pr=str(info.number) if info else None, test_level=level, tests=tests, package=package.package,
                    destructive=package.destructive, notes=notes + package.warnings, errors=_errors(status))
    result = GateResult(record, status, record.notes, ctx.history.append(record))
    if info is not None and request.post:
        _post(ctx, result, info, head)
    return result


def _tests(ctx: _Context, package: DeltaPackage, head: str) -> tuple[str, list[str], list[str]]:
    """The test level and classes: RunSpecifiedTests picks them from the deployed Apex (see apex_tests)."""
    level, tests = ctx.test_level(), list(ctx.request.tests)
    if level != "RunSpecifiedTests":
        if tests:
            raise UsageError(f"--tests goes with --test-level RunSpecifiedTests (the level is {level})")
        return level, [], []
    if tests:
        return level, tests, []
    apex = sorted({name for names in package.apex.values() for name in names})
    if not apex:
        return "NoTestRun", [], ["no Apex in the package: validated with NoTestRun instead of RunSpecifiedTests "
                                 "(a validation without tests cannot be quick-deployed; promote deploys in full)"]
    tests = covering_tests(apex, find_test_classes(ctx.root, head))
    if not tests:
        raise UsageError(f"RunSpecifiedTests: no test class of {head[:12]} is named after or mentions "
                         f"{', '.join(apex)}; name them with --tests")
    return level, tests, [f"RunSpecifiedTests picked {', '.join(tests)}"]


def _deploy(api: MetadataApi, files: dict[str, bytes], check_only: bool, level: str, tests: list[str],
            request: GateRequest) -> DeployStatus:
    deploy_id = api.deploy(zip_files(files), check_only=check_only, test_level=level, run_tests=tests)
    return wait_for_deploy(api, deploy_id, request.polling, request.progress)


def _errors(status: DeployStatus) -> list[str]:
    out = [f"{p.component_type} {p.full_name}: {p.problem}" for p in status.component_failures]
    out += [f"{f.class_name}.{f.method}: {f.message}" for f in status.test_failures]
    if not status.success:
        out += [f"coverage: {warning}" for warning in status.coverage_warnings]
    if status.error_message and not out:
        out.append(status.error_message)
    return out


def _post(ctx: _Context, result: GateResult, info: PullRequestInfo, head: str) -> None:
    """The comment and the commit status; a host that refuses them is a warning (the deploy has happened)."""
    record = result.record
    try:
        result.comment = upsert_comment(ctx.host, info.number, gate_comment(record, result.status, result.notes),
                                        record.kind if record.kind == "validation" else "promotion")
        if record.kind == "validation":
            state = "success" if record.success else "failure"
            description = (f"Validation {record.status} in {record.org}: {record.id}" if record.success
                           else f"Validation {record.status}: {len(record.errors)} error(s)")
            set_commit_status(ctx.host, head, state, STATUS_CONTEXT, description, number=info.number)
    except SfhotfixError as exc:
        result.warnings.append(f"the result was not posted on pull request #{info.number}: {exc}")


# ------------------------------------------------------------------------------------------------- promote


def promote(request: GateRequest) -> GateResult:
    """Deploy a merged pull request: its validation quick-deployed if still valid, else its delta in full."""
    if request.pr is None:
        raise UsageError("promote needs --pr N")
    ctx = _Context(request)
    info = ctx.pull_request()
    if info.state == "open":
        raise UsageError(f"pull request #{info.number} is not merged yet: promote runs once it is merged")
    if info.state != "merged":
        raise UsageError(f"pull request #{info.number} was {info.state} without merging: nothing to promote")
    warnings = ctx.history.sync()
    merged = _merge_commit(ctx, info)
    notes: list[str] = []
    validation = _valid_validation(ctx, info, notes)
    full = build_delta_package(ctx.root, ctx.commit(f"{merged}^1", "the merge's first parent"), merged)
    if validation is None and full.empty:
        raise UsageError(f"pull request #{info.number}: the merge changes no metadata, nothing to deploy")
    package = full
    if validation is not None:  # what the validation holds, as it will be quick-deployed
        package = DeltaPackage(validation.base or "", validation.commit or "", validation.package,
                               validation.destructive, {}, api_version=full.api_version)
    api = connect(ctx.org)
    backup, added = _backup(api, package, notes) if request.backup else (None, {})
    status, level, tests, kind = None, None, [], "deployment"
    if validation is not None:
        try:
            status = wait_for_deploy(api, api.deploy_recent_validation(validation.id), request.polling,
                                     request.progress)
            kind, level, tests = "quick-deployment", validation.test_level, validation.tests
        except OrgError as exc:
            if "INVALID_ID_FIELD" not in str(exc):  # not a refusal of this validation: the org is at fault
                raise
            notes.append(f"the org refused to quick-deploy validation {validation.id} ({exc}); "
                         "the delta was deployed in full instead")
            if request.backup and (full.package, full.destructive) != (package.package, package.destructive):
                backup, added = _backup(api, full, notes)
            package = full
    if status is None:
        level, tests, test_notes = _tests(ctx, package, merged)
        notes += test_notes
        status = _deploy(api, package.files, False, level, tests, request)
    record = Record(id=status.id, kind=kind, org=ctx.org_label, who=actor(ctx.repo), when=now(),
                    status=status.status, success=status.success, commit=merged, base=package.base or None,
                    branch=info.base, pr=str(info.number), test_level=level, tests=tests, package=package.package,
                    destructive=package.destructive, validated_id=validation.id if kind == "quick-deployment" else None,
                    added=added, backup=backup is not None and status.success, notes=notes, errors=_errors(status))
    result = GateResult(record, status, notes, warnings)
    result.warnings += ctx.history.append(record, backup if record.backup else None)
    if request.post:
        _post(ctx, result, info, merged)
    return result


def _merge_commit(ctx: _Context, info: PullRequestInfo) -> str:
    """The commit the merge made; a host that merged without one (a fast-forward) leaves the base's head."""
    if info.merge_sha:
        return ctx.commit(info.merge_sha, f"pull request #{info.number}'s merge")
    ctx.fetch()
    return resolve_base(ctx.repo, info.base)


def _valid_validation(ctx: _Context, info: PullRequestInfo, notes: list[str]) -> Record | None:
    """The newest successful validation of the pull request's head in this org, if still quick-deployable."""
    head = info.head_sha
    found = [r for r in ctx.history.records() if r.kind == "validation" and r.success and r.org == ctx.org_label
             and info.is_head(r.commit or "")]
    if not found:
        notes.append(f"no successful validation of {head[:12]} in {ctx.org_label} is in the history: "
                     "the delta was deployed in full")
        return None
    validation = found[-1]
    if not validation.tests and validation.test_level in ("NoTestRun", None):
        notes.append(f"validation {validation.id} ran no tests, so it cannot be quick-deployed: "
                     "the delta was deployed in full")
        return None
    age = datetime.now(timezone.utc) - datetime.fromisoformat(validation.when.replace("Z", "+00:00"))
    if age > timedelta(days=VALIDATION_DAYS):
        notes.append(f"validation {validation.id} is {age.days} days old and has expired (quick deploy is "
                     f"possible for {VALIDATION_DAYS} days): the delta was deployed in full")
        return None
    return validation


def _backup(api: MetadataApi, package: DeltaPackage, notes: list[str]) -> tuple[bytes | None, dict[str, list[str]]]:
    """The org's versions of what the deployment changes or deletes (a zip with their package.xml), and
    the members it does not have (the deployment adds them; a rollback deletes them)."""
    members: dict[str, set[str]] = {}
    for listing in (package.package, package.destructive):
        for type_name, names in listing.items():
            members.setdefault(type_name, set()).update(names)
    registry = load_registry()
    with tempfile.TemporaryDirectory(prefix="sfhotfix-backup-") as tmp:
        outcome = retrieve(api, {t: sorted(n) for t, n in members.items()}, registry, Path(tmp))
        tree = FolderTree(outcome.folder)
        present = {(c.type.name, c.full_name) for c in resolve(tree, registry, "mdapi", with_children=True).all_components()}
        files = {path: tree.read(path) for path in tree.files() if path != "package.xml"}
    existing: dict[str, set[str]] = {}
    added: dict[str, list[str]] = {}
    for type_name, names in sorted(members.items()):
        for name in sorted(names):
            if (type_name, name) in present:
                existing.setdefault(type_name, set()).add(name)
            elif name in package.package.get(type_name, []):
                added.setdefault(type_name, []).append(name)
    files["package.xml"] = build_manifest(existing, package.api_version)
    notes.append(f"backed up {sum(len(n) for n in existing.values())} component(s) from the org before deploying")
    return zip_files(files), added


# ------------------------------------------------------------------------------------------------ rollback


def rollback(request: GateRequest) -> GateResult:
    """Redeploy what a deployment replaced or deleted, and delete what it added."""
    if request.deployment is None:
        raise UsageError("rollback needs --deployment ID")
    ctx = _Context(request)
    warnings = ctx.history.sync()
    records = ctx.history.records()
    target = ctx.history.get(request.deployment)
    if target.kind not in ("deployment", "quick-deployment"):
        raise UsageError(f"--deployment {target.id}: a {target.kind}, not a deployment; only deployments roll back")
    if not target.success:
        raise UsageError(f"--deployment {target.id}: it {target.status}, so the org was not changed; "
                         "nothing to roll back")
    done = [r for r in records if r.kind == "rollback" and r.rollback_of == target.id and r.success]
    if done:
        raise UsageError(f"--deployment {target.id}: already rolled back by {done[-1].id}")
    later = _later_overlapping(records, target)
    if later and not request.force:
        raise UsageError(f"--deployment {target.id}: the later deployment {later.id} changed some of the same "
                         "components; rolling back would undo part of it (--force to do it anyway)")
    files = _unzip(ctx.history.backup(target.id))
    restored, version = read_manifest(files["package.xml"], f"backup of {target.id}")
    if target.added:
        files["destructiveChanges.xml"] = build_manifest({t: set(n) for t, n in target.added.items()},
                                                         version or DEFAULT_API_VERSION)
    package = DeltaPackage(target.commit or "", target.base or "", restored, target.added, files)
    if package.empty:
        raise UsageError(f"--deployment {target.id}: the backup holds nothing to restore and nothing was added")
    api = connect(request.target_org or _org_of(target))
    level, tests, notes = _tests(ctx, package, target.base or target.commit or "HEAD")
    status = _deploy(api, files, False, level, tests, request)
    record = Record(id=status.id, kind="rollback", org=target.org, who=actor(ctx.repo), when=now(),
                    status=status.status, success=status.success, commit=target.base, base=target.commit,
                    branch=target.branch, pr=target.pr, test_level=level, tests=tests, package=restored,
                    destructive=target.added, rollback_of=target.id, notes=notes, errors=_errors(status))
    return GateResult(record, status, notes, warnings + ctx.history.append(record))


def _org_of(record: Record) -> str | None:
    """The org a record was deployed to, as ``connect`` takes it (None: the SF_* environment variables)."""
    return None if record.org == ENV_ORG else record.org


def _later_overlapping(records: list[Record], target: Record) -> Record | None:
    mine = {(t, n) for listing in (target.package, target.destructive) for t, names in listing.items() for n in names}
    for record in records:
        if (record.when, record.id) <= (target.when, target.id) or not record.success or record.org != target.org:
            continue
        if record.kind in ("deployment", "quick-deployment", "rollback"):
            theirs = {(t, n) for listing in (record.package, record.destructive) for t, names in listing.items()
                      for n in names}
            if mine & theirs:
                return record
    return None


def _unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
