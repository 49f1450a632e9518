"""A build's helper process: what it sends back, how its failures are noticed, and that a
snapshot built with one is the snapshot built without."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import router.snapshot
from router._apart import Apart, can_fork
from router.model import COMPRESS_THREAD
from router.snapshot import IndexSnapshot, SnapshotCache, SnapshotOptions
from shards import LocalFolderStore, TiktokenCounter, parse_page, render_page
from tests.router.helpers import assert_same_snapshot, build_store

ROOT = Path(__file__).resolve().parents[2]


def test_a_helper_process_sends_back_what_it_computed() -> None:
    apart = Apart(lambda: [(n, "x" * n, np.arange(n)) for n in range(5)])
    items = apart.results()
    assert items is not None
    assert [(n, s) for n, s, _ in items] == [(n, "x" * n) for n in range(5)]
    assert [a.tolist() for _, _, a in items] == [list(range(n)) for n in range(5)]


def test_a_helper_that_raises_sends_nothing_usable() -> None:
    def work() -> list[int]:
        raise RuntimeError("boom")

    assert Apart(work).results() is None


def test_a_helper_whose_stream_breaks_off_is_noticed() -> None:
    # The third item cannot be pickled: two items arrive, then the child exits in error.
    assert Apart(lambda: [1, 2, lambda: 3, 4]).results() is None


def test_a_helper_that_dies_is_noticed() -> None:
    def work() -> list[int]:
        os.kill(os.getpid(), signal.SIGKILL)
        return [1]

    assert Apart(work).results() is None


def test_a_helper_that_fails_says_nothing_on_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    def work() -> list[int]:
        raise RuntimeError("boom")

    assert Apart(work).results() is None
    assert capfd.readouterr().err == ""  # (the build says it indexed the share itself)


def test_a_helper_that_cannot_start_gives_no_results(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise BlockingIOError("Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    apart = Apart(lambda: [1])
    assert apart.results() is None
    apart.close()


#: In a fresh interpreter whose output is a pipe (so print buffers): an exit handler that
#: prints, a line printed before the fork and not flushed, a helper, then the results.
_EXIT_PROBE = """
import atexit, os
from router._apart import Apart
parent = os.getpid()
where = lambda: "parent" if os.getpid() == parent else "child"
atexit.register(lambda: print("exit handler ran in", where()))
print("before the fork")
print(Apart(lambda: [1, 2]).results())
"""


def test_a_helper_runs_no_exit_handler_and_repeats_no_buffered_output() -> None:
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    out = subprocess.run(
        [sys.executable, "-c", _EXIT_PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=buffered,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["before the fork", "[1, 2]", "exit handler ran in parent"]


def test_results_can_be_asked_once_and_close_reaps_an_unread_helper() -> None:
    apart = Apart(lambda: [1])
    assert apart.results() == [1]
    assert apart.results() is None
    unread = Apart(lambda: list(range(100_000)))  # more than a pipe holds
    unread.close()
    unread.close()


def test_no_fork_while_another_thread_runs_unless_it_is_named_idle() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="quiet-helper_0")
    other.start()
    try:
        assert not can_fork()
        assert not can_fork(idle="busy")
        if can_fork(idle="quiet"):  # a machine with two cores
            assert not can_fork(idle="quiet-helper_1")
    finally:
        stop.set()
        other.join()


# -- a snapshot built with a helper ---------------------------------------------------------


def _build(folder: Path, tokenizer: TiktokenCounter, apart_chars: int) -> IndexSnapshot:
    options = SnapshotOptions(apart_chars=apart_chars)
    return SnapshotCache(LocalFolderStore(folder), tokenizer, options=options).get()


def _workspace(folder: Path, tokenizer: TiktokenCounter) -> Path:
    """The test index with one page edited since its sync (so it is flagged stale)."""
    store = build_store(folder, tokenizer)
    last = sorted(ref.id for ref in store.list_pages() if ref.id != "router")[-1]
    page = parse_page(store.read(last).text, page_id=last)
    assert page.header is not None
    store.write(last, render_page(page.header, page.body + "\n\nEdited by hand since."))
    return folder


def scenario(name: str, folder: str) -> None:
    """One build scenario, run in a fresh interpreter: a test process has threads left by
    other tests, and a process with threads never forks a helper (see can_fork)."""
    if not can_fork(idle=COMPRESS_THREAD):
        print(json.dumps("skip"))
        return
    tokenizer = TiktokenCounter()
    workspace = _workspace(Path(folder), tokenizer)
    started: list[Apart] = []

    class Spy(Apart):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            started.append(self)

    router.snapshot.Apart = Spy  # type: ignore[attr-defined]
    forks: list[int] = []
    if name in ("same", "failed", "batches"):
        alone = _build(workspace, tokenizer, apart_chars=0)
        forks.append(len(started))
        if name == "batches":  # every shard analyzed on its own, here and in the helper
            router.snapshot._ANALYZE_CHARS = 1
        if name == "failed":

            def broken(*args: object) -> list[object]:
                raise RuntimeError("the helper crashed")

            SnapshotCache._index_apart = broken  # type: ignore[method-assign,assignment]
        helped = _build(workspace, tokenizer, apart_chars=1)
        forks.append(len(started))
        assert any(s.stale for s in helped.shards)
        assert_same_snapshot(helped, alone)
    elif name == "raised":  # this process's own share fails: the helper is reaped all the same

        def fails(*args: object) -> None:
            raise RuntimeError("this process's share failed")

        SnapshotCache._index_pending = fails  # type: ignore[method-assign,assignment]
        try:
            _build(workspace, tokenizer, apart_chars=1)
        except RuntimeError:
            forks.append(len(started))
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:  # no child left, running or unreaped
            forks.append(0)
        else:
            forks.append(-1)
    else:  # "small": too small for a helper, then a rebuild of one changed page
        _build(workspace, tokenizer, apart_chars=10_000_000)
        forks.append(len(started))
        cache = SnapshotCache(
            LocalFolderStore(workspace), tokenizer, options=SnapshotOptions(apart_chars=1)
        )
        cache.get()
        forks.append(len(started))
        page = workspace / "finance.md"
        page.write_text(page.read_text() + "\nOne more line.\n")
        cache.refresh()  # a rebuild re-indexes the changed page only: no helper for that
        forks.append(len(started))
    print(json.dumps(forks))


def _forks_in(name: str, folder: Path) -> list[int]:
    code = f"from tests.router.test_apart import scenario; scenario({name!r}, {str(folder)!r})"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=100
    )
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout.strip().splitlines()[-1])
    if found == "skip":
        pytest.skip("a helper process needs Linux and two cores")
    return list(found)


def test_a_build_with_a_helper_process_is_the_build_without(tmp_path: Path) -> None:
    # (the helper is forked once, by the second build: the first has apart_chars=0)
    assert _forks_in("same", tmp_path) == [0, 1]


def test_a_build_is_the_same_whatever_its_batches_of_analysis(tmp_path: Path) -> None:
    assert _forks_in("batches", tmp_path) == [0, 1]


def test_a_helper_that_fails_leaves_its_pages_to_the_build(tmp_path: Path) -> None:
    assert _forks_in("failed", tmp_path) == [0, 1]


def test_a_build_that_fails_here_still_reaps_its_helper(tmp_path: Path) -> None:
    assert _forks_in("raised", tmp_path) == [1, 0]


def test_a_small_or_cached_build_stays_in_process(tmp_path: Path) -> None:
    assert _forks_in("small", tmp_path) == [0, 1, 1]
