"""Extracting a retrieve's zip in memory that does not grow with its number of entries, even while it arrives.

``zipfile.ZipFile`` reads the whole central directory into ``ZipInfo`` objects first (some 500 bytes
an entry: 5 MB for a 10,000-file chunk) and opens a buffered file object for each entry it writes.
A retrieve chunk needs neither: here the central directory is walked one record at a time, each entry
is read from its local header in blocks, inflated, checked against its size and CRC-32, and written
with plain system calls. Zip64 records are understood; an encrypted entry or a compression other than
stored or deflated is refused as a broken zip, as are inconsistent headers. :class:`LiveExtraction`
does the same behind a download, writing each file as soon as its entry has arrived.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from array import array
from bisect import bisect_left
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator, NamedTuple
from zipfile import BadZipFile

from ..output import _write_bytes as write_bytes

_END = struct.Struct("<4s4H2LH")  # end of central directory
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # one central directory record
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # one local file header
_MAX_COMMENT = 0xFFFF
_BLOCK = 1 << 18
_STORED, _DEFLATED = 0, 8


class Entry(NamedTuple):
    name: str
    raw_name: bytes
    flags: int
    method: int
    crc: int
    compressed: int
    size: int
    offset: int  # of the local header, from the start of the file


def _end_of_directory(f: IO[bytes]) -> tuple[int, int, int]:
    """(entries, where the central directory starts in the file, where the archive starts in the file)."""
    f.seek(0, os.SEEK_END)
    file_size = f.tell()
    tail_start = max(0, file_size - _END.size - _MAX_COMMENT)
    f.seek(tail_start)
    tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _END.size:
        raise BadZipFile("File is not a zip file")
    _, _, _, _, count, size, offset, _ = _END.unpack_from(tail, at)
    end_at = tail_start + at
    locator_at = end_at - _END64_LOCATOR.size
    if locator_at >= _END64.size:
        f.seek(locator_at - _END64.size)
        record = f.read(_END64.size + 4)
        if record[_END64.size:] == b"PK\x06\x07":  # zip64: the record just before its locator counts
            if record[:4] != b"PK\x06\x06":
                raise BadZipFile("corrupt zip64 end of central directory")
            count, size, offset = _END64.unpack_from(record)[7:10]
            end_at = locator_at - _END64.size
    # bytes before the archive (a self-extracting stub) shift every offset, as zipfile allows
    start = end_at - size - offset
    if start < 0:
        raise BadZipFile("the central directory lies outside the file")
    return count, offset + start, start


def _zip64_values(extra: bytes, wanted: list[int]) -> list[int]:
    """The zip64 extra field's values for the header fields that hold 0xFFFFFFFF, in order."""
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<2H", extra, at)
        if tag == 1:
            count = sum(1 for v in wanted if v == 0xFFFFFFFF)
            if length < 8 * count:
                raise BadZipFile("corrupt zip64 extra field")
            values = iter(struct.unpack_from(f"<{count}Q", extra, at + 4))
            return [next(values) if v == 0xFFFFFFFF else v for v in wanted]
        at += 4 + length
    return wanted


def entries(f: IO[bytes]) -> Iterator[Entry]:
    """The archive's entries in central-directory order, read one record at a time."""
    count, directory, start = _end_of_directory(f)
    f.seek(directory)
    for _ in range(count):
        header = f.read(_CENTRAL.size)
        if len(header) < _CENTRAL.size or header[:4] != b"PK\x01\x02":
            raise BadZipFile("bad magic number for central directory")
        fields = _CENTRAL.unpack(header)
        flags, method, crc, compressed, size_, name_len, extra_len, comment_len = (
            fields[5], fields[6], fields[9], fields[10], fields[11], fields[12], fields[13], fields[14])
        local = fields[18]
        raw_name = f.read(name_len)
        extra = f.read(extra_len)
        f.seek(comment_len, os.SEEK_CUR)
        if 0xFFFFFFFF in (size_, compressed, local):
            size_, compressed, local = _zip64_values(extra, [size_, compressed, local])
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437")
        yield Entry(name, raw_name, flags, method, crc, compressed, size_, local + start)


