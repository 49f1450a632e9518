"""Section ranking on arrays: the signals of :func:`router.select.select`, vectorised.

Every signal is a dense array over the snapshot's documents (passages, sections, shards), so
a query costs a few array operations whatever the index size, and a :class:`Candidate` is
built only when packing reads it (it reads the best few, then stops at the relevance cutoff).
The arithmetic is the scalar scorer's, in the same order, so scores are the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, overload

import numpy as np
import numpy.typing as npt

from router.select import Candidate, SelectOptions

if TYPE_CHECKING:
    from router.lexicon import Lexicon


def rank_sections(
    lex: Lexicon,
    query: Mapping[str, float],
    opts: SelectOptions,
    wanted: Sequence[int],
    dense: npt.NDArray[np.float64] | None = None,
) -> tuple[LazyCandidates, list[float], frozenset[tuple[int, int, int]]]:
    """The candidates in packing order, each shard's best candidate score (0 if none), and
    the ``opts.champions`` passages the task's words match best (BM25 alone, before meaning
    joins), as (shard, section, passage) positions.

    ``wanted`` are the requested shards' positions, in request order: all their sections are
    candidates and come first, by request order, then score, then document order. ``dense``
    (one value >= 0 per passage, :func:`router.select.dense_relevance`) joins each passage's
    BM25, relative to the best, at weight ``opts.dense``; a passage it lifts above 0 is a hit
    even when it shares no word with the task.
    """
    p_scores, p_hit = lex.passages.score_array(query)
    champions = _lexical_best(lex, p_scores, p_hit, opts.champions)
    if dense is not None and opts.dense:
        best = float(p_scores[p_hit].max()) if p_hit.any() else 0.0
        p_scores = p_scores / (best or 1.0) + opts.dense * dense
        p_hit = p_hit | (dense > 0)
    s_scores, s_hit = lex.sections.score_array(query)
    h_scores, h_hit = lex.headings.score_array(query)
    prior, prior_hit = lex.shards.score_array(query)
    nsec = lex.sections.size

    # Best and second-best passage per section (0 where none matched). The hits come in
    # passage order, so each section's are one run; a run is ranked only when packing reads
    # its section (_Hits.of), not all of them here (a sort of every hit was 1.6 ms a query).
    top = np.zeros(nsec, dtype=np.float64)
    second = np.zeros(nsec, dtype=np.float64)
    hit_passages = np.flatnonzero(p_hit)
    section_of = lex.passage_section[hit_passages]
    values = p_scores[hit_passages]
    if len(section_of):
        first = np.flatnonzero(np.r_[True, section_of[1:] != section_of[:-1]])
        top[section_of[first]], second[section_of[first]] = _top_two_per_run(values, first)

    # Each signal relative to its best value for the task (1 when nothing matched), so the
    # weights mean the same on any index: the scalar formula of select(), on arrays.
    top_passage = float(values.max()) if len(values) else 0.0
    top_passage = top_passage or 1.0
    top_section = float(s_scores[s_hit].max()) if s_hit.any() else 0.0
    top_section = top_section or 1.0
    top_heading = float(h_scores[h_hit].max()) if h_hit.any() else 0.0
    top_heading = top_heading or 1.0
    top_shard = float(prior[prior_hit].max()) if prior_hit.any() else 0.0
    top_shard = top_shard or 1.0
    text = s_scores / top_section
    label = h_scores / top_heading
    score = (
        opts.passage * (top + opts.passage_spread * second) / top_passage
        + opts.section * text
        + opts.heading * label
    )
    shard_of = lex.section_shard
    positive = score > 0
    score[positive] += opts.shard * prior[shard_of[positive]] / top_shard
    section_prior = np.maximum(text, label)

    is_candidate = s_hit | h_hit
    is_candidate[section_of] = True
    rank = np.full(nsec, len(wanted), dtype=np.int64)
    for n, shard in enumerate(wanted):
        mine = shard_of == shard
        is_candidate |= mine
        rank[mine & (rank == len(wanted))] = n
    docs = np.flatnonzero(is_candidate)
    ordered = docs[np.lexsort((docs, -score[docs], rank[docs]))]

    shard_best = np.zeros(lex.shards.size, dtype=np.float64)
    if len(docs):
        np.maximum.at(shard_best, shard_of[docs], score[docs])
    requested = rank < len(wanted)
    # Each section's matching passages are one run of the hits.
    hits_from = np.searchsorted(section_of, np.arange(nsec + 1), side="left")
    hits = _Hits(lex.passage_index[hit_passages], values, hits_from, section_of)
    candidates = LazyCandidates(lex, ordered, score, requested, hits, section_prior)
    return candidates, shard_best.tolist(), champions


def _top_two_per_run(
    values: npt.NDArray[np.float64], first: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The largest and second-largest of each run of ``values`` (runs start at ``first``):
    the second is the largest once one copy of the largest is set aside (a tie is its own
    second); 0 for a run of one, as for a section without a second hit."""
    best = np.maximum.reduceat(values, first)
    run_of = np.repeat(np.arange(len(first)), np.diff(np.append(first, len(values))))
    at_best = np.flatnonzero(values == best[run_of])
    runs = run_of[at_best]
    one_each = at_best[np.r_[True, runs[1:] != runs[:-1]]]  # the first copy in each run
    rest = values.copy()
    rest[one_each] = -np.inf
    second = np.maximum.reduceat(rest, first)
    second[second == -np.inf] = 0.0  # (values are finite: only a run of one is left empty)
    return best, second


