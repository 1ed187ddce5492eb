"""One org connection: every HTTP call with a timeout, a fresh login on an expired session, backoff on limits.

``INVALID_SESSION_ID`` → authenticate again once and repeat the call; ``REQUEST_LIMIT_EXCEEDED``,
HTTP 5xx and dropped connections → bounded exponential backoff. The session id lives in this object
only, is sent in headers, and is never logged.
"""

from __future__ import annotations

import threading
import time
from typing import IO, Any, Callable, Mapping

import requests
from lxml import etree
from simple_salesforce import Salesforce

from ..errors import SfhotfixError
from .auth import HTTP_TIMEOUT, Authenticator, Credentials
from .soap import SoapFault, envelope, parse_response, serialize
from .stream import RecordHandler, parse_streaming

RETRYABLE_CODES = ("REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW")


class OrgError(SfhotfixError):
    """A call to the org failed for good; the message names the org and the operation."""

    exit_code = 3


class OrgClient:
    """SOAP Metadata calls and REST calls against one org, sharing one authenticated session."""

    def __init__(self, authenticate: Authenticator, *, retries: int = 4, backoff: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep, label: str | None = None):
        self._authenticate = authenticate
        self._lock = threading.Lock()
        self._credentials: Credentials | None = None
        self._local = threading.local()
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.label = label

    # ------------------------------------------------------------------ session

    @property
    def credentials(self) -> Credentials:
        with self._lock:
            if self._credentials is None:
                self._credentials = self._authenticate()
            return self._credentials

    def _reauthenticate(self, stale: Credentials) -> None:
        with self._lock:
            if self._credentials is stale:  # another thread may have logged in again already
                self._credentials = self._authenticate()

    @property
    def name(self) -> str:
        return self.label or self.credentials.username or self.credentials.instance_url

    def _http(self) -> requests.Session:
        """A requests session per thread (parallel retrieves), never shared with simple-salesforce."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    @property
    def api_version(self) -> str:
        return self.credentials.api_version

    # ------------------------------------------------------------------ calls

    def soap(self, operation: str, fill: Callable[[etree._Element], None] | None = None) -> etree._Element:
        """Call a Metadata API operation; ``fill`` adds the operation's arguments. Returns the response element."""
        return self._with_retries(operation, lambda c: self._soap_once(c, operation, fill))

    def _soap_once(self, c: Credentials, operation: str, fill) -> etree._Element:
        root, op = envelope(c.access_token, operation)
        if fill is not None:
            fill(op)
        response = self._http().post(
            _metadata_url(c),
            data=serialize(root),
            headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'},
            timeout=HTTP_TIMEOUT,
        )
        if response.status_code >= 500 and b"Fault" not in response.content[:2000]:
            raise _Retryable(f"HTTP {response.status_code}")
        return parse_response(response.content, operation)

    def soap_streaming(self, operation: str, fill: Callable[[etree._Element], None], zip_out: IO[bytes],
                       records: Mapping[str, RecordHandler] | None = None,
                       restart: Callable[[], None] | None = None) -> tuple[etree._Element, bool]:
        """A call whose answer may carry a large ``<zipFile>``: decoded into ``zip_out`` as it arrives.

        ``records`` (see :func:`stream.parse_streaming`) receive the answer's per-component records as
        they arrive; a try that fails part way is repeated from the start, after ``zip_out`` is emptied
        and ``restart`` is called so that the handlers can forget what that try gave them.
        """

        def once(c: Credentials) -> tuple[etree._Element, bool]:
            root, op = envelope(c.access_token, operation)
            fill(op)
            zip_out.seek(0)
            zip_out.truncate()
            if restart is not None:
                restart()
            response = self._http().post(
                _metadata_url(c), data=serialize(root), stream=True,
                headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'}, timeout=(10, 600))
            with response:
                if response.status_code >= 500 and "xml" not in response.headers.get("Content-Type", ""):
                    raise _Retryable(f"HTTP {response.status_code}")
                return parse_streaming(response.iter_content(1 << 16), operation, zip_out, records)

        return self._with_retries(operation, once)

    def tooling_query(self, soql: str) -> list[dict[str, Any]]:
        """The records of a Tooling API query (SourceMember…), every page of them."""
        return self._query(soql, tooling=True)

    def query(self, soql: str) -> list[dict[str, Any]]:
        """The records of a REST API query (User, Organization…), every page of them."""
        return self._query(soql, tooling=False)

    def _query(self, soql: str, tooling: bool) -> list[dict[str, Any]]:
        what = "tooling query" if tooling else "query"

        def once(c: Credentials) -> list[dict[str, Any]]:
            sf = Salesforce(instance_url=c.instance_url, session_id=c.access_token, version=c.api_version,
                            session=self._http())
            call = sf.toolingexecute if tooling else sf.restful
            result = call("query/", params={"q": soql})
            records = list(result.get("records", []))
            while not result.get("done", True) and result.get("nextRecordsUrl"):
                result = call("query/" + result["nextRecordsUrl"].split("/query/", 1)[1])
                records.extend(result.get("records", []))
            return records

        try:
            return self._with_retries(what, once)
        except Exception as exc:  # simple-salesforce's REST errors: one line with Salesforce's code
            code = _rest_error_code(exc)
            if code is None:
                raise
            content = getattr(exc, "content", None)
            message = content[0].get("message", "") if isinstance(content, list) and content and \
                isinstance(content[0], dict) else ""
            raise QueryError(f"{self.name}: {what} failed: {code}: {' '.join(message.split())}", code) from None

    def _with_retries(self, what: str, call: Callable[[Credentials], Any]) -> Any:
        reauthenticated = False
        attempt = 0
        while True:
            c = self.credentials
            try:
                return call(c)
            except SoapFault as fault:
                if fault.code == "INVALID_SESSION_ID" and not reauthenticated:
                    reauthenticated = True
                    self._reauthenticate(c)
                    continue
                if fault.code not in RETRYABLE_CODES or attempt >= self.retries:
                    raise OrgError(f"{self.name}: {what} failed: {fault}") from None
            except _Retryable as exc:
                if attempt >= self.retries:
                    raise OrgError(f"{self.name}: {what} failed after {attempt + 1} tries: {exc}") from None
            except requests.ConnectionError as exc:
                if attempt >= self.retries:
                    raise OrgError(f"{self.name}: {what}: connection failed after {attempt + 1} tries "
                                   f"({type(exc).__name__})") from None
            except requests.Timeout:
                if attempt >= self.retries:
                    raise OrgError(f"{self.name}: {what}: no answer within {HTTP_TIMEOUT[1]} s") from None
            except Exception as exc:  # simple-salesforce's REST errors
                code = _rest_error_code(exc)
                if code == "INVALID_SESSION_ID" and not reauthenticated:
                    reauthenticated = True
                    self._reauthenticate(c)
                    continue
                if code is None or code not in RETRYABLE_CODES + ("HTTP5XX",) or attempt >= self.retries:
                    raise
            self.sleep(min(self.backoff * (2 ** attempt), 30.0))
            attempt += 1


class QueryError(OrgError):
    """A REST or Tooling query the org refused; ``code`` is Salesforce's (INVALID_TYPE, INVALID_FIELD…)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class _Retryable(Exception):
    """A transient answer (HTTP 5xx without a SOAP fault)."""


def _rest_error_code(exc: Exception) -> str | None:
    """The Salesforce error code of a simple-salesforce REST exception, if it is one."""
    status = getattr(exc, "status", None)
    content = getattr(exc, "content", None)
    if status is None:
        return None
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0].get("errorCode")
    if isinstance(status, int) and status >= 500:
        return "HTTP5XX"
    return None


def _metadata_url(c: Credentials) -> str:
    """The Metadata API's SOAP endpoint for one session (a re-login may move it)."""
    return f"{c.instance_url}/services/Soap/m/{c.api_version}"
