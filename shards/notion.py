"""NotionStore: pages kept in Notion, through the official ``notion-client``.

Pages are the child pages of one root page. A page id is either a Notion page id (32 hex
digits, with or without dashes; always returned dashed and lower case) or a page *name*: the
title of a child page of the root, which ``write`` and ``append`` create when missing. So the
router can keep calling its log page ``"log"`` and the ids from ``list_pages`` still work.

Costs, in API calls: ``list_pages`` is one listing of the root's children per 100 pages (the
``child_page`` blocks carry each page's ``last_edited_time``, so no page is retrieved);
``read`` is one markdown read (plus one retrieve for a page no listing has shown, plus one
per left-out block of a truncated page); ``write`` is one call to create a page with its
markdown, or two to replace one (the replace, then a retrieve for the new version).

Reads use Notion's markdown endpoint and convert its Notion-flavoured markdown to plain
markdown (``shards._notion_markdown``). A truncated answer is completed by reading the
blocks it left out (``unknown_block_ids``); a page that cannot be made whole is an error
naming the page, never a silently short page. ``write`` replaces the page's content with
markdown; ``append`` adds one paragraph block per line, batched to Notion's limits; ``tail``
reads the paragraph blocks.

Versions are ``last_edited_time``, which Notion rounds to the minute: two edits within a
minute share one. So a read also says whether its copy is *settled*: read after the
version's minute was over (plus ``clock_skew_s``), no later edit can keep that version.
A copy read within the minute is not settled, and a cache re-reads it (and compares the
text) before trusting it again (:class:`shards.cache.CachedStore`).

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
from shards._notion_markdown import to_plain, unknown_tag
from shards.errors import PageError, PageNotFound, StoreRejected, StoreUnavailable
from shards.page import content_hash
from shards.store import INCOMPLETE_PAGE, PageRef, StoredPage, check_blocks

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
    clock_skew_s: float = 5.0
    """How far our clock may be off Notion's when deciding whether a read is settled."""
    max_unknown_blocks: int = 50
    """A truncated page is completed with at most this many extra reads, then reported."""
    name_ttl_s: float = 10.0
    """A page name missing from a listing this recent is created without listing again (a
    publish run lists once); older, the root is listed again first, so two processes do not
    both create a page of one name."""
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
        self._named_at = -1e18  # clock() of the last listing that filled _names
        self._listed: dict[str, str] = {}  # page id -> version, from the last listing
        #: What the last listing found under the root that is not a page (child databases).
        self.notices: tuple[str, ...] = ()
        # page id -> the first block of this store's last append there: tail() reads from it
        self._tail_marks: dict[str, str] = {}

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
        """The root's child pages: one request per 100 children (the ``child_page`` blocks
        carry ``last_edited_time``), so 60 pages cost one call."""
        names: dict[str, str] = {}
        refs = []
        versions: dict[str, str] = {}
        notices = []
        for block in self._child_blocks():
            if block.get("type") == "child_database":
                title = (block.get("child_database") or {}).get("title", "")
                notices.append(
                    f"the root holds a database ({title!r}, block {block['id']}): the index "
                    "reads pages only, so it is skipped. Move it out of the root page, or "
                    "leave it: nothing is lost."
                )
                continue
            if block.get("type") != "child_page" or _trashed(block):
                continue
            title = block["child_page"]["title"]
            names.setdefault(title, block["id"])
            version = str(block.get("last_edited_time") or "")
            versions[block["id"]] = version
            refs.append(PageRef(block["id"], version, _url(block["id"]), title))
        with self._lock:
            self._names = names
            self._named_at = self._clock()
            self._listed = versions
            self.notices = tuple(notices)
        return sorted(refs, key=lambda ref: ref.id)

    def read(self, page_id: str) -> StoredPage:
        target = self._resolve(page_id, create=False)
        if target is None:
            raise self._missing(page_id)
        # The version is known before the text is read (from the listing, or a retrieve):
        # an edit in between leaves the version older than the text, so the next listing
        # shows a change and the reader reads again. Never the other way round.
        with self._lock:
            version = self._listed.get(target)
        if version is None:
            page = self._retrieve(target, page_id)
            if _trashed(page):
                raise self._missing(page_id)
            version = str(page["last_edited_time"])
        started = self._clock()
        markdown = self._whole_markdown(target, page_id)
        return StoredPage(
            target,
            to_plain(markdown),
            version,
            _url(target),
            settled=self._settled(version, started),
        )

    def _whole_markdown(self, target: str, page_id: str) -> str:
        """The page's markdown, with the blocks a truncated answer left out read one by one."""
        result = self._markdown(target, page_id)
        markdown = str(result.get("markdown") or "")
        if not result.get("truncated") and not result.get("unknown_block_ids"):
            return markdown
        pending = [str(b) for b in result.get("unknown_block_ids") or []]
        fetched: dict[str, str] = {}
        missing: list[str] = []
        while pending:
            block_id = pending.pop(0)
            if len(fetched) + len(missing) >= self.options.max_unknown_blocks:
                missing.append(block_id)
                missing += pending
                break
            try:
                part = self._markdown(block_id, page_id)
            except PageNotFound:  # not shared with the integration: cannot be read
                missing.append(block_id)
                continue
            fetched[_bare(block_id)] = str(part.get("markdown") or "")
            pending += [str(b) for b in part.get("unknown_block_ids") or []]
        if missing:
            raise PageError(
                f"{INCOMPLETE_PAGE}: Notion's markdown endpoint left out "
                f"{len(missing)} blocks and they could not be read ({len(fetched)} were)",
                page_id=page_id,
                hint="Split the page into smaller pages (under about "
                f"{self.options.max_unknown_blocks} left-out blocks, or 20,000 blocks in "
                "all), or share its sub-pages with the integration; until then the index "
                "leaves this page out.",
            )
        return _fill(markdown, fetched)

    def _markdown(self, target: str, page_id: str) -> dict[str, Any]:
        return self._call(
            partial(self._client.pages.retrieve_markdown, target),
            action="read the page as markdown",
            page_id=page_id,
            idempotent=True,
        )

    def _settled(self, version: str, read_at: float) -> bool:
        """True when no edit after ``read_at`` can carry ``version`` (its minute was over)."""
        try:
            edited = datetime.fromisoformat(version.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return False
        minute_end = (edited // 60) * 60 + 60
        return read_at - self.options.clock_skew_s >= minute_end

    def tail(self, page_id: str, count: int) -> list[str]:
        """The last ``count`` paragraph texts. Starts at the first block of this store's last
        append to the page when that leaves ``count`` to read (one or two calls however long
        the page); else reads every child block, 100 per request (N/100 calls)."""
        if count <= 0:
            return []
        target = self._resolve(page_id, create=False)
        if target is None:
            return []
        mark = self._tail_marks.get(target)
        if mark is not None:
            try:
                since = [
                    t for b in self._children(target, page_id, mark) if (t := paragraph_text(b))
                ]
            except PageNotFound:
                return []  # as below: a page that is gone has no tail
            except StoreRejected as exc:  # 400: the block is gone, no cursor: the whole page
                if exc.status != 400:
                    raise
                since = []
            if len(since) >= count:
                return since[-count:]
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
        return _url(target)

    # -- writing -------------------------------------------------------------------------

    def write(self, page_id: str, text: str) -> PageRef:
        """Replace the page's content with ``text`` (markdown): two calls. A page name that
        is not a child page yet is created with its markdown in one call."""
        if _normalize_id(page_id) is None and self._resolve(page_id, create=False) is None:
            created = self._create_named(page_id, markdown=clean(text))
            if created is not None:
                return created

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
            return self._written(target, page_id)

        return self._on_page(page_id, replace)

    def edit(self, page_id: str, old: str, new: str) -> PageRef:
        """Write ``new`` over a page last read as ``old``, touching only its header block
        when that is all that changed: a header refresh (or a header given to a page written
        by hand) leaves the operator's own blocks as they are in Notion (colours, toggles,
        callouts), which a whole-page replace from plain markdown would flatten. Two calls,
        as a replace; anything else, or an edit Notion refuses, is a whole-page write."""
        old_header, old_body = _split_header(old)
        new_header, new_body = _split_header(new)
        if new_header is None or _hash(old_body) != _hash(new_body):
            return self.write(page_id, new)
        target = self._resolve(page_id, create=False)
        if target is None:
            return self.write(page_id, new)
        if old_header is None:
            request = {
                "type": "insert_content",
                "insert_content": {"content": new_header, "position": {"type": "start"}},
            }
        else:
            request = {
                "type": "update_content",
                "update_content": {
                    "content_updates": [{"old_str": old_header, "new_str": new_header}]
                },
            }
        try:
            self._call(
                partial(self._client.pages.update_markdown, target, **request),
                action="update the page's header block",
                page_id=page_id,
                idempotent=old_header is not None,  # a second insert would add a second header
            )
        except StoreRejected:
            return self.write(page_id, new)  # the header is not where it was: write it all
        return self._written(target, page_id)

    def _written(self, target: str, page_id: str) -> PageRef:
        """The page just written, as Notion now has it: its new version (kept for the listing
        this store answers from) and name. One call."""
        page = self._retrieve(target, page_id)
        version = str(page["last_edited_time"])
        with self._lock:
            if target in self._listed:
                self._listed[target] = version
        return PageRef(page["id"], version, _url(page["id"]), _title(page))

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
                    added = self._call(
                        partial(self._client.blocks.children.append, target, children=batch),
                        action="append blocks",
                        page_id=page_id,
                        idempotent=False,
                    )
                except (StoreUnavailable, StoreRejected) as exc:
                    error = append_failure(exc, page_id, stored, len(lines), len(batch))
                    if error is exc:
                        raise
                    raise error from exc
                stored += len(batch)
                if stored == len(batch) and (first := _first_id(added)) is not None:
                    self._tail_marks[target] = first

        self._on_page(page_id, send)

    # -- helpers -------------------------------------------------------------------------

    def _on_page(self, page_id: str, op: Callable[[str], _T]) -> _T:
        """Run ``op`` on the page, creating it by name. A name remembered for a page that was
        since deleted or trashed (404, or 400 "archived") is looked up afresh, once."""
        target = self._resolve(page_id, create=True)
        assert target is not None
        try:
            return op(target)
        except (PageNotFound, StoreRejected) as exc:
            if _normalize_id(page_id) is not None or getattr(exc, "status", None) in (401, 403):
                raise  # an id, or the token's fault (401, 403): looking the name up cannot help
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
            if not self._names_recent():
                self._refresh_names()
            with self._lock:
                return self._names.get(name)
        created = self._create_named(name)
        if created is not None:
            return created.id
        with self._lock:
            return self._names.get(name)

    def _names_recent(self) -> bool:
        with self._lock:
            return self._clock() - self._named_at < self.options.name_ttl_s

    def _create_named(self, name: str, *, markdown: str | None = None) -> PageRef | None:
        """Create the root's child page ``name`` (with ``markdown``, in the same call); None
        when a listing made meanwhile shows it exists after all."""
        with self._create_lock:  # one creator at a time, so two threads make one page
            if not self._names_recent():
                self._refresh_names()
            with self._lock:
                if name in self._names:
                    return None
            extra: dict[str, Any] = {} if markdown is None else {"markdown": markdown}
            page = self._call(
                partial(
                    self._client.pages.create,
                    parent={"page_id": self.root_page_id},
                    properties={"title": {"title": [{"type": "text", "text": {"content": name}}]}},
                    **extra,
                ),
                action="create the page",
                page_id=name,
                idempotent=False,  # a retried create could make two pages of one name
            )
            version = str(page["last_edited_time"])
            with self._lock:
                self._names[name] = page["id"]
                self._listed[page["id"]] = version
            return PageRef(page["id"], version, _url(page["id"]), name)

    def _refresh_names(self) -> None:
        self.list_pages()

    def _child_blocks(self) -> list[dict[str, Any]]:
        """The root's child blocks; a root the integration cannot see is rejected."""
        try:
            return list(self._children(self.root_page_id, self.root_page_id))
        except PageNotFound as exc:
            raise StoreRejected(
                f"the root page {self.root_page_id} is not visible to the Notion integration",
                page_id=self.root_page_id,
                hint=SHARE_HINT,
            ) from exc

    def _retrieve(self, target: str, page_id: str) -> dict[str, Any]:
        page = self._call(
            partial(self._client.pages.retrieve, target),
            action="retrieve the page",
            page_id=page_id,
            idempotent=True,
        )
        return page

    def _children(
        self, block_id: str, page_id: str, start: str | None = None
    ) -> Iterator[dict[str, Any]]:
        cursor: str | None = start
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


_HEADER_BLOCK = re.compile(r"\A\s*(```json[^\n]*\n.*?\n```)[ \t]*(?:\n|\Z)(.*)\Z", re.S)


def _split_header(text: str) -> tuple[str | None, str]:
    """(the leading ```json header block, the rest); (None, text) when there is none."""
    m = _HEADER_BLOCK.match(text)
    return (m.group(1), m.group(2)) if m else (None, text)


def _hash(body: str) -> str:
    return content_hash(body)


def _url(page_id: str) -> str:
    """The page's link. Built from the id alone (Notion's own adds a title slug that changes
    with the title), so a page's link in the router never changes by itself."""
    return f"https://www.notion.so/{page_id.replace('-', '')}"


def _bare(block_id: str) -> str:
    return block_id.replace("-", "").lower()


def _fill(markdown: str, fetched: dict[str, str]) -> str:
    """The markdown with each ``<unknown .../>`` line of a fetched block replaced by it."""
    out = []
    for line in markdown.split("\n"):
        block = unknown_tag(line)
        if block is not None and _bare(block) in fetched:
            indent = line[: len(line) - len(line.lstrip("\t"))]
            part = fetched[_bare(block)]
            out.append("\n".join(indent + p if p else p for p in part.split("\n")))
        else:
            out.append(line)
    return "\n".join(out)


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


def _first_id(appended: dict[str, Any]) -> str | None:
    """The id of the first block an append created (its answer lists them)."""
    results = appended.get("results")
    if isinstance(results, list) and results and isinstance(results[0], dict):
        first = results[0].get("id")
        return first if isinstance(first, str) else None
    return None
