"""Commit selected components to a new branch cut from the base branch, without touching the user's checkout.

All work happens in a temporary git worktree on a detached HEAD, made without a checkout (its index is
read from the base commit, and only the files the commit changes are written into it, so a 50,000-file
repository costs no more than a small one); the branch ref is created only once the commit exists (so
a failure half-way leaves no branch), the worktree is always removed, and a push never forces. The
user's working tree, index, HEAD and uncommitted changes are not read or written.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import git

from ..compare import Comparison, compare
from ..compare.engine import Row
from ..compare.focus import focus
from ..errors import SfhotfixError, UsageError
from ..output import checked_relative
from .apply import Applier, RepoLayout, keep_manifest
from .selection import HINT_DIRECTORIES, missing_references, read_selectors, related_rows, select_rows

ZERO = "0" * 40


@dataclass
class CommitRequest:
    source: str
    base: str
    branch: str
    message: str
    selectors: tuple[str, ...] = ()
    select_file: Path | None = None
    from_comparison: Path | None = None
    repo: Path = Path(".")
    push: bool = False
    author: str | None = None
    reuse_branch: bool = False
    with_dependencies: bool = False
    project_dir: Path | None = None


@dataclass
class CommitResult:
    branch: str
    commit: str
    base: str
    rows: list[Row]
    files: list[str]
    destructive: list[tuple[str, str]]
    hints: list[Row] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pushed: bool = False

    def as_json(self) -> dict:
        return {
            "branch": self.branch, "commit": self.commit, "base": self.base, "pushed": self.pushed,
            "components": [{"selector": r.selector, "type": r.type, "fullName": r.full_name, "status": r.status}
                           for r in self.rows],
            "files": self.files,
            "destructiveChanges": [{"type": t, "fullName": n} for t, n in self.destructive],
            "dependencyHints": [r.selector for r in self.hints],
            "warnings": self.warnings,
        }


class PushRejected(SfhotfixError):
    """The remote refused the branch; the local branch is kept and named, nothing was forced."""


def open_repo(path: Path) -> git.Repo:
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise UsageError(f"{path}: not a git repository") from None


def has_origin(repo: git.Repo) -> bool:
    return "origin" in [r.name for r in repo.remotes]


def is_shallow(repo: git.Repo) -> bool:
    """Whether the clone holds only the last commits (``--depth``), as CI clones often do."""
    return repo.git.rev_parse("--is-shallow-repository") == "true"


def fetch_origin(repo: git.Repo) -> None:
    """Every branch of origin, with the whole history: a CI clone often has one branch (``--single-branch``)
    and a few commits (``--depth``), where merge bases and the sync's merge check need them all. Raises git's
    error."""
    unshallow = ["--unshallow"] if is_shallow(repo) else []
    repo.git.fetch("--quiet", *unshallow, "origin", "+refs/heads/*:refs/remotes/origin/*")


def base_ref(repo: git.Repo, base: str, option: str = "--base") -> str:
    """The name under which a branch exists: the local branch, else origin's; ``option`` names it in the error."""
    for ref in (base, f"origin/{base}"):
        try:
            repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}")
            return ref
        except git.GitCommandError:
            continue
    raise UsageError(f"{option} {base}: no such branch in {repo.working_dir} (nor origin/{base})")


def resolve_base(repo: git.Repo, base: str, option: str = "--base") -> str:
    """The commit of a branch (the base branch unless ``option`` says otherwise): the local branch, else origin's."""
    return repo.git.rev_parse(f"{base_ref(repo, base, option)}^{{commit}}")


def branch_exists(repo: git.Repo, branch: str) -> tuple[str | None, bool]:
    """The local branch's commit (or None), and whether origin has a branch of that name."""
    try:
        local = repo.git.rev_parse("--verify", "--quiet", f"refs/heads/{branch}")
    except git.GitCommandError:
        local = None
    on_remote = False
    if has_origin(repo):
        try:
            on_remote = bool(repo.git.ls_remote("--heads", "origin", branch).strip())
        except git.GitCommandError as exc:
            raise SfhotfixError(f"origin: cannot list its branches ({git_message(exc)})") from None
    return local, on_remote


