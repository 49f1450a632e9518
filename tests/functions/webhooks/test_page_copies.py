"""Page copies in the state database (shards.cache.PageCache), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from functions.page_copies import StatePageCache
from functions.webhooks.outbox import open_outbox
from shards import CachedStore, LocalFolderStore, PageCache, StoredPage


def test_copies_are_saved_replaced_and_forgotten_per_store(outbox_url: str) -> None:
    with open_outbox(outbox_url) as db:
        a = StoredPage("p1", "text one", "v1", "https://x/p1", settled=False)
        db.save_pages("root-a", [a, StoredPage("p2", "two", "v2", "https://x/p2")])
        db.save_pages("root-b", [StoredPage("p1", "other root", "v9", "u")])
        assert db.load_pages("root-a") == {
            "p1": a,
            "p2": StoredPage("p2", "two", "v2", "https://x/p2"),
        }
        newer = StoredPage("p1", "text one, edited", "v3", "https://x/p1", settled=True)
        db.save_pages("root-a", [newer])
        assert db.load_pages("root-a")["p1"] == newer
        db.forget_pages("root-a", ["p2", "never-there"])
        assert set(db.load_pages("root-a")) == {"p1"}
        assert db.load_pages("root-b")["p1"].text == "other root"


def test_when_a_page_was_written_survives_a_later_read(outbox_url: str) -> None:
    with open_outbox(outbox_url) as db:
        page = StoredPage("p1", "ours", "v1", "u", settled=False)
        assert db.written_at("root", "p1") is None
        db.save_pages("root", [page], written=True)
        written = db.written_at("root", "p1")
        assert written is not None
        assert abs(written - datetime.now(UTC)) < timedelta(minutes=1)
        db.save_pages("root", [StoredPage("p1", "ours", "v1", "u", settled=True)])
        assert db.written_at("root", "p1") == written


def test_a_database_that_cannot_answer_costs_reads_not_errors(tmp_path: Path) -> None:
    def broken() -> PageCache:
        raise OSError("disk gone")

    cache = StatePageCache(broken)
    store = CachedStore(LocalFolderStore(tmp_path / "ws"), cache, key="k")
    store.write("notes", "hello\n")
    assert store.read("notes").text == "hello\n"
    assert cache.load_pages("k") == {}
