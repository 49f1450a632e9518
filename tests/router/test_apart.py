"""A build's helper process: what it sends back, how its failures are noticed, and that a
snapshot built with one is the snapshot built without."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import router.snapshot
from router._apart import Apart, can_fork
from router.model import COMPRESS_THREAD
from router.select import BM25Index
from router.snapshot import IndexSnapshot, SnapshotCache, SnapshotOptions
from shards import LocalFolderStore, TiktokenCounter, parse_page, render_page
from tests.router.helpers import build_store


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


def _index_arrays(index: BM25Index) -> Iterator[list[float]]:
    for name in ("_docs", "_weights", "_indptr", "_idf", "_df"):
        yield getattr(index, name).tolist()


def _assert_same(ours: IndexSnapshot, theirs: IndexSnapshot) -> None:
    assert ours.shards == theirs.shards
    assert ours.stale == theirs.stale
    assert ours.invalid == theirs.invalid
    a, b = ours.lexicon, theirs.lexicon
    assert list(a.vocab.items()) == list(b.vocab.items())  # the same ids, in the same order
    for name in ("sections", "headings", "passages", "shards"):
        assert list(_index_arrays(getattr(a, name))) == list(_index_arrays(getattr(b, name)))
    assert a.section_key == b.section_key
    for name in (
        "section_shard",
        "section_passages",
        "passage_section",
        "passage_index",
        "passage_ptr",
        "passage_terms",
    ):
        assert getattr(a, name).tolist() == getattr(b, name).tolist()


@pytest.fixture
def workspace(tmp_path: Path, tokenizer: TiktokenCounter) -> Path:
    """The test index with one page edited since its sync (so it is flagged stale)."""
    store = build_store(tmp_path, tokenizer)
    last = sorted(ref.id for ref in store.list_pages() if ref.id != "router")[-1]
    page = parse_page(store.read(last).text, page_id=last)
    assert page.header is not None
    store.write(last, render_page(page.header, page.body + "\n\nEdited by hand since."))
    return tmp_path


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[Apart]:
    """Every helper the snapshot starts (none where the process may not fork)."""
    if not can_fork(idle=COMPRESS_THREAD):
        pytest.skip("a helper process needs Linux, two cores and a single thread")
    started: list[Apart] = []

    class Spy(Apart):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            started.append(self)

    monkeypatch.setattr(router.snapshot, "Apart", Spy)
    return started


def test_a_build_with_a_helper_process_is_the_build_without(
    workspace: Path, tokenizer: TiktokenCounter, forks: list[Apart]
) -> None:
    alone = _build(workspace, tokenizer, apart_chars=0)
    assert forks == []
    helped = _build(workspace, tokenizer, apart_chars=1)
    assert len(forks) == 1
    assert any(s.stale for s in helped.shards)
    _assert_same(helped, alone)


def test_a_helper_that_fails_leaves_its_pages_to_the_build(
    workspace: Path,
    tokenizer: TiktokenCounter,
    forks: list[Apart],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alone = _build(workspace, tokenizer, apart_chars=0)

    def broken(*args: object) -> list[object]:
        raise RuntimeError("the helper crashed")

    monkeypatch.setattr(SnapshotCache, "_index_apart", broken)
    helped = _build(workspace, tokenizer, apart_chars=1)
    assert len(forks) == 1
    _assert_same(helped, alone)


def test_a_small_or_cached_build_stays_in_process(
    workspace: Path, tokenizer: TiktokenCounter, forks: list[Apart]
) -> None:
    _build(workspace, tokenizer, apart_chars=10_000_000)
    assert forks == []
    cache = SnapshotCache(
        LocalFolderStore(workspace), tokenizer, options=SnapshotOptions(apart_chars=1)
    )
    cache.get()
    assert len(forks) == 1
    (workspace / "finance.md").write_text(
        (workspace / "finance.md").read_text() + "\nOne more line.\n"
    )
    cache.refresh()  # a rebuild re-indexes the changed page only: no helper for that
    assert len(forks) == 1
