"""What the four hosts share: the request and result types, tokens, one careful HTTP client, and the flow.

Plain ``requests`` against each host's documented REST calls, rather than PyGithub or python-gitlab:
those two were measurably heavier to import and install, and nothing comparable covers Bitbucket Cloud or
Azure DevOps, so four thin modules over one client keep the behaviour the same everywhere:

- every request has a timeout (:data:`TIMEOUT`);
- connection errors, 429 and 5xx are tried :data:`TRIES` times with the backoff of :data:`RETRY_DELAYS`;
  a *create* is never blindly repeated: the flow lists open pull requests again first, so a create that
  reached the host but lost its answer is found instead of duplicated;
- 401/403 become one line naming the host, the repository and the environment variable to set; 404 says
  "repository not found or token lacks access"; no message ever contains the token;
- redirects are followed only for GET and only on the same origin (``requests`` would forward a custom
  ``PRIVATE-TOKEN`` header to another host, and turns a redirected POST into a GET);
- the token travels as a ``requests`` auth object, so a ``~/.netrc`` entry cannot replace it.

Besides opening pull requests, every host answers the three calls the validation gate and promotion need
(:meth:`Host.get`, :meth:`Host.upsert_comment`, :meth:`Host.set_status`): a pull request's state and
commits as a :class:`PullRequestInfo`, one comment kept up to date under a hidden marker line
(:func:`marker_line`) instead of a new one per run, and a commit status in the host's own words.  A 404 on
a pull request (or a commit) is reported as that pull request (or commit) not found, not as a missing
repository.
"""

from __future__ import annotations

import base64
import json
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests

from .. import __version__
from ..errors import SfhotfixError, UsageError

TIMEOUT: tuple[float, float] = (10.0, 30.0)  # connect, read (seconds)
TRIES = 3
RETRY_DELAYS: tuple[float, ...] = (1.0, 3.0)  # sleep before the 2nd and the 3rd try
MAX_RETRY_AFTER = 30.0  # a 429's Retry-After is honoured up to this many seconds
MAX_PAGES = 100  # a safety stop for pagination that never ends
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"sfhotfix/{__version__}"

HOST_NAMES = {"github": "GitHub", "gitlab": "GitLab", "bitbucket": "Bitbucket", "azure": "Azure DevOps"}

# What to set when a host refuses the token, per kind: the one place these words live.
TOKEN_HINTS = {
    "github": "set GH_TOKEN or GITHUB_TOKEN to a token that may write pull requests (fine-grained: "
              "Pull requests read & write, and Commit statuses read & write to set statuses; classic: repo)",
    "gitlab": "set GITLAB_TOKEN to a personal, group or project access token with the api scope",
    "bitbucket": "set BITBUCKET_TOKEN to a repository or workspace access token with pull request write "
                 "access (and repository write to set build statuses), or BITBUCKET_USERNAME and "
                 "BITBUCKET_APP_PASSWORD",
    "azure": "set AZURE_DEVOPS_EXT_PAT to a personal access token with Code (read & write, and status to set "
             "statuses), or pass SYSTEM_ACCESSTOKEN into the pipeline step",
}


@dataclass
class PullRequestSpec:
    """What to open: ``head`` into ``base``, both branch names of the same repository."""

    head: str
    base: str
    title: str
    body: str
    draft: bool = False
    reviewers: Sequence[str] = ()
    labels: Sequence[str] = ()

    def __post_init__(self) -> None:
        # "alice,bob" (as an option value might arrive) is two reviewers, not eight one-letter ones
        for name in ("reviewers", "labels"):
            value = getattr(self, name)
            items = value.split(",") if isinstance(value, str) else list(value or ())
            setattr(self, name, [item.strip() for item in items if item and item.strip()])

    def check(self) -> None:
        """Refuse what no host would accept, before any request."""
        if not self.head.strip() or not self.base.strip():
            raise UsageError("a pull request needs a head and a base branch")
        if branch_name(self.head) == branch_name(self.base):
            raise UsageError(f"head and base are the same branch ({self.head})")
        if not self.title.strip():
            raise UsageError("a pull request needs a title")


@dataclass
class PullRequest:
    """An open pull request. ``created`` is False when an open one was found and reused (its body updated)."""

    number: int | str
    url: str
    state: str
    created: bool
    draft: bool = False
    warnings: list[str] = field(default_factory=list)  # e.g. a reviewer that could not be requested


