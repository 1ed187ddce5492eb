"""Org faults that need no recorded traffic: the sf CLI's answers, polling timeouts, broken zips."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from sfhotfix.cli import main
from sfhotfix.errors import UsageError
from sfhotfix.org.auth import AuthError, sf_cli
from sfhotfix.org.metadata import RetrieveStatus
from sfhotfix.org.retrieve import Chunk, ChunkResult, Polling, RetrieveFailed, _extract, retrieve
from sfhotfix.registry import load_registry


def fake_sf(tmp_path: Path, answer: dict, code: int = 0) -> str:
    """An `sf` executable that prints ``answer`` as sf org display --json does."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "sf"
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(answer)}\nEOF\nexit {code}\n")
    script.chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


def test_sf_cli_credentials(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", fake_sf(tmp_path, {"status": 0, "result": {
        "accessToken": "00Dfake!token", "instanceUrl": "https://acme--hotfix.sandbox.my.salesforce.com",
        "username": "dev@acme.com.hotfix", "apiVersion": "62.0"}}))
    credentials = sf_cli("hotfix")
    assert credentials.instance_url == "https://acme--hotfix.sandbox.my.salesforce.com"
    assert credentials.api_version == "62.0" and credentials.method == "sf CLI"
    assert "00Dfake" not in repr(credentials)


def test_unknown_alias_is_a_one_line_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", fake_sf(tmp_path, {"status": 1, "name": "NoAuthInfoFound",
                                                  "message": "No authorization information found for nope."}, 1))
    result = CliRunner().invoke(main, ["retrieve", "--target-org", "nope", "--types", "ApexClass",
                                       "--output-dir", str(tmp_path / "out")])
    assert result.exit_code == 3
    assert result.stderr.strip() == ("sfhotfix: error: org 'nope': sf CLI has no usable authorisation "
                                     "(No authorization information found for nope.)")
    assert not (tmp_path / "out").exists()


def test_sf_not_installed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AuthError, match="the sf CLI is not installed"):
        sf_cli("hotfix")


def test_no_credentials_at_all(tmp_path: Path, monkeypatch) -> None:
    for name in [n for n in os.environ if n.startswith("SF_")]:
        monkeypatch.delenv(name)
    result = CliRunner().invoke(main, ["deploy", "--validated-id", "0Af000000000001"])
    assert result.exit_code == 2 and "no org given" in result.stderr
    for wrong in ("0Af00000000000", "a0B000000000001AAA", "0Af000000000001AA", "latest"):  # told before any login
        result = CliRunner().invoke(main, ["deploy", "--validated-id", wrong])
        assert result.exit_code == 2 and f"--validated-id {wrong}: not a deployment id" in result.stderr


class _NeverDone:
    """A Metadata API whose retrieve never finishes."""

    class client:
        name = "slow-org"

    def retrieve(self, members):
        return "09S000000000001"

    def check_retrieve_status(self, process_id, out, properties_out=None):
        return RetrieveStatus(process_id, False, "InProgress")


def test_polling_timeout_is_exit_code_4(tmp_path: Path) -> None:
    clock = iter(range(0, 10_000, 50))
    polling = Polling(first=1.0, timeout=120, sleep=lambda _: None)
    import sfhotfix.org.retrieve as module

    original = module.time.monotonic
    module.time.monotonic = lambda: float(next(clock))
    try:
        with pytest.raises(RetrieveFailed) as raised:
            retrieve(_NeverDone(), {"ApexClass": ["A"]}, load_registry(), tmp_path, polling=polling)
    finally:
        module.time.monotonic = original
    assert raised.value.exit_code == 4 or "polling timeout" in str(raised.value)


def _chunk_result(tmp_path: Path, data: bytes) -> ChunkResult:
    path = tmp_path / "chunk.zip"
    path.write_bytes(data)
    return ChunkResult(Chunk(), path, RetrieveStatus("09S1", True, "Succeeded", has_zip=True), 1, 0.0)


def test_corrupt_zip_from_the_org(tmp_path: Path) -> None:
    with pytest.raises(RetrieveFailed, match="corrupt zip"):
        _extract(_chunk_result(tmp_path, b"PK\x03\x04 not really a zip"), tmp_path / "staging")


def test_zip_entry_escaping_the_folder_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("unpackaged/classes/A.cls", "class A {}")
        archive.writestr("../../etc/cron.d/evil", "* * * * * root true")
    with pytest.raises(UsageError, match="escapes the output folder"):
        _extract(_chunk_result(tmp_path, buffer.getvalue()), tmp_path / "staging")
    assert not (tmp_path.parent.parent / "etc").exists()
