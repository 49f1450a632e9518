"""Part of a large index build in a forked process, on the machine's other core.

Parsing, counting and analyzing pages is Python work that one core does one page at a time;
a first build of a 20 MB index spent seconds on it. :class:`Apart` forks the process, lets the
child compute a share of the pages (everything it needs is already in memory: the parsed
pages, the loaded tokenizer) and send back what it made, one pickled item at a time, while
the parent does the rest.

The child is a helper, never a dependency: when it cannot be started, fails, dies or sends
a short stream, :meth:`Apart.results` says so (None) and the caller computes that share
itself. Forking is only safe in a process with one thread (a lock another thread held at the
fork would stay locked in the child), so :func:`can_fork` asks for exactly that, on Linux,
with a second core to run on; a server's builds (on its refresher thread) stay in-process.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

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
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: compute, send, and leave without running any cleanup
            code = 1
            try:
                os.close(read)
                items = list(work())
                with os.fdopen(write, "wb") as out:
                    for item in items:
                        pickle.dump(item, out, protocol=pickle.HIGHEST_PROTOCOL)
                    pickle.dump((_END, len(items)), out, protocol=pickle.HIGHEST_PROTOCOL)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self._pid = pid
        self._read: BinaryIO | None = os.fdopen(read, "rb")

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
                    item = pickle.load(read)  # noqa: S301 - our own child, over a pipe
                    if isinstance(item, tuple) and len(item) == 2 and item[0] == _END:
                        complete = item[1] == len(items)
                        break
                    items.append(item)
        except (EOFError, pickle.UnpicklingError, OSError):
            complete = False
        finally:
            ok = self._wait() == 0
        return items if complete and ok else None

    def close(self) -> None:
        """Stop waiting for the child (if :meth:`results` was not called) and reap it."""
        read, self._read = self._read, None
        if read is not None:
            read.close()  # the child's writes now fail: it exits
            self._wait()

    def _wait(self) -> int:
        _, status = os.waitpid(self._pid, 0)
        return os.waitstatus_to_exitcode(status)
