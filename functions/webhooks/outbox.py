"""The webhook outbox: the durable shared state between the webhook handler and the drainer.

Each verified event becomes exactly one line on a log page, none lost, none doubled, in
receive order. The handler calls :meth:`Outbox.accept` and answers 2xx only after it
returned (the event and its dedup key are committed together). A drainer then works one log
page at a time::

    if outbox.acquire_lease(page, worker, ttl_s=30, now=now):
        for event in outbox.claim(page, worker, limit=50, now=now):
            ...  # event.uncertain: look for event.line on the page before appending it
        outbox.mark_sent(appended_ids, worker)  # or mark_failed / dead_letter

Rules the drainer can rely on:

- **Order.** Receive order is the id order (on PostgreSQL ``accept`` holds a per-page lock so
  ids also commit in order). ``claim`` returns a page's oldest unfinished events in id order
  and stops at the first one that is not due yet (``mark_failed``'s ``retry_at``), so a
  failed event is never overtaken.
- **One writer per page.** ``claim`` returns nothing unless the worker holds the page's live
  lease. Renew by calling ``acquire_lease`` again; use a worker id unique to the process and
  one drainer thread per worker id.
- **A dead holder is overtaken at once, a live one never.** ``hold(worker)`` takes an
  OS-level lock that lives as long as the worker's process: ``flock`` on
  ``<state file>.drainers/<worker>.lock`` (SQLite), a session-level advisory lock keyed by
  schema and worker on a connection of its own (PostgreSQL). ``acquire_lease`` takes a live
  lease over when that lock is free, which the kernel or the server only makes it when the
  holder's process died. A holder that never called ``hold`` (or whose lock cannot be seen
  from here) is overtaken only when its lease expires, after at most ``ttl_s``.
- **Uncertain events.** An event still ``sending`` when ``claim`` runs again (its claimer died
  or never recorded the outcome) comes back with ``uncertain=True``: it may already be on the
  page, so reconcile before appending. When an append's outcome is unknown (a timeout), leave
  the events unmarked and claim again: they come back uncertain.
- **Ownership.** ``mark_sent``, ``mark_failed`` and ``dead_letter`` only touch events the
  worker claimed and still owns; the counts they return say how many that was.
- **Pending pages.** ``pending_pages`` names every page with unsent events, whatever their
  age or page name, so a drainer asks it rather than guessing from config and the clock.
- **Dead letters** are reported by ``dead_letters()`` and never dropped. ``retry_dead`` puts
  them back to ``pending`` under their original id, so a replayed event goes to the head of
  its page's queue and its line lands *after* lines received later (the line still carries
  its original receive time).
- **Dedup window.** A ``(source, delivery_key)`` seen before is a duplicate for as long as its
  key is kept; ``purge`` drops keys older than the window, after which the same key is a new
  event.

The same database carries **page marks**, the change notices one service leaves for another:
``POST /notion/events`` runs in its own Cloud Run service, so it records the pages Notion
named with :meth:`Outbox.mark_pages`, and the context service asks
:meth:`Outbox.marked_since` which pages to re-read. A page keeps one row, its latest
``marked_at``, which never goes back (a later mark always changes it); ``purge`` drops marks
older than the dedup window.

Storage: SQLite (WAL, ``synchronous=FULL``) locally, PostgreSQL in the cloud, the same SQL
(:mod:`functions.webhooks._sql`). Times are stored as integer microseconds since the epoch,
UTC. Every database failure surfaces as :class:`~functions.webhooks.errors.OutboxError`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol, Self

from functions.webhooks import _sql
from functions.webhooks._sql import Backend, Row, Tx, from_us, to_us
from functions.webhooks.errors import OutboxError
from shards.store import StoredPage

__all__ = [
    "Accepted",
    "EventState",
    "Outbox",
    "OutboxEvent",
    "OutboxOptions",
    "OutboxStats",
    "PageStats",
    "Purged",
    "SqlOutbox",
    "Tx",
    "open_outbox",
    "sql_state",
]

_log = logging.getLogger(__name__)

EventState = Literal["pending", "sending", "sent", "dead"]
_STATES: dict[str, EventState] = {s: s for s in ("pending", "sending", "sent", "dead")}


@dataclass(frozen=True)
class Accepted:
    """Result of :meth:`Outbox.accept`: the event's id and whether it was seen before."""

    id: int
    duplicate: bool