def commit_selection(request: CommitRequest, comparison: Comparison | None = None) -> CommitResult:
    """Commit the selection; ``comparison`` may be one already made of the source against the base."""
    repo = open_repo(request.repo)
    top = Path(repo.working_dir)
    if not _valid_branch_name(repo, request.branch):
        raise UsageError(f"--branch {request.branch}: not a valid branch name")
    base_commit = resolve_base(repo, request.base)
    local, on_remote = branch_exists(repo, request.branch)
    if (local or on_remote) and not request.reuse_branch:
        where = "locally" if local else "on origin"
        raise UsageError(f"--branch {request.branch}: already exists {where} (use --reuse-branch to add to it)")
    start = local or base_commit
    selectors = read_selectors(request.selectors, request.select_file, request.from_comparison)
    if comparison is None:
        from ..registry import load_registry

        focused = None if request.from_comparison else focus(selectors, load_registry(), HINT_DIRECTORIES)
        comparison = compare(request.source, f"git:{start}", repo=top, project_dir=request.project_dir, focus=focused)
    rows, warnings = select_rows(comparison, selectors)
    hints = related_rows(comparison, rows)
    if request.with_dependencies:
        rows += hints
        hints = []
    warnings += missing_references(comparison, rows)
    if not rows:
        raise UsageError("nothing to commit: every selected component is identical on the base branch")
    target = comparison.target
    assert target is not None
    layout = RepoLayout(target.resolved.format, target.resolved.root, target.project.default_directory)
    worktree = Path(tempfile.mkdtemp(prefix="sfhotfix-commit-"))
    try:
        repo.git.worktree("add", "--no-checkout", "--detach", str(worktree), start)
        wt = git.Repo(worktree)
        wt.git.read_tree(start)
        applier = Applier(comparison, layout)
        for row in _parents_first(rows):
            applier.apply(row)
        manifest_warning = keep_manifest(applier, rows)
        if manifest_warning:
            warnings.append(manifest_warning)
        written, removed = _write(worktree, applier.edits.finish(), target.tree)
        changed = sorted(written + removed)
        if not changed:
            raise UsageError("nothing to commit: the selection changes no file on the base branch")
        if written:
            wt.git.add("--", *written)
        if removed:
            wt.git.update_index("--force-remove", "--", *removed)
        commit_args = ["-q", "-m", request.message]
        if request.author:
            commit_args += ["--author", request.author]
        wt.git.commit(*commit_args)
        commit = wt.head.commit.hexsha
    finally:
        _remove_worktree(repo, worktree)
    repo.git.update_ref(f"refs/heads/{request.branch}", commit, local or ZERO)
    result = CommitResult(request.branch, commit, request.base, rows, changed, applier.edits.destructive,
                          hints, warnings)
    if request.push:
        _push(repo, request.branch)
        result.pushed = True
    return result


def _valid_branch_name(repo: git.Repo, name: str) -> bool:
    try:
        repo.git.check_ref_format("--branch", name)
        return True
    except git.GitCommandError:
        return False


def _parents_first(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r.parent is not None, r.status == "deleted"))


def _write(worktree: Path, files: dict[str, bytes | None], base) -> tuple[list[str], list[str]]:
    """Write what differs from the base into the worktree; returns (written, removed) paths."""
    written, removed = [], []
    present = set(base.files())
    for rel, data in sorted(files.items()):
        rel = checked_relative(rel, worktree)
        if data is None:
            if rel in present:
                removed.append(rel)
            continue
        if rel in present and base.read(rel) == data:
            continue
        target = worktree / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(rel)
    return written, removed


def _remove_worktree(repo: git.Repo, worktree: Path) -> None:
    try:
        repo.git.worktree("remove", "--force", str(worktree))
    except git.GitCommandError:
        shutil.rmtree(worktree, ignore_errors=True)
        repo.git.worktree("prune")


def _push(repo: git.Repo, branch: str) -> None:
    if not has_origin(repo):
        raise PushRejected(f"cannot push {branch}: the repository has no remote 'origin' (the local branch is kept)")
    try:
        repo.git.push("--set-upstream", "origin", f"refs/heads/{branch}:refs/heads/{branch}")
    except git.GitCommandError as exc:
        raise PushRejected(f"push of {branch} to origin was rejected ({git_message(exc)}); the local branch "
                           f"{branch} is kept, nothing was forced") from None


def git_message(exc: git.GitCommandError) -> str:
    """The reason git gave, in one line: a refused push's reason and what the remote's hook said, else the
    last line git wrote to stderr."""
    text = (exc.stderr or str(exc)).strip().replace("stderr:", "").strip(" '\n")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    rejected = next((line for line in lines if "rejected]" in line), None)
    if rejected is not None:
        reason = rejected[rejected.rfind("(") + 1:].rstrip(")") if "(" in rejected else rejected
        said = [line[len("remote:"):].strip() for line in lines if line.startswith("remote:")]
        return "; ".join([reason, *[line for line in said if line][:2]])
    return lines[-1] if lines else "git failed"
