"""What changed in a source-tracked sandbox, from the Tooling API's SourceMember rows.

Where source tracking is on (Developer and Developer Pro sandboxes with "Enable Source Tracking in
Developer and Developer Pro Sandboxes", scratch orgs), Salesforce keeps one SourceMember row per component:
MemberType and MemberName name it, RevisionCounter grows with every change, IsNameObsolete says it was
deleted (the row stays), LastModifiedDate says when, and ChangedBy who. ChangedBy is a plain string (a
user Id in practice, a username by the documentation), not a relationship, so names are resolved with one
User query. An org without source tracking has no SourceMember at all: the query answers INVALID_TYPE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import UsageError
from ..registry import load_registry
from . import connect
from .client import OrgClient, OrgError, QueryError
from .metadata import MetadataApi

_FIELDS = "MemberType, MemberName, RevisionCounter, IsNameObsolete, LastModifiedDate, ChangedBy"
_USER_BATCH = 100  # Ids per User query, to keep its URL short
_ID = re.compile(r"^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$")


class NoSourceTracking(OrgError):
    """The org keeps no SourceMember rows (exit code 3, as for other org failures)."""


@dataclass(frozen=True)
class Change:
    """One component the org's source tracking says changed."""

    type: str
    full_name: str
    revision: int
    deleted: bool
    last_modified: str | None
    changed_by: str | None  # the user's name when it could be resolved, else what SourceMember holds

    @property
    def selector(self) -> str:
        """As ``compare`` prints it and ``commit``/``hotfix --select-file`` read it."""
        return f"{self.type}:{self.full_name}"

    def as_json(self) -> dict:
        return {"type": self.type, "fullName": self.full_name, "selector": self.selector,
                "revision": self.revision, "deleted": self.deleted, "lastModifiedDate": self.last_modified,
                "changedBy": self.changed_by}


def parse_since(text: str) -> datetime:
    """``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM:SS`` (UTC unless an offset is given)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since/--changed-since: '{text}' is no date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)") \
            from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def changes_query(since: datetime | None, since_revision: int | None, types: list[str] | None) -> str:
    """The SOQL: every condition joined with AND (SourceMember filters on each of these fields)."""
    conditions = []
    if since is not None:
        conditions.append(f"LastModifiedDate >= {since.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    if since_revision is not None:
        conditions.append(f"RevisionCounter > {since_revision}")
    if types:
        conditions.append(f"MemberType IN ({', '.join(_quoted(t) for t in types)})")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"SELECT {_FIELDS} FROM SourceMember{where} ORDER BY RevisionCounter"


def tracking_request(since: str | None, types: list[str] | None) -> datetime | None:
    """``--since`` read and ``--types`` checked, before the org is reached: a mistyped date or type needs no
    login to be told."""
    for name in types or []:
        load_registry().get(name)  # a clear error for a misspelt type
    return parse_since(since) if since else None


def changed_components(api: MetadataApi, *, since: datetime | None = None, since_revision: int | None = None,
                       types: list[str] | None = None) -> list[Change]:
    """The components the org tracked as changed (after ``since``, past ``since_revision``, of ``types``),
    oldest revision first; ``tracking_request`` checks the request first."""
    client = api.client
    try:
        rows = client.tooling_query(changes_query(since, since_revision, types))
    except QueryError as exc:
        if exc.code == "INVALID_TYPE" and "SourceMember" in str(exc):
            raise NoSourceTracking(f"{client.name} does not track source changes (its Tooling API has no "
                                   "SourceMember): turn on source tracking for the sandbox, or compare with "
                                   f"--source org:{client.label or ''}") from None
        raise
    names = _user_names(client, {str(r["ChangedBy"]) for r in rows if r.get("ChangedBy")})
    return [Change(type=str(r.get("MemberType") or ""), full_name=str(r.get("MemberName") or ""),
                   revision=int(r.get("RevisionCounter") or 0), deleted=bool(r.get("IsNameObsolete")),
                   last_modified=r.get("LastModifiedDate"),
                   changed_by=names.get(str(r["ChangedBy"]), str(r["ChangedBy"])) if r.get("ChangedBy") else None)
            for r in rows]


def _user_names(client: OrgClient, changed_by: set[str]) -> dict[str, str]:
    """Names of the users ChangedBy holds (Ids, 15 or 18 characters, or usernames); none when the
    user query is refused: the raw value is shown then."""
    ids = sorted(v for v in changed_by if _ID.match(v))
    usernames = sorted(v for v in changed_by if "@" in v)
    found: dict[str, str] = {}
    try:
        for start in range(0, len(ids), _USER_BATCH):
            batch = ", ".join(_quoted(i) for i in ids[start:start + _USER_BATCH])
            for user in client.query(f"SELECT Id, Name FROM User WHERE Id IN ({batch})"):
                found[str(user["Id"])[:15]] = str(user["Name"])
        for start in range(0, len(usernames), _USER_BATCH):
            batch = ", ".join(_quoted(u) for u in usernames[start:start + _USER_BATCH])
            for user in client.query(f"SELECT Username, Name FROM User WHERE Username IN ({batch})"):
                found[str(user["Username"])] = str(user["Name"])
    except QueryError:
        return {}

    def key(value: str) -> str:
        return value[:15] if _ID.match(value) else value

    return {value: found[key(value)] for value in changed_by if key(value) in found}


@dataclass
class ChangesReport:
    org: str
    changes: list[Change]
    select_file: Path | None = None

    @property
    def latest_revision(self) -> int | None:
        return max((c.revision for c in self.changes), default=None)

    def as_json(self) -> dict:
        return {"org": self.org, "latestRevision": self.latest_revision,
                "selectFile": str(self.select_file) if self.select_file else None,
                "changes": [c.as_json() for c in self.changes]}


def list_changes(target_org: str | None, since: str | None, since_revision: int | None, types: list[str] | None,
                 select_file: Path | None) -> ChangesReport:
    """``sfhotfix changes``: the components changed in the org; their selectors written to ``select_file``."""
    moment = tracking_request(since, types)
    api = connect(target_org)
    changes = changed_components(api, since=moment, since_revision=since_revision, types=types)
    if select_file is not None:
        lines = [f"# changed in {api.client.name} (source tracking), oldest revision first\n"]
        lines += [f"{c.selector}  # deleted in the org\n" if c.deleted else f"{c.selector}\n" for c in changes]
        select_file.write_text("".join(lines), encoding="utf-8")
    return ChangesReport(api.client.name, changes, select_file)