@dataclass(frozen=True)
class OutboxEvent:
    """One event as the drainer sees it.

    ``uncertain`` is True when the event was already ``sending`` from an earlier claim that
    never completed: it may be on the page already, so reconcile before appending.
    """

    id: int
    source: str
    line: str
    log_page: str
    received_at: datetime
    attempts: int
    state: EventState
    last_error: str | None
    uncertain: bool = False


@dataclass(frozen=True)
class OutboxStats:
    """Counts per state; ``oldest_pending_age_s`` is the age of the oldest event not yet
    sent (``pending`` or ``sending``), None when there is none."""

    pending: int
    sending: int
    sent: int
    dead: int
    oldest_pending_age_s: float | None


@dataclass(frozen=True)
class PageStats:
    """One log page's unfinished business.

    ``unsent`` counts ``pending`` and ``sending`` events; ``stranded`` those of them received
    before the ``stranded_after`` cut-off given to :meth:`Outbox.page_stats` (a drainer that
    works the page gets them out long before); ``dead`` the page's dead letters.
    """

    page: str
    unsent: int
    stranded: int
    dead: int
    oldest_unsent_age_s: float | None


@dataclass(frozen=True)
class Purged:
    """What :meth:`Outbox.purge` deleted."""

    dedup_keys: int
    sent_events: int
    page_marks: int = 0


@dataclass(frozen=True)
class OutboxOptions:
    """Connection settings.

    Attributes:
        busy_timeout_s: SQLite: how long a write waits for another writer's lock.
        connect_timeout_s: PostgreSQL: how long opening a connection may take.
        pool_timeout_s: PostgreSQL: how long a transaction waits for a pooled connection.
        pool_min_size: PostgreSQL: connections kept open.
        pool_max_size: PostgreSQL: most connections open at once.
    """

    busy_timeout_s: float = 5.0
    connect_timeout_s: float = 5.0
    pool_timeout_s: float = 10.0
    pool_min_size: int = 1
    pool_max_size: int = 10


class Outbox(Protocol):
    """The outbox seam; see the module docstring for the rules."""

    def accept(
        self, *, source: str, delivery_key: str, line: str, log_page: str, received_at: datetime
    ) -> Accepted: ...

    def hold(self, worker: str) -> None: ...

    def acquire_lease(self, log_page: str, worker: str, ttl_s: float, now: datetime) -> bool: ...

    def release_lease(self, log_page: str, worker: str) -> None: ...

    def claim(self, log_page: str, worker: str, limit: int, now: datetime) -> list[OutboxEvent]: ...

    def mark_sent(self, ids: Sequence[int], worker: str) -> int: ...

    def mark_failed(
        self, ids: Sequence[int], worker: str, error: str, retry_at: datetime
    ) -> int: ...

    def dead_letter(self, id: int, worker: str, error: str) -> bool: ...

    def dead_letters(self) -> list[OutboxEvent]: ...

    def retry_dead(self, ids: Sequence[int] | None = None) -> int: ...

    def stats(self, now: datetime) -> OutboxStats: ...

    def pending_pages(self, now: datetime) -> list[str]: ...

    def page_stats(self, now: datetime, stranded_after: timedelta) -> list[PageStats]: ...

    def purge(self, now: datetime, dedup_window: timedelta, keep_sent: timedelta) -> Purged: ...

    def mark_pages(self, page_ids: Sequence[str], now: datetime) -> None: ...

    def marked_since(self, since: datetime) -> list[tuple[str, datetime]]: ...

    def load_pages(self, store_key: str) -> dict[str, StoredPage]: ...

    def save_pages(
        self, store_key: str, pages: Sequence[StoredPage], *, written: bool = False
    ) -> None: ...

    def written_at(self, store_key: str, page_id: str) -> datetime | None: ...

    def forget_pages(self, store_key: str, page_ids: Sequence[str]) -> None: ...

    def close(self) -> None: ...


def sql_state(outbox: Outbox, what: str) -> SqlOutbox:
    """``outbox`` as the SQL state database, which ``what`` (tables beside the outbox's:
    passage vectors, the saved index) lives in; else an OutboxError saying so."""
    if not isinstance(outbox, SqlOutbox):
        raise OutboxError(
            f"{what}: kept in the SQL state database, and this state is a {type(outbox).__name__}",
            hint="Open the state database with functions.webhooks.outbox.open_outbox().",
        )
    return outbox