class _Folder:
    """Where the files go; each folder is made once."""

    def __init__(self, root: Path):
        self.root = os.fspath(root)
        self.made: set[str] = set()

    def target(self, rel: str) -> str:
        parent = rel.rpartition("/")[0]
        if parent not in self.made:
            os.makedirs(os.path.join(self.root, parent), exist_ok=True)
            self.made.add(parent)
        return os.path.join(self.root, rel)


class _Output:
    """One file being written: a small one with a single system call, a large one in pieces."""

    def __init__(self, target: str):
        self.target = target
        self.pieces: list[bytes] = []
        self.held = 0
        self.file: IO[bytes] | None = None

    def write(self, data: bytes) -> None:
        if self.file is not None:
            self.file.write(data)
            return
        self.pieces.append(data)
        self.held += len(data)
        if self.held > _BLOCK:
            self.file = open(self.target, "wb")
            for piece in self.pieces:
                self.file.write(piece)
            self.pieces = []

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        else:
            write_bytes(self.target, b"".join(self.pieces))


def _discard(data: bytes) -> None:
    return None


def _inflate(read: Callable[[int], bytes], method: int, compressed: int | None,
             write: Callable[[bytes], None]) -> tuple[int, int, int, int]:
    """Inflate (or copy) one entry's data as ``read`` gives it (any amount, b"" at the end).

    ``compressed`` None: a deflated stream whose size is told after it (a data descriptor), read to its
    end. Returns its CRC-32, size, the compressed bytes it took, and how many bytes of the last read
    came after it.
    """
    inflate = zlib.decompressobj(-15) if method == _DEFLATED else None
    to_its_end = compressed is None and inflate is not None
    crc = size = taken = 0
    left = compressed
    while left is None or left:
        block = read(_BLOCK if left is None else min(left, _BLOCK))
        if not block:
            raise BadZipFile("an entry's data is cut short")
        taken += len(block)
        if left is not None:
            left -= len(block)
        while block:
            if inflate is None:
                data, block = block, b""
            else:
                data = inflate.decompress(block, _BLOCK)
                block = inflate.unconsumed_tail
            crc = zlib.crc32(data, crc)
            size += len(data)
            write(data)
            if to_its_end and inflate.eof:
                break
        if to_its_end and inflate.eof:
            break
    after = 0
    if inflate is not None:
        if to_its_end:
            after = len(inflate.unused_data)
            taken -= after
        data = inflate.flush()
        crc = zlib.crc32(data, crc)
        size += len(data)
        write(data)
    return crc, size, taken, after


def _whole(data: bytes, method: int, size: int) -> bytes:
    """A small entry's data inflated in one call (most of a retrieve's entries are a few kilobytes)."""
    return zlib.decompress(data, -15, max(size, 1)) if method == _DEFLATED else data


def _read_entry(f: IO[bytes], entry: Entry, write: Callable[[bytes], None]) -> None:
    """Inflate one entry from its local header, in blocks, and check its size and CRC-32."""
    if entry.flags & 0x1:
        raise BadZipFile(f"{entry.name}: encrypted entries are not supported")
    if entry.method not in (_STORED, _DEFLATED):
        raise BadZipFile(f"{entry.name}: compression method {entry.method} is not supported")
    if f.tell() != entry.offset:
        f.seek(entry.offset)
    header = f.read(_LOCAL.size)
    if len(header) < _LOCAL.size or header[:4] != b"PK\x03\x04":
        raise BadZipFile(f"{entry.name}: bad magic number for file header")
    fields = _LOCAL.unpack(header)
    if f.read(fields[10]) != entry.raw_name:
        raise BadZipFile(f"{entry.name}: file name in directory and header differ")
    f.seek(fields[11], os.SEEK_CUR)
    if entry.compressed <= _BLOCK and entry.size <= _BLOCK:
        data = _whole(f.read(entry.compressed), entry.method, entry.size)
        crc, size = zlib.crc32(data), len(data)
        write(data)
    else:
        crc, size, _, _ = _inflate(f.read, entry.method, entry.compressed, write)
    if size != entry.size or crc != entry.crc:
        raise BadZipFile(f"Bad CRC-32 or size for file '{entry.name}'")


