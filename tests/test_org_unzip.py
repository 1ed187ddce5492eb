"""sfhotfix.org.unzip: the retrieve zip extracted one entry at a time, and while it is still being written."""

from __future__ import annotations

import io
import os
import struct
import threading
import time
import zipfile
from pathlib import Path

import pytest

from sfhotfix.org import unzip

BIG = os.urandom(400_000) + b"a" * 600_000  # more than one block, half incompressible


def plain_zip(path: Path, **extra: bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("unpackaged/classes/A.cls", "public class A {}")
        archive.writestr("unpackaged/classes/A.cls-meta.xml", "<ApexClass/>")
        archive.writestr("unpackaged/empty.txt", "")
        archive.writestr("unpackaged/folder/", "")
        archive.writestr("unpackaged/ünïcødé/Ça.page", "é" * 300)
        archive.writestr("unpackaged/staticresources/big.resource", BIG)
        archive.writestr(zipfile.ZipInfo("unpackaged/stored.txt"), b"s" * 3000, compress_type=zipfile.ZIP_STORED)
        for name, data in extra.items():
            archive.writestr(name, data)
    return path


class _Unseekable(io.RawIOBase):
    """Makes zipfile write data descriptors after each entry, as Java's ZipOutputStream does."""

    def __init__(self, out: io.BytesIO):
        self.out = out

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self.out.write(data)


def descriptor_zip(path: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(_Unseekable(buffer), "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("classes/A.cls", "public class A {}" * 50)
        with archive.open("classes/B.cls", "w") as entry:
            entry.write(b"public class B {}" * 3000)
        archive.writestr("classes/C.cls", "")
        archive.writestr("staticresources/big.resource", BIG)
    path.write_bytes(buffer.getvalue())
    return path


def same_as_zipfile(zip_path: Path, folder: Path) -> None:
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            if not info.is_dir():
                assert (folder / info.filename).read_bytes() == archive.read(info), info.filename
    names = {n for n in zipfile.ZipFile(zip_path).namelist() if not n.endswith("/")}
    assert {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} == names


def keep(name: str) -> str:
    return name


def test_extract_gives_what_zipfile_reads(tmp_path: Path) -> None:
    zip_path = plain_zip(tmp_path / "a.zip")
    unzip.extract(zip_path, tmp_path / "out", keep)
    same_as_zipfile(zip_path, tmp_path / "out")


def test_extract_with_data_descriptors_a_prefix_and_zip64(tmp_path: Path, monkeypatch) -> None:
    described = descriptor_zip(tmp_path / "d.zip")
    unzip.extract(described, tmp_path / "d", keep)
    same_as_zipfile(described, tmp_path / "d")

    prefixed = tmp_path / "p.zip"
    prefixed.write_bytes(b"#!/bin/sh\nexit 0\n" + plain_zip(tmp_path / "inner.zip").read_bytes())
    unzip.extract(prefixed, tmp_path / "p", keep)
    same_as_zipfile(prefixed, tmp_path / "p")

    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 100)  # every size and offset past it: zip64 records
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)
    wide = plain_zip(tmp_path / "z64.zip")
    assert b"PK\x06\x06" in wide.read_bytes()
    unzip.extract(wide, tmp_path / "z64", keep)
    same_as_zipfile(wide, tmp_path / "z64")


def test_broken_archives_are_refused(tmp_path: Path) -> None:
    good = plain_zip(tmp_path / "good.zip").read_bytes()
    at = good.index(b"s" * 3000)
    flipped = tmp_path / "crc.zip"
    flipped.write_bytes(good[:at] + b"t" + good[at + 1:])
    with pytest.raises(zipfile.BadZipFile, match="CRC-32"):
        unzip.extract(flipped, tmp_path / "o1", keep)
    cut = tmp_path / "cut.zip"
    cut.write_bytes(good[:len(good) // 2])
    with pytest.raises(zipfile.BadZipFile):
        unzip.extract(cut, tmp_path / "o2", keep)
    bzipped = tmp_path / "bz.zip"
    with zipfile.ZipFile(bzipped, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("a.txt", "x" * 100)
    with pytest.raises(zipfile.BadZipFile, match="compression method 12"):
        unzip.extract(bzipped, tmp_path / "o3", keep)


def test_target_of_renames_skips_and_refuses(tmp_path: Path) -> None:
    zip_path = plain_zip(tmp_path / "a.zip", **{"../evil.txt": b"no"})
    seen: list[str] = []

    def target_of(name: str) -> str | None:
        seen.append(name)
        if name.startswith("../"):
            raise ValueError(name)
        return None if name.endswith(".resource") else name.removeprefix("unpackaged/")

    with pytest.raises(ValueError):
        unzip.extract(zip_path, tmp_path / "out", target_of)
    assert (tmp_path / "out" / "classes" / "A.cls").exists()
    assert not (tmp_path / "out" / "staticresources").exists()
    assert "unpackaged/folder/" not in seen  # folders are not files


def write_slowly(live: unzip.LiveExtraction, data: bytes, piece: int = 4096) -> None:
    for start in range(0, len(data), piece):
        live.write(data[start:start + piece])


def wait_for(path: Path, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.005)
    return False


@pytest.mark.parametrize("make", [plain_zip, descriptor_zip])
def test_live_extraction_writes_files_before_the_zip_is_whole(tmp_path: Path, make) -> None:
    data = make(tmp_path / "source.zip").read_bytes()
    live = unzip.LiveExtraction(tmp_path / "live.zip", tmp_path / "out", keep)
    first = zipfile.ZipFile(tmp_path / "source.zip").namelist()[0]
    half = len(data) // 2
    write_slowly(live, data[:half])
    assert wait_for(tmp_path / "out" / first)  # extracted while the rest has not been written
    write_slowly(live, data[half:])
    live.finish()
    same_as_zipfile(tmp_path / "source.zip", tmp_path / "out")
    assert (tmp_path / "live.zip").read_bytes() == data


def test_live_extraction_started_over_keeps_only_the_last_answer(tmp_path: Path) -> None:
    old = plain_zip(tmp_path / "old.zip", **{"unpackaged/classes/Gone.cls": b"x" * 5000}).read_bytes()
    new = descriptor_zip(tmp_path / "new.zip").read_bytes()
    live = unzip.LiveExtraction(tmp_path / "live.zip", tmp_path / "out", keep)
    write_slowly(live, old[:len(old) - 100])  # a retried call: the answer starts over
    assert wait_for(tmp_path / "out" / "unpackaged" / "classes" / "A.cls")
    live.seek(0)
    live.truncate()
    assert not (tmp_path / "out" / "unpackaged" / "classes" / "A.cls").exists()
    write_slowly(live, new)
    live.finish()
    same_as_zipfile(tmp_path / "new.zip", tmp_path / "out")


def test_live_extraction_abandoned_leaves_nothing(tmp_path: Path) -> None:
    data = plain_zip(tmp_path / "a.zip").read_bytes()
    live = unzip.LiveExtraction(tmp_path / "live.zip", tmp_path / "out", keep)
    write_slowly(live, data[:len(data) // 2])
    assert wait_for(tmp_path / "out" / "unpackaged" / "classes" / "A.cls")
    live.abandon()
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert not any(t.name.startswith("unzip ") for t in threading.enumerate())


def test_live_extraction_trusts_the_central_directory(tmp_path: Path) -> None:
    """A local entry that the central directory does not list is removed once the zip is whole."""
    source = plain_zip(tmp_path / "a.zip", **{"unpackaged/Hidden.cls": b"hidden"}).read_bytes()
    directory_at = struct.unpack("<L", source[-6:-2])[0]
    records, end = source[directory_at:-22], bytearray(source[-22:])
    records = records[:records.rindex(b"PK\x01\x02")]  # the last record (Hidden.cls) goes
    count = struct.unpack("<H", end[10:12])[0] - 1
    end[8:16] = struct.pack("<2HL", count, count, len(records))
    live = unzip.LiveExtraction(tmp_path / "live.zip", tmp_path / "out", keep)
    write_slowly(live, source[:directory_at])
    assert wait_for(tmp_path / "out" / "unpackaged" / "Hidden.cls")
    write_slowly(live, records + bytes(end))
    live.finish()
    assert not (tmp_path / "out" / "unpackaged" / "Hidden.cls").exists()
    same_as_zipfile(tmp_path / "live.zip", tmp_path / "out")
