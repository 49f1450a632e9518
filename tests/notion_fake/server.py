"""A fake of the Notion public API, served over real HTTP on loopback.

Driven in tests by the real ``notion_client.Client(auth=fake.token, base_url=fake.url)``, so
the SDK's request building, headers, error parsing and retry code all run for real. It models
only what ``shards.notion.NotionStore`` uses:

==========================================  ==============================================
``GET    /v1/pages/{id}``                   page object (title, ``last_edited_time``, url)
``POST   /v1/pages``                        create a child page under a parent page
``PATCH  /v1/pages/{id}``                   rename (``properties.title``), ``in_trash``
``GET    /v1/pages/{id}/markdown``          ``page_markdown``; ``truncated`` past a limit
``PATCH  /v1/pages/{id}/markdown``          ``replace_content`` and ``insert_content``
``GET    /v1/blocks/{id}/children``         paginated (``page_size`` <= 100, cursors)
``PATCH  /v1/blocks/{id}/children``         append paragraphs (<= 100 per request)
==========================================  ==============================================

What it enforces, as Notion documents it: ``Authorization: Bearer <token>`` (401
``unauthorized``), a ``Notion-Version`` header (400 ``missing_version``), 100 children per
append, 100 rich text objects per block, 2,000 characters (UTF-16 units) per text object,
500 KB per payload, ``page_size`` <= 100 (all 400 ``validation_error`` with Notion's message
wording), an optional token-bucket rate limit (429 ``rate_limited`` with an integer
``Retry-After``), and truncated markdown for pages with more blocks than
``markdown_record_limit`` (Notion's is about 20,000 records).

Simplifications, stated so nobody leans on them: a page's content is a flat list of blocks;
markdown written with ``replace_content`` or ``pages.create`` becomes blocks and reads back
the way Notion renders it (escapes, ``<table>``; see ``tests/notion_fake/markdown.py``), so a
reader must convert it; ``last_edited_time`` is rounded down to the minute as Notion's is (two
edits within a minute share it), on the fake's ``clock`` (tests move it); ``minute_versions=
False`` gives millisecond versions instead. An id from ``unknown_block_ids`` read through the
markdown endpoint answers that block's markdown.

Faults for tests: :meth:`NotionFake.fail_next`, :meth:`NotionFake.delay_next`,
:meth:`NotionFake.fail_after_commit_next`; :attr:`NotionFake.requests` logs every request.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from tests.loopback import LoopbackFake
from tests.notion_fake import blocks as b
from tests.notion_fake import markdown as md

_ERROR_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "restricted_resource",
    404: "object_not_found",
    409: "conflict_error",
    429: "rate_limited",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
    529: "service_overload",
}
_WRITES = frozenset({"POST", "PATCH", "DELETE"})


class Request(NamedTuple):
    """One request as the fake saw it: ``at`` is ``time.monotonic()`` on arrival."""

    method: str
    path: str
    status: int
    at: float
    body: Any


@dataclass
class _Block:
    id: str
    kind: str  # a block type; "child_page": then id is the child page's id
    parent_id: str
    created_time: str
    rich_text: list[dict[str, Any]] = field(default_factory=list)
    markdown: str | None = None  # how Notion renders a block written as markdown


@dataclass
class _Page:
    id: str
    title: str
    parent_id: str | None
    created_time: str
    last_edited_time: str
    children: list[_Block] = field(default_factory=list)
    in_trash: bool = False

    @property
    def url(self) -> str:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", self.title).strip("-")
        hex_id = self.id.replace("-", "")
        return (
            f"https://www.notion.so/{slug}-{hex_id}" if slug else f"https://www.notion.so/{hex_id}"
        )


@dataclass
class _Fault:
    remaining: int
    method: str | None
    path: str | None
    status: int = 503
    seconds: float = 0.0
    retry_after: int | None = None
    skip: int = 0

    def take(self, method: str, path: str) -> bool:
        if self.remaining <= 0:
            return False
        if self.method is not None and self.method != method:
            return False
        if self.path is not None and self.path not in path:
            return False
        if self.skip > 0:
            self.skip -= 1
            return False
        self.remaining -= 1
        return True


class _Answer(Exception):
    """Raised inside a route to answer with a Notion error object."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _ERROR_CODES.get(status, "internal_server_error")


