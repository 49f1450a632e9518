"""The operations ledger: what the status page reports, kept in the state database.

Two tables beside the outbox's, in the same database (SQLite locally, PostgreSQL in the
cloud), created on first use and versioned as the ``ledger`` component:

- ``ops_syncs``: one row per index sync (when, its roll-call line, whether it was clean),
  the newest :data:`KEEP_SYNCS` kept;
- ``ops_counts``: counters in :data:`BUCKET_S`-second buckets, by name
  (``webhook:<source>:accepted|duplicate|refused``, ``drain:appended``, ``notion:429``),
  purged after :data:`KEEP_COUNTS`.

Counting is buffered in memory by :class:`Tally` and written in one transaction at most every
few seconds, so a webhook costs no extra write; a process killed with SIGKILL loses at most
that many seconds of counts (the events themselves are in the outbox). Kept self-contained:
the outbox's SQL module is not touched; this module only borrows its transactions.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from functions.webhooks import _sql
from functions.webhooks.drain import Drainer, DrainResult
from functions.webhooks.errors import OutboxError
from functions.webhooks.outbox import Outbox, SqlOutbox

__all__ = [
    "BUCKET_S",
    "KEEP_COUNTS",
    "KEEP_SYNCS",
    "CountingDrainer",
    "Ledger",
    "SyncEntry",
    "Tally",
]

COMPONENT = "ledger"
VERSION = 1
#: Width of one counter bucket.
BUCKET_S = 300
#: Sync summaries kept; counters kept.
KEEP_SYNCS = 50
KEEP_COUNTS = timedelta(days=8)
#: A Tally writes its counts at most this often (and on flush/close).
FLUSH_EVERY_S = 5.0

log = logging.getLogger(__name__)


def _schema(dialect: _sql.Dialect) -> list[str]:
    return [
        f"CREATE TABLE IF NOT EXISTS ops_syncs ({dialect.id_column},"
        " at BIGINT NOT NULL, ok INTEGER NOT NULL, summary TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS ops_counts ("
        " name TEXT NOT NULL, bucket BIGINT NOT NULL, count BIGINT NOT NULL,"
        " PRIMARY KEY (name, bucket))",
    ]


SYNC_INSERT = "INSERT INTO ops_syncs (at, ok, summary) VALUES (?, ?, ?)"
SYNC_TRIM = (
    "DELETE FROM ops_syncs WHERE id NOT IN"
    " (SELECT id FROM ops_syncs ORDER BY at DESC, id DESC LIMIT ?)"
)
SYNC_RECENT = "SELECT at, ok, summary FROM ops_syncs ORDER BY at DESC, id DESC LIMIT ?"
COUNT_ADD = (
    "INSERT INTO ops_counts (name, bucket, count) VALUES (?, ?, ?)"
    " ON CONFLICT (name, bucket) DO UPDATE SET count = ops_counts.count + excluded.count"
)
COUNT_SINCE = "SELECT name, SUM(count) FROM ops_counts WHERE bucket >= ? GROUP BY name"
COUNT_PURGE = "DELETE FROM ops_counts WHERE bucket < ?"


@dataclass(frozen=True)
class SyncEntry:
    """One recorded sync: when, its roll-call line, and whether it found nothing wrong."""

    at: datetime
    ok: bool
    summary: str

    def to_json(self) -> dict[str, object]:
        return {"at": self.at.isoformat(), "ok": self.ok, "summary": self.summary}


def bucket_of(at: datetime) -> int:
    """The start of ``at``'s bucket, in the outbox's microseconds since the epoch."""
    width = BUCKET_S * 1_000_000
    return _sql.to_us(at) // width * width


class Ledger:
    """Sync summaries and counters over an open outbox's database; raises OutboxError."""

    def __init__(self, outbox: Outbox) -> None:
        if not isinstance(outbox, SqlOutbox):
            raise OutboxError(
                f"the operations ledger needs the SQL outbox, not {type(outbox).__name__}",
                hint="Open the state database with functions.webhooks.outbox.open_outbox().",
            )
        self._outbox = outbox
        self._ready = False
        self._lock = threading.Lock()

    def _ensure(self) -> None:
        with self._lock:
            if self._ready:
                return
            self._outbox.create_schema(
                "creating the ledger tables",
                _schema(self._outbox.dialect),
                [(COMPONENT, VERSION)],
            )
            self._ready = True

    def record_sync(self, at: datetime, *, ok: bool, summary: str) -> None:
        self._ensure()
        with self._outbox.transaction("recording a sync") as tx:
            tx.run(SYNC_INSERT, (_sql.to_us(at), int(ok), summary))
            tx.run(SYNC_TRIM, (KEEP_SYNCS,))

    def recent_syncs(self, limit: int = 5) -> list[SyncEntry]:
        self._ensure()
        with self._outbox.transaction("reading recent syncs", write=False) as tx:
            rows = tx.rows(SYNC_RECENT, (limit,))
        return [SyncEntry(_sql.from_us(int(r[0])), bool(r[1]), str(r[2])) for r in rows]

    def add_counts(self, counts: Mapping[tuple[str, int], int], now: datetime) -> None:
        """Add ``{(name, bucket): n}`` and purge counters older than :data:`KEEP_COUNTS`."""
        if not counts:
            return
        self._ensure()
        with self._outbox.transaction("recording counters") as tx:
            for (name, bucket), n in sorted(counts.items()):  # one order: no deadlocks
                tx.run(COUNT_ADD, (name, bucket, n))
            tx.run(COUNT_PURGE, (_sql.to_us(now - KEEP_COUNTS),))

    def counts_since(self, since: datetime) -> dict[str, int]:
        """Each counter's total over the buckets starting at or after ``since``'s bucket."""
        self._ensure()
        with self._outbox.transaction("reading counters", write=False) as tx:
            rows = tx.rows(COUNT_SINCE, (bucket_of(since),))
        return {str(r[0]): int(r[1]) for r in rows}