@dataclass
class PlannedRequest:
    """The create call a dry run would send: method, URL and the host's own JSON payload."""

    method: str
    url: str
    body: dict
    notes: list[str] = field(default_factory=list)  # what the real run does besides (lookups, follow-ups)


STATUS_STATES = ("pending", "success", "failure", "error")
"""The commit status states callers use; each host maps them to its own words (``Host.status_words``)."""


@dataclass
class PullRequestInfo:
    """A pull request as the gate reads it, in the same words on every host.

    ``state`` is ``open``, ``merged`` or ``closed`` (closed without merging: declined, abandoned,
    superseded).  ``head_sha`` is the head commit as the host gives it (Bitbucket gives 12-character short
    hashes: compare with :meth:`is_head`); ``merge_sha`` is the commit the merge made on the base, once
    merged (None before, and None when the host merged without a commit of its own, e.g. a GitLab
    fast-forward)."""

    number: int | str
    url: str
    state: str
    head: str
    base: str
    head_sha: str
    merge_sha: str | None
    title: str

    def is_head(self, sha: str) -> bool:
        """Whether ``sha`` (full or abbreviated, at least 7 characters) is this pull request's head commit."""
        return same_commit(self.head_sha, sha)


def same_commit(a: str | None, b: str | None) -> bool:
    """Two commit ids, either of them abbreviated (at least 7 hex digits), name the same commit."""
    a, b = (a or "").strip().lower(), (b or "").strip().lower()
    return min(len(a), len(b)) >= 7 and (a.startswith(b) or b.startswith(a))


@dataclass
class Comment:
    """A comment on a pull request, as :meth:`Host.comments` lists it; ``thread`` is the Azure DevOps thread."""

    id: int | str
    body: str
    url: str
    thread: int | str | None = None


def marker_line(marker: str) -> str:
    """The hidden line that tells sfhotfix's comment for ``marker`` apart from every other comment."""
    if not re.fullmatch(r"[A-Za-z0-9._/:-]+", marker or ""):
        raise UsageError(f"a comment marker is letters, digits and . _ / : - only, not {marker!r}")
    return f"<!-- sfhotfix:{marker} -->"


def with_marker(body: str, marker: str) -> str:
    """``body`` with its marker line last (an old marker line in it is dropped, so there is only one)."""
    line = marker_line(marker)
    text = "\n".join(row for row in body.rstrip().splitlines() if row.strip() != line).rstrip()
    return f"{text}\n\n{line}" if text else line


def fit_line(text: str, limit: int | None) -> str:
    """A status description: one line, cut with "…" to the host's limit."""
    return one_line(text, limit) if limit else " ".join(str(text).split())


@dataclass(frozen=True)
class HostRef:
    """A repository on a host, as :func:`sfhotfix.hosts.detect_host` found it.

    ``owner`` is the GitHub owner, the GitLab namespace (``group/sub``), the Bitbucket workspace or the
    Azure DevOps organization; ``project`` is the Azure DevOps project (None elsewhere).  ``api_base`` is
    the REST root every call is built on (for Azure DevOps the organization or collection URL).
    """

    kind: str
    host: str
    owner: str
    repo: str
    api_base: str
    web_url: str
    project: str | None = None

    @property
    def name(self) -> str:
        return HOST_NAMES[self.kind]

    @property
    def path(self) -> str:
        parts = [self.owner, self.project, self.repo] if self.project is not None else [self.owner, self.repo]
        return "/".join(parts)

    @property
    def label(self) -> str:
        """How messages name the repository: ``GitHub acme/repo``."""
        return f"{self.name} {self.path}"


class Token(str):
    """A secret that knows how it is sent. It is a ``str`` (the secret), so it goes where a token string is
    expected; its ``repr`` never shows the secret.

    ``scheme``: ``bearer`` (``Authorization: Bearer``), ``basic`` (``username:secret``, Bitbucket app
    passwords and Azure DevOps PATs with an empty username) or ``private-token`` (GitLab's header).
    ``source`` names the environment variable(s) it came from.
    """

    scheme: str
    source: str | None
    username: str | None

    def __new__(cls, secret: str, scheme: str = "bearer", source: str | None = None,
                username: str | None = None) -> Token:
        if scheme not in ("bearer", "basic", "private-token"):
            raise ValueError(f"unknown token scheme {scheme!r}")
        token = super().__new__(cls, secret)
        token.scheme, token.source, token.username = scheme, source, username
        return token

    def __repr__(self) -> str:
        return f"Token(scheme={self.scheme!r}, source={self.source!r})"


