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

Calls go through one client-side rate limiter per store and are retried by operation (an
append never after a failure that may have applied it): ``shards._notion_limits`` says why the
SDK's own retries are off. Errors become StoreErrors with a hint (``shards._notion_errors``);
lines become paragraph blocks within Notion's limits (``shards._notion_blocks``).
"""

from __future__ import annotations

import collections
import functools
import logging
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import httpx
import notion_client
from notion_client.client import ClientOptions

from shards._notion_blocks import (
    MAX_PAGE_SIZE,
    batches,
    clean,
    fit_line,
    paragraph,
    paragraph_text,
)
from shards._notion_errors import SHARE_HINT, append_failure
from shards._notion_limits import Caller
from shards.errors import PageError, PageNotFound, StoreRejected, StoreUnavailable
from shards.store import PageRef, StoredPage, check_blocks

__all__ = ["NOTION_API_URL", "NotionOptions", "NotionStore"]

NOTION_API_URL = "https://api.notion.com"

_UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.I)
_MAX_NAME = 200

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
    """Retries after the first attempt, for the failures that may be retried (_notion_limits)."""
    retry_initial_delay_s: float = 0.5
    """First back-off delay when Notion gives no Retry-After; doubles per attempt."""
    retry_max_delay_s: float = 8.0
    """Cap on the back-off delay."""
    max_retry_after_s: float = 30.0
    """A 429 asking to wait longer than this is raised (``retry_after`` set) instead of slept."""
    version_settle_s: float = 120.0
    """Pages edited less than this ago get a fresh version on every call (minute rounding)."""
    on_rate_limited: Callable[[], None] | None = field(default=None, compare=False)
    """Called once per 429 answer from Notion, retried or not (the status page counts them)."""


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
                retry=False,  # the Caller retries (shards._notion_limits)
                logger=_sdk_log,
            ),
        )
        self._call = Caller(options)  # one rate limiter for every call of this store
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
        for block in self._child_pages():
            title = block["child_page"]["title"]
            names.setdefault(title, block["id"])
            try:
                page = self._retrieve(block["id"], block["id"])
            except PageNotFound:  # deleted since the listing
                continue
            if not _trashed(page):
                refs.append(PageRef(page["id"], self._version(page), page["url"], title))
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
                if text := paragraph_text(block):
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
                    replace_content={"new_str": clean(text)},
                ),
                action="replace the page's markdown",
                page_id=page_id,
                idempotent=True,  # the same replacement twice leaves the same page
            )
            page = self._retrieve(target, page_id)
            return PageRef(page["id"], self._version(page), page["url"], _title(page))

        return self._on_page(page_id, replace)

    def append(self, page_id: str, lines: Sequence[str]) -> None:
        """One paragraph block per item (an item may hold several ``\n``-joined lines, kept
        together as soft line breaks), up to 100 per request. A failed request is not retried
        unless Notion said 429 (nothing applied), so a ``StoreUnavailable`` here means: some
        lines may be on the page, compare with :meth:`tail` before sending them again."""
        if not lines:
            return
        check_blocks(page_id, lines)
        blocks = list(batches([paragraph(fit_line(clean(line))) for line in lines]))

        def send(target: str) -> None:
            stored = 0
            for batch in blocks:
                try:
                    self._call(
                        partial(self._client.blocks.children.append, target, children=batch),
                        action="append blocks",
                        page_id=page_id,
                        idempotent=False,
                    )
                except StoreUnavailable as exc:
                    error = append_failure(exc, page_id, stored, len(lines), len(batch))
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
        for block in self._child_pages():
            names.setdefault(block["child_page"]["title"], block["id"])
        with self._lock:
            self._names = names

    def _child_pages(self) -> list[dict[str, Any]]:
        """The root's ``child_page`` blocks; a root the integration cannot see is rejected."""
        try:
            children = list(self._children(self.root_page_id, self.root_page_id))
        except PageNotFound as exc:
            raise StoreRejected(
                f"the root page {self.root_page_id} is not visible to the Notion integration",
                page_id=self.root_page_id,
                hint=SHARE_HINT,
            ) from exc
        return [block for block in children if block.get("type") == "child_page"]

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
            hint=SHARE_HINT,
        )


# -- ids and pages -----------------------------------------------------------------------


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


def _title(page: dict[str, Any]) -> str:
    """A page object's title: the plain text of its ``title`` property ("" if none)."""
    for prop in page.get("properties", {}).values():
        if isinstance(prop, dict) and prop.get("type") == "title":
            return "".join(str(run.get("plain_text", "")) for run in prop.get("title", []))
    return ""


def _trashed(page: dict[str, Any]) -> bool:
    return bool(page.get("in_trash") or page.get("archived"))