def open_outbox(url: str, options: OutboxOptions | None = None) -> SqlOutbox:
    """Open (and create or check the schema of) the outbox at ``url``.

    ``url`` is ``postgresql://…`` (or ``postgres://…``), ``sqlite:///relative/path``,
    ``sqlite:////absolute/path`` (the SQLAlchemy convention: the path is what follows
    ``sqlite:///``) or a bare file path. The SQLite file's directory must exist.
    """
    opts = options or OutboxOptions()
    backend: Backend
    if url.startswith(("postgresql://", "postgres://")):
        backend = _sql.PostgresBackend(
            url,
            min_size=opts.pool_min_size,
            max_size=opts.pool_max_size,
            connect_timeout_s=opts.connect_timeout_s,
            pool_timeout_s=opts.pool_timeout_s,
        )
    else:
        raw = url.removeprefix("sqlite:///") if url.startswith("sqlite:") else url
        if raw in ("", ":memory:") or raw.startswith("sqlite:"):
            raise OutboxError(
                f"outbox URL {_sql.redact(url)!r} does not name a database file.",
                hint="Use sqlite:///path/to/state.sqlite3, a file path or postgresql://….",
            )
        backend = _sql.SqliteBackend(Path(raw).expanduser(), busy_timeout_s=opts.busy_timeout_s)
    outbox = SqlOutbox(backend)
    try:
        outbox._open()
    except BaseException:
        backend.close()
        raise
    return outbox


