"""Everything the emulator remembers between requests, and the knobs tests turn.

Why: one object shared by all request threads (behind locks) keeps the org, users and sessions, the
asynchronous retrieve/deploy jobs, the request log and the fault-injection queue, so that tests can
script a scenario ("the next checkRetrieveStatus answers REQUEST_LIMIT_EXCEEDED", "sessions expire now",
"the next retrieve fails") and then check what the client sent.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from .deploy import DeployOptions, DeployPlan
from .ids import Clock, Counter, sf18
from .org import Org, User
from .retrieve import RetrievePlan

FAULT_KINDS = {"INVALID_SESSION_ID", "REQUEST_LIMIT_EXCEEDED", "http500", "reset"}


@dataclass
class RetrieveJob:
    id: str
    user: User
    plan: RetrievePlan | None
    polls_left: int
    polls_total: int
    failure: dict | None = None  # {"errorMessage", "errorStatusCode"} for a Failed retrieve
    zip_deleted: bool = False


@dataclass
class DeployJob:
    id: str
    user: User
    options: DeployOptions
    plan: DeployPlan
    zip_file: bytes
    created: datetime
    polls_left: int
    polls_total: int
    quick: bool = False  # started by deployRecentValidation
    started: datetime | None = None
    completed: datetime | None = None
    cancel: str | None = None  # None, "Canceling", "Canceled"
    canceled_by: User | None = None
    quick_deployed_as: str | None = None  # a validation already used by deployRecentValidation

    @property
    def done(self) -> bool:
        return self.completed is not None


@dataclass
class Sessions:
    """Opaque session tokens (``EMULATOR-SESSION-<n>``) that no one can mistake for real ones."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _users: dict[str, User] = field(default_factory=dict)
    _count: int = 0

    def issue(self, user: User) -> str:
        with self._lock:
            self._count += 1
            token = f"EMULATOR-SESSION-{self._count}"
            self._users[token] = user
            return token

    def user(self, token: str | None) -> User | None:
        with self._lock:
            return self._users.get(token or "")

    def expire_all(self) -> None:
        with self._lock:
            self._users.clear()


class State:
    """Shared state of one emulator."""

    def __init__(self, org: Org, users: dict[str, User], api_version: str, latency: float):
        self.lock = threading.RLock()
        self.org = org
        self.users = users
        self.api_version = api_version
        self.latency = latency
        self.url = ""
        self.clock: Clock = org.clock
        self.ids = Counter()
        self.sessions = Sessions()
        self.jobs: dict[str, RetrieveJob | DeployJob] = {}
        self.requests_log: list[tuple[str, str, str]] = []
        self.internal_errors: list[str] = []  # tracebacks of emulator bugs, answered as UNKNOWN_EXCEPTION
        self._faults: deque[tuple[str, str]] = deque()
        self.retrieve_outcomes: deque[dict] = deque()
        self.retrieve_polls = 1
        self.source_tracking = True  # False: the Tooling API knows no SourceMember, as in an untracked org
        self.deploy_polls = 1
        self.validation_days = 10
        self.jwt_keys: dict[str, bytes] = {}  # consumer key → PEM public key that must have signed
        self.connected_apps: dict[str, str | None] | None = None  # client_id → secret; None = accept any

    # ---- request log and fault injection ----
    def log(self, method: str, path: str, operation: str) -> None:
        with self.lock:
            self.requests_log.append((method, path, operation))

    def fail_next(self, operation: str, kind: str, times: int = 1) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        with self.lock:
            for _ in range(times):
                self._faults.append((operation, kind))

    def take_fault(self, operation: str) -> str | None:
        """The first queued fault for this operation (or for ``*``), removed from the queue."""
        with self.lock:
            for index, (op, kind) in enumerate(self._faults):
                if op in (operation, "*"):
                    del self._faults[index]
                    return kind
        return None

    def user_by_name(self, username: str) -> User | None:
        return self.users.get(username.lower())

    def new_user_id(self, number: int) -> str:
        return sf18(f"005{number:012d}")