def _name_hash(raw_name: bytes) -> int:
    """A name's hash, to tell the directory's entries from those written on the way (within one process)."""
    return hash(raw_name) & 0xFFFFFFFFFFFFFFFF


def _complete(zip_path: Path, folder: _Folder, target_of: Callable[[str], str | None],
              streamed: array) -> bytearray:
    """Extract from the central directory every file entry not already in ``streamed``.

    ``streamed`` holds (offset, CRC-32, size, name hash) of the entries written on the way; one counts
    as done only when all four agree with the directory (otherwise it is written again). Returns, for
    each of them, whether the directory holds it (same offset and name): those it does not must go.
    """
    offsets = streamed[0::4]
    held = bytearray(len(offsets))
    with open(zip_path, "rb") as directory, open(zip_path, "rb") as data:
        try:
            for entry in entries(directory):
                at = bisect_left(offsets, entry.offset)
                if at < len(offsets) and offsets[at] == entry.offset and \
                        streamed[4 * at + 3] == _name_hash(entry.raw_name):
                    held[at] = 1
                    if streamed[4 * at + 1:4 * at + 3].tolist() == [entry.crc, entry.size]:
                        continue  # written on the way under this very name, which target_of let pass
                if entry.name.endswith("/"):
                    continue
                rel = target_of(entry.name)
                if rel is None:
                    continue
                out = _Output(folder.target(rel))
                _read_entry(data, entry, out.write)
                out.close()
        except (zlib.error, struct.error, UnicodeDecodeError) as exc:
            raise BadZipFile(str(exc)) from None
    return held


def extract(zip_path: Path, folder: Path, target_of: Callable[[str], str | None]) -> None:
    """Write each file entry of the zip to ``folder / target_of(name)`` (None: not written).

    ``target_of`` sees each name before its entry is read, and refuses one (an entry that climbs out of
    the folder) by raising. A broken archive raises :class:`zipfile.BadZipFile`.
    """
    _complete(zip_path, _Folder(folder), target_of, array("Q"))


class _Restarted(Exception):
    """The answer being read started over."""