def _lexical_best(
    lex: Lexicon, scores: npt.NDArray[np.float64], hit: npt.NDArray[np.bool_], k: int
) -> frozenset[tuple[int, int, int]]:
    """The ``k`` matching passages with the highest ``scores`` (ties: document order), in
    linear time, as (shard, section, passage) positions."""
    docs = np.flatnonzero(hit)
    if k <= 0 or not len(docs):
        return frozenset()
    if len(docs) > k:
        values = scores[docs]
        kth = np.partition(values, len(values) - k)[len(values) - k]  # the k-th largest
        above, tied = docs[values > kth], docs[values == kth]
        docs = np.concatenate([above, tied[: k - len(above)]])
    found: set[tuple[int, int, int]] = set()
    for doc in docs.tolist():
        shard, section = lex.section_key[int(lex.passage_section[doc])]
        found.add((int(shard), int(section), int(lex.passage_index[doc])))
    return frozenset(found)


class _Hits:
    """The matching passages of every section: passage indices and scores, one run per
    section in passage order (a run is ranked, best first, when it is read)."""

    def __init__(
        self,
        index: npt.NDArray[np.int64],
        scores: npt.NDArray[np.float64],
        start: npt.NDArray[np.int64],
        section: npt.NDArray[np.int64],
    ) -> None:
        self.index = index
        self.scores = scores
        self.start = start
        self.section = section  # the section document of each hit (ascending)

    def of(self, doc: int) -> tuple[tuple[int, float], ...]:
        lo, hi = int(self.start[doc]), int(self.start[doc + 1])
        if lo == hi:
            return ()
        scores = self.scores[lo:hi]
        order = np.argsort(-scores, kind="stable")  # best first; ties in passage order
        return tuple(zip(self.index[lo:hi][order].tolist(), scores[order].tolist(), strict=True))


class LazyCandidates(Sequence[Candidate]):
    """Candidates in packing order, each built (with its matching passages) on first read."""

    def __init__(
        self,
        lex: Lexicon,
        order: npt.NDArray[np.int64],
        score: npt.NDArray[np.float64],
        requested: npt.NDArray[np.bool_],
        hits: _Hits,
        prior: npt.NDArray[np.float64],
    ) -> None:
        self._prior = prior
        self._lex = lex
        self._order = order
        self._score = score
        self._requested = requested
        self._hits = hits
        self._built: dict[int, Candidate] = {}

    def free(self) -> LazyCandidates:
        """The candidates after the requested ones (which come first)."""
        skip = int(np.count_nonzero(self._requested[self._order]))
        return LazyCandidates(
            self._lex, self._order[skip:], self._score, self._requested, self._hits, self._prior
        )

    def best_hits(self, k: int) -> list[tuple[float, int]]:
        """The ``k`` best matching passages among these candidates, as (-score, position),
        best first (ties: lower position): ``heapq.nsmallest`` over every hit, on arrays."""
        position = np.full(len(self._score), -1, dtype=np.int64)
        position[self._order] = np.arange(len(self._order))
        at = position[self._hits.section]
        keep = at >= 0
        scores, at = self._hits.scores[keep], at[keep]
        if not len(scores) or k <= 0:
            return []
        if len(scores) > k:  # only the hits at or above the k-th best score are ranked
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            near = scores >= kth
            scores, at = scores[near], at[near]
        best = np.lexsort((at, -scores))[:k]
        return list(zip((-scores[best]).tolist(), at[best].tolist(), strict=True))

    def rest(self, start: int, floor: float) -> tuple[int, int]:
        """From position ``start`` on: how many are requested or score at least ``floor``,
        and how many score under it, without building them."""
        docs = self._order[start:]
        below = int(np.count_nonzero((self._score[docs] < floor) & ~self._requested[docs]))
        return len(docs) - below, below

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> Candidate: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Candidate, ...]: ...

    def __getitem__(self, index: int | slice) -> Candidate | tuple[Candidate, ...]:
        if isinstance(index, slice):
            return tuple(self._build(n) for n in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._build(index)

    def __iter__(self) -> Iterator[Candidate]:
        for n in range(len(self)):
            yield self._build(n)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LazyCandidates({len(self)} candidates)"

    def _build(self, n: int) -> Candidate:
        found = self._built.get(n)
        if found is not None:
            return found
        lex = self._lex
        doc = int(self._order[n])
        shard, section = lex.section_key[doc]
        built = Candidate(
            shard,
            section,
            float(self._score[doc]),
            self._hits.of(doc),
            bool(self._requested[doc]),
            float(self._prior[doc]),
        )
        self._built[n] = built
        return built
