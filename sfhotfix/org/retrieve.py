"""Retrieving from an org: chunked under the API's limits, in parallel, polled, extracted safely.

The Metadata API refuses a retrieve of more than 10,000 files or 39 MB zipped. Components are grouped
(an object with its fields, all labels together, so that no file is split across chunks), the groups
packed into as few chunks as the estimated limits allow, evenly, and the chunks retrieved in parallel
under a configurable limit. Each chunk is polled with backoff until done or the overall deadline; a
failed chunk is retried alone. Its zip is streamed to disk and extracted as it arrives (see
:mod:`unzip`), every entry checked to stay inside the folder, while the other chunks are still polled;
its FileProperties are spooled to disk beside it. Memory stays flat however large the retrieve.
"""

from __future__ import annotations

import math
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ..errors import SfhotfixError
from ..registry import Registry
from ..tree import safe_member_name
from . import unzip
from .client import OrgError
from .metadata import FileProperties, MetadataApi, RetrieveStatus, read_file_properties

MAX_FILES = 10_000
MAX_ZIP_BYTES = 39 * 1024 * 1024
# rough zipped size of one component by storage strategy; an estimate only, kept well under the limit
_ZIPPED_BYTES = {"staticResource": 400_000, "mixedContent": 200_000, "bundle": 20_000, "decomposed": 30_000}
_FILES = {"matchingContentFile": 2, "bundle": 6, "mixedContent": 2, "staticResource": 2, "digitalExperience": 8}
DEFAULT_ZIPPED_BYTES = 4_000


class RetrieveFailed(SfhotfixError):
    """A retrieve ended Failed, timed out, or returned a broken zip; nothing was written."""


@dataclass
class Chunk:
    members: dict[str, list[str]] = field(default_factory=dict)
    files: int = 0
    zipped_bytes: int = 0
    size: int = 0  # components

    def add(self, group: list[tuple[str, str]], files: int, zipped: int) -> None:
        for type_name, name in group:
            self.members.setdefault(type_name, []).append(name)
        self.files += files
        self.zipped_bytes += zipped
        self.size += len(group)


@dataclass
class ChunkResult:
    chunk: Chunk
    zip_path: Path
    status: RetrieveStatus
    attempts: int
    seconds: float  # from the retrieve call to the zip on disk (extraction not included)
    properties_path: Path | None = None  # where the chunk's FileProperties were spooled
    warnings: list[str] = field(default_factory=list)

    def file_properties(self) -> Iterator[FileProperties]:
        if self.properties_path is None:
            return iter(self.status.file_properties)
        return read_file_properties(self.properties_path)


@dataclass
class RetrieveOutcome:
    """What a retrieve brought: the extracted folder (metadata-API format), warnings, file properties."""

    folder: Path
    chunks: list[ChunkResult]
    warnings: list[str]
    seconds: float

    @property
    def file_properties(self) -> Iterator[FileProperties]:
        """Every retrieved component's FileProperties, read back one at a time from the chunks' spool files."""
        for result in self.chunks:
            yield from result.file_properties()

    @property
    def largest_zip(self) -> int:
        return max((r.zip_path.stat().st_size for r in self.chunks), default=0)


def _weights(type_name: str, registry: Registry) -> tuple[int, int]:
    """The files and zipped bytes one component of a type is estimated to bring."""
    t = registry.find(type_name)
    strategy = t.strategy if t else "singleFile"
    return _FILES.get(strategy, 1), _ZIPPED_BYTES.get(strategy, DEFAULT_ZIPPED_BYTES)


def _groups(members: dict[str, list[str]], registry: Registry) -> Iterator[tuple[list[tuple[str, str]], int, int]]:
    """Members that share a file in the zip, as (group, files, zipped bytes), in order of type and name.

    A child goes with its parent (a field with its object, every label with the others). Most types
    have neither, so their members are made one group each on the way, with no table of them all.
    """
    families: dict[str, list[str]] = {}  # the type whose components are the groups → the member types
    for type_name in members:
        t = registry.find(type_name)
        parent = registry.find(t.parent) if t is not None and t.parent else None
        head = parent.name if parent else (t.parent if t is not None and t.parent else type_name)
        families.setdefault(head, []).append(type_name)
    for head in sorted(families):
        kinds = families[head]
        if kinds == [head]:
            files, zipped = _weights(head, registry)
            for name in sorted(members[head]):
                yield [(head, name)], files, zipped
            continue
        grouped: dict[str, list[tuple[str, str]]] = {}
        for type_name in sorted(kinds):
            t = registry.find(type_name)
            for name in sorted(members[type_name]):
                if type_name == head:
                    key = name
                else:
                    key = head if t is not None and t.ignore_parent_name else name.split(".", 1)[0]
                grouped.setdefault(key, []).append((type_name, name))
        weights = {type_name: _weights(type_name, registry) for type_name in kinds}
        for key in sorted(grouped):
            group = grouped[key]
            yield group, sum(weights[t][0] for t, _ in group), sum(weights[t][1] for t, _ in group)


