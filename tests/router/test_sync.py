"""The index sync: refresh only what changed, report broken pages and keep going."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from router import RouterPage, SyncOptions, parse_router, scan, status_of, sync
from router.router_page import ROUTER_PAGE_LIMIT_BYTES
from router.service import ContextService
from shards import (
    ClaudeDelta,
    LocalFolderStore,
    PageRef,
    apply_split,
    parse_page,
    plan_split,
    render_page,
)
from tests.notion_fake import NotionFake
from tests.router.helpers import LARGE, T0, T1, TOKENS, RecordingStore, write_index
from tests.shards.test_split import realistic_monolith
from tests.shards.test_store_contract import notion_store

SHARD_IDS = (
    "architecture-decisions",
    "clients",
    "credentials",
    "finance",
    "infrastructure",
    "procedures",
)


LocalRecording = RecordingStore[LocalFolderStore]


@pytest.fixture
def store(tmp_path: Path) -> LocalRecording:
    """A workspace split from a realistic six-domain monolith and synced once at T0."""
    recording = RecordingStore(LocalFolderStore(tmp_path / "ws"))
    plan = plan_split(realistic_monolith(), TOKENS)
    apply_split(plan, recording)
    sync(recording, TOKENS, now=T0, seed_notes=plan.intro)
    recording.writes.clear()
    return recording


def _files(store: LocalRecording) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(store.inner.path.iterdir())}


def _edit_body(store: LocalRecording, page_id: str, old: str, new: str) -> None:
    file = store.inner.path / f"{page_id}.md"
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_editing_one_shard_refreshes_only_its_header_and_the_router(
    store: LocalRecording,
) -> None:
    before = _files(store)
    _edit_body(
        store,
        "finance",
        "Everything here was current at the last review.",
        "Reviewed again in November.",
    )
    edited = (store.inner.path / "finance.md").read_bytes()

    report = sync(store, TOKENS, now=T1)

    assert report.changed == ("finance",)
    assert sorted(store.writes) == ["finance", "router"]
    after = _files(store)
    for name in before:
        if name not in ("finance.md", "router.md"):
            assert after[name] == before[name], name
    page = parse_page(after["finance.md"].decode(), page_id="finance")
    assert page.header is not None
    assert page.header.content_hash == page.content_hash
    assert page.header.tokens == TOKENS.count(page.body)
    assert page.header.updated_at == T1
    # only the header line moved; the operator's body is exactly what they wrote
    assert after["finance.md"].split(b"\n")[3:] == edited.split(b"\n")[3:]
    row = next(r for r in parse_router(after["router.md"].decode()).rows if r.id == "finance")
    assert (row.tokens, row.updated) == (page.header.tokens, "2026-11-21")


def test_a_second_sync_writes_nothing(store: LocalRecording) -> None:
    _edit_body(
        store,
        "finance",
        "Everything here was current at the last review.",
        "Reviewed again in November.",
    )
    sync(store, TOKENS, now=T1)
    store.writes.clear()
    before = _files(store)
    report = sync(store, TOKENS, now=T1 + timedelta(days=1))
    assert store.writes == []
    assert _files(store) == before
    assert report.changed == ()
    assert not report.router_changed
    assert report.roll_call() == "Index sync: 6 shards, 0 changed, 0 invalid. No anomalies."


def test_whitespace_only_edits_do_not_count_as_changes(store: LocalRecording) -> None:
    file = store.inner.path / "clients.md"
    file.write_bytes(file.read_bytes().replace(b"\n", b"  \r\n") + b"\r\n\r\n")
    report = sync(store, TOKENS, now=T1)
    assert report.changed == ()
    assert store.writes == []


def test_a_page_with_a_broken_header_is_reported_with_page_and_field_and_skipped(
    store: LocalRecording,
) -> None:
    file = store.inner.path / "credentials.md"
    broken = file.read_text().replace('"tokens":', '"tokens":"many","was":', 1)
    file.write_text(broken)
    _edit_body(
        store,
        "finance",
        "Everything here was current at the last review.",
        "Reviewed again in November.",
    )

    report = sync(store, TOKENS, now=T1)

    assert [(i.page_id, i.field) for i in report.invalid] == [("credentials", "tokens")]
    assert "valid integer" in report.invalid[0].message
    assert report.changed == ("finance",)  # the rest of the index still syncs
    assert file.read_text() == broken  # the broken page is left for its owner to fix
    assert "credentials" not in [r.id for r in parse_router(store.read("router").text).rows]
    assert report.roll_call() == "Index sync: 5 shards, 1 changed, 1 invalid. 1 anomaly."
    assert report.to_json()["invalid"] == [
        {"page": "credentials", "field": "tokens", "message": report.invalid[0].message}
    ]


def test_a_header_that_is_not_json_is_reported_and_the_rest_synced(store: LocalRecording) -> None:
    file = store.inner.path / "clients.md"
    file.write_text(file.read_text().replace('{"claude_delta":', "{claude_delta:", 1))
    report = sync(store, TOKENS, now=T1)
    assert [i.page_id for i in report.invalid] == ["clients"]
    assert "not valid JSON" in report.invalid[0].message
    assert len(report.shards) == 5


def test_pages_without_headers_and_non_utf8_pages_are_reported(store: LocalRecording) -> None:
    (store.inner.path / "scratch.md").write_text("# My scratch notes\n\nno header\n")
    (store.inner.path / "latin1.md").write_bytes(b"```json\n{}\n```\n\ncaf\xe9\n")
    report = sync(store, TOKENS, now=T1)
    issues = {i.page_id: i.message for i in report.invalid}
    assert set(issues) == {"scratch", "latin1"}
    assert "no claude_delta header" in issues["scratch"]
    assert "not UTF-8" in issues["latin1"] and "line 5" in issues["latin1"]
    assert len(report.shards) == 6


def test_duplicate_shard_ids_are_reported_on_the_copy_not_the_page_named_after_the_id(
    store: LocalRecording,
) -> None:
    copy = store.inner.path / "finance-copy.md"
    copy.write_bytes((store.inner.path / "finance.md").read_bytes())
    report = sync(store, TOKENS, now=T1)
    assert [(i.page_id, i.field) for i in report.invalid] == [("finance-copy", "id")]
    assert "already used by page 'finance'" in report.invalid[0].message
    assert [(s.id, s.page_id) for s in report.shards if s.id == "finance"] == [
        ("finance", "finance")
    ]
    assert next(
        r for r in parse_router(store.read("router").text).rows if r.id == "finance"
    ).page == ("finance")


def test_of_two_copies_neither_named_after_the_id_the_first_keeps_it(
    store: LocalRecording,
) -> None:
    original = (store.inner.path / "finance.md").read_bytes()
    (store.inner.path / "finance.md").unlink()
    (store.inner.path / "money-a.md").write_bytes(original)
    (store.inner.path / "money-b.md").write_bytes(original)
    report = sync(store, TOKENS, now=T1)
    assert [(i.page_id, i.field) for i in report.invalid] == [("money-b", "id")]
    assert "already used by page 'money-a'" in report.invalid[0].message


def test_log_pages_in_skip_are_ignored(store: LocalRecording) -> None:
    store.inner.append("webhook-log", ["🔔 2026-05-21T02:54:44.452Z [github:push] {}"])
    report = sync(store, TOKENS, now=T1, options=SyncOptions(skip=frozenset({"webhook-log"})))
    assert report.invalid == ()
    assert report.skipped == ("webhook-log",)
    assert report.roll_call() == "Index sync: 6 shards, 0 changed, 0 invalid. No anomalies."
    # without the skip it is just another page without a header
    unskipped = sync(store, TOKENS, now=T1, dry_run=True)
    assert [i.page_id for i in unskipped.invalid] == ["webhook-log"]


def test_the_roll_call_counts_anomalies_in_the_operations_voice(store: LocalRecording) -> None:
    # one invalid page and one header without fetch_when: two anomalies
    (store.inner.path / "scratch.md").write_text("no header\n")
    file = store.inner.path / "finance.md"
    text = file.read_text()
    start = text.index('"fetch_when":[')
    end = text.index("]", start)
    file.write_text(text[:start] + '"fetch_when":[' + text[end:])
    report = sync(store, TOKENS, now=T1)
    assert report.roll_call() == "Index sync: 6 shards, 0 changed, 1 invalid. 2 anomalies."
    assert report.anomalies[0].startswith("scratch: ")
    assert "no claude_delta header" in report.anomalies[0]
    assert report.anomalies[1].startswith("finance: fetch_when is empty")


def test_a_dry_run_reports_changes_but_writes_nothing(store: LocalRecording) -> None:
    _edit_body(
        store,
        "finance",
        "Everything here was current at the last review.",
        "Reviewed again in November.",
    )
    before = _files(store)
    report = sync(store, TOKENS, now=T1, dry_run=True)
    assert report.changed == ("finance",)
    assert report.router_changed
    assert report.dry_run and report.to_json()["dry_run"] is True
    assert store.writes == []
    assert _files(store) == before


def test_the_router_keeps_its_notes_through_syncs_and_a_rebuild(store: LocalRecording) -> None:
    router = store.inner.path / "router.md"
    head = router.read_text().split("## Notes")[0]
    router.write_text(f"{head}## Notes\n\nMine: ask Maren first.\n")
    _edit_body(
        store,
        "finance",
        "Everything here was current at the last review.",
        "Reviewed again in November.",
    )
    sync(store, TOKENS, now=T1, seed_notes="ignored: the router exists")
    assert parse_router(router.read_text()).notes == "Mine: ask Maren first."

    # a router whose table was mangled is rebuilt, and its notes still survive
    router.write_text(router.read_text().replace("| id |", "| id | extra |"))
    report = sync(store, TOKENS, now=T1)
    assert report.router_changed
    rebuilt = parse_router(router.read_text())
    assert rebuilt.notes == "Mine: ask Maren first."
    assert [r.id for r in rebuilt.rows] == list(SHARD_IDS)


def test_a_missing_router_is_created_with_the_seed_notes(store: LocalRecording) -> None:
    (store.inner.path / "router.md").unlink()
    report = sync(store, TOKENS, now=T1, seed_notes="From the monolith's introduction.")
    assert report.router_changed
    router = parse_router(store.read("router").text)
    assert router.notes == "From the monolith's introduction."
    assert router.header.page_type == "router"
    assert router.header.tokens is not None and router.header.updated_at == T1


def test_archived_shards_leave_the_router_but_stay_listed(store: LocalRecording) -> None:
    file = store.inner.path / "clients.md"
    file.write_text(file.read_text().replace('"status":"active"', '"status":"archived"', 1))
    report = sync(store, TOKENS, now=T1)
    assert "clients" in [s.id for s in report.shards]
    assert "clients" not in [r.id for r in parse_router(store.read("router").text).rows]


def test_status_of_marks_edited_shards_stale_without_writing(store: LocalRecording) -> None:
    _edit_body(
        store,
        "finance",
        "Everything here was current at the last review.",
        "Reviewed again in November.",
    )
    statuses = status_of(scan(store.inner))
    assert [s.id for s in statuses if s.changed] == ["finance"]
    assert store.writes == []
    finance = next(s for s in statuses if s.id == "finance")
    assert finance.to_json()["updated_at"] == "2026-11-21T10:00:00Z"
    assert finance.header_bytes <= 512


def test_a_log_page_is_skipped_by_name_when_the_store_ids_it_otherwise(
    store: LocalRecording,
) -> None:
    # A Notion store lists the log page under its UUID, with its title as the name.
    class NamedLog(LocalRecording):
        def list_pages(self) -> list[PageRef]:
            return [
                replace(r, name="webhook-log") if r.id == "log-uuid" else r
                for r in super().list_pages()
            ]

    named = NamedLog(LocalFolderStore(store.inner.path))
    named.inner.append("log-uuid", ["🔔 2026-05-21T02:54:44.452Z [github:push] {}"])
    report = sync(named, TOKENS, now=T1, options=SyncOptions(skip=frozenset({"webhook-log"})))
    assert report.invalid == ()
    assert report.skipped == ("log-uuid",)


def test_adopt_gives_a_hand_written_page_a_generated_header_and_a_router_row(
    store: LocalRecording,
) -> None:
    store.inner.write(
        "vendors",
        "## Vendors\n\nPrintworks Ltd prints the brochures; Printworks invoices monthly.\n\n"
        "### Printworks Ltd\n\nContact Sam at Printworks Ltd for rush jobs.\n",
    )
    without = sync(store, TOKENS, now=T1, dry_run=True)
    assert [i.page_id for i in without.invalid] == ["vendors"]
    report = sync(store, TOKENS, now=T1, adopt=True)
    assert report.adopted == ("vendors",)
    assert report.invalid == ()
    page = parse_page(store.inner.read("vendors").text, page_id="vendors")
    assert page.header is not None
    assert (page.header.id, page.header.title) == ("vendors", "Vendors")
    assert page.header.fetch_when == ("Printworks Ltd",)
    assert page.header.tokens == TOKENS.count(page.body)
    assert "Printworks Ltd prints the brochures" in page.body
    assert "vendors" in [r.id for r in parse_router(store.inner.read("router").text).rows]
    # adopted once: the next sync has nothing to adopt and nothing to change
    again = sync(store, TOKENS, now=T1, adopt=True)
    assert again.adopted == () and again.changed == ()


def test_adopt_never_rewrites_a_page_whose_header_is_broken(store: LocalRecording) -> None:
    broken = '```json\n{"claude_delta": {"id": "x", "title": 5}}\n```\n\nMine.\n'
    store.inner.write("mine", broken)
    report = sync(store, TOKENS, now=T1, adopt=True)
    assert report.adopted == ()
    assert [i.page_id for i in report.invalid] == ["mine"]
    assert store.inner.read("mine").text == broken


def test_an_adopted_page_whose_name_is_taken_gets_its_own_id(store: LocalRecording) -> None:
    store.inner.write("Finance_notes", "## Finance\n\nA second finance page written by hand.\n")
    report = sync(store, TOKENS, now=T1, adopt=True)
    assert report.adopted == ("Finance_notes",)
    header = parse_page(store.inner.read("Finance_notes").text, page_id="x").header
    assert header is not None and header.id == "finance-2"


# -- a workspace that cannot be tricked ------------------------------------------------------

LEAKED = "Outside the workspace: the root password of the NAS is kept in the blue binder."


def test_a_link_leaving_the_workspace_is_never_adopted_served_or_routed(
    store: LocalRecording, tmp_path: Path
) -> None:
    outside = tmp_path / "home" / "notes.md"
    outside.parent.mkdir()
    outside.write_text(f"# NAS notes\n\n{LEAKED}\n")  # no header: adoptable if it were read
    (store.inner.path / "nas.md").symlink_to(outside)
    local = store.inner

    report = sync(local, TOKENS, now=T1, adopt=True)
    assert report.adopted == ()
    assert "nas" not in {s.id for s in report.shards} | {i.page_id for i in report.invalid}
    assert [u.file for u in report.unusable] == ["nas.md"]
    assert "outside the workspace" in report.unusable[0].reason
    assert report.roll_call().endswith("1 unusable file. 1 anomaly.")
    assert report.to_json()["unusable"][0]["file"] == "nas.md"
    assert "nas" not in local.read("router").text
    assert outside.read_text() == f"# NAS notes\n\n{LEAKED}\n"

    service = ContextService(local, TOKENS)
    assert "nas" not in {s.id for s in service.list_shards()}
    assert LEAKED not in service.get_context("NAS root password blue binder", 8_000).context


def test_every_unusable_file_is_in_the_report_and_the_rest_is_synced(
    store: LocalRecording,
) -> None:
    ws = store.inner.path
    (ws / "Client notes.md").write_text("# Notes\n")
    (ws / "archive.md").mkdir()
    (ws / "ops.markdown").write_text("# Ops\n")
    (ws / "notes.txt").write_text("not meant as a page")
    report = sync(store.inner, TOKENS, now=T1)
    assert [u.file for u in report.unusable] == ["Client notes.md", "archive.md", "ops.markdown"]
    assert all(u.reason and u.hint for u in report.unusable)
    assert len(report.shards) == 6 and report.invalid == ()
    assert report.roll_call() == (
        "Index sync: 6 shards, 0 changed, 0 invalid, 3 unusable files. 3 anomalies."
    )


# -- two-level routers ----------------------------------------------------------------------


@pytest.fixture
def large(tmp_path: Path) -> LocalRecording:
    """A workspace of LARGE shards synced once at T0: a top router and one page per domain."""
    write_index(tmp_path / "ws", LARGE)
    recording = RecordingStore(LocalFolderStore(tmp_path / "ws"))
    sync(recording, TOKENS, now=T0)
    recording.writes.clear()
    return recording


def _router_pages(store: LocalRecording) -> dict[str, RouterPage]:
    pages = {}
    for file in sorted(store.inner.path.glob("router*.md")):
        text = file.read_text(encoding="utf-8")
        if '"page_type":"router"' in text:
            pages[file.stem] = parse_router(text, page_id=file.stem)
    return pages


def _domain_of(store: LocalRecording, shard_id: str) -> str:
    pages = _router_pages(store)
    return next(
        pid
        for pid, p in pages.items()
        if p.lists == "shards" and not p.retired and shard_id in [r.id for r in p.rows]
    )


def _set_header(store: LocalRecording, page_id: str, **fields: object) -> None:
    file = store.inner.path / f"{page_id}.md"
    page = parse_page(file.read_text(encoding="utf-8"), page_id=page_id)
    assert page.header is not None
    file.write_text(render_page(page.header.model_copy(update=fields), page.body), encoding="utf-8")


def test_an_index_that_outgrows_one_page_gets_a_router_page_per_domain(
    large: LocalRecording,
) -> None:
    pages = _router_pages(large)
    top = pages.pop("router")
    assert top.lists == "domains" and top.parent is None
    # one row per domain page, by id; a domain too big for one page lists its parts
    assert [r.id for r in top.rows] == sorted(p for p in pages if pages[p].parent == "router")
    # LARGE cuts clients into parts; the top router lists them side by side: two levels
    assert any("--" in r.id for r in top.rows)
    assert all(p.lists == "shards" for p in pages.values())
    listed = [r.id for p in pages.values() if p.lists == "shards" for r in p.rows]
    shard_ids = sorted(f.stem for f in large.inner.path.glob("*.md") if f.stem not in pages)
    assert sorted(listed) == [s for s in shard_ids if s != "router"]
    for page_id, page in pages.items():
        assert page.parent == "router" or page.parent in pages
        if page.lists == "domains":
            assert all(pages[r.page].parent == page_id for r in page.rows)
        assert page.header.id == page_id and page.header.content_hash is not None
    for file in large.inner.path.glob("router*.md"):
        assert len(file.read_bytes()) <= ROUTER_PAGE_LIMIT_BYTES, file.name
    for row in top.rows:
        assert row.tokens == sum(r.tokens or 0 for r in pages[row.page].rows)


def test_a_second_sync_of_a_two_level_router_writes_nothing(large: LocalRecording) -> None:
    before = _files(large)
    report = sync(large, TOKENS, now=T1)
    assert large.writes == []
    assert _files(large) == before
    assert not report.router_changed
    assert len(report.routers) == len(_router_pages(large))


def test_editing_a_shard_s_summary_rewrites_only_its_domain_page(large: LocalRecording) -> None:
    shard = sorted(f.stem for f in large.inner.path.glob("clients-*.md"))[-1]
    domain = _domain_of(large, shard)
    top_before = (large.inner.path / "router.md").read_bytes()
    _set_header(large, shard, summary="Rewritten by the operator: who to call first.")

    report = sync(large, TOKENS, now=T1)

    # the summary is operator-owned (no machine field moves) and the top router's row for
    # the domain names titles, not summaries: one page written, the domain's
    assert large.writes == [domain]
    assert (large.inner.path / "router.md").read_bytes() == top_before
    row = next(r for r in _router_pages(large)[domain].rows if r.id == shard)
    assert row.holds == "Rewritten by the operator: who to call first."
    assert [r.page_id for r in report.routers if r.changed] == [domain]


def test_editing_a_shard_s_body_rewrites_the_shard_its_domain_page_and_the_top(
    large: LocalRecording,
) -> None:
    shard = next(f.stem for f in sorted(large.inner.path.glob("infra-*.md")))
    domain = _domain_of(large, shard)
    _edit_body(large, shard, "step by step.", "step by step, checked twice.")
    sync(large, TOKENS, now=T1)
    assert sorted(large.writes) == sorted([shard, domain, "router"])
    top = _router_pages(large)["router"]
    assert next(r for r in top.rows if r.id == domain).tokens == sum(
        r.tokens or 0 for r in _router_pages(large)[domain].rows
    )


def test_notes_on_every_router_page_survive_regeneration(large: LocalRecording) -> None:
    shard = next(f.stem for f in sorted(large.inner.path.glob("infra-*.md")))
    domain = _domain_of(large, shard)
    for page_id in ("router", domain):
        file = large.inner.path / f"{page_id}.md"
        file.write_text(file.read_text() + f"\nAsk Maren before moving {page_id}.\n")
    _edit_body(large, shard, "step by step.", "step by step, checked twice.")
    sync(large, TOKENS, now=T1)
    pages = _router_pages(large)
    assert pages["router"].notes == "Ask Maren before moving router."
    assert pages[domain].notes == f"Ask Maren before moving {domain}."


def test_a_domain_that_empties_is_retired_keeping_its_notes_and_then_left_alone(
    large: LocalRecording,
) -> None:
    for shard in sorted(f.stem for f in large.inner.path.glob("clients-*.md"))[:3]:
        _set_header(large, shard, domain="vip")
    sync(large, TOKENS, now=T1)
    assert _router_pages(large)["router-vip"].rows
    vip = large.inner.path / "router-vip.md"
    vip.write_text(vip.read_text() + "\nVIP list agreed with Jonas.\n")
    for file in large.inner.path.glob("clients-*.md"):
        if '"domain":"vip"' in file.read_text():
            file.unlink()
    large.writes.clear()

    report = sync(large, TOKENS, now=T1 + timedelta(hours=1))

    retired = _router_pages(large)["router-vip"]
    assert retired.retired and retired.rows == ()
    assert retired.header.status == "archived"
    assert retired.notes == "VIP list agreed with Jonas."
    assert "Retired: this domain has no shards any more" in vip.read_text()
    assert "router-vip" not in [r.id for r in _router_pages(large)["router"].rows]
    assert sorted(large.writes) == ["router", "router-vip"]
    assert [r.retired for r in report.routers if r.page_id == "router-vip"] == [True]
    large.writes.clear()
    sync(large, TOKENS, now=T1 + timedelta(hours=2))
    assert large.writes == []  # a retired page is marked once


def test_the_operators_domain_field_moves_a_shard_to_its_own_domain_page(
    large: LocalRecording,
) -> None:
    moved = sorted(f.stem for f in large.inner.path.glob("infra-*.md"))[:3]
    before = _domain_of(large, moved[0])
    for shard in moved:
        _set_header(large, shard, domain="on-call")
    sync(large, TOKENS, now=T1)
    pages = _router_pages(large)
    assert [r.id for r in pages["router-on-call"].rows] == moved
    assert pages["router-on-call"].header.domain == "on-call"
    assert not set(moved) & {r.id for r in pages[before].rows}
    assert "router-on-call" in [r.id for r in pages["router"].rows]


def test_an_index_that_shrinks_to_one_page_goes_back_to_one_level(large: LocalRecording) -> None:
    keep = sorted(f.stem for f in large.inner.path.glob("*.md") if not f.stem.startswith("router"))
    for shard in keep[5:]:
        (large.inner.path / f"{shard}.md").unlink()
    report = sync(large, TOKENS, now=T1)
    pages = _router_pages(large)
    top = pages.pop("router")
    assert top.lists == "shards" and [r.id for r in top.rows] == keep[:5]
    assert "lists" not in (top.header.model_extra or {})
    assert all(p.retired for p in pages.values())
    assert report.routers[-1].page_id == "router"


def test_a_dry_run_of_a_two_level_index_writes_nothing_and_reports_every_page(
    tmp_path: Path,
) -> None:
    write_index(tmp_path / "ws", LARGE)
    recording = RecordingStore(LocalFolderStore(tmp_path / "ws"))
    report = sync(recording, TOKENS, now=T0, dry_run=True)
    assert recording.writes == []
    assert not list(recording.inner.path.glob("router*.md"))
    assert report.router_changed and len(report.routers) > 2
    assert {r.lists for r in report.routers} == {"shards", "domains"}


def test_a_shard_named_like_a_domain_router_page_is_never_overwritten(tmp_path: Path) -> None:
    write_index(tmp_path / "ws", LARGE)
    header = ClaudeDelta(
        id="router-clients", title="Router clients", domain="clients", fetch_when=("routers",)
    )
    shard = tmp_path / "ws" / "router-clients.md"
    shard.write_text(render_page(header, "# Router clients\n\nOur routers at client sites.\n"))
    recording = RecordingStore(LocalFolderStore(tmp_path / "ws"))
    sync(recording, TOKENS, now=T0)
    page = parse_page(shard.read_text(), page_id="router-clients")
    assert page.header is not None and page.header.page_type == "shard"
    assert "Our routers at client sites." in page.body
    pages = _router_pages(recording)
    assert "router-clients" not in pages
    moved = [p for p in pages if p.startswith("router-clients-router")]  # the domain moved aside
    assert moved and all(pages[p].header.domain == "clients" for p in moved)
    leaf = next(
        p
        for p in pages.values()
        if p.lists == "shards" and "router-clients" in [r.id for r in p.rows]
    )
    assert leaf.header.domain == "clients"


def test_a_two_level_router_on_notion_links_real_pages_and_retires_by_marking(
    notion_fake: NotionFake,
) -> None:
    """On Notion page ids are uuids and pages are found by title: the domain pages are
    created by name, the top router links their Notion urls, an idle sync writes nothing and
    a domain that empties is marked archived in place."""
    store = RecordingStore(notion_store(notion_fake))
    try:
        summary = "Who owns it, what it costs, how it is set up, who to call. " * 5
        for domain in ("clients", "infra", "finance"):
            for n in range(8):
                header = ClaudeDelta(
                    id=f"{domain}-{n}",
                    title=f"{domain.capitalize()} {n}",
                    summary=summary.strip(),
                    fetch_when=(f"{domain} question {n}",),
                )
                store.write(f"{domain}-{n}", render_page(header, f"# {domain} {n}\n\nText.\n"))
        store.writes.clear()

        first = sync(store, TOKENS, now=T0)

        assert sorted(store.writes[-4:]) == [
            "router",
            "router-clients",
            "router-finance",
            "router-infra",
        ]
        names = {ref.name: ref for ref in store.list_pages()}
        top = parse_router(store.read("router").text)
        assert top.lists == "domains"
        for row in top.rows:
            assert row.url == names[row.page].url  # a real Notion url, not a guess
            domain_page = parse_router(store.read(row.page).text, page_id=row.page)
            assert len(domain_page.rows) == 8 and domain_page.parent == "router"
        assert max(r.bytes for r in first.routers) <= ROUTER_PAGE_LIMIT_BYTES

        store.writes.clear()
        assert not sync(store, TOKENS, now=T1).router_changed
        assert store.writes == []

        for n in range(8):
            page = parse_page(store.read(f"finance-{n}").text, page_id=f"finance-{n}")
            assert page.header is not None
            archived = page.header.model_copy(update={"status": "archived"})
            store.write(f"finance-{n}", render_page(archived, page.body))
        store.writes.clear()
        sync(store, TOKENS, now=T1)
        retired = parse_router(store.read("router-finance").text, page_id="router-finance")
        assert retired.retired and retired.rows == ()
        # written in place by page id: the retired domain page and the top router, nothing else
        assert sorted(store.writes) == sorted([names["router-finance"].id, names["router"].id])
        assert "router-finance" not in [
            r.page for r in parse_router(store.read("router").text).rows
        ]
    finally:
        store.inner.close()


def test_a_retired_domain_page_comes_back_when_its_domain_has_shards_again(
    large: LocalRecording,
) -> None:
    moved = sorted(f.stem for f in large.inner.path.glob("infra-*.md"))[:3]
    for shard in moved:
        _set_header(large, shard, domain="on-call")
    sync(large, TOKENS, now=T1)
    for shard in moved:
        _set_header(large, shard, domain=None)
    sync(large, TOKENS, now=T1 + timedelta(hours=1))
    assert _router_pages(large)["router-on-call"].retired
    for shard in moved:
        _set_header(large, shard, domain="on-call")
    large.writes.clear()
    sync(large, TOKENS, now=T1 + timedelta(hours=2))
    back = _router_pages(large)["router-on-call"]
    assert not back.retired and [r.id for r in back.rows] == moved
    assert "router-on-call" in large.writes
