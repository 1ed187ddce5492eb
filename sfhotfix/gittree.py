"""A git revision as a tree of files, read from git's object database.

A hotfix compares a sandbox retrieve with what production's branch holds, and the branch that matters is
rarely the one checked out, so a revision is read without a checkout: nothing here touches the working
tree, the index or ``HEAD``, and every command runs with ``GIT_OPTIONAL_LOCKS=0`` so that reading never
takes a lock another git command could trip over.

Speed on large projects (tens of thousands of files) comes from running few processes: one
``git rev-parse`` resolves the revision and finds the repository, one ``git ls-tree -r -z`` lists every
blob with its object id, and one long-lived ``git cat-file --batch`` serves every read, many at a time
through :meth:`GitTree.read_many`.  Paths come from ``-z`` output, which git never quotes, so
``core.quotepath`` does not matter here; they are decoded as UTF-8 with ``surrogateescape`` so that a
name that is not UTF-8 still round-trips to the same blob.

Needs git 2.30 or later (``rev-parse --end-of-options``).
"""

from __future__ import annotations

import os
import subprocess
import threading
import weakref
from bisect import bisect_left
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from .errors import UsageError

SPEC_PREFIX = "git:"

# What ``git rev-parse --local-env-vars`` lists (git 2.39): variables that point git at another repository,
# object store or index.  Git hooks set some of them (GIT_DIR, GIT_INDEX_FILE); inherited, they would make
# every command below read that repository instead of the one asked for.
REPOSITORY_ENV_VARS = frozenset(
    {
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_CONFIG",
        "GIT_CONFIG_COUNT",
        "GIT_CONFIG_PARAMETERS",
        "GIT_DIR",
        "GIT_GRAFT_FILE",
        "GIT_IMPLICIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_INTERNAL_SUPER_PREFIX",
        "GIT_NO_REPLACE_OBJECTS",
        "GIT_OBJECT_DIRECTORY",
        "GIT_PREFIX",
        "GIT_REPLACE_REF_BASE",
        "GIT_SHALLOW_FILE",
        "GIT_WORK_TREE",
    }
)

SYMLINK_MODE = "120000"
_REGULAR_ENTRY_STARTS = ("100644 blob ", "100755 blob ")
_REGULAR_ENTRY_LENGTH = len("100644 blob ") + 40 + 1  # mode, type, object id and the tab before the path
_BISECTED_LOOKUPS = 4096


def parse_git_spec(spec: str) -> tuple[str, str | None]:
    """``git:REF`` or ``git:REF:PATH`` as ``(REF, PATH or None)``.

    The path starts after the first ``:`` that follows the revision, as in git's own ``REF:PATH``, because a
    revision can hold ``/`` and ``~`` (``origin/main``, ``HEAD~1``) but a branch or tag name cannot hold
    ``:`` (``git check-ref-format`` forbids it).  A ``:`` inside ``@{...}`` belongs to the revision, as git
    reads it, so a reflog date such as ``main@{2024-05-01 10:00}`` keeps its time.  An empty path
    (``git:main:``) means the whole tree.  Git's ``:/text`` commit search cannot be written here: its leading
    ``:`` would leave the revision empty.
    """
    if not spec.startswith(SPEC_PREFIX):
        raise UsageError(f"{spec}: not a git revision (write git:REF or git:REF:PATH)")
    rest = spec[len(SPEC_PREFIX) :]
    depth = 0
    cut = len(rest)
    for index, char in enumerate(rest):
        if char == "{":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        elif char == ":" and not depth:
            cut = index
            break
    ref, path = rest[:cut], rest[cut + 1 :]
    if not ref:
        raise UsageError(f"{spec}: no revision after 'git:' (write git:REF or git:REF:PATH)")
    return ref, path or None