def plan_chunks(members: dict[str, list[str]], registry: Registry, *, max_files: int = MAX_FILES,
                max_zip_bytes: int = MAX_ZIP_BYTES, max_components: int | None = None) -> list[Chunk]:
    """Pack members into as few chunks as the limits allow (files, zipped size, optional component count), evenly.

    When a split is needed every chunk takes its share of what is left, by the measure closest to its
    limit, rather than filling up to the limit: 25,000 files make three chunks of about 8,300 files, not
    10,000, 10,000 and 5,000, for a parallel retrieve lasts as long as its largest chunk.
    """
    weights = {type_name: _weights(type_name, registry) for type_name in members}
    totals = (sum(weights[t][0] * len(names) for t, names in members.items()),
              sum(weights[t][1] * len(names) for t, names in members.items()),
              sum(len(names) for names in members.values()))
    if not totals[2]:
        return []
    limits = (max_files, max_zip_bytes, max_components or 0)
    ratios = [total / limit if limit else 0.0 for total, limit in zip(totals, limits)]
    measure = ratios.index(max(ratios))  # the measure that decides how many chunks are needed
    count = max(1, math.ceil(ratios[measure]))
    while True:
        chunks = _pack(_groups(members, registry), count, measure, totals[measure], limits)
        if len(chunks) <= count:
            return chunks
        count += 1


def _pack(groups: Iterator[tuple[list[tuple[str, str]], int, int]], count: int, measure: int, total: int,
          limits: tuple[int, int, int]) -> list[Chunk]:
    """Chunks in order, each closed at its share of what is left (of ``count``) or at a limit."""
    chunks: list[Chunk] = []
    current = Chunk()
    left = total
    for group, files, zipped in groups:
        amounts = (files, zipped, len(group))
        held = (current.files, current.zipped_bytes, current.size)
        if current.size:
            over = any(limit and have + more > limit for have, more, limit in zip(held, amounts, limits))
            share = left / max(1, count - len(chunks))
            if over or (count - len(chunks) > 1 and held[measure] + amounts[measure] / 2 > share):
                left -= held[measure]
                chunks.append(current)
                current = Chunk()
        current.add(group, files, zipped)
    if current.size:
        chunks.append(current)
    return chunks


@dataclass
class Polling:
    """How to poll: first interval, growth factor, cap, and the overall deadline in seconds."""

    first: float = 1.0
    factor: float = 1.5
    cap: float = 10.0
    timeout: float = 1800.0
    sleep: Callable[[float], None] = time.sleep


def retrieve(api: MetadataApi, members: dict[str, list[str]], registry: Registry, work_dir: Path, *,
             parallel: int = 3, polling: Polling = Polling(), chunk_retries: int = 2,
             max_components: int | None = None,
             progress: Callable[[str, int, int], None] | None = None) -> RetrieveOutcome:
    """Retrieve ``members`` into ``work_dir/metadata`` (metadata-API format).

    A chunk's zip is extracted while it arrives, by a thread that reads it behind the download, and
    completed from its central directory once it is whole, while the other chunks are still polled;
    its FileProperties are kept on disk beside the zip.
    """
    started = time.monotonic()
    chunks = plan_chunks(members, registry, max_components=max_components)
    if not chunks:
        raise RetrieveFailed(f"{api.client.name}: nothing to retrieve")
    zips = work_dir / "zips"
    zips.mkdir(parents=True, exist_ok=True)
    deadline = started + polling.timeout
    staging = Path(tempfile.mkdtemp(prefix="extract-", dir=work_dir))
    # one chunk writes files at a time: writing is bound by the interpreter lock and by the folder's
    # lock in the kernel, and chunks taking turns get more done than chunks contending for both
    turn = threading.Lock()
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        futures = [pool.submit(_retrieve_chunk, api, chunk, zips / f"chunk-{n}.zip", polling, deadline,
                               chunk_retries, staging, turn) for n, chunk in enumerate(chunks)]
        try:
            for done, future in enumerate(as_completed(futures), 1):
                future.result()
                if progress:
                    progress("retrieved", done, len(chunks))
        except BaseException:
            for future in futures:  # a chunk that failed for good fails the retrieve: start no other
                future.cancel()
            raise
    results = [future.result() for future in futures]
    folder = work_dir / "metadata"
    staging.rename(folder)
    warnings = [warning for result in results for warning in result.warnings]
    return RetrieveOutcome(folder, results, warnings, time.monotonic() - started)


