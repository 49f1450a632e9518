"""Scoring shards and sections for a task: BM25 over the index, boosted by headers and headings.

Our own scoring rather than ``bm25s`` (numpy, a second index format to keep in step): the index
is small (hundreds of sections, a few thousand passages), a pure-Python inverted index answers
in well under a millisecond, and the scoring is the core of the service, so it stays readable.

Text becomes terms the same way everywhere: lowercase words (letters and digits), a small
English stop-word list removed, Snowball English stems (PyStemmer), plus each pair of adjacent
terms as a phrase term (``"cloud run"``), so a task that names a phrase ranks the section that
uses it above one that has both words apart; not a pair where either word holds a digit (an
invoice number, a date, an amount, a hash is rare enough to be found alone, and such pairs were
a third to a half of a large index's terms). IDF comes from the whole index. A task without
hints gains a few low-weight terms the index itself associates with its rarer words (words that
share its passages: :func:`expansion`), a reach into paraphrase that stays lexical.

A section's score adds up four signals, each a BM25 (or a share of one) with a weight from
:class:`SelectOptions`:

- its best **passage** (a paragraph, a list, a table chunk): a fact usually sits in one place;
- its whole **text**, which rewards sections about the topic rather than mentioning it once;
- its **heading path** (``Infrastructure > Cloud Run > Scaling``), the author's own label;
- its **shard's header** (title, summary, fetch_when, related_entities): a prior for the domain.

Shards named in the request come first, whatever their score. Ties break by shard id, then by
section order, so the same index and input always give the same selection.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
import threading
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np
import numpy.typing as npt
import Stemmer

from router import _order

if TYPE_CHECKING:
    from router.snapshot import IndexSnapshot, Lexicon

#: Function words that carry no topic. Deliberately small: "not", "no" and numbers stay.
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves s t d ll re ve m
    please tell show give find need want know get let use using used also us does""".split()
)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
#: Distinct words whose stems are remembered (the index's vocabulary is a few thousand).
MEMO_LIMIT = 200_000


class Analyzer:
    """Text to terms: lowercase words, stop words out, English stems, adjacent-pair phrases
    (but for pairs where a word holds a digit: see the module docstring).

    Thread-safe: PyStemmer's stemmer is not, so misses go through a lock and stems are memoized.
    """

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._memo: dict[str, str] = {}
        self._lock = threading.Lock()

    def __reduce__(self) -> tuple[type[Analyzer], tuple[()]]:
        return (Analyzer, ())  # a saved index keeps no stemmer: a new one is made on load

    def words(self, text: str) -> list[str]:
        """Stemmed content words, in order."""
        get = self._memo.get
        # A known word is one dict lookup; only the first sight of a word goes to the stemmer.
        return [
            get(word) or self._stem(word)
            for word in _WORD.findall(text.lower())
            if word not in STOP_WORDS
        ]

    def stems(self, words: Sequence[str]) -> list[str]:
        """The stem of each of ``words`` (lowercase content words, as :meth:`words` finds
        them), at once and past the memo: a build stems every distinct word of its index
        once a batch, and the memo would keep them all (85,000 words, 9 MB, on 20 MB of
        varied notes) for tasks that use a few dozen."""
        with self._lock:
            stems: list[str] = self._stemmer.stemWords(words)
        return stems

    def _stem(self, word: str) -> str:
        with self._lock:
            stem: str = self._stemmer.stemWord(word)
        if len(self._memo) < MEMO_LIMIT:  # tasks are untrusted: keep the memo bounded
            self._memo[word] = stem
        return stem

    def terms(self, text: str) -> list[str]:
        """Words plus phrase terms (``"a b"`` for each adjacent pair)."""
        words = self.words(text)
        return words + [f"{a} {b}" for a, b in itertools.pairwise(words) if _phrase(a, b)]

    def bag(self, text: str) -> TermBag:
        return TermBag.of(self.terms(text))

    def counted(self, text: str, vocab: TermIds) -> tuple[list[int], list[int], int]:
        """The text's terms as ids in ``vocab`` (new terms added), their counts, and its
        length in words: :meth:`bag` without keeping a string per term."""
        words = self.words(text)
        counts = Counter(words)
        counts.update([f"{a} {b}" for a, b in itertools.pairwise(words) if _phrase(a, b)])
        known = list(map(vocab.get, counts))  # the common case, every term known: one C loop
        if None in known:  # new terms get the next ids, in order of first appearance
            ids = [
                vocab.setdefault(term, len(vocab)) if n is None else n
                for term, n in zip(counts, known, strict=True)
            ]
        else:
            ids = cast("list[int]", known)
        return ids, list(counts.values()), len(words)


def _phrase(a: str, b: str) -> bool:
    """Whether two adjacent words make a phrase term: not when either holds a digit."""
    return not (_DIGIT.search(a) or _DIGIT.search(b))


