"""The snapshot's change feed: pages edited elsewhere are re-read at once, and only they.

The feed is a plain callable returning page ids (the runtime's reads page marks from the state
database). The workspace comes from ``tests/router/helpers.py``; time is a :class:`FakeClock`.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

from router import SyncOptions
from router.service import ContextService, ServiceOptions
from router.snapshot import SnapshotCache, SnapshotOptions
from shards import TiktokenCounter
from tests.router.helpers import CountingStore, FakeClock, shard_text

CHECK_S = 300.0  # the version check interval: never reached unless a test says so
FEED_S = 1.0


class Feed:
    """A change feed that returns what a test queued and counts its calls."""

    def __init__(self) -> None:
        self.queued: list[str] = []
        self.calls = 0

    def __call__(self) -> Iterable[str]:
        self.calls += 1
        queued, self.queued = self.queued, []
        return queued


def _cache(
    store: CountingStore, tokenizer: TiktokenCounter, clock: FakeClock, feed: Feed
) -> SnapshotCache:
    options = SnapshotOptions(
        check_interval_s=CHECK_S,
        feed_interval_s=FEED_S,
        sync=SyncOptions(skip=frozenset({"webhook-log"})),
    )
    return SnapshotCache(store, tokenizer, options=options, clock=clock, changes=feed)


def _edit(store: CountingStore, page_id: str, old: str, new: str) -> None:
    page = store.inner.read(page_id)
    assert old in page.text
    store.inner.write(page_id, page.text.replace(old, new))


def _body(cache: SnapshotCache, shard_id: str) -> str:
    shard = cache.get().shard(shard_id)
    assert shard is not None
    return shard_text(shard)


def test_a_page_the_feed_names_is_reread_at_once_and_alone_without_a_listing(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    clock, feed = FakeClock(), Feed()
    cache = _cache(store, tokenizer, clock, feed)
    first = cache.get()
    _edit(store, "finance", "payable within 14 days", "payable within 30 days")
    clock.now += FEED_S
    assert "within 14 days" in _body(cache, "finance")  # no notice yet: the old copy

    store.reads.clear()
    lists = store.lists
    feed.queued = ["finance"]
    clock.now += FEED_S
    second = cache.get()

    assert store.reads == ["finance"]
    assert store.lists == lists
    assert second.generation == first.generation + 1
    assert "within 30 days" in _body(cache, "finance")
    assert second.shard("credentials") is first.shard("credentials")  # not re-parsed


def test_the_feed_is_asked_at_most_once_per_feed_interval(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    clock, feed = FakeClock(), Feed()
    cache = _cache(store, tokenizer, clock, feed)
    cache.get()
    assert feed.calls == 0  # the first build reads every page: nothing to ask yet

    asked_at: list[float] = []
    for _ in range(40):
        clock.now += 0.25
        before = feed.calls
        cache.get()
        if feed.calls > before:
            asked_at.append(clock.now)

    assert len(asked_at) == 10
    assert all(b - a >= FEED_S for a, b in pairwise(asked_at))


def test_an_interval_of_zero_asks_the_feed_on_every_warm_get(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    feed = Feed()
    options = SnapshotOptions(check_interval_s=CHECK_S, feed_interval_s=0)
    cache = SnapshotCache(store, tokenizer, options=options, clock=FakeClock(), changes=feed)
    cache.get()
    for _ in range(3):
        cache.get()
    assert feed.calls == 3


def test_a_marked_refresh_does_not_put_off_the_next_version_check(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    clock, feed = FakeClock(), Feed()
    cache = _cache(store, tokenizer, clock, feed)
    cache.get()
    lists = store.lists
    feed.queued = ["finance"]
    clock.now += CHECK_S - 1
    cache.get()
    assert store.lists == lists

    _edit(store, "credentials", "every 90 days", "every 60 days")  # no notice for this one
    clock.now += 1
    assert "every 60 days" in _body(cache, "credentials")
    assert store.lists == lists + 1


def test_mark_stale_alone_rereads_the_page_without_a_listing(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    cache = _cache(store, tokenizer, FakeClock(), Feed())
    cache.get()
    store.reads.clear()
    lists = store.lists

    cache.mark_stale("procedures")
    cache.get()

    assert (store.reads, store.lists) == (["procedures"], lists)


def test_a_page_the_last_listing_did_not_have_makes_the_cache_list_once(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    clock, feed = FakeClock(), Feed()
    cache = _cache(store, tokenizer, clock, feed)
    cache.get()
    lists = store.lists
    feed.queued = ["brand-new"]  # a page created since: only a listing can place it

    clock.now += FEED_S
    cache.get()
    assert store.lists == lists + 1
    clock.now += FEED_S
    cache.get()
    assert store.lists == lists + 1


def test_the_skipped_log_page_named_by_the_feed_costs_nothing(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    clock, feed = FakeClock(), Feed()
    cache = _cache(store, tokenizer, clock, feed)
    first = cache.get()
    io = store.io
    feed.queued = ["webhook-log"]

    clock.now += FEED_S
    assert cache.get() is first
    assert store.io == io


def test_the_context_service_passes_its_feed_to_the_snapshot(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    clock, feed = FakeClock(), Feed()
    options = ServiceOptions(
        redact=False, snapshot=SnapshotOptions(check_interval_s=CHECK_S, feed_interval_s=FEED_S)
    )
    service = ContextService(store, tokenizer, options=options, clock=clock, changes=feed)
    task = "who is the VAT accountant"
    assert "Ledger & Co" in service.get_context(task, 4000).context
    _edit(store, "finance", "Ledger & Co", "Abacus LLP")

    feed.queued = ["finance"]
    clock.now += FEED_S
    result = service.get_context(task, 4000)

    assert "Abacus LLP" in result.context and "Ledger & Co" not in result.context
