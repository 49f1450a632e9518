"""The lexicon's batch analysis: the same term arrays and ids as analyzing text by text."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router._vocab import Vocabulary
from router.lexicon import _first_distinct, _first_groups, _unique_inverse, _words, analyze
from router.select import _WORD, Analyzer, DocTerms

_WORDS = [
    "Cloud", "Run", "run", "running", "the", "and", "a", "DNS", "dns", "2FA", "v1.2", "Stripe",
    "webhook", "secret", "rotate", "rotating", "ΣΟΦΙΑ", "σοφία", "café", "naïve", "under_score",
    "İstanbul", "über", "中文", "x", "", "\ua66e",
]  # fmt: skip


def _one_by_one(texts: list[str], analyzer: Analyzer, vocab: dict[str, int]) -> DocTerms:
    return DocTerms.of(analyzer.counted(t, vocab) for t in texts)


def _same(a: DocTerms, b: DocTerms) -> None:
    for name in ("ptr", "terms", "counts", "lengths"):
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype, name
        assert np.array_equal(left, right), name


_TEXT = st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(
    seen=st.lists(_TEXT, max_size=3),
    texts=st.lists(
        st.one_of(_TEXT, st.text(alphabet="ab c.-Σς\n", max_size=15)), min_size=0, max_size=8
    ),
)
def test_analyzing_many_texts_at_once_equals_one_by_one(seen: list[str], texts: list[str]) -> None:
    analyzer = Analyzer()
    ours = Vocabulary()
    theirs: dict[str, int] = {}
    for text in seen:  # a vocabulary that already knows some terms
        analyzer.counted(text, ours)
        analyzer.counted(text, theirs)
    _same(analyze(texts, analyzer, ours), _one_by_one(texts, analyzer, theirs))
    assert list(ours.items()) == list(theirs.items())  # new ids, in the same order


def test_a_text_holding_the_join_marker_is_still_analyzed_as_itself() -> None:
    analyzer = Analyzer()
    texts = ["before \ua66e after", "next one", "ꙮ"]
    ours = Vocabulary()
    theirs: dict[str, int] = {}
    _same(analyze(texts, analyzer, ours), _one_by_one(texts, analyzer, theirs))
    assert ours == theirs


def test_repeated_words_and_pairs_are_counted_per_document() -> None:
    analyzer = Analyzer()
    vocab = Vocabulary()
    docs = analyze(["cloud run cloud run", "", "run cloud"], analyzer, vocab)
    assert docs.ptr.tolist() == [0, 4, 4, 7]
    words = {v: k for k, v in vocab.items()}
    assert [words[t] for t in docs.terms.tolist()] == [
        "cloud", "run", "cloud run", "run cloud", "run", "cloud", "run cloud",
    ]  # fmt: skip
    assert docs.counts.tolist() == [2, 2, 2, 1, 1, 1, 1]
    assert docs.lengths.tolist() == [4, 0, 2]


@settings(max_examples=500, deadline=None)
@given(
    st.text(max_size=60)
    | st.text(alphabet="ab_1 .\u00e9\u00a3\u2014\u4e2d\u0301\xa0\x1c", max_size=40)
)
def test_the_fast_word_cut_is_the_analyzers_pattern(text: str) -> None:
    assert _words(text) == _WORD.findall(text)
    assert _words(text.lower()) == _WORD.findall(text.lower())


def test_the_fast_word_cut_handles_many_kinds_of_symbols_too() -> None:
    text = "a" + "".join(chr(0x2190 + n) + f"w{n}" for n in range(80)) + " \u00e9t\u00e9"
    assert _words(text) == _WORD.findall(text)


_INTS = st.lists(st.integers(0, 40), max_size=60)


@settings(max_examples=300, deadline=None)
@given(values=_INTS, scale=st.sampled_from([1, 1 << 20, 1 << 57]))
def test_unique_with_inverse_is_numpys(values: list[int], scale: int) -> None:
    # (scaled by 2**57 the keys cannot hold a position as well: np.unique takes over)
    array = np.array(values, dtype=np.int64) * scale
    uniq, inverse = _unique_inverse(array)
    want, want_inverse = np.unique(array, return_inverse=True)
    assert uniq.tolist() == want.tolist()
    assert inverse.tolist() == want_inverse.reshape(-1).tolist()


@settings(max_examples=300, deadline=None)
@given(values=_INTS, scale=st.sampled_from([1, 1 << 31, 1 << 57]))
def test_distinct_values_come_in_order_of_first_appearance(values: list[int], scale: int) -> None:
    # (past 2**31 a value and its position share a key in more bits; at 2**57 they cannot)
    found = _first_distinct(np.array(values, dtype=np.int64), 41)
    assert found.tolist() == list(dict.fromkeys(values))
    values = [v * scale for v in values]
    groups, firsts, counts = _first_groups(np.array(values, dtype=np.int64))
    assert groups.tolist() == list(dict.fromkeys(values))
    assert firsts.tolist() == [values.index(v) for v in dict.fromkeys(values)]
    assert counts.tolist() == [values.count(v) for v in dict.fromkeys(values)]


def test_a_batch_of_many_documents_and_terms_is_analyzed_at_once_all_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """50,000 documents and as many terms: (document, term) keys pass 2**31, which once sent
    the batch text by text (the shape of long tables and notes: a 20 MB index took 16 s)."""
    texts = [f"w{n} x{n % 7}" for n in range(50_000)]
    analyzer = Analyzer()
    theirs: dict[str, int] = {}
    want = _one_by_one(texts, analyzer, theirs)

    def refused(*args: object) -> None:
        raise AssertionError("the batch was analyzed text by text")

    monkeypatch.setattr(Analyzer, "counted", refused)
    ours = Vocabulary()
    _same(analyze(texts, analyzer, ours), want)
    assert ours == theirs


def test_words_holding_a_digit_make_no_phrase_terms_on_either_path() -> None:
    """Invoice numbers, dates, amounts and hashes are a third to a half of a large index's
    phrase pairs, and each of those words is rare enough to be found alone (held-out recall
    is the same without them, BENCHMARKS.md); a pair of plain words stays a phrase."""
    analyzer = Analyzer()
    text = "Invoice INV-20931 paid on 2026-11-30 via Stripe webhook, hash 4f2a9c"
    terms = analyzer.terms(text)
    pairs = [t for t in terms if " " in t]
    assert pairs == ["invoic inv", "via stripe", "stripe webhook", "webhook hash"]
    assert all(not any(c.isdigit() for c in p) for p in pairs)
    assert "20931" in terms and "2026" in terms  # the words themselves are kept
    ours = Vocabulary()
    theirs: dict[str, int] = {}
    _same(
        analyze([text, "plain words only"], analyzer, ours),
        _one_by_one([text, "plain words only"], analyzer, theirs),
    )
    assert ours == theirs and "invoic inv" in theirs and "inv 20931" not in theirs