_DIGIT = re.compile(r"\d")


class TermIds(Protocol):
    """What :meth:`Analyzer.counted` needs of a vocabulary (a dict, or the cache's)."""

    def get(self, term: str, /) -> int | None: ...
    def setdefault(self, term: str, default: int, /) -> int: ...
    def __len__(self) -> int: ...


@dataclass(frozen=True)
class TermBag:
    """A document's term counts and its length in words (phrase terms not counted)."""

    counts: Mapping[str, int]
    length: int

    @classmethod
    def of(cls, terms: Iterable[str]) -> TermBag:
        counts = Counter(terms)
        return cls(dict(counts), sum(c for t, c in counts.items() if " " not in t))


EMPTY_BAG = TermBag({}, 0)


@dataclass(frozen=True)
class DocTerms:
    """Documents as compact arrays: document ``d``'s term ids are ``terms[ptr[d]:ptr[d + 1]]``
    (each once), with their counts; ``lengths`` in words (phrase terms not counted)."""

    ptr: npt.NDArray[np.int64]
    terms: npt.NDArray[np.int32]
    counts: npt.NDArray[np.int32] | npt.NDArray[np.uint16]  # uint16 where the cache keeps them
    lengths: npt.NDArray[np.int32]

    @property
    def size(self) -> int:
        return len(self.lengths)

    @classmethod
    def of(cls, bags: Iterable[tuple[Sequence[int], Sequence[int], int]]) -> DocTerms:
        """From (term ids, counts, length) per document."""
        terms: array[int] = array("i")
        counts: array[int] = array("i")
        lengths: array[int] = array("i")
        ptr: array[int] = array("q", [0])
        for ids, tfs, length in bags:
            terms.extend(ids)
            counts.extend(tfs)
            lengths.append(length)
            ptr.append(len(terms))
        return cls(
            np.frombuffer(ptr, dtype=np.int64).copy(),
            np.frombuffer(terms, dtype=np.int32).copy(),
            np.frombuffer(counts, dtype=np.int32).copy(),
            np.frombuffer(lengths, dtype=np.int32).copy(),
        )

    @classmethod
    def concat(cls, parts: Sequence[DocTerms]) -> DocTerms:
        if not parts:
            return EMPTY_DOCS
        offsets = np.cumsum([0] + [len(p.terms) for p in parts[:-1]])
        shifted = [p.ptr[1:] + off for p, off in zip(parts, offsets, strict=True)]
        ptr = np.concatenate([np.zeros(1, np.int64), *shifted])
        return cls(
            ptr.astype(np.int64, copy=False),
            np.concatenate([p.terms for p in parts]).astype(np.int32, copy=False),
            np.concatenate([p.counts for p in parts]).astype(np.int32, copy=False),
            np.concatenate([p.lengths for p in parts]).astype(np.int32, copy=False),
        )


EMPTY_DOCS = DocTerms(
    np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int32)
)