def _git_env() -> dict[str, str]:
    """The caller's environment, made safe for reading one named repository.

    ``GIT_LITERAL_PATHSPECS`` keeps a folder named ``*`` or ``:(glob)x`` from being read as a pattern;
    ``LC_ALL=C`` keeps git's messages in English so that "not a git repository" can be recognised;
    ``GIT_TERMINAL_PROMPT=0`` keeps a partial clone fetching a missing blob from waiting on a password.
    """
    env = {name: value for name, value in os.environ.items() if name not in REPOSITORY_ENV_VARS}
    env.update(GIT_OPTIONAL_LOCKS="0", GIT_LITERAL_PATHSPECS="1", GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    return env


def _first_line(stderr: bytes) -> str:
    """Git's message, cut to one line for a one-line error."""
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[0].removeprefix("fatal: ") if lines else "no message"


def _stop(process: subprocess.Popen[bytes]) -> bytes:
    """End a ``git cat-file --batch`` and return what it wrote to stderr.

    Its output is closed first: a git blocked writing an answer then dies of the broken pipe, which in turn
    frees a writer thread blocked sending requests, so closing its input cannot wait forever.  An idle git
    exits when its input closes; one that does not is killed.
    """
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    for stream in (process.stdout, process.stdin):
        try:
            stream.close()
        except OSError:
            pass  # a pipe broken because git already exited: nothing left to send
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    with process.stderr:
        return process.stderr.read()


def _write_all(stream: IO[bytes], data: bytes) -> None:
    """Send batched requests from a thread, so git never blocks writing answers that nobody reads."""
    try:
        stream.write(data)
        stream.flush()
    except (BrokenPipeError, ValueError):
        pass  # git stopped or the reader was closed; the reading side reports why


class GitTree:
    """The files of one commit of a repository (optionally below a folder), read without a checkout.

    ``repo`` may be the top of a work tree, a folder inside one, or a bare repository: git finds the
    repository as it always does.  ``subpath`` is relative to the top of the repository, as in git's
    ``REF:PATH``, whatever folder ``repo`` names.

    Symbolic links are not files here: a checkout would make them links, while git stores only the link's
    target text, which no metadata parser should be given.  They are left out of :meth:`files` and listed,
    relative like it, in :attr:`symlinks` so a caller can warn about them.  Submodules are commits of other
    repositories, not blobs, and are left out too.  Content is what git stores, as ``git cat-file`` shows
    it: no end-of-line conversion, ``.gitattributes`` filter or Git LFS smudge is applied (a checkout would
    apply them), so a file kept in LFS reads as its pointer text.

    Reads go through one ``git cat-file --batch`` started at the first read and kept until :meth:`close`,
    the end of a ``with`` block, garbage collection or interpreter exit; a read after :meth:`close` starts a
    new one.
    """

    def __init__(self, repo: Path, ref: str, subpath: str | None = None):
        self.repo = Path(repo)
        self.ref = ref
        self._env = _git_env()
        if not self.repo.is_dir():
            raise UsageError(f"{repo}: no such folder")
        parts = [part for part in (subpath or "").split("/") if part not in ("", ".")]
        self.subpath = "/".join(parts) or None
        self.label = f"git:{ref}" + (f":{self.subpath}" if self.subpath else "")
        self._git_dir, self.commit = self._resolve()
        if ".." in parts:  # git never stores such a name, and git would refuse it as leaving the repository
            raise self._no_subpath()
        self._files, self._records, self._id_slice, self.symlinks = self._list()
        self._ids: dict[str, str] | None = None  # path → object id, built once many are asked for
        self._looked_up = 0
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize | None = None

    def _resolve(self) -> tuple[str, str]:
        """The repository's git folder and the full commit id; one process answers both."""
        revision = f"{self.ref}^{{commit}}"  # a tag peeled to its commit; a tree or blob is refused
        result = subprocess.run(
            ["git", "rev-parse", "--absolute-git-dir", "--verify", "--quiet", "--end-of-options", revision],
            cwd=self.repo,
            env=self._env,
            capture_output=True,
            check=False,
        )
        if result.returncode == 128:
            message = _first_line(result.stderr)
            if "not a git repository" in message:
                raise UsageError(f"{self.repo}: not a git repository")
            raise UsageError(f"{self.repo}: git cannot read this repository: {message}")
        lines = result.stdout.decode("utf-8", "surrogateescape").splitlines()
        if result.returncode != 0 or len(lines) != 2:
            raise UsageError(f"git:{self.ref}: unknown revision in {self.repo}")
        return lines[0], lines[1]

    def _git(self, *args: str) -> bytes:
        """Run one git command on the repository, failing with git's own message."""
        result = subprocess.run(
            ["git", f"--git-dir={self._git_dir}", *args], env=self._env, capture_output=True, check=False
        )
        if result.returncode != 0:
            raise UsageError(f"{self.label}: git {args[0]} failed in {self.repo}: {_first_line(result.stderr)}")
        return result.stdout

    def _no_subpath(self) -> UsageError:
        return UsageError(f"git:{self.ref}: no folder '{self.subpath}' in that revision of {self.repo}")

    def _list(self) -> tuple[list[str], list[str], slice, list[str]]:
        """Every blob below the subpath, sorted, with where its object id is, and the symbolic links left out.

        Returns the paths, a record per path holding its object id at ``id_slice`` (the listing's own entry,
        so that no id is copied out unless asked for), and the symbolic links.
        """
        pathspec = ["--", self.subpath] if self.subpath else []
        output = self._git("ls-tree", "-r", "-z", "--full-tree", self.commit, *pathspec)
        prefix = (self.subpath + "/") if self.subpath else ""
        # One decode and one split for the whole listing, then slices: a 45,000-file listing costs a few
        # milliseconds this way, where splitting each entry's fields costs tens. A regular file's entry is
        # "100644 blob <40 hex digits>\t<path>" (or 100755); any other listing is read field by field.
        entries = output.decode("utf-8", "surrogateescape").split("\0")
        entries.pop()  # after the last NUL
        start = _REGULAR_ENTRY_LENGTH + len(prefix)
        regular = [entry for entry in entries
                   if entry.startswith(_REGULAR_ENTRY_STARTS) and entry[52] == "\t" and entry.startswith(prefix, 53)]
        if len(regular) == len(entries):
            paths, records, id_slice, symlinks = [entry[start:] for entry in regular], regular, slice(12, 52), []
        else:
            paths, records, id_slice, symlinks = self._list_each(entries, prefix)
        if self.subpath and not paths and not symlinks:
            raise self._no_subpath()
        if paths != sorted(paths):  # git sorts by bytes: a name that is not UTF-8 may sort otherwise here
            order = sorted(range(len(paths)), key=paths.__getitem__)
            paths, records = [paths[i] for i in order], [records[i] for i in order]
        return paths, records, id_slice, sorted(symlinks)

    def _list_each(self, entries: list[str], prefix: str) -> tuple[list[str], list[str], slice, list[str]]:
        """The listing read entry by entry: submodules, symbolic links, other object id lengths."""
        paths: list[str] = []
        oids: list[str] = []
        symlinks: list[str] = []
        for entry in entries:
            meta, _, path = entry.partition("\t")
            mode, kind, oid = meta.split(" ")
            if not path.startswith(prefix):  # the pathspec matched the subpath itself: not a folder
                what = "a submodule" if kind != "blob" else "a symbolic link" if mode == SYMLINK_MODE else "a file"
                raise UsageError(f"git:{self.ref}: '{self.subpath}' is {what}, not a folder, in {self.repo}")
            if kind != "blob":
                continue  # a submodule: a commit of another repository, with no content here
            (symlinks if mode == SYMLINK_MODE else paths).append(path[len(prefix):])
            if mode != SYMLINK_MODE:
                oids.append(oid)
        return paths, oids, slice(None), symlinks

    def files(self) -> list[str]:
        """Paths of the blobs below the subpath, relative to it and sorted."""
        return list(self._files)

    def holds(self, path: str) -> bool:
        """Whether ``path`` is one of :meth:`files`, without copying them."""
        index = bisect_left(self._files, path)
        return index < len(self._files) and self._files[index] == path

    def read(self, path: str) -> bytes:
        """One file's content as git stores it."""
        oid = self._oid(path)
        with self._lock:
            process = self._reader()
            try:
                assert process.stdin is not None
                try:
                    process.stdin.write(oid.encode("ascii") + b"\n")
                    process.stdin.flush()
                except BrokenPipeError:
                    raise self._reader_failed(path) from None
                return self._receive(process, path, oid)
            except BaseException:
                self._close_reader()  # the answers may be out of step with the requests now; start afresh
                raise

    def read_many(self, paths: Iterable[str]) -> dict[str, bytes]:
        """The content of many files, by path in the order given, through one stream of requests.

        All requests are written by a thread while this one reads the answers: written first, they
        would fill the pipe to git while git waits for its answers to be read.
        """
        paths = list(paths)
        oids = [self._oid(path) for path in paths]
        if not oids:
            return {}
        requests = b"".join(oid.encode("ascii") + b"\n" for oid in oids)
        with self._lock:
            process = self._reader()
            assert process.stdin is not None
            writer = threading.Thread(target=_write_all, args=(process.stdin, requests), daemon=True)
            writer.start()
            try:
                return {path: self._receive(process, path, oid) for path, oid in zip(paths, oids)}
            except BaseException:
                self._close_reader()  # unblocks the writer: its pipe breaks
                raise
            finally:
                writer.join()

    def fingerprint(self, path: str) -> str:
        """The blob id git already knows: equal ids mean equal bytes, without reading either."""
        return self._oid(path)

    def _oid(self, path: str) -> str:
        """A path's object id: by bisection in the sorted listing for the first few thousand asked (a comparison
        of two revisions asks for a few hundred), then from a dictionary built once."""
        if self._ids is None:
            self._looked_up += 1
            if self._looked_up <= _BISECTED_LOOKUPS:
                index = bisect_left(self._files, path)
                if index < len(self._files) and self._files[index] == path:
                    return self._records[index][self._id_slice]
                raise UsageError(f"{self.label}: no file '{path}' in {self.repo}")
            self._ids = dict(zip(self._files, (record[self._id_slice] for record in self._records)))
        try:
            return self._ids[path]
        except KeyError:
            raise UsageError(f"{self.label}: no file '{path}' in {self.repo}") from None

    def _reader(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            self._process = subprocess.Popen(
                ["git", f"--git-dir={self._git_dir}", "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self._env,
            )
            self._finalizer = weakref.finalize(self, _stop, self._process)
        return self._process

    def _receive(self, process: subprocess.Popen[bytes], path: str, oid: str) -> bytes:
        """One answer of ``cat-file --batch``: ``<oid> blob <size>``, the content, then a newline."""
        assert process.stdout is not None
        header = process.stdout.readline().split()
        if header[1:] == [b"missing"]:
            raise UsageError(f"{self.label}: '{path}' (blob {oid}) is missing from {self.repo}")
        if len(header) != 3 or header[0] != oid.encode("ascii") or header[1] != b"blob" or not header[2].isdigit():
            raise self._reader_failed(path)
        size = int(header[2])
        data = process.stdout.read(size)
        if len(data) != size or process.stdout.read(1) != b"\n":
            raise self._reader_failed(path)
        return data

    def _reader_failed(self, path: str) -> UsageError:
        """Why ``cat-file`` stopped answering, in its own words, read once it has ended."""
        message = _first_line(self._close_reader())
        return UsageError(f"{self.label}: git cat-file stopped while reading '{path}' in {self.repo}: {message}")

    def _close_reader(self) -> bytes:
        """End the reader if one runs, returning its stderr (nothing when none ran)."""
        stderr = self._finalizer() if self._finalizer is not None else None
        self._process = None
        self._finalizer = None
        return stderr or b""

    def forget_reader(self) -> None:
        """In a forked child: leave the parent's ``git cat-file`` to the parent (a read here starts another)."""
        if self._finalizer is not None:
            self._finalizer.detach()
        self._process = None
        self._finalizer = None

    def close(self) -> None:
        """End the ``git cat-file`` process; the listing stays usable and a later read starts a new one."""
        with self._lock:
            self._close_reader()

    def __enter__(self) -> GitTree:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
