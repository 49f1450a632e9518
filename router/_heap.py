"""Keeping glibc's heap small: freed heap handed back to the OS, between and after index
builds, and one malloc arena for every thread."""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import Any

#: glibc's ``mallopt`` parameter for the most arenas malloc may make (malloc.h).
_M_ARENA_MAX = -8


def release_free_heap() -> None:
    """Hand the heap a build freed back to the OS (glibc keeps it: 116 MB after a 20 MB build).

    Best effort, Linux with glibc only; elsewhere (or without ``malloc_trim``) nothing happens.
    """
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


@lru_cache(maxsize=1)
def one_arena() -> bool:
    """From now on, threads this process starts allocate from the arenas it has, not from new
    ones of their own (glibc makes one per thread, up to eight per core, and keeps what they
    freed: the two threads that set up a 20 MB index's arrays left 10 MB behind, past the
    300 MB the process may hold). Process-wide and for good; threads that allocate under the
    GIL, as this service's do, lose nothing by sharing. Best effort, as above: whether the
    limit was set."""
    libc = _libc()
    return libc is not None and libc.mallopt(_M_ARENA_MAX, 1) == 1


@lru_cache(maxsize=1)
def _libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    # musl, or another libc without them: nothing to call
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
