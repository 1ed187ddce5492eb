"""Retrieving from an org: chunked under the API's limits, in parallel, polled, extracted safely.

The Metadata API refuses a retrieve of more than 10,000 files or 39 MB zipped. Components are grouped
(an object with its fields, all labels together, so that no file is split across chunks), the groups
packed into chunks under estimated limits, and the chunks retrieved in parallel under a configurable
limit. Each chunk is polled with backoff until done or the overall deadline; a failed chunk is retried
alone; its zip is streamed to disk and extracted with every entry checked to stay inside the folder.
"""

from __future__ import annotations

import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import SfhotfixError
from ..registry import Registry
from ..tree import safe_member_name
from .client import OrgError
from .metadata import FileProperties, MetadataApi, RetrieveStatus

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

    def add(self, group: list[tuple[str, str]], files: int, zipped: int) -> None:
        for type_name, name in group:
            self.members.setdefault(type_name, []).append(name)
        self.files += files
        self.zipped_bytes += zipped

    @property
    def size(self) -> int:
        return sum(len(v) for v in self.members.values())


@dataclass
class ChunkResult:
    chunk: Chunk
    zip_path: Path
    status: RetrieveStatus
    attempts: int
    seconds: float


@dataclass
class RetrieveOutcome:
    """What a retrieve brought: the extracted folder (metadata-API format), warnings, file properties."""

    folder: Path
    chunks: list[ChunkResult]
    warnings: list[str]
    file_properties: list[FileProperties]
    seconds: float

    @property
    def largest_zip(self) -> int:
        return max((r.zip_path.stat().st_size for r in self.chunks), default=0)


def _group_key(registry: Registry, type_name: str, name: str) -> tuple[str, str]:
    """Members that share a file in the zip share a group: a child goes with its parent."""
    t = registry.find(type_name)
    if t is not None and t.parent:
        parent = registry.find(t.parent)
        if t.ignore_parent_name:
            return (t.parent, t.parent)
        return (parent.name if parent else t.parent, name.split(".", 1)[0])
    return (type_name, name)


def plan_chunks(members: dict[str, list[str]], registry: Registry, *, max_files: int = MAX_FILES,
                max_zip_bytes: int = MAX_ZIP_BYTES, max_components: int | None = None) -> list[Chunk]:
    """Pack members into chunks under the file and size limits (and an optional component count)."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for type_name in sorted(members):
        for name in sorted(members[type_name]):
            groups.setdefault(_group_key(registry, type_name, name), []).append((type_name, name))
    chunks: list[Chunk] = [Chunk()]
    for group in groups.values():
        files = zipped = 0
        for type_name, _ in group:
            t = registry.find(type_name)
            strategy = t.strategy if t else "singleFile"
            files += _FILES.get(strategy, 1)
            zipped += _ZIPPED_BYTES.get(strategy, DEFAULT_ZIPPED_BYTES)
        current = chunks[-1]
        full = (current.files + files > max_files or current.zipped_bytes + zipped > max_zip_bytes
                or (max_components is not None and current.size + len(group) > max_components))
        if full and current.size:
            current = Chunk()
            chunks.append(current)
        current.add(group, files, zipped)
    return [c for c in chunks if c.size]


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
    """Retrieve ``members`` into ``work_dir/metadata`` (metadata-API format)."""
    started = time.monotonic()
    chunks = plan_chunks(members, registry, max_components=max_components)
    if not chunks:
        raise RetrieveFailed(f"{api.client.name}: nothing to retrieve")
    zips = work_dir / "zips"
    zips.mkdir(parents=True, exist_ok=True)
    deadline = started + polling.timeout
    results: list[ChunkResult] = []
    warnings: list[str] = []
    staging = Path(tempfile.mkdtemp(prefix="extract-", dir=work_dir))
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        futures = [pool.submit(_retrieve_chunk, api, chunk, zips / f"chunk-{n}.zip", polling, deadline,
                               chunk_retries) for n, chunk in enumerate(chunks)]
        for future in as_completed(futures):
            result = future.result()
            warnings += _extract(result, staging)  # while the other chunks are still being retrieved
            results.append(result)
            if progress:
                progress("retrieved", len(results), len(chunks))
    folder = work_dir / "metadata"
    staging.rename(folder)
    properties = [p for r in results for p in r.status.file_properties]
    results.sort(key=lambda r: str(r.zip_path))
    return RetrieveOutcome(folder, results, warnings, properties, time.monotonic() - started)


def _retrieve_chunk(api: MetadataApi, chunk: Chunk, zip_path: Path, polling: Polling, deadline: float,
                    retries: int) -> ChunkResult:
    started = time.monotonic()
    last_error = ""
    for attempt in range(1, retries + 2):
        try:
            status = _retrieve_once(api, chunk, zip_path, polling, deadline)
            return ChunkResult(chunk, zip_path, status, attempt, time.monotonic() - started)
        except (OrgError, RetrieveFailed) as exc:
            last_error = str(exc)
            if time.monotonic() >= deadline or isinstance(exc, _Timeout):
                break
    raise RetrieveFailed(f"retrieve of {chunk.size} components failed after retrying that chunk: {last_error}")


class _Timeout(RetrieveFailed):
    """The overall deadline passed while polling (exit code 4, as for deployments)."""

    exit_code = 4


def _retrieve_once(api: MetadataApi, chunk: Chunk, zip_path: Path, polling: Polling, deadline: float) -> RetrieveStatus:
    process_id = api.retrieve(chunk.members)
    interval = polling.first
    with open(zip_path, "w+b") as out:
        while True:
            if time.monotonic() + interval > deadline:
                raise _Timeout(f"retrieve {process_id} not finished within {polling.timeout:.0f} s (polling timeout)")
            polling.sleep(interval)
            status = api.check_retrieve_status(process_id, out)
            if status.finished:
                break
            interval = min(interval * polling.factor, polling.cap)
    if status.status == "Failed":
        raise RetrieveFailed(f"retrieve {process_id} ended Failed: {status.error_message or 'no message'}")
    if not status.has_zip or not zipfile.is_zipfile(zip_path):
        raise RetrieveFailed(f"retrieve {process_id}: the org's answer holds no readable zip")
    return status


def _extract(result: ChunkResult, staging: Path) -> list[str]:
    """Extract one chunk's zip into the staging folder; its RetrieveMessages become warnings."""
    warnings = [f"{file_name}: {problem}" if file_name else problem for file_name, problem in result.status.messages]
    try:
        with zipfile.ZipFile(result.zip_path) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                name = safe_member_name(info.filename, str(result.zip_path))
                name = name.split("/", 1)[1] if name.startswith("unpackaged/") else name
                if name == "package.xml":
                    continue
                target = staging / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, open(target, "wb") as dst:
                    while block := src.read(1 << 20):
                        dst.write(block)
    except zipfile.BadZipFile as exc:
        raise RetrieveFailed(f"{result.zip_path.name}: corrupt zip from the org ({exc})") from None
    return warnings