def _retrieve_chunk(api: MetadataApi, chunk: Chunk, zip_path: Path, polling: Polling, deadline: float,
                    retries: int, staging: Path, turn: threading.Lock) -> ChunkResult:
    """Retrieve one chunk, retried alone when it fails, and extract it into ``staging``."""
    started = time.monotonic()
    properties_path = zip_path.with_suffix(".properties")
    last_error = ""
    for attempt in range(1, retries + 2):
        live = unzip.LiveExtraction(zip_path, staging, _target_in(zip_path), turn)
        try:
            status = _retrieve_once(api, chunk, live, properties_path, polling, deadline)
        except BaseException as exc:
            live.abandon()
            if not isinstance(exc, (OrgError, RetrieveFailed)):
                raise
            last_error = str(exc)
            if time.monotonic() >= deadline or isinstance(exc, _Timeout):
                break
            continue
        result = ChunkResult(chunk, zip_path, status, attempt, time.monotonic() - started, properties_path)
        result.warnings = _extract(result, staging, live)
        return result
    raise RetrieveFailed(f"retrieve of {chunk.size} components failed after retrying that chunk: {last_error}")


class _Timeout(RetrieveFailed):
    """The overall deadline passed while polling (exit code 4, as for deployments)."""

    exit_code = 4


def _retrieve_once(api: MetadataApi, chunk: Chunk, live: unzip.LiveExtraction, properties_path: Path,
                   polling: Polling, deadline: float) -> RetrieveStatus:
    process_id = api.retrieve(chunk.members)
    interval = polling.first
    with open(properties_path, "w+", encoding="utf-8") as properties:
        while True:
            if time.monotonic() + interval > deadline:
                raise _Timeout(f"retrieve {process_id} not finished within {polling.timeout:.0f} s (polling timeout)")
            polling.sleep(interval)
            status = api.check_retrieve_status(process_id, live, properties)
            if status.finished:
                break
            interval = min(interval * polling.factor, polling.cap)
    if status.status == "Failed":
        raise RetrieveFailed(f"retrieve {process_id} ended Failed: {status.error_message or 'no message'}")
    if not status.has_zip or not zipfile.is_zipfile(live.zip_path):
        raise RetrieveFailed(f"retrieve {process_id}: the org's answer holds no readable zip")
    return status


def _target_in(zip_path: Path) -> Callable[[str], str | None]:
    """Where a zip entry goes in the extracted folder: below ``unpackaged/``, package.xml left out."""
    label = str(zip_path)

    def target_of(entry: str) -> str | None:
        # names with nothing that could climb out of the folder skip the full check (thousands a chunk)
        plain = ".." not in entry and "\\" not in entry and not entry.startswith("/") and ":" not in entry
        name = entry if plain else safe_member_name(entry, label)
        name = name.split("/", 1)[1] if name.startswith("unpackaged/") else name
        return None if name == "package.xml" else name

    return target_of


def _extract(result: ChunkResult, staging: Path, live: unzip.LiveExtraction | None = None) -> list[str]:
    """Extract one chunk's zip into the staging folder (or complete its live extraction); its
    RetrieveMessages become warnings."""
    warnings = [f"{file_name}: {problem}" if file_name else problem for file_name, problem in result.status.messages]
    try:
        if live is None:
            unzip.extract(result.zip_path, staging, _target_in(result.zip_path))
        else:
            live.finish()
    except zipfile.BadZipFile as exc:
        raise RetrieveFailed(f"{result.zip_path.name}: corrupt zip from the org ({exc})") from None
    return warnings
