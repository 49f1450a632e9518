"""The index snapshot and its cache: what is parsed, when the store is read again, what is flagged.

The workspace (``FIXTURE`` split into shards and synced) comes from ``tests/router/helpers.py``;
the ``store`` and ``tokenizer`` fixtures from ``tests/router/conftest.py``.
"""

from __future__ import annotations

import gc
import importlib
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import router.select
import router.snapshot
from router import SyncOptions, sync
from router.lexicon import build_lexicon
from router.model import body_digest
from router.snapshot import SnapshotCache, SnapshotOptions, _batches
from shards import (
    LocalFolderStore,
    PageRef,
    StoredPage,
    StoreUnavailable,
    TiktokenCounter,
    TokenOptions,
    parse_page,
)
from tests.router.helpers import (
    NOW,
    SHARD_IDS,
    CountingStore,
    FakeClock,
    assert_same_snapshot,
    shard_text,
)


def _cache(
    store: CountingStore, tokenizer: TiktokenCounter, clock: FakeClock, interval: float = 2.0
) -> SnapshotCache:
    return SnapshotCache(
        store, tokenizer, options=SnapshotOptions(check_interval_s=interval), clock=clock
    )


def _edit(store: CountingStore, page_id: str, old: str, new: str) -> None:
    page = store.inner.read(page_id)
    assert old in page.text
    store.inner.write(page_id, page.text.replace(old, new))


# -- what a snapshot holds -------------------------------------------------------------------


