"""A small local emulator of the REST calls sfhotfix.hosts makes on GitHub, GitLab, Bitbucket Cloud and Azure
DevOps, so that the test flows can be recorded as cassettes without any real host or real token.

It answers only on 127.0.0.1, over plain http, under one prefix per host::

    http://127.0.0.1:PORT/github/…                GitHub REST (api.github.com)
    http://127.0.0.1:PORT/gitlab/api/v4/…         GitLab REST v4
    http://127.0.0.1:PORT/bitbucket/2.0/…         Bitbucket Cloud REST 2.0
    http://127.0.0.1:PORT/azure/{org}/…           Azure DevOps Git REST

and emulates, in each host's documented JSON shapes, exactly what the client uses: create (201), list with
pagination (GitHub ``Link``, GitLab ``Link``/``X-Next-Page``, Bitbucket ``next``), get, update, reviewers
and labels, "already exists" refusals (GitHub 422, GitLab 409, Azure DevOps 409 TF401179), 404 for
unknown repositories and 401 for a missing or wrong token (Azure DevOps: 203 and a sign-in page for a
bearer token it does not know, as the real service does).

For the validation gate it keeps, per pull request, its state (open, merged, closed), its head commit and
merge commit (fake but stable SHA-1s, see :func:`commit_sha`; Bitbucket answers with 12-character short
hashes, as it does), its comments (GitHub issue comments, GitLab notes, Bitbucket comments, Azure DevOps
threads) and the commit statuses sent (GitHub statuses, GitLab commit statuses with its "Cannot transition
status" refusal of a repeated running state, Bitbucket build statuses, Azure DevOps pull request and commit
statuses), each checked against the host's own state words and limits; an unknown pull request or commit
gets the host's 404 (GitHub: 422 for an unknown commit).

Test hooks: :meth:`HostsEmulator.fail_next` (inject 5xx, optionally after doing the work),
:meth:`HostsEmulator.hide_next_lists` (a list that misses an open pull request, as a race would),
:meth:`HostsEmulator.add_pr` (seed pull requests, including ones from forks), :meth:`HostsEmulator.merge`
and :meth:`HostsEmulator.close` (what a person does on the host), :meth:`HostsEmulator.add_comment` (a
person's comment, or a system note) and ``page_size``; :attr:`HostsEmulator.statuses` holds what was sent.

Tokens are fake strings (:data:`TOKENS`); nothing here looks like a real token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

TOKENS = {
    "github": "test-token-github",
    "gitlab": "test-token-gitlab",
    "bitbucket": "test-token-bitbucket",
    "bitbucket-user": "test-user",
    "bitbucket-app-password": "test-app-password",
    "azure": "test-token-azure",  # a PAT, sent as basic auth
    "azure-pipeline": "test-token-azure-pipeline",  # a SYSTEM_ACCESSTOKEN, sent as Bearer
}

# the one repository each host knows
GITHUB_REPO = "acme/repo"
GITLAB_PROJECT = "group/sub/repo"
GITLAB_PROJECT_ID = 42
BITBUCKET_REPO = "acme/repo"
AZURE_ORG, AZURE_PROJECT, AZURE_REPO = "acme", "Sales Force", "repo"
AZURE_REPO_ID = "5febef5a-833d-4e14-b9c0-14cb638f91e6"

# people: GitHub logins and teams, GitLab users, Bitbucket {uuid} → account id, Azure DevOps identity ids
GITHUB_USERS = {"alice", "bob"}
GITHUB_TEAMS = {"hotfix-reviewers"}
GITLAB_USERS = {"alice": 11, "bob": 12}
BITBUCKET_USERS = {"{a1b2c3d4-0000-4000-8000-000000000001}": "557058:alice-account",
                   "{a1b2c3d4-0000-4000-8000-000000000002}": "557058:bob-account"}
AZURE_USERS = {"6f1c2a3b-0000-4000-8000-0000000000a1": "Alice", "6f1c2a3b-0000-4000-8000-0000000000b2": "Bob"}

CREATED_AT = "2024-05-01T12:00:00Z"  # fixed, so recordings do not change between runs


def commit_sha(kind: str, what: str) -> str:
    """A stable fake commit id (40 hex digits) for ``what`` on ``kind``'s repository, the same on every run."""
    return hashlib.sha1(f"{kind}:{what}".encode()).hexdigest()


@dataclass
class Note:
    """A comment on a pull request (an Azure DevOps thread with one comment); ``system`` for the host's own."""

    id: int
    body: str
    system: bool = False
    status: str | None = None  # an Azure DevOps thread's status


@dataclass
class Pr:
    """One pull request, host-neutral; rendered in each host's shape."""

    kind: str
    number: int
    head: str
    base: str
    title: str
    body: str
    draft: bool = False
    state: str = "open"
    reviewers: list[Any] = field(default_factory=list)  # logins / user ids / {uuid}s / identity ids
    teams: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    fork: str | None = None  # the source repository when it is a fork
    comments: list[Note] = field(default_factory=list)
    merge_sha: str | None = None  # set by HostsEmulator.merge
    head_commit: str | None = None  # a real commit of a test's repository, instead of a made-up one

    @property
    def sha(self) -> str:
        """The head commit."""
        return self.head_commit or commit_sha(self.kind, f"pr{self.number}:{self.head}")

    @property
    def base_sha(self) -> str:
        return commit_sha(self.kind, f"branch:{self.base}")

    @property
    def trial_merge_sha(self) -> str:
        """The merge GitHub and Azure DevOps compute for an open pull request (not the merge commit)."""
        return commit_sha(self.kind, f"trial-merge{self.number}")


@dataclass
class _Fault:
    count: int
    status: int
    method: str | None
    after: bool


class _Reply(Exception):
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None,
                 raw: bytes | None = None, content_type: str = "application/json; charset=utf-8"):
        self.status, self.body, self.headers = status, body, headers or {}
        self.raw, self.content_type = raw, content_type


