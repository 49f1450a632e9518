"""The saved index: a new cache starts from it, and refuses it when it cannot be trusted.

Each case is a second :class:`SnapshotCache` (a new process, as far as the cache can tell)
over the same store: it must answer exactly as a cache built from the pages would, reading
no page when the saved index is current and rebuilding when it is stale, truncated, from an
older version or from another workspace.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from router import persist
from router.select import select
from router.snapshot import SnapshotCache, SnapshotOptions
from shards import LocalFolderStore, TiktokenCounter
from tests.router.helpers import (
    SHARD_IDS,
    CountingStore,
    FakeClock,
    analyzed_shards,
    build_store,
    persisted_cache,
    ranking,
    shard_text,
)

WORKSPACE = "local:/srv/brain/workspace"


def _cache(
    store: CountingStore,
    tokenizer: TiktokenCounter,
    path: Path,
    workspace: str = WORKSPACE,
    **options: object,
) -> SnapshotCache:
    return persisted_cache(store, tokenizer, path, workspace, **options)


TASKS = ("rotate the stripe webhook secret", "dns record ttl", "quarterly vat return")


def test_a_new_cache_answers_from_the_saved_index_without_reading_a_page(
    store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path
) -> None:
    path = tmp_path / "index.bin"
    built = _cache(store, tokenizer, path)
    expected = [ranking(built, t) for t in TASKS]
    assert path.exists() and not built.loaded
    store.reads.clear()
    lists = store.lists
    resumed = _cache(store, tokenizer, path)
    assert [ranking(resumed, t) for t in TASKS] == expected
    assert resumed.loaded and resumed.load_note == ""
    assert store.reads == []  # versions listed once, no page read
    assert store.lists == lists + 1
    assert resumed.get().ids() == SHARD_IDS


def test_an_indexed_page_is_saved_without_its_text_and_its_shard_stands_in_for_it(
    store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path
) -> None:
    # Its shard is its last good copy: a resumed process whose read of it fails serves that
    # shard, flagged, as one that read it itself would (the text was 10 MB of a 20 MB index).
    path = tmp_path / "index.bin"
    cache = _cache(store, tokenizer, path)
    before = cache.get().shard("finance")
    assert before is not None
    saved, why = persist.load(path, workspace=WORKSPACE, build=cache._build_key())
    assert saved is not None, why
    assert sorted(p for p, kept in saved.pages.items() if kept.has_text) == ["router"]
    _edit_finance(store)
    store.fail_read.add("finance")
    resumed = _cache(store, tokenizer, path)
    finance = resumed.get().shard("finance")
    assert finance is not None and shard_text(finance) == shard_text(before)
    assert any("could not re-read" in r for r in finance.stale)
    store.fail_read.clear()
    resumed.mark_stale("finance")
    healed = resumed.get().shard("finance")
    assert healed is not None and shard_text(healed) != shard_text(finance)
    assert not any("could not re-read" in r for r in healed.stale)


def test_a_stale_saved_index_rereads_only_the_edited_page(
    store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path
) -> None:
    path = tmp_path / "index.bin"
    _cache(store, tokenizer, path).get()
    page = store.inner.read("finance")
    store.inner.write("finance", page.text.replace("payable within 14 days", "within 45 days"))
    store.reads.clear()
    resumed = _cache(store, tokenizer, path)
    finance = resumed.get().shard("finance")
    assert finance is not None and "within 45 days" in shard_text(finance)
    assert not resumed.loaded
    assert store.reads == ["finance"]
    # ...and the rewritten file now holds the edit: a third process reads nothing.
    store.reads.clear()
    third = _cache(store, tokenizer, path)
    again = third.get().shard("finance")
    assert third.loaded and store.reads == []
    assert again is not None and "within 45 days" in shard_text(again)


def _rebuilt_with(
    store: CountingStore, tokenizer: TiktokenCounter, path: Path, workspace: str = WORKSPACE
) -> SnapshotCache:
    """A new cache over ``path`` that must rebuild: every page read, same answers."""
    fresh = [ranking(SnapshotCache(store, tokenizer), t) for t in TASKS]
    store.reads.clear()
    cache = _cache(store, tokenizer, path, workspace)
    assert [ranking(cache, t) for t in TASKS] == fresh
    assert not cache.loaded
    assert sorted(set(store.reads)) == sorted({*SHARD_IDS, "router"})
    return cache


def test_the_saved_index_keeps_no_term_arrays_and_a_rebuild_after_a_load_ranks_as_a_fresh_one(
    store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path
) -> None:
    path = tmp_path / "index.bin"
    _cache(store, tokenizer, path).get()
    saved, why = persist.load(path, workspace=WORKSPACE, build=_cache_key(store, tokenizer, path))
    assert saved is not None, why
    # (a serving process never holds them: they are in the terms file, read for a rebuild)
    assert all(terms is None for _, terms in saved.entries.values())
    _edit_finance(store)
    resumed = _cache(store, tokenizer, path)  # loads, then rebuilds with the saved terms
    finance = resumed.get().shard("finance")
    assert finance is not None and "within 45 days" in shard_text(finance)
    # Term ids differ (the resumed vocabulary also holds the old text's terms); scores do not.
    _ranks_as_built_from_pages(resumed, store, tokenizer, tmp_path)


def _ranks_as_built_from_pages(
    cache: SnapshotCache, store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path
) -> None:
    fresh = _cache(store, tokenizer, tmp_path / "other.bin")  # from the pages only
    for task in (*TASKS, "invoice payment terms days"):
        assert ranking(cache, task) == ranking(fresh, task)


def _edit_finance(store: CountingStore) -> None:
    page = store.inner.read("finance")
    store.inner.write("finance", page.text.replace("payable within 14 days", "within 45 days"))


def test_a_rebuild_after_a_load_analyzes_only_the_edited_page(
    store: CountingStore,
    tokenizer: TiktokenCounter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "index.bin"
    _cache(store, tokenizer, path).get()
    assert persist.terms_path(path).exists()
    _edit_finance(store)
    analyzed = analyzed_shards(monkeypatch)
    resumed = _cache(store, tokenizer, path)
    snap = resumed.get()
    assert analyzed == ["finance"]  # the others' terms came from the file beside the index
    assert snap.generation == 2 and not resumed.loaded
    _ranks_as_built_from_pages(resumed, store, tokenizer, tmp_path)
    # The rewritten files serve a third process, and its next rebuild, the same way.
    store.inner.write("finance", store.inner.read("finance").text + "\nNet 60 for agencies.\n")
    analyzed.clear()
    third = _cache(store, tokenizer, path)
    assert "Net 60" in shard_text(third.get().shard("finance"))  # type: ignore[arg-type]
    assert analyzed == ["finance"]


def test_a_process_serving_the_saved_index_reanalyzes_only_a_page_edited_meanwhile(
    store: CountingStore,
    tokenizer: TiktokenCounter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "index.bin"
    _cache(store, tokenizer, path).get()
    serving = _cache(store, tokenizer, path)
    assert ranking(serving, TASKS[0]) and serving.loaded  # it has served the loaded index
    _edit_finance(store)
    analyzed = analyzed_shards(monkeypatch)
    snap = serving.refresh()
    assert analyzed == ["finance"]
    assert snap.generation == 2 and "within 45 days" in shard_text(snap.shard("finance"))  # type: ignore[arg-type]
    _ranks_as_built_from_pages(serving, store, tokenizer, tmp_path)


@pytest.mark.parametrize("damage", ["missing", "truncated", "another index's"])
def test_terms_that_cannot_be_used_are_analyzed_again(
    store: CountingStore,
    tokenizer: TiktokenCounter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    damage: str,
) -> None:
    path = tmp_path / "index.bin"
    terms = persist.terms_path(path)
    _cache(store, tokenizer, path).get()
    if damage == "missing":
        terms.unlink()
    elif damage == "truncated":
        terms.write_bytes(terms.read_bytes()[:-100])
    else:  # the terms of an earlier index, beside the index written after an edit
        earlier = terms.read_bytes()
        _edit_finance(store)
        _cache(store, tokenizer, path).get()
        terms.write_bytes(earlier)
    store.inner.write("infrastructure", store.inner.read("infrastructure").text + "\nNew.\n")
    analyzed = analyzed_shards(monkeypatch)
    resumed = _cache(store, tokenizer, path)
    resumed.get()
    assert sorted(analyzed) == sorted(SHARD_IDS)  # every shard, as before the file existed
    _ranks_as_built_from_pages(resumed, store, tokenizer, tmp_path)


def test_saved_terms_that_do_not_fit_the_lexicon_are_refused(
    store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path
) -> None:
    path = tmp_path / "index.bin"
    cache = _cache(store, tokenizer, path)
    lexicon = cache.get().lexicon
    saved, why = persist.load(path, workspace=WORKSPACE, build=cache._build_key())
    assert saved is not None, why
    kept, why = persist.load_terms(path, checksum=saved.checksum)
    assert kept is not None, why
    terms = kept.terms(lexicon)
    assert terms is not None and sorted(terms) == sorted(SHARD_IDS)
    finance = terms["finance"]
    assert finance.passages.size == sum(finance.passage_counts)
    short = replace(kept, counts=kept.counts[:-1])
    assert short.terms(lexicon) is None
    fewer = replace(kept, passage_counts=(*kept.passage_counts[:-1], ()))
    assert fewer.terms(lexicon) is None
    other, why = persist.load_terms(path, checksum="0" * 32)
    assert other is None and why.endswith("belongs to another saved index; analyzing again")
    where = persist.terms_path(path)
    where.write_bytes(where.read_bytes()[:-10])
    cut, why = persist.load_terms(path, checksum=saved.checksum)
    assert cut is None and "is truncated" in why and why.endswith("; analyzing again")


def _cache_key(store: CountingStore, tokenizer: TiktokenCounter, path: Path) -> str:
    return _cache(store, tokenizer, path)._build_key()


def test_a_truncated_saved_index_is_rebuilt_and_rewritten(
    store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path
) -> None:
    path = tmp_path / "index.bin"
    _cache(store, tokenizer, path).get()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    cache = _rebuilt_with(store, tokenizer, path)
    assert "truncated" in cache.load_note and str(path) in cache.load_note
    assert path.stat().st_size == len(data)  # written again, whole


@pytest.mark.parametrize("field", ["format", "code"])
def test_a_saved_index_from_another_version_is_rebuilt(
    store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path, field: str
) -> None:
    path = tmp_path / "index.bin"
    _cache(store, tokenizer, path).get()
    magic, header, payload = path.read_bytes().split(b"\n", 2)
    header = header.rstrip()
    old = json.loads(header)
    old[field] = 0 if field == "format" else "0123456789abcdef"
    line = json.dumps(old).encode().ljust(persist.HEADER_BYTES - 1)
    path.write_bytes(magic + b"\n" + line + b"\n" + payload)
    cache = _rebuilt_with(store, tokenizer, path)
    assert "another version" in cache.load_note


def test_a_saved_index_of_another_workspace_is_never_loaded(
    tmp_path: Path, tokenizer: TiktokenCounter
) -> None:
    other = CountingStore(build_store(tmp_path / "other", tokenizer))
    page = other.inner.read("finance")
    other.inner.write("finance", page.text.replace("payable within 14 days", "in 90 days"))
    path = tmp_path / "index.bin"
    _cache(other, tokenizer, path, workspace="local:/elsewhere").get()
    mine = CountingStore(build_store(tmp_path / "mine", tokenizer))
    cache = _rebuilt_with(mine, tokenizer, path)
    assert "another workspace" in cache.load_note
    finance = cache.get().shard("finance")
    assert finance is not None and "in 90 days" not in shard_text(finance)


def test_a_corrupted_or_foreign_file_is_rebuilt(
    store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path
) -> None:
    path = tmp_path / "index.bin"
    _cache(store, tokenizer, path).get()
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    assert "checksum" in _rebuilt_with(store, tokenizer, path).load_note
    path.write_text("just some notes\n")
    assert "not a saved index" in _rebuilt_with(store, tokenizer, path).load_note


def test_saved_indexes_built_with_other_options_are_not_used(
    store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path
) -> None:
    path = tmp_path / "index.bin"
    _cache(store, tokenizer, path, max_passage_tokens=60).get()
    store.reads.clear()
    cache = _cache(store, tokenizer, path)
    cache.get()
    assert not cache.loaded and "other options" in cache.load_note
    assert store.reads


def test_an_unwritable_location_keeps_serving(
    store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = _cache(store, tokenizer, blocker / "index.bin")
    assert cache.get().ids() == SHARD_IDS


def test_the_code_fingerprint_is_stable_within_a_build_and_moves_with_the_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = persist.code_fingerprint()
    assert persist.code_fingerprint() == before
    real = Path.read_bytes

    def edited(self: Path) -> bytes:  # select.py as it would read after a one-byte edit
        return real(self) + (b"#" if self.name == "select.py" else b"")

    monkeypatch.setattr(Path, "read_bytes", edited)
    assert persist.code_fingerprint() != before


# -- the background refresher ----------------------------------------------------------------


def test_with_the_refresher_running_a_request_never_lists_or_reads(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    clock = FakeClock()
    options = SnapshotOptions(check_interval_s=3600, feed_interval_s=3600)
    cache = SnapshotCache(store, tokenizer, options=options, clock=clock)
    built = threading.Event()
    cache.on_refresh = lambda snap: built.set()
    cache.start_refresher()
    try:
        assert built.wait(30)
        first = cache.get()
        io = store.io
        clock.now += 10_000  # far past every interval: still no I/O on the request
        for _ in range(20):
            assert cache.get() is first
        assert store.io == io
    finally:
        cache.stop_refresher()


def test_the_refresher_picks_up_a_marked_page_without_a_request(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    options = SnapshotOptions(check_interval_s=3600, feed_interval_s=3600)
    cache = SnapshotCache(store, tokenizer, options=options, clock=FakeClock())
    first = cache.get()
    rebuilt = threading.Event()
    cache.on_refresh = lambda snap: rebuilt.set() if snap is not first else None
    cache.start_refresher()
    try:
        page = store.inner.read("finance")
        store.inner.write("finance", page.text.replace("payable within 14 days", "in 21 days"))
        cache.mark_stale("finance")
        assert rebuilt.wait(30)
        finance = cache.get().shard("finance")
        assert finance is not None and "in 21 days" in shard_text(finance)
    finally:
        cache.stop_refresher()


def test_a_request_catches_up_on_marked_pages_when_the_refresher_fell_behind(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    """Cloud Run throttles an idle instance's CPU between requests: its refresher may not
    have run for an hour. A request then re-reads what the change feed marked itself, and
    still lists nothing."""
    clock = FakeClock()
    marked: list[str] = []

    def feed() -> list[str]:
        out = list(marked)
        marked.clear()
        return out

    options = SnapshotOptions(check_interval_s=300, feed_interval_s=1)
    cache = SnapshotCache(store, tokenizer, options=options, clock=clock, changes=feed)
    first = cache.get()
    stalled = threading.Event()

    def throttled() -> None:  # a refresher thread that gets no CPU
        stalled.wait()

    cache._refresh_loop = throttled  # type: ignore[method-assign]
    cache.start_refresher()
    try:
        page = store.inner.read("finance")
        store.inner.write("finance", page.text.replace("payable within 14 days", "in 21 days"))
        marked.append("finance")
        clock.now += 5  # a refresher that ran 5 s ago is trusted: no I/O on the request
        io = store.io
        assert cache.get() is first and store.io == io and marked == ["finance"]
        clock.now += 3600  # an hour without a pass: the request catches up
        lists, store.reads[:] = store.lists, []
        caught_up = cache.get()
        finance = caught_up.shard("finance")
        assert finance is not None and "in 21 days" in shard_text(finance)
        assert store.reads == ["finance"] and store.lists == lists  # the marked page alone
        clock.now += 1
        io = store.io
        assert cache.get() is caught_up and store.io == io  # nothing marked: nothing read
    finally:
        stalled.set()
        cache.stop_refresher()


def test_a_runtime_saves_its_index_locally_and_on_cloud_run_in_the_state_database(
    tmp_path: Path, tokenizer: TiktokenCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from config import load_config
    from functions.runtime import Runtime
    from functions.saved_index import StateIndexPlace

    build_store(tmp_path / "ws", tokenizer)
    local = Runtime(load_config(workspace=tmp_path / "ws"))
    assert local.persists_index and local.index_place == local.index_path
    local.context_service.get_context("stripe webhook secret", 500)
    assert local.index_path.exists()
    local.close()
    local.index_path.unlink()
    monkeypatch.setenv("K_SERVICE", "context")
    # an instance's disk dies with it: the index goes to the state database instead, and an
    # instance only reads it (its CPU is throttled between requests): the job writes it
    for _ in range(2):
        early = Runtime(load_config(workspace=tmp_path / "ws"))
        assert early.context_service.get_context("stripe webhook secret", 500).context
        assert not early.context_service.cache.loaded
        assert early.context_service.cache.load_note.startswith("no saved index at the saved")
        early.close()
    job = Runtime(load_config(workspace=tmp_path / "ws"))
    job.background_refresh = True  # as every Cloud Run target runs
    assert not job.persists_index and isinstance(job.index_place, StateIndexPlace)
    done = job.scheduled_sync()  # the scheduled job keeps it current for every instance
    assert done["index"] == {"shards": len(SHARD_IDS)}
    assert not job.index_path.exists()
    # A page edited between two runs of a job instance that stayed warm: its next run saves
    # the edit, though the cache's own check interval has not come round.
    store = LocalFolderStore(tmp_path / "ws")
    store.write(
        "finance", store.read("finance").text.replace("payable within 14 days", "within 45 days")
    )
    job.scheduled_sync()
    job.close()
    instance = Runtime(load_config(workspace=tmp_path / "ws"))
    answer = instance.context_service.get_context("stripe webhook secret", 500)
    assert instance.context_service.cache.loaded and answer.context
    finance = instance.context_service.cache.get().shard("finance")
    assert finance is not None and "within 45 days" in shard_text(finance)
    instance.close()
    monkeypatch.delenv("K_SERVICE")
    config = load_config(workspace=tmp_path / "ws")
    context = config.context.model_copy(update={"persist_index": False})
    off = Runtime(config.model_copy(update={"context": context}))
    assert off.index_place is None
    off.close()


def test_on_cloud_run_the_job_signs_the_saved_index_and_instances_load_it_only_with_that_key(
    tmp_path: Path,
    tokenizer: TiktokenCounter,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from config import load_config
    from functions.runtime import Runtime
    from functions.secrets import references

    build_store(tmp_path / "ws", tokenizer)
    monkeypatch.setenv("K_SERVICE", "context")
    monkeypatch.setenv("BRAIN_TEST_INDEX_KEY", "a long random value from Secret Manager")

    def runtime(key: str | None) -> Runtime:
        config = load_config(workspace=tmp_path / "ws")
        context = config.context.model_copy(update={"index_key": key})
        return Runtime(config.model_copy(update={"context": context}))

    job = runtime("env:BRAIN_TEST_INDEX_KEY")
    assert ("context.index_key", "env:BRAIN_TEST_INDEX_KEY") in references(job.config, "sync")
    assert "context.index_key" not in dict(references(job.config, "webhooks"))
    job.scheduled_sync()
    job.close()
    signed = runtime("env:BRAIN_TEST_INDEX_KEY")
    assert signed.context_service.get_context("stripe webhook secret", 500).context
    assert signed.context_service.cache.loaded, signed.context_service.cache.load_note
    signed.close()
    # The secret rotated (the job has not run since): built from the pages, never trusted.
    monkeypatch.setenv("BRAIN_TEST_INDEX_KEY", "the rotated value")
    rotated = runtime("env:BRAIN_TEST_INDEX_KEY")
    assert rotated.context_service.get_context("stripe webhook secret", 500).context
    assert not rotated.context_service.cache.loaded
    assert "signature mismatch" in rotated.context_service.cache.load_note
    rotated.close()
    # No key configured: the signed index is not loaded, and the service says it is unsigned.
    with caplog.at_level(logging.WARNING):
        unsigned = runtime(None)
        assert unsigned.context_service.get_context("stripe webhook secret", 500).context
    assert not unsigned.context_service.cache.loaded
    assert "saved index in the state database is not signed" in caplog.text
    unsigned.close()


# -- counting answers without the encoder ----------------------------------------------------


def test_a_new_process_counts_its_answers_from_the_saved_index_without_encoding(
    store: CountingStore,
    tokenizer: TiktokenCounter,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The saved index keeps the raw counts of its fixed texts and the tokenizer's gap
    differences: a new process (a fresh counter, nothing cached) packs answers whose counts
    are exact without encoding a single text (loading the encoder is 0.2 s of a cold start)."""
    from router.pack import pack
    from shards import tokens

    path = tmp_path / "index.bin"
    _cache(store, tokenizer, path).get()
    fresh = TiktokenCounter()  # what a new process starts with
    resumed = _cache(store, fresh, path)
    snap = resumed.get()
    assert resumed.loaded and snap.seeds
    encodes: list[str] = []
    real = tokens.encoding

    def watched() -> object:
        encodes.append("encode")
        return real()

    monkeypatch.setattr(tokens, "encoding", watched)
    answers = [
        pack(snap, select(snap, task), budget, fresh)
        for task in (*TASKS, "how do we onboard a new client")
        for budget in (150, 300, 4_000)
    ]
    assert encodes == []
    monkeypatch.undo()
    texts = [a.text for a in answers]
    for shown in ("[…]", "<!-- budget reached:", "<!-- weaker matches left out:", "partial"):
        assert any(shown in t for t in texts), shown  # excerpts and both footers were summed
    for packed in answers:
        assert packed.tokens == tokenizer.count(packed.text) <= packed.budget


