"""The drainer: moves outbox events to their log page, in order, exactly once.

One drainer at a time writes a page (the outbox lease). Each round claims up to ``batch``
events and appends their lines in one :meth:`PageStore.append` (the store splits it into
Notion's 100-block requests). Exactly once across crashes rests on one rule: an event that
was claimed before (``uncertain``, or ``attempts > 1``) may already be on the page, so before
appending, the drainer reads the page's tail and skips the longest prefix of the batch that is
already there. That prefix is the only place earlier writes can be, because a page has one
writer and its lines are appended in order.

When the store fails the outcome is unknown (the write may have landed before the error), so
the events are left claimed; after a backoff (Notion's Retry-After when given) they come back
uncertain and are reconciled. A store that *rejects* an event for good sends it to the dead
letters, reported by ``brain webhooks status`` and replayed by ``brain webhooks retry-dead``.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from functions.webhooks.outbox import Outbox, OutboxEvent
from shards import (
    BrainError,
    ClaudeDelta,
    PageError,
    PageNotFound,
    PageStore,
    StoreRejected,
    StoreUnavailable,
    render_page,
    slugify,
)

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DrainOptions:
    """How the drainer paces itself.

    batch: events per round (Notion takes 100 blocks per append request).
    lease_ttl_s: how long a page stays locked to a drainer that stopped renewing.
    backoff_base_s / backoff_max_s: exponential backoff after a store failure without
        Retry-After.
    idle_wait_s: how long the run loop sleeps when there is nothing to do (a new event
        wakes it at once).
    lines_per_block: pack this many lines into one block (one Notion block each by default;
        more keeps a busy log under Notion's block caps, at the cost of per-line blocks).
    purge_every_s, dedup_window, keep_sent: housekeeping of the outbox.
    """

    batch: int = 100
    lease_ttl_s: float = 60.0
    backoff_base_s: float = 1.0
    backoff_max_s: float = 300.0
    idle_wait_s: float = 1.0
    lines_per_block: int = 1
    purge_every_s: float = 3600.0
    dedup_window: timedelta = timedelta(days=7)
    keep_sent: timedelta = timedelta(days=7)


@dataclass
class DrainResult:
    """What one round did on one page."""

    page: str
    appended: int = 0
    reconciled: int = 0  # found already on the page (a previous attempt had written them)
    dead: int = 0
    failed: int = 0  # left claimed after a store failure; retried after the backoff
    error: str | None = None
    retry_in_s: float | None = None

    @property
    def busy(self) -> bool:
        return bool(self.appended or self.reconciled or self.dead)


@dataclass
class _Backoff:
    until: datetime
    failures: int


@dataclass
class Drainer:
    outbox: Outbox
    store: PageStore
    options: DrainOptions = field(default_factory=DrainOptions)
    clock: Clock = _utc_now
    worker: str = field(default_factory=lambda: f"{os.getpid()}-{uuid.uuid4().hex[:8]}")

    def __post_init__(self) -> None:
        self._backoff: dict[str, _Backoff] = {}
        self._wake = threading.Event()
        self._last_purge: datetime | None = None
        self._known_pages: set[str] = set()

    # -- one round ---------------------------------------------------------------------

    def drain_page(self, page: str) -> DrainResult:
        result = DrainResult(page)
        now = self.clock()
        backoff = self._backoff.get(page)
        if backoff and now < backoff.until:
            result.retry_in_s = (backoff.until - now).total_seconds()
            return result
        if not self.outbox.acquire_lease(page, self.worker, self.options.lease_ttl_s, now):
            return result
        events = self.outbox.claim(page, self.worker, self.options.batch, now)
        if not events:
            return result
        try:
            todo = self._skip_written(page, events, result)
            if todo:
                self._ensure_page(page)
                self._append(page, todo, result)
        except StoreUnavailable as exc:  # a read before (or between) the appends failed
            self._fail(page, events, exc, result)
        if result.error is None:
            self._backoff.pop(page, None)
        return result

    def drain(self, pages: Iterable[str]) -> list[DrainResult]:
        """Rounds on every page until each is empty or backing off."""
        results = []
        for page in pages:
            while True:
                result = self.drain_page(page)
                results.append(result)
                if not result.busy or result.error:
                    break
        return results

    def _skip_written(
        self, page: str, events: Sequence[OutboxEvent], result: DrainResult
    ) -> list[OutboxEvent]:
        """Mark sent what an earlier attempt already put on the page; return the rest.

        The events that may be written are those claimed before (in id order: the order the
        earlier attempt appended them in). They need not be the batch's head: a replayed dead
        letter keeps its old id and so comes first, ahead of a dead drainer's claims.
        """
        maybe = [e for e in events if _maybe_written(e)]
        done = self._reconcile(page, maybe) if maybe else 0
        if not done:
            return list(events)
        written = {e.id for e in maybe[:done]}
        self.outbox.mark_sent([e.id for e in maybe[:done]], self.worker)
        result.reconciled += done
        return [e for e in events if e.id not in written]

    def _reconcile(self, page: str, events: Sequence[OutboxEvent]) -> int:
        """How many of ``events`` (a prefix) are already the last lines of the page."""
        tail: list[str] = []
        for block in self.store.tail(page, len(events)):
            tail.extend(block.split("\n"))
        lines = [e.line for e in events]
        for n in range(min(len(lines), len(tail)), 0, -1):
            if tail[-n:] == lines[:n]:
                log.info("log page %s: %d event(s) were already on the page", page, n)
                return n
        return 0

    def _ensure_page(self, page: str) -> None:
        """Give a new log page a ``page_type: log`` header, so the index sync skips it."""
        if page in self._known_pages:
            return
        try:
            self.store.read(page)
        except PageNotFound:
            header = ClaudeDelta(
                page_type="log",
                id=slugify(page),
                title=f"Webhook log {page}",
                summary="One line per verified webhook event, appended by the webhook logger",
            )
            self.store.write(page, render_page(header, ""))
        except BrainError:
            pass  # unreadable as a whole (a huge Notion log): appending still works
        self._known_pages.add(page)

    def _append(self, page: str, events: Sequence[OutboxEvent], result: DrainResult) -> None:
        per = self.options.lines_per_block
        lines = [e.line for e in events]
        blocks = ["\n".join(lines[i : i + per]) for i in range(0, len(lines), per)]
        # Renew the lease right before writing: a round slowed by reconciliation or retries
        # must not append after another drainer took the page over.
        if not self.outbox.acquire_lease(page, self.worker, self.options.lease_ttl_s, self.clock()):
            result.error = "lease lost before appending; the events come back uncertain"
            return
        try:
            self.store.append(page, blocks)
        except (StoreRejected, PageError) as exc:
            if len(events) > 1:
                # The requests before the refused one may have landed (a store sends 100
                # blocks per request): skip what is on the page, then find the event the
                # store refuses, one at a time.
                landed = self._reconcile(page, events)
                if landed:
                    self.outbox.mark_sent([e.id for e in events[:landed]], self.worker)
                    result.appended += landed
                for event in events[landed:]:
                    self._append(page, [event], result)
                    if result.error:
                        return
                return
            self.outbox.dead_letter(events[0].id, self.worker, f"{exc.code}: {exc.message}")
            log.error("log page %s: event %d rejected for good: %s", page, events[0].id, exc)
            result.dead += 1
            return
        except StoreUnavailable as exc:
            self._fail(page, events, exc, result)
            return
        self.outbox.mark_sent([e.id for e in events], self.worker)
        result.appended += len(events)

    def _fail(
        self, page: str, events: Sequence[OutboxEvent], exc: StoreUnavailable, result: DrainResult
    ) -> None:
        # The write may have landed: leave the events claimed so they come back uncertain.
        previous = self._backoff.get(page)
        failures = (previous.failures if previous else 0) + 1
        delay = exc.retry_after
        if delay is None:
            delay = min(
                self.options.backoff_max_s, self.options.backoff_base_s * 2 ** (failures - 1)
            )
        now = self.clock()
        self._backoff[page] = _Backoff(now + timedelta(seconds=delay), failures)
        # Hold the lease for the backoff, no longer: another drainer (another process on the
        # same integration, same rate limit) must wait out the Retry-After too; after it, this
        # or any drainer may claim.
        self.outbox.acquire_lease(page, self.worker, delay, now)
        result.failed += len(events)
        result.error = f"{exc.code}: {exc.message}"
        result.retry_in_s = delay
        log.warning("log page %s unavailable (%s); retrying in %.1fs", page, exc.message, delay)

    # -- the loop ----------------------------------------------------------------------

    def wake(self) -> None:
        """Called when an event is accepted: drain now rather than after the idle wait."""
        self._wake.set()

    def run(self, pages: Callable[[], Iterable[str]], stop: threading.Event) -> None:
        """Drain until ``stop`` is set; never raises (errors are logged and retried)."""
        while not stop.is_set():
            busy = False
            try:
                busy = any(r.busy for r in self.drain(pages()))
                self._housekeeping()
            except Exception:  # the loop must survive anything; the outbox keeps the events
                log.exception("drainer round failed; retrying")
            if not busy:
                self._wake.wait(self.options.idle_wait_s)
                self._wake.clear()
        self._release_leases(pages)

    def _release_leases(self, pages: Callable[[], Iterable[str]]) -> None:
        """On a clean stop, free the pages at once: a restarted process (a new worker id)
        would otherwise wait out the lease. A page in backoff keeps its lease until then."""
        try:
            now = self.clock()
            for page in pages():
                backoff = self._backoff.get(page)
                if backoff is None or backoff.until <= now:
                    self.outbox.release_lease(page, self.worker)
        except Exception:  # stopping anyway; the leases expire by themselves
            log.warning("could not release the drainer's leases on stop", exc_info=True)

    def _housekeeping(self) -> None:
        now = self.clock()
        if (
            self._last_purge
            and (now - self._last_purge).total_seconds() < self.options.purge_every_s
        ):
            return
        self._last_purge = now
        self.outbox.purge(now, self.options.dedup_window, self.options.keep_sent)


def _maybe_written(event: OutboxEvent) -> bool:
    return event.uncertain or event.attempts > 1
