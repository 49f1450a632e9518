"""An index whose terms are few among the vocabulary's keeps per-term starts only for them
(BM25Index._compact): it answers every question as the index over every term does."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import router.select
from router.select import BM25Index, DocTerms
from router.snapshot import IndexSnapshot

VOCAB = 400  # terms in the shared vocabulary; a document uses a few of them


def _vocab() -> dict[str, int]:
    return {f"t{n}": n for n in range(VOCAB)}


docs_strategy = st.lists(
    st.lists(st.tuples(st.integers(0, VOCAB - 1), st.integers(1, 4)), max_size=6),
    min_size=1,
    max_size=12,
)


def _index(
    docs: list[list[tuple[int, int]]], share: int, monkeypatch: pytest.MonkeyPatch
) -> BM25Index:
    monkeypatch.setattr(router.select, "_COMPACT_SHARE", share)
    rows = []
    for doc in docs:
        counts = dict(doc)  # each term once per document
        rows.append((list(counts), list(counts.values()), sum(counts.values())))
    return BM25Index.from_terms(DocTerms.of(rows), _vocab())


@settings(max_examples=60, deadline=None)
@given(docs=docs_strategy)
def test_a_compacted_index_answers_as_one_over_every_term(
    docs: list[list[tuple[int, int]]],
) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        full = _index(docs, 10**9, monkeypatch)  # never compacted
        compact = _index(docs, 0, monkeypatch)  # always, when any term has postings
    used = {t for doc in docs for t, _ in doc}
    assert full._present is None
    assert (compact._present is not None) == bool(used)
    ids = np.arange(VOCAB + 3, dtype=np.int32)  # (and ids past this index's terms)
    assert np.array_equal(compact.document_frequencies(ids), full.document_frequencies(ids))
    for term in [*_vocab(), "unknown"]:
        ours, theirs = compact.postings(term), full.postings(term)
        assert np.array_equal(ours[0], theirs[0]) and np.array_equal(ours[1], theirs[1])
        assert compact.document_frequency(term) == full.document_frequency(term)
    assert dict(compact.idf) == dict(full.idf)
    query = {f"t{t}": 1.0 + t % 3 for t in sorted(used)[:5]} | {"unknown": 1.0}
    (scores, matched), (their_scores, their_matched) = (
        compact.score_array(query),
        full.score_array(query),
    )
    assert np.array_equal(scores, their_scores) and np.array_equal(matched, their_matched)


def test_a_snapshots_headings_keep_starts_only_for_their_terms(snapshot: IndexSnapshot) -> None:
    lex = snapshot.lexicon
    headings = lex.headings._present
    assert headings is not None and 0 < len(headings) < len(lex.vocab) / 4
    assert lex.passages._present is None  # most terms are some passage's