class Tally:
    """Counts in memory, written to the ledger at most every :data:`FLUSH_EVERY_S` seconds.

    ``count`` never raises and never waits for the database: a failed write keeps the counts
    for the next try (and logs once per failure).
    """

    def __init__(
        self,
        ledger: Callable[[], Ledger],
        *,
        now: Callable[[], datetime],
        flush_every_s: float = FLUSH_EVERY_S,
    ) -> None:
        self._ledger = ledger  # a getter: the database is opened on the first flush
        self._now = now
        self._flush_every = timedelta(seconds=flush_every_s)
        self._pending: Counter[tuple[str, int]] = Counter()
        self._lock = threading.Lock()
        self._last_flush = now()
        self._flushing = False

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to counter ``name``; when a write is due it runs in a thread of its own,
        so a caller on an event loop never waits for the database."""
        at = self._now()
        with self._lock:
            self._pending[(name, bucket_of(at))] += n
            due = at - self._last_flush >= self._flush_every and not self._flushing
            if due:
                self._flushing = True
        if due:
            threading.Thread(target=self._flush_in_background, name="brain-tally").start()

    def _flush_in_background(self) -> None:
        try:
            self.flush()
        finally:
            with self._lock:
                self._flushing = False

    def flush(self) -> None:
        """Write what is pending (never raises; what could not be written is kept)."""
        with self._lock:
            batch, self._pending = self._pending, Counter()
            self._last_flush = self._now()
        if not batch:
            return
        try:
            self._ledger().add_counts(batch, self._now())
        except (OutboxError, OSError) as exc:
            log.warning("could not record operation counters (kept for later): %s", exc)
            with self._lock:
                self._pending.update(batch)


@dataclass
class CountingDrainer(Drainer):
    """A :class:`Drainer` that counts what it appends (``drain:appended``) for the drain rate."""

    tally: Tally | None = None

    def drain_page(self, page: str) -> DrainResult:
        result = super().drain_page(page)
        if self.tally is not None and result.appended:
            self.tally.count("drain:appended", result.appended)
        return result
