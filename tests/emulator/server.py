"""The HTTPS server: routing Salesforce's paths, sessions, fault injection, latency; and ``Emulator``.

Why: the client must meet the same transport it meets in production — TLS with a verifiable chain,
HTTP/1.1 keep-alive (connection pools), concurrent requests (parallel retrieve chunks), slow answers,
500s, dropped connections — so those are real here: a ThreadingHTTPServer behind ``ssl`` with the TLS
handshake done in each connection's own thread, and a fault queue consulted before every operation.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from . import auth, rest, soap
from .certs import make_certificates
from .ids import Clock, iso
from .metadata_api import MetadataApi
from .org import Org, User, load_folder
from .registry import load_types
from .state import FAULT_KINDS, State

DEFAULT_USERS = {"admin@hotfix.example": "password+TOKEN"}
SOAP_TYPE = "text/xml;charset=UTF-8"
JSON_TYPE = "application/json;charset=UTF-8"
HTML_500 = (
    b"<html><head><title>Internal Server Error</title></head><body>"
    b"<h1>500 Internal Server Error</h1><p>An unexpected error occurred.</p></body></html>"
)
NOT_FOUND = rest.RestError(404, "NOT_FOUND", "The requested resource does not exist")


class _Reset(Exception):
    """Drop the connection without an answer."""


class Route:
    """What a request is: its operation name (for the log and fault injection) and how to answer it."""

    def __init__(self, kind: str, operation: str, version: str | None = None, soap_request=None, rest_path: str = ""):
        self.kind = kind  # "soap-m", "soap-u", "rest", "oauth", "notfound"
        self.operation = operation
        self.version = version
        self.soap_request = soap_request
        self.rest_path = rest_path


def _version_ok(state: State, version: str) -> bool:
    try:
        return 20.0 <= float(version) <= float(state.api_version)
    except ValueError:
        return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sfhotfix-emulator"
    timeout = 60

    @property
    def state(self) -> State:
        return self.server.state  # type: ignore[attr-defined]

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet by default
        if self.server.verbose:  # type: ignore[attr-defined]
            sys.stderr.write("emulator: " + (format % args) + "\n")

    def handle(self) -> None:
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError):
            return
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, socket.timeout, OSError):
            pass

    def finish(self) -> None:
        try:
            super().finish()
        except (OSError, ValueError):
            pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # ---- routing ---------------------------------------------------------------------------------------
    def _route(self, method: str, path: str, body: bytes) -> Route:
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 4 and parts[:2] == ["services", "Soap"] and parts[2] in ("m", "u") and method == "POST":
            kind = "soap-m" if parts[2] == "m" else "soap-u"
            try:
                request = soap.parse_request(body)
                operation = request.operation
            except soap.SoapFault as exc:
                request, operation = exc, "invalid"
            return Route(kind, operation, parts[3], request)
        if parts[:3] == ["services", "oauth2", "token"] and method == "POST":
            return Route("oauth", "token")
        if parts[:2] == ["services", "data"]:
            if len(parts) == 2:
                return Route("rest", "versions", rest_path="")
            version = parts[2][1:] if parts[2].startswith("v") else parts[2]
            rest_path = "/".join(parts[3:])
            if rest_path in ("tooling/query", "query"):
                operation = "query"
            elif rest_path in ("", "tooling"):
                operation = "resources"
            elif rest_path.startswith(("sobjects", "tooling/sobjects")):
                operation = "sobjects"
            else:
                operation = "rest"
            return Route("rest", operation, version, rest_path=rest_path)
        if len(parts) == 3 and parts[0] == "id":
            return Route("rest", "identity", rest_path="/".join(parts))
        return Route("notfound", "notfound")

    def _dispatch(self, method: str) -> None:
        state = self.state
        body = self._read_body()
        split = urlsplit(self.path)
        route = self._route(method, unquote(split.path), body)
        state.log(method, split.path, route.operation)
        try:
            kind = state.take_fault(route.operation)
            if kind is not None:
                status, ctype, payload = self._injected(route, kind)
            else:
                status, ctype, payload = self._answer(method, route, body, split.query)
        except _Reset:
            self._reset()
            return
        if state.latency:
            time.sleep(state.latency)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        if route.kind == "rest":
            self.send_header("Sforce-Limit-Info", "api-usage=1/15000")
        self.end_headers()
        self.wfile.write(payload)

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reset(self) -> None:
        """Close the TCP connection with a reset, without any HTTP answer."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _injected(self, route: Route, kind: str) -> tuple[int, str, bytes]:
        if kind == "reset":
            raise _Reset()
        if kind == "http500":
            return 500, "text/html;charset=UTF-8", HTML_500
        if route.kind in ("soap-m", "soap-u"):
            if kind == "INVALID_SESSION_ID":
                exc = soap.SoapFault("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session")
            else:
                exc = soap.SoapFault("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            return 500, SOAP_TYPE, soap.fault(exc, partner=route.kind == "soap-u")
        if kind == "INVALID_SESSION_ID":
            return 401, JSON_TYPE, rest.RestError(401, "INVALID_SESSION_ID", "Session expired or invalid").body()
        return 403, JSON_TYPE, rest.RestError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.").body()

    def _answer(self, method: str, route: Route, body: bytes, query: str) -> tuple[int, str, bytes]:
        state = self.state
        try:
            if route.kind in ("soap-m", "soap-u"):
                return self._soap(route)
            if route.kind == "oauth":
                try:
                    return 200, JSON_TYPE, auth.oauth_token(state, body)
                except auth.OAuthError as exc:
                    return exc.status, JSON_TYPE, exc.body()
            if route.kind == "rest":
                return self._rest(method, route, query)
            return 404, JSON_TYPE, NOT_FOUND.body()
        except _Reset:
            raise
        except Exception as exc:  # an emulator bug: answer like Salesforce's UNKNOWN_EXCEPTION, and record it
            state.internal_errors.append(traceback.format_exc())
            if self.server.verbose:  # type: ignore[attr-defined]
                traceback.print_exc()
            if route.kind in ("soap-m", "soap-u"):
                fault = soap.SoapFault("UNKNOWN_EXCEPTION", f"An unexpected error occurred: {exc}")
                return 500, SOAP_TYPE, soap.fault(fault, partner=route.kind == "soap-u")
            return 500, JSON_TYPE, rest.RestError(500, "UNKNOWN_EXCEPTION", str(exc)).body()

    def _soap(self, route: Route) -> tuple[int, str, bytes]:
        state = self.state
        partner = route.kind == "soap-u"
        request = route.soap_request
        try:
            if isinstance(request, soap.SoapFault):
                raise request
            if not _version_ok(state, route.version or ""):
                raise soap.SoapFault("UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL")
            if partner:
                if request.operation != "login":
                    user = state.sessions.user(request.session_id)
                    if user is None:
                        raise soap.SoapFault("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session")
                    raise soap.SoapFault(
                        "INVALID_OPERATION", f"No operation available for request {{{soap.PARTNER_NS}}}{request.operation}",
                        faultcode="soapenv:Client",
                    )
                return 200, SOAP_TYPE, auth.soap_login(state, request.body, route.version)
            user = state.sessions.user(request.session_id)
            if user is None:
                raise soap.SoapFault("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session")
            return 200, SOAP_TYPE, self.server.metadata.handle(request, user)  # type: ignore[attr-defined]
        except soap.SoapFault as exc:
            return 500, SOAP_TYPE, soap.fault(exc, partner=partner)

    def _rest(self, method: str, route: Route, query: str) -> tuple[int, str, bytes]:
        state = self.state
        pretty = self.headers.get("X-PrettyPrint") is not None
        try:
            if route.operation == "versions":
                return 200, JSON_TYPE, rest.dump(rest.versions(state), pretty)
            header = self.headers.get("Authorization", "")
            token = header.split(" ", 1)[1].strip() if " " in header else ""
            user = state.sessions.user(token) if header.split(" ", 1)[0] in ("Bearer", "OAuth") else None
            if user is None:
                raise rest.RestError(401, "INVALID_SESSION_ID", "Session expired or invalid")
            if route.operation == "identity":
                return 200, JSON_TYPE, rest.dump(rest.identity(state, user), pretty)
            if not _version_ok(state, route.version or "") or method != "GET":
                raise NOT_FOUND
            if route.operation == "query":
                q = parse_qs(query).get("q", [""])[0]
                tooling = route.rest_path.startswith("tooling")
                return 200, JSON_TYPE, rest.dump(rest.soql(state, q, route.version, tooling), pretty)
            if route.operation == "resources":
                return 200, JSON_TYPE, rest.dump(rest.resources(route.version), pretty)
            if route.rest_path.rstrip("/") == "sobjects":
                return 200, JSON_TYPE, rest.dump(rest.describe_global(state, route.version), pretty)
            raise NOT_FOUND
        except rest.RestError as exc:
            return exc.status, JSON_TYPE, exc.body()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address, state: State, context: ssl.SSLContext, verbose: bool):
        super().__init__(address, Handler)
        self.state = state
        self.ssl_context = context
        self.verbose = verbose
        self.metadata = MetadataApi(state)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def get_request(self):
        sock, address = self.socket.accept()
        wrapped = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self._open_lock:
            self._open.add(wrapped)
        return wrapped, address

    def shutdown_request(self, request) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
            self._open.clear()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address) -> None:
        if self.verbose:
            super().handle_error(request, client_address)


