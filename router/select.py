"""Scoring shards and sections for a task: BM25 over the index, boosted by headers and headings.

Our own scoring rather than ``bm25s`` (numpy, a second index format to keep in step): the index
is small (hundreds of sections, a few thousand passages), a pure-Python inverted index answers
in well under a millisecond, and the scoring is the core of the service, so it stays readable.

Text becomes terms the same way everywhere: lowercase words (letters and digits), a small
English stop-word list removed, Snowball English stems (PyStemmer), plus each pair of adjacent
terms as a phrase term (``"cloud run"``), so a task that names a phrase ranks the section that
uses it above one that has both words apart. IDF comes from the whole index. A task without
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

import itertools
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import Stemmer

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
    """Text to terms: lowercase words, stop words out, English stems, adjacent-pair phrases.

    Thread-safe: PyStemmer's stemmer is not, so misses go through a lock and stems are memoized.
    """

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._memo: dict[str, str] = {}
        self._lock = threading.Lock()

    def words(self, text: str) -> list[str]:
        """Stemmed content words, in order."""
        out: list[str] = []
        memo = self._memo
        for match in _WORD.finditer(text.lower()):
            word = match.group(0)
            if word in STOP_WORDS:
                continue
            stem = memo.get(word)
            if stem is None:
                with self._lock:
                    stem = self._stemmer.stemWord(word)
                if len(memo) < MEMO_LIMIT:  # tasks are untrusted: keep the memo bounded
                    memo[word] = stem
            out.append(stem)
        return out

    def terms(self, text: str) -> list[str]:
        """Words plus phrase terms (``"a b"`` for each adjacent pair)."""
        words = self.words(text)
        return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]

    def bag(self, text: str) -> TermBag:
        return TermBag.of(self.terms(text))


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


class BM25Index:
    """An inverted index over term bags, scoring with Okapi BM25 (IDF of the BM25+ form).

    ``k1`` and ``b`` are fixed at build time: the length norms are precomputed per document.
    """

    def __init__(self, bags: Sequence[TermBag], *, k1: float = 1.2, b: float = 0.75) -> None:
        self.size = len(bags)
        postings: dict[str, list[tuple[int, int]]] = {}
        for doc, bag in enumerate(bags):
            for term, tf in bag.counts.items():
                postings.setdefault(term, []).append((doc, tf))
        self.postings: dict[str, tuple[tuple[int, int], ...]] = {
            t: tuple(p) for t, p in postings.items()
        }
        total = sum(bag.length for bag in bags)
        avg = total / self.size if self.size and total else 1.0
        self.k1 = k1
        self._norm = tuple(k1 * (1 - b + b * bag.length / avg) for bag in bags)
        self.idf = {
            t: math.log(1 + (self.size - len(p) + 0.5) / (len(p) + 0.5))
            for t, p in self.postings.items()
        }

    def document_frequency(self, term: str) -> int:
        """How many documents hold ``term``."""
        return len(self.postings.get(term, ()))

    def scores(self, query: Mapping[str, float]) -> dict[int, float]:
        """BM25 of every document that matches; ``query`` maps term -> weight."""
        out: dict[int, float] = {}
        k1 = self.k1
        norm = self._norm
        for term, weight in query.items():
            posting = self.postings.get(term)
            if not posting:
                continue
            idf = self.idf[term] * weight
            for doc, tf in posting:
                out[doc] = out.get(doc, 0.0) + idf * tf * (k1 + 1) / (tf + norm[doc])
        return out


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

    candidates: tuple[Candidate, ...]
    shard_scores: Mapping[str, float]  # shard id -> best section score (0 when no match)
    requested: tuple[str, ...]
    query: tuple[str, ...]  # the task's terms, for the manifest and debugging


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
    gain: dict[str, float] = {}
    for seed in seeds[: opts.expand_seeds]:
        docs = index.scores({seed: 1.0})
        if not docs or len(docs) > opts.expand_df:
            continue
        together: dict[str, int] = {}
        for doc in docs:
            for term in lex.passage_bags[doc].counts:
                together[term] = together.get(term, 0) + 1
        for word, count in together.items():
            if count < opts.expand_min or word in query or " " in word:
                continue
            df = index.document_frequency(word)
            if df > opts.expand_common:  # too common to point anywhere (and costly to score)
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


def select(
    snapshot: IndexSnapshot,
    task: str,
    shards: Sequence[str] = (),
    options: SelectOptions | None = None,
    hints: Sequence[str] = (),
) -> Selection:
    """Rank the snapshot's sections for ``task``; requested ``shards`` first, in request order.

    ``hints`` are extra phrasings or keywords from the caller; their terms count below the
    task's own (:attr:`SelectOptions.hint`). Without hints, the task is expanded with words
    the index associates with it (:func:`expansion`), weighed lower still.

    Sections of a requested shard are all candidates (ranked by score, then document order);
    other sections are candidates only when some task term matches them.
    """
    opts = options or SelectOptions()
    lex = snapshot.lexicon
    query = query_weights(lex.analyzer, task, opts.phrase, hints, opts.hint)
    if not hints:
        query.update(expansion(lex, query, opts))
    passage_scores = lex.passages.scores(query)
    section_scores = lex.sections.scores(query)
    heading_scores = lex.headings.scores(query)
    shard_prior = lex.shards.scores(query)

    best_passages: dict[int, list[tuple[int, float]]] = {}
    for doc, score in passage_scores.items():
        best_passages.setdefault(lex.passage_section[doc], []).append(
            (lex.passage_index[doc], score)
        )
    docs = set(best_passages) | set(section_scores) | set(heading_scores)
    requested = tuple(dict.fromkeys(shards))
    wanted = {snapshot.index_of(s) for s in requested}
    if wanted:  # every section of a requested shard is a candidate, matched or not
        docs.update(d for d, (shard, _) in enumerate(lex.section_key) if shard in wanted)
    top_passage = max(passage_scores.values(), default=0.0) or 1.0
    top_section = max(section_scores.values(), default=0.0) or 1.0
    top_heading = max(heading_scores.values(), default=0.0) or 1.0
    top_shard = max(shard_prior.values(), default=0.0) or 1.0
    scored: list[Candidate] = []
    for doc in sorted(docs):
        shard, section = lex.section_key[doc]
        hits = best_passages.get(doc, [])
        top, second = _top_two(score for _, score in hits)
        text = section_scores.get(doc, 0.0) / top_section
        label = heading_scores.get(doc, 0.0) / top_heading
        score = (
            opts.passage * (top + opts.passage_spread * second) / top_passage
            + opts.section * text
            + opts.heading * label
        )
        if score > 0:
            score += opts.shard * shard_prior.get(shard, 0.0) / top_shard
        scored.append(
            Candidate(shard, section, score, tuple(hits), shard in wanted, max(text, label))
        )

    order = {sid: n for n, sid in enumerate(requested)}
    ids = [s.id for s in snapshot.shards]

    def key(c: Candidate) -> tuple[int, float, str, int]:
        rank = order.get(ids[c.shard], len(order)) if c.requested else len(order)
        return (rank, -c.score, ids[c.shard], c.section)

    scored.sort(key=key)
    shard_scores = {sid: 0.0 for sid in ids}
    for c in scored:
        shard_scores[ids[c.shard]] = max(shard_scores[ids[c.shard]], c.score)
    return Selection(tuple(scored), shard_scores, requested, tuple(query))


def _top_two(scores: Iterable[float]) -> tuple[float, float]:
    """The best and second-best of ``scores`` (0.0 where missing), in one pass."""
    top = second = 0.0
    for score in scores:
        if score > top:
            top, second = score, top
        elif score > second:
            second = score
    return top, second
