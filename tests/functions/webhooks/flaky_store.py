"""A page store with injected failures, for the drainer's tests (and the benchmark's baseline).

:class:`FlakyStore` wraps a real :class:`~shards.LocalFolderStore` and behaves like a log page
on a remote API:

- every call (``read``, ``write``, ``tail``, each append *request*) is one request; an append
  of more than ``blocks_per_request`` blocks is sent as several requests, in order, like
  Notion's 100 children per append, so a failure can land after some of them were applied;
- ``requests_per_second`` is a limiter over a one-second window of the injected clock (never
  real time): a request over the limit is refused before anything happens, with
  ``StoreUnavailable(retry_after=<seconds until the window frees>)``, Notion's 429;
- :meth:`fail_next` refuses the next append requests with ``StoreUnavailable``, before the
  write or *after* it (the write landed, the client never learned: a timeout or a 502);
- ``reject`` is a predicate on lines: an append request holding a matching line is refused
  for good with ``StoreRejected`` (nothing of that request is applied);
- :meth:`crash_next` raises :class:`Crash`, a ``BaseException`` nothing in the service
  catches, before or after the write, to stand for the drainer's process dying right there;
- ``on_request`` is called with each request's operation name just before it runs (tests
  use it to run a second drainer in the middle of an append).

:attr:`requests` records every request with its clock time and outcome.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shards import PageRef, PageStore, StoredPage, StoreRejected, StoreUnavailable

__all__ = ["Crash", "FakeClock", "FlakyStore", "Request"]


class Crash(BaseException):
    """The drainer's process dies here: nothing after this point runs."""


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 5, 21, 2, 54, 44, 452000, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@dataclass(frozen=True)
class Request:
    """One request as the store saw it."""

    op: str  # read | write | tail | append
    page: str
    at: datetime
    outcome: str  # ok | limited | failed | failed_after_write | rejected | crash...
    blocks: int = 0
    retry_after: float | None = None


@dataclass
class _Fault:
    kind: str  # "fail" | "crash"
    after_write: bool
    retry_after: float | None = None


class FlakyStore:
    """A :class:`shards.PageStore` over ``inner`` with injected failures (module docstring)."""

    def __init__(
        self,
        inner: PageStore,
        clock: Callable[[], datetime],
        *,
        requests_per_second: int | None = None,
        blocks_per_request: int = 100,
        reject: Callable[[str], bool] | None = None,
    ) -> None:
        self.inner = inner
        self.clock = clock
        self.requests_per_second = requests_per_second
        self.blocks_per_request = blocks_per_request
        self.reject = reject
        self.on_request: Callable[[str], None] | None = None
        self.requests: list[Request] = []
        self._window: collections.deque[datetime] = collections.deque()
        self._faults: list[_Fault | None] = []
        self._crash_tail = False

    # -- fault injection -----------------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        *,
        after_write: bool = False,
        retry_after: float | None = None,
        skip: int = 0,
    ) -> None:
        """Refuse the next ``n`` append requests (after applying them, with ``after_write``),
        once ``skip`` append requests went through."""
        self._faults.extend([None] * skip)
        self._faults.extend(_Fault("fail", after_write, retry_after) for _ in range(n))

    def crash_next(self, *, after_write: bool = False, in_tail: bool = False) -> None:
        """Die in the next append request (before or after its write), or the next tail."""
        if in_tail:
            self._crash_tail = True
        else:
            self._faults.append(_Fault("crash", after_write))

    def clear_faults(self) -> None:
        self._faults.clear()
        self._crash_tail = False
        self.reject = None

    @property
    def appended_requests(self) -> list[Request]:
        """The append requests that were applied (whatever the client was told)."""
        return [
            r
            for r in self.requests
            if r.op == "append" and r.outcome in ("ok", "failed_after_write", "crash_after_write")
        ]

    # -- the protocol ----------------------------------------------------------------------

    def list_pages(self) -> list[PageRef]:
        return self.inner.list_pages()

    def read(self, page_id: str) -> StoredPage:
        self._admit("read", page_id)
        return self.inner.read(page_id)

    def write(self, page_id: str, text: str) -> PageRef:
        self._admit("write", page_id)
        return self.inner.write(page_id, text)

    def tail(self, page_id: str, count: int) -> list[str]:
        if self._crash_tail:
            self._crash_tail = False
            self._record("tail", page_id, "crash")
            raise Crash("the drainer died while reading the page's tail")
        self._admit("tail", page_id)
        return self.inner.tail(page_id, count)

    def url(self, page_id: str) -> str:
        return self.inner.url(page_id)

    def append(self, page_id: str, lines: Sequence[str]) -> None:
        step = self.blocks_per_request
        for start in range(0, len(lines), step):
            self._append_request(page_id, list(lines[start : start + step]))

    # -- helpers -------------------------------------------------------------------------

    def _append_request(self, page_id: str, blocks: list[str]) -> None:
        n = len(blocks)
        self._admit("append", page_id, blocks=n)  # records "ok" below once it is applied
        fault = self._faults.pop(0) if self._faults else None
        if fault is not None and not fault.after_write:
            self._outcome(fault, "", n)
            if fault.kind == "crash":
                raise Crash("the drainer died before its append reached the page")
            raise StoreUnavailable(
                f"injected failure: append to {page_id!r} not applied",
                page_id=page_id,
                retry_after=fault.retry_after,
            )
        if self.reject is not None and any(
            self.reject(line) for block in blocks for line in block.split("\n")
        ):
            self.requests[-1] = _replace(self.requests[-1], "rejected")
            raise StoreRejected(
                f"injected rejection: a line in this append to {page_id!r} is refused for good",
                page_id=page_id,
                status=400,  # a validation error: that line, not the page or the token
            )
        self.inner.append(page_id, blocks)
        if fault is None:
            return
        self._outcome(fault, "_after_write", n)
        if fault.kind == "crash":
            raise Crash("the drainer died after its append reached the page, before it learnt so")
        raise StoreUnavailable(
            f"injected failure after the write: append to {page_id!r} was applied",
            page_id=page_id,
            retry_after=fault.retry_after,
        )

    def _admit(self, op: str, page_id: str, *, blocks: int = 0) -> None:
        if self.on_request is not None:
            self.on_request(op)
        now = self.clock()
        limit = self.requests_per_second
        if limit is not None:
            while self._window and self._window[0] <= now - timedelta(seconds=1):
                self._window.popleft()
            if len(self._window) >= limit:
                wait = (self._window[0] + timedelta(seconds=1) - now).total_seconds()
                self._record(op, page_id, "limited", blocks, retry_after=wait)
                raise StoreUnavailable(
                    f"rate limited: more than {limit} requests in one second",
                    page_id=page_id,
                    retry_after=wait,
                )
            self._window.append(now)
        self._record(op, page_id, "ok", blocks)

    def _outcome(self, fault: _Fault, suffix: str, blocks: int) -> None:
        outcome = ("failed" if fault.kind == "fail" else "crash") + suffix
        self.requests[-1] = _replace(self.requests[-1], outcome, fault.retry_after)

    def _record(
        self,
        op: str,
        page_id: str,
        outcome: str,
        blocks: int = 0,
        *,
        retry_after: float | None = None,
    ) -> None:
        self.requests.append(Request(op, page_id, self.clock(), outcome, blocks, retry_after))


def _replace(request: Request, outcome: str, retry_after: float | None = None) -> Request:
    return Request(request.op, request.page, request.at, outcome, request.blocks, retry_after)