class Emulator:
    """A running emulator. Use as a context manager, or call ``stop()``."""

    def __init__(self, server: _Server, thread: threading.Thread, tmpdir: Path, ca_file: Path):
        self._server = server
        self._thread = thread
        self._tmpdir = tmpdir
        self.state: State = server.state
        self.url = server.state.url
        self.ca_file = str(ca_file)
        self._stopped = False

    # ---- life cycle ----
    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=5)
        shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- what happened ----
    @property
    def requests_log(self) -> list[tuple[str, str, str]]:
        """(method, path, operation) of every request, in arrival order."""
        return self.state.requests_log

    @property
    def internal_errors(self) -> list[str]:
        """Tracebacks of emulator bugs (answered as UNKNOWN_EXCEPTION); tests should expect none."""
        return self.state.internal_errors

    def operations(self) -> list[str]:
        return [op for _, _, op in self.state.requests_log]

    # ---- knobs ----
    @property
    def org(self) -> Org:
        return self.state.org

    @property
    def clock(self) -> Clock:
        """``clock.set(datetime)``, ``clock.advance(days=11)``: the emulator's notion of now."""
        return self.state.clock

    @property
    def latency(self) -> float:
        return self.state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.state.latency = seconds

    @property
    def retrieve_polls(self) -> int:
        return self.state.retrieve_polls

    @retrieve_polls.setter
    def retrieve_polls(self, polls: int) -> None:
        self.state.retrieve_polls = polls

    @property
    def source_tracking(self) -> bool:
        """False makes the org one without source tracking: SourceMember queries answer INVALID_TYPE."""
        return self.state.source_tracking

    @source_tracking.setter
    def source_tracking(self, tracked: bool) -> None:
        self.state.source_tracking = tracked

    @property
    def deploy_polls(self) -> int:
        return self.state.deploy_polls

    @deploy_polls.setter
    def deploy_polls(self, polls: int) -> None:
        self.state.deploy_polls = polls

    def fail_next(self, operation: str, kind: str, times: int = 1) -> None:
        """Make the next ``times`` requests of ``operation`` (e.g. "retrieve", "checkRetrieveStatus",
        "login", "token", "query"; "*" for any) fail with ``kind``: INVALID_SESSION_ID,
        REQUEST_LIMIT_EXCEEDED, http500 or reset."""
        self.state.fail_next(operation, kind, times)

    def retrieve_outcome(
        self,
        status: str = "Failed",
        error_message: str = "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)",
        error_status_code: str = "UNKNOWN_EXCEPTION",
        polls: int | None = None,
    ) -> None:
        """Decide the outcome of the next retrieve (queued: one call per retrieve to affect)."""
        outcome = {"status": status, "error_message": error_message, "error_status_code": error_status_code}
        if polls is not None:
            outcome["polls"] = polls
        with self.state.lock:
            self.state.retrieve_outcomes.append(outcome)

    def expire_sessions(self) -> None:
        """Invalidate every session handed out so far (logging in again gives a working one)."""
        self.state.sessions.expire_all()

    def session_for(self, username: str | None = None) -> str:
        """A valid session id without going through login (for tests of later steps)."""
        user = self.state.user_by_name(username) if username else next(iter(self.state.users.values()))
        if user is None:
            raise KeyError(username)
        return self.state.sessions.issue(user)

    def register_jwt_key(self, consumer_key: str, public_key_pem: bytes) -> None:
        """Require JWTs issued by ``consumer_key`` to be signed by this key."""
        self.state.jwt_keys[consumer_key] = public_key_pem

    def register_connected_app(self, client_id: str, client_secret: str | None = None) -> None:
        """Once any app is registered, only registered client ids are accepted."""
        if self.state.connected_apps is None:
            self.state.connected_apps = {}
        self.state.connected_apps[client_id] = client_secret

    def set_file_properties(self, type_name: str, full_name: str, **fields: str) -> None:
        """Override FileProperties of one component (lastModifiedByName="Jane Doe", lastModifiedDate=…)."""
        self.state.org.set_file_properties(type_name, full_name, **fields)

    def edit(self, path: str, content: bytes | str | None, username: str | None = None) -> list[tuple[str, str]]:
        """Simulate a change made in the sandbox's Setup UI (None deletes the file): the changed
        components get new stamps and SourceMember revisions. Returns their (type, fullName)."""
        data = content.encode("utf-8") if isinstance(content, str) else content
        user = self.state.user_by_name(username) if username else None
        return self.state.org.put_file(path, data, user)

    def user(self, username: str) -> User:
        found = self.state.user_by_name(username)
        if found is None:
            raise KeyError(username)
        return found

    def now_iso(self) -> str:
        return iso(self.clock.now())


def start_emulator(
    metadata_dir: Path | str,
    *,
    api_version: str = "63.0",
    latency: float = 0.0,
    users: dict | None = None,
    port: int = 0,
    verbose: bool = False,
) -> Emulator:
    """Start an emulated org over a metadata-API-format folder on https://127.0.0.1:<port>."""
    metadata_dir = Path(metadata_dir)
    if not metadata_dir.is_dir():
        raise FileNotFoundError(f"metadata folder not found: {metadata_dir}")
    user_table = auth.make_users(users or DEFAULT_USERS)
    admin = next(iter(user_table.values()))
    clock = Clock()
    org = Org(load_folder(metadata_dir), load_types(), clock, admin)
    state = State(org, user_table, api_version, latency)

    tmpdir = Path(tempfile.mkdtemp(prefix="sfhotfix-emulator-"))
    files = make_certificates(tmpdir)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(files.cert_file, files.key_file)

    server = _Server(("127.0.0.1", port), state, context, verbose)
    state.url = f"https://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="sfhotfix-emulator", daemon=True)
    thread.start()
    return Emulator(server, thread, tmpdir, files.ca_file)


__all__ = ["Emulator", "start_emulator", "DEFAULT_USERS", "FAULT_KINDS"]
