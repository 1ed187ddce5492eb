"""Salesforce-shaped record ids and timestamps.

Why: clients (and simple_salesforce) treat ids as opaque 15/18-character strings with a 3-character key
prefix, and timestamps as ``2024-01-01T00:00:00.000Z``. The emulator produces both in that exact form,
deterministically (from a counter or from a hash of the component's name), so that recorded cassettes do not
change from one recording to the next for reasons that have nothing to do with the client.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import threading

_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

ORG_ID15 = "00D000000000001"

# key prefixes of the record types behind common metadata types (what real listMetadata ids start with)
KEY_PREFIX = {
    "ApexClass": "01p",
    "ApexTrigger": "01q",
    "ApexPage": "066",
    "ApexComponent": "099",
    "CustomObject": "01I",
    "CustomField": "00N",
    "CustomLabel": "101",
    "CustomTab": "01r",
    "Layout": "00h",
    "Profile": "00e",
    "PermissionSet": "0PS",
    "Flow": "301",
    "ValidationRule": "03d",
    "ListView": "00B",
    "RecordType": "012",
    "StaticResource": "081",
    "Report": "00O",
    "Dashboard": "01Z",
    "EmailTemplate": "00X",
    "Document": "015",
    "ReportFolder": "00l",
    "DashboardFolder": "00l",
    "DocumentFolder": "00l",
    "EmailFolder": "00l",
    "WebLink": "00b",
    "CompactLayout": "0AH",
    "FieldSet": "0IX",
    "LightningComponentBundle": "0Rb",
    "AuraDefinitionBundle": "0Ab",
}


def sf18(id15: str) -> str:
    """The 18-character, case-insensitive form of a 15-character id (Salesforce's checksum suffix)."""
    suffix = ""
    for chunk in range(3):
        bits = 0
        for pos in range(5):
            char = id15[chunk * 5 + pos]
            if "A" <= char <= "Z":
                bits |= 1 << pos
        suffix += _CHECKSUM[bits]
    return id15 + suffix


ORG_ID = sf18(ORG_ID15)


def hashed_id(prefix: str, seed: str) -> str:
    """A stable 18-character id for ``seed`` (e.g. ``"ApexClass:InvoiceService"``)."""
    number = int.from_bytes(hashlib.sha1(seed.encode("utf-8")).digest()[:12], "big")
    body = ""
    for _ in range(12):
        number, rest = divmod(number, 62)
        body += _BASE62[rest]
    return sf18(prefix + body)


def component_id(type_name: str, full_name: str) -> str:
    return hashed_id(KEY_PREFIX.get(type_name, "000"), f"{type_name}:{full_name}")


class Counter:
    """Thread-safe sequence of ids with a given prefix: ``09S000000000001AAA``, ``...002AAA``…"""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, itertools.count] = {}

    def next_id(self, prefix: str) -> str:
        with self._lock:
            counter = self._counters.setdefault(prefix, itertools.count(1))
            number = next(counter)
        return sf18(f"{prefix}{number:0{15 - len(prefix)}d}")

    def next_number(self, name: str) -> int:
        with self._lock:
            return next(self._counters.setdefault(name, itertools.count(1)))


def iso(moment: _dt.datetime) -> str:
    """Salesforce's dateTime form: UTC, milliseconds, ``Z``."""
    moment = moment.astimezone(_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Clock:
    """The emulator's "now": real UTC time by default, or frozen/moved by tests (validation expiry)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: _dt.datetime | None = None
        self._offset = _dt.timedelta()

    def now(self) -> _dt.datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return _dt.datetime.now(_dt.timezone.utc) + self._offset

    def set(self, moment: _dt.datetime) -> None:
        """Freeze the clock at ``moment`` (naive datetimes are taken as UTC)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_dt.timezone.utc)
        with self._lock:
            self._frozen = moment

    def advance(self, delta: _dt.timedelta | None = None, **kwargs: float) -> None:
        """Move the clock forward (``advance(days=11)``), frozen or not."""
        delta = delta if delta is not None else _dt.timedelta(**kwargs)
        with self._lock:
            if self._frozen is not None:
                self._frozen += delta
            else:
                self._offset += delta

    def unfreeze(self) -> None:
        with self._lock:
            self._frozen = None
            self._offset = _dt.timedelta()
