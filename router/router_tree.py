"""Laying out the router: one page while the rows fit, else a top router of domains.

:func:`lay_out` decides which router pages exist and what rows each holds; a
:class:`RouterSink` (the index sync) measures each page as it would be written and writes
it. The rule, applied the same way at every level:

- every shard row fits on the top router page (notes included): one page, exactly as before;
- else the top router lists **domains** (:mod:`router.domains`) and each domain's page
  (``router-<domain>``) lists its shards;
- a domain whose rows do not fit on one page is cut, in id order, into parts
  (``router-<domain>--1``, ``--2``…) that the top router lists side by side, while they all fit
  there: still two levels;
- when they do not, each cut domain gets a page of its own listing its parts (a third level,
  only in the large domains), and a top router whose domain rows still do not fit is cut the
  same way (``router--1``…). Two levels of 6.5 KB pages hold about 600 shard rows of the size a
  split writes; past that a third level is what keeps every page under the limit.

Children are written before their parent, so a parent's row can link to a page that did not
exist before this sync.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from router.domains import Domain
from router.router_page import (
    ROUTER_ID,
    ROUTER_PAGE_LIMIT_BYTES,
    RouterRow,
    empty_bytes,
    render_row,
    router_header,
)

#: How much of a domain row's "holds" cell names the titles it holds.
_HOLDS_CHARS = 120
_TERMS = 3
_TERM_CHARS = 40
_TITLE_CHARS = 80


@dataclass(frozen=True)
class PlannedPage:
    """A router page to write: its rows and where it sits."""

    page_id: str
    title: str
    rows: tuple[RouterRow, ...]
    lists: str = "shards"  # or "domains": the rows are router pages
    parent: str | None = None  # None for the top router
    domain: str | None = None
    row_shards: tuple[int, ...] = ()  # shards under each row of a page of domains


class RouterSink(Protocol):
    def base_bytes(self, page: PlannedPage) -> int:
        """Bytes of ``page`` with no rows, as it would be written (notes and header included,
        machine fields at their widest)."""
        ...

    def emit(self, page: PlannedPage) -> str:
        """Write ``page`` if it changed; its url, for the row one level up."""
        ...

    def url(self, page_id: str) -> str:
        """The page's url before it is written: its current one, else the longest likely."""
        ...


def lay_out(
    rows: Sequence[RouterRow],
    domains: Sequence[Domain],
    sink: RouterSink,
    *,
    top_id: str = ROUTER_ID,
    top_title: str,
    limit: int = ROUTER_PAGE_LIMIT_BYTES,
    taken: frozenset[str] = frozenset(),
) -> None:
    """Emit the router pages for these shard rows (sorted by id), the top router last.

    ``taken``: page ids a router page must not use (every page that is not a router: a shard
    the operator named ``router-clients`` is never overwritten by the domain's page).
    """
    top = PlannedPage(top_id, top_title, tuple(rows))
    if len(rows) <= 1 or _fits(top, sink, limit):
        sink.emit(top)
        return
    by_id = {row.id: row for row in rows}
    plans: list[tuple[PlannedPage, list[PlannedPage]]] = []  # a domain's page and its parts
    for domain in domains:
        members = tuple(by_id[s] for s in domain.shards if s in by_id)
        if members:
            page_id = _free(f"{top_id}-{domain.id}", taken)
            page = PlannedPage(page_id, domain.title, members, parent=top_id, domain=domain.id)
            plans.append((page, _cut(page, sink, limit, 0, taken) or [page]))
    # Two levels when the top router can list every page of shards, a large domain's parts
    # side by side; else a large domain gets a page listing its parts (a third level there).
    flat = [replace(part, parent=top_id) for _, parts in plans for part in parts]
    rows_guess = tuple(_row_for(p, sink.url(p.page_id)) for p in flat)
    if _fits(PlannedPage(top_id, top_title, rows_guess, "domains"), sink, limit):
        children = [_Child(_row_for(p, sink.emit(p)), _shard_count(p)) for p in flat]
    else:
        children = [_subtree(page, sink, limit, 0, taken) for page, _ in plans]
    _subtree(_index(PlannedPage(top_id, top_title, ()), children), sink, limit, 0, taken)


def _free(page_id: str, taken: frozenset[str]) -> str:
    """``page_id``, or ``page_id-router`` (-2, -3…) when a page that is not a router has it."""
    candidate, n = page_id, 1
    while candidate in taken:
        candidate = f"{page_id}-router" + (f"-{n}" if n > 1 else "")
        n += 1
    return candidate


