"""The drainer: moves outbox events to their log page, in order, exactly once.

One drainer at a time writes a page (the outbox lease). Each round claims up to ``batch``
events and appends their lines in one :meth:`PageStore.append` (the store splits it into
Notion's 100-block requests). Exactly once across crashes rests on one rule: an event that
was claimed before (``uncertain``, or ``attempts > 1``) may already be on the page, so before
appending, the drainer reads the page's tail and skips the longest prefix of the batch that is
already there. That prefix is the only place earlier writes can be, because a page has one
writer and its lines are appended in order.

Which pages: the outbox says which pages have work (:meth:`Outbox.pending_pages`), so events
for a renamed log page, an older month or a replayed dead letter are drained like any other.

Failures are of two kinds (siblings in the error tree, :mod:`shards.errors`):

- **Transient** (:class:`StoreUnavailable`: 429, 529, 503, other 5xx, timeouts). The outcome
  is unknown (the write may have landed before the error), so the events are left claimed;
  after a backoff they come back uncertain and are reconciled. A fault that says how long to
  wait (Retry-After) is waited exactly that long, never longer; one that does not backs off
  exponentially with jitter; the first success resets the backoff.
- **Permanent** (:class:`StoreRejected`: a revoked token 401, 403, a 400 validation error;
  :class:`PageNotFound`: a log page deleted or unshared). Retrying cannot help, so the events
  become dead letters carrying the reason, reported per page by ``brain webhooks status`` and
  replayed by ``brain webhooks retry-dead`` once the cause is fixed. A refusal of one line
  (400, a line the store cannot hold) dead-letters that line only; a refusal of the page or
  the token dead-letters the claimed batch. A replayed dead letter is reconciled with the
  page's tail before it is appended again (it carries its last error), so nothing doubles.
"""

from __future__ import annotations

