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