def test_a_snapshot_made_from_a_seeded_one_counts_its_own_texts(
    store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path
) -> None:
    """Seeds belong to the snapshot they were saved from: one made from it with other shards
    (a STALE line, as when the store cannot be listed) counts its lines itself."""
    from dataclasses import replace

    path = tmp_path / "index.bin"
    _cache(store, tokenizer, path).get()
    snap = _cache(store, tokenizer, path).get()
    assert snap.seeds
    stale = replace(snap, shards=tuple(replace(s, stale=("a long reason",)) for s in snap.shards))
    assert stale.seeds == {}
    line = stale.fixed_texts()["shard:0"]
    assert "STALE" in line and stale.fixed_raws(tokenizer)["shard:0"] == tokenizer.raw(line)


# -- a signed saved index ([context] index_key) ----------------------------------------------

KEY, OTHER_KEY = b"k" * 32, b"o" * 32
#: What unpickling a forged payload did (see _Forged): nothing, where the key refused it.
FORGED_RAN: list[str] = []


def _record(what: str) -> str:
    FORGED_RAN.append(what)
    return what


class _Forged:
    """A payload whose unpickling runs code of its writer's (here: records that it ran)."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return _record, ("forged payload unpickled",)


def _forge(path: Path, *, signed: bool) -> None:
    """Replace the saved index's payload as someone who can write the file (or the state
    database) but holds no key would: a payload of theirs, the header's size and checksum
    recomputed to match it, and the header claiming whatever ``signed`` says."""
    import hashlib
    import pickle

    magic, line, _ = path.read_bytes().split(b"\n", 2)
    payload = pickle.dumps(_Forged())
    header = json.loads(line)
    header.update(
        bytes=len(payload),
        blake2b=hashlib.blake2b(payload, digest_size=16).hexdigest(),
        signed=signed,
    )
    forged = json.dumps(header).encode().ljust(persist.HEADER_BYTES - 1)
    path.write_bytes(magic + b"\n" + forged + b"\n" + payload)


@pytest.mark.parametrize("signed", [True, False])
def test_a_forged_payload_is_never_unpickled_by_a_service_that_signs(
    store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path, signed: bool
) -> None:
    path = tmp_path / "index.bin"
    _cache(store, tokenizer, path, persist_key=lambda: KEY).get()
    build = _cache(store, tokenizer, path)._build_key()
    _forge(path, signed=signed)
    FORGED_RAN.clear()
    saved, why = persist.load(path, workspace=WORKSPACE, build=build, key=KEY)
    assert saved is None and FORGED_RAN == []
    if signed:
        assert "not signed with this service's [context] index_key" in why
    else:
        assert "is not signed" in why
    # What the key guards against: without one, the checksum alone lets the file through.
    _forge(path, signed=False)
    saved, why = persist.load(path, workspace=WORKSPACE, build=build)
    assert FORGED_RAN == ["forged payload unpickled"]
    assert saved is None and "holds something else" in why
    FORGED_RAN.clear()


def test_a_signed_saved_index_loads_with_its_key_and_is_rebuilt_without_it(
    store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path
) -> None:
    path = tmp_path / "index.bin"
    built = _cache(store, tokenizer, path, persist_key=lambda: KEY)
    expected = [ranking(built, t) for t in TASKS]
    header = json.loads(path.read_bytes().split(b"\n", 2)[1])
    assert header["signed"] is True
    assert json.loads(persist.terms_path(path).read_bytes().split(b"\n", 2)[1])["signed"]
    store.reads.clear()
    resumed = _cache(store, tokenizer, path, persist_key=lambda: KEY)
    assert [ranking(resumed, t) for t in TASKS] == expected
    assert resumed.loaded and not store.reads
    # Signed with another key (a rotated secret): rebuilt from the pages, and saved again.
    other = _cache(store, tokenizer, path, persist_key=lambda: OTHER_KEY)
    assert [ranking(other, t) for t in TASKS] == expected
    assert not other.loaded and "signature mismatch" in other.load_note
    again = _cache(store, tokenizer, path, persist_key=lambda: OTHER_KEY)
    again.get()
    assert again.loaded
    # No key where the file is signed, or a key where it is not: rebuilt, never trusted.
    unkeyed = _rebuilt_with(store, tokenizer, path)
    assert "is signed, and this process was given no [context] index_key" in unkeyed.load_note
    keyed = _cache(store, tokenizer, path, persist_key=lambda: KEY)
    keyed.get()
    assert not keyed.loaded and "is not signed" in keyed.load_note


def test_saved_terms_signed_with_another_key_are_analyzed_again(
    store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path
) -> None:
    path = tmp_path / "index.bin"
    cache = _cache(store, tokenizer, path, persist_key=lambda: KEY)
    cache.get()
    saved, why = persist.load(path, workspace=WORKSPACE, build=cache._build_key(), key=KEY)
    assert saved is not None, why
    kept, why = persist.load_terms(path, checksum=saved.checksum, key=KEY)
    assert kept is not None, why
    kept, why = persist.load_terms(path, checksum=saved.checksum, key=OTHER_KEY)
    assert kept is None and "signature mismatch" in why and why.endswith("analyzing again")
    kept, why = persist.load_terms(path, checksum=saved.checksum)
    assert kept is None and "was given no [context] index_key" in why


def test_a_key_that_cannot_be_had_means_building_from_the_pages_and_not_saving(
    store: CountingStore,
    tokenizer: TiktokenCounter,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "index.bin"
    _cache(store, tokenizer, path, persist_key=lambda: KEY).get()
    before = path.read_bytes()

    def unavailable() -> bytes:
        raise OSError("Secret Manager did not answer")

    store.reads.clear()
    cache = _cache(store, tokenizer, path, persist_key=unavailable)
    assert cache.get().ids() == SHARD_IDS
    assert not cache.loaded and store.reads
    assert "cannot get [context] index_key (Secret Manager did not answer)" in cache.load_note
    assert path.read_bytes() == before  # not saved unsigned over the signed one
    assert "could not save the built index" in caplog.text


def test_within_saves_deferred_a_build_is_saved_on_leaving_even_by_an_exception(
    store: CountingStore, tokenizer: TiktokenCounter, tmp_path: Path
) -> None:
    path = tmp_path / "index.bin"
    cache = _cache(store, tokenizer, path, check_interval_s=0)
    with cache.saves_deferred():
        with cache.saves_deferred():  # nested: only the outermost end saves
            cache.get()
        assert not path.exists()
        _edit_finance(store)
        cache.get()  # a second build in the block: what the last one made is saved
        assert not path.exists()
    assert path.exists()
    resumed = _cache(store, tokenizer, path)
    finance = resumed.get().shard("finance")
    assert resumed.loaded and finance is not None and "within 45 days" in shard_text(finance)
    path.unlink()
    with pytest.raises(RuntimeError), cache.saves_deferred():
        store.inner.write("finance", store.inner.read("finance").text + "\nOne more.\n")
        cache.get()
        raise RuntimeError("the command failed after its answer")
    assert path.exists()  # saved all the same
    mtime = path.stat().st_mtime_ns
    with cache.saves_deferred():
        cache.get()  # nothing changed: nothing built, nothing saved
    assert path.stat().st_mtime_ns == mtime
