"""Plain functions the owner of conftest.py can wrap into pytest fixtures.

Why: conftest.py belongs to someone else; these give the two things a fixture needs — a started emulator
that is always stopped, and the environment that makes ``requests`` (and zeep, and simple_salesforce)
trust its certificate — without deciding fixture names or scopes for them:

    @pytest.fixture
    def sandbox_org(monkeypatch):
        yield from emulator_fixture(EXAMPLES / "hotfix-sandbox", monkeypatch=monkeypatch)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import requests

from .server import Emulator, start_emulator

EXAMPLE_SANDBOX = Path(__file__).resolve().parents[2] / "examples" / "hotfix-sandbox"


def ca_environment(emulator: Emulator) -> dict[str, str]:
    """Environment variables that make requests-based clients verify against the emulator's CA."""
    return {"REQUESTS_CA_BUNDLE": emulator.ca_file, "SSL_CERT_FILE": emulator.ca_file}


def emulator_fixture(metadata_dir: Path | str = EXAMPLE_SANDBOX, *, monkeypatch=None, **kwargs) -> Iterator[Emulator]:
    """Generator for a fixture: start, (optionally) set the CA variables with ``monkeypatch``, yield, stop."""
    emulator = start_emulator(metadata_dir, **kwargs)
    try:
        if monkeypatch is not None:
            for name, value in ca_environment(emulator).items():
                monkeypatch.setenv(name, value)
        yield emulator
    finally:
        emulator.stop()


def http_session(emulator: Emulator) -> requests.Session:
    """A requests session that trusts the emulator."""
    session = requests.Session()
    session.verify = emulator.ca_file
    return session
