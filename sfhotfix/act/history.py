"""The deployment history: every validation, deployment and rollback, kept in the repository itself.

Validation runs in a pull request's CI job and promotion in another job after the merge, often on other
machines, so the history cannot live in a local folder. It lives on a ref of its own,
``refs/sfhotfix/history``, one commit per record, pushed to ``origin`` beside the branches (never forced):
``records/<id>.json`` holds who, when, what, the result and the validated id; ``backups/<id>.zip`` holds
what the org had before a deployment changed it, for :mod:`rollback <sfhotfix.act.gate>`.

Records are written with git's plumbing into a temporary index, so neither the working tree, the index nor
the checked-out branch is touched. Two jobs appending at once cannot lose a record: records are files with
unique names, so when a push is refused the remote history is fetched and the two are joined in a merge
commit whose tree is the union, then pushed again.
"""

from __future__ import annotations

import getpass
import json
import os
import tempfile
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

import git
from gitdb.base import IStream

from ..errors import UsageError
from ..gittree import GitTree
from .commit import git_message, has_origin

REF = "refs/sfhotfix/history"
REMOTE_REF = "refs/sfhotfix/origin-history"  # where origin's history is fetched to before joining
KINDS = ("validation", "deployment", "quick-deployment", "rollback")
PUSH_TRIES = 3
# who ran it, in a CI job: the variables the hosts' runners set, before git's and the OS's user
ACTOR_VARIABLES = ("SFHOTFIX_ACTOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_REQUESTEDFOR",
                   "BITBUCKET_STEP_TRIGGERER_UUID")


