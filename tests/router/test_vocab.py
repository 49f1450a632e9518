"""The cache's vocabulary reads and grows as a dict of term -> id would, pairs kept as arrays."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import router._vocab
from router._vocab import Vocabulary
from router.lexicon import analyze
from router.select import Analyzer

_WORDS = ["cloud", "run", "stripe", "webhook", "secret", "rotate", "dns", "a1", "café", "x"]
_TEXT = st.lists(st.sampled_from(_WORDS), max_size=10).map(" ".join)


def _probe_terms() -> list[str]:
    """Every word and pair the texts can hold, plus some that cannot exist."""
    words = [Analyzer().words(w)[0] for w in _WORDS]
    return [*words, *(f"{a} {b}" for a in words for b in words), "nope", "nope run", "a b c", ""]


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(st.tuples(st.booleans(), st.lists(_TEXT, max_size=4)), max_size=6))
def test_it_grows_and_reads_as_a_dict_does(steps: list[tuple[bool, list[str]]]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(router._vocab, "_RECENT", 3)  # merge pairs added one by one often
        _grow_and_read(steps)


def _grow_and_read(steps: list[tuple[bool, list[str]]]) -> None:
    analyzer = Analyzer()
    ours = Vocabulary()
    theirs: dict[str, int] = {}
    for batch, texts in steps:
        if batch:  # many texts at once (Vocabulary.assign)
            analyze(texts, analyzer, ours)
        else:  # one at a time (setdefault), as the reference always is
            for text in texts:
                analyzer.counted(text, ours)
        for text in texts:
            analyzer.counted(text, theirs)
        assert len(ours) == len(theirs)
        assert list(ours.items()) == list(theirs.items())
    for term in _probe_terms():
        assert ours.get(term) == theirs.get(term)
        assert (term in ours) == (term in theirs)
        assert ours.get(term, -7) == theirs.get(term, -7)
    words = ours.word_table()
    assert [w for w in words if w] == [t for t in theirs if " " not in t]
    assert all(" " in t for t, n in theirs.items() if not words[n])
    # What a helper process sends back gives the same terms the same ids, in a fresh one...
    copy = Vocabulary()
    assert copy.assign(ours.terms()).tolist() == list(range(len(ours)))
    assert list(copy.items()) == list(ours.items())
    # ...and, in one that knows some, the ids setdefault in id order would give.
    other = Vocabulary()
    reference: dict[str, int] = {}
    for text in ("rotate the secret", "cloud run dns"):
        analyzer.counted(text, other)
        analyzer.counted(text, reference)
    ids = other.assign(ours.terms()).tolist()
    assert ids == [reference.setdefault(t, len(reference)) for t in ours]
    assert list(other.items()) == list(reference.items())
    again = pickle.loads(pickle.dumps(ours))
    assert list(again.items()) == list(ours.items())


def test_missing_terms_and_lone_pairs_are_refused_clearly() -> None:
    vocab = Vocabulary()
    vocab.setdefault("cloud")
    with pytest.raises(KeyError):
        vocab["run"]
    with pytest.raises(ValueError, match="a pair's words come before the pair"):
        vocab.setdefault("cloud run")
    assert vocab.setdefault("run") == 1 and vocab.setdefault("cloud run") == 2
    assert vocab["cloud run"] == 2 and "run cloud" not in vocab
    assert np.array_equal(vocab.terms().is_word, [True, True, False])
