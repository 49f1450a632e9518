"""One contract, every page store: the local folder and Notion (on the loopback fake).

Page ids here are names ("notes", "log"): a file name locally, a child page title in Notion.
Tests compare what the protocol promises, not how a backend spells it: ids and versions are
opaque, so they are taken from ``write`` and ``list_pages``, never built by hand.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from shards.errors import PageError, PageNotFound
from shards.local import LocalFolderStore
from shards.notion import NotionOptions, NotionStore
from shards.store import PageStore
from tests.notion_fake import NotionFake


@dataclass
class Backend:
    store: PageStore
    fake: NotionFake | None = None


def notion_store(fake: NotionFake, **overrides: object) -> NotionStore:
    """A store on the fake with test-sized waits and no client-side rate limit."""
    options: dict[str, object] = {
        "token": fake.token,
        "root_page_id": fake.root_id,
        "base_url": fake.url,
        "requests_per_second": None,
        "timeout_s": 5.0,
        "max_retries": 2,
        "retry_initial_delay_s": 0.01,
        "retry_max_delay_s": 0.05,
    }
    clock = overrides.pop("clock", time.time)
    options.update(overrides)
    return NotionStore(NotionOptions(**options), clock=clock)  # type: ignore[arg-type]


class MinuteClock:
    """Each reading is a minute after the one before: every edit gets a version of its own
    (Notion rounds ``last_edited_time`` to the minute; same-minute edits are tested apart)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        self.now += 61.0
        return self.now


def same_content(a: str, b: str) -> bool:
    """The same document: equal once rendered (blank lines between blocks, padding in table
    cells and escapes are how a store spells a page, not what it says)."""
    md = MarkdownIt("commonmark").enable("table")
    return bool(md.render(a) == md.render(b))


@pytest.fixture(params=["local", "notion"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "local":
        yield Backend(LocalFolderStore(tmp_path / "workspace"))
        return
    fake: NotionFake = request.getfixturevalue("notion_fake")
    fake.clock = MinuteClock()
    store = notion_store(fake)
    try:
        yield Backend(store, fake)
    finally:
        store.close()


TEXTS = {
    "unicode": "# Ünïcödé ✓\n\nNaïve café, 日本語, emoji 🧠🚀, RTL עברית, combining e\u0301.\n",
    "code fence": "## Code\n\n```python\ndef f(x):\n    return {'a': [1, 2]}  # `tick`\n```\n",
    "table": "| key | value |\n| --- | ----- |\n| a   | 1     |\n| b   | 2 \\| 3 |\n",
}


def test_the_store_is_a_page_store(backend: Backend) -> None:
    assert isinstance(backend.store, PageStore)


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_a_written_page_reads_back_whole(backend: Backend, text: str) -> None:
    ref = backend.store.write("notes", text)
    page = backend.store.read(ref.id)
    assert same_content(page.text, text), page.text
    assert (page.id, page.version, page.url) == (ref.id, ref.version, ref.url)
    assert same_content(backend.store.read("notes").text, text)


def test_a_write_replaces_the_whole_page(backend: Backend) -> None:
    backend.store.write("notes", "first\nsecond\n")
    ref = backend.store.write("notes", "only this\n")
    assert backend.store.read(ref.id).text.strip() == "only this"


def test_list_pages_shows_written_pages_and_versions_follow_content(backend: Backend) -> None:
    a = backend.store.write("alpha", "a1\n")
    b = backend.store.write("beta", "b1\n")
    listed = {ref.id: ref for ref in backend.store.list_pages()}
    assert listed[a.id] == a
    assert listed[b.id] == b
    assert [ref.id for ref in backend.store.list_pages()] == sorted(listed)

    again = {ref.id: ref.version for ref in backend.store.list_pages()}
    assert again[a.id] == a.version, "nothing changed, so the version must not"

    backend.store.read(a.id)
    a2 = backend.store.write("alpha", "a2\n")
    after = {ref.id: ref.version for ref in backend.store.list_pages()}
    assert after[a.id] == a2.version != a.version
    assert after[b.id] == b.version


def test_the_url_of_a_page_is_the_one_listed(backend: Backend) -> None:
    ref = backend.store.write("notes", "x\n")
    assert backend.store.url(ref.id) == ref.url


def test_reading_a_missing_page_raises_page_not_found(backend: Backend) -> None:
    backend.store.write("present", "x\n")
    with pytest.raises(PageNotFound) as caught:
        backend.store.read("absent")
    assert caught.value.page_id == "absent"


def test_append_creates_the_page_and_tail_returns_the_last_lines_in_order(
    backend: Backend,
) -> None:
    backend.store.append("log", ["one", "two"])
    backend.store.append("log", ["three"])
    assert backend.store.tail("log", 2) == ["two", "three"]
    assert backend.store.tail("log", 10) == ["one", "two", "three"]
    assert backend.store.tail("log", 0) == []
    assert [line for line in backend.store.read("log").text.splitlines() if line] == [
        "one",
        "two",
        "three",
    ]


def test_append_of_nothing_changes_nothing(backend: Backend) -> None:
    backend.store.append("log", [])
    assert backend.store.tail("log", 5) == []


def test_tail_of_a_missing_page_is_empty(backend: Backend) -> None:
    assert backend.store.tail("nowhere", 5) == []


def test_a_block_of_several_lines_stays_together(backend: Backend) -> None:
    """The drainer packs lines into one block and flattens ``tail`` with ``split("\\n")``."""
    backend.store.append("log", ["one\ntwo", "three"])
    flat = [line for block in backend.store.tail("log", 3) for line in block.split("\n")]
    assert flat == ["one", "two", "three"]
    assert [line for line in backend.store.read("log").text.splitlines() if line] == [
        "one",
        "two",
        "three",
    ]


@pytest.mark.parametrize("bad", ["ends with a break\n", "carriage\rreturn"])
def test_a_block_ending_with_a_line_break_or_holding_a_cr_is_refused(
    backend: Backend, bad: str
) -> None:
    with pytest.raises(PageError):
        backend.store.append("log", ["fine", bad])
    assert backend.store.tail("log", 5) == []


def test_many_lines_are_appended_in_order_in_requests_of_at_most_100(backend: Backend) -> None:
    lines = [f"event {i:03d} ✓" for i in range(250)]
    backend.store.append("log", lines)
    assert backend.store.tail("log", 250) == lines
    assert backend.store.tail("log", 3) == lines[-3:]
    if backend.fake is not None:
        appends = [r for r in backend.fake.requests_to("PATCH", "/children") if r.status == 200]
        assert len(appends) == 3
        assert all(len(r.body["children"]) <= 100 for r in appends)
        assert not [r for r in backend.fake.requests if r.status >= 400]


def test_a_5000_character_line_is_stored_in_pieces_and_read_back_whole(backend: Backend) -> None:
    line = "".join(f"{i % 10}" for i in range(4990)) + "🧠🧠🧠🧠🧠"  # 5,000 chars, 5,005 units
    backend.store.append("log", ["before", line, "after"])
    assert backend.store.tail("log", 3) == ["before", line, "after"]
    if backend.fake is not None:
        [page_id] = [r.id for r in backend.store.list_pages()]
        block = backend.fake.blocks(page_id)[1]
        pieces = [rt["text"]["content"] for rt in block["paragraph"]["rich_text"]]
        assert len(pieces) == 3
        assert "".join(pieces) == line