@dataclass
class Record:
    """One validation, deployment or rollback, as ``sfhotfix history`` shows it."""

    id: str  # the org's deploy id
    kind: str  # one of KINDS
    org: str
    who: str
    when: str  # ISO 8601, UTC
    status: str  # the deploy's final status: Succeeded, Failed, Canceled…
    success: bool
    commit: str | None = None  # what was deployed (a validation: the PR's head; a deployment: the merge)
    base: str | None = None  # the commit the delta was computed from
    branch: str | None = None
    pr: str | None = None
    test_level: str | None = None
    tests: list[str] = field(default_factory=list)
    package: dict[str, list[str]] = field(default_factory=dict)
    destructive: dict[str, list[str]] = field(default_factory=dict)
    validated_id: str | None = None  # a deployment: the validation it quick-deployed
    added: dict[str, list[str]] = field(default_factory=dict)  # absent from the org before: rollback deletes them
    backup: bool = False  # backups/<id>.zip holds the org's versions from before
    rollback_of: str | None = None
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        """The record with camelCase keys, as the other JSON outputs name things."""
        return {_camel(k): v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> "Record":
        known = {_camel(f.name): f.name for f in fields(cls)}
        return cls(**{known[k]: v for k, v in data.items() if k in known})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def actor(repo: git.Repo) -> str:
    """Who runs this: the CI runner's user, else git's ``user.name``, else the OS user."""
    for name in ACTOR_VARIABLES:
        if os.environ.get(name):
            return os.environ[name]
    try:
        return repo.git.config("user.name")
    except git.GitCommandError:
        return getpass.getuser()


class History:
    """The records of one repository; ``sync()`` first to see what other machines recorded."""

    def __init__(self, repo: git.Repo):
        self.repo = repo

    def _tip(self, ref: str = REF) -> str | None:
        try:
            return self.repo.git.rev_parse("--verify", "--quiet", ref)
        except git.GitCommandError:
            return None

    def _tree(self, commit: str) -> GitTree:
        """One history commit's files: listed once, read through one ``git cat-file --batch``."""
        return GitTree(Path(self.repo.git_dir), commit)

    def records(self) -> list[Record]:
        """Every record, oldest first."""
        tip = self._tip()
        if tip is None:
            return []
        with self._tree(tip) as tree:
            names = [path for path in tree.files() if path.startswith("records/")]
            out = [Record.from_json(json.loads(data)) for data in tree.read_many(names).values()]
        return sorted(out, key=lambda r: (r.when, r.id))

    def get(self, record_id: str) -> Record:
        for record in self.records():
            if record.id == record_id:
                return record
        raise UsageError(f"--deployment {record_id}: no such deployment in the history ({REF})")

    def backup(self, record_id: str) -> bytes:
        tip = self._tip()
        path = f"backups/{record_id}.zip"
        with self._tree(tip) if tip else nullcontext(None) as tree:
            if tree is None or not tree.holds(path):
                raise UsageError(f"deployment {record_id}: no backup was kept, so it cannot be rolled back")
            return tree.read(path)

    # -- writing ------------------------------------------------------------------------------------------
    def append(self, record: Record, backup: bytes | None = None) -> list[str]:
        """Record locally, then push to origin; the warnings say what could not be shared (never fatal:
        the deployment has happened and its record is kept locally)."""
        files = {f"records/{record.id}.json": (json.dumps(record.as_json(), indent=1, sort_keys=True) + "\n").encode()}
        if backup is not None:
            files[f"backups/{record.id}.zip"] = backup
        parent = self._tip()
        commit = self._commit(parent, [parent] if parent else [], files, f"{record.kind} {record.id}: {record.status}")
        self._move(commit, parent)
        return self.push() if has_origin(self.repo) else []

    def _commit(self, tree_of: str | None, parents: list[str], files: dict[str, bytes], message: str) -> str:
        """A commit of ``tree_of``'s tree plus ``files``, built in a temporary index."""
        with tempfile.TemporaryDirectory(prefix="sfhotfix-history-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if tree_of:
                self.repo.git.read_tree(tree_of, env=env)
            for path, data in files.items():
                blob = self.repo.odb.store(IStream("blob", len(data), BytesIO(data))).hexsha.decode("ascii")
                self.repo.git.update_index("--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
            tree = self.repo.git.write_tree(env=env)
        parent_args = [arg for p in parents for arg in ("-p", p)]
        return self.repo.git.commit_tree(tree, *parent_args, "-m", message, env=_committer_env(self.repo))

    def _move(self, new: str, old: str | None) -> None:
        self.repo.git.update_ref("-m", "sfhotfix history", REF, new, old or "0" * 40)

    def sync(self) -> list[str]:
        """Join origin's history into the local one (nothing pushed); warnings when origin cannot be read."""
        if not has_origin(self.repo):
            return []
        try:
            self.repo.git.fetch("--quiet", "origin", f"+{REF}:{REMOTE_REF}")
        except git.GitCommandError as exc:
            if "couldn't find remote ref" in str(exc.stderr):
                return []
            return [f"origin: could not fetch the deployment history ({git_message(exc)}); showing the local one"]
        self._join()
        return []

    def _join(self) -> None:
        remote, local = self._tip(REMOTE_REF), self._tip()
        if remote is None or remote == local:
            return
        if local is None or self._is_ancestor(local, remote):
            self._move(remote, local)
            return
        if self._is_ancestor(remote, local):
            return
        with self._tree(local) as mine, self._tree(remote) as theirs:
            own = mine.read_many(path for path in mine.files() if not theirs.holds(path))
        self._move(self._commit(remote, [remote, local], own, "Join the deployment histories"), local)

    def _is_ancestor(self, a: str, b: str) -> bool:
        try:
            self.repo.git.merge_base("--is-ancestor", a, b)
            return True
        except git.GitCommandError:
            return False

    def push(self) -> list[str]:
        """Push the history to origin, joining origin's first when it moved on; never forced."""
        for _ in range(PUSH_TRIES):
            try:
                self.repo.git.push("--quiet", "origin", f"{REF}:{REF}")
                return []
            except git.GitCommandError as exc:
                reason = git_message(exc)
                if "rejected" not in str(exc.stderr) and "fetch first" not in str(exc.stderr):
                    return [f"origin: the deployment history was kept locally but not pushed ({reason})"]
            warnings = self.sync()
            if warnings:
                return warnings
        return [f"origin: the deployment history was kept locally but not pushed (refused {PUSH_TRIES} times)"]


def _committer_env(repo: git.Repo) -> dict[str, str]:
    """History commits work where git has no identity configured (a bare CI runner)."""
    env = {}
    for role in ("AUTHOR", "COMMITTER"):
        for key, setting, fallback in (("NAME", "user.name", "sfhotfix"), ("EMAIL", "user.email", "sfhotfix@localhost")):
            if not os.environ.get(f"GIT_{role}_{key}"):
                try:
                    repo.git.config(setting)
                except git.GitCommandError:
                    env[f"GIT_{role}_{key}"] = fallback
    return env