class TokenAuth(requests.auth.AuthBase):
    """Adds the token's header to each request (and only the one it is given to)."""

    def __init__(self, token: Token):
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.update(auth_headers(self.token))
        return request


def auth_headers(token: Token) -> dict[str, str]:
    """The header a token is sent in."""
    if token.scheme == "private-token":
        return {"PRIVATE-TOKEN": str(token)}
    if token.scheme == "basic":
        pair = f"{token.username or ''}:{token}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
    return {"Authorization": f"Bearer {token}"}


class AlreadyExists(Exception):
    """The host refused a create because an open pull request for the same branches exists."""


class TransientError(SfhotfixError):
    """A connection error, 429 or 5xx that outlasted the retries (or a create's single try)."""


def retry_delay(attempt: int) -> float:
    """How long to wait before try ``attempt + 1`` (``attempt`` counts from 1)."""
    return RETRY_DELAYS[min(attempt - 1, len(RETRY_DELAYS) - 1)] if RETRY_DELAYS else 0.0


def branch_name(ref: str | None) -> str:
    """A branch's name without ``refs/heads/``."""
    return str(ref or "").removeprefix("refs/heads/")


def one_line(text: str, limit: int = 300) -> str:
    """Host messages as one short line."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def host_message(response: requests.Response) -> str:
    """The explanation in a host's error body, whatever its shape:
    GitHub ``{"message", "errors": [{"message"}]}``, GitLab ``{"message": str | list | dict}`` or
    ``{"error"}``, Bitbucket ``{"error": {"message", "fields"}}``, Azure DevOps ``{"message"}``."""
    try:
        data = response.json()
    except ValueError:
        return ""
    parts: list[str] = []

    def add(value: Any) -> None:
        if isinstance(value, str):
            if value and value not in parts:
                parts.append(value)
        elif isinstance(value, list):
            for item in value:
                add(item.get("message") or item.get("code") if isinstance(item, dict) else item)
        elif isinstance(value, dict):
            if "message" in value:
                add(value["message"])
                add([f"{k}: {_joined(v)}" for k, v in (value.get("fields") or {}).items()])
            else:
                add([f"{k} {_joined(v)}" for k, v in value.items()])

    if isinstance(data, dict):
        add(data.get("message"))
        add(data.get("error_description") or data.get("error"))
        add(data.get("errors"))
    elif isinstance(data, list):
        add(data)
    return "; ".join(parts)


def _joined(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


class Api:
    """One host's HTTP client: auth, timeouts, retries and the error messages people read."""

    def __init__(self, ref: HostRef, session: requests.Session, token: Token | None,
                 headers: Mapping[str, str] | None = None):
        self.ref = ref
        self.session = session
        self.token = token
        self.headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}

    # -- errors -------------------------------------------------------------------------------------------
    def error(self, text: str, cls: type[SfhotfixError] = SfhotfixError, labelled: bool = True) -> SfhotfixError:
        """A one-line error, prefixed with the host and repository unless ``text`` names them itself."""
        message = f"{self.ref.label}: {text}" if labelled else text
        if self.token and len(self.token) >= 4:
            message = message.replace(str(self.token), "***")
        return cls(message)

    def _failure(self, response: requests.Response, what: str, not_found: str | None = None) -> SfhotfixError:
        status = response.status_code
        said = one_line(host_message(response))
        said_part = f": {said}" if said else ""
        hint = TOKEN_HINTS[self.ref.kind]
        if status == 401:
            return self.error(f"{what} failed: the token was refused (HTTP 401{said_part}); {hint}")
        if status in (403, 429) and "rate limit" in said.lower():
            return self.error(f"{what} failed: rate limited (HTTP {status}{said_part}); wait a while and run again")
        if status == 403:
            return self.error(f"{what} failed: the token may not do this (HTTP 403{said_part}); {hint}")
        if status == 404:
            path = urlsplit(response.request.url or "").path if response.request is not None else ""
            method = response.request.method if response.request is not None else ""
            if not_found:
                return self.error(f"{not_found} not found on {self.ref.label} (HTTP 404 on {what}: {method} {path}; "
                                  f"or the token cannot see the repository)", UsageError, labelled=False)
            return self.error(f"repository not found or token lacks access (HTTP 404 on {what}: {method} {path})")
        return self.error(f"{what} failed: HTTP {status}{said_part}")

    # -- requests -----------------------------------------------------------------------------------------
    def call(self, method: str, url: str, *, what: str, params: Mapping[str, Any] | None = None,
             json_body: Any = None, passthrough: Sequence[int] = (), tries: int = TRIES,
             not_found: str | None = None) -> requests.Response:
        """Send one request, retrying connection errors, 429 and 5xx up to ``tries`` times in all.

        2xx comes back; so does any status in ``passthrough`` (e.g. a create's 409/422) for the caller to
        read; everything else raises a one-line :class:`SfhotfixError`.  ``not_found`` names what a 404
        means is missing (``pull request #7``): the error then says that instead of "repository not found"."""
        last = ""
        last_response: requests.Response | None = None
        for attempt in range(tries):
            if attempt:
                time.sleep(self._delay(attempt, last_response))
            last_response = None
            try:
                response = self._send(method, url, params, json_body, what)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = f"could not reach {urlsplit(url).netloc} ({type(exc).__name__})"
                continue
            if response.status_code in RETRYABLE_STATUS and response.status_code not in passthrough:
                said = one_line(host_message(response))
                last = f"HTTP {response.status_code}" + (f": {said}" if said else "")
                last_response = response
                continue
            return self._check(response, what, passthrough, not_found)
        tried = f" after {tries} tries" if tries > 1 else ""
        raise self.error(f"{what} failed{tried}: {last}", TransientError)

    def _delay(self, attempt: int, response: requests.Response | None) -> float:
        delay = retry_delay(attempt)
        if response is not None and response.status_code == 429:
            try:
                delay = max(delay, min(float(response.headers.get("Retry-After", "")), MAX_RETRY_AFTER))
            except ValueError:
                pass
        return delay

    def _send(self, method: str, url: str, params: Mapping[str, Any] | None, json_body: Any,
              what: str) -> requests.Response:
        auth = TokenAuth(self.token) if self.token is not None else None
        for _ in range(4):  # the request and up to three same-origin redirects of a GET
            response = self.session.request(method, url, params=params, json=json_body, headers=self.headers,
                                            auth=auth, timeout=TIMEOUT, allow_redirects=False)
            if response.status_code not in (301, 302, 303, 307, 308):
                return response
            target = requests.compat.urljoin(url, response.headers.get("Location", ""))
            if method != "GET" or not same_origin(target, url):
                raise self.error(f"{what} failed: HTTP {response.status_code} redirect to "
                                 f"{urlsplit(target).netloc}{urlsplit(target).path} (was the repository moved or "
                                 f"renamed? update the remote or the host URL)")
            url, params = target, None
        raise self.error(f"{what} failed: too many redirects")

    def _check(self, response: requests.Response, what: str, passthrough: Sequence[int],
               not_found: str | None = None) -> requests.Response:
        status = response.status_code
        if status in passthrough:
            return response
        if 200 <= status < 300:
            if status == 203 or "text/html" in response.headers.get("Content-Type", ""):
                # Azure DevOps answers a token it cannot use with 203 and its sign-in page
                raise self.error(f"{what} failed: the host answered with a sign-in page instead of data "
                                 f"(HTTP {status}): the token was not accepted; {TOKEN_HINTS[self.ref.kind]}")
            return response
        raise self._failure(response, what, not_found)

    def json(self, response: requests.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self.error(f"{what}: the answer (HTTP {response.status_code}) is not JSON") from None

    # -- pagination ---------------------------------------------------------------------------------------
    def pages_by_link(self, url: str, params: Mapping[str, Any], what: str,
                      not_found: str | None = None) -> Iterator[Any]:
        """The items of a list that pages with a ``Link: <…>; rel="next"`` header (GitHub, GitLab) or
        GitLab's ``X-Next-Page``."""
        current: str | None = url
        query: Mapping[str, Any] | None = params
        for _ in range(MAX_PAGES):
            if current is None:
                return
            response = self.call("GET", current, what=what, params=query, not_found=not_found)
            items = self.json(response, what)
            if not isinstance(items, list):
                raise self.error(f"{what}: expected a JSON list")
            yield from items
            next_url = response.links.get("next", {}).get("url")
            next_page = response.headers.get("X-Next-Page", "").strip()
            if next_url:
                current, query = self._follow(next_url, url, what), None
            elif next_page and query is not None:
                current, query = url, {**query, "page": next_page}
            else:
                current = None
        raise self.error(f"{what}: more than {MAX_PAGES} pages")

    def pages_by_next(self, url: str, params: Mapping[str, Any], what: str, key: str = "values",
                      not_found: str | None = None) -> Iterator[Any]:
        """The items of a list whose JSON carries the next page's URL in ``next`` (Bitbucket)."""
        current: str | None = url
        query: Mapping[str, Any] | None = params
        for _ in range(MAX_PAGES):
            if current is None:
                return
            data = self.json(self.call("GET", current, what=what, params=query, not_found=not_found), what)
            if not isinstance(data, dict):
                raise self.error(f"{what}: expected a JSON object")
            yield from data.get(key) or []
            current = self._follow(data["next"], url, what) if data.get("next") else None
            query = None
        raise self.error(f"{what}: more than {MAX_PAGES} pages")

    def _follow(self, next_url: str, base: str, what: str) -> str:
        """A pagination link, only if it stays on the host the token is meant for."""
        if not same_origin(next_url, base):
            raise self.error(f"{what}: the next page is on another host ({urlsplit(next_url).netloc}); not "
                             f"sending the token there")
        return next_url


def fit_body(body: str, limit: int | None, host_name: str) -> str:
    """``body`` cut at a line end to fit a host's description limit, with a line saying so."""
    if limit is None or len(body) <= limit:
        return body
    lines = body.splitlines()
    kept: list[str] = []
    for count in range(len(lines), -1, -1):
        kept = lines[:count]
        note = f"\n\n_… {len(lines) - count} more lines left out to fit {host_name}'s {limit}-character limit._"
        if len("\n".join(kept)) + len(note) <= limit:
            return "\n".join(kept).rstrip() + note
    return body[:limit]


class Host(ABC):
    """One kind of host: how to plan, find, create and reuse a pull request there.

    Subclasses implement the host's calls; :meth:`open` is the flow every host shares."""

    kind: ClassVar[str]
    body_limit: ClassVar[int | None] = None  # the host's description limit, in characters
    status_limit: ClassVar[int | None] = None  # the host's commit status description limit, in characters
    status_words: ClassVar[Mapping[str, str]]  # each of STATUS_STATES in the host's own words

    def __init__(self, ref: HostRef, api: Api | None):
        self.ref = ref
        self._api = api

    @property
    def api(self) -> Api:
        assert self._api is not None, "a dry run sends nothing"
        return self._api

    def body(self, spec: PullRequestSpec) -> str:
        return fit_body(spec.body, self.body_limit, self.ref.name)

    # -- what each host implements ------------------------------------------------------------------------
    def check(self, spec: PullRequestSpec) -> None:
        """Refuse input this host cannot take, before any request."""

    def prepare(self, spec: PullRequestSpec) -> None:
        """Read-only lookups the create needs (e.g. GitLab user ids), done before anything is written."""

    @abstractmethod
    def plan(self, spec: PullRequestSpec) -> PlannedRequest:
        """The create call, without sending it."""

    @abstractmethod
    def find_open(self, spec: PullRequestSpec) -> dict | None:
        """The host's JSON of the open pull request from ``spec.head`` into ``spec.base``, if any."""

    @abstractmethod
    def create(self, spec: PullRequestSpec) -> PullRequest:
        """Create it (one try; raise :class:`AlreadyExists` when the host says one is open)."""

    @abstractmethod
    def reuse(self, existing: dict, spec: PullRequestSpec) -> PullRequest:
        """Update an open one's body (and add missing reviewers and labels)."""

    # -- the calls the validation gate and promotion need -----------------------------------------------
    def pr_name(self, number: int | str) -> str:
        """How messages name pull request ``number`` on this host."""
        return f"pull request #{number}"

    @abstractmethod
    def get(self, number: int) -> PullRequestInfo:
        """Pull request ``number``, whatever its state."""

    @abstractmethod
    def comments(self, number: int) -> Iterator[Comment]:
        """The comments people and tools wrote on pull request ``number``, oldest first (no system notes)."""

    @abstractmethod
    def create_comment(self, number: int, body: str) -> str:
        """Add a comment; its web URL."""

    @abstractmethod
    def update_comment(self, number: int, comment: Comment, body: str) -> str:
        """Replace a comment's text; its web URL."""

    @abstractmethod
    def send_status(self, sha: str, word: str, context: str, description: str, target_url: str | None,
                    number: int | None) -> None:
        """Send one status in the host's own word (``status_words``), the description already fitted."""

    def upsert_comment(self, number: int, body: str, marker: str,
                       sleep: Callable[[float], None] = time.sleep) -> str:
        """The one comment carrying ``marker``: updated when there is one (left alone when it already says
        ``body``), created otherwise; its web URL.

        As with :meth:`open`, a create that failed with a connection error or 5xx is not repeated blindly:
        the comments are listed again first, so one that reached the host is updated, not duplicated."""
        line = marker_line(marker)
        text = with_marker(body, marker)
        failure: TransientError | None = None
        for attempt in range(TRIES):
            if attempt:
                sleep(retry_delay(attempt))
            found = next((c for c in self.comments(number) if line in c.body), None)
            if found is not None:
                return found.url if found.body.strip() == text.strip() else self.update_comment(number, found, text)
            try:
                return self.create_comment(number, text)
            except TransientError as exc:
                failure = exc
        assert failure is not None
        raise failure

    def set_status(self, sha: str, state: str, context: str, description: str, target_url: str | None = None,
                   number: int | None = None) -> None:
        """Set commit ``sha``'s status for ``context`` to ``state`` (one of :data:`STATUS_STATES`)."""
        if state not in STATUS_STATES:
            raise UsageError(f"a status is one of {', '.join(STATUS_STATES)}, not {state!r}")
        if not re.fullmatch(r"[0-9a-fA-F]{7,64}", sha or ""):
            raise UsageError(f"{self.ref.label}: a status needs a commit id (hex), not {sha!r}")
        if not context.strip():
            raise UsageError("a status needs a context (its name on the host)")
        self.send_status(sha, self.status_words[state], context.strip(), fit_line(description, self.status_limit),
                         target_url, number)

    # -- the shared flow ----------------------------------------------------------------------------------
    def open(self, spec: PullRequestSpec, sleep: Callable[[float], None] = time.sleep) -> PullRequest:
        """Find-or-create: look for an open pull request first, create only when there is none.

        A create that fails with a connection error or 5xx may still have reached the host, so it is not
        repeated blindly: the next try lists again and reuses what it finds (``created`` stays True then,
        as it was this run that opened it)."""
        self.prepare(spec)
        maybe_created = False
        failure: TransientError | None = None
        for attempt in range(TRIES):
            if attempt:
                sleep(retry_delay(attempt))
            existing = self.find_open(spec)
            if existing is not None:
                pr = self.reuse(existing, spec)
                pr.created = maybe_created
                return pr
            try:
                return self.create(spec)
            except AlreadyExists:
                existing = self.find_open(spec)
                if existing is None:
                    raise self.api.error(f"the host says a pull request from {spec.head} into {spec.base} is "
                                         f"already open, but none is listed") from None
                return self.reuse(existing, spec)
            except TransientError as exc:
                failure, maybe_created = exc, True
        assert failure is not None
        raise failure


def pr_number(number: int | str) -> int:
    """A pull request number as given (``7``, ``"7"``, ``"#7"``, ``"!7"``), or a usage error."""
    text = str(number).strip().lstrip("#!")
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"a pull request number is a positive whole number, not {number!r}")
    return int(text)


def env_first(environ: Mapping[str, str], *names: str) -> tuple[str, str] | None:
    """The first of ``names`` set to a non-blank value, as (name, value)."""
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return name, value
    return None


def dumps(body: Any) -> str:
    """JSON as notes show it."""
    return json.dumps(body, ensure_ascii=False, separators=(", ", ": "))


GUID = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")
