"""Converting a large tree on every core, with nothing visible in the output folder until all went well.

Components are independent once the ones the converter merges (all custom labels of a project) stay
together, so they are shared out to forked workers by the bytes they hold; each worker converts its
share and writes it into a staging folder beside the output folder. Only when every worker succeeded is
the staging folder moved into place; on any error it is deleted and the error reported, so the output
folder is left as it was. A small tree is converted in this process: forking costs more than it saves.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

from ..components import Component, ResolvedTree
from ..output import write_files
from ..tree import FileTree
from .convert import Output

PARALLEL_FROM_BYTES = 32 * 1024 * 1024
Convert = Callable[[ResolvedTree, FileTree], Output]

_job: tuple[ResolvedTree, FileTree, Convert, Path] | None = None  # what forked workers inherit


def convert_into(resolved: ResolvedTree, tree: FileTree, convert: Convert, out_dir: Path,
                 finish: Callable[[], dict[str, bytes]] | None = None) -> int:
    """Convert ``resolved`` with ``convert`` and write the result into ``out_dir``; returns the file count.

    ``finish`` gives files that need the whole tree (package.xml), written last.
    """
    # staged in the nearest folder that exists above the output, so that it is moved into place with one rename
    # on the same file system (never through the system's temporary folder, which may be another disk)
    anchor = next(folder for folder in Path(out_dir).absolute().parents if folder.is_dir())
    staging = Path(tempfile.mkdtemp(prefix=".sfhotfix-", dir=anchor))
    try:
        count = _convert(resolved, tree, convert, staging)
        if finish is not None:
            extra = finish()
            write_files(staging, extra)
            count += len(extra)
        _move_into_place(staging, out_dir)
        return count
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _convert(resolved: ResolvedTree, tree: FileTree, convert: Convert, staging: Path) -> int:
    shares = _shares(resolved, tree, os.cpu_count() or 1)
    if len(shares) < 2:
        return len(write_files(staging, convert(resolved, tree).files))
    global _job
    _job = (resolved, tree, convert, staging)
    try:
        with ProcessPoolExecutor(max_workers=len(shares), mp_context=get_context("fork")) as pool:
            return sum(pool.map(_convert_share, shares))
    finally:
        _job = None


def _convert_share(indexes: list[int]) -> int:
    assert _job is not None
    resolved, tree, convert, staging = _job
    part = ResolvedTree(resolved.format, [resolved.components[i] for i in indexes])
    return len(write_files(staging, convert(part, tree).files))


def _shares(resolved: ResolvedTree, tree: FileTree, workers: int) -> list[list[int]]:
    """Components shared out by size; those the converter merges into one file stay in one share."""
    local = getattr(tree, "local_path", None)
    if workers < 2 or local is None:
        return [list(range(len(resolved.components)))]
    sizes = [_size(c, local) for c in resolved.components]
    if sum(sizes) < PARALLEL_FROM_BYTES:
        return [list(range(len(resolved.components)))]
    shares: list[list[int]] = [[] for _ in range(workers)]
    loads = [0] * workers
    merged = [i for i, c in enumerate(resolved.components) if c.type.transformer in ("nonDecomposed", "decomposedLabels")]
    shares[0].extend(merged)
    loads[0] += sum(sizes[i] for i in merged)
    rest = sorted((i for i in range(len(sizes)) if i not in set(merged)), key=lambda i: -sizes[i])
    for i in rest:
        lightest = loads.index(min(loads))
        shares[lightest].append(i)
        loads[lightest] += sizes[i]
    return [sorted(share) for share in shares if share]


def _size(component: Component, local: Callable[[str], Path]) -> int:
    """The work a component costs, roughly: bytes to split or merge count whole, bytes copied as they
    are (by the kernel) a twentieth."""
    size = sum(_file_size(local(p)) for c in (component, *component.children) for p in c.files) + 1
    rewritten = component.type.strategy == "decomposed" or component.type.transformer is not None
    return size if rewritten else size // 20 + 1


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # a broken symbolic link: reading it fails later, with a message naming it
        return 0


def _move_into_place(staging: Path, out_dir: Path) -> None:
    """The staged files into ``out_dir``: one rename when it is new or empty, else file by file."""
    if not out_dir.exists() or (out_dir.is_dir() and not any(out_dir.iterdir())):
        if out_dir.exists():
            out_dir.rmdir()
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(staging, out_dir)
        except OSError:  # another file system mounted between the two: copy across
            shutil.copytree(staging, out_dir)
            return
        staging.mkdir()  # for the caller's cleanup
        return
    for dirpath, _, filenames in os.walk(staging):
        target_dir = out_dir / Path(dirpath).relative_to(staging)
        target_dir.mkdir(parents=True, exist_ok=True)
        for name in filenames:
            os.replace(Path(dirpath) / name, target_dir / name)
