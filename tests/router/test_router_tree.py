"""Router layout: one page while it fits, else domains; no router page passes 6.5 KB."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router import RouterPage, RouterRow, parse_router, render_router, sync
from router.domains import group_domains
from router.router_page import (
    ROUTER_PAGE_LIMIT_BYTES,
    WIDEST_MACHINE_FIELDS,
    domain_router_header,
    empty_bytes,
    router_header,
    with_kind,
)
from router.router_tree import PlannedPage, lay_out, one_page_fits
from shards import ClaudeDelta, LocalFolderStore, TiktokenCounter
from tests.router.helpers import NOW, write_index

TOKENS = TiktokenCounter()


class MemorySink:
    """Renders planned pages as the sync does (fresh headers, no notes) and keeps them."""

    def __init__(self) -> None:
        self.pages: dict[str, RouterPage] = {}
        self.order: list[str] = []

    def header(self, page: PlannedPage) -> ClaudeDelta:
        if page.parent is None:
            return with_kind(router_header(page.title), lists=page.lists, parent=None)
        return domain_router_header(
            page.page_id, page.title, parent=page.parent, domain=page.domain, lists=page.lists
        )

    def base_bytes(self, page: PlannedPage) -> int:
        return empty_bytes(self.header(page))

    def emit(self, page: PlannedPage) -> str:
        assert page.page_id not in self.pages, f"{page.page_id} emitted twice"
        self.pages[page.page_id] = RouterPage(self.header(page), page.rows, "")
        self.order.append(page.page_id)
        return self.url(page.page_id)

    def url(self, page_id: str) -> str:
        return f"https://pages.example/{page_id}"


def _row(shard_id: str, holds: str = "What it holds.", terms: int = 3) -> RouterRow:
    return RouterRow(
        id=shard_id,
        title=shard_id.replace("-", " ").title(),
        holds=holds,
        fetch_when=tuple(f"term {n} for {shard_id}" for n in range(terms)),
        tokens=1234,
        updated="2026-11-21",
        page=shard_id,
        url=f"https://www.notion.so/{shard_id}-0123456789abcdef0123456789abcdef",
    )


def _lay_out(rows: list[RouterRow], headers: list[ClaudeDelta] | None = None) -> MemorySink:
    sink = MemorySink()
    headers = headers or [ClaudeDelta(id=r.id, title=r.title) for r in rows]
    lay_out(sorted(rows, key=lambda r: r.id), group_domains(headers), sink, top_title="Router")
    return sink


def _leaves(sink: MemorySink) -> list[str]:
    return [r.id for p in sink.pages.values() if p.lists == "shards" for r in p.rows]


def test_rows_that_fit_make_one_page_listing_shards() -> None:
    rows = [_row(f"clients-{n}") for n in range(6)]
    sink = _lay_out(rows)
    assert sink.order == ["router"]
    top = sink.pages["router"]
    assert top.lists == "shards" and top.parent is None
    assert [r.id for r in top.rows] == [r.id for r in rows]
    assert "lists" not in (top.header.model_extra or {})


def test_rows_that_do_not_fit_make_a_top_router_of_domains() -> None:
    rows = [_row(f"{d}-{n}") for d in ("clients", "infra", "finance") for n in range(15)]
    assert not one_page_fits(rows)
    sink = _lay_out(rows)
    top = sink.pages["router"]
    assert sink.order[-1] == "router"  # children first: the top links to written pages
    assert top.lists == "domains"
    assert [r.id for r in top.rows] == ["router-clients", "router-finance", "router-infra"]
    clients = sink.pages["router-clients"]
    assert (clients.parent, clients.lists, clients.header.domain) == ("router", "shards", "clients")
    assert [r.id for r in clients.rows] == sorted(f"clients-{n}" for n in range(15))
    row = top.rows[0]
    assert row.holds.startswith("15 shards: Clients 0, Clients 1")
    assert row.tokens == 15 * 1234
    assert row.url == "https://pages.example/router-clients"
    assert sorted(_leaves(sink)) == sorted(r.id for r in rows)


def test_a_domain_too_large_for_one_page_is_cut_into_parts_the_top_router_lists() -> None:
    rows = [_row(f"clients-{n:03d}", holds="x" * 200) for n in range(80)]
    rows += [_row(f"infra-{n}") for n in range(3)]
    sink = _lay_out(rows)
    top = sink.pages["router"]
    parts = [r.id for r in top.rows if r.id.startswith("router-clients")]
    assert parts[0] == "router-clients--1" and len(parts) > 2
    assert "router-clients" not in sink.pages  # two levels: no page between top and parts
    for n, part in enumerate(parts, 1):
        page = sink.pages[part]
        assert (page.parent, page.header.domain) == ("router", "clients")
        assert page.title == f"Clients ({n}/{len(parts)})"
    assert sorted(_leaves(sink)) == sorted(r.id for r in rows)
    assert all(
        len(render_router(p).encode()) <= ROUTER_PAGE_LIMIT_BYTES for p in sink.pages.values()
    )


def test_when_parts_do_not_fit_side_by_side_each_large_domain_gets_a_page_of_its_parts() -> None:
    domains = ("adr", "clients", "finance", "infra", "people", "sites", "vendors", "legal")
    rows = [_row(f"{d}-{n:03d}", holds="x" * 200) for d in domains for n in range(70)]
    sink = _lay_out(rows)
    top = sink.pages["router"]
    assert [r.id for r in top.rows] == sorted(f"router-{d}" for d in domains)
    clients = sink.pages["router-clients"]
    assert (clients.lists, clients.parent) == ("domains", "router")
    assert [sink.pages[r.page].parent for r in clients.rows] == ["router-clients"] * len(
        clients.rows
    )
    assert top.rows[1].holds.startswith("70 shards: Clients (1/")
    assert sorted(_leaves(sink)) == sorted(r.id for r in rows)
    assert all(
        len(render_router(p).encode()) <= ROUTER_PAGE_LIMIT_BYTES for p in sink.pages.values()
    )


SLUG = st.from_regex(r"[a-z]{1,8}-[a-z0-9]{1,8}", fullmatch=True)
TEXT = st.text(string.ascii_letters + " |;\\[]", max_size=300).map(lambda t: " ".join(t.split()))


@st.composite
def big_rows(draw: st.DrawFn) -> list[RouterRow]:
    ids = draw(st.lists(SLUG, unique=True, min_size=1, max_size=400))
    return [_row(i, holds=draw(TEXT), terms=draw(st.integers(0, 4))) for i in ids]


@settings(max_examples=40, deadline=None)
@given(big_rows())
def test_every_shard_is_listed_once_and_every_page_fits_and_parses_back(
    rows: list[RouterRow],
) -> None:
    sink = _lay_out(rows)
    assert sorted(_leaves(sink)) == sorted(r.id for r in rows)
    assert sink.order[-1] == "router"
    for page_id, page in sink.pages.items():
        text = render_router(page)
        assert parse_router(text, page_id=page_id) == page
        widest = page.header.model_copy(update=WIDEST_MACHINE_FIELDS)
        assert len(render_router(RouterPage(widest, page.rows, "")).encode()) <= (
            ROUTER_PAGE_LIMIT_BYTES
        )
        if page.lists == "domains":  # every row points at a page that lists it as parent
            for row in page.rows:
                assert sink.pages[row.page].parent == page_id
                assert row.url.endswith(row.page)


@pytest.mark.parametrize(
    ("count", "top"), [(7, "shards"), (142, "domains"), (722, "domains"), (2000, "domains")]
)
def test_no_router_page_exceeds_6_5_kb_at_any_size(count: int, top: str, tmp_path: Path) -> None:
    write_index(tmp_path / "ws", count)
    store = LocalFolderStore(tmp_path / "ws")
    # A dry run renders every router page exactly as it would write it (a real sync at
    # 2,000 shards spends its time in fsync; test_sync.py writes the pages for real).
    report = sync(store, TOKENS, now=NOW, dry_run=True)
    assert len(report.shards) == count
    assert report.routers[-1].page_id == "router"
    assert report.routers[-1].lists == top
    assert max(r.bytes for r in report.routers) <= ROUTER_PAGE_LIMIT_BYTES
    assert sum(r.rows for r in report.routers if r.lists == "shards") == count
    assert not report.anomalies
