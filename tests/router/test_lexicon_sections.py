"""Sections scored from the passage index equal an index built over the summed sections.

The lexicon keeps no postings for sections: :class:`router.lexicon.SectionIndex` reads each
term's passage postings, gets their counts back from the weights, and adds them up by
section. These tests hold it to the numbers a :class:`BM25Index` over the summed section
documents gives (what the lexicon kept before), to the bit: every ranking figure rests on it.
"""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import router.select as select_module
from router.lexicon import SectionIndex, build_lexicon, shards_terms, share_passages
from router.select import Analyzer, BM25Index, DocTerms, query_weights
from shards import TiktokenCounter
from tests.router.helpers import build_snapshot

ROOT = Path(__file__).resolve().parents[2]


def _summed(passages: DocTerms, per_section: list[int]) -> DocTerms:
    """One document per section: its passages' counts and lengths added up (the reference,
    written plainly)."""
    rows = []
    doc = 0
    for count in per_section:
        summed: Counter[int] = Counter()
        length = 0
        for d in range(doc, doc + count):
            lo, hi = int(passages.ptr[d]), int(passages.ptr[d + 1])
            for tid, tf in zip(
                passages.terms[lo:hi].tolist(), passages.counts[lo:hi].tolist(), strict=True
            ):
                summed[tid] += tf
            length += int(passages.lengths[d])
        rows.append((list(summed), list(summed.values()), length))
        doc += count
    return DocTerms.of(rows)


def _both(
    passages: DocTerms, per_section: list[int], vocab: dict[str, int]
) -> tuple[SectionIndex, BM25Index]:
    index = BM25Index.from_terms(passages, vocab, counts=True)
    section_of = np.repeat(np.arange(len(per_section), dtype=np.int64), per_section)
    ours = SectionIndex.over(index, section_of, passages.lengths, len(per_section))
    return ours, BM25Index.from_terms(_summed(passages, per_section), vocab)


def _same(ours: SectionIndex, theirs: BM25Index, query: dict[str, float]) -> None:
    scores, matched = ours.score_array(query)
    expected, expected_matched = theirs.score_array(query)
    assert scores.dtype == expected.dtype
    assert np.array_equal(matched, expected_matched)
    assert np.array_equal(scores, expected), query  # to the bit, not approximately


def _random_corpus(
    rng: random.Random, terms: int, sections: int, most_tf: int = 6
) -> tuple[DocTerms, list[int]]:
    per_section = [rng.randint(0, 5) for _ in range(sections)]
    bags = []
    for _ in range(sum(per_section)):
        ids = rng.sample(range(terms), rng.randint(0, 12))
        tfs = [rng.randint(1, most_tf) for _ in ids]
        bags.append((ids, tfs, sum(tfs) + rng.randint(0, 30)))
    return DocTerms.of(bags), per_section


@pytest.mark.parametrize("seed", range(6))
def test_random_sections_score_as_an_index_over_their_summed_passages(seed: int) -> None:
    rng = random.Random(seed)
    vocab = {f"t{i}": i for i in range(80)}
    passages, per_section = _random_corpus(rng, 80, rng.randint(20, 120))
    ours, theirs = _both(passages, per_section, vocab)
    assert ours.size == theirs.size == len(per_section)
    for _ in range(40):
        picked = rng.sample(sorted(vocab), rng.randint(1, 10))
        query = {t: rng.choice([1.0, 1.0, 0.5, 0.3, 0.137]) for t in picked}
        query["never-indexed"] = 1.0
        _same(ours, theirs, query)


def test_counts_too_large_to_come_back_from_a_float32_weight_are_kept_exactly() -> None:
    """A pasted log: one word thousands of times in a long passage, beside short ones."""
    rng = random.Random(7)
    vocab = {f"t{i}": i for i in range(20)}
    bags: list[tuple[list[int], list[int], int]] = []
    for n in range(300):
        if n % 50 == 0:
            bags.append(([0, 1], [60_000 + n, 3], 60_100 + n))
        else:
            ids = rng.sample(range(20), 4)
            bags.append((ids, [rng.randint(1, 3) for _ in ids], 8))
    passages = DocTerms.of(bags)
    per_section = [3] * 100
    ours, theirs = _both(passages, per_section, vocab)
    assert ours.passages._misses is not None and len(ours.passages._misses[0]) > 0
    for query in ({"t0": 1.0}, {"t0": 1.0, "t1": 0.5}, {t: 1.0 for t in vocab}):
        _same(ours, theirs, query)


