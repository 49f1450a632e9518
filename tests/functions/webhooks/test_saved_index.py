"""The saved index in the state database (functions.saved_index.StateIndexPlace), on SQLite and
PostgreSQL: what one Cloud Run instance (or the scheduled sync job) saves, a new instance
starts from, reading no page; what cannot be trusted is refused and rebuilt, as on disk."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.saved_index import KEEP_S, StateIndexPlace
from functions.webhooks.errors import OutboxError
from functions.webhooks.outbox import SqlOutbox, open_outbox
from router import IndexPlace, persist
from router.snapshot import SnapshotCache
from shards import TiktokenCounter
from tests.router.helpers import (
    SHARD_IDS,
    CountingStore,
    analyzed_shards,
    build_store,
    persisted_cache,
    ranking,
)

WORKSPACE = "notion:0123456789abcdef0123456789abcdef"
TASKS = ("rotate the stripe webhook secret", "dns record ttl", "quarterly vat return")
SMALL = 4096  # bytes per chunk: a saved index of the fixture spans many of them


@pytest.fixture
def outbox(outbox_url: str) -> Iterator[SqlOutbox]:
    with open_outbox(outbox_url) as opened:
        yield opened


@pytest.fixture(scope="module")
def tokenizer() -> TiktokenCounter:
    return TiktokenCounter()


@pytest.fixture
def store(tmp_path: Path, tokenizer: TiktokenCounter) -> CountingStore:
    return CountingStore(build_store(tmp_path / "ws", tokenizer))


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _cache(
    store: CountingStore, tokenizer: TiktokenCounter, place: IndexPlace | Path
) -> SnapshotCache:
    return persisted_cache(store, tokenizer, place, WORKSPACE)


def _chunks(outbox: SqlOutbox) -> dict[str, set[int]]:
    """Each file's generations that have chunks."""
    with outbox.transaction("test", write=False) as tx:
        rows = tx.rows("SELECT name, generation FROM saved_index_chunks")
    out: dict[str, set[int]] = {}
    for name, generation in rows:
        out.setdefault(str(name), set()).add(int(generation))
    return out


