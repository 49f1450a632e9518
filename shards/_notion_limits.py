"""How NotionStore calls Notion: one client-side rate limit, translated errors, retries.

This module retries, with tenacity, and the store turns the SDK's own retries off. Reasons:
the SDK's retries would bypass the client-side rate limiter shared by every call of the store;
it decides by HTTP method (it retries 5xx only for GET/DELETE, never timeouts, 502 or
connection errors), while what matters is whether the *operation* is idempotent — a markdown
replace (PATCH) is, a block append (PATCH) or a page creation (POST) is not; and it sleeps
through any Retry-After up to a minute, where a request path should rather fail fast with
``StoreUnavailable(retry_after=...)``. The policy: 429 is retried for every operation (the
request was not applied) after waiting Retry-After; 5xx, timeouts and connection errors only
for idempotent operations. An append is never retried after a 5xx or a timeout: it may have
been applied, and the caller (the webhook drainer) reconciles with ``tail()``.

Notion's bad minutes: a 529 ``service_overload`` or a 503 that carries Retry-After is waited
out exactly like a 429 (every thread of the store defers); a 5xx or timeout without one backs
off exponentially with jitter (half to all of the step), never longer than
``retry_max_delay_s``. A permanent refusal (:class:`StoreRejected`: 401, 403, 400) is never
retried.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx
import tenacity
from notion_client.errors import NotionClientErrorBase

from shards._notion_errors import rate_limited, translate
from shards.errors import StoreUnavailable

if TYPE_CHECKING:
    from shards.notion import NotionOptions

# The store's logger, as before the split: a retry is part of the store's story.
_log = logging.getLogger("shards.notion")


#: Calls a store may make back to back after a quiet spell, within the average rate. Notion
#: allows "some bursts beyond the average" of 3/s; three lets a drainer that waited out a
#: Retry-After read the page's tail and append at once instead of a third of a second apart.
BURST = 3


class RateLimiter:
    """Keeps calls to ``rate`` per second on average across every thread using it, letting up
    to ``burst`` go back to back after a quiet spell (a token bucket, kept as the time the
    next call would be due at the average rate)."""

    def __init__(
        self,
        rate: float | None,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._slack = self._interval * (max(1, burst) - 1)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._due = 0.0  # when the next call is due at the average rate

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            due = max(self._due, now)
            slot = max(now, due - self._slack)
            self._due = due + self._interval
        if slot > now:
            self._sleep(slot - now)

    def defer(self, seconds: float) -> None:
        """No call before ``seconds`` from now (Notion said 429 with Retry-After)."""
        with self._lock:
            self._due = max(self._due, self._clock() + seconds + self._slack)


def equal_jitter(delay: float) -> float:
    """A delay drawn uniformly from [delay/2, delay]: spread out, never longer than asked."""
    return delay * (0.5 + random.random() / 2)  # noqa: S311 - spacing, not secrecy


class Caller:
    """Makes a store's API calls: through its one limiter, translated, retried per policy."""

    def __init__(
        self, options: NotionOptions, *, jitter: Callable[[float], float] | None = None
    ) -> None:
        self.options = options
        self.limiter = RateLimiter(options.requests_per_second, burst=BURST)
        self._jitter = jitter or equal_jitter

    def __call__(
        self, fn: Callable[[], object], *, action: str, page_id: str | None, idempotent: bool
    ) -> dict[str, Any]:
        """Call ``fn`` (one API call) and return its JSON object, or raise a StoreError."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.options.max_retries + 1),
            retry=tenacity.retry_if_exception(partial(self._may_retry, idempotent=idempotent)),
            wait=self._wait,
            before_sleep=partial(self._log_retry, action),
            reraise=True,
        )
        return retrying(self._attempt, fn, action, page_id)

    def _attempt(
        self, fn: Callable[[], object], action: str, page_id: str | None
    ) -> dict[str, Any]:
        self.limiter.acquire()
        try:
            result = fn()
        except (NotionClientErrorBase, httpx.TransportError) as exc:
            if getattr(exc, "status", None) == 429 and self.options.on_rate_limited is not None:
                self.options.on_rate_limited()
            raise translate(
                exc,
                action,
                page_id,
                timeout_s=self.options.timeout_s,
                base_url=self.options.base_url,
            ) from exc
        if not isinstance(result, dict):
            raise StoreUnavailable(f"Notion answered {action!r} with {type(result).__name__}")
        return result

    def _may_retry(self, exc: BaseException, *, idempotent: bool) -> bool:
        if not isinstance(exc, StoreUnavailable):  # StoreRejected, PageNotFound: for good
            return False
        if exc.retry_after is not None and exc.retry_after > self.options.max_retry_after_s:
            return False
        return idempotent or rate_limited(exc)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, StoreUnavailable) and exc.retry_after is not None:
            self.limiter.defer(exc.retry_after)  # every thread of this store waits too
            return exc.retry_after
        # No Retry-After (a bare 5xx, a timeout): exponential with jitter, so the
        # threads and instances that failed together do not come back together.
        delay = self.options.retry_initial_delay_s * 2.0 ** (state.attempt_number - 1)
        return self._jitter(min(delay, self.options.retry_max_delay_s))

    @staticmethod
    def _log_retry(action: str, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        _log.warning("Notion: %s failed (%s); retrying in %.2f s", action, exc, delay)
