"""Fixtures shared by the test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The read-only folder beside the checkout (``/work/shared``); tests needing it skip without it."""
    if not SHARED.is_dir():
        pytest.skip(f"needs the shared folder {SHARED}, which is missing")
    return SHARED


@pytest.fixture(scope="session")
def realdata(shared: Path) -> Path:
    """Real Salesforce material copied from public repositories (see its MANIFEST.md)."""
    path = shared / "realdata"
    if not path.is_dir():
        pytest.skip(f"needs the real reference data folder {path}, which is missing")
    return path


# ---------------------------------------------------------------- recorded org traffic (vcrpy)

import hashlib  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import zipfile  # noqa: E402
import base64  # noqa: E402

import vcr  # noqa: E402
from lxml import etree  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ORG_CASSETTES = ROOT / "cassettes" / "org"
# the emulator listens here while recording, so that recorded URLs are the same on every run
ORG_URL = "https://127.0.0.1:8443"
RECORD_MODE = os.environ.get("SFHOTFIX_RECORD", "none")
SCRUBBED = "SCRUBBED"
_SOAP_BODY = "{http://schemas.xmlsoap.org/soap/envelope/}Body"
_SECRETS = [
    (re.compile(rb"<((?:\w+:)?sessionId)>[^<]*</\1>"), rb"<\1>" + SCRUBBED.encode() + rb"</\1>"),
    (re.compile(rb"<((?:\w+:)?password)>[^<]*</\1>"), rb"<\1>" + SCRUBBED.encode() + rb"</\1>"),
    (re.compile(rb'"access_token"\s*:\s*"[^"]*"'), b'"access_token": "' + SCRUBBED.encode() + b'"'),
    (re.compile(rb"(assertion|password|client_secret)=[^&]*"), rb"\1=" + SCRUBBED.encode()),
]


def scrub(data: bytes | str | None) -> bytes | None:
    """Secrets out of a recorded body: session ids, passwords, access tokens, JWT assertions."""
    if data is None:
        return None
    raw = data.encode() if isinstance(data, str) else data
    for pattern, replacement in _SECRETS:
        raw = pattern.sub(replacement, raw)
    return raw


def _scrub_request(request):
    request.headers.pop("Authorization", None)
    request.body = scrub(request.body)
    return request


def _scrub_response(response):
    response["body"]["string"] = scrub(response["body"]["string"])
    response["headers"].pop("Set-Cookie", None)
    return response


def soap_operation(request) -> str | None:
    body = scrub(request.body)
    if not body or not body.lstrip().startswith(b"<"):
        return None
    try:
        envelope = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    soap_body = envelope.find(_SOAP_BODY)
    operation = next((el for el in soap_body if isinstance(el.tag, str)), None) if soap_body is not None else None
    return etree.QName(operation).localname if operation is not None else None


def normalized_body(request) -> bytes:
    """A request body with secrets out and a deploy's zip reduced to its files' contents (zips carry times)."""
    body = scrub(request.body) or b""

    def zip_digest(match: re.Match) -> bytes:
        archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(match.group(1))))
        digest = hashlib.sha256()
        for name in sorted(archive.namelist()):
            digest.update(name.encode() + b"\0" + archive.read(name))
        return b"<ZipFile>" + digest.hexdigest().encode() + b"</ZipFile>"

    return re.sub(rb"<ZipFile>([^<]+)</ZipFile>", zip_digest, body)


def _match_operation(r1, r2) -> None:
    assert soap_operation(r1) == soap_operation(r2)


def _match_body(r1, r2) -> None:
    assert normalized_body(r1) == normalized_body(r2)


def org_vcr() -> vcr.VCR:
    recorder = vcr.VCR(
        cassette_library_dir=str(ORG_CASSETTES), record_mode=RECORD_MODE,
        match_on=["method", "scheme", "host", "port", "path", "query", "soap_operation", "normalized_body"],
        before_record_request=_scrub_request, before_record_response=_scrub_response,
        filter_headers=["authorization", "cookie"], decode_compressed_response=True,
    )
    recorder.register_matcher("soap_operation", _match_operation)
    recorder.register_matcher("normalized_body", _match_body)
    return recorder


def _serialize_playback(cassette) -> None:
    """Parallel retrieves record and replay from several threads; vcrpy's bookkeeping (appending an
    interaction, choosing the next unplayed answer) is not thread-safe, so it is done under a lock."""
    import threading

    lock = threading.Lock()
    for name in ("play_response", "append"):
        method = getattr(cassette, name)

        def locked(*args, _method=method, **kwargs):
            with lock:
                return _method(*args, **kwargs)

        setattr(cassette, name, locked)


@pytest.fixture
def recorded_org(request, monkeypatch, tmp_path):
    """An org for the test: the emulator while recording (SFHOTFIX_RECORD=once|all), its cassette otherwise.

    Yields the emulator when recording (for fault injection), None when replaying; SF_* variables point
    sfhotfix at the org either way.
    """
    cassette = f"{request.node.name}.yaml"
    monkeypatch.setenv("SF_INSTANCE_URL", ORG_URL)
    monkeypatch.setenv("SF_LOGIN_URL", ORG_URL)
    monkeypatch.chdir(tmp_path)
    for name in ("SF_CLIENT_ID", "SF_JWT_KEY_FILE", "SF_USERNAME", "SF_PASSWORD", "SF_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    if RECORD_MODE == "none":
        if not (ORG_CASSETTES / cassette).exists():
            pytest.skip(f"no cassette {cassette} in {ORG_CASSETTES}: record it with `make cassettes`")
        monkeypatch.setenv("SF_ACCESS_TOKEN", "not-a-real-session")
        with org_vcr().use_cassette(cassette, allow_playback_repeats=False) as played:
            _serialize_playback(played)
            yield None
        return
    from emulator.server import start_emulator  # the emulator is needed only to record

    # vcrpy un-patches HTTP globally while it sends a request it records, so a request another thread
    # makes meanwhile would go unrecorded: while recording, one HTTP exchange at a time
    import threading

    import requests

    lock = threading.Lock()
    send = requests.Session.send

    def one_at_a_time(self, *args, **kwargs):
        with lock:
            return send(self, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "send", one_at_a_time)
    emulator = start_emulator(ROOT / "examples" / "hotfix-sandbox", port=8443)
    try:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_file)
        monkeypatch.setenv("SF_ACCESS_TOKEN", emulator.session_for())
        with org_vcr().use_cassette(cassette) as recording:
            _serialize_playback(recording)
            yield emulator
    finally:
        emulator.stop()