def test_a_new_instance_answers_from_the_index_another_saved_without_reading_a_page(
    outbox: SqlOutbox, store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    built = _cache(store, tokenizer, StateIndexPlace(lambda: outbox, chunk=SMALL))
    expected = [ranking(built, t) for t in TASKS]
    assert not built.loaded
    chunks = _chunks(outbox)
    assert set(chunks) == {"index", "index.terms"}
    with outbox.transaction("test", write=False) as tx:
        (count,) = tx.rows("SELECT COUNT(*) FROM saved_index_chunks WHERE name = 'index'")[0]
    assert int(count) > 10  # the payload really spans many rows
    store.reads.clear()
    # another instance: its own place object over the same database
    resumed = _cache(store, tokenizer, StateIndexPlace(lambda: outbox, chunk=SMALL))
    assert [ranking(resumed, t) for t in TASKS] == expected
    assert resumed.loaded and resumed.load_note == ""
    assert store.reads == []
    assert resumed.get().ids() == SHARD_IDS


def test_an_instance_one_edit_behind_reanalyzes_only_that_page_and_never_writes(
    outbox: SqlOutbox,
    store: CountingStore,
    tokenizer: TiktokenCounter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The job saved the index; a page was edited since; a new instance (a read-only place)
    takes every other shard's terms from the database and analyzes the edited page alone."""
    _cache(store, tokenizer, StateIndexPlace(lambda: outbox, chunk=SMALL)).get()
    written = _chunks(outbox)
    page = store.inner.read("finance")
    store.inner.write("finance", page.text.replace("payable within 14 days", "within 45 days"))
    analyzed = analyzed_shards(monkeypatch)
    instance = _cache(store, tokenizer, StateIndexPlace(lambda: outbox, read_only=True))
    snap = instance.get()
    assert analyzed == ["finance"] and snap.generation == 2
    fresh = _cache(store, tokenizer, tmp_path / "from-pages.bin")
    for task in (*TASKS, "invoice payment terms days"):
        assert ranking(instance, task) == ranking(fresh, task)
    assert _chunks(outbox) == written  # the instance saved nothing


def test_the_bytes_are_the_same_as_on_disk(
    outbox: SqlOutbox, store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path
) -> None:
    """One format in both places: what is read back from the database is the file."""
    cache = _cache(store, tokenizer, tmp_path / "index.bin")
    cache.get()
    saved, why = persist.load(tmp_path / "index.bin", workspace=WORKSPACE, build=cache._build_key())
    assert saved is not None, why
    place = StateIndexPlace(lambda: outbox, chunk=SMALL)
    for where in (place, tmp_path / "again.bin"):
        persist.save(where, saved, workspace=WORKSPACE, build=cache._build_key())
    on_disk = (tmp_path / "again.bin").read_bytes()
    with place.reader("index") as src:
        assert src.read() == on_disk
        src.seek(len(on_disk) - 5000)  # and from anywhere, as the loader reads it twice
        assert src.read() == on_disk[-5000:]


def test_a_missing_chunk_is_refused_and_the_index_rebuilt_and_saved_again(
    outbox: SqlOutbox, store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    place = StateIndexPlace(lambda: outbox, chunk=SMALL)
    expected = [ranking(_cache(store, tokenizer, place), t) for t in TASKS]
    with outbox.transaction("test") as tx:
        tx.run("DELETE FROM saved_index_chunks WHERE name = 'index' AND seq = 3")
    rebuilt = _cache(store, tokenizer, StateIndexPlace(lambda: outbox, chunk=SMALL))
    assert [ranking(rebuilt, t) for t in TASKS] == expected
    assert not rebuilt.loaded
    assert "chunk 3 of 'index' in the state database is missing" in rebuilt.load_note
    assert rebuilt.load_note.endswith("rebuilding")
    again = _cache(store, tokenizer, StateIndexPlace(lambda: outbox, chunk=SMALL))
    again.get()
    assert again.loaded  # the rebuild saved a whole index


def test_a_saved_index_of_another_workspace_is_never_loaded(
    outbox: SqlOutbox, store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    place = StateIndexPlace(lambda: outbox)
    _cache(store, tokenizer, place).get()
    other = persisted_cache(store, tokenizer, place, "notion:another")
    other.get()
    assert not other.loaded
    assert "belongs to another workspace" in other.load_note
    assert "in the state database" in other.load_note


def test_a_rewrite_keeps_the_generation_it_replaced_and_prunes_older_ones(
    outbox: SqlOutbox, store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    clock = Clock()
    place = StateIndexPlace(lambda: outbox, chunk=SMALL, clock=clock)
    cache = _cache(store, tokenizer, place)
    saved, _ = persist.load(place, workspace=WORKSPACE, build=cache._build_key())
    assert saved is None and place.saved("index") is None  # nothing yet
    cache.get()
    found = place.saved("index")
    assert found is not None and found[0] > 10 * SMALL and found[1] == clock.now
    saved, why = persist.load(place, workspace=WORKSPACE, build=cache._build_key())
    assert saved is not None, why
    first = _chunks(outbox)["index"]
    assert len(first) == 1
    # a save under way elsewhere: chunks of a generation nothing points at yet
    with pytest.raises(OSError, match="without finishing"), place.writer("index", 10) as slow:
        slow.write(b"x" * (SMALL + 1))
        in_flight = _chunks(outbox)["index"] - first
        clock.now += 10
        persist.save(place, saved, workspace=WORKSPACE, build=cache._build_key())
        second = _chunks(outbox)["index"]
        # the replaced generation stays for readers still on it; the one in flight is kept
        assert first < second and in_flight < second and len(second) == 3
        clock.now += KEEP_S + 1  # an hour on, a writer still not done is taken for dead
        persist.save(place, saved, workspace=WORKSPACE, build=cache._build_key())
        third = _chunks(outbox)["index"]
        assert len(third) == 2 and not (third & first) and not (third & in_flight)
    loaded, why = persist.load(place, workspace=WORKSPACE, build=cache._build_key())
    assert loaded is not None, why


def test_a_writer_that_fails_leaves_the_old_file_and_drops_its_chunks(
    outbox: SqlOutbox, store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    place = StateIndexPlace(lambda: outbox, chunk=SMALL)
    cache = _cache(store, tokenizer, place)
    cache.get()
    before = _chunks(outbox)["index"]
    with pytest.raises(RuntimeError), place.writer("index", 10) as out:
        out.write(b"y" * (3 * SMALL))
        raise RuntimeError("the pickler failed")
    assert _chunks(outbox)["index"] == before
    with pytest.raises(OSError, match="without finishing"), place.writer("index", 10) as out:
        out.write(b"y" * (3 * SMALL))
    assert _chunks(outbox)["index"] == before
    resumed = _cache(store, tokenizer, place)
    resumed.get()
    assert resumed.loaded


def test_a_database_that_cannot_answer_means_building_from_the_pages(
    store: CountingStore, tokenizer: TiktokenCounter, caplog: pytest.LogCaptureFixture
) -> None:
    def down() -> SqlOutbox:
        raise OutboxError("the state database is down", hint="wait")

    cache = _cache(store, tokenizer, StateIndexPlace(down))
    with caplog.at_level(logging.WARNING):
        assert [ranking(cache, t) for t in TASKS]  # served, built from the pages
    assert not cache.loaded
    assert "cannot read the saved index file 'index' in the state database" in cache.load_note
    assert "the state database is down" in cache.load_note
    assert any("could not save the built index" in r.getMessage() for r in caplog.records)


@pytest.mark.postgres
def test_postgres_stores_the_chunks_uncompressed(
    postgres_url: str, store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    """Pickled arrays barely compress: PostgreSQL's default compression only slowed saving."""
    with open_outbox(postgres_url) as outbox:
        _cache(store, tokenizer, StateIndexPlace(lambda: outbox)).get()
        with outbox.transaction("test", write=False) as tx:
            (storage,) = tx.rows(
                "SELECT attstorage FROM pg_attribute"
                " WHERE attrelid = 'saved_index_chunks'::regclass AND attname = 'data'"
            )[0]
    assert storage == "e"  # EXTERNAL: out of line, not compressed


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.binary(min_size=0, max_size=3000),
    chunk=st.integers(min_value=1, max_value=700),
    head=st.integers(min_value=1, max_value=64),
    moves=st.lists(st.tuples(st.integers(0, 3100), st.integers(0, 1200)), max_size=6),
)
def test_a_file_reads_back_as_written_whatever_the_chunking_and_seeks(
    tmp_path: Path, payload: bytes, chunk: int, head: int, moves: list[tuple[int, int]]
) -> None:
    """The reader is a plain seekable file over the rows: any seek, any read size."""
    import io

    with open_outbox(f"sqlite:///{tmp_path / 'state.sqlite3'}") as outbox:
        place = StateIndexPlace(lambda: outbox, chunk=chunk)
        with place.writer("terms", head) as out:
            for at in range(0, len(payload), 257):  # written in pieces unlike the chunks
                out.write(payload[at : at + 257])
            out.finish(b"H" * head)
        whole = b"H" * head + payload
        expected = io.BytesIO(whole)
        with place.reader("terms") as src:
            assert src.read() == whole
            for position, size in moves:
                src.seek(position)
                expected.seek(position)
                assert src.tell() == expected.tell()
                assert src.read(size) == expected.read(size)
                assert src.readline() == expected.readline()


def test_the_header_alone_says_why_a_saved_index_would_not_be_loaded(
    outbox: SqlOutbox, store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path
) -> None:
    """``brain doctor``'s check, on both places: from the head, without reading the rest."""
    database = StateIndexPlace(lambda: outbox, chunk=SMALL)
    folder = tmp_path / "index.bin"
    then = "the next one rebuilds"
    for place in (database, folder):
        none = persist.header_problem(place, workspace=WORKSPACE, then=then)
        assert none.startswith("no saved index")
        _cache(store, tokenizer, place).get()
        assert persist.header_problem(place, workspace=WORKSPACE, then=then) == ""
        other = persist.header_problem(place, workspace="notion:another", then=then)
        assert "belongs to another workspace" in other and other.endswith(then)
        # the same reason a cache gives when it refuses the file
        refused = persisted_cache(store, tokenizer, place, "notion:another")
        refused.get()
        assert refused.load_note.replace("rebuilding", then) == other
    folder.write_bytes(b"something else entirely\n")
    foreign = persist.header_problem(folder, workspace=WORKSPACE, then=then)
    assert foreign == f"{folder} is not a saved index; {then}"
