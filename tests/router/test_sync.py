"""The index sync: refresh only what changed, report broken pages and keep going."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from router import SyncOptions, parse_router, scan, status_of, sync
from router.service import ContextService
from shards import (
    LocalFolderStore,
    PageRef,
    StoredPage,
    TiktokenCounter,
    apply_split,
    parse_page,
    plan_split,
)
from tests.shards.test_split import realistic_monolith

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=3)
TOKENS = TiktokenCounter()
SHARD_IDS = (
    "architecture-decisions",
    "clients",
    "credentials",
    "finance",
    "infrastructure",
    "procedures",
)


class RecordingStore:
    """A real local store that remembers which pages were written."""

    def __init__(self, path: Path) -> None:
        self.inner = LocalFolderStore(path)
        self.writes: list[str] = []

    def list_pages(self) -> list[PageRef]:
        return self.inner.list_pages()

    def read(self, page_id: str) -> StoredPage:
        return self.inner.read(page_id)

    def write(self, page_id: str, text: str) -> PageRef:
        self.writes.append(page_id)
        return self.inner.write(page_id, text)

    def append(self, page_id: str, lines: Sequence[str]) -> None:
        self.writes.append(page_id)
        self.inner.append(page_id, lines)

    def tail(self, page_id: str, count: int) -> list[str]:
        return self.inner.tail(page_id, count)

    def url(self, page_id: str) -> str:
        return self.inner.url(page_id)


@pytest.fixture
def store(tmp_path: Path) -> RecordingStore:
    """A workspace split from a realistic six-domain monolith and synced once at T0."""
    recording = RecordingStore(tmp_path / "ws")
    plan = plan_split(realistic_monolith(), TOKENS)
    apply_split(plan, recording)
    sync(recording, TOKENS, now=T0, seed_notes=plan.intro)
    recording.writes.clear()
    return recording


def _files(store: RecordingStore) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(store.inner.path.iterdir())}


def _edit_body(store: RecordingStore, page_id: str, old: str, new: str) -> None:
    file = store.inner.path / f"{page_id}.md"
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_editing_one_shard_refreshes_only_its_header_and_the_router(
    store: RecordingStore,
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


def test_a_second_sync_writes_nothing(store: RecordingStore) -> None:
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


def test_whitespace_only_edits_do_not_count_as_changes(store: RecordingStore) -> None:
    file = store.inner.path / "clients.md"
    file.write_bytes(file.read_bytes().replace(b"\n", b"  \r\n") + b"\r\n\r\n")
    report = sync(store, TOKENS, now=T1)
    assert report.changed == ()
    assert store.writes == []


def test_a_page_with_a_broken_header_is_reported_with_page_and_field_and_skipped(
    store: RecordingStore,
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


def test_a_header_that_is_not_json_is_reported_and_the_rest_synced(store: RecordingStore) -> None:
    file = store.inner.path / "clients.md"
    file.write_text(file.read_text().replace('{"claude_delta":', "{claude_delta:", 1))
    report = sync(store, TOKENS, now=T1)
    assert [i.page_id for i in report.invalid] == ["clients"]
    assert "not valid JSON" in report.invalid[0].message
    assert len(report.shards) == 5


def test_pages_without_headers_and_non_utf8_pages_are_reported(store: RecordingStore) -> None:
    (store.inner.path / "scratch.md").write_text("# My scratch notes\n\nno header\n")
    (store.inner.path / "latin1.md").write_bytes(b"```json\n{}\n```\n\ncaf\xe9\n")
    report = sync(store, TOKENS, now=T1)
    issues = {i.page_id: i.message for i in report.invalid}
    assert set(issues) == {"scratch", "latin1"}
    assert "no claude_delta header" in issues["scratch"]
    assert "not UTF-8" in issues["latin1"] and "line 5" in issues["latin1"]
    assert len(report.shards) == 6


def test_duplicate_shard_ids_are_reported_on_the_copy_not_the_page_named_after_the_id(
    store: RecordingStore,
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
    store: RecordingStore,
) -> None:
    original = (store.inner.path / "finance.md").read_bytes()
    (store.inner.path / "finance.md").unlink()
    (store.inner.path / "money-a.md").write_bytes(original)
    (store.inner.path / "money-b.md").write_bytes(original)
    report = sync(store, TOKENS, now=T1)
    assert [(i.page_id, i.field) for i in report.invalid] == [("money-b", "id")]
    assert "already used by page 'money-a'" in report.invalid[0].message


def test_log_pages_in_skip_are_ignored(store: RecordingStore) -> None:
    store.inner.append("webhook-log", ["🔔 2026-05-21T02:54:44.452Z [github:push] {}"])
    report = sync(store, TOKENS, now=T1, options=SyncOptions(skip=frozenset({"webhook-log"})))
    assert report.invalid == ()
    assert report.skipped == ("webhook-log",)
    assert report.roll_call() == "Index sync: 6 shards, 0 changed, 0 invalid. No anomalies."
    # without the skip it is just another page without a header
    unskipped = sync(store, TOKENS, now=T1, dry_run=True)
    assert [i.page_id for i in unskipped.invalid] == ["webhook-log"]


def test_the_roll_call_counts_anomalies_in_the_operations_voice(store: RecordingStore) -> None:
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


def test_a_dry_run_reports_changes_but_writes_nothing(store: RecordingStore) -> None:
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


def test_the_router_keeps_its_notes_through_syncs_and_a_rebuild(store: RecordingStore) -> None:
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


def test_a_missing_router_is_created_with_the_seed_notes(store: RecordingStore) -> None:
    (store.inner.path / "router.md").unlink()
    report = sync(store, TOKENS, now=T1, seed_notes="From the monolith's introduction.")
    assert report.router_changed
    router = parse_router(store.read("router").text)
    assert router.notes == "From the monolith's introduction."
    assert router.header.page_type == "router"
    assert router.header.tokens is not None and router.header.updated_at == T1


def test_archived_shards_leave_the_router_but_stay_listed(store: RecordingStore) -> None:
    file = store.inner.path / "clients.md"
    file.write_text(file.read_text().replace('"status":"active"', '"status":"archived"', 1))
    report = sync(store, TOKENS, now=T1)
    assert "clients" in [s.id for s in report.shards]
    assert "clients" not in [r.id for r in parse_router(store.read("router").text).rows]


def test_status_of_marks_edited_shards_stale_without_writing(store: RecordingStore) -> None:
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
    store: RecordingStore,
) -> None:
    # A Notion store lists the log page under its UUID, with its title as the name.
    class NamedLog(RecordingStore):
        def list_pages(self) -> list[PageRef]:
            return [
                replace(r, name="webhook-log") if r.id == "log-uuid" else r
                for r in super().list_pages()
            ]

    named = NamedLog(store.inner.path)
    named.inner.append("log-uuid", ["🔔 2026-05-21T02:54:44.452Z [github:push] {}"])
    report = sync(named, TOKENS, now=T1, options=SyncOptions(skip=frozenset({"webhook-log"})))
    assert report.invalid == ()
    assert report.skipped == ("log-uuid",)


def test_adopt_gives_a_hand_written_page_a_generated_header_and_a_router_row(
    store: RecordingStore,
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


def test_adopt_never_rewrites_a_page_whose_header_is_broken(store: RecordingStore) -> None:
    broken = '```json\n{"claude_delta": {"id": "x", "title": 5}}\n```\n\nMine.\n'
    store.inner.write("mine", broken)
    report = sync(store, TOKENS, now=T1, adopt=True)
    assert report.adopted == ()
    assert [i.page_id for i in report.invalid] == ["mine"]
    assert store.inner.read("mine").text == broken


def test_an_adopted_page_whose_name_is_taken_gets_its_own_id(store: RecordingStore) -> None:
    store.inner.write("Finance_notes", "## Finance\n\nA second finance page written by hand.\n")
    report = sync(store, TOKENS, now=T1, adopt=True)
    assert report.adopted == ("Finance_notes",)
    header = parse_page(store.inner.read("Finance_notes").text, page_id="x").header
    assert header is not None and header.id == "finance-2"


# -- a workspace that cannot be tricked ------------------------------------------------------

LEAKED = "Outside the workspace: the root password of the NAS is kept in the blue binder."


def test_a_link_leaving_the_workspace_is_never_adopted_served_or_routed(
    store: RecordingStore, tmp_path: Path
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
    store: RecordingStore,
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
