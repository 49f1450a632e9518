"""Notion's failures as StoreErrors: what each one means for the caller, and what to do.

``translate`` maps a notion-client or httpx error to :class:`StoreUnavailable` (try again
later), :class:`StoreRejected` (retrying will not help) or :class:`PageNotFound`; the caller
raises the result ``from`` the original, which :func:`rate_limited` reads back.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import httpx
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from shards.errors import PageNotFound, StoreError, StoreRejected, StoreUnavailable

SHARE_HINT = (
    "If the page exists, share it with the integration: open it (or the root page) in Notion, "
    "••• → Connections → add the integration."
)


def translate(
    exc: Exception, action: str, page_id: str | None, *, timeout_s: float, base_url: str
) -> StoreError:
    """The StoreError for ``exc``, raised while Notion was asked to ``action`` ("read the page")."""
    what = f"Notion could not {action}" + (f" (page {page_id!r})" if page_id else "")
    if isinstance(exc, RequestTimeoutError | httpx.TimeoutException):
        return StoreUnavailable(
            f"{what}: no answer within {timeout_s:g} s",
            page_id=page_id,
            hint="Notion is slow or down (https://status.notion.so); try again later.",
        )
    if isinstance(exc, httpx.TransportError):
        return StoreUnavailable(
            f"{what}: cannot reach {base_url}: {exc}",
            page_id=page_id,
            hint="Check the network connection and the Notion base URL.",
        )
    if not isinstance(exc, HTTPResponseError):
        return StoreRejected(f"{what}: {exc}", page_id=page_id)
    status, said = exc.status, str(exc)
    if status == 429:
        return StoreUnavailable(
            f"{what}: Notion is rate limiting this integration (HTTP 429: {said})",
            page_id=page_id,
            retry_after=retry_after(exc.headers),
            hint="Try again later; lower requests_per_second if this keeps happening.",
        )
    if status == 404:
        return PageNotFound(
            f"{what}: Notion has no such page visible to the integration ({said})",
            page_id=page_id,
            hint=SHARE_HINT,
        )
    if status == 401:
        return StoreRejected(
            f"{what}: Notion rejected the integration token (HTTP 401: {said})",
            page_id=page_id,
            status=401,
            hint="Set a valid internal integration secret; copy it from "
            "https://www.notion.so/profile/integrations.",
        )
    if status == 403:
        return StoreRejected(
            f"{what}: the integration may not do this (HTTP 403: {said})",
            page_id=page_id,
            status=403,
            hint="Share the page with the integration (••• → Connections) and give the "
            "integration read, update and insert content capabilities.",
        )
    if status == 409 or status >= 500:
        # 529 service_overload and 503 come with Retry-After in bad minutes: honoured like 429.
        return StoreUnavailable(
            f"{what}: Notion answered HTTP {status} ({said})",
            page_id=page_id,
            retry_after=retry_after(exc.headers),
            hint="Notion is having trouble (https://status.notion.so); try again later.",
        )
    if status == 400 and "archived" in said:
        # Notion answers a write to a trashed page 400; it is the page that is gone (410).
        return StoreRejected(
            f"{what}: the page is in Notion's trash (HTTP 400: {said})",
            page_id=page_id,
            status=410,
            hint="Restore the page from Notion's trash (or configure another page), then "
            "replay what failed ('brain webhooks retry-dead' for the webhook log).",
        )
    return StoreRejected(
        f"{what}: Notion refused the request (HTTP {status}: {said})",
        page_id=page_id,
        status=status,
        hint="Retrying will not help: the request breaks a Notion rule or limit.",
    )


def rate_limited(exc: BaseException) -> bool:
    """Whether Notion answered 429: the request was refused before it did anything.

    A 529 or 503 is not taken as proof: its Retry-After is honoured like a 429's, but an
    append answered so may have been applied, so the drainer reconciles with ``tail()``.
    """
    return getattr(exc.__cause__, "status", None) == 429


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds from a Retry-After header (Notion sends integer seconds; dates are allowed)."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, float(parsedate_to_datetime(value).timestamp()) - time.time())
    except (TypeError, ValueError):
        return None


def append_failure(
    exc: StoreUnavailable | StoreRejected, page_id: str, stored: int, total: int, sent: int
) -> StoreUnavailable | StoreRejected:
    """The error for a failed append request, saying what may be on the page now."""
    applied_maybe = not isinstance(exc, StoreRejected) and not rate_limited(exc)
    if stored == 0 and not applied_maybe:
        return exc  # nothing reached the page: the plain error says it all
    fate = "may or may not have been applied" if applied_maybe else "was not applied"
    message = (
        f"append to Notion page {page_id!r} failed after {stored} of {total} lines were "
        f"stored; the failed request ({sent} lines) {fate}: {exc.message}"
    )
    hint = "Compare tail() with the lines before sending any again; never resend blindly."
    if isinstance(exc, StoreRejected):
        return StoreRejected(message, page_id=page_id, status=exc.status, hint=hint)
    return StoreUnavailable(message, page_id=page_id, retry_after=exc.retry_after, hint=hint)
