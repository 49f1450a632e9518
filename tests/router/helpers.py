"""Shared router test helpers: a small workspace, stores that count their calls or remember
their writes, a fake clock, and large generated indexes for the two-level router.

``FIXTURE`` is a small context index; :func:`build_store` splits it into shards and syncs them,
as `brain split` would. The fixtures built from these live in ``conftest.py``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

import pytest

from router import sync
from router.model import IndexedShard
from router.persist import IndexPlace
from router.select import BM25Index, select
from router.snapshot import IndexSnapshot, SnapshotCache, SnapshotOptions
from shards import (
    ClaudeDelta,
    LocalFolderStore,
    PageRef,
    PageStore,
    SplitOptions,
    StoredPage,
    StoreUnavailable,
    TiktokenCounter,
    apply_split,
    plan_split,
    render_page,
)

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
# The sync tests' clock: a first sync at T0, a later one at T1.
T0 = NOW
T1 = T0 + timedelta(hours=3)
TOKENS = TiktokenCounter()

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


def build_snapshot(folder: Path, tokenizer: TiktokenCounter, text: str = FIXTURE) -> IndexSnapshot:
    """The snapshot of ``text`` built as :func:`build_store` leaves it (for read-only tests)."""
    return SnapshotCache(build_store(folder, tokenizer, text), tokenizer).get()


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


S = TypeVar("S", bound=PageStore)


class RecordingStore(Generic[S]):
    """A real store (local or Notion) that remembers which pages were written."""

    def __init__(self, inner: S) -> None:
        self.inner = inner
        self.writes: list[str] = []

    def list_pages(self) -> list[PageRef]:
        return self.inner.list_pages()

    def read(self, page_id: str) -> StoredPage:
        return self.inner.read(page_id)

    def write(self, page_id: str, text: str) -> PageRef:
        self.writes.append(page_id)
        return self.inner.write(page_id, text)

    def append(self, page_id: str, lines: Sequence[str]) -> None:
        self.writes.append(page_id)
        self.inner.append(page_id, lines)

    def tail(self, page_id: str, count: int) -> list[str]:
        return self.inner.tail(page_id, count)

    def url(self, page_id: str) -> str:
        return self.inner.url(page_id)


class FakeClock:
    """A clock that stands still until a test moves ``now``."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# Words the fixture is about, and a few it is not: for generated tasks.
VOCABULARY = (
    "cloud run scaling instances dns record ttl egress ip invoices stripe vat quarterly "
    "accountant secret rotation webhook restore backup replica lag exports ledger schedule "
    "the of and what how when who rotating invoiced scaled restoring zebra quantum"
).split()


# -- large indexes, for the two-level router -----------------------------------------------

LARGE = 90  # shards: well past what one 6.5 KB router page holds (about 25 rows)

_DOMAINS = ("clients", "infra", "adr", "procedures", "finance", "credentials", "schedules")
_WORDS = (
    "deploy rollback invoice backup dns certificate rota onboarding offboarding stripe vpc "
    "cron secret vault plugin theme cache newsletter sponsor quote contract audit"
).split()


def write_index(path: Path, count: int, *, odd_every: int = 17) -> list[str]:
    """``count`` shard pages written straight to ``path`` (no fsync: this is test setup).

    Ids share a domain prefix (``clients-…``, skewed so some domains are much larger than
    others), and one page in ``odd_every`` has an id of its own (``audit17-notes``), as
    hand-written pages do. Summaries and fetch_when are as long as a split writes them.
    Machine fields are left for the sync. Returns the shard ids, sorted.
    """
    rnd = random.Random(count)
    path.mkdir(parents=True, exist_ok=True)
    ids = []
    for n in range(count):
        word = rnd.choice(_WORDS)
        if n % odd_every == odd_every - 1:
            shard_id = f"{word}{n}-notes"
        else:
            shard_id = f"{_DOMAINS[int(rnd.random() ** 2 * len(_DOMAINS))]}-{word}-{n}"
        title = " ".join(w.capitalize() for w in shard_id.split("-")[:-1]) + f" {n}"
        header = ClaudeDelta(
            id=shard_id,
            title=title,
            summary=" ".join(rnd.choice(_WORDS) for _ in range(9)).capitalize() + ".",
            fetch_when=tuple(f"{rnd.choice(_WORDS)} {rnd.choice(_WORDS)}" for _ in range(3)),
        )
        body = f"# {title}\n\nHow we handle {word} for {shard_id}, step by step.\n"
        (path / f"{shard_id}.md").write_text(render_page(header, body), encoding="utf-8")
        ids.append(shard_id)
    return sorted(ids)


def _index_arrays(index: BM25Index) -> Iterator[list[float]]:
    for name in ("_docs", "_weights", "_indptr"):
        yield getattr(index, name).tolist()
    yield [index.idf[t] for t in index.idf]


def assert_same_snapshot(ours: IndexSnapshot, theirs: IndexSnapshot) -> None:
    """Two snapshots are the same: shards, findings, vocabulary ids and every index array."""
    assert ours.shards == theirs.shards
    assert ours.stale == theirs.stale
    assert ours.invalid == theirs.invalid
    a, b = ours.lexicon, theirs.lexicon
    assert list(a.vocab.items()) == list(b.vocab.items())  # the same ids, in the same order
    for name in ("headings", "passages", "shards"):
        assert list(_index_arrays(getattr(a, name))) == list(_index_arrays(getattr(b, name)))
    assert a.sections.norm.values.tolist() == b.sections.norm.values.tolist()
    assert a.passages._misses is not None and b.passages._misses is not None
    assert [m.tolist() for m in a.passages._misses] == [m.tolist() for m in b.passages._misses]
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


def shard_text(shard: IndexedShard) -> str:
    """The text a shard's sections hold (what a snapshot serves of its page)."""
    return "\n\n".join(s.text for s in shard.sections)


def persisted_cache(
    store: CountingStore,
    tokenizer: TiktokenCounter,
    where: IndexPlace | Path,
    workspace: str,
    **options: object,
) -> SnapshotCache:
    """A cache that saves its index at ``where`` and starts from what is saved there: each
    one made is a new process, as far as the saved index can tell."""
    opts = SnapshotOptions(persist=where, workspace=workspace, **options)  # type: ignore[arg-type]
    return SnapshotCache(store, tokenizer, options=opts, clock=FakeClock())


def ranking(cache: SnapshotCache, task: str) -> list[tuple[str, int, float]]:
    """The cache's eight best sections for ``task``: (shard id, section, score)."""
    snap = cache.get()
    return [
        (snap.shards[c.shard].id, c.section, round(c.score, 9))
        for c in select(snap, task).candidates[:8]
    ]


def analyzed_shards(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the shards each build from now on analyzes, in order."""
    import router.snapshot
    from router.lexicon import shards_terms

    seen: list[str] = []

    def counting(shards: Any, analyzer: Any, vocab: Any) -> Any:
        seen.extend(s.id for s in shards)
        return shards_terms(shards, analyzer, vocab)

    monkeypatch.setattr(router.snapshot, "shards_terms", counting)
    return seen