def test_the_snapshot_holds_every_shard_sorted_with_sections_tokens_and_urls(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    snap = _cache(store, tokenizer, FakeClock()).get()
    assert snap.ids() == SHARD_IDS
    infra = snap.shard("infrastructure")
    assert infra is not None
    assert infra.url.startswith("file://") and infra.page_id == "infrastructure"
    titles = [s.title for s in infra.sections]
    assert titles == [
        "Infrastructure",
        "Cloud Run Services",
        "DNS and Domains",
        "Static Egress IPs",
    ]
    dns = infra.sections[2]
    assert dns.path == ("Infrastructure", "DNS and Domains")
    assert "# Update a record" in dns.text  # a comment in a fence is not a heading
    assert dns.tokens == tokenizer.count(dns.text)
    assert dns.heading == "### DNS and Domains"
    body = parse_page(store.inner.read("infrastructure").text, page_id="infrastructure").body
    assert infra.tokens == tokenizer.count(body)
    assert infra.body_digest == body_digest(body)
    assert not snap.stale and not snap.invalid


def test_the_digest_names_every_shard_with_its_one_liner(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    snap = _cache(store, tokenizer, FakeClock()).get()
    assert snap.digest.startswith("# Context index: 4 shards")
    for shard in snap.shards:
        assert f"`{shard.id}` {shard.title}" in snap.digest
    assert "How Test Co charges and gets paid." in snap.digest


# -- change detection ------------------------------------------------------------------------


def test_a_warm_get_does_no_io(store: CountingStore, tokenizer: TiktokenCounter) -> None:
    clock = FakeClock()
    cache = _cache(store, tokenizer, clock, interval=60)
    first = cache.get()
    before = store.io
    for _ in range(50):
        clock.now += 1
        assert cache.get() is first
    assert store.io == before


def test_after_the_interval_only_versions_are_listed_when_nothing_changed(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    clock = FakeClock()
    cache = _cache(store, tokenizer, clock, interval=2)
    first = cache.get()
    lists, reads = store.lists, len(store.reads)
    clock.now += 3
    assert cache.get() is first
    assert (store.lists, len(store.reads)) == (lists + 1, reads)


def test_an_interval_of_zero_lists_versions_on_every_call(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    cache = _cache(store, tokenizer, FakeClock(), interval=0)
    cache.get()
    lists, reads = store.lists, len(store.reads)
    cache.get()
    cache.get()
    assert (store.lists, len(store.reads)) == (lists + 2, reads)


def test_an_edited_page_is_the_only_one_read_again(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    clock = FakeClock()
    cache = _cache(store, tokenizer, clock)
    first = cache.get()
    _edit(store, "finance", "payable within 14 days", "payable within 30 days")
    store.reads.clear()
    clock.now += 5
    second = cache.get()
    assert store.reads == ["finance"]
    assert second.generation == first.generation + 1
    finance = second.shard("finance")
    assert finance is not None and "payable within 30 days" in shard_text(finance)
    # Unchanged shards are the very same parsed objects: nothing else was re-parsed.
    assert second.shard("infrastructure") is first.shard("infrastructure")


def test_a_refresh_parses_only_the_pages_that_changed(
    store: CountingStore, tokenizer: TiktokenCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Unchanged shard pages are not even parsed again from the copies the cache keeps (at
    # 20 MB that took 0.6 s and 80 MB on every refresh); their shards and stale flags stay.
    clock = FakeClock()
    cache = _cache(store, tokenizer, clock)
    _edit(store, "credentials", "every 90 days", "every 45 days")  # edited since the sync
    first = cache.get()
    parsed: list[str] = []

    def counting(text: str, *, page_id: str) -> Any:
        parsed.append(page_id)
        return parse_page(text, page_id=page_id)

    # (router.sync is also the name of the package's sync function)
    monkeypatch.setattr(importlib.import_module("router.sync"), "parse_page", counting)
    _edit(store, "finance", "payable within 14 days", "payable within 30 days")
    clock.now += 5
    second = cache.get()
    assert sorted(parsed) == ["finance", "router"]  # the router page is not a shard
    built = _cache(store, tokenizer, FakeClock()).get()  # (its vocabulary's ids differ)
    assert (second.shards, second.stale) == (built.shards, built.stale)
    creds = second.shard("credentials")
    assert creds is first.shard("credentials") and creds is not None
    assert creds.stale and "edited since the last sync" in creds.stale[0]
    assert [e.page_id for e in second.stale] == ["credentials", "finance"]


def test_a_refresh_hands_back_the_heap_after_the_old_snapshot_is_gone(
    store: CountingStore, tokenizer: TiktokenCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    # glibc keeps what a process frees until it is trimmed: a trim while the old snapshot is
    # still held (get() kept it in a local) left a 20 MB index's 76 MB with the process.
    monkeypatch.setattr(gc, "freeze", lambda: None)  # not pytest's own heap
    clock = FakeClock()
    cache = SnapshotCache(
        store,
        tokenizer,
        options=SnapshotOptions(check_interval_s=2.0, freeze_gc=True),
        clock=clock,
    )
    old = weakref.ref(cache.get())
    alive_at_trim: list[bool] = []
    monkeypatch.setattr(
        router.snapshot, "release_free_heap", lambda: alive_at_trim.append(old() is not None)
    )
    _edit(store, "finance", "payable within 14 days", "payable within 30 days")
    clock.now += 5
    new = cache.get()
    assert new.generation == 2 and old() is None
    assert alive_at_trim and alive_at_trim[-1] is False


def test_a_page_edited_since_the_last_sync_is_served_but_flagged_stale(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    _edit(store, "finance", "the 7th", "the 9th")
    snap = _cache(store, tokenizer, FakeClock()).get()
    finance = snap.shard("finance")
    assert finance is not None and "the 9th" in shard_text(finance)
    assert finance.stale and "edited since the last sync" in finance.stale[0]
    assert [(e.page_id, e.shard_id) for e in snap.stale] == [("finance", "finance")]
    sync(store, tokenizer, now=NOW)
    assert not _cache(store, tokenizer, FakeClock()).get().stale


def test_mark_stale_rereads_a_page_whose_version_did_not_move(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    clock = FakeClock()
    cache = _cache(store, tokenizer, clock, interval=60)
    cache.get()
    store.reads.clear()
    cache.mark_stale("credentials")
    cache.get()  # no wait for the interval: a change notice is acted on at once
    assert store.reads == ["credentials"]
    store.reads.clear()
    cache.mark_stale()
    cache.get()
    assert sorted(store.reads) == sorted([*SHARD_IDS, "router"])


def test_a_page_that_cannot_be_read_again_keeps_its_last_good_copy_flagged(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    clock = FakeClock()
    cache = _cache(store, tokenizer, clock)
    cache.get()
    _edit(store, "credentials", "every 90 days", "every 60 days")
    store.fail_read.add("credentials")
    clock.now += 5
    snap = cache.get()
    creds = snap.shard("credentials")
    assert creds is not None and "every 90 days" in shard_text(creds)
    assert any("could not re-read" in r for r in creds.stale)
    store.fail_read.clear()
    clock.now += 5
    healed = cache.get().shard("credentials")
    assert healed is not None and "every 60 days" in shard_text(healed)
    assert not any("could not re-read" in r for r in healed.stale)


def test_a_store_that_cannot_be_listed_serves_the_last_snapshot_flagged_until_it_recovers(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    clock = FakeClock()
    cache = _cache(store, tokenizer, clock)
    good = cache.get()
    store.fail_list = True
    clock.now += 5
    down = cache.get()
    assert down.ids() == good.ids()
    assert all(any("cannot be listed" in r for r in s.stale) for s in down.shards)
    lists = store.lists
    clock.now += 1  # within the interval: no retry on every call while the store is down
    cache.get()
    assert store.lists == lists
    store.fail_list = False
    clock.now += 5
    assert cache.get() is good


def test_a_first_load_from_a_store_that_is_down_raises(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    store.fail_list = True
    with pytest.raises(StoreUnavailable):
        _cache(store, tokenizer, FakeClock()).get()


def test_new_and_deleted_pages_are_picked_up(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    clock = FakeClock()
    cache = _cache(store, tokenizer, clock)
    cache.get()
    text = store.inner.read("finance").text.replace('"id":"finance"', '"id":"billing"')
    store.inner.write("billing", text)
    (store.inner.path / "credentials.md").unlink()
    clock.now += 5
    assert cache.get().ids() == ("billing", "finance", "infrastructure", "procedures")


def test_a_broken_page_is_reported_and_the_rest_is_served(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    store.inner.write("notes", "no header here\n\n## Something\n\ntext")
    snap = _cache(store, tokenizer, FakeClock()).get()
    assert snap.ids() == SHARD_IDS
    assert [i.page_id for i in snap.invalid] == ["notes"]


def test_concurrent_gets_share_one_snapshot(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    cache = _cache(store, tokenizer, FakeClock(), interval=60)
    seen: list[object] = []

    def work() -> None:
        seen.append(cache.get())

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(s) for s in seen}) == 1
    assert store.lists == 1


def test_pages_the_sync_skips_never_cause_a_rebuild(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    clock = FakeClock()
    options = SnapshotOptions(check_interval_s=0, sync=SyncOptions(skip=frozenset({"log"})))
    cache = SnapshotCache(store, tokenizer, options=options, clock=clock)
    store.inner.append("log", ["🔔 first event"])
    first = cache.get()
    store.inner.append("log", ["🔔 second event"])
    assert cache.get() is first
    assert "log" not in store.reads


def test_a_build_analyzes_its_shards_in_order_in_batches_of_enough_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(router.snapshot, "_ANALYZE_CHARS", 10)

    def shard(*texts: str) -> object:
        return SimpleNamespace(sections=[SimpleNamespace(text=t) for t in texts])

    sizes = {"a": ("12345",), "b": ("1234", "5"), "c": ("x" * 30,), "d": ("1",), "e": ("12",)}
    indexed = [(name, shard(*texts)) for name, texts in sizes.items()]
    # A batch closes at the shard that brings it to 10 characters; the rest is the last one.
    assert list(_batches(indexed)) == [["a", "b"], ["c"], ["d", "e"]]  # type: ignore[arg-type]
    assert list(_batches([])) == []


def test_indexes_set_up_on_two_threads_are_the_ones_set_up_on_one(
    store: CountingStore, tokenizer: TiktokenCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = SnapshotCache(store, tokenizer).get()
    placed: list[int] = []

    class Spy(ThreadPoolExecutor):
        def map(self, fn: Any, *iterables: Any, **kwargs: Any) -> Any:
            ranges = list(iterables[0])
            placed.append(len(ranges))
            return super().map(fn, ranges, **kwargs)

    # Many small ranges (a few postings each), every index on two threads.
    monkeypatch.setattr(router.select, "_SETUP_SLICE", 7)
    monkeypatch.setattr(router.select, "_THREADED_POSTINGS", 1)
    monkeypatch.setattr(router.select, "ThreadPoolExecutor", Spy)
    threaded = SnapshotCache(store, tokenizer).get()
    assert len(placed) == 3 and min(placed) > 5  # the three indexes, each in many ranges
    assert_same_snapshot(threaded, serial)
    assert not [t for t in threading.enumerate() if t.name.startswith("bm25-setup")]


def test_a_large_build_counts_with_quicktok_from_its_first_text_and_builds_the_same(
    store: CountingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shards.tokens

    reference = SnapshotCache(store, TiktokenCounter(TokenOptions(engine="tiktoken"))).get()
    slow: list[str] = []
    real = shards.tokens._tiktoken_count

    def watched(text: str) -> int:
        slow.append(text)
        return real(text)

    monkeypatch.setattr(shards.tokens, "_tiktoken_count", watched)
    fast = TiktokenCounter(TokenOptions(fast_after=1_000))  # the fixture is over 1,000 chars
    built = SnapshotCache(store, fast).get()
    assert fast.engine == "quicktok"
    assert slow == []  # the build said what it would count before counting anything
    assert_same_snapshot(built, reference)


def test_a_large_build_lets_the_encoders_go_before_its_indexes_and_keeps_the_fixed_counts(
    store: CountingStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import shards.tokens

    monkeypatch.setattr(gc, "freeze", lambda: None)  # not pytest's own heap
    monkeypatch.setattr(router.snapshot, "_LARGE_CHARS", 1_000)  # the fixture is over that
    counter = TiktokenCounter(TokenOptions(fast_after=1_000))
    loaded_at_indexes: list[bool] = []
    real = build_lexicon

    def watched(*args: Any, **kwargs: Any) -> Any:
        loaded_at_indexes.append(
            shards.tokens.quicktok_count.cache_info().currsize > 0
            or shards.tokens.encoding.cache_info().currsize > 0
        )
        return real(*args, **kwargs)

    monkeypatch.setattr(router.snapshot, "build_lexicon", watched)
    options = SnapshotOptions(freeze_gc=True, persist=tmp_path / "index.bin", workspace="w")
    snap = SnapshotCache(store, counter, options=options).get()
    assert loaded_at_indexes == [False]  # released once counting was over
    reference = SnapshotCache(store, TiktokenCounter(TokenOptions(engine="tiktoken"))).get()
    assert_same_snapshot(snap, reference)
    # The fixed texts were counted before the release: the snapshot reads them, and so does
    # the saved index (a new process counts its answers without encoding them).
    assert snap.seeds and snap.seeds == reference.fixed_raws(TiktokenCounter())
    resumed = SnapshotCache(store, TiktokenCounter(TokenOptions(fast_after=1_000)), options=options)
    again = resumed.get()
    assert resumed.loaded and again.seeds == snap.seeds
    # Below the size, a build keeps them: reloading one for an answer costs 0.1 s.
    monkeypatch.setattr(router.snapshot, "_LARGE_CHARS", 10**9)
    kept = TiktokenCounter(TokenOptions(fast_after=1_000))
    SnapshotCache(store, kept, options=replace(options, persist=None)).get()
    assert loaded_at_indexes[-1] is True and kept.engine == "quicktok"


class _Unsettled:
    """A store whose pages keep their version when edited and are read within its minute
    (as Notion's minute-rounded versions are): a copy never proves itself current."""

    def __init__(self, inner: LocalFolderStore) -> None:
        self.inner = inner

    def list_pages(self) -> list[PageRef]:
        return [replace(r, version="v1") for r in self.inner.list_pages()]

    def read(self, page_id: str) -> StoredPage:
        return replace(self.inner.read(page_id), version="v1", settled=False)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_page_read_within_its_versions_minute_is_reindexed_only_if_its_text_changed(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    cache = SnapshotCache(_Unsettled(store.inner), tokenizer)
    first = cache.get()
    _edit(store, "finance", "payable within 14 days", "payable within 45 days")
    second = cache.refresh()
    finance = second.shard("finance")
    assert finance is not None and "within 45 days" in shard_text(finance)
    assert finance is not first.shard("finance")
    # A page whose text is what was indexed keeps its shard, unparsed.
    assert second.shard("infrastructure") is first.shard("infrastructure")
