"""The glibc heap calls behind a build's memory figures (Linux with glibc only)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="malloc_trim and mallopt are glibc's"
)

#: A fresh interpreter (the limit is process-wide and for good) starts a thread that
#: allocates, then prints glibc's malloc_info: one ``<heap nr=…>`` per arena.
_ARENAS = """
import ctypes, os, sys, threading
from router._heap import one_arena, release_free_heap
if sys.argv[1] == "one":
    assert one_arena() is True and one_arena() is True
    assert one_arena.cache_info().misses == 1
def work():
    kept = [bytearray(50_000) for _ in range(20)]
thread = threading.Thread(target=work)
thread.start()
thread.join()
release_free_heap()
libc = ctypes.CDLL("libc.so.6")
libc.fdopen.restype = ctypes.c_void_p
out = ctypes.c_void_p(libc.fdopen(os.dup(1), b"w"))
libc.malloc_info(0, out)
libc.fflush(out)
"""


def _arenas(mode: str) -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", _ARENAS, mode], capture_output=True, text=True, env=env, check=False
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.count("<heap nr=")


def test_after_one_arena_a_new_thread_allocates_from_the_main_arena() -> None:
    assert _arenas("default") == 2  # glibc's way: the thread got an arena of its own
    assert _arenas("one") == 1
