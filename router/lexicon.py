"""The lexicon: every shard's terms as compact arrays, and the BM25 indexes over the snapshot.

Text is analyzed once per shard version (:func:`shard_terms`) into term ids of a
:class:`Vocabulary` the cache keeps for its lifetime; a shard's terms are arrays
(:class:`~router.select.DocTerms`), not a dict per passage, so a 20 MB index holds its terms
in tens of megabytes. :func:`build_lexicon` concatenates them into three BM25 indexes
(passages, headings, shards) whenever a page changes, and scores sections from the passage
index (:class:`SectionIndex`): a rebuild re-analyzes only the changed pages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import numpy.typing as npt

from router._heap import release_free_heap
from router._vocab import Terms, Vocabulary
from router.model import IndexedShard
from router.select import _WORD as WORD_PATTERN
from router.select import (
    STOP_WORDS,
    Analyzer,
    BM25Index,
    DocTerms,
    GroupNorms,
    bm25_norms,
)


@dataclass(frozen=True)
class ShardTerms:
    """A shard's documents for each index, kept with it so a rebuild re-analyzes only changed
    pages: one fields document, one heading path per section, one per passage (a section's
    document, its passages' terms added up, is derived when the lexicon is built)."""

    fields: DocTerms
    headings: DocTerms
    passages: DocTerms
    passage_counts: tuple[int, ...]  # passages per section


def shard_terms(shard: IndexedShard, analyzer: Analyzer, vocab: Vocabulary) -> ShardTerms:
    return shards_terms([shard], analyzer, vocab)[0]


def shards_terms(
    shards: Sequence[IndexedShard], analyzer: Analyzer, vocab: Vocabulary
) -> list[ShardTerms]:
    """:func:`shard_terms` of each shard, analyzed together (what analysis costs per call is
    then paid once for them all); new terms get the ids they would one shard at a time."""
    texts: list[str] = []
    for shard in shards:
        h = shard.header
        texts.append("\n".join([h.title, h.summary, *h.fetch_when, *h.related_entities, shard.id]))
        texts.extend(p.text for s in shard.sections for p in s.passages)
        texts.extend(" \n".join(s.path) for s in shard.sections)
    docs = analyze(texts, analyzer, vocab)
    del texts
    out: list[ShardTerms] = []
    at = 0
    for shard in shards:
        counts = tuple(len(s.passages) for s in shard.sections)
        npass, nsec = sum(counts), len(shard.sections)
        fields = _docs_slice(docs, at, at + 1)
        passages = _docs_slice(docs, at + 1, at + 1 + npass)
        headings = _docs_slice(docs, at + 1 + npass, at + 1 + npass + nsec)
        out.append(ShardTerms(fields, headings, passages, counts))
        at += 1 + npass + nsec
    return out


@dataclass(frozen=True)
class ForeignTerms:
    """Shards' terms found against a vocabulary of their own (what a build's helper process
    sends back): each kind of document concatenated over the shards, the passages per section
    of each shard, and that vocabulary's terms in id order. A few large arrays rather than
    three small ones per shard: they come and go whole, not as holes in the heap."""

    fields: DocTerms
    headings: DocTerms
    passages: DocTerms
    passage_counts: tuple[tuple[int, ...], ...]
    terms: Terms

    @classmethod
    def of(cls, found: Sequence[ShardTerms], vocab: Vocabulary) -> ForeignTerms:
        return cls(
            DocTerms.concat([t.fields for t in found]),
            DocTerms.concat([t.headings for t in found]),
            DocTerms.concat([t.passages for t in found]),
            tuple(t.passage_counts for t in found),
            vocab.terms(),
        )


def adopt_terms(foreign: ForeignTerms, vocab: Vocabulary) -> list[ShardTerms]:
    """Each shard's terms as :func:`shards_terms` would have found them against ``vocab``: the
    terms ``vocab`` lacks get its next ids in their own id order, which is the order of their
    first use, the one ``shards_terms`` gives new terms."""
    table = vocab.assign(foreign.terms).astype(np.int32)
    fields, headings, passages = (
        replace(docs, terms=table[docs.terms])
        for docs in (foreign.fields, foreign.headings, foreign.passages)
    )
    out: list[ShardTerms] = []
    field, heading, passage = 0, 0, 0
    for counts in foreign.passage_counts:
        nsec, npass = len(counts), sum(counts)
        out.append(
            ShardTerms(
                _docs_view(fields, field, field + 1),
                _docs_view(headings, heading, heading + nsec),
                _docs_view(passages, passage, passage + npass),
                counts,
            )
        )
        field, heading, passage = field + 1, heading + nsec, passage + npass
    return out


def _docs_view(docs: DocTerms, start: int, end: int) -> DocTerms:
    """Documents ``start:end`` as views into ``docs`` (their own pointers)."""
    lo, hi = int(docs.ptr[start]), int(docs.ptr[end])
    return DocTerms(
        docs.ptr[start : end + 1] - lo,
        docs.terms[lo:hi],
        docs.counts[lo:hi],
        docs.lengths[start:end],
    )


def _docs_slice(docs: DocTerms, start: int, end: int) -> DocTerms:
    """Documents ``start:end`` as arrays of their own (a view would keep the whole batch)."""
    lo, hi = int(docs.ptr[start]), int(docs.ptr[end])
    return DocTerms(
        docs.ptr[start : end + 1] - lo,
        docs.terms[lo:hi].copy(),
        docs.counts[lo:hi].copy(),
        docs.lengths[start:end].copy(),
    )


#: Joins a shard's documents into one text for the analyzer: a letter that English text does
#: not hold, between spaces, so it is a word of its own that marks where a document ends.
_MARK = "\ua66e"
_JOIN = f" {_MARK} "


def analyze(texts: Sequence[str], analyzer: Analyzer, vocab: Vocabulary) -> DocTerms:
    """``DocTerms.of(analyzer.counted(t, vocab) for t in texts)``: the same arrays, new terms
    given the same ids in the same order, with Python work per distinct word rather than per
    word, and array operations for the rest (a Counter, a list of pair strings and a
    vocabulary lookup per term, per passage, were a quarter of a 20 MB build).

    The texts are joined around a marker word and cut into words as ``Analyzer.words`` cuts
    them (the same pattern, lowercase); each distinct word is filtered and stemmed by the
    analyzer itself, all in one call. ``tests/router/test_lexicon_analyze.py`` checks the
    result against ``counted``.
    """
    joined = _JOIN.join(texts)
    if len(texts) < 2 or joined.count(_MARK) != len(texts) - 1:  # or a text holds the marker
        return DocTerms.of(analyzer.counted(t, vocab) for t in texts)
    raw = _words(joined.lower())
    del joined
    code_of = {w: n for n, w in enumerate(dict.fromkeys(raw))}
    codes = np.array(list(map(code_of.__getitem__, raw)), dtype=np.int64)
    del raw
    # Each distinct word: the marker, a stop word, or its stem (the analyzer's own, at once).
    kept = [w for w in code_of if w not in STOP_WORDS and w != _MARK]
    spaced = " ".join(kept)
    # (each kept word must be a word of the analyzer's own cut, lowercase: else fall back)
    sure = spaced == spaced.lower() and WORD_PATTERN.findall(spaced) == kept
    stems = analyzer.stems(kept) if sure else []
    if len(stems) != len(kept) or _MARK not in code_of:
        return DocTerms.of(analyzer.counted(t, vocab) for t in texts)
    distinct = list(dict.fromkeys(stems))
    stem_of = {w: n for n, w in enumerate(distinct)}
    table = np.full(len(code_of), -1, dtype=np.int64)
    table[[code_of[w] for w in kept]] = [stem_of[s] for s in stems]
    table[code_of[_MARK]] = -2
    ids = table[codes]
    del codes, table
    nloc, ndocs = len(distinct), len(texts)
    doc = np.cumsum(ids == -2)
    keep = ids >= 0
    word_keys, word_docs = ids[keep], doc[keep]
    del ids, doc, keep
    lengths = np.bincount(word_docs, minlength=ndocs)
    same = word_docs[:-1] == word_docs[1:]
    digit = np.fromiter((bool(_DIGIT.search(w)) for w in distinct), dtype=np.bool_, count=nloc)
    same &= ~(digit[word_keys[:-1]] | digit[word_keys[1:]])
    pairs, pair_dense = _unique_inverse(word_keys[:-1][same] * nloc + word_keys[1:][same])
    # Dense keys: words 0..nloc-1, then each distinct pair.
    keys = np.concatenate([word_keys, nloc + pair_dense])
    docs = np.concatenate([word_docs, word_docs[:-1][same]])
    nkeys = nloc + len(pairs)
    # (document, term) keys below are ``doc * nkeys + key``: they must fit in an int64.
    if ndocs * nkeys >= 1 << 62 or len(keys) >= 1 << 32:  # pragma: no cover - beyond memory
        return DocTerms.of(analyzer.counted(t, vocab) for t in texts)
    # Sequence order, as counted() meets terms: by document, its words, then its pairs. Both
    # lists are in document order already, so each item's place is counted, not sorted:
    # a word goes after the pairs of the documents before its own, a pair after the words
    # of its own document and those before.
    nwords = len(word_keys)
    pair_docs = docs[nwords:]
    pairs_in = np.bincount(pair_docs, minlength=ndocs)
    place = np.empty(len(keys), dtype=np.int64)
    place[:nwords] = np.cumsum(pairs_in)[word_docs]
    place[:nwords] -= pairs_in[word_docs]
    place[:nwords] += np.arange(nwords)
    place[nwords:] = np.cumsum(lengths)[pair_docs]
    place[nwords:] += np.arange(len(pair_docs))
    del word_keys, word_docs, pair_dense, same, pair_docs, pairs_in
    in_order = np.empty_like(keys)
    in_order[place] = keys
    keys = in_order
    in_order = np.empty_like(docs)
    in_order[place] = docs
    docs = in_order
    del place, in_order
    # Distinct (document, term) in order of first appearance, with their counts.
    groups, first, tfs = _first_groups(docs * nkeys + keys)
    term_keys = groups % nkeys
    term_docs = groups // nkeys
    del keys, docs, groups, first
    # Ids: known terms from the vocabulary, new ones the next ids in order of first use.
    uniq = _first_distinct(term_keys, nkeys)
    is_word = uniq < nloc
    left, right = np.divmod(pairs, nloc)  # each distinct pair's words, as positions in distinct
    known = vocab.assign(
        Terms(distinct, is_word, np.where(is_word, uniq, uniq - nloc), left, right)
    )
    by_key = np.zeros(nkeys, dtype=np.int64)
    by_key[uniq] = known
    ptr = np.zeros(ndocs + 1, dtype=np.int64)
    np.cumsum(np.bincount(term_docs, minlength=ndocs), out=ptr[1:])
    return DocTerms(
        ptr,
        by_key[term_keys].astype(np.int32),
        tfs.astype(np.int32),
        lengths.astype(np.int32),
    )


#: Bytes that are not ASCII letters or digits become spaces (bytes of other characters stay).
_ASCII_WORDS = bytes(c if c >= 128 or chr(c).isalnum() else 32 for c in range(256))
_DIGIT = re.compile(r"\d")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_NON_ASCII_CHAR = re.compile(r"[^\x00-\x7f]")
#: Kinds of non-ASCII symbols replaced one ``str.replace`` each; more take the regex pass.
_REPLACES = 32
#: Whether the analyzer's word pattern is the one :func:`_words` reproduces.
_SAME_PATTERN = WORD_PATTERN.pattern == r"[^\W_]+"


def _words(text: str) -> list[str]:
    """``WORD_PATTERN.findall(text)`` (runs of letters and digits), faster: other ASCII
    characters become spaces a byte table at a time, other characters that are not letters or
    digits become spaces kind by kind, and ``split`` does the rest (0.2 s instead of 0.55 s
    over 20 MB)."""
    if not _SAME_PATTERN:  # pragma: no cover - the analyzer changed how it cuts words
        return list(WORD_PATTERN.findall(text))
    if not text.isascii():
        others = [c for c in set(_NON_ASCII_CHAR.findall(text)) if not c.isalnum()]
        if len(others) > _REPLACES:  # many kinds of symbols: one pass, a call per run
            text = _NON_ASCII.sub(_space_out, text)
        else:  # a few kinds (dashes, arrows, currency signs): a fast pass each
            for c in others:
                text = text.replace(c, " ")
    return text.encode().translate(_ASCII_WORDS).decode().split()


def _space_out(match: re.Match[str]) -> str:
    run = match.group()
    return run if run.isalnum() else "".join(c if c.isalnum() else " " for c in run)


def _sorted_positions(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``np.argsort(values, kind="stable")`` for non-negative values: one SIMD sort of
    value-and-position keys where both fit in 63 bits (see ``router.select._stable_order``),
    the stable argsort itself where they do not."""
    shift = len(values).bit_length()
    if not len(values) or int(values.max()).bit_length() + shift > 63:
        return np.argsort(values, kind="stable")
    keys = values << shift
    keys |= np.arange(len(values), dtype=np.int64)
    keys.sort()
    keys &= (1 << shift) - 1
    return keys


def _unique_inverse(
    values: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``np.unique(values, return_inverse=True)`` for non-negative values: one SIMD sort of
    value-and-position keys where both fit in 63 bits (np.unique's argsort took twice as
    long), np.unique itself where they do not."""
    shift = len(values).bit_length()
    if not len(values) or int(values.max()).bit_length() + shift > 63:
        uniq, inverse = np.unique(values, return_inverse=True)
        return uniq, inverse.reshape(-1)
    keys = values << shift
    keys |= np.arange(len(values), dtype=np.int64)
    keys.sort()
    at = keys & ((1 << shift) - 1)
    keys >>= shift  # the values, ascending
    new = np.empty(len(keys), dtype=np.bool_)
    new[0] = True
    np.not_equal(keys[1:], keys[:-1], out=new[1:])
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[at] = np.cumsum(new) - 1
    return keys[new], inverse


def _first_distinct(values: npt.NDArray[np.int64], bound: int) -> npt.NDArray[np.int64]:
    """The distinct ``values`` (each under ``bound``) in order of first appearance: where
    each first appears is kept per value (an array of ``bound``), and only the distinct
    values are sorted by it."""
    first = np.full(bound, len(values), dtype=np.int64)
    np.minimum.at(first, values, np.arange(len(values), dtype=np.int64))
    present = np.flatnonzero(first < len(values))
    return present[_sorted_positions(first[present])]


def _first_groups(
    values: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The distinct ``values`` (non-negative) in order of first appearance, where each first
    appears, and how often each occurs."""
    if not len(values):
        empty = values[:0]
        return empty, empty, empty
    at = _sorted_positions(values)
    ordered = values[at]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    counts = np.diff(np.append(starts, len(ordered)))
    firsts = at[starts]  # positions ascend within a value: its first appearance
    # The groups in order of their first appearance: firsts are distinct positions, so
    # their order is read off a mark per position rather than sorted.
    del at
    marked = np.zeros(len(values), dtype=np.bool_)
    marked[firsts] = True
    group_at = np.empty(len(values), dtype=np.int64)
    group_at[firsts] = np.arange(len(firsts))
    by_first = group_at[np.flatnonzero(marked)]
    del marked, group_at
    return ordered[starts][by_first], firsts[by_first], counts[by_first]


#: BM25's parameters for sections (the passage index's own, BM25Index's defaults).
_K1, _B = 1.2, 0.75


@dataclass(frozen=True, eq=False)
class SectionIndex:
    """BM25 of each section as one document (its passages' terms and lengths added up),
    read from the passage index's postings at query time (:meth:`BM25Index.grouped_score_array`):
    the numbers an index over the summed documents gives, to the bit, without its postings
    (27 MB at 20 MB, and as much again while a refresh builds the next lexicon beside it)."""

    passages: BM25Index  # set up with counts=True
    section_of: npt.NDArray[np.int64]  # passage doc -> section doc (the lexicon's own array)
    norm: GroupNorms

    @classmethod
    def over(
        cls,
        passages: BM25Index,
        section_of: npt.NDArray[np.int64],
        passage_lengths: npt.NDArray[np.int32],
        nsec: int,
    ) -> SectionIndex:
        # (float64 sums of the passages' lengths: exact, where int32 could overflow)
        lengths = np.bincount(section_of, weights=passage_lengths, minlength=nsec)
        norm = bm25_norms(lengths, _K1, _B)
        return cls(passages, section_of, GroupNorms(norm, _K1))

    @property
    def size(self) -> int:
        return self.norm.size

    @property
    def nbytes(self) -> int:
        """Memory of its own (the passage index and the section map are the lexicon's)."""
        return int(self.norm.values.nbytes)

    def score_array(
        self, query: Mapping[str, float]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """BM25 of every section as one array, and which sections matched some term."""
        return self.passages.grouped_score_array(query, self.section_of, self.norm)


@dataclass(frozen=True)
class Lexicon:
    """BM25 indexes over the whole snapshot, with maps from document number to position."""

    analyzer: Analyzer
    sections: SectionIndex  # one document per section (its text without the heading)
    headings: BM25Index  # one document per section (its heading path)
    passages: BM25Index  # one document per passage
    shards: BM25Index  # one document per shard (title, summary, fetch_when, entities)
    section_key: tuple[tuple[int, int], ...]  # section doc -> (shard, section)
    section_shard: npt.NDArray[np.int64]  # section doc -> shard
    section_passages: npt.NDArray[np.int64]  # section doc -> its first passage doc (+ end)
    passage_section: npt.NDArray[np.int64]  # passage doc -> section doc
    passage_index: npt.NDArray[np.int64]  # passage doc -> passage index within its section
    # passage doc d's term ids are passage_terms[passage_ptr[d]:passage_ptr[d + 1]] (each once):
    # the forward index that query expansion reads (router.select.expansion).
    passage_ptr: npt.NDArray[np.int64]
    passage_terms: npt.NDArray[np.int32]
    vocab: Vocabulary  # shared with the cache; ids were assigned in insertion order

    @cached_property
    def words(self) -> tuple[str, ...]:
        """Term id -> the word ("" for a phrase pair), built on first use."""
        return self.vocab.word_table()

    def passage_term_ids(self, doc: int) -> npt.NDArray[np.int32]:
        """The term ids of passage ``doc``, each once."""
        return self.passage_terms[self.passage_ptr[doc] : self.passage_ptr[doc + 1]]

    @property
    def nbytes(self) -> int:
        """Memory held by the index arrays (vocabulary and analyzer not counted)."""
        return sum(i.nbytes for i in (self.sections, self.headings, self.passages, self.shards))


def share_passages(terms: Sequence[ShardTerms]) -> tuple[DocTerms, list[ShardTerms]]:
    """Every shard's passage documents in one set of arrays, and the shards' ``terms`` again
    with their passages as views into it: keep these (and let the others go) so the build
    and the index it makes hold each shard's terms once."""
    passages = DocTerms.concat([t.passages for t in terms])
    if len(passages.counts) and int(passages.counts.max()) <= np.iinfo(np.uint16).max:
        # A term's count in one passage: two bytes hold it (the cache keeps these for good).
        passages = replace(passages, counts=passages.counts.astype(np.uint16))
    out: list[ShardTerms] = []
    doc = 0
    for t in terms:
        end = doc + t.passages.size
        lo, hi = int(passages.ptr[doc]), int(passages.ptr[end])
        view = DocTerms(
            passages.ptr[doc : end + 1] - lo,
            passages.terms[lo:hi],
            passages.counts[lo:hi],
            passages.lengths[doc:end],
        )
        out.append(replace(t, passages=view))
        doc = end
    return passages, out


def build_lexicon(
    shards: Sequence[IndexedShard],
    terms: Sequence[ShardTerms],
    passages: DocTerms,
    analyzer: Analyzer,
    vocab: Vocabulary,
    *,
    trim: bool = False,
) -> Lexicon:
    """The lexicon over ``shards``; ``passages`` is their terms' passages concatenated
    (:func:`share_passages`). ``trim``: hand the heap freed by each index's setup back to the
    OS before the next (a long-lived process: its peak RSS, not just its steady one)."""
    counts = [c for t in terms for c in t.passage_counts]
    section_key = tuple((n, m) for n, s in enumerate(shards) for m in range(len(s.sections)))
    section_shard = np.array([n for n, _ in section_key], dtype=np.int64)
    per_section = np.array(counts, dtype=np.int64)
    section_passages = np.concatenate([np.zeros(1, np.int64), np.cumsum(per_section)])
    passage_section = np.repeat(np.arange(len(counts), dtype=np.int64), per_section)
    passage_index = np.arange(int(section_passages[-1]), dtype=np.int64) - np.repeat(
        section_passages[:-1], per_section
    )
    if trim:
        release_free_heap()
    headings = BM25Index.from_terms(DocTerms.concat([t.headings for t in terms]), vocab, b=0.3)
    if trim:
        release_free_heap()
    passage_bm25 = BM25Index.from_terms(passages, vocab, k1=_K1, b=_B, counts=True)
    if trim:
        release_free_heap()
    sections = SectionIndex.over(passage_bm25, passage_section, passages.lengths, len(counts))
    return Lexicon(
        analyzer=analyzer,
        sections=sections,
        headings=headings,
        passages=passage_bm25,
        shards=BM25Index.from_terms(DocTerms.concat([t.fields for t in terms]), vocab, b=0.3),
        section_key=section_key,
        section_shard=section_shard,
        section_passages=section_passages,
        passage_section=passage_section,
        passage_index=passage_index,
        passage_ptr=passages.ptr,
        passage_terms=passages.terms,
        vocab=vocab,
    )