import logging
import os
import random
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
    backoff_base_s / backoff_max_s: exponential backoff (with jitter: half to all of the
        step) after consecutive store failures that carry no Retry-After. A failure with
        Retry-After waits exactly that long and ends the streak; a success resets it too.
    idle_wait_s: how long the run loop sleeps when there is nothing to do (a new event
        wakes it at once).
    lines_per_block: pack this many lines into one block (one Notion block each by default;
        more keeps a busy log under Notion's block caps, at the cost of per-line blocks).
    purge_every_s, dedup_window, keep_sent: housekeeping of the outbox.
    """

    batch: int = 100
    lease_ttl_s: float = 60.0
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
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
    done: set[int] = field(default_factory=set, repr=False)  # ids sent, reconciled or dead

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
    jitter: Callable[[float], float] = field(default=lambda d: _jitter(d))

    def __post_init__(self) -> None:
        self._backoff: dict[str, _Backoff] = {}
        self._wake = threading.Event()
        self._last_purge: datetime | None = None
        self._known_pages: set[str] = set()
        self._leased: set[str] = set()  # pages this drainer took a lease on

    # -- one round ---------------------------------------------------------------------

    def drain_page(self, page: str) -> DrainResult:
        result = DrainResult(page)
        now = self.clock()
        backoff = self._backoff.get(page)
        if backoff and now < backoff.until:
            result.retry_in_s = (backoff.until - now).total_seconds()
            return result
        self.outbox.hold(self.worker)  # the OS lock that tells others this drainer lives
        if not self.outbox.acquire_lease(page, self.worker, self.options.lease_ttl_s, now):
            return result
        self._leased.add(page)
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
        except (StoreRejected, PageNotFound) as exc:  # the page or the token, for good
            still = [e for e in events if e.id not in result.done]
            self._dead(page, still, exc, result)
        if result.error is None:
            self._backoff.pop(page, None)  # a success resets the backoff
        return result

    def pages(self) -> list[str]:
        """The pages the outbox holds due work for (events of any age, any page name)."""
        return self.outbox.pending_pages(self.clock())

    def drain(self, pages: Iterable[str] | None = None) -> list[DrainResult]:
        """Rounds on every page (default: every page with pending work) until each is
        empty or backing off."""
        results = []
        for page in self.pages() if pages is None else pages:
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
        start, done = self._reconcile(page, maybe, anywhere=True) if maybe else (0, 0)
        if not done:
            return list(events)
        found = maybe[start : start + done]
        written = {e.id for e in found}
        self.outbox.mark_sent([e.id for e in found], self.worker)
        result.reconciled += done
        result.done.update(written)
        return [e for e in events if e.id not in written]

    def _reconcile(
        self, page: str, events: Sequence[OutboxEvent], *, anywhere: bool = False
    ) -> tuple[int, int]:
        """``(start, n)``: ``events[start:start + n]`` are the last lines of the page.

        Without ``anywhere`` only a prefix counts (``start`` is 0): the events of one append.
        With it the run may start later: replayed dead letters (older ids, first in line)
        that never reached the page come before a dead drainer's claims that did.
        """
        tail: list[str] = []
        for block in self.store.tail(page, len(events)):
            tail.extend(block.split("\n"))
        lines = [e.line for e in events]
        best = (0, 0)
        for start in range(len(lines) if anywhere else 1):
            for n in range(min(len(lines) - start, len(tail)), best[1], -1):
                if tail[-n:] == lines[start : start + n]:
                    best = (start, n)
                    break
        if best[1]:
            log.info("log page %s: %d event(s) were already on the page", page, best[1])
        return best

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
        except StoreUnavailable as exc:
            self._fail(page, events, exc, result)
            return
        except (StoreRejected, PageNotFound, PageError) as exc:
            if not _refuses_a_line(exc):
                raise  # the page or the token: drain_page dead-letters what is left
            if len(events) > 1:
                # The requests before the refused one may have landed (a store sends 100
                # blocks per request): skip what is on the page, then find the event the
                # store refuses, one at a time.
                _, landed = self._reconcile(page, events)
                if landed:
                    self.outbox.mark_sent([e.id for e in events[:landed]], self.worker)
                    result.appended += landed
                    result.done.update(e.id for e in events[:landed])
                for event in events[landed:]:
                    self._append(page, [event], result)
                    if result.error:
                        return
                return
            self._dead(page, events, exc, result)
            return
        self.outbox.mark_sent([e.id for e in events], self.worker)
        result.appended += len(events)
        result.done.update(e.id for e in events)

    def _dead(
        self, page: str, events: Sequence[OutboxEvent], exc: BrainError, result: DrainResult
    ) -> None:
        """Retrying cannot help: the events become dead letters that carry the reason."""
        reason = f"{exc.code}: {exc.message}" + (f" {exc.hint}" if exc.hint else "")
        dead = sum(self.outbox.dead_letter(e.id, self.worker, reason) for e in events)
        result.dead += dead
        result.done.update(e.id for e in events)
        log.error(
            "log page %s: %d event(s) dead-lettered, the store refused for good: %s "
            "(fix the cause, then run 'brain webhooks retry-dead')",
            page,
            dead,
            exc,
        )

    def _fail(
        self, page: str, events: Sequence[OutboxEvent], exc: StoreUnavailable, result: DrainResult
    ) -> None:
        # The write may have landed: leave the events claimed so they come back uncertain.
        previous = self._backoff.get(page)
        failures = previous.failures if previous else 0
        delay = exc.retry_after
        if delay is None:  # no word from the store: back off, further each time, jittered
            failures += 1
            step = self.options.backoff_base_s * 2 ** (failures - 1)
            delay = self.jitter(min(self.options.backoff_max_s, step))
        else:  # the store answered and said how long: a streak of silent faults is over
            failures = 0
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

    def run(self, pages: Callable[[], Iterable[str]] | None, stop: threading.Event) -> None:
        """Drain until ``stop`` is set; never raises (errors are logged and retried).
        ``pages`` None (the service) drains every page the outbox has work for."""
        while not stop.is_set():
            busy = False
            try:
                busy = any(r.busy for r in self.drain(None if pages is None else pages()))
                self._housekeeping()
            except Exception:  # the loop must survive anything; the outbox keeps the events
                log.exception("drainer round failed; retrying")
            if not busy:
                self._wake.wait(self._idle_wait())
                self._wake.clear()
        self._release_leases()

    def _idle_wait(self) -> float:
        """The idle wait, cut short when a backoff ends sooner: never idle past a fault."""
        now = self.clock()
        ends = [(b.until - now).total_seconds() for b in self._backoff.values()]
        return max(0.0, min([self.options.idle_wait_s, *ends]))

    def _release_leases(self) -> None:
        """On a clean stop, free the pages at once: a restarted process (a new worker id)
        would otherwise wait out the lease. A page in backoff keeps its lease until then."""
        try:
            now = self.clock()
            for page in sorted(self._leased):
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


def _jitter(delay: float) -> float:
    """Half to all of ``delay``: drainers that failed together come back apart."""
    return delay * (0.5 + random.random() / 2)  # noqa: S311 - spacing, not secrecy


def _maybe_written(event: OutboxEvent) -> bool:
    """Claimed before, or failed before (a replayed dead letter): it may be on the page."""
    return event.uncertain or event.attempts > 1 or event.last_error is not None


def _refuses_a_line(exc: BrainError) -> bool:
    """A refusal of what was sent (a 400, a line the store cannot hold), not of the page or
    the token: the other lines of the batch may still go."""
    if isinstance(exc, PageError):
        return True
    return isinstance(exc, StoreRejected) and exc.status in (400, 413)
