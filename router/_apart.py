"""Part of a large index build in a forked process, on the machine's other core.

Parsing, counting and analyzing pages is Python work that one core does one page at a time;
a first build of a 20 MB index spent seconds on it. :class:`Apart` forks the process (the
standard library's :mod:`multiprocessing`, with its "fork" start method), lets the child
compute a share of the pages (everything it needs is already in memory: the parsed pages,
the loaded tokenizer) and send back what it made, one pickled item at a time, while the
parent does the rest.

The child is a helper, never a dependency: when it cannot be started, fails, dies or sends
a short stream, :meth:`Apart.results` says so (None) and the caller computes that share
itself. Forking is only safe in a process with one thread (a lock another thread held at the
fork would stay locked in the child), so :func:`can_fork` asks for exactly that, on Linux,
with a second core to run on; a server's builds (on its refresher thread) stay in-process.

The child leaves through ``os._exit`` (multiprocessing's fork start method ends every child
so): it runs none of the parent's ``atexit`` handlers and flushes none of its buffered files.
``multiprocessing`` itself is imported only when a helper is started: ``brain context``,
which never starts one, does not pay for it.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

__all__ = ["Apart", "can_fork"]

#: Marks the end of a child's stream, with how many items came before it.
_END = "end of the items"


def can_fork(idle: str = "") -> bool:
    """Whether a helper process may be forked here: Linux, at least two cores this process
    may run on, and no thread but this one, or threads named ``idle…``, which the caller
    knows to hold no lock while it forks."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    try:
        cores = len(os.sched_getaffinity(0))
    except OSError:  # pragma: no cover - no affinity to ask
        cores = os.cpu_count() or 1
    me = threading.current_thread()
    others = [t for t in threading.enumerate() if t is not me]
    return cores >= 2 and all(idle and t.name.startswith(idle) for t in others)


class Apart:
    """``work()`` computed in a forked child; its items come back through a pipe.

    The child computes every item before it sends one (the parent reads only once its own
    share is done: a child writing as it goes would wait on a full pipe meanwhile).
    """

    def __init__(self, work: Callable[[], Iterable[Any]]) -> None:
        import multiprocessing  # here, not above: see the module docstring

        self._process: BaseProcess | None = None
        self._read: Connection | None = None
        fork = multiprocessing.get_context("fork")
        try:
            read, write = fork.Pipe(duplex=False)
        except OSError:  # no file descriptors left: no helper, results() says None
            return
        # The target is not pickled (the fork start method copies the whole process), so a
        # closure will do. daemon: should this process exit without reaping the child,
        # multiprocessing's exit handler ends it rather than waiting on it.
        process = fork.Process(
            target=_send, args=(work, read, write), name="index-apart", daemon=True
        )
        try:
            process.start()
        except (OSError, AssertionError):
            # No fork (no memory or processes left), or multiprocessing refused one (it asserts
            # that a daemonic process starts no children): no helper, results() says None.
            read.close()
            return
        finally:
            write.close()  # the child holds the only writing end: its exit is our end of file
        self._process = process
        self._read = read

    def results(self) -> list[Any] | None:
        """The child's items, in order; None when it did not send them all."""
        read, self._read = self._read, None
        if read is None:
            return None
        items: list[Any] = []
        complete = False
        try:
            with read:
                while True:
                    item = pickle.loads(read.recv_bytes())  # noqa: S301 - our own child
                    if isinstance(item, tuple) and len(item) == 2 and item[0] == _END:
                        complete = item[1] == len(items)
                        break
                    items.append(item)
        except (EOFError, pickle.UnpicklingError, OSError):  # (OSError: a message cut short)
            complete = False
        finally:
            ok = self._reap() == 0
        return items if complete and ok else None

    def close(self) -> None:
        """Stop waiting for the child (if :meth:`results` was not called) and reap it."""
        read, self._read = self._read, None
        if read is not None:
            read.close()  # the child's writes now fail: it exits
            self._reap()

    def _reap(self) -> int | None:
        """Wait for the child to exit and return its exit code (minus a signal's number)."""
        process, self._process = self._process, None
        if process is None:
            return None
        process.join()
        code = process.exitcode
        process.close()
        return code


def _send(work: Callable[[], Iterable[Any]], read: Connection, write: Connection) -> None:
    """The child: compute every item, then send each one and the end of the stream.

    Any failure ends the child with exit code 1 and nothing on stderr (multiprocessing would
    print the traceback of an exception; the parent computes the share itself and says so).
    """
    try:
        read.close()  # the parent's end, copied by the fork
        items = list(work())
        for item in items:
            write.send_bytes(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))
        end = (_END, len(items))
        write.send_bytes(pickle.dumps(end, protocol=pickle.HIGHEST_PROTOCOL))
        write.close()
    except BaseException:
        raise SystemExit(1) from None
