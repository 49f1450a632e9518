"""NotionStore: pages kept in Notion, through the official ``notion-client``.

Pages are the child pages of one root page. A page id is either a Notion page id (32 hex
digits, with or without dashes; always returned dashed and lower case) or a page *name*: the
title of a child page of the root, which ``write`` and ``append`` create when missing. So the
router can keep calling its log page ``"log"`` and the ids from ``list_pages`` still work.

Reads use Notion's markdown endpoint (a page that comes back truncated is an error, never a
silently short page); ``write`` replaces the page's content with markdown; ``append`` adds one
paragraph block per line, batched to Notion's limits; ``tail`` reads the paragraph blocks.

Versions are ``last_edited_time``. Notion rounds it to the minute, so two edits within a
minute share one; a page edited less than ``version_settle_s`` ago therefore gets a version
that differs on every call, and readers re-read it until its minute is safely over.

Retries: this module retries, with tenacity, and turns the SDK's own retries off. Reasons:
the SDK's retries would bypass the client-side rate limiter shared by every call of the store;
it decides by HTTP method (it retries 5xx only for GET/DELETE, never timeouts, 502 or
connection errors), while what matters is whether the *operation* is idempotent — a markdown
replace (PATCH) is, a block append (PATCH) or a page creation (POST) is not; and it sleeps
through any Retry-After up to a minute, where a request path should rather fail fast with
``StoreUnavailable(retry_after=...)``. The policy: 429 is retried for every operation (the
request was not applied) after waiting Retry-After; 5xx, timeouts and connection errors only
for idempotent operations. An append is never retried after a 5xx or a timeout: it may have
been applied, and the caller (the webhook drainer) reconciles with ``tail()``.
"""

from __future__ import annotations

import collections
import functools
import json
import logging
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, TypeVar

import httpx
import notion_client
import tenacity
from notion_client.client import ClientOptions
from notion_client.errors import HTTPResponseError, NotionClientErrorBase, RequestTimeoutError

from shards.errors import PageError, PageNotFound, StoreError, StoreRejected, StoreUnavailable
from shards.store import PageRef, StoredPage

__all__ = ["NOTION_API_URL", "NotionOptions", "NotionStore"]

NOTION_API_URL = "https://api.notion.com"

# Notion's documented request limits (https://developers.notion.com/reference/request-limits).
# Text lengths are in UTF-16 code units, as Notion (JavaScript) counts them.
MAX_CHILDREN_PER_APPEND = 100
MAX_RICH_TEXT_PER_BLOCK = 100
MAX_TEXT_PER_RICH_TEXT = 2000
MAX_PAGE_SIZE = 100
MAX_LINE_UNITS = MAX_RICH_TEXT_PER_BLOCK * MAX_TEXT_PER_RICH_TEXT
# A request may carry 500 KB; keep each append below that with room for the JSON envelope.
PAYLOAD_BUDGET_BYTES = 450_000
MAX_LINE_BYTES = 400_000

_UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.I)
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_NAME = 200
_SHARE_HINT = (
    "If the page exists, share it with the integration: open it (or the root page) in Notion, "
    "••• → Connections → add the integration."
)

_log = logging.getLogger(__name__)
_sdk_log = logging.getLogger(f"{__name__}.sdk")
_T = TypeVar("_T")


@dataclass(frozen=True)
class NotionOptions:
    """How to reach Notion and how hard to try."""

    token: str = field(repr=False)
    """The integration secret (``ntn_...``); never shown in a repr."""
    root_page_id: str
    """The page whose child pages are the store, shared with the integration."""
    base_url: str = NOTION_API_URL
    """The API's root URL (tests point it at a loopback fake)."""
    requests_per_second: float | None = 3.0
    """Client-side limit shared by every call of the store (Notion's average is 3/s); None: off."""
    timeout_s: float = 30.0
    """Per-request timeout."""
    max_retries: int = 3
    """Retries after the first attempt, for the failures that may be retried (module docstring)."""
    retry_initial_delay_s: float = 0.5
    """First back-off delay when Notion gives no Retry-After; doubles per attempt."""
    retry_max_delay_s: float = 8.0
    """Cap on the back-off delay."""
    max_retry_after_s: float = 30.0
    """A 429 asking to wait longer than this is raised (``retry_after`` set) instead of slept."""
    version_settle_s: float = 120.0
    """Pages edited less than this ago get a fresh version on every call (minute rounding)."""