class HostsEmulator:
    """Start with ``with HostsEmulator() as emu:`` (or :meth:`start`/:meth:`stop`)."""

    def __init__(self, page_size: int = 30, port: int = 0):
        self.page_size = page_size
        self.port = port  # 0: any free port
        self.prs: list[Pr] = []
        self.log: list[tuple[str, str]] = []  # (method, path) of every request, for assertions
        self.missing_branches: set[str] = set()  # branches that "were not pushed"
        self.statuses: list[dict[str, Any]] = []  # every commit status received: kind, sha, number and the body
        self._faults: list[_Fault] = []
        self._hidden_lists = 0
        self._numbers: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> HostsEmulator:
        emulator = self

        class Handler(_Handler):
            emu = emulator

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="hosts-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> HostsEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def api_base(self, kind: str) -> str:
        return api_base(self.base_url, kind)

    # -- test hooks ---------------------------------------------------------------------------------------
    def fail_next(self, count: int = 1, status: int = 503, method: str | None = None, after: bool = False) -> None:
        """The next ``count`` requests (of ``method``, if given) get ``status``; with ``after`` the request is
        carried out first, as when a host does the work and then fails to answer."""
        self._faults.append(_Fault(count, status, method, after))

    def hide_next_lists(self, count: int = 1) -> None:
        """The next ``count`` list calls find nothing, as a list racing a concurrent create would."""
        self._hidden_lists += count

    def add_pr(self, kind: str, head: str, base: str, title: str = "Seeded", body: str = "", draft: bool = False,
               fork: str | None = None, reviewers: list[Any] | None = None, labels: list[str] | None = None) -> Pr:
        with self._lock:
            return self._new(kind, head, base, title, body, draft, fork=fork, reviewers=reviewers or [],
                             labels=labels or [])

    def open_prs(self, kind: str) -> list[Pr]:
        return [p for p in self.prs if p.kind == kind and p.state == "open"]

    def merge(self, kind: str, number: int, merge_sha: str | None = None) -> Pr:
        """Merge pull request ``number``, as a person would on the host: merged, with a merge commit (a real one
        of the test's repository when given)."""
        with self._lock:
            pr = self._find(kind, number)
            pr.state, pr.merge_sha = "merged", merge_sha or commit_sha(kind, f"merge{number}")
            return pr

    def close(self, kind: str, number: int) -> Pr:
        """Close pull request ``number`` without merging (declined, abandoned)."""
        with self._lock:
            pr = self._find(kind, number)
            pr.state = "closed"
            return pr

    def add_comment(self, kind: str, number: int, body: str, system: bool = False) -> Note:
        """A comment a person wrote on pull request ``number``, or (``system``) one the host wrote itself."""
        with self._lock:
            return self._comment(self._find(kind, number), body, system)

    def known_commit(self, kind: str, sha: str) -> str | None:
        """The full id of a commit ``kind``'s repository has (``sha`` may be abbreviated to 7 or more)."""
        sha = sha.lower()
        if len(sha) < 7:
            return None
        for pr in (p for p in self.prs if p.kind == kind):
            for full in (pr.sha, pr.base_sha, pr.merge_sha):
                if full and full.startswith(sha):
                    return full
        return None

    # -- internals ----------------------------------------------------------------------------------------
    def _new(self, kind: str, head: str, base: str, title: str, body: str, draft: bool, **more: Any) -> Pr:
        number = self._numbers.get(kind, 0) + 1
        self._numbers[kind] = number
        pr = Pr(kind, number, head, base, title, body, draft, **more)
        self.prs.append(pr)
        return pr

    def _find(self, kind: str, number: int, missing: Any = None) -> Pr:
        """Pull request ``number``, or a 404 with ``missing`` (the host's body) or GitHub's."""
        for pr in self.prs:
            if pr.kind == kind and pr.number == number:
                return pr
        raise _Reply(404, missing or {"message": "Not Found"})

    def _comment(self, pr: Pr, body: str, system: bool = False) -> Note:
        number = self._numbers.get(f"{pr.kind}:comment", 100) + 1
        self._numbers[f"{pr.kind}:comment"] = number
        note = Note(number, body, system)
        pr.comments.append(note)
        return note

    def _status(self, kind: str, sha: str, number: int | None, body: dict) -> dict:
        record = {"kind": kind, "sha": sha, "number": number, **body}
        self.statuses.append(record)
        return record

    def _fault(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.count > 0 and fault.method in (None, method):
                fault.count -= 1
                return fault
        return None

    def _listing(self) -> bool:
        """False when this list call is one of the hidden ones."""
        if self._hidden_lists > 0:
            self._hidden_lists -= 1
            return False
        return True

    def _page(self, items: list, params: dict[str, str], size_key: str) -> tuple[list, int, int, int]:
        """(the page's items, page, per page, number of pages)."""
        per_page = max(1, min(int(params.get(size_key) or 30), self.page_size))
        page = max(1, int(params.get("page") or 1))
        pages = max(1, -(-len(items) // per_page))
        return items[(page - 1) * per_page: page * per_page], page, per_page, pages

    def _url(self, path: str, params: dict[str, str]) -> str:
        return f"{self.base_url}{path}?{urlencode(params)}"


def api_base(base_url: str, kind: str) -> str:
    """Where a host's REST root is on an emulator at ``base_url`` (also used, with a fixed port, in replay)."""
    return {"github": f"{base_url}/github", "gitlab": f"{base_url}/gitlab/api/v4",
            "bitbucket": f"{base_url}/bitbucket/2.0", "azure": f"{base_url}/azure/{AZURE_ORG}"}[kind]


class _Handler(BaseHTTPRequestHandler):
    emu: HostsEmulator
    protocol_version = "HTTP/1.1"
    server_version = "hosts-emulator"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        segments = [unquote(s) for s in parts.path.split("/") if s]
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        emu = self.emu
        with emu._lock:
            emu.log.append((method, parts.path))
            fault = emu._fault(method)
            try:
                if fault is not None and not fault.after:
                    raise _Reply(fault.status, {"message": "Service Unavailable (injected)"})
                try:
                    data = json.loads(raw) if raw else None
                except ValueError:
                    raise _Reply(400, {"message": "Problems parsing JSON"}) from None
                _route(emu, method, segments, params, data, dict(self.headers), parts.path)
                reply = _Reply(500, {"message": "the emulator had no answer"})
            except _Reply as exc:
                reply = exc
            if fault is not None and fault.after:
                reply = _Reply(fault.status, {"message": "Bad Gateway (injected, after the work was done)"})
        self._send(reply)

    def _send(self, reply: _Reply) -> None:
        raw = reply.raw if reply.raw is not None else (b"" if reply.body is None else json.dumps(reply.body).encode())
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(raw)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)


# -- routing ----------------------------------------------------------------------------------------------
def _route(emu: HostsEmulator, method: str, seg: list[str], params: dict[str, str], data: Any,
           headers: dict[str, str], path: str) -> None:
    """Answers by raising :class:`_Reply`."""
    headers = {k.lower(): v for k, v in headers.items()}
    if seg[:1] == ["github"]:
        return _github(emu, method, seg[1:], params, data, headers, path)
    if seg[:3] == ["gitlab", "api", "v4"]:
        return _gitlab(emu, method, seg[3:], params, data, headers, path)
    if seg[:2] == ["bitbucket", "2.0"]:
        return _bitbucket(emu, method, seg[2:], params, data, headers, path)
    if seg[:1] == ["azure"]:
        return _azure(emu, method, seg[1:], params, data, headers)
    raise _Reply(404, {"message": "no such emulated host"})


def _bearer(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token if scheme.lower() in ("bearer", "token") else None


def _basic(headers: dict[str, str]) -> tuple[str, str] | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return None
    return user, password


# -- GitHub -----------------------------------------------------------------------------------------------
def _github(emu: HostsEmulator, method: str, seg: list[str], params: dict[str, str], data: Any,
            headers: dict[str, str], path: str) -> _Reply:
    token = _bearer(headers)
    if token is None:
        raise _Reply(401, {"message": "Requires authentication", "documentation_url": "https://docs.github.com/rest"})
    if token != TOKENS["github"]:
        raise _Reply(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
    if len(seg) < 4 or seg[0] != "repos" or f"{seg[1]}/{seg[2]}" != GITHUB_REPO:
        raise _Reply(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
    owner, rest = seg[1], seg[3:]
    if rest == ["pulls"] and method == "GET":
        found = [p for p in emu.open_prs("github") if params.get("state", "open") in ("open", "all")] \
            if emu._listing() else []
        if "head" in params:
            found = [p for p in found if f"{(p.fork or GITHUB_REPO).split('/')[0]}:{p.head}" == params["head"]]
        if "base" in params:
            found = [p for p in found if p.base == params["base"]]
        items, headers = _github_page(emu, found, params, path)
        raise _Reply(200, [_github_json(p) for p in items], headers)
    if rest == ["pulls"] and method == "POST":
        head, base, title = data.get("head"), data.get("base"), data.get("title")
        if not head or not base or not title:
            missing = [k for k in ("title", "head", "base") if not data.get(k)]
            raise _Reply(422, {"message": "Validation Failed", "errors": [
                {"resource": "PullRequest", "field": k, "code": "missing_field"} for k in missing]})
        if head in emu.missing_branches:
            raise _Reply(422, {"message": "Validation Failed",
                               "errors": [{"resource": "PullRequest", "field": "head", "code": "invalid"}]})
        if head == base:
            raise _Reply(422, {"message": "Validation Failed", "errors": [
                {"resource": "PullRequest", "code": "custom", "message": f"No commits between {base} and {head}"}]})
        if any(p.head == head and p.base == base and not p.fork for p in emu.open_prs("github")):
            raise _Reply(422, {"message": "Validation Failed", "errors": [
                {"resource": "PullRequest", "code": "custom",
                 "message": f"A pull request already exists for {owner}:{head}."}],
                "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"})
        pr = emu._new("github", head, base, title, data.get("body") or "", bool(data.get("draft")))
        raise _Reply(201, _github_json(pr))
    if len(rest) == 2 and rest[0] == "statuses" and method == "POST":
        raise _github_status(emu, rest[1], data)
    if len(rest) == 3 and rest[:2] == ["issues", "comments"] and rest[2].isdigit() and method == "PATCH":
        pr, note = _note(emu, "github", int(rest[2]), {"message": "Not Found"})
        if not isinstance(data.get("body"), str):
            raise _Reply(422, {"message": "Invalid request.\n\n\"body\" wasn't supplied."})
        note.body = data["body"]
        raise _Reply(200, _github_comment(pr, note))
    if len(rest) >= 2 and rest[0] in ("pulls", "issues") and rest[1].isdigit():
        pr = emu._find("github", int(rest[1]))
        if rest[0] == "pulls" and len(rest) == 2 and method == "GET":
            raise _Reply(200, _github_json(pr, single=True))
        if rest[0] == "issues" and rest[2:] == ["comments"] and method == "GET":
            items, headers = _github_page(emu, pr.comments, params, path)
            raise _Reply(200, [_github_comment(pr, note) for note in items], headers)
        if rest[0] == "issues" and rest[2:] == ["comments"] and method == "POST":
            if not isinstance(data.get("body"), str) or not data["body"]:
                raise _Reply(422, {"message": "Validation Failed", "errors": [
                    {"resource": "IssueComment", "code": "missing_field", "field": "body"}]})
            raise _Reply(201, _github_comment(pr, emu._comment(pr, data["body"])))
        if rest[0] == "pulls" and len(rest) == 2 and method == "PATCH":
            for key in ("title", "body", "base", "state"):
                if key in data:
                    setattr(pr, key, data[key])
            raise _Reply(200, _github_json(pr))
        if rest[0] == "pulls" and rest[2:] == ["requested_reviewers"] and method == "POST":
            users, teams = data.get("reviewers") or [], data.get("team_reviewers") or []
            if any(u not in GITHUB_USERS for u in users) or any(t not in GITHUB_TEAMS for t in teams):
                raise _Reply(422, {"message": "Reviews may only be requested from collaborators. One or more of the "
                                              "users or teams you specified is not a collaborator of the "
                                              f"{GITHUB_REPO} repository."})
            pr.reviewers += [u for u in users if u not in pr.reviewers]
            pr.teams += [t for t in teams if t not in pr.teams]
            raise _Reply(201, _github_json(pr))
        if rest[0] == "issues" and rest[2:] == ["labels"] and method == "POST":
            pr.labels += [label for label in data.get("labels") or [] if label not in pr.labels]
            raise _Reply(200, [_github_label(label) for label in pr.labels])
    raise _Reply(404, {"message": "Not Found"})


def _github_page(emu: HostsEmulator, found: list, params: dict[str, str], path: str) -> tuple[list, dict[str, str]]:
    """One page of a GitHub list, and its ``Link`` header."""
    items, page, _, pages = emu._page(found, params, "per_page")
    links = []
    if page < pages:
        links.append(f'<{emu._url(path, {**params, "page": str(page + 1)})}>; rel="next"')
        links.append(f'<{emu._url(path, {**params, "page": str(pages)})}>; rel="last"')
    return items, {"Link": ", ".join(links)} if links else {}


def _note(emu: HostsEmulator, kind: str, note_id: int, missing: Any) -> tuple[Pr, Note]:
    """The comment ``note_id`` of ``kind`` and its pull request, or a 404 with ``missing``."""
    for pr in emu.prs:
        for note in pr.comments:
            if pr.kind == kind and note.id == note_id:
                return pr, note
    raise _Reply(404, missing)


def _github_comment(pr: Pr, note: Note) -> dict:
    api = f"https://api.github.com/repos/{GITHUB_REPO}/issues"
    return {"id": note.id, "node_id": f"IC_{note.id}", "url": f"{api}/comments/{note.id}",
            "html_url": f"https://github.com/{GITHUB_REPO}/pull/{pr.number}#issuecomment-{note.id}",
            "issue_url": f"{api}/{pr.number}", "body": note.body,
            "user": {"login": "github-actions[bot]" if note.system else "alice",
                     "type": "Bot" if note.system else "User"},
            "created_at": CREATED_AT, "updated_at": CREATED_AT, "author_association": "MEMBER"}


_GITHUB_STATES = ("error", "failure", "pending", "success")


def _github_status(emu: HostsEmulator, sha: str, data: Any) -> _Reply:
    full = emu.known_commit("github", sha)
    if full is None:
        return _Reply(422, {"message": f"No commit found for SHA: {sha}",
                            "documentation_url": "https://docs.github.com/rest/commits/statuses#create-a-commit-status"})
    problems = []
    if data.get("state") not in _GITHUB_STATES:
        problems.append(("state", "state is not included in the list"))
    if len(data.get("description") or "") > 140:
        problems.append(("description", "description is too long (maximum is 140 characters)"))
    if problems:
        return _Reply(422, {"message": "Validation Failed", "errors": [
            {"resource": "Status", "code": "custom", "field": f, "message": m} for f, m in problems]})
    record = emu._status("github", full, None, {"state": data["state"], "context": data.get("context") or "default",
                                                "description": data.get("description"),
                                                "target_url": data.get("target_url")})
    return _Reply(201, {"url": f"https://api.github.com/repos/{GITHUB_REPO}/statuses/{full}",
                        "id": 7000 + len(emu.statuses), "state": record["state"], "description": record["description"],
                        "target_url": record["target_url"], "context": record["context"], "created_at": CREATED_AT,
                        "updated_at": CREATED_AT, "creator": {"login": "alice", "type": "User"}})


def _github_label(name: str) -> dict:
    return {"id": 1000 + sum(map(ord, name)), "name": name, "color": "ededed", "default": False}


def _github_json(pr: Pr, single: bool = False) -> dict:
    """A pull request as GitHub lists it; ``single``: as one GET answers, with ``merged`` (lists lack it)."""
    owner = (pr.fork or GITHUB_REPO).split("/")[0]
    out = {
        "url": f"https://api.github.com/repos/{GITHUB_REPO}/pulls/{pr.number}",
        "id": 900000 + pr.number, "number": pr.number, "state": "open" if pr.state == "open" else "closed",
        "draft": pr.draft, "title": pr.title,
        "body": pr.body, "html_url": f"https://github.com/{GITHUB_REPO}/pull/{pr.number}",
        "created_at": CREATED_AT, "updated_at": CREATED_AT,
        "closed_at": None if pr.state == "open" else CREATED_AT,
        "merged_at": CREATED_AT if pr.state == "merged" else None,
        "merge_commit_sha": pr.merge_sha or pr.trial_merge_sha,
        "head": {"label": f"{owner}:{pr.head}", "ref": pr.head, "sha": pr.sha,
                 "repo": {"full_name": pr.fork or GITHUB_REPO, "owner": {"login": owner}}},
        "base": {"label": f"{GITHUB_REPO.split('/')[0]}:{pr.base}", "ref": pr.base, "sha": pr.base_sha,
                 "repo": {"full_name": GITHUB_REPO, "owner": {"login": GITHUB_REPO.split('/')[0]}}},
        "requested_reviewers": [{"login": u, "type": "User"} for u in pr.reviewers],
        "requested_teams": [{"slug": t, "name": t} for t in pr.teams],
        "labels": [_github_label(label) for label in pr.labels],
    }
    if single:
        out.update({"merged": pr.state == "merged", "mergeable": pr.state == "open" or None,
                    "comments": len(pr.comments)})
    return out


# -- GitLab -----------------------------------------------------------------------------------------------
_DRAFT = re.compile(r"^\s*(\[draft\]|\(draft\)|draft:|draft\s-\s|draft\s)", re.IGNORECASE)


def _gitlab(emu: HostsEmulator, method: str, seg: list[str], params: dict[str, str], data: Any,
            headers: dict[str, str], path: str) -> _Reply:
    token = headers.get("private-token") or _bearer(headers)
    if token != TOKENS["gitlab"]:
        raise _Reply(401, {"message": "401 Unauthorized"})
    if seg == ["users"] and method == "GET":
        name = params.get("username", "")
        user = GITLAB_USERS.get(name.lower())
        raise _Reply(200, [] if user is None else [{"id": user, "username": name.lower(), "name": name.title(),
                                                    "state": "active"}])
    if len(seg) < 3 or seg[0] != "projects" or seg[1] not in (GITLAB_PROJECT, str(GITLAB_PROJECT_ID)) \
            or seg[2] not in ("merge_requests", "statuses"):
        raise _Reply(404, {"message": "404 Project Not Found"})
    if seg[2] == "statuses" and len(seg) == 4 and method == "POST":
        raise _gitlab_status(emu, seg[3], data)
    if seg[2] == "statuses":
        raise _Reply(404, {"message": "404 Not Found"})
    rest = seg[3:]
    if not rest and method == "GET":
        found = emu.open_prs("gitlab") if emu._listing() and params.get("state", "opened") == "opened" else []
        if "source_branch" in params:
            found = [p for p in found if p.head == params["source_branch"]]
        if "target_branch" in params:
            found = [p for p in found if p.base == params["target_branch"]]
        items, head = _gitlab_page(emu, found, params, path)
        raise _Reply(200, [_gitlab_json(p) for p in items], head)
    if not rest and method == "POST":
        source, target, title = data.get("source_branch"), data.get("target_branch"), data.get("title")
        if not source or not target or not title:
            raise _Reply(400, {"error": "source_branch, target_branch, title are missing"})
        existing = [p for p in emu.open_prs("gitlab") if p.head == source and p.base == target and not p.fork]
        if existing:
            raise _Reply(409, {"message": [f"Another open merge request already exists for this source branch: "
                                           f"!{existing[0].number}"]})
        labels = [label.strip() for label in (data.get("labels") or "").split(",") if label.strip()]
        reviewers = [i for i in data.get("reviewer_ids") or [] if i in GITLAB_USERS.values()]
        pr = emu._new("gitlab", source, target, title, data.get("description") or "", bool(_DRAFT.match(title)),
                      reviewers=reviewers, labels=labels)
        raise _Reply(201, _gitlab_json(pr))
    if len(rest) >= 2 and rest[0].isdigit() and rest[1] == "notes":
        pr = emu._find("gitlab", int(rest[0]), {"message": "404 Not found"})
        if len(rest) == 2 and method == "GET":
            notes = sorted(pr.comments, key=lambda n: n.id, reverse=params.get("sort", "desc") != "asc")
            items, head = _gitlab_page(emu, notes, params, path)
            raise _Reply(200, [_gitlab_note(pr, note) for note in items], head)
        if len(rest) == 2 and method == "POST":
            if not isinstance(data.get("body"), str) or not data["body"]:
                raise _Reply(400, {"error": "body is missing"})
            raise _Reply(201, _gitlab_note(pr, emu._comment(pr, data["body"])))
        if len(rest) == 3 and rest[2].isdigit() and method == "PUT":
            note = next((n for n in pr.comments if n.id == int(rest[2])), None)
            if note is None:
                raise _Reply(404, {"message": "404 Not found"})
            if note.system:
                raise _Reply(403, {"message": "403 Forbidden"})
            note.body = data.get("body", note.body)
            raise _Reply(200, _gitlab_note(pr, note))
    if len(rest) == 1 and rest[0].isdigit():
        pr = emu._find("gitlab", int(rest[0]), {"message": "404 Not found"})
        if method == "GET":
            raise _Reply(200, _gitlab_json(pr))
        if method == "PUT":
            if "title" in data:
                pr.title, pr.draft = data["title"], bool(_DRAFT.match(data["title"]))
            if "description" in data:
                pr.body = data["description"]
            if "labels" in data:
                pr.labels = [label for label in data["labels"].split(",") if label]
            for label in (data.get("add_labels") or "").split(","):
                if label and label not in pr.labels:
                    pr.labels.append(label)
            if "reviewer_ids" in data:
                pr.reviewers = [i for i in data["reviewer_ids"] if i in GITLAB_USERS.values()]
            raise _Reply(200, _gitlab_json(pr))
    raise _Reply(404, {"message": "404 Not found"})


def _gitlab_page(emu: HostsEmulator, found: list, params: dict[str, str], path: str) -> tuple[list, dict[str, str]]:
    """One page of a GitLab list, and its ``X-*`` and ``Link`` headers."""
    items, page, per_page, pages = emu._page(found, params, "per_page")
    head = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(found)),
            "X-Total-Pages": str(pages), "X-Next-Page": str(page + 1) if page < pages else "",
            "X-Prev-Page": str(page - 1) if page > 1 else ""}
    links = [f'<{emu._url(path, {**params, "page": str(page + 1)})}>; rel="next"'] if page < pages else []
    links += [f'<{emu._url(path, {**params, "page": "1"})}>; rel="first"',
              f'<{emu._url(path, {**params, "page": str(pages)})}>; rel="last"']
    return items, {**head, "Link": ", ".join(links)}


def _gitlab_note(pr: Pr, note: Note) -> dict:
    author = {"id": 1, "username": "gitlab-bot" if note.system else "alice", "name": "Alice", "state": "active"}
    return {"id": note.id, "type": None, "body": note.body, "attachment": None, "author": author,
            "created_at": CREATED_AT, "updated_at": CREATED_AT, "system": note.system, "noteable_id": 5000 + pr.number,
            "noteable_type": "MergeRequest", "project_id": GITLAB_PROJECT_ID, "noteable_iid": pr.number,
            "resolvable": False, "confidential": False, "internal": False}


_GITLAB_EVENTS = {"pending": "enqueue", "running": "run", "success": "success", "failed": "drop",
                  "canceled": "cancel", "skipped": "skip"}
_GITLAB_NEXT = {"pending": {"running", "success", "failed", "canceled", "skipped"},
                "running": {"success", "failed", "canceled"}}  # from an active state; a finished one starts anew


def _gitlab_status(emu: HostsEmulator, sha: str, data: Any) -> _Reply:
    full = emu.known_commit("gitlab", sha)
    if full is None:
        return _Reply(404, {"message": "404 Commit Not Found"})
    state = data.get("state")
    if state not in _GITLAB_EVENTS:
        return _Reply(400, {"error": "state does not have a valid value"})
    if len(data.get("description") or "") > 255:
        return _Reply(400, {"message": {"description": ["is too long (maximum is 255 characters)"]}})
    name = data.get("name") or data.get("context") or "default"
    latest = next((r for r in reversed(emu.statuses) if (r["kind"], r["sha"], r["name"]) == ("gitlab", full, name)),
                  None)
    if latest is not None and latest["status"] in _GITLAB_NEXT and state not in _GITLAB_NEXT[latest["status"]]:
        return _Reply(400, {"message": f"Cannot transition status via :{_GITLAB_EVENTS[state]} from "
                                       f":{latest['status']}"})
    record = emu._status("gitlab", full, None, {"status": state, "name": name, "description": data.get("description"),
                                                "target_url": data.get("target_url")})
    return _Reply(201, {"id": 8000 + len(emu.statuses), "sha": full, "ref": None, **{k: record[k] for k in (
        "status", "name", "target_url", "description")}, "created_at": CREATED_AT, "started_at": None,
        "finished_at": None, "allow_failure": False, "coverage": None,
        "author": {"id": 1, "username": "alice", "name": "Alice", "state": "active"}})


def _gitlab_json(pr: Pr) -> dict:
    names = {v: k for k, v in GITLAB_USERS.items()}
    source_project = 77 if pr.fork else GITLAB_PROJECT_ID
    return {
        "id": 5000 + pr.number, "iid": pr.number, "project_id": GITLAB_PROJECT_ID, "title": pr.title,
        "description": pr.body, "state": "opened" if pr.state == "open" else pr.state, "draft": pr.draft,
        "work_in_progress": pr.draft, "source_branch": pr.head, "target_branch": pr.base,
        "source_project_id": source_project, "target_project_id": GITLAB_PROJECT_ID, "labels": list(pr.labels),
        "reviewers": [{"id": i, "username": names.get(i, str(i))} for i in pr.reviewers],
        "created_at": CREATED_AT, "web_url": f"https://gitlab.com/{GITLAB_PROJECT}/-/merge_requests/{pr.number}",
        "sha": pr.sha, "merge_commit_sha": pr.merge_sha, "squash_commit_sha": None,
        "merged_at": CREATED_AT if pr.state == "merged" else None,
        "closed_at": CREATED_AT if pr.state == "closed" else None,
        "diff_refs": {"base_sha": pr.base_sha, "head_sha": pr.sha, "start_sha": pr.base_sha},
    }


# -- Bitbucket Cloud ----------------------------------------------------------------------------------------
_BBQL_TERM = re.compile(r'\s*([\w.]+)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:AND\s+|$)')


def _bbql(query: str) -> dict[str, str]:
    """``a.b = "x" AND c = "y"`` → {"a.b": "x", "c": "y"}; anything else is a 400, as on Bitbucket."""
    terms: dict[str, str] = {}
    position = 0
    while position < len(query):
        match = _BBQL_TERM.match(query, position)
        if match is None:
            raise _Reply(400, {"type": "error", "error": {"message": f"Invalid query: {query}"}})
        terms[match[1]] = re.sub(r"\\(.)", r"\1", match[2])
        position = match.end()
    return terms


def _bitbucket(emu: HostsEmulator, method: str, seg: list[str], params: dict[str, str], data: Any,
               headers: dict[str, str], path: str) -> _Reply:
    basic = _basic(headers)
    if not (_bearer(headers) == TOKENS["bitbucket"]
            or basic == (TOKENS["bitbucket-user"], TOKENS["bitbucket-app-password"])):
        raise _Reply(401, {"type": "error", "error": {"message": "Unauthorized"}})
    if len(seg) < 4 or seg[0] != "repositories" or f"{seg[1]}/{seg[2]}" != BITBUCKET_REPO \
            or seg[3] not in ("pullrequests", "commit"):
        raise _Reply(404, {"type": "error", "error": {"message": "Repository not found"}})
    if seg[3] == "commit" and seg[5:] == ["statuses", "build"] and method == "POST":
        raise _bitbucket_status(emu, seg[4], data)
    if seg[3] == "commit":
        raise _Reply(404, {"type": "error", "error": {"message": "Resource not found"}})
    rest = seg[4:]
    missing = {"type": "error", "error": {"message": "Resource not found"}}
    if not rest and method == "GET":
        terms = _bbql(params.get("q", ""))
        found = [p for p in emu.prs if p.kind == "bitbucket"] if emu._listing() else []
        fields = {"source.branch.name": lambda p: p.head, "destination.branch.name": lambda p: p.base,
                  "state": lambda p: {"open": "OPEN", "merged": "MERGED"}.get(p.state, "DECLINED")}
        for key, value in terms.items():
            if key not in fields:
                raise _Reply(400, {"type": "error", "error": {"message": f"Invalid field name: {key}"}})
            found = [p for p in found if fields[key](p) == value]
        if "state" not in terms:
            found = [p for p in found if p.state == "open"]
        raise _Reply(200, _bitbucket_page(emu, found, params, path, lambda p: _bitbucket_json(p, listed=True)))
    if not rest and method == "POST":
        source = ((data.get("source") or {}).get("branch") or {}).get("name")
        target = ((data.get("destination") or {}).get("branch") or {}).get("name") or "main"
        if not data.get("title") or not source:
            raise _Reply(400, {"type": "error", "error": {"message": "Bad request", "fields": {
                "title" if not data.get("title") else "source": ["This field is required."]}}})
        reviewers = [_bitbucket_person(r) for r in data.get("reviewers") or []]
        pr = emu._new("bitbucket", source, target, data["title"], data.get("description") or "",
                      bool(data.get("draft")), reviewers=reviewers)
        raise _Reply(201, _bitbucket_json(pr))
    if len(rest) >= 2 and rest[0].isdigit() and rest[1] == "comments":
        pr = emu._find("bitbucket", int(rest[0]), missing)
        if len(rest) == 2 and method == "GET":
            raise _Reply(200, _bitbucket_page(emu, pr.comments, params, path, lambda n: _bitbucket_comment(pr, n)))
        raw = ((data or {}).get("content") or {}).get("raw")
        if method in ("POST", "PUT") and (not isinstance(raw, str) or not raw):
            raise _Reply(400, {"type": "error", "error": {"message": "Bad request", "fields": {
                "content.raw": ["This field is required."]}}})
        if len(rest) == 2 and method == "POST":
            raise _Reply(201, _bitbucket_comment(pr, emu._comment(pr, raw)))
        if len(rest) == 3 and rest[2].isdigit() and method == "PUT":
            note = next((n for n in pr.comments if n.id == int(rest[2])), None)
            if note is None:
                raise _Reply(404, missing)
            note.body = raw
            raise _Reply(200, _bitbucket_comment(pr, note))
    if len(rest) == 1 and rest[0].isdigit():
        pr = emu._find("bitbucket", int(rest[0]), missing)
        if method == "GET":
            raise _Reply(200, _bitbucket_json(pr))
        if method == "PUT":
            if "title" in data:
                pr.title = data["title"]
            if "description" in data:
                pr.body = data["description"]
            if "reviewers" in data:
                pr.reviewers = [_bitbucket_person(r) for r in data["reviewers"]]
            raise _Reply(200, _bitbucket_json(pr))
    raise _Reply(404, {"type": "error", "error": {"message": "Resource not found"}})


def _bitbucket_page(emu: HostsEmulator, found: list, params: dict[str, str], path: str, render: Any) -> dict:
    """One page of a Bitbucket list, with the ``next`` URL."""
    items, page, per_page, pages = emu._page(found, params, "pagelen")
    body: dict = {"pagelen": per_page, "size": len(found), "page": page, "values": [render(i) for i in items]}
    if page < pages:
        body["next"] = emu._url(path, {**params, "page": str(page + 1)})
    return body


def _bitbucket_comment(pr: Pr, note: Note) -> dict:
    api = f"https://api.bitbucket.org/2.0/repositories/{BITBUCKET_REPO}/pullrequests/{pr.number}"
    return {"type": "pullrequest_comment", "id": note.id, "deleted": False, "pending": False,
            "content": {"type": "rendered", "raw": note.body, "markup": "markdown", "html": f"<p>{note.body}</p>"},
            "created_on": CREATED_AT, "updated_on": CREATED_AT,
            "user": {"type": "user", "display_name": "Alice", "uuid": next(iter(BITBUCKET_USERS))},
            "pullrequest": {"type": "pullrequest", "id": pr.number, "title": pr.title},
            "links": {"self": {"href": f"{api}/comments/{note.id}"},
                      "html": {"href": f"https://bitbucket.org/{BITBUCKET_REPO}/pull-requests/{pr.number}/_/diff"
                                       f"#comment-{note.id}"}}}


_BITBUCKET_STATES = ("INPROGRESS", "SUCCESSFUL", "FAILED", "STOPPED")


def _bitbucket_status(emu: HostsEmulator, sha: str, data: Any) -> _Reply:
    full = emu.known_commit("bitbucket", sha)
    if full is None:
        return _Reply(404, {"type": "error", "error": {"message": f"Commit not found: {sha}"}})
    fields = {k: ["This field is required."] for k in ("key", "state", "url") if not data.get(k)}
    if data.get("state") and data["state"] not in _BITBUCKET_STATES:
        fields["state"] = [f"\"{data['state']}\" is not a valid choice."]
    if fields:
        return _Reply(400, {"type": "error", "error": {"message": "Bad request", "fields": fields}})
    record = emu._status("bitbucket", full, None, {k: data.get(k) for k in ("key", "state", "name", "description",
                                                                              "url")})
    api = f"https://api.bitbucket.org/2.0/repositories/{BITBUCKET_REPO}/commit/{full}"
    return _Reply(201, {"type": "build", **{k: v for k, v in record.items() if k not in ("kind", "sha", "number")},
                        "refname": None, "created_on": CREATED_AT, "updated_on": CREATED_AT,
                        "commit": {"type": "commit", "hash": full},
                        "links": {"self": {"href": f"{api}/statuses/build/{record['key']}"},
                                  "commit": {"href": api}}})


def _bitbucket_person(ref: dict) -> str:
    """A reviewer reference ({uuid} or {account_id}) as the {uuid} of a known person, or a 400."""
    for uuid, account in BITBUCKET_USERS.items():
        if ref.get("uuid") == uuid or ref.get("account_id") == account:
            return uuid
    raise _Reply(400, {"type": "error", "error": {"message": "Bad request",
                                                  "fields": {"reviewers": ["Malformed reviewers list"]}}})


def _bitbucket_json(pr: Pr, listed: bool = False) -> dict:
    out = {
        "type": "pullrequest", "id": pr.number, "title": pr.title, "description": pr.body,
        "state": {"open": "OPEN", "merged": "MERGED"}.get(pr.state, "DECLINED"), "draft": pr.draft,
        "source": {"branch": {"name": pr.head}, "commit": {"type": "commit", "hash": pr.sha[:12]},
                   "repository": {"full_name": pr.fork or BITBUCKET_REPO}},
        "destination": {"branch": {"name": pr.base}, "commit": {"type": "commit", "hash": pr.base_sha[:12]},
                        "repository": {"full_name": BITBUCKET_REPO}},
        "merge_commit": {"type": "commit", "hash": pr.merge_sha[:12]} if pr.merge_sha else None,
        "comment_count": len(pr.comments), "closed_by": None, "reason": "",
        "created_on": CREATED_AT,
        "links": {"html": {"href": f"https://bitbucket.org/{BITBUCKET_REPO}/pull-requests/{pr.number}"},
                  "self": {"href": f"https://api.bitbucket.org/2.0/repositories/{BITBUCKET_REPO}/pullrequests/{pr.number}"}},
    }
    if not listed:  # "the API only returns this list when an API requests a pull request by id"
        out["reviewers"] = [{"type": "user", "uuid": u, "account_id": BITBUCKET_USERS[u]} for u in pr.reviewers]
    return out


# -- Azure DevOps -----------------------------------------------------------------------------------------
_SIGN_IN = b"<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head><body></body></html>"


def _azure(emu: HostsEmulator, method: str, seg: list[str], params: dict[str, str], data: Any,
           headers: dict[str, str]) -> _Reply:
    basic, bearer = _basic(headers), _bearer(headers)
    if basic is not None:
        if basic[1] != TOKENS["azure"]:
            raise _Reply(401, raw=b"", content_type="text/plain")
    elif bearer != TOKENS["azure-pipeline"]:  # no token, or one it cannot use: the sign-in page
        raise _Reply(203, raw=_SIGN_IN, content_type="text/html; charset=utf-8")
    if "api-version" not in params:
        raise _Reply(400, {"message": f"No api-version was supplied for the \"{method}\" request. The version must be "
                                      "supplied either as part of the Accept header (e.g. \"application/json; "
                                      "api-version=1.0\") or as a query parameter (e.g. '?api-version=1.0').",
                           "typeKey": "VssVersionNotSpecifiedException"})
    lowered = [s.lower() for s in seg]
    if len(seg) < 6 or seg[0] != AZURE_ORG or lowered[2:4] != ["_apis", "git"] or lowered[4] != "repositories":
        raise _Reply(404, {"message": "The resource cannot be found.", "typeKey": "NotFoundException"})
    if seg[1] != AZURE_PROJECT or len(seg) < 7 or seg[5] not in (AZURE_REPO, AZURE_REPO_ID) \
            or lowered[6] not in ("pullrequests", "commits"):
        name = seg[5]
        raise _Reply(404, {"message": f"TF401019: The Git repository with name or identifier {name} does not exist or "
                                      "you do not have permissions for the operation you are attempting.",
                           "typeKey": "GitRepositoryNotFoundException", "errorCode": 0, "eventId": 3000})
    if lowered[6] == "commits":
        if len(seg) == 9 and lowered[8] == "statuses" and method == "POST":
            full = emu.known_commit("azure", seg[7])
            if full is None:
                raise _Reply(404, {"message": f"TF401175:The version descriptor <Commit: {seg[7]}> could not be "
                                              f"resolved to a version in the repository {AZURE_REPO}",
                                   "typeKey": "GitUnresolvableToCommitException", "errorCode": 0, "eventId": 3000})
            raise _azure_status(emu, full, None, data)
        raise _Reply(404, {"message": "The resource cannot be found."})
    rest = seg[7:]
    if not rest and method == "GET":
        found = emu.open_prs("azure") if emu._listing() else []
        status = params.get("searchCriteria.status", "active")
        if status != "active":
            found = []
        for key, attr in (("searchCriteria.sourceRefName", "head"), ("searchCriteria.targetRefName", "base")):
            if key in params:
                found = [p for p in found if "refs/heads/" + getattr(p, attr) == params[key]]
        raise _Reply(200, {"value": [_azure_json(p) for p in found], "count": len(found)})
    if not rest and method == "POST":
        source, target = data.get("sourceRefName") or "", data.get("targetRefName") or ""
        if not source.startswith("refs/heads/") or not target.startswith("refs/heads/") or not data.get("title"):
            raise _Reply(400, {"message": "TF401398: The pull request cannot be activated because the source and/or "
                                          "the target branch no longer exists, or the requested refs are not branches",
                               "typeKey": "GitPullRequestCannotBeActivated"})
        head, base = source[len("refs/heads/"):], target[len("refs/heads/"):]
        if any(p.head == head and p.base == base for p in emu.open_prs("azure")):
            raise _Reply(409, {"$id": "1", "innerException": None,
                               "message": "TF401179: An active pull request for the source and target branch already "
                                          "exists.",
                               "typeName": "Microsoft.TeamFoundation.Git.Server.GitPullRequestExistsException, "
                                           "Microsoft.TeamFoundation.Git.Server",
                               "typeKey": "GitPullRequestExistsException", "errorCode": 0, "eventId": 3000})
        reviewers = [str(r.get("id", "")).lower() for r in data.get("reviewers") or []]
        unknown = [r for r in reviewers if r not in AZURE_USERS]
        if unknown:
            raise _Reply(400, {"message": f"The identity {unknown[0]} could not be found.",
                               "typeKey": "IdentityNotFoundException"})
        labels = [str(label.get("name")) for label in data.get("labels") or []]
        pr = emu._new("azure", head, base, data["title"], data.get("description") or "", bool(data.get("isDraft")),
                      reviewers=reviewers, labels=labels)
        raise _Reply(201, _azure_json(pr))
    if rest and rest[0].isdigit():
        pr = emu._find("azure", int(rest[0]), {
            "$id": "1", "innerException": None, "message": "TF401180: The requested pull request was not found.",
            "typeName": "Microsoft.TeamFoundation.Git.Server.GitPullRequestNotFoundException, "
                        "Microsoft.TeamFoundation.Git.Server",
            "typeKey": "GitPullRequestNotFoundException", "errorCode": 0, "eventId": 3000})
        sub = [r.lower() for r in rest[1:]]
        if sub == ["threads"] and method == "GET":
            threads = [_azure_thread(pr, note) for note in pr.comments]
            raise _Reply(200, {"value": threads, "count": len(threads)})
        if sub == ["threads"] and method == "POST":
            comments = [c for c in data.get("comments") or [] if isinstance(c, dict) and c.get("content")]
            status = data.get("status", "unknown")
            if not comments or status not in _AZURE_THREAD_STATUSES:
                raise _Reply(400, {"message": "The thread must contain at least one comment, with a valid status.",
                                   "typeKey": "InvalidArgumentValueException"})
            note = emu._comment(pr, comments[0]["content"])
            note.status = status
            raise _Reply(200, _azure_thread(pr, note))
        if len(sub) == 4 and sub[0] == "threads" and sub[2] == "comments" and method == "PATCH":
            note = next((n for n in pr.comments if str(n.id) == sub[1]), None)
            if note is None or sub[3] != "1":
                raise _Reply(404, {"message": "TF401181: The pull request comment cannot be found.",
                                   "typeKey": "GitPullRequestCommentNotFoundException"})
            if "content" in data:
                note.body = data["content"]
            raise _Reply(200, _azure_comment(note))
        if sub == ["statuses"] and method == "POST":
            raise _azure_status(emu, None, pr, data)
        if len(rest) == 1 and method == "GET":
            raise _Reply(200, _azure_json(pr))
        if len(rest) == 1 and method == "PATCH":
            for key, attr in (("title", "title"), ("description", "body"), ("isDraft", "draft")):
                if key in data:
                    setattr(pr, attr, data[key])
            raise _Reply(200, _azure_json(pr))
        if len(rest) == 3 and rest[1].lower() == "reviewers" and method == "PUT":
            reviewer = rest[2].lower()
            if reviewer not in AZURE_USERS:
                raise _Reply(400, {"message": f"The identity {reviewer} could not be found."})
            if reviewer not in pr.reviewers:
                pr.reviewers.append(reviewer)
            raise _Reply(200, _azure_reviewer(reviewer))
        if len(rest) == 2 and rest[1].lower() == "labels" and method == "POST":
            if data.get("name") not in pr.labels:
                pr.labels.append(data["name"])
            raise _Reply(200, _azure_label(data["name"]))
    raise _Reply(404, {"message": "The resource cannot be found."})


_AZURE_THREAD_STATUSES = ("active", "fixed", "wontFix", "closed", "byDesign", "pending", "unknown")
_AZURE_STATES = ("notSet", "pending", "succeeded", "failed", "error", "notApplicable", "partiallySucceeded")


def _azure_comment(note: Note) -> dict:
    return {"id": 1, "parentCommentId": 0, "content": note.body, "publishedDate": CREATED_AT,
            "lastUpdatedDate": CREATED_AT, "lastContentUpdatedDate": CREATED_AT,
            "commentType": "system" if note.system else "text", "usersLiked": [],
            "author": {"displayName": "Microsoft.VisualStudio.Services.TFS" if note.system else "Alice",
                       "id": next(iter(AZURE_USERS))}}


def _azure_thread(pr: Pr, note: Note) -> dict:
    return {"id": note.id, "publishedDate": CREATED_AT, "lastUpdatedDate": CREATED_AT,
            "comments": [_azure_comment(note)], "status": note.status or ("unknown" if note.system else "active"),
            "threadContext": None, "properties": {}, "identities": None, "isDeleted": False,
            "pullRequestThreadContext": None,
            "_links": {"self": {"href": f"https://dev.azure.com/{AZURE_ORG}/_apis/git/repositories/{AZURE_REPO_ID}"
                                        f"/pullRequests/{pr.number}/threads/{note.id}"}}}


def _azure_status(emu: HostsEmulator, sha: str | None, pr: Pr | None, data: Any) -> _Reply:
    """A commit status (``sha``) or a pull request status (``pr``)."""
    context = data.get("context") or {}
    if data.get("state", "notSet") not in _AZURE_STATES or not context.get("name"):
        return _Reply(400, {"message": "The status must have a valid state and a context with a name.",
                            "typeKey": "InvalidArgumentValueException"})
    record = emu._status("azure", sha or (pr.sha if pr else ""), pr.number if pr else None,
                         {k: data.get(k) for k in ("state", "description", "targetUrl", "context")})
    out = {"id": len(emu.statuses), **{k: record[k] for k in ("state", "description", "targetUrl", "context")},
           "creationDate": CREATED_AT, "updatedDate": CREATED_AT,
           "createdBy": {"displayName": "Alice", "id": next(iter(AZURE_USERS))}}
    if pr is not None:
        out["iterationId"] = 1
    return _Reply(200, out)


def _azure_reviewer(identity: str) -> dict:
    return {"id": identity, "displayName": AZURE_USERS[identity], "vote": 0, "isRequired": False}


def _azure_label(name: str) -> dict:
    return {"id": f"00000000-0000-4000-8000-{sum(map(ord, name)):012d}", "name": name, "active": True}


def _azure_json(pr: Pr) -> dict:
    project = quote(AZURE_PROJECT)
    return {
        "pullRequestId": pr.number, "codeReviewId": pr.number,
        "status": {"open": "active", "merged": "completed"}.get(pr.state, "abandoned"),
        "lastMergeSourceCommit": {"commitId": pr.sha}, "lastMergeTargetCommit": {"commitId": pr.base_sha},
        "lastMergeCommit": {"commitId": pr.merge_sha or pr.trial_merge_sha},
        "isDraft": pr.draft, "title": pr.title, "description": pr.body, "creationDate": CREATED_AT,
        "sourceRefName": f"refs/heads/{pr.head}", "targetRefName": f"refs/heads/{pr.base}",
        "mergeStatus": "succeeded",
        "url": f"https://dev.azure.com/{AZURE_ORG}/{AZURE_REPO_ID}/_apis/git/repositories/{AZURE_REPO_ID}"
               f"/pullRequests/{pr.number}",
        "repository": {"id": AZURE_REPO_ID, "name": AZURE_REPO, "project": {"name": AZURE_PROJECT},
                       "webUrl": f"https://dev.azure.com/{AZURE_ORG}/{project}/_git/{AZURE_REPO}"},
        "reviewers": [_azure_reviewer(r) for r in pr.reviewers],
        "labels": [_azure_label(label) for label in pr.labels],
    }