class NotionFake(LoopbackFake):
    """The fake Notion API: state, fault injection and the HTTP server around them."""

    label = "the fake Notion API"

    def __init__(
        self,
        *,
        token: str = "secret_fake_integration_token",
        requests_per_second: float | None = None,
        burst: int | None = None,
        retry_after: int | None = None,
        markdown_record_limit: int = 20_000,
        root_title: str = "Context Index",
        clock: Callable[[], float] = time.time,
        minute_versions: bool = True,
        latency_s: float = 0.0,
    ) -> None:
        super().__init__()
        self.token = token
        self.markdown_record_limit = markdown_record_limit
        self.clock = clock
        #: Round ``last_edited_time`` down to the minute, as Notion does.
        self.minute_versions = minute_versions
        #: Added to every request (the benches' 250 ms per call).
        self.latency_s = latency_s
        self.requests: list[Request] = []
        self.errors: list[BaseException] = []  # bugs in the fake itself (answered 500)
        self._lock = threading.RLock()
        self._pages: dict[str, _Page] = {}
        self._blocks: dict[str, _Block] = {}
        self._last_ms = 0
        self._fails: list[_Fault] = []
        self._delays: list[_Fault] = []
        self._commits: list[_Fault] = []
        self._unshared: set[str] = set()
        self._stopping = threading.Event()
        self.set_rate_limit(requests_per_second, burst=burst, retry_after=retry_after)
        self.root_id = self.add_page(root_title)

    # -- lifecycle -----------------------------------------------------------------------
    # start(), stop(), url (the base for ``notion_client.Client(base_url=...)``; the SDK adds
    # ``/v1/``) come from LoopbackFake.

    def _make_server(self) -> ThreadingHTTPServer:
        self._stopping.clear()
        return _Server(self)

    def _closing(self, server: ThreadingHTTPServer) -> None:
        self._stopping.set()  # cuts injected delays short
        assert isinstance(server, _Server)
        server.close_connections()  # idle keep-alive handlers see EOF and return

    # -- fault injection -----------------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        *,
        method: str | None = None,
        path: str | None = None,
        retry_after: int | None = None,
        skip: int = 0,
    ) -> None:
        """Answer the next ``n`` matching requests with ``status`` without applying them.

        ``method``/``path`` (a substring) narrow what matches; ``skip`` lets that many matching
        requests through first; a 429 carries ``Retry-After: retry_after`` (default 1), any
        other status only when ``retry_after`` is given (Notion's 529 ``service_overload``
        and 503 do in bad minutes).
        """
        with self._lock:
            fault = _Fault(n, method, path, status=status, retry_after=retry_after, skip=skip)
            self._fails.append(fault)

    def delay_next(
        self, n: int, seconds: float, *, method: str | None = None, path: str | None = None
    ) -> None:
        """Hold the next ``n`` matching requests for ``seconds`` before handling them."""
        with self._lock:
            self._delays.append(_Fault(n, method, path, seconds=seconds))

    def fail_after_commit_next(
        self,
        n: int = 1,
        status: int = 502,
        *,
        method: str | None = None,
        path: str | None = None,
        retry_after: int | None = None,
        skip: int = 0,
    ) -> None:
        """Apply the next ``n`` matching writes, then answer ``status`` (with Retry-After when
        given): the write is on the page, the client never learns. ``skip`` lets that many
        matching writes through first."""
        with self._lock:
            fault = _Fault(n, method, path, status=status, retry_after=retry_after, skip=skip)
            self._commits.append(fault)

    def set_rate_limit(
        self,
        requests_per_second: float | None,
        *,
        burst: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Token bucket: ``burst`` requests at once, refilled at ``requests_per_second``."""
        with self._lock:
            self._rate = requests_per_second
            self._capacity = float(
                burst if burst is not None else max(1, math.ceil(requests_per_second or 1))
            )
            self._tokens = self._capacity
            self._refilled = time.monotonic()
            self._retry_after = retry_after

    # -- direct state access -------------------------------------------------------------

    def add_page(self, title: str, markdown: str = "", parent: str | None = None) -> str:
        """Create a page (a child of ``parent``, or top-level) and return its dashed id."""
        with self._lock:
            return self._create_page(title, parent, markdown).id

    def page_text(self, page_id: str) -> str:
        """The page's whole markdown, never truncated."""
        with self._lock:
            return self._render(self._page(page_id), limit=None)[0]

    def blocks(self, page_id: str) -> list[dict[str, Any]]:
        """The page's child blocks as the API returns them."""
        with self._lock:
            return [self._block_obj(blk) for blk in self._page(page_id).children]

    def title(self, page_id: str) -> str:
        with self._lock:
            return self._page(page_id).title

    def last_edited_time(self, page_id: str) -> str:
        with self._lock:
            return self._page(page_id).last_edited_time

    def trash_page(self, page_id: str) -> None:
        with self._lock:
            self._trash(self._page(page_id))

    def edit_page(self, page_id: str, markdown: str) -> None:
        """Replace a page's content as a person would in Notion (its version moves)."""
        with self._lock:
            page = self._page(page_id)
            page.children = [c for c in page.children if c.kind == "child_page"]
            page.children += self._paragraphs(page.id, markdown)
            page.last_edited_time = self._stamp()

    def add_blocks(self, page_id: str, kind: str, texts: list[str]) -> None:
        """Append blocks of one type (say ``paragraph``) as the UI would, one per text."""
        with self._lock:
            page = self._page(page_id)
            for text in texts:
                blk = _Block(
                    str(uuid.uuid4()), kind, page.id, self._stamp(), b.split_rich_text(text)
                )
                self._blocks[blk.id] = blk
                page.children.append(blk)
            page.last_edited_time = self._stamp()

    def add_raw_block(self, page_id: str, kind: str, markdown: str) -> None:
        """A block as Notion renders it (a callout, a toggle...) that written markdown cannot
        make: what an operator builds in Notion's editor."""
        with self._lock:
            page = self._page(page_id)
            blk = _Block(
                str(uuid.uuid4()), kind, page.id, self._stamp(), b.split_rich_text(kind), markdown
            )
            self._blocks[blk.id] = blk
            page.children.append(blk)
            page.last_edited_time = self._stamp()

    def add_database(self, title: str, parent: str) -> str:
        """A child database block under ``parent`` (the store must skip it, saying why)."""
        with self._lock:
            page = self._page(parent)
            blk = _Block(
                str(uuid.uuid4()), "child_database", page.id, self._stamp(), [b.rich_text(title)]
            )
            self._blocks[blk.id] = blk
            page.children.append(blk)
            return blk.id

    def move_page(self, page_id: str, new_parent: str) -> None:
        """Move a page to another parent (out of the root, say)."""
        with self._lock:
            page = self._page(page_id)
            if page.parent_id is not None:
                old = self._pages[page.parent_id]
                old.children = [c for c in old.children if c.id != page.id]
            target = self._page(new_parent)
            link = _Block(page.id, "child_page", target.id, self._stamp())
            target.children.append(link)
            self._blocks[link.id] = link
            page.parent_id = target.id

    def unshare_page(self, page_id: str) -> None:
        """The integration loses access: the page answers 404 but stays listed in its parent
        (as Notion lists a child page block whose page the integration cannot open)."""
        with self._lock:
            self._unshared.add(self._page(page_id).id)

    def requests_to(self, method: str, path_contains: str = "") -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.method == method and path_contains in r.path]

    # -- model ---------------------------------------------------------------------------

    def _stamp(self) -> str:
        if self.minute_versions:
            minute = int(self.clock() // 60) * 60
            moment = datetime.fromtimestamp(minute, UTC)
            return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self._last_ms = max(int(self.clock() * 1000), self._last_ms + 1)
        moment = datetime.fromtimestamp(self._last_ms / 1000, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _page(self, page_id: str) -> _Page:
        key = b.normalize_id(page_id)
        page = self._pages.get(key) if key else None
        if page is None:
            raise KeyError(f"no page {page_id!r} in the fake")
        return page

    def _create_page(self, title: str, parent_id: str | None, markdown: str) -> _Page:
        now = self._stamp()
        page = _Page(str(uuid.uuid4()), title, parent_id, now, now)
        page.children = self._paragraphs(page.id, markdown)
        self._pages[page.id] = page
        if parent_id is not None:
            parent = self._page(parent_id)
            page.parent_id = parent.id
            link = _Block(page.id, "child_page", parent.id, now)
            parent.children.append(link)
            self._blocks[link.id] = link
            parent.last_edited_time = self._stamp()
        return page

    def _paragraphs(self, page_id: str, markdown: str) -> list[_Block]:
        """The blocks Notion makes of written markdown (``markdown.parse``)."""
        made = []
        for parsed in md.parse(markdown):
            blk = _Block(
                str(uuid.uuid4()),
                parsed.kind,
                page_id,
                self._stamp(),
                b.split_rich_text(parsed.text[:1900]),
                parsed.text,
            )
            self._blocks[blk.id] = blk
            made.append(blk)
        return made

    def _trash(self, page: _Page) -> None:
        page.in_trash = True
        page.last_edited_time = self._stamp()
        if page.parent_id is not None:
            parent = self._pages[page.parent_id]
            parent.children = [c for c in parent.children if c.id != page.id]
            self._blocks.pop(page.id, None)

    def _render(self, page: _Page, limit: int | None) -> tuple[str, bool, list[str]]:
        lines: list[str] = []
        unknown: list[str] = []
        for i, blk in enumerate(page.children):
            if limit is not None and i >= limit:
                unknown.append(blk.id)
                lines.append(
                    f'<unknown url="{page.url}#{blk.id.replace("-", "")}" alt="{blk.kind}"/>'
                )
            else:
                lines.append(self._block_markdown(blk))
        return "\n".join(lines), bool(unknown), unknown

    def _block_markdown(self, blk: _Block) -> str:
        if blk.kind == "child_page":
            child = self._pages[blk.id]
            return f'<page url="{child.url}">{md.escape(child.title)}</page>'
        if blk.markdown is not None:
            return blk.markdown
        return md.escape(b.plain_text(blk.rich_text)).replace("\n", "<br>")

    def _page_obj(self, page: _Page) -> dict[str, Any]:
        return {
            "object": "page",
            "id": page.id,
            "created_time": page.created_time,
            "last_edited_time": page.last_edited_time,
            "created_by": b.USER,
            "last_edited_by": b.USER,
            "cover": None,
            "icon": None,
            "parent": (
                {"type": "page_id", "page_id": page.parent_id}
                if page.parent_id
                else {"type": "workspace", "workspace": True}
            ),
            "archived": page.in_trash,
            "in_trash": page.in_trash,
            "is_locked": False,
            "properties": {
                "title": {"id": "title", "type": "title", "title": b.split_rich_text(page.title)}
            },
            "url": page.url,
            "public_url": None,
        }

    def _block_obj(self, blk: _Block) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "object": "block",
            "id": blk.id,
            "parent": {"type": "page_id", "page_id": blk.parent_id},
            "created_time": blk.created_time,
            "last_edited_time": blk.created_time,
            "created_by": b.USER,
            "last_edited_by": b.USER,
            "has_children": False,
            "archived": False,
            "in_trash": False,
            "type": blk.kind,
        }
        if blk.kind == "child_page":
            child = self._pages[blk.id]
            obj["has_children"] = bool(child.children)
            obj["last_edited_time"] = child.last_edited_time
            obj["child_page"] = {"title": child.title}
        elif blk.kind == "child_database":
            obj["child_database"] = {"title": b.plain_text(blk.rich_text)}
        else:
            obj[blk.kind] = {"rich_text": blk.rich_text, "color": "default"}
        return obj

    # -- HTTP dispatch -------------------------------------------------------------------

    def _dispatch(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        arrived = time.monotonic()
        if self.latency_s:
            self._stopping.wait(self.latency_s)
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        body: Any = None
        extra: dict[str, str] = {}
        with self._lock:
            delay = next((f.seconds for f in self._delays if f.take(method, path)), 0.0)
        if delay:
            self._stopping.wait(delay)
        try:
            if len(raw) > b.MAX_PAYLOAD_BYTES:
                raise _Answer(400, f"Request body too large: {len(raw)} bytes, the limit is 500KB.")
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise _Answer(400, "Error parsing JSON body.", "invalid_json") from None
            with self._lock:
                fault = next((f for f in self._fails if f.take(method, path)), None)
            if fault is not None:
                if fault.status == 429 or fault.retry_after is not None:
                    extra["Retry-After"] = str(
                        fault.retry_after if fault.retry_after is not None else 1
                    )
                raise _Answer(fault.status, f"Injected fault: HTTP {fault.status}.")
            self._check_headers(headers)
            with self._lock:
                wait = self._take_token(arrived)
                if wait is not None:
                    extra["Retry-After"] = str(wait)
                    raise _Answer(
                        429, "You have been rate limited. Please try again in a few minutes."
                    )
                status, payload = self._route(method, path, query, body)
                if method in _WRITES and status < 300:
                    commit = next((f for f in self._commits if f.take(method, path)), None)
                    if commit is not None:
                        if commit.retry_after is not None:
                            extra["Retry-After"] = str(commit.retry_after)
                        raise _Answer(commit.status, "Injected fault after the write was applied.")
        except _Answer as answer:
            status = answer.status
            payload = {
                "object": "error",
                "status": status,
                "code": answer.code,
                "message": str(answer),
            }
        except Exception as exc:  # a bug in the fake: answer 500 and keep it for the test
            self.errors.append(exc)
            status, payload = (
                500,
                {
                    "object": "error",
                    "status": 500,
                    "code": "internal_server_error",
                    "message": f"fake Notion API bug: {exc!r}",
                },
            )
        payload["request_id"] = str(uuid.uuid4())
        with self._lock:
            self.requests.append(Request(method, path, status, arrived, body))
        return status, extra, payload

    def _check_headers(self, headers: dict[str, str]) -> None:
        if headers.get("authorization") != f"Bearer {self.token}":
            raise _Answer(401, "API token is invalid.")
        if not headers.get("notion-version"):
            raise _Answer(
                400,
                "Notion-Version header failed validation: Notion-Version header should be "
                "defined, instead was `undefined`.",
                "missing_version",
            )

    def _take_token(self, now: float) -> int | None:
        """None when the request may pass, else the Retry-After seconds to answer."""
        if not self._rate:
            return None
        self._tokens = min(self._capacity, self._tokens + (now - self._refilled) * self._rate)
        self._refilled = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        if self._retry_after is not None:
            return self._retry_after
        return max(1, math.ceil((1 - self._tokens) / self._rate))

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, dict[str, Any]]:
        m = re.fullmatch(r"/v1/(pages|blocks)(?:/([^/]+))?(?:/(markdown|children))?", path)
        if m is None:
            raise _Answer(400, "Invalid request URL.", "invalid_request_url")
        kind, raw_id, sub = m.groups()
        if raw_id is None:
            if kind == "pages" and sub is None and method == "POST":
                return 200, self._create(body)
            raise _Answer(400, "Invalid request URL.", "invalid_request_url")
        obj_id = b.normalize_id(raw_id)
        if obj_id is None:
            name = "page_id" if kind == "pages" else "block_id"
            raise _Answer(
                400,
                f"path failed validation: path.{name} should be a valid uuid, "
                f"instead was `{raw_id}`.",
            )
        handlers = {
            ("pages", None, "GET"): self._get_page,
            ("pages", None, "PATCH"): self._update_page,
            ("pages", "markdown", "GET"): self._get_markdown,
            ("pages", "markdown", "PATCH"): self._update_markdown,
            ("blocks", "children", "GET"): self._list_children,
            ("blocks", "children", "PATCH"): self._append_children,
        }
        handler = handlers.get((kind, sub, method))
        if handler is None:
            raise _Answer(400, "Invalid request URL.", "invalid_request_url")
        return 200, handler(obj_id, query, body)

    def _find_page(self, page_id: str, *, what: str = "page") -> _Page:
        page = self._pages.get(page_id)
        if page is None or page_id in self._unshared:
            raise _Answer(
                404,
                f"Could not find {what} with ID: {page_id}. Make sure the relevant pages and "
                "databases are shared with your integration.",
            )
        return page

    def _writable(self, page: _Page) -> _Page:
        if page.in_trash:
            raise _Answer(
                400,
                "Can't edit block that is archived. You must unarchive the block before editing.",
            )
        return page

    def _create(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _Answer(400, "body failed validation: body should be an object.")
        parent = body.get("parent")
        parent_id = parent.get("page_id") if isinstance(parent, dict) else None
        if not isinstance(parent_id, str) or b.normalize_id(parent_id) is None:
            raise _Answer(
                400,
                "body failed validation: body.parent.page_id should be defined, instead was "
                "`undefined`. (The fake Notion API creates pages under pages only.)",
            )
        parent_page = self._writable(self._find_page(b.normalize_id(parent_id) or ""))
        title = self._title(body.get("properties"))
        markdown = body.get("markdown", "")
        if not isinstance(markdown, str):
            raise _Answer(400, "body failed validation: body.markdown should be a string.")
        page = self._create_page(title, parent_page.id, markdown)
        if body.get("children") is not None:
            self._add_children(page, body["children"])
        return self._page_obj(page)

    def _title(self, properties: Any) -> str:
        prop = properties.get("title") if isinstance(properties, dict) else None
        items = prop.get("title") if isinstance(prop, dict) else prop
        try:
            return b.plain_text(b.parse_rich_text(items, "body.properties.title.title"))
        except b.ValidationFailed as exc:
            raise _Answer(400, f"body failed validation: {exc}") from None

    def _get_page(self, page_id: str, query: Any, body: Any) -> dict[str, Any]:
        return self._page_obj(self._find_page(page_id))

    def _update_page(self, page_id: str, query: Any, body: Any) -> dict[str, Any]:
        page = self._find_page(page_id)
        if not isinstance(body, dict):
            raise _Answer(400, "body failed validation: body should be an object.")
        if "properties" in body:
            self._writable(page).title = self._title(body["properties"])
            page.last_edited_time = self._stamp()
        if body.get("in_trash") or body.get("archived"):
            self._trash(page)
        return self._page_obj(page)

    def _get_markdown(self, page_id: str, query: Any, body: Any) -> dict[str, Any]:
        blk = self._blocks.get(page_id)
        if page_id not in self._pages and blk is not None:
            # An id from unknown_block_ids: the block's own subtree (in the fake, itself).
            return {
                "object": "page_markdown",
                "id": blk.id,
                "markdown": self._block_markdown(blk),
                "truncated": False,
                "unknown_block_ids": [],
            }
        page = self._find_page(page_id)
        markdown, truncated, unknown = self._render(page, self.markdown_record_limit)
        return {
            "object": "page_markdown",
            "id": page.id,
            "markdown": markdown,
            "truncated": truncated,
            "unknown_block_ids": unknown,
        }

    def _update_markdown(self, page_id: str, query: Any, body: Any) -> dict[str, Any]:
        page = self._writable(self._find_page(page_id))
        kind = body.get("type") if isinstance(body, dict) else None
        params = body.get(kind) if isinstance(body, dict) and isinstance(kind, str) else None
        if kind == "replace_content" and isinstance(params, dict):
            new = params.get("new_str")
            if not isinstance(new, str):
                raise _Answer(
                    400, "body failed validation: body.replace_content.new_str should be a string."
                )
            doomed = [c for c in page.children if c.kind == "child_page"]
            if doomed and not params.get("allow_deleting_content"):
                titles = ", ".join(self._pages[c.id].title for c in doomed)
                raise _Answer(
                    400,
                    f"This operation would delete {len(doomed)} child page(s): {titles}. "
                    "Set allow_deleting_content to true to allow it.",
                )
            for c in doomed:
                self._trash(self._pages[c.id])
            page.children = self._paragraphs(page.id, new)
        elif kind == "insert_content" and isinstance(params, dict):
            content = params.get("content")
            if not isinstance(content, str) or "after" in params:
                raise _Answer(
                    400,
                    "body failed validation: body.insert_content.content should be a string "
                    "(the fake Notion API does not support `after`).",
                )
            position = params.get("position") or {"type": "end"}
            made = self._paragraphs(page.id, content)
            if position.get("type") == "start":
                page.children[:0] = made
            else:
                page.children.extend(made)
        elif kind == "update_content" and isinstance(params, dict):
            self._update_content(page, params.get("content_updates"))
        else:
            raise _Answer(
                400,
                "body failed validation: body.type should be one of `replace_content`, "
                "`insert_content`, `update_content` (in the fake Notion API), instead was "
                f"`{kind}`.",
            )
        page.last_edited_time = self._stamp()
        return self._get_markdown(page.id, query, None)

    def _update_content(self, page: _Page, updates: Any) -> None:
        """Search and replace in the page's markdown. The fake matches an ``old_str`` inside
        one block's markdown only (Notion matches across blocks too) and re-parses just that
        block, so the rest of the page keeps its blocks, as in Notion."""
        if not isinstance(updates, list) or not updates:
            raise _Answer(
                400,
                "body failed validation: body.update_content.content_updates should be "
                "a non-empty array.",
            )
        for update in updates:
            old = update.get("old_str") if isinstance(update, dict) else None
            new = update.get("new_str") if isinstance(update, dict) else None
            if not isinstance(old, str) or not isinstance(new, str) or not old:
                raise _Answer(400, "body failed validation: old_str and new_str are strings.")
            hits = [
                (n, blk) for n, blk in enumerate(page.children) if old in self._block_markdown(blk)
            ]
            if not hits:
                raise _Answer(400, f"Could not find the text to replace: {old[:80]!r}.")
            if len(hits) > 1 and not update.get("replace_all_matches"):
                raise _Answer(
                    400, "The text to replace matches several places; set replace_all_matches."
                )
            for n, blk in reversed(hits):
                text = self._block_markdown(blk).replace(old, new)
                page.children[n : n + 1] = self._paragraphs(page.id, text)

    def _list_children(
        self, block_id: str, query: dict[str, list[str]], body: Any
    ) -> dict[str, Any]:
        page = self._children_owner(block_id)
        raw_size = query.get("page_size", [str(b.MAX_PAGE_SIZE)])[0]
        try:
            size = int(raw_size)
        except ValueError:
            size = -1
        if not 1 <= size <= b.MAX_PAGE_SIZE:
            raise _Answer(
                400,
                f"query failed validation: query.page_size should be ≤ `{b.MAX_PAGE_SIZE}` "
                f"and ≥ `1`, instead was `{raw_size}`.",
            )
        children = page.children if page is not None else []
        start = 0
        if "start_cursor" in query:
            cursor = b.normalize_id(query["start_cursor"][0])
            ids = [c.id for c in children]
            if cursor not in ids:
                raise _Answer(
                    400,
                    f"query failed validation: start_cursor `{query['start_cursor'][0]}` "
                    "is not a valid cursor.",
                )
            start = ids.index(cursor)
        window = children[start : start + size]
        following = children[start + size : start + size + 1]
        return {
            "object": "list",
            "results": [self._block_obj(c) for c in window],
            "next_cursor": following[0].id if following else None,
            "has_more": bool(following),
            "type": "block",
            "block": {},
        }

    def _append_children(self, block_id: str, query: Any, body: Any) -> dict[str, Any]:
        page = self._children_owner(block_id)
        if page is None:
            raise _Answer(400, "The fake Notion API appends children to pages only.")
        if not isinstance(body, dict):
            raise _Answer(400, "body failed validation: body should be an object.")
        added = self._add_children(self._writable(page), body.get("children"))
        page.last_edited_time = self._stamp()
        return {
            "object": "list",
            "results": [self._block_obj(c) for c in added],
            "next_cursor": None,
            "has_more": False,
            "type": "block",
            "block": {},
        }

    def _add_children(self, page: _Page, children: Any) -> list[_Block]:
        try:
            texts = b.parse_children(children)
        except b.ValidationFailed as exc:
            raise _Answer(400, f"body failed validation: {exc}") from None
        added = []
        for rich in texts:
            blk = _Block(str(uuid.uuid4()), "paragraph", page.id, self._stamp(), rich)
            self._blocks[blk.id] = blk
            added.append(blk)
        page.children.extend(added)
        return added

    def _children_owner(self, block_id: str) -> _Page | None:
        """The page whose children ``block_id`` names; None for a leaf (paragraph) block."""
        if block_id in self._pages:
            return self._pages[block_id]
        if block_id in self._blocks:
            return None
        self._find_page(block_id, what="block")
        return None  # pragma: no cover - _find_page raised


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx's connection pool expects
    timeout = 30  # an idle keep-alive connection is dropped after this
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall
    server: _Server

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PATCH(self) -> None:
        self._answer("PATCH")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, extra, payload = self.server.fake._dispatch(method, self.path, headers, raw)
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (a timeout test): nothing to answer to
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins every handler thread: nothing leaks
    block_on_close = True

    def __init__(self, fake: NotionFake) -> None:
        self.fake = fake
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up mid-request is not the test's business
