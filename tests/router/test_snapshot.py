"""The index snapshot and its cache: what is parsed, when the store is read again, what is flagged.

The small workspace built here (``FIXTURE`` split into shards and synced) is shared by the
other router tests, which import :func:`build_store` and :class:`CountingStore`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from router import SyncOptions, sync
from router.snapshot import SnapshotCache, SnapshotOptions, split_passages
from shards import (
    LocalFolderStore,
    PageRef,
    SplitOptions,
    StoredPage,
    StoreUnavailable,
    TiktokenCounter,
    apply_split,
    plan_split,
)

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)

_TABLE_ROWS = "\n".join(
    f"| `job-{n:02d}` | {n % 24:02d}:15 daily | exports the ledger for region {n} | Hana |"
    for n in range(1, 25)
)
_RESTORE_STEPS = "\n\n".join(
    f"Step {n}. Check replica lag on shard {n} before promoting; the runbook entry for step "
    f"{n} explains why the lag threshold is {n * 5} seconds and who signs it off."
    for n in range(1, 13)
)

FIXTURE = f"""# Context Index — Test Co

Test Co is a small agency. This page is the index every session starts from.

## Infrastructure

We host on Google Cloud in europe-west2, with Terraform as the source of truth.

### Cloud Run Services

Every client site is one Cloud Run service. The api service scales from 1 to 10 instances with a
concurrency of 80; the worker service scales to zero and tops out at 4 instances.

### DNS and Domains

DNS lives in Cloud DNS, zone `testco-example`, with a TTL of 300 seconds on every record.

```bash
# Update a record (this comment is not a heading)
gcloud dns record-sets update www.testco.example --type=A --zone=testco-example
```

#### Static Egress IPs

Outbound traffic leaves through Cloud NAT on 34.89.0.10 and 34.89.0.11; never release them.

## Finance

How Test Co charges and gets paid.

### Invoices

Invoices go out on the first working day of the month through Stripe, payable within 14 days.

### VAT

We file VAT quarterly; the accountant is Ledger & Co and the deadline is the 7th.

## Credentials

Where credentials are kept; references only.

### Secret Manager

The Stripe key is referenced as sm:projects/testco/secrets/STRIPE_KEY/versions/latest.

### Rotation

Rotate the webhook signing secret every 90 days: roll it in the dashboard, redeploy hook-relay,
then expire the old secret after 12 hours.

## Procedures

Runbooks for the risky jobs.

### Restoring a Database Backup

{_RESTORE_STEPS}

### Scheduled Exports

| Job | Schedule | What | Owner |
|---|---|---|---|
{_TABLE_ROWS}
"""

SHARD_IDS = ("credentials", "finance", "infrastructure", "procedures")


def build_store(folder: Path, tokenizer: TiktokenCounter, text: str = FIXTURE) -> LocalFolderStore:
    """``text`` split into shards in ``folder``, headers filled by a sync (as `brain split`)."""
    store = LocalFolderStore(folder)
    apply_split(plan_split(text, tokenizer, SplitOptions(min_shard_tokens=10)), store)
    sync(store, tokenizer, now=NOW)
    return store


class CountingStore:
    """A page store wrapper that counts every call and can be told to fail."""

    def __init__(self, inner: LocalFolderStore) -> None:
        self.inner = inner
        self.lists = 0
        self.reads: list[str] = []
        self.fail_list = False
        self.fail_read: set[str] = set()

    def list_pages(self) -> list[PageRef]:
        self.lists += 1
        if self.fail_list:
            raise StoreUnavailable("the backend is down")
        return self.inner.list_pages()

    def read(self, page_id: str) -> StoredPage:
        self.reads.append(page_id)
        if page_id in self.fail_read:
            raise StoreUnavailable(f"timeout reading {page_id}", page_id=page_id)
        return self.inner.read(page_id)

    def write(self, page_id: str, text: str) -> PageRef:
        return self.inner.write(page_id, text)

    def append(self, page_id: str, lines: Sequence[str]) -> None:
        self.inner.append(page_id, lines)

    def tail(self, page_id: str, count: int) -> list[str]:
        return self.inner.tail(page_id, count)

    def url(self, page_id: str) -> str:
        return self.inner.url(page_id)

    @property
    def io(self) -> int:
        return self.lists + len(self.reads)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def tokenizer() -> TiktokenCounter:
    return TiktokenCounter()


@pytest.fixture
def store(tmp_path: Path, tokenizer: TiktokenCounter) -> CountingStore:
    return CountingStore(build_store(tmp_path, tokenizer))


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
    assert infra.tokens == tokenizer.count(infra.body)
    assert not snap.stale and not snap.invalid


def test_the_digest_names_every_shard_with_its_one_liner(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    snap = _cache(store, tokenizer, FakeClock()).get()
    assert snap.digest.startswith("# Context index: 4 shards")
    for shard in snap.shards:
        assert f"`{shard.id}` {shard.title}" in snap.digest
    assert "How Test Co charges and gets paid." in snap.digest


def test_a_long_table_is_cut_into_chunks_that_keep_its_header_rows(
    tokenizer: TiktokenCounter,
) -> None:
    table = "| Job | Schedule |\n|---|---|\n" + "\n".join(
        f"| job-{n} | every day at {n}:00 with a long description of what it does |"
        for n in range(40)
    )
    passages = split_passages(table, tokenizer, max_tokens=120, min_tokens=12)
    assert len(passages) > 3
    assert all(p.tokens <= 120 for p in passages)
    assert all(p.lead == "| Job | Schedule |\n|---|---|" for p in passages)
    assert "\n".join(p.text for p in passages) == table.split("\n", 2)[2]


def test_a_tiny_block_joins_the_next_one_and_fences_stay_whole(
    tokenizer: TiktokenCounter,
) -> None:
    body = "Steps:\n\n- one\n- two\n\n```bash\necho a\n\necho b\n```"
    passages = split_passages(body, tokenizer, max_tokens=200, min_tokens=5)
    assert [p.text for p in passages] == [
        "Steps:\n\n- one\n- two",
        "```bash\necho a\n\necho b\n```",
    ]


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
    assert finance is not None and "payable within 30 days" in finance.body
    # Unchanged shards are the very same parsed objects: nothing else was re-parsed.
    assert second.shard("infrastructure") is first.shard("infrastructure")


def test_a_page_edited_since_the_last_sync_is_served_but_flagged_stale(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    _edit(store, "finance", "the 7th", "the 9th")
    snap = _cache(store, tokenizer, FakeClock()).get()
    finance = snap.shard("finance")
    assert finance is not None and "the 9th" in finance.body
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
    assert creds is not None and "every 90 days" in creds.body
    assert any("could not re-read" in r for r in creds.stale)
    store.fail_read.clear()
    clock.now += 5
    healed = cache.get().shard("credentials")
    assert healed is not None and "every 60 days" in healed.body
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
