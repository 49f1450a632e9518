"""The lexicon: every shard's terms as compact arrays, and the BM25 indexes over the snapshot.

Text is analyzed once per shard version (:func:`shard_terms`) into term ids of a
:class:`Vocabulary` the cache keeps for its lifetime; a shard's terms are arrays
(:class:`~router.select.DocTerms`), not a dict per passage, so a 20 MB index holds its terms
in tens of megabytes. :func:`build_lexicon` concatenates them into four BM25 indexes
(passages, sections, headings, shards) whenever a page changes: a rebuild re-analyzes only
the changed pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import numpy.typing as npt

from router.model import IndexedShard
from router.select import Analyzer, BM25Index, DocTerms

#: Term -> id, shared by every index of a cache; it only grows (terms of edited-away text
#: stay, harmlessly: an index built later simply has no postings for them).
Vocabulary = dict[str, int]


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
    h = shard.header
    fields = DocTerms.of(
        [
            analyzer.counted(
                "\n".join([h.title, h.summary, *h.fetch_when, *h.related_entities, shard.id]),
                vocab,
            )
        ]
    )
    passages = DocTerms.of(
        analyzer.counted(p.text, vocab) for s in shard.sections for p in s.passages
    )
    counts = tuple(len(s.passages) for s in shard.sections)
    headings = DocTerms.of(analyzer.counted(" \n".join(s.path), vocab) for s in shard.sections)
    return ShardTerms(fields, headings, passages, counts)


def _sum_by_section(passages: DocTerms, counts: Sequence[int]) -> DocTerms:
    """One document per section: the term counts and lengths of its passages added up."""
    nsec = len(counts)
    section_of_passage = np.repeat(np.arange(nsec, dtype=np.int64), counts)
    lengths = np.bincount(section_of_passage, weights=passages.lengths, minlength=nsec)
    section_of = section_of_passage[np.repeat(np.arange(passages.size), np.diff(passages.ptr))]
    width = int(passages.terms.max()) + 1 if len(passages.terms) else 1
    keys, inverse = np.unique(section_of * width + passages.terms, return_inverse=True)
    del section_of
    summed = np.bincount(inverse, weights=passages.counts, minlength=len(keys))
    sections = keys // width
    ptr = np.searchsorted(sections, np.arange(nsec + 1), side="left")
    return DocTerms(
        ptr.astype(np.int64),
        (keys % width).astype(np.int32),
        summed.astype(np.int32),
        lengths.astype(np.int32),
    )


@dataclass(frozen=True)
class Lexicon:
    """BM25 indexes over the whole snapshot, with maps from document number to position."""

    analyzer: Analyzer
    sections: BM25Index  # one document per section (its text without the heading)
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
        """Term id -> term (the vocabulary in id order), built on first use."""
        return tuple(self.vocab)

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
) -> Lexicon:
    """The lexicon over ``shards``; ``passages`` is their terms' passages concatenated
    (:func:`share_passages`)."""
    counts = [c for t in terms for c in t.passage_counts]
    section_key = tuple((n, m) for n, s in enumerate(shards) for m in range(len(s.sections)))
    section_shard = np.array([n for n, _ in section_key], dtype=np.int64)
    per_section = np.array(counts, dtype=np.int64)
    section_passages = np.concatenate([np.zeros(1, np.int64), np.cumsum(per_section)])
    passage_section = np.repeat(np.arange(len(counts), dtype=np.int64), per_section)
    passage_index = np.arange(int(section_passages[-1]), dtype=np.int64) - np.repeat(
        section_passages[:-1], per_section
    )
    return Lexicon(
        analyzer=analyzer,
        # Summed shard by shard: the same arrays as over the whole index (sections are in
        # shard order), without np.unique's sort over every posting at once (a 130 MB peak at
        # 20 MB).
        sections=BM25Index.from_terms(_sections(terms, len(passages.terms)), vocab),
        headings=BM25Index.from_terms(DocTerms.concat([t.headings for t in terms]), vocab, b=0.3),
        passages=BM25Index.from_terms(passages, vocab),
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


def _sections(terms: Sequence[ShardTerms], most: int) -> DocTerms:
    """The section documents of every shard (:func:`_sum_by_section`), written shard by shard
    into arrays of ``most`` postings (a section has at most its passages' postings), not
    gathered in a list and concatenated (which held them twice)."""
    ids = np.empty(most, dtype=np.int32)
    tfs = np.empty(most, dtype=np.int32)
    ptr = [np.zeros(1, np.int64)]
    lengths = []
    at = 0
    for t in terms:
        part = _sum_by_section(t.passages, t.passage_counts)
        size = len(part.terms)
        ids[at : at + size] = part.terms
        tfs[at : at + size] = part.counts
        ptr.append(part.ptr[1:] + at)
        lengths.append(part.lengths)
        at += size
    return DocTerms(
        np.concatenate(ptr),
        ids[:at],
        tfs[:at],
        np.concatenate(lengths).astype(np.int32, copy=False) if lengths else ids[:0],
    )
