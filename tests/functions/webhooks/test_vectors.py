"""Passage vectors in the state database (functions.vectors.StateVectors), on SQLite and
PostgreSQL: what one process (the scheduled sync) saves, another (a context instance) reads."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from functions.vectors import StateVectors
from functions.webhooks.errors import OutboxError
from functions.webhooks.outbox import SqlOutbox, open_outbox
from router import Semantic
from router.semantic import DIM, VectorFile, Vectors
from router.snapshot import IndexSnapshot


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> IndexSnapshot:
    from shards import TiktokenCounter
    from tests.router.helpers import build_snapshot

    return build_snapshot(tmp_path_factory.mktemp("ws"), TiktokenCounter())


@pytest.fixture
def outbox(outbox_url: str) -> Iterator[SqlOutbox]:
    with open_outbox(outbox_url) as opened:
        yield opened


def _vectors(n: int, seed: int = 0) -> Vectors:
    v = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def test_saved_vectors_are_read_back_by_another_instance(outbox: SqlOutbox) -> None:
    keys = [bytes([n]) * 16 for n in range(5)]
    vectors = _vectors(5)
    writer = StateVectors(lambda: outbox)
    assert not writer and not StateVectors(lambda: outbox)  # none stored yet
    writer.put(keys[:3], vectors[:3], None)
    assert writer and not StateVectors(lambda: outbox)  # buffered here, not yet saved
    assert writer.present(keys) == [True, True, True, False, False]  # buffered counts
    writer.save()
    reader = StateVectors(lambda: outbox)
    assert reader and reader.present(keys) == [True, True, True, False, False]
    assert reader.gather(keys) is None  # not all there
    got = reader.gather(keys[:3])
    assert got is not None and np.abs(got - vectors[:3]).max() < 1e-3  # float16 storage
    writer.put(keys[3:], vectors[3:], set(keys[1:]))  # the first passage is gone
    writer.save()
    assert reader.present(keys) == [False, True, True, True, True] and len(reader) == 4


def test_a_database_that_cannot_answer_means_words_only_and_nothing_lost(
    outbox: SqlOutbox, caplog: pytest.LogCaptureFixture
) -> None:
    up = True

    def database() -> SqlOutbox:
        if not up:
            raise OutboxError("state database unreachable", hint="later")
        return outbox

    store = StateVectors(database)
    key = [b"k" * 16]
    up = False
    with caplog.at_level(logging.WARNING):
        assert not store  # (cannot tell: words only, said in the log)
    store.put(key, _vectors(1), None)
    with caplog.at_level(logging.WARNING):
        store.save()  # kept buffered
        assert store.gather(key) is None
    assert "cannot save passage vectors" in caplog.text
    up = True
    store.save()
    assert StateVectors(lambda: outbox).present(key) == [True]


def test_a_semantic_signal_over_the_database_matches_one_over_a_file(
    outbox: SqlOutbox, snapshot: IndexSnapshot
) -> None:
    from tests.router.test_semantic import HashEncoder

    in_db = Semantic(HashEncoder, StateVectors(lambda: outbox))
    assert in_db.embed_missing(snapshot).complete
    other_instance = Semantic(HashEncoder, StateVectors(lambda: outbox))
    in_file = Semantic(HashEncoder, VectorFile(None))
    in_file.embed_missing(snapshot)
    a = other_instance.similarities(snapshot, "deploy")
    b = in_file.similarities(snapshot, "deploy")
    assert a is not None and b is not None and np.abs(a - b).max() < 1e-6


def test_a_damaged_row_means_words_only_not_a_crash(
    outbox: SqlOutbox, caplog: pytest.LogCaptureFixture
) -> None:
    from functions.vectors import UPSERT

    keys = [b"a" * 16, b"b" * 16]
    store = StateVectors(lambda: outbox)
    store.put(keys, _vectors(2), None)
    store.save()
    with outbox.transaction("damaging a row") as tx:
        tx.run(UPSERT, (keys[1], b"\0" * 10))
    with caplog.at_level(logging.WARNING):
        assert StateVectors(lambda: outbox).gather(keys) is None
    assert "unequal widths" in caplog.text


def test_vectors_read_from_the_database_are_widened_without_a_whole_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracemalloc

    import functions.vectors

    monkeypatch.setattr(functions.vectors, "_SLICE", 256)  # slices small beside 6,000 rows
    keys = [n.to_bytes(16, "little") for n in range(6_000)]
    with open_outbox(f"sqlite:///{tmp_path}/state.db") as outbox:
        writer = StateVectors(lambda: outbox)
        writer.put(keys, _vectors(len(keys)), None)
        writer.save()
        reader = StateVectors(lambda: outbox)
        assert reader.present(keys[:1]) == [True]
        tracemalloc.start()
        try:
            got = reader.gather(keys)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert got is not None and got.dtype == np.float32 and got.shape == (len(keys), DIM)
    # the rows as fetched (0.6x) and the float32 matrix; a whole float16 copy made it 2.1x
    assert peak < 1.8 * got.nbytes