def test_where_a_count_does_not_come_back_the_setup_keeps_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Counts that the weights would give back wrong (here: every even one, off by one)
    are found at setup and kept; the scores stay exact."""
    real = select_module._counts_back

    def blurred(*args: Any) -> Any:
        back = real(*args)
        return back + (back % 2 == 0)

    monkeypatch.setattr(select_module, "_counts_back", blurred)
    rng = random.Random(11)
    vocab = {f"t{i}": i for i in range(40)}
    passages, per_section = _random_corpus(rng, 40, 60)
    ours, theirs = _both(passages, per_section, vocab)
    assert ours.passages._misses is not None and len(ours.passages._misses[0]) > 100
    for _ in range(30):
        query = {t: 1.0 for t in rng.sample(sorted(vocab), 5)}
        _same(ours, theirs, query)
    monkeypatch.setattr(select_module, "_counts_back", real)
    with pytest.raises(AssertionError):  # the check can fail: without the kept counts
        _same(
            SectionIndex(_without_misses(ours.passages), ours.section_of, ours.norm),
            theirs,
            {t: 1.0 for t in vocab},
        )


def _without_misses(index: BM25Index) -> BM25Index:
    """The same index with its kept counts wrong by one (what scoring without them gives)."""
    broken = copy.copy(index)
    at, values = index._misses  # type: ignore[misc]
    broken._misses = (at, values + 1)
    return broken


def test_an_index_set_up_without_counts_cannot_score_groups() -> None:
    index = BM25Index.from_terms(DocTerms.of([([0], [1], 1)]), {"a": 0})
    section = SectionIndex.over(index, np.zeros(1, np.int64), np.ones(1, np.int32), 1)
    with pytest.raises(ValueError, match="counts=True"):
        section.score_array({"a": 1.0})


@pytest.mark.parametrize("corpus", ["context-index.md", "eval-ops/index.md"])
def test_real_indexes_score_sections_as_before_for_every_task(
    corpus: str, tmp_path: Path, tokenizer: TiktokenCounter
) -> None:
    """The real analyzer on the demo and the ops evaluation index (phrases, tables, long
    pages), every task of each with its hints."""
    text = (ROOT / "examples" / corpus).read_text(encoding="utf-8")
    snapshot = build_snapshot(tmp_path, tokenizer, text)
    analyzer = Analyzer()
    vocab = type(snapshot.lexicon.vocab)()
    terms = shards_terms(snapshot.shards, analyzer, vocab)
    passages, shared = share_passages(terms)
    lex = build_lexicon(snapshot.shards, shared, passages, analyzer, vocab)
    per_section = [c for t in shared for c in t.passage_counts]
    reference = BM25Index.from_terms(_summed(passages, per_section), vocab)
    data = json.loads((ROOT / "examples" / corpus).with_name("tasks.json").read_text("utf-8"))
    tasks = data["tasks"] if isinstance(data, dict) else data
    assert lex.sections.size == reference.size > 12
    for task in tasks:
        query = query_weights(analyzer, task["task"], 0.5, task.get("hints", []), 0.5)
        _same(lex.sections, reference, query)
    assert len(tasks) > 30


passages_strategy = st.lists(
    st.lists(
        st.tuples(
            st.integers(0, 11),
            # pasted logs, and worse (a section's words stay under 2**31: DocTerms's int32)
            st.one_of(st.integers(1, 5), st.integers(1, 2**24)),
        ),
        max_size=5,
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=80, deadline=None)
@given(
    passages=passages_strategy,
    cuts=st.lists(st.integers(0, 4), min_size=1, max_size=8),
    pad=st.one_of(st.integers(0, 50), st.integers(0, 2**24)),
    query=st.dictionaries(
        st.sampled_from([f"t{i}" for i in range(13)]),
        st.sampled_from([1.0, 0.5, 0.3, 0.1234567]),
        min_size=1,
        max_size=6,
    ),
)
def test_any_sections_score_as_an_index_over_their_summed_passages(
    passages: list[list[tuple[int, int]]], cuts: list[int], pad: int, query: dict[str, float]
) -> None:
    """Any corpus (counts up to 2**24, empty passages and sections; a section's words stay
    under 2**31, as DocTerms's int32 lengths need), any query."""
    rows = []
    for doc in passages:
        counts = dict(doc)
        rows.append((list(counts), list(counts.values()), sum(counts.values()) + pad))
    per_section = list(cuts)
    per_section[-1] += len(rows) - sum(per_section)  # every passage in some section
    if per_section[-1] < 0:
        per_section = [len(rows)]
    vocab = {f"t{i}": i for i in range(12)}
    ours, theirs = _both(DocTerms.of(rows), per_section, vocab)
    _same(ours, theirs, query)