class BM25Index:
    """An inverted index scoring with Okapi BM25 (IDF of the BM25+ form), on arrays.

    Postings are compact arrays sorted by term (CSR: ``indptr`` per term id, then document
    numbers and their precomputed BM25 weights ``idf * tf * (k1 + 1) / (tf + norm)``), so a
    query adds up a few array slices instead of walking Python tuples. ``k1`` and ``b`` are
    fixed at build time. Build it from term bags, or with :meth:`from_terms` from
    :class:`DocTerms` over a vocabulary shared by several indexes.
    """

    def __init__(self, bags: Sequence[TermBag], *, k1: float = 1.2, b: float = 0.75) -> None:
        vocab: dict[str, int] = {}
        rows = (
            (
                [vocab.setdefault(t, len(vocab)) for t in bag.counts],
                list(bag.counts.values()),
                bag.length,
            )
            for bag in bags
        )
        self._setup(DocTerms.of(rows), vocab, k1, b)

    @classmethod
    def from_terms(
        cls,
        docs: DocTerms,
        vocab: Mapping[str, int],
        *,
        k1: float = 1.2,
        b: float = 0.75,
        counts: bool = False,
    ) -> BM25Index:
        """An index over ``docs``, whose term ids come from ``vocab`` (which may grow later:
        terms added after the build are simply absent from this index). ``counts``: keep
        what :meth:`grouped_score_array` needs to read each posting's term count back."""
        index = cls.__new__(cls)
        index._setup(docs, vocab, k1, b, counts)
        return index

    def _setup(
        self,
        docs: DocTerms,
        vocab: Mapping[str, int],
        k1: float,
        b: float,
        counts: bool = False,
    ) -> None:
        n = docs.size
        self.size = n
        self.k1 = k1
        self._vocab = vocab
        self._terms = len(vocab)
        norm = bm25_norms(docs.lengths, k1, b)
        self._norm: npt.NDArray[np.float64] | None = norm if counts else None
        # Postings whose count does not come back exactly from the weight kept (see
        # _counts_back): their positions and counts, found while the postings are placed.
        misses: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]] = []
        df = np.bincount(docs.terms, minlength=self._terms)
        # Per term, only where its postings start: document frequencies are the differences,
        # and an IDF is computed when asked (:func:`_idf`). A 20 MB index of varied notes
        # has 460,000 terms, three indexes over them, and per-term arrays were 44 MB of it.
        self._indptr: npt.NDArray[np.integer] = (
            np.zeros(self._terms + 1, dtype=np.int64)
            if len(docs.terms) >= 1 << 31
            else np.zeros(self._terms + 1, dtype=np.int32)
        )
        np.cumsum(df, out=self._indptr[1:])
        del df  # (each range's IDFs come from the starts, below, as a term's asked later does)
        self._docs = np.empty(len(docs.terms), dtype=np.int32)
        self._weights = np.empty(len(docs.terms), dtype=np.float32)
        # Postings go in term order (documents ascending within a term), a range of terms
        # at a time, so nothing is ever allocated per posting beyond the index itself and a
        # byte each (a 20 MB index has millions: a whole-array sort and float64
        # temporaries were a 100 MB peak).
        ranges = _TermRanges(docs.terms, self._indptr)

        def place(r: int) -> None:
            low, high = ranges.bounds(r)
            out = slice(int(self._indptr[low]), int(self._indptr[high]))
            where = ranges.postings(r)
            # each posting's document, searched while positions ascend (seven times faster
            # than in term order), then both put in term order
            doc = np.searchsorted(docs.ptr, where, side="right") - 1
            order = _stable_order(docs.terms[where])
            where, doc = where[order], doc[order]
            del order
            self._docs[out] = doc
            # idf * tf * (k1 + 1) / (tf + norm), left to right as the scalar formula
            tf = docs.counts[where].astype(np.float64)
            idf = _idf(n, np.diff(self._indptr[low : high + 1]))  # (a range's, not all 900,000)
            per_posting = idf[docs.terms[where] - low]
            weights = per_posting * tf
            weights *= k1 + 1
            near = norm[doc]
            weights /= tf + near
            self._weights[out] = weights
            if counts:  # does each count come back from its weight as kept? (keep those not)
                weights[:] = self._weights[out]  # (the range's buffers, reused: two threads
                per_posting *= k1 + 1  # each hold one range's, at a refresh's peak)
                wrong = np.flatnonzero(_counts_back(weights, near, per_posting) != tf)
                if len(wrong):
                    misses.append((wrong + out.start, tf[wrong]))

        if len(ranges) > 1 and len(docs.terms) >= _THREADED_POSTINGS:
            # Two ranges at a time, on two threads: the work is numpy's searches, sorts and
            # arithmetic, which let go of the GIL (a 20 MB index's lexicon in 0.7 s rather
            # than 1 s on two cores). Each range fills its own slice of the arrays, so they
            # are the same as one thread's; each thread holds one range's temporaries (a
            # service's threads share one malloc arena: see SnapshotOptions.freeze_gc).
            with ThreadPoolExecutor(2, thread_name_prefix="bm25-setup") as pool:
                for _ in pool.map(place, range(len(ranges))):
                    pass
        else:
            for r in range(len(ranges)):
                place(r)
        self._present: npt.NDArray[np.int32] | None = None
        self._compact()
        self._misses = _sorted_misses(misses) if counts else None

    def _compact(self) -> None:
        """Keep where each term's postings start only for the terms that have some, when
        those are few: the headings and shards indexes hold a small share of a large index's
        terms, and starts over every term were 3.7 MB each at 20 MB (notes: 923,000 terms)."""
        present = np.flatnonzero(np.diff(self._indptr))
        if not len(present) or len(present) * _COMPACT_SHARE > self._terms:
            return
        self._present = present.astype(np.int32)
        self._indptr = np.concatenate([self._indptr[present], self._indptr[-1:]])

    def _span(self, tid: int) -> tuple[int, int]:
        """Where term ``tid``'s postings are (an empty range when it has none)."""
        if self._present is None:
            return int(self._indptr[tid]), int(self._indptr[tid + 1])
        at = int(np.searchsorted(self._present, tid))
        if at == len(self._present) or int(self._present[at]) != tid:
            return 0, 0
        return int(self._indptr[at]), int(self._indptr[at + 1])

    @property
    def postings_count(self) -> int:
        """How many (term, document) pairs the index holds."""
        return len(self._docs)

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays (the vocabulary is shared and not counted)."""
        present = 0 if self._present is None else self._present.nbytes
        return int(self._docs.nbytes + self._weights.nbytes + self._indptr.nbytes + present)

    @property
    def idf(self) -> Mapping[str, float]:
        """IDF of every term with postings in this index."""
        return _IdfView(self)

    def postings(self, term: str) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """The documents holding ``term`` (ascending) and their BM25 weights (empty if none)."""
        tid = self._vocab.get(term)
        if tid is None or tid >= self._terms:
            return self._docs[:0], self._weights[:0]
        lo, hi = self._span(tid)
        return self._docs[lo:hi], self._weights[lo:hi]

    def score_array(
        self, query: Mapping[str, float]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """BM25 of every document as one array, and which documents matched some term."""
        docs: list[npt.NDArray[np.int32]] = []
        weights: list[npt.NDArray[np.float32]] = []
        for term, weight in query.items():
            d, w = self.postings(term)
            if len(d):
                docs.append(d)
                weights.append(w if weight == 1.0 else w * weight)
        matched = np.zeros(self.size, dtype=np.bool_)
        if not docs:
            return np.zeros(self.size, dtype=np.float64), matched
        all_docs = np.concatenate(docs) if len(docs) > 1 else docs[0]
        all_weights = np.concatenate(weights) if len(weights) > 1 else weights[0]
        matched[all_docs] = True
        # bincount adds in input order, term by term: the sums of the dict-based scorer.
        summed = np.bincount(all_docs, weights=all_weights, minlength=self.size)
        return summed.astype(np.float64, copy=False), matched

    def grouped_score_array(
        self, query: Mapping[str, float], group_of: npt.NDArray[np.int64], norm: GroupNorms
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """BM25 of groups of this index's documents, each group scored as one document (its
        documents' term counts and lengths added up), as :meth:`score_array` gives it: the
        same numbers, to the bit, as an index built over the summed documents, without
        holding that index's postings. ``group_of``: each document's group, in document
        order, never decreasing; ``norm``: the groups' :func:`bm25_norms`.

        Each posting's term count comes back from its weight (:func:`_counts_back`), except
        where the setup found it does not, which it kept. Needs ``counts=True`` at setup."""
        if self._norm is None or self._misses is None:
            raise ValueError("this index was set up without counts=True")
        spans: list[tuple[int, int]] = []
        factors: list[float] = []
        for term, weight in query.items():
            tid = self._vocab.get(term)
            if tid is None or tid >= self._terms:
                continue
            lo, hi = self._span(tid)
            if hi > lo:
                spans.append((lo, hi))
                factors.append(weight)
        ngroups = norm.size
        matched = np.zeros(ngroups, dtype=np.bool_)
        if not spans:
            return np.zeros(ngroups, dtype=np.float64), matched
        sizes = np.array([hi - lo for lo, hi in spans], dtype=np.int64)
        of_term = np.repeat(np.arange(len(spans)), sizes)
        docs = np.concatenate([self._docs[lo:hi] for lo, hi in spans])
        stored = np.concatenate([self._weights[lo:hi] for lo, hi in spans]).astype(np.float64)
        scaled = (_idf(self.size, sizes) * (self.k1 + 1))[of_term]  # (as setup scales it)
        tf = _counts_back(stored, self._norm[docs], scaled)
        del scaled
        miss_at, miss_count = self._misses
        if len(miss_at):
            at = np.concatenate([np.arange(lo, hi) for lo, hi in spans])
            found = np.minimum(np.searchsorted(miss_at, at), len(miss_at) - 1)
            fixed = miss_at[found] == at
            tf[fixed] = miss_count[found[fixed]]
        # Runs of one term in one group: documents ascend within a term, so groups do too.
        group = group_of[docs]
        new = np.empty(len(docs), dtype=np.bool_)
        np.not_equal(group[1:], group[:-1], out=new[1:])
        new[np.cumsum(sizes) - sizes] = True  # each term's first posting
        starts = np.flatnonzero(new)
        summed_tf = np.add.reduceat(tf, starts)
        group, of_term = group[starts], of_term[starts]
        # idf * tf * (k1 + 1) / (tf + norm), left to right as at setup, kept as float32 as
        # the index over the summed documents keeps it, then times the term's query weight
        weights = _idf(ngroups, np.bincount(of_term, minlength=len(spans)))[of_term]
        weights *= summed_tf
        weights *= norm.k1 + 1
        summed_tf += norm.values[group]
        weights /= summed_tf
        kept = weights.astype(np.float32)
        kept *= np.array(factors, dtype=np.float32)[of_term]
        matched[group] = True
        scores = np.bincount(group, weights=kept, minlength=ngroups)
        return scores.astype(np.float64, copy=False), matched

    def document_frequency(self, term: str) -> int:
        """How many documents hold ``term``."""
        tid = self._vocab.get(term)
        return 0 if tid is None or tid >= self._terms else int(self._df(tid))

    def document_frequencies(self, term_ids: npt.NDArray[np.int32]) -> npt.NDArray[np.int64]:
        """How many documents hold each of ``term_ids`` (ids of this index's vocabulary)."""
        ids = term_ids.astype(np.int64)
        out = np.zeros(len(ids), dtype=np.int64)
        known = ids < self._terms
        out[known] = self._df(ids[known])
        return out

    def _df(self, tid: Any) -> Any:
        """The document frequency of a term id, or of each of an array of them."""
        if self._present is None:
            return self._indptr[tid + 1] - self._indptr[tid]
        at = np.minimum(np.searchsorted(self._present, tid), len(self._present) - 1)
        return np.where(self._present[at] == tid, self._indptr[at + 1] - self._indptr[at], 0)

    def scores(self, query: Mapping[str, float]) -> dict[int, float]:
        """BM25 of every document that matches; ``query`` maps term -> weight."""
        values, matched = self.score_array(query)
        found = np.flatnonzero(matched)
        return dict(zip(found.tolist(), values[found].tolist(), strict=True))


#: An index keeps per-term starts only for its terms with postings when fewer than one term
#: in this many has some (see BM25Index._compact).
_COMPACT_SHARE = 4

#: Postings put in place at a time when an index is set up.
_SETUP_SLICE = 1 << 17
#: Postings looked through at a time for those of one range (see _TermRanges.postings).
_SCAN_SLICE = 1 << 20


@dataclass(frozen=True, eq=False)
class GroupNorms:
    """BM25's length normalisation of each document, ``k1 * (1 - b + b * length / average)``,
    with the ``k1`` it was computed for."""

    values: npt.NDArray[np.float64]
    k1: float

    @property
    def size(self) -> int:
        return len(self.values)


def bm25_norms(
    lengths: npt.NDArray[np.integer] | npt.NDArray[np.float64], k1: float, b: float
) -> npt.NDArray[np.float64]:
    """Each document's ``k1 * (1 - b + b * length / average)``: one formula for every index
    and every group of documents scored as one, so their numbers are the same to the bit."""
    n = len(lengths)
    as_float = lengths.astype(np.float64)
    total = float(as_float.sum())
    avg = total / n if n and total else 1.0
    norm: npt.NDArray[np.float64] = k1 * (1 - b + b * as_float / avg)
    return norm


def _counts_back(
    weights: npt.NDArray[np.float64],
    norm: npt.NDArray[np.float64],
    scaled_idf: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Term counts read back from BM25 weights as an index keeps them (float32, given here as
    float64): ``weight = idf * tf * (k1 + 1) / (tf + norm)`` solved for tf and rounded
    (``scaled_idf``: ``idf * (k1 + 1)``). Exact unless a count is so large beside its
    document's norm that float32 blurs it; the setup checks every posting and keeps the few
    it finds wrong. Works in place: ``weights`` becomes the counts, ``scaled_idf`` is spent."""
    scaled_idf -= weights  # the denominator
    weights *= norm
    with np.errstate(divide="ignore", invalid="ignore"):  # (a count float32 cannot tell
        weights /= scaled_idf  # from infinity: wrong, so kept by the setup)
    return np.rint(weights, out=weights)


def _sorted_misses(
    misses: Sequence[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    if not misses:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    at = np.concatenate([m[0] for m in misses]).astype(np.int64)
    values = np.concatenate([m[1] for m in misses])
    order = np.argsort(at)
    return at[order], values[order]


def _idf(n: int, df: npt.NDArray[np.integer]) -> npt.NDArray[np.float64]:
    """BM25+'s IDF of terms held by ``df`` of ``n`` documents: always this one element-wise
    array operation, whether for a range of terms at setup or one asked later, so both are
    the same to the bit."""
    out: npt.NDArray[np.float64] = np.log(1 + (n - df + 0.5) / (df + 0.5))
    return out


#: Postings from which an index's ranges of terms are put in place on two threads.
_THREADED_POSTINGS = 500_000


class _TermRanges:
    """Ranges of term ids holding about ``_SETUP_SLICE`` postings each, and for each which
    postings fall in it (found when asked, so only the ranges being placed hold a list)."""

    def __init__(self, terms: npt.NDArray[np.int32], indptr: npt.NDArray[np.integer]) -> None:
        total = int(indptr[-1])
        nterms = len(indptr) - 1
        cuts = np.searchsorted(indptr, np.arange(_SETUP_SLICE, total, _SETUP_SLICE), "right") - 1
        starts = np.unique(np.concatenate([np.zeros(1, np.int64), cuts]))
        self._bounds = np.append(starts, nterms).tolist() if total else []
        self._terms = terms
        self._bucket: npt.NDArray[np.generic] | None = None
        if len(self) > 1:
            # which range each posting's term is in, a byte (or two) per posting
            kind = np.uint8 if len(starts) < 256 else np.uint16 if len(starts) < 65536 else np.int64
            of_term = np.searchsorted(starts, np.arange(nterms), "right") - 1
            self._bucket = of_term.astype(kind)[terms]

    def __len__(self) -> int:
        return max(len(self._bounds) - 1, 0)

    def bounds(self, n: int) -> tuple[int, int]:
        """The term ids of range ``n``: from the first up to (not including) the second."""
        return int(self._bounds[n]), int(self._bounds[n + 1])

    def postings(self, n: int) -> npt.NDArray[np.intp]:
        """The positions of the postings whose term is in range ``n``, ascending (found a
        slice of postings at a time: a flag per posting for the whole index was 4 MB a
        thread beside the index being built)."""
        if self._bucket is None:
            return np.arange(len(self._terms))
        found = [
            np.flatnonzero(self._bucket[at : at + _SCAN_SLICE] == n) + at
            for at in range(0, len(self._bucket), _SCAN_SLICE)
        ]
        return np.concatenate(found) if found else np.zeros(0, dtype=np.intp)


def _stable_order(values: npt.NDArray[np.int32]) -> npt.NDArray[np.int64]:
    """``np.argsort(values, kind="stable")`` for non-negative int32 values: each value with
    its position in the low 32 bits is one int64 key, and numpy sorts plain int64 keys with
    SIMD (a stable argsort of int32 is a merge sort of indexes, ten times slower)."""
    if len(values) >= 1 << 32:  # pragma: no cover - positions would not fit in 32 bits
        return np.argsort(values, kind="stable")
    keys = values.astype(np.int64)
    keys <<= 32
    keys |= np.arange(len(values), dtype=np.int64)
    keys.sort()
    keys &= 0xFFFFFFFF
    return keys


class _IdfView(Mapping[str, float]):
    def __init__(self, index: BM25Index) -> None:
        self._index = index

    def __getitem__(self, term: str) -> float:
        tid = self._index._vocab.get(term)
        if tid is None or tid >= self._index._terms or not self._index._df(tid):
            raise KeyError(term)
        return float(_idf(self._index.size, self._index._df(np.array([tid])))[0])

    def __iter__(self) -> Iterator[str]:
        index = self._index
        return (t for t, i in index._vocab.items() if i < index._terms and index._df(i))

    def __len__(self) -> int:
        return int(np.count_nonzero(np.diff(self._index._indptr)))


# -- selection ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SelectOptions:
    """Weights of the scoring signals (tuned on the odd task ids of both evaluation corpora).

    passage / section / heading / shard: weight of each signal in a section's score; each
    signal is a BM25 divided by its best value for the task, so the weights mean the same on
    any index, whatever its size or the length of its sections.
    phrase: weight of a phrase term (adjacent pair) relative to a single word.
    passage_spread: share of the second-best passage's score added to the best one's.
    hint: weight of a term that only the caller's hints bring in, relative to a task term.
    expand, expand_weight, expand_df, expand_min, expand_seeds, expand_common: expansion from the
    index's own vocabulary (see :func:`expansion`); ``expand=0`` turns it off. Not used when
    the caller sends hints: their phrasings are better guesses than co-occurrence.
    dense, dense_power: the semantic signal (when the service has passage vectors): each
    passage's :func:`dense_relevance` to the power ``dense_power``, added at weight ``dense``
    to its BM25 relative to the best passage's; ``dense=0`` turns it off.
    champions: how many of the passages the task's words match best (BM25 alone) packing
        takes first, beside the strongest ones (unless they are noise), so that where meaning
        and words disagree (a two-part task's embedding leans to one part) the words' best
        matches still get a seat.
    """

    passage: float = 1.0
    section: float = 1.0
    heading: float = 1.0
    shard: float = 0.5
    phrase: float = 0.5
    passage_spread: float = 0.5
    hint: float = 0.5
    expand: int = 8
    expand_weight: float = 0.3
    expand_df: int = 32
    expand_min: int = 3
    expand_seeds: int = 16
    expand_common: int = 128
    dense: float = 2.0
    dense_power: float = 2.0
    champions: int = 4


@dataclass(frozen=True)
class Candidate:
    """A section worth including, with its passages ranked for a partial inclusion."""

    shard: int  # index into IndexSnapshot.shards
    section: int  # index into that shard's sections
    score: float
    hits: tuple[tuple[int, float], ...]  # (passage index, score) of matching passages, any order
    requested: bool = False
    #: How well the section as a whole matches (its text or its heading path, whichever is
    #: better), relative to the best section's (0..1); packing lifts its passages by it.
    prior: float = 0.0

    @cached_property
    def passages(self) -> tuple[tuple[int, float], ...]:
        """The matching passages, best first (ties in document order); ranked on first use,
        since packing looks at the passages of only the few sections it includes partially."""
        return tuple(sorted(self.hits, key=lambda p: (-p[1], p[0])))


@dataclass(frozen=True)
class Selection:
    """Candidates in the order packing should consider them, and each shard's score."""

    candidates: Sequence[Candidate]  # read lazily: packing stops at the relevance cutoff
    shard_scores: Mapping[str, float]  # shard id -> best section score (0 when no match)
    requested: tuple[str, ...]
    query: tuple[str, ...]  # the task's terms, for the manifest and debugging
    #: The caller sent hints: its own phrasings of each part of the task, so the strongest
    #: matches anywhere are worth taking even from a small budget (PackOptions.strong_*).
    hinted: bool = False
    #: The passages the task's words match best, whatever their meaning (shard, section and
    #: passage positions; SelectOptions.champions): packing takes them first, beside the
    #: strongest passages, unless they are noise.
    champions: frozenset[tuple[int, int, int]] = frozenset()


def query_weights(
    analyzer: Analyzer,
    task: str,
    phrase: float,
    hints: Sequence[str] = (),
    hint: float = 0.5,
) -> dict[str, float]:
    """The task as weighted terms: each distinct word 1.0, each distinct phrase ``phrase``.

    Terms only the ``hints`` bring in share ``hint`` times the task's total weight between
    them (each at most ``hint``), so however many hints come, the task outweighs them.
    """
    query = {t: (phrase if " " in t else 1.0) for t in analyzer.terms(task)}
    extra: dict[str, float] = {}
    for text in hints:
        for term in analyzer.terms(text):
            if term not in query:
                extra[term] = phrase if " " in term else 1.0
    if extra:
        mass = sum(query.values()) or 1.0
        scale = hint * min(1.0, mass / sum(extra.values()))
        query.update({t: w * scale for t, w in extra.items()})
    return query


def expansion(lex: Lexicon, query: Mapping[str, float], opts: SelectOptions) -> dict[str, float]:
    """Words the index itself associates with the task's rarer words, weighed below the task.

    For each of the task's ``expand_seeds`` rarest words in the index, if it is in at most
    ``expand_df`` passages, every word sharing at least ``expand_min`` of those passages is
    scored by its share of them times its pointwise mutual information with the seed (how
    much more often it occurs beside the seed than anywhere). The ``expand`` best become query
    terms, the best at ``expand_weight`` of a task word, the rest in proportion; a word in
    more than ``expand_common`` passages is never added (it points nowhere in particular).

    A notes page that says "1Password" in the passages that also say "password manager" then
    lets a task about the password manager reach a passage that names only 1Password: some
    paraphrase, from the index's own vocabulary. Bounded work: at most ``expand_seeds`` x
    ``expand_df`` passages are read, however long the task.
    """
    if not (opts.expand and opts.expand_weight):
        return {}
    index = lex.passages
    size = index.size
    seeds = sorted(
        (t for t, w in query.items() if " " not in t and w >= 1.0 and t in index.idf),
        key=lambda t: (-index.idf.get(t, 0.0), t),
    )
    query_ids = {lex.vocab[t] for t in query if t in lex.vocab}
    gain: dict[str, float] = {}
    for seed in seeds[: opts.expand_seeds]:
        docs, _ = index.postings(seed)
        if not len(docs) or len(docs) > opts.expand_df:
            continue
        # each passage lists a term once, so counting ids counts the passages a word shares
        ids, counts = np.unique(
            np.concatenate([lex.passage_term_ids(d) for d in docs.tolist()]), return_counts=True
        )
        ids, counts = ids[counts >= opts.expand_min], counts[counts >= opts.expand_min]
        dfs = index.document_frequencies(ids)
        common = dfs <= opts.expand_common  # a word in more passages points nowhere in particular
        for tid, count, df in zip(
            ids[common].tolist(), counts[common].tolist(), dfs[common].tolist(), strict=True
        ):
            if tid in query_ids:
                continue
            word = lex.words[tid]
            if not word:  # a phrase pair
                continue
            share = count / len(docs)  # P(word | seed), over passages
            pmi = math.log(share * size / max(df, 1))
            if pmi > 0:
                gain[word] = gain.get(word, 0.0) + share * pmi
    chosen = sorted(gain, key=lambda w: (-gain[w], w))[: opts.expand]
    if not chosen:
        return {}
    top = gain[chosen[0]]
    return {w: opts.expand_weight * gain[w] / top for w in chosen}


#: At most this many passages get a relevance from meaning (the rest 0): on a large index the
#: rest would each be a hit worth almost nothing, and every hit costs ranking time. The
#: evaluation corpora have fewer passages than this, so their figures do not depend on it.
DENSE_TOP = 512


def dense_relevance(
    similarities: npt.NDArray[np.float32], power: float, top: int = DENSE_TOP
) -> npt.NDArray[np.float64]:
    """Cosine similarities as relevance in 0..1: how far each passage stands above the
    index's median passage, relative to the best one, to the power ``power`` (so only the
    clear winners carry weight), for the ``top`` most similar passages (0 for the rest).
    Relative, because a model's raw cosines mean different things on different indexes; the
    median, because most passages are about something else.
    """
    sims = similarities.astype(np.float64)
    if not len(sims):
        return sims
    median = _order.median(sims)  # np.median's number, without partitioning every value
    spread = float(sims.max()) - median
    if spread <= 1e-6:
        return np.zeros_like(sims)
    if len(sims) <= top:
        return _relevance(sims, median, spread, power)
    # the top-th largest similarity, in linear time; the passages under it count as the median
    floor = max(median, _order.ranked(sims, [len(sims) - top])[0])
    above = np.flatnonzero(sims >= floor)
    relevance = np.full(len(sims), _relevance(np.full(1, median), median, spread, power)[0])
    relevance[above] = _relevance(sims[above], median, spread, power)
    return relevance


def _relevance(
    sims: npt.NDArray[np.float64], median: float, spread: float, power: float
) -> npt.NDArray[np.float64]:
    relevance: npt.NDArray[np.float64] = np.clip((sims - median) / spread, 0.0, None) ** power
    return relevance


def select(
    snapshot: IndexSnapshot,
    task: str,
    shards: Sequence[str] = (),
    options: SelectOptions | None = None,
    hints: Sequence[str] = (),
    similarities: npt.NDArray[np.float32] | None = None,
) -> Selection:
    """Rank the snapshot's sections for ``task``; requested ``shards`` first, in request order.

    ``hints`` are extra phrasings or keywords from the caller; their terms count below the
    task's own (:attr:`SelectOptions.hint`). Without hints, the task is expanded with words
    the index associates with it (:func:`expansion`), weighed lower still. ``similarities``
    (cosine of the task, with its hints, to every passage; see :mod:`router.semantic`) add
    the semantic signal.

    Sections of a requested shard are all candidates (ranked by score, then document order);
    other sections are candidates only when some task term matches them. Scoring runs on
    arrays (:func:`router._ranking.rank_sections`); candidates are built as they are read.
    """
    from router._ranking import rank_sections

    opts = options or SelectOptions()
    lex = snapshot.lexicon
    query = query_weights(lex.analyzer, task, opts.phrase, hints, opts.hint)
    if not hints:
        query.update(expansion(lex, query, opts))
    requested = tuple(dict.fromkeys(shards))
    wanted = [snapshot.index_of(s) for s in requested]
    dense = None if similarities is None else dense_relevance(similarities, opts.dense_power)
    candidates, best, champions = rank_sections(
        lex, query, opts, [w for w in wanted if w >= 0], dense
    )
    shard_scores = dict(zip(snapshot.ids(), best, strict=True))
    return Selection(
        candidates, shard_scores, requested, tuple(query), hinted=bool(hints), champions=champions
    )


def free_candidates(candidates: Sequence[Candidate]) -> Sequence[Candidate]:
    """The candidates after the requested ones (they come first); ranked candidates give a
    view that builds each one only when it is read."""
    free = getattr(candidates, "free", None)
    if callable(free):
        view: Sequence[Candidate] = free()
        return view
    return [c for c in candidates if not c.requested]


def best_hits(free: Sequence[Candidate], k: int) -> list[tuple[float, int]]:
    """The ``k`` best matching passages of ``free`` as (-score, candidate position), best
    first; ranked candidates answer on arrays, without building every candidate."""
    fast = getattr(free, "best_hits", None)
    if callable(fast):
        found: list[tuple[float, int]] = fast(k)
        return found
    return heapq.nsmallest(k, ((-s, n) for n, c in enumerate(free) for _, s in c.hits))


def count_rest(candidates: Sequence[Candidate], start: int, floor: float) -> tuple[int, int]:
    """From position ``start`` of ``candidates``: (requested or scoring at least ``floor``,
    scoring under it). Ranked candidates answer without being built."""
    rest = getattr(candidates, "rest", None)
    if callable(rest):
        above, below = rest(start, floor)
        return int(above), int(below)
    tail = candidates[start:]
    below = sum(1 for c in tail if not c.requested and c.score < floor)
    return len(tail) - below, below


def _top_two(scores: Iterable[float]) -> tuple[float, float]:
    """The best and second-best of ``scores`` (0.0 where missing), in one pass."""
    top = second = 0.0
    for score in scores:
        if score > top:
            top, second = score, top
        elif score > second:
            second = score
    return top, second