class SqlOutbox:
    """The outbox over SQLite or PostgreSQL; build it with :func:`open_outbox`."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._dialect = backend.dialect
        self._closed = False
        self._holding: set[str] = set()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self, operation: str, *, write: bool = True) -> Iterator[Tx]:
        """A transaction whose driver errors come out as OutboxError."""
        if self._closed:
            raise OutboxError(
                f"{self._backend.where}: {operation} failed: the outbox is closed.",
                hint="This is a bug in the caller: open the outbox again with open_outbox().",
            )
        try:
            with self._backend.transaction(write=write) as tx:
                yield tx
        except self._backend.errors as exc:
            raise OutboxError(
                f"{self._backend.where}: {operation} failed: {exc}".rstrip(),
                hint=self._backend.hint,
            ) from exc

    def _open(self) -> None:
        try:
            self._backend.open()
        except self._backend.errors as exc:
            raise OutboxError(
                f"{self._backend.where}: cannot open the database: {exc}".rstrip(),
                hint=self._backend.hint,
            ) from exc
        self.create_schema("creating the schema", _sql.schema(self._dialect), _sql.COMPONENTS)

    def create_schema(
        self, operation: str, statements: Iterable[str], components: Iterable[tuple[str, int]]
    ) -> None:
        """Run ``statements`` (idempotent DDL) under the dialect's schema lock, then record
        each component's schema version, refusing a database written by newer code. Other
        tables that share this database (the operations ledger) are created the same way."""
        with self._tx(operation) as tx:
            if self._dialect.schema_lock:
                tx.rows(self._dialect.schema_lock)
            for statement in statements:
                tx.run(statement)
            for component, version in components:
                found = tx.rows(_sql.VERSION_GET, (component,))
                if not found:
                    tx.run(_sql.VERSION_SET, (component, version))
                elif int(found[0][0]) > version:
                    raise OutboxError(
                        f"{self._backend.where}: the {component} schema is version"
                        f" {found[0][0]}, newer than this code's {version}.",
                        hint="Upgrade this service, or point it at its own database.",
                    )

    @property
    def dialect(self) -> _sql.Dialect:
        """The SQL dialect of this database (SQLite or PostgreSQL)."""
        return self._dialect

    def transaction(self, operation: str, *, write: bool = True) -> AbstractContextManager[Tx]:
        """A transaction on this database; a database error becomes an OutboxError that names
        ``operation``. For tables that share the outbox's database (the ledger)."""
        return self._tx(operation, write=write)

    def accept(
        self, *, source: str, delivery_key: str, line: str, log_page: str, received_at: datetime
    ) -> Accepted:
        """Persist one event and its dedup key in one transaction (durable on return)."""
        at = to_us(received_at)
        key = (source, delivery_key)
        with self._tx("accepting an event") as tx:
            if self._dialect.accept_lock:
                tx.rows(self._dialect.accept_lock, (log_page,))
            if tx.run(_sql.DEDUP_INSERT, (*key, at)) == 0:
                return Accepted(id=int(tx.rows(_sql.DEDUP_GET, key)[0][0]), duplicate=True)
            event_id = int(
                tx.rows(_sql.EVENT_INSERT, (source, delivery_key, line, log_page, at))[0][0]
            )
            tx.run(_sql.DEDUP_LINK, (event_id, *key))
        return Accepted(id=event_id, duplicate=False)

    def hold(self, worker: str) -> None:
        """Take ``worker``'s liveness lock, held until :meth:`close` or the process dies."""
        if worker in self._holding:
            self._backend.hold(worker)  # cheap when held; takes it again if its link broke
            return
        caught: tuple[type[Exception], ...] = (OSError, *self._backend.errors)
        try:
            self._backend.hold(worker)
        except caught as exc:
            raise OutboxError(
                f"{self._backend.where}: cannot take the drainer's liveness lock: {exc}",
                hint=self._backend.hint,
            ) from exc
        with self._tx("registering a drainer") as tx:
            tx.run(_sql.DRAINER_ADD, (worker, to_us(datetime.now(UTC))))
        self._holding.add(worker)

    def acquire_lease(self, log_page: str, worker: str, ttl_s: float, now: datetime) -> bool:
        """Take or renew the page's lease until ``now + ttl_s``; False if another holds it.

        A lease held by a worker whose liveness lock is free (its process died) is taken
        over at once, however long it still had to run.
        """
        at = to_us(now)
        expires = to_us(now + timedelta(seconds=ttl_s))
        with self._tx("acquiring a lease") as tx:
            if tx.run(_sql.LEASE_ACQUIRE, (log_page, worker, expires, at)) == 1:
                return True
            found = tx.rows(_sql.LEASE_HOLDER, (log_page,))
            if not found or str(found[0][0]) == worker:
                return False
            holder = str(found[0][0])
            if not tx.rows(_sql.DRAINER_KNOWN, (holder,)):
                return False  # it holds no liveness lock: wait for the lease to expire
            if not self._is_dead(tx, holder):
                return False  # alive, or cannot tell: wait for the lease to expire
            taken = tx.run(_sql.LEASE_TAKEOVER, (worker, expires, log_page, holder)) == 1
            tx.run(_sql.DRAINER_GONE, (holder,))
        if taken:
            _log.warning(
                "log page %s: took the lease over from drainer %s, whose process is gone",
                log_page,
                holder,
            )
        return taken

    def release_lease(self, log_page: str, worker: str) -> None:
        """Give the lease up (a no-op when the worker does not hold it)."""
        with self._tx("releasing a lease") as tx:
            tx.run(_sql.LEASE_RELEASE, (log_page, worker))

    def claim(self, log_page: str, worker: str, limit: int, now: datetime) -> list[OutboxEvent]:
        """Mark up to ``limit`` of the page's oldest due events ``sending`` and return them.

        Returns ``[]`` when the worker does not hold the page's live lease at ``now``.
        """
        if limit < 1:
            raise ValueError(f"claim limit must be at least 1, got {limit}")
        at = to_us(now)
        d = self._dialect
        with self._tx("claiming events") as tx:
            if not tx.rows(_sql.LEASE_HELD + d.lease_lock, (log_page, worker, at)):
                return []
            rows = sorted(tx.rows(_sql.CLAIM_SELECT + d.claim_lock, (log_page, limit)))
            if d.skips_locked and rows:
                # A skipped (locked) row older than a claimed one would break the order:
                # stop before the first row the unlocked view has and the locked one lacks.
                head = [r[0] for r in tx.rows(_sql.CLAIM_HEAD, (log_page, rows[-1][0]))]
                gap = next(
                    (i for i, r in enumerate(rows) if i >= len(head) or head[i] != r[0]), None
                )
                rows = rows[:gap]
            claimed: list[OutboxEvent] = []
            for row in rows:
                available_at = row[8]
                if row[6] == "pending" and available_at is not None and available_at > at:
                    break  # not due yet: later events wait behind it
                tx.run(_sql.CLAIM_MARK, (worker, at, row[0]))
                claimed.append(
                    _event(
                        row,
                        attempts=int(row[5]) + 1,
                        state="sending",
                        uncertain=row[6] == "sending",
                    )
                )
        return claimed

    def mark_sent(self, ids: Sequence[int], worker: str) -> int:
        """Record events as on the page; returns how many the worker still owned."""
        if not ids:
            return 0
        with self._tx("marking events sent") as tx:
            return sum(tx.run(_sql.MARK_SENT, (i, worker)) for i in ids)

    def mark_failed(self, ids: Sequence[int], worker: str, error: str, retry_at: datetime) -> int:
        """Put events back to ``pending``, not claimable before ``retry_at``."""
        if not ids:
            return 0
        at = to_us(retry_at)
        with self._tx("marking events failed") as tx:
            return sum(tx.run(_sql.MARK_FAILED, (error, at, i, worker)) for i in ids)

    def dead_letter(self, id: int, worker: str, error: str) -> bool:
        """Move a claimed event to ``dead``: out of the queue, reported, replayable."""
        with self._tx("dead-lettering an event") as tx:
            return tx.run(_sql.DEAD_LETTER, (error, id, worker)) == 1

    def dead_letters(self) -> list[OutboxEvent]:
        """Every dead-lettered event, oldest first."""
        with self._tx("listing dead letters", write=False) as tx:
            return [_event(row) for row in tx.rows(_sql.DEAD_LIST)]

    def retry_dead(self, ids: Sequence[int] | None = None) -> int:
        """Replay dead letters (all, or those ids) as ``pending`` with attempts reset to 0.

        A replayed event keeps its original id, so it is claimed before its page's newer
        events, but its line lands after the lines already sent.
        """
        with self._tx("replaying dead letters") as tx:
            if ids is None:
                return tx.run(_sql.RETRY_ALL)
            return sum(tx.run(_sql.RETRY_ONE, (i,)) for i in ids)

    def stats(self, now: datetime) -> OutboxStats:
        """Counts per state and the age of the oldest unsent event at ``now``."""
        at = to_us(now)
        with self._tx("reading stats", write=False) as tx:
            rows = tx.rows(_sql.STATS)
        counts = {str(r[0]): int(r[1]) for r in rows}
        oldest = [int(r[2]) for r in rows if r[0] in ("pending", "sending")]
        return OutboxStats(
            pending=counts.get("pending", 0),
            sending=counts.get("sending", 0),
            sent=counts.get("sent", 0),
            dead=counts.get("dead", 0),
            oldest_pending_age_s=(at - min(oldest)) / 1e6 if oldest else None,
        )

    def _is_dead(self, tx: Tx, worker: str) -> bool:
        try:
            return self._backend.is_dead(tx, worker)
        except OSError:
            return False  # cannot tell

    def pending_pages(self, now: datetime) -> list[str]:
        """Every page with ``pending`` or ``sending`` events, the longest-waiting first."""
        with self._tx("listing pages with pending events", write=False) as tx:
            return [str(r[0]) for r in tx.rows(_sql.PENDING_PAGES)]

    def page_stats(self, now: datetime, stranded_after: timedelta) -> list[PageStats]:
        """Per page: unsent events, those waiting longer than ``stranded_after``, dead letters."""
        at = to_us(now)
        with self._tx("reading stats per page", write=False) as tx:
            rows = tx.rows(_sql.PAGE_STATS, (to_us(now - stranded_after),))
        pages: dict[str, dict[str, int]] = {}
        for page, state, count, oldest, old in rows:
            p = pages.setdefault(str(page), {"unsent": 0, "stranded": 0, "dead": 0})
            if state == "dead":
                p["dead"] += int(count)
                continue
            p["unsent"] += int(count)
            p["stranded"] += int(old or 0)
            p["oldest"] = min(p.get("oldest", int(oldest)), int(oldest))
        return [
            PageStats(
                page=page,
                unsent=p["unsent"],
                stranded=p["stranded"],
                dead=p["dead"],
                oldest_unsent_age_s=(at - p["oldest"]) / 1e6 if "oldest" in p else None,
            )
            for page, p in sorted(pages.items())
        ]

    def purge(self, now: datetime, dedup_window: timedelta, keep_sent: timedelta) -> Purged:
        """Delete dedup keys and page marks older than the window, sent events received
        before ``now - keep_sent``, and the registrations of drainers whose process died.
        Pending, sending and dead events are never purged."""
        cutoff = to_us(now - dedup_window)
        with self._tx("purging") as tx:
            keys = tx.run(_sql.PURGE_DEDUP, (cutoff,))
            sent = tx.run(_sql.PURGE_SENT, (to_us(now - keep_sent),))
            marks = tx.run(_sql.PURGE_MARKS, (cutoff,))
            for (worker,) in tx.rows(_sql.DRAINER_IDLE):  # drainers that died holding nothing
                if str(worker) not in self._holding and self._is_dead(tx, str(worker)):
                    tx.run(_sql.DRAINER_GONE, (worker,))
        return Purged(dedup_keys=keys, sent_events=sent, page_marks=marks)

    def mark_pages(self, page_ids: Sequence[str], now: datetime) -> None:
        """Record that ``page_ids`` changed at ``now`` (one row per page, its latest mark).

        A page already marked at ``now`` or later is moved on by a microsecond, so a reader
        that remembers the ``marked_at`` it saw always notices a new mark.
        """
        at = to_us(now)
        unique = sorted(set(page_ids))  # one order for every writer: no PostgreSQL deadlock
        if not unique:
            return
        with self._tx("marking pages changed") as tx:
            for page_id in unique:
                tx.run(_sql.MARK_PAGE, (page_id, at))

    def marked_since(self, since: datetime) -> list[tuple[str, datetime]]:
        """``(page id, marked_at)`` of every page marked at or after ``since``, oldest first."""
        with self._tx("reading page marks", write=False) as tx:
            rows = tx.rows(_sql.MARKED_SINCE, (to_us(since),))
        return [(str(r[0]), from_us(int(r[1]))) for r in rows]

    # -- remembered pages (shards.cache.PageCache) ---------------------------------------

    def load_pages(self, store_key: str) -> dict[str, StoredPage]:
        """Every page copy remembered for the store ``store_key``, by page id."""
        with self._tx("reading remembered pages", write=False) as tx:
            rows = tx.rows(_sql.PAGES_LOAD, (store_key,))
        return {
            str(r[0]): StoredPage(str(r[0]), str(r[4]), str(r[1]), str(r[2]), bool(r[3]))
            for r in rows
        }

    def save_pages(
        self, store_key: str, pages: Sequence[StoredPage], *, written: bool = False
    ) -> None:
        """Remember these page copies (each replaces the page's earlier copy); ``written``:
        this service has just written them (see :meth:`written_at`)."""
        at = to_us(datetime.now(UTC))
        with self._tx("remembering pages") as tx:
            for p in sorted(pages, key=lambda p: p.id):
                tx.run(
                    _sql.PAGES_SAVE,
                    (
                        store_key,
                        p.id,
                        p.version,
                        p.url,
                        int(p.settled),
                        p.text,
                        at,
                        at if written else None,
                    ),
                )

    def written_at(self, store_key: str, page_id: str) -> datetime | None:
        """When this service last wrote the page (None: never, or not remembered)."""
        with self._tx("reading when a page was written", write=False) as tx:
            rows = tx.rows(_sql.PAGES_WRITTEN, (store_key, page_id))
        return from_us(int(rows[0][0])) if rows and rows[0][0] is not None else None

    def forget_pages(self, store_key: str, page_ids: Sequence[str]) -> None:
        """Drop the remembered copies of these pages."""
        with self._tx("forgetting pages") as tx:
            for page_id in sorted(set(page_ids)):
                tx.run(_sql.PAGES_FORGET, (store_key, page_id))

    def close(self) -> None:
        """Close every connection (idempotent); later calls raise OutboxError."""
        if self._holding and not self._closed:
            try:  # a clean exit: these drainers are gone, not dead (best effort)
                with self._tx("unregistering drainers") as tx:
                    for worker in self._holding:
                        tx.run(_sql.DRAINER_GONE, (worker,))
            except OutboxError:
                pass
        self._closed = True
        self._backend.close()


def _event(
    row: Row, *, attempts: int | None = None, state: str | None = None, uncertain: bool = False
) -> OutboxEvent:
    return OutboxEvent(
        id=int(row[0]),
        source=str(row[1]),
        line=str(row[2]),
        log_page=str(row[3]),
        received_at=from_us(int(row[4])),
        attempts=int(row[5]) if attempts is None else attempts,
        state=_STATES[state or str(row[6])],
        last_error=None if row[7] is None else str(row[7]),
        uncertain=uncertain,
    )