class NotionStore:
    """A :class:`shards.store.PageStore` over the child pages of one Notion page."""

    def __init__(
        self,
        options: NotionOptions,
        *,
        client: notion_client.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """No network here. An injected ``client`` is used as is (build it with ``retry=False``,
        or its retries stack on ours) and is not closed by :meth:`close`."""
        if not options.token and client is None:
            raise StoreRejected(
                "no Notion integration token",
                hint="Set the secret of an internal integration "
                "(https://www.notion.so/profile/integrations).",
            )
        root = _normalize_id(options.root_page_id)
        if root is None:
            raise StoreRejected(
                f"root_page_id {options.root_page_id!r} is not a Notion page id",
                hint="Use the 32 hex digits at the end of the root page's URL.",
            )
        self.options = options
        self.root_page_id = root
        self._clock = clock
        self._owns_client = client is None
        self._client = client or notion_client.Client(
            client=httpx.Client(verify=_tls_context()),
            options=ClientOptions(
                auth=options.token,
                base_url=options.base_url.rstrip("/"),
                timeout_ms=int(options.timeout_s * 1000),
                retry=False,  # we retry (module docstring)
                logger=_sdk_log,
            ),
        )
        self._limiter = _RateLimiter(options.requests_per_second)
        self._lock = threading.Lock()
        self._create_lock = threading.Lock()
        self._names: dict[str, str] = {}  # child page title -> id
        self._urls: dict[str, str] = {}  # page id -> url, from page objects seen

    def close(self) -> None:
        """Close the HTTP connection pool (only when this store built the client)."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> NotionStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------

    def list_pages(self) -> list[PageRef]:
        """The root's child pages: one request per 100 children, then one per page (the
        version and url live on the page object), so at 3 requests/s 60 pages take ~20 s."""
        names: dict[str, str] = {}
        refs = []
        try:
            children = list(self._children(self.root_page_id, self.root_page_id))
        except PageNotFound as exc:
            raise StoreRejected(
                f"the root page {self.root_page_id} is not visible to the Notion integration",
                page_id=self.root_page_id,
                hint=_SHARE_HINT,
            ) from exc
        for block in children:
            if block.get("type") != "child_page":
                continue
            names.setdefault(block["child_page"]["title"], block["id"])
            try:
                page = self._retrieve(block["id"], block["id"])
            except PageNotFound:  # deleted since the listing
                continue
            if not _trashed(page):
                refs.append(PageRef(page["id"], self._version(page), page["url"]))
        with self._lock:
            self._names = names
        return sorted(refs, key=lambda ref: ref.id)

    def read(self, page_id: str) -> StoredPage:
        target = self._resolve(page_id, create=False)
        if target is None:
            raise self._missing(page_id)
        # The version is read before the text: an edit in between leaves the version older
        # than the text, so the next listing shows a change and the reader reads again.
        page = self._retrieve(target, page_id)
        if _trashed(page):
            raise self._missing(page_id)
        result = self._call(
            partial(self._client.pages.retrieve_markdown, target),
            action="read the page as markdown",
            page_id=page_id,
            idempotent=True,
        )
        if result.get("truncated"):
            unknown = len(result.get("unknown_block_ids") or [])
            raise PageError(
                f"the page is too large for Notion's markdown endpoint ({unknown} blocks were "
                "left out of the answer)",
                page_id=page_id,
                hint="Split it into smaller pages (Notion renders about 20,000 blocks); a "
                "truncated page is never returned.",
            )
        return StoredPage(page["id"], str(result["markdown"]), self._version(page), page["url"])

    def tail(self, page_id: str, count: int) -> list[str]:
        """Reads every child block, 100 per request: a page of N blocks costs N/100 calls."""
        if count <= 0:
            return []
        target = self._resolve(page_id, create=False)
        if target is None:
            return []
        last: collections.deque[str] = collections.deque(maxlen=count)
        try:
            for block in self._children(target, page_id):
                if block.get("type") == "paragraph":
                    text = "".join(
                        rt.get("plain_text", "") for rt in block["paragraph"]["rich_text"]
                    )
                    if text:
                        last.append(text)
        except PageNotFound:
            return []
        return list(last)

    def url(self, page_id: str) -> str:
        target = _normalize_id(page_id) or self._resolve(page_id, create=False)
        if target is None:
            raise self._missing(page_id)
        with self._lock:
            known = self._urls.get(target)
        return known or f"https://www.notion.so/{target.replace('-', '')}"

    # -- writing -------------------------------------------------------------------------

    def write(self, page_id: str, text: str) -> PageRef:
        """Replace the page's content with ``text`` (markdown); create the page by name."""

        def replace(target: str) -> PageRef:
            self._call(
                partial(
                    self._client.pages.update_markdown,
                    target,
                    type="replace_content",
                    replace_content={"new_str": _clean(text)},
                ),
                action="replace the page's markdown",
                page_id=page_id,
                idempotent=True,  # the same replacement twice leaves the same page
            )
            page = self._retrieve(target, page_id)
            return PageRef(page["id"], self._version(page), page["url"])

        return self._on_page(page_id, replace)

    def append(self, page_id: str, lines: Sequence[str]) -> None:
        """One paragraph block per item (an item may hold several ``\n``-joined lines, kept
        together as soft line breaks), up to 100 per request. A failed request is not retried
        unless Notion said 429 (nothing applied), so a ``StoreUnavailable`` here means: some
        lines may be on the page, compare with :meth:`tail` before sending them again."""
        if not lines:
            return
        for line in lines:
            if "\r" in line or line.endswith("\n"):
                raise PageError(
                    "a log block must not contain carriage returns or end with a line break",
                    page_id=page_id,
                )
        batches = list(_batches([_paragraph(_fit_line(_clean(line))) for line in lines]))

        def send(target: str) -> None:
            stored = 0
            for batch in batches:
                try:
                    self._call(
                        partial(self._client.blocks.children.append, target, children=batch),
                        action="append blocks",
                        page_id=page_id,
                        idempotent=False,
                    )
                except StoreUnavailable as exc:
                    error = self._partial(exc, page_id, stored, len(lines), len(batch))
                    if error is exc:
                        raise
                    raise error from exc
                stored += len(batch)

        self._on_page(page_id, send)

    # -- helpers -------------------------------------------------------------------------

    def _on_page(self, page_id: str, op: Callable[[str], _T]) -> _T:
        """Run ``op`` on the page, creating it by name. A name remembered for a page that was
        since deleted or trashed (404, or 400 "archived") is looked up afresh, once."""
        target = self._resolve(page_id, create=True)
        assert target is not None
        try:
            return op(target)
        except (PageNotFound, StoreRejected):
            if _normalize_id(page_id) is not None:
                raise
            self._refresh_names()
            with self._lock:
                if self._names.get(page_id) == target:
                    raise  # the name still means that page: the error is about the page
        target = self._resolve(page_id, create=True)
        assert target is not None
        return op(target)

    def _resolve(self, page_id: str, *, create: bool) -> str | None:
        """The dashed Notion id for ``page_id``: itself, or the root's child page of that title."""
        if (uid := _normalize_id(page_id)) is not None:
            return uid
        name = _check_name(page_id)
        with self._lock:
            known = self._names.get(name)
        if known is not None:
            return known
        if not create:
            self._refresh_names()
            with self._lock:
                return self._names.get(name)
        with self._create_lock:  # one creator at a time, so two threads make one page
            self._refresh_names()
            with self._lock:
                known = self._names.get(name)
            if known is not None:
                return known
            page = self._call(
                partial(
                    self._client.pages.create,
                    parent={"page_id": self.root_page_id},
                    properties={"title": {"title": [{"type": "text", "text": {"content": name}}]}},
                ),
                action="create the page",
                page_id=page_id,
                idempotent=False,  # a retried create could make two pages of one name
            )
            self._remember(page)
            with self._lock:
                self._names[name] = page["id"]
            return str(page["id"])

    def _refresh_names(self) -> None:
        names: dict[str, str] = {}
        try:
            for block in self._children(self.root_page_id, self.root_page_id):
                if block.get("type") == "child_page":
                    names.setdefault(block["child_page"]["title"], block["id"])
        except PageNotFound as exc:
            raise StoreRejected(
                f"the root page {self.root_page_id} is not visible to the Notion integration",
                page_id=self.root_page_id,
                hint=_SHARE_HINT,
            ) from exc
        with self._lock:
            self._names = names

    def _retrieve(self, target: str, page_id: str) -> dict[str, Any]:
        page = self._call(
            partial(self._client.pages.retrieve, target),
            action="retrieve the page",
            page_id=page_id,
            idempotent=True,
        )
        self._remember(page)
        return page

    def _remember(self, page: dict[str, Any]) -> None:
        if isinstance(page.get("url"), str):
            with self._lock:
                self._urls[page["id"]] = page["url"]

    def _children(self, block_id: str, page_id: str) -> Iterator[dict[str, Any]]:
        cursor: str | None = None
        while True:
            query: dict[str, Any] = {"page_size": MAX_PAGE_SIZE}
            if cursor:
                query["start_cursor"] = cursor
            result = self._call(
                partial(self._client.blocks.children.list, block_id, **query),
                action="list the page's blocks",
                page_id=page_id,
                idempotent=True,
            )
            yield from result.get("results", [])
            cursor = result.get("next_cursor")
            if not result.get("has_more") or not cursor:
                return

    def _version(self, page: dict[str, Any]) -> str:
        edited = str(page["last_edited_time"])
        settle = self.options.version_settle_s
        if settle > 0:
            try:
                moment = datetime.fromisoformat(edited.replace("Z", "+00:00")).timestamp()
            except ValueError:
                return edited
            now = self._clock()
            if now - moment < settle:
                return f"{edited}~unsettled@{now:.6f}"
        return edited

    def _missing(self, page_id: str) -> PageNotFound:
        return PageNotFound(
            f"no Notion page {page_id!r} under the root page {self.root_page_id}",
            page_id=page_id,
            hint=_SHARE_HINT,
        )

    def _partial(
        self, exc: StoreUnavailable, page_id: str, stored: int, total: int, sent: int
    ) -> StoreUnavailable:
        """The error for a failed append request, saying what may be on the page now."""
        applied_maybe = not isinstance(exc, StoreRejected) and not _rate_limited(exc)
        if stored == 0 and not applied_maybe:
            return exc  # nothing reached the page: the plain error says it all
        fate = "may or may not have been applied" if applied_maybe else "was not applied"
        message = (
            f"append to Notion page {page_id!r} failed after {stored} of {total} lines were "
            f"stored; the failed request ({sent} lines) {fate}: {exc.message}"
        )
        hint = "Compare tail() with the lines before sending any again; never resend blindly."
        if isinstance(exc, StoreRejected):
            return StoreRejected(message, page_id=page_id, hint=hint)
        return StoreUnavailable(message, page_id=page_id, retry_after=exc.retry_after, hint=hint)

    # -- calling Notion ------------------------------------------------------------------

    def _call(
        self, fn: Callable[[], object], *, action: str, page_id: str | None, idempotent: bool
    ) -> dict[str, Any]:
        """One API call through the limiter, translated to StoreErrors, retried per policy."""
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
        self._limiter.acquire()
        try:
            result = fn()
        except (NotionClientErrorBase, httpx.TransportError) as exc:
            raise self._translate(exc, action, page_id) from exc
        if not isinstance(result, dict):
            raise StoreUnavailable(f"Notion answered {action!r} with {type(result).__name__}")
        return result

    def _may_retry(self, exc: BaseException, *, idempotent: bool) -> bool:
        if not isinstance(exc, StoreUnavailable) or isinstance(exc, StoreRejected):
            return False
        if exc.retry_after is not None and exc.retry_after > self.options.max_retry_after_s:
            return False
        return idempotent or _rate_limited(exc)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, StoreUnavailable) and exc.retry_after is not None:
            self._limiter.defer(exc.retry_after)  # every thread of this store waits too
            return exc.retry_after
        delay = self.options.retry_initial_delay_s * 2.0 ** (state.attempt_number - 1)
        return min(delay, self.options.retry_max_delay_s)

    @staticmethod
    def _log_retry(action: str, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        _log.warning("Notion: %s failed (%s); retrying in %.2f s", action, exc, delay)

    def _translate(self, exc: Exception, action: str, page_id: str | None) -> StoreError:
        what = f"Notion could not {action}" + (f" (page {page_id!r})" if page_id else "")
        if isinstance(exc, RequestTimeoutError | httpx.TimeoutException):
            return StoreUnavailable(
                f"{what}: no answer within {self.options.timeout_s:g} s",
                page_id=page_id,
                hint="Notion is slow or down (https://status.notion.so); try again later.",
            )
        if isinstance(exc, httpx.TransportError):
            return StoreUnavailable(
                f"{what}: cannot reach {self.options.base_url}: {exc}",
                page_id=page_id,
                hint="Check the network connection and the Notion base URL.",
            )
        if not isinstance(exc, HTTPResponseError):
            return StoreRejected(f"{what}: {exc}", page_id=page_id)
        status, said = exc.status, str(exc)
        if status == 429:
            wait = _retry_after(exc.headers)
            return StoreUnavailable(
                f"{what}: Notion is rate limiting this integration (HTTP 429: {said})",
                page_id=page_id,
                retry_after=wait,
                hint="Try again later; lower requests_per_second if this keeps happening.",
            )
        if status == 404:
            return PageNotFound(
                f"{what}: Notion has no such page visible to the integration ({said})",
                page_id=page_id,
                hint=_SHARE_HINT,
            )
        if status == 401:
            return StoreRejected(
                f"{what}: Notion rejected the integration token (HTTP 401: {said})",
                page_id=page_id,
                hint="Set a valid internal integration secret; copy it from "
                "https://www.notion.so/profile/integrations.",
            )
        if status == 403:
            return StoreRejected(
                f"{what}: the integration may not do this (HTTP 403: {said})",
                page_id=page_id,
                hint="Share the page with the integration (••• → Connections) and give the "
                "integration read, update and insert content capabilities.",
            )
        if status == 409 or status >= 500:
            return StoreUnavailable(
                f"{what}: Notion answered HTTP {status} ({said})",
                page_id=page_id,
                hint="Notion is having trouble (https://status.notion.so); try again later.",
            )
        return StoreRejected(
            f"{what}: Notion refused the request (HTTP {status}: {said})",
            page_id=page_id,
            hint="Retrying will not help: the request breaks a Notion rule or limit.",
        )


class _RateLimiter:
    """Spaces calls at least ``1/rate`` seconds apart, across every thread using it."""

    def __init__(
        self,
        rate: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            self._sleep(slot - now)

    def defer(self, seconds: float) -> None:
        """No call before ``seconds`` from now (Notion said 429 with Retry-After)."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


# -- ids, text and batches ---------------------------------------------------------------


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every store: loading the CA bundle costs ~50 ms each time.
    Built on first use (never at import); honours SSL_CERT_FILE/SSL_CERT_DIR like httpx."""
    return httpx.create_ssl_context()


def _normalize_id(value: str) -> str | None:
    if not _UUID.match(value):
        return None
    h = value.replace("-", "").lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _check_name(name: str) -> str:
    if not name.strip() or len(name) > _MAX_NAME or "\n" in name or "\r" in name:
        raise PageError(
            "not a Notion page id (32 hex digits) nor a page title (one line, 1 to "
            f"{_MAX_NAME} characters)",
            page_id=name,
        )
    return name


def _rate_limited(exc: BaseException) -> bool:
    """Whether Notion answered 429: the request was refused before it did anything."""
    return getattr(exc.__cause__, "status", None) == 429


def _trashed(page: dict[str, Any]) -> bool:
    return bool(page.get("in_trash") or page.get("archived"))


def _retry_after(headers: httpx.Headers) -> float | None:
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


def _js_length(text: str) -> int:
    """Length as Notion counts it: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _json_size(value: object) -> int:
    """Bytes ``value`` takes in a request body (httpx encodes JSON this way)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def _split_text(text: str) -> list[str]:
    """``text`` in pieces of at most MAX_TEXT_PER_RICH_TEXT units, never splitting a character."""
    pieces: list[str] = []
    start = units = 0
    for i, ch in enumerate(text):
        width = 2 if ord(ch) > 0xFFFF else 1
        if units + width > MAX_TEXT_PER_RICH_TEXT:
            pieces.append(text[start:i])
            start, units = i, 0
        units += width
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _clean(text: str) -> str:
    """``text`` with lone surrogates (JSON "\\ud800" escapes decode to them) as U+FFFD:
    they cannot be encoded as UTF-8, so a request carrying one would fail to send."""
    return _SURROGATE.sub("\ufffd", text)


def _cut(line: str, keep: int) -> str:
    return f"{line[:keep]}… [truncated {len(line) - keep} chars]"


def _line_fits(text: str) -> bool:
    return _js_length(text) <= MAX_LINE_UNITS and _json_size(text) <= MAX_LINE_BYTES


def _fit_line(line: str) -> str:
    """The line, or its longest head that fits one block, with a visible marker of the cut."""
    if len(line) <= MAX_LINE_UNITS // 6 or _line_fits(line):
        return line
    lo, hi = 0, min(len(line), MAX_LINE_UNITS)
    while lo < hi:  # the longest head whose cut form fits; fitting is monotone in the head
        mid = (lo + hi + 1) // 2
        if _line_fits(_cut(line, mid)):
            lo = mid
        else:
            hi = mid - 1
    return _cut(line, lo)


def _paragraph(line: str) -> dict[str, Any]:
    rich_text = [{"type": "text", "text": {"content": piece}} for piece in _split_text(line)]
    return {"object": "block", "type": "paragraph", "paragraph": {"rich_text": rich_text}}


def _batches(blocks: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Blocks in order, at most MAX_CHILDREN_PER_APPEND and PAYLOAD_BUDGET_BYTES a request."""
    batch: list[dict[str, Any]] = []
    size = 0
    for block in blocks:
        block_size = _json_size(block) + 1
        if batch and (
            len(batch) >= MAX_CHILDREN_PER_APPEND or size + block_size > PAYLOAD_BUDGET_BYTES
        ):
            yield batch
            batch, size = [], 0
        batch.append(block)
        size += block_size
    if batch:
        yield batch