def _subtree(
    page: PlannedPage, sink: RouterSink, limit: int, depth: int, taken: frozenset[str]
) -> _Child:
    """Emit ``page``, cut into parts under it when its rows do not fit; its row one level up."""
    parts = _cut(page, sink, limit, depth, taken)
    if parts is None:
        return _Child(_row_for(page, sink.emit(page)), _shard_count(page))
    children = [_subtree(part, sink, limit, depth + 1, taken) for part in parts]
    return _subtree(_index(page, children), sink, limit, depth + 1, taken)


def _cut(
    page: PlannedPage, sink: RouterSink, limit: int, depth: int, taken: frozenset[str]
) -> list[PlannedPage] | None:
    """``page``'s rows cut, in order, into parts that each fit; None when it fits whole (or
    when every row would fill a part alone, so cutting cannot help)."""
    if len(page.rows) <= 1 or _fits(page, sink, limit):
        return None
    mark = "-" * (depth + 2)  # "--2" for parts, "---2" for parts of parts: never a domain id
    widest = sink.base_bytes(_part(page, f"{page.page_id}{mark}999", "(999/999)", range(0)))
    chunks: list[list[int]] = [[]]
    used = widest
    for n, row in enumerate(page.rows):
        size = len(render_row(row).encode()) + 1
        if chunks[-1] and used + size > limit:
            chunks.append([])
            used = widest
        chunks[-1].append(n)
        used += size
    if len(chunks) == len(page.rows):
        return None
    return [
        _part(page, _free(f"{page.page_id}{mark}{n}", taken), f"({n}/{len(chunks)})", chunk)
        for n, chunk in enumerate(chunks, 1)
    ]


@dataclass(frozen=True)
class _Child:
    row: RouterRow
    shards: int


def _index(page: PlannedPage, children: Sequence[_Child]) -> PlannedPage:
    """``page`` as a list of router pages (domains, or its own parts)."""
    return PlannedPage(
        page.page_id,
        page.title,
        tuple(c.row for c in children),
        "domains",
        page.parent,
        page.domain,
        tuple(c.shards for c in children),
    )


def _part(page: PlannedPage, page_id: str, number: str, rows: Iterable[int]) -> PlannedPage:
    """Part of ``page`` holding its rows at positions ``rows``."""
    at = list(rows)
    return PlannedPage(
        page_id,
        f"{page.title} {number}",
        tuple(page.rows[n] for n in at),
        page.lists,
        page.page_id,
        page.domain,
        tuple(page.row_shards[n] for n in at) if page.row_shards else (),
    )


def _fits(page: PlannedPage, sink: RouterSink, limit: int) -> bool:
    return sink.base_bytes(page) + rows_bytes(page.rows) <= limit


def rows_bytes(rows: Iterable[RouterRow]) -> int:
    """What these rows add to a router page."""
    return sum(len(render_row(row).encode()) + 1 for row in rows)


def one_page_fits(rows: Sequence[RouterRow], limit: int = ROUTER_PAGE_LIMIT_BYTES) -> bool:
    """Whether these shard rows fit on one router page with a fresh header and no notes
    (the digest's test: it does not read the router page's notes)."""
    return len(rows) <= 1 or empty_bytes(router_header()) + rows_bytes(rows) <= limit


def _row_for(page: PlannedPage, url: str) -> RouterRow:
    """The row that points at a router page: what its rows hold, in one line."""
    count = _shard_count(page)
    noun = "shard" if count == 1 else "shards"
    holds = f"{count} {noun}: " + ", ".join(_unique(r.title for r in page.rows))
    if len(holds) > _HOLDS_CHARS:
        holds = holds[: _HOLDS_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;: ") + "…"
    terms = _unique(r.fetch_when[0] for r in page.rows if r.fetch_when)[:_TERMS]
    known = [r.tokens for r in page.rows if r.tokens is not None]
    return RouterRow(
        id=page.page_id,
        title=_clip(page.title, _TITLE_CHARS),
        holds=holds,
        fetch_when=tuple(_clip(t, _TERM_CHARS) for t in terms),
        tokens=sum(known) if known else None,
        updated=max((r.updated for r in page.rows), default=""),
        page=page.page_id,
        url=url,
    )


def _shard_count(page: PlannedPage) -> int:
    return sum(page.row_shards) if page.row_shards else len(page.rows)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