class LiveExtraction:
    """A zip extracted while it is being written, then completed from its central directory.

    The writer (a retrieve's streaming answer) writes the zip through this object as if to the file.
    On its first bytes a thread of its own starts reading the local entries behind it, and writes each
    file as soon as its data is there. :meth:`finish`, once the zip is whole, walks the central
    directory, which stays the authority: an entry written on the way whose offset, name, CRC and size
    agree is kept, any other is extracted from the file then, and a file written on the way that the
    directory does not hold is removed. ``seek(0)``/``truncate()`` (a retried call starting its answer
    over) and :meth:`abandon` remove what was written from the answer given up.
    """

    def __init__(self, zip_path: Path, folder: Path, target_of: Callable[[str], str | None],
                 turn: threading.Lock | None = None):
        self.zip_path = zip_path
        self._turn = turn or threading.Lock()  # shared: zips extracted at the same time take turns
        self._folder = _Folder(folder)
        self._target_of = target_of
        self._file = open(zip_path, "w+b", buffering=0)
        self._cond = threading.Condition()
        self._size = 0  # bytes of the current answer written so far
        self._generation = 0
        self._complete = False
        self._thread: threading.Thread | None = None
        self._streamed = array("Q")  # per entry followed on the way: offset, CRC-32, size, name hash
        self._verified = False  # the follower found the central directory in agreement

    # ---- the writer's side: a file that is only ever written from its start
    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            view = view[self._file.write(view):]
        with self._cond:
            self._size += len(data)
            if self._thread is None:
                self._thread = threading.Thread(target=self._follow, args=(self._generation,), daemon=True,
                                                name=f"unzip {self.zip_path.name}")
                self._thread.start()
            self._cond.notify_all()
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if (offset, whence) != (0, os.SEEK_SET):
            raise ValueError("a zip being extracted is only ever written again from its start")
        self._restart()
        return 0

    def truncate(self, size: int | None = None) -> int:
        if size:
            raise ValueError("a zip being extracted is only ever emptied")
        self._restart()
        return 0

    # ---- the end
    def finish(self) -> None:
        """The zip is whole: wait for the reading behind it, then complete from the central directory."""
        self._stop(complete=True)
        self._file.close()
        if self._verified:
            return
        with self._turn:
            held = _complete(self.zip_path, self._folder, self._target_of, self._streamed)
        self._remove([at for at, kept in enumerate(held) if not kept])

    def abandon(self) -> None:
        """The answer is given up: stop reading it and remove what was written from it."""
        if not self._file.closed:
            self._restart()
            self._file.close()

    # ---- inside
    def _restart(self) -> None:
        self._stop(complete=False)
        self._remove(range(len(self._streamed) // 4))
        self._streamed = array("Q")
        self._verified = False
        self._file.seek(0)
        self._file.truncate()

    def _stop(self, complete: bool) -> None:
        with self._cond:
            if complete:
                self._complete = True
            else:
                self._generation += 1
                self._size = 0
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def _remove(self, indexes: Iterable[int]) -> None:
        """Remove the files written on the way for these entries (their names read back from the zip)."""
        indexes = list(indexes)
        if not indexes:
            return
        with open(self.zip_path, "rb") as f:
            for at in indexes:
                f.seek(self._streamed[4 * at])
                header = f.read(_LOCAL.size)
                fields = _LOCAL.unpack(header)
                raw_name = f.read(fields[10])
                name = raw_name.decode("utf-8" if fields[3] & 0x800 else "cp437")
                if name.endswith("/"):
                    continue
                try:
                    rel = self._target_of(name)
                except Exception:  # noqa: BLE001 - a name refused was never written
                    continue
                if rel is not None:
                    Path(self._folder.root, rel).unlink(missing_ok=True)

    def _wait(self, generation: int, position: int) -> int:
        """How many bytes there are past ``position``, once there are some or the zip is whole.

        The follower holds its turn while it has bytes to extract, and lets another zip's have it while
        it waits for more.
        """
        with self._cond:
            if generation == self._generation and self._size <= position and not self._complete:
                self._turn.release()
                try:
                    while generation == self._generation and self._size <= position and not self._complete:
                        self._cond.wait()
                finally:
                    self._cond.release()  # never wait for the turn while holding the condition
                    self._turn.acquire()
                    self._cond.acquire()
            if generation != self._generation:
                raise _Restarted()
            return self._size - position

    def _follow(self, generation: int) -> None:
        """Read the zip behind the writer: write each entry's file, then check the central directory.

        When every local entry was followed and the directory, read as it arrives, lists exactly those
        entries with the same offsets, names, CRCs and sizes, :meth:`finish` has nothing left to do.
        Whatever this reading does not follow (a stored entry whose size comes after it, an encrypted
        one, a refused name, zip64 records, a broken header) is left to :meth:`finish`.
        """
        try:
            with self._turn, open(self.zip_path, "rb", buffering=0) as f:
                behind = _Behind(self, generation, f.fileno())
                while (signature := behind.peek(4)) == b"PK\x03\x04":
                    if not self._follow_entry(behind):
                        return
                if signature == b"PK\x01\x02" and self._follow_directory(behind):
                    with self._cond:
                        self._verified = generation == self._generation
        except _Restarted:
            pass
        except Exception:  # noqa: BLE001 - the central directory decides, and reports, in finish()
            pass

    def _follow_entry(self, behind: "_Behind") -> bool:
        """One local entry: its file written (unless refused or not wanted)."""
        offset = behind.position
        header = behind.read_exact(_LOCAL.size)
        if len(header) < _LOCAL.size:
            return False
        _, _, _, flags, method, _, _, _, compressed, size, name_length, extra_length = _LOCAL.unpack(header)
        names = behind.read_exact(name_length + extra_length)
        raw_name, extra = names[:name_length], names[name_length:]
        described_after = flags & 0x8
        if flags & 0x1 or method not in (_STORED, _DEFLATED) or (described_after and method != _DEFLATED):
            return False
        if not described_after and 0xFFFFFFFF in (size, compressed):
            size, compressed = _zip64_values(extra, [size, compressed])
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437")
        rel = None if name.endswith("/") else self._target_of(name)
        at = len(self._streamed)  # noted before its file is written, so that one cut short is found again
        self._streamed.extend((offset, 0, 0, _name_hash(raw_name)))
        if not described_after and compressed <= _BLOCK and size <= _BLOCK:
            data = _whole(behind.read_exact(compressed), method, size)
            got_crc, got_size, taken, after = zlib.crc32(data), len(data), compressed, 0
            if rel is not None:
                write_bytes(self._folder.target(rel), data)
        else:
            out = _Output(self._folder.target(rel)) if rel is not None else None
            got_crc, got_size, taken, after = _inflate(behind.read, method, None if described_after else compressed,
                                                       out.write if out is not None else _discard)
            if out is not None:
                out.close()
        self._streamed[at + 1], self._streamed[at + 2] = got_crc, got_size
        behind.unread(after)
        return not described_after or behind.skip_descriptor(taken, got_size)

    def _follow_directory(self, behind: "_Behind") -> bool:
        """The central directory, as it arrives: does it list just the entries followed?"""
        streamed = self._streamed
        count = len(streamed) // 4
        for at in range(count):
            record = behind.read_exact(_CENTRAL.size)
            if len(record) < _CENTRAL.size or record[:4] != b"PK\x01\x02":
                return False
            fields = _CENTRAL.unpack(record)
            crc, compressed, size, name_length, extra_length, comment_length, local = \
                fields[9], fields[10], fields[11], fields[12], fields[13], fields[14], fields[18]
            names = behind.read_exact(name_length + extra_length + comment_length)
            if 0xFFFFFFFF in (size, compressed, local):
                return False  # zip64: left to the full reading of the directory
            if streamed[4 * at:4 * at + 4].tolist() != [local, crc, size, _name_hash(names[:name_length])]:
                return False
        end = behind.read_exact(_END.size)
        return len(end) == _END.size and end[:4] == b"PK\x05\x06" and _END.unpack(end)[4] == count != 0xFFFF


class _Behind:
    """Reading a file behind its writer: a read waits for bytes that are not there yet."""

    def __init__(self, live: LiveExtraction, generation: int, fd: int):
        self.live = live
        self.generation = generation
        self.fd = fd
        self.buffer = b""
        self.at = 0  # in the buffer
        self.position = 0  # in the file, of buffer[at]

    def _fill(self, n: int) -> int:
        """Have ``n`` bytes ready in the buffer (fewer only at the end of a whole zip); how many are."""
        ready = len(self.buffer) - self.at
        while ready < n:
            end = self.position + ready
            available = self.live._wait(self.generation, end)
            more = os.pread(self.fd, min(available, max(n - ready, _BLOCK)), end) if available > 0 else b""
            if not more:
                break
            self.buffer = self.buffer[self.at:] + more
            self.at = 0
            ready = len(self.buffer)
        return ready

    def peek(self, n: int) -> bytes:
        self._fill(n)
        return self.buffer[self.at:self.at + n]

    def read_exact(self, n: int) -> bytes:
        """``n`` bytes, fewer only at the end of a whole zip."""
        if len(self.buffer) - self.at < n:
            n = min(n, self._fill(n))
        at = self.at
        self.at = at + n
        self.position += n
        return self.buffer[at:at + n]

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes, at least one unless the zip is whole and read to its end."""
        if self.at == len(self.buffer):
            self._fill(1)
        return self.read_exact(min(n, len(self.buffer) - self.at))

    def unread(self, n: int) -> None:
        """Give back the last ``n`` bytes read (all from the last read: what came after a deflated stream)."""
        self.at -= n
        self.position -= n

    def skip_descriptor(self, compressed: int, size: int) -> bool:
        """Step over a data descriptor (signature optional, sizes in 4 or 8 bytes); False when it does not fit."""
        head = self.read_exact(4)
        if head == b"PK\x07\x08":
            head = self.read_exact(4)  # the CRC-32
        sizes = self.read_exact(8)
        if len(head) < 4 or len(sizes) < 8:
            return False
        if struct.unpack("<2L", sizes) == (compressed & 0xFFFFFFFF, size & 0xFFFFFFFF):
            return True
        sizes += self.read_exact(8)
        return len(sizes) == 16 and struct.unpack("<2Q", sizes) == (compressed, size)
