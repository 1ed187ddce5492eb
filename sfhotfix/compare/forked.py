"""Run one piece of CPU-bound Python on the machine's other core, in a forked child process.

Comparing two revisions has two independent halves of pure Python (the changed units' rows, and the count of
the children inside untouched files): threads would take turns on the interpreter lock, a forked child does
not. The child starts with a copy of everything computed so far, so nothing is sent to it; only its result
comes back, pickled, through a pipe. Where there is no fork (Windows), the work runs in this process when
its result is asked for.
"""

from __future__ import annotations

import os
import pickle
from typing import Callable, Generic, Iterable, TypeVar

T = TypeVar("T")


class Forked(Generic[T]):
    """``work()`` started in a child process; :meth:`result` waits for it and returns (or raises) what it did.

    ``in_child`` runs first in the child: to drop what must not be shared with the parent (a git process
    both would talk to). The child leaves with ``os._exit``: no exit handler or buffered output of the
    parent runs or is written twice.
    """

    def __init__(self, work: Callable[[], T], in_child: Iterable[Callable[[], None]] = ()):
        self._work = work
        self._pid: int | None = None
        if not hasattr(os, "fork"):
            return
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read_end)
            try:
                for prepare in in_child:
                    prepare()
                payload = pickle.dumps((True, work()), pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:  # noqa: BLE001 - raised again in the parent
                try:
                    payload = pickle.dumps((False, exc), pickle.HIGHEST_PROTOCOL)
                except Exception:  # noqa: BLE001 - an exception that does not pickle: its words
                    payload = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
            os._exit(0)
        os.close(write_end)
        self._pid, self._read_end = pid, read_end

    def abandon(self) -> None:
        """Wait for the child without its result (the parent failed first): no process is left behind."""
        if self._pid is not None:
            with os.fdopen(self._read_end, "rb") as pipe:
                pipe.read()
            os.waitpid(self._pid, 0)
            self._pid = None

    def result(self) -> T:
        if self._pid is None:
            return self._work()
        with os.fdopen(self._read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        if not data:
            raise RuntimeError(f"the comparison's child process ended without an answer (status {status})")
        done, value = pickle.loads(data)
        if not done:
            raise value
        return value
