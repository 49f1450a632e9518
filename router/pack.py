"""Packing a selection under a token budget: digest first, then the pieces, with provenance.

The result starts with a compact router digest (every shard's id and one-liner, shorter forms
when the budget is small) so the reader knows what else exists. Pieces are *chosen* in score
order, best first, but *shown* grouped by shard (shards in order of their best piece) and in
document order within a shard: a shard's sections then read as the page does, headings nest,
and the shard's provenance line is written once.

Guarantees:

- the token count of the returned text (after redaction, with the tokenizer's margin) never
  exceeds ``budget``: it is checked on the final text, and pieces are dropped (lowest score
  first), then the digest cut, until it holds;
- the budget is a ceiling, not a target: a piece scoring below ``cutoff`` of the best is not
  added, and the result says how much was left out and why;
- a section too large for what is left (or for ``whole_share`` of the budget) contributes its
  best passages, under its heading, marked partial, rather than nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Literal, NamedTuple

from router._passages import Counts, Passage
from router._render import ELLIPSIS, footer_parts, section_line, shard_line
from router.digest import DIGEST_FORMS
from router.select import Candidate, Selection, best_hits, free_candidates
from router.snapshot import IndexedSection, IndexSnapshot
from shards import Tokenizer

#: The redaction seam: text in, (redacted text, counts per kind) out.
Redact = Callable[[str], tuple[str, Mapping[str, int]]]
Included = Literal["full", "partial", "none"]


@dataclass(frozen=True)
class PackOptions:
    """How a budget is spent.

    digest: start with the router digest (read_shard leaves it out).
    digest_share: the digest may take this share of the budget before a shorter form is used.
    min_piece_tokens: stop when less than this is left (a heading alone tells nothing).

    Requested shards (read in document order): ``whole_share``, a section larger than this
    share of the budget is shown partially, its passages under ``passage_cutoff`` of its
    best left out.

    The rest of the budget is spent passage by passage (tuned on the odd task ids of both
    evaluation corpora, see bench/quality.py):

    pool / pool_hits: the passages considered are those of the ``pool`` best sections and of
        the sections holding the ``pool_hits`` best passages anywhere.
    cutoff: sections scoring under this fraction of the best are not considered at all.
    section_prior: a passage's lift from its section's own match (text or heading), 0..1.
    lead_prior / lead_power: its lift from its section's rank, ``(score / best) ** power``:
        the best article's paragraphs outrank weak matches elsewhere.
    neighbour: its lift from the better-matching of the passages just before and after it.
    noise: stop at the first passage scoring under this fraction of the best passage; the
        rest is noise, not worth the caller's tokens (0: always fill the budget).
    strong_from / strong_share / strong_hits / strong_floor: the strongest evidence first.
        When at least ``strong_from`` tokens are left, up to ``strong_hits`` passages whose own
        match is at least ``strong_floor`` of the best passage's are taken before the rest,
        best first, within ``strong_share`` of those tokens: a task with two parts keeps the
        second part's best passage, which the best article's unmatched paragraphs would
        otherwise crowd out (``strong_hits=0`` turns it off). A small budget is all depth,
        unless the caller sent hints: then from ``strong_from_hinted`` tokens (its hints name
        each part in the notes' words, so a strong match elsewhere is rarely a stray one).
        The selection's ``champions`` (the passages the task's words match best, whatever
        their meaning) are taken first too, from the same budget on, unless they are noise.
    """

    digest: bool = True
    digest_share: float = 0.15
    cutoff: float = 0.0
    passage_cutoff: float = 0.3
    whole_share: float = 0.4
    min_piece_tokens: int = 24
    pool: int = 12
    pool_hits: int = 12
    section_prior: float = 0.6
    lead_prior: float = 0.5
    lead_power: float = 2.0
    neighbour: float = 0.3
    noise: float = 0.25
    strong_from: int = 1_500
    strong_from_hinted: int = 700
    strong_share: float = 0.5
    strong_hits: int = 12
    strong_floor: float = 0.5


@dataclass(frozen=True)
class IncludedSection:
    shard: str
    id: str
    path: tuple[str, ...]
    tokens: int
    score: float
    partial: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "shard": self.shard,
            "id": self.id,
            "path": " > ".join(self.path),
            "tokens": self.tokens,
            "score": round(self.score, 3),
            "included": "partial" if self.partial else "full",
        }


class ShardManifest(NamedTuple):
    """One shard's row in an answer's manifest (a tuple: an answer makes one per shard of
    the index, and a frozen dataclass's were 1.7 ms of a 10 ms answer at 541 shards)."""

    id: str
    title: str
    tokens: int
    included: Included
    score: float  # relative to the best shard for this task, 0..1
    requested: bool
    stale: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "tokens": self.tokens,
            "included": self.included,
            "score": round(self.score, 3),
        }
        if self.requested:
            out["requested"] = True
        if self.stale:
            out["stale"] = list(self.stale)
        return out


@dataclass(frozen=True)
class Packed:
    text: str
    tokens: int
    budget: int
    shards: tuple[ShardManifest, ...]
    sections: tuple[IncludedSection, ...]
    redactions: Mapping[str, int]
    notes: tuple[str, ...]
    digest: str  # "full", "short", "ids", "truncated", "none" (no room) or "off"


@dataclass(frozen=True)
class _Piece:
    """One section's contribution: whole, or some of its passages (indices, document order)."""

    candidate: Candidate
    passages: tuple[int, ...] | None  # None: the whole section
    tokens: int  # estimate, provenance line included


def pack(
    snapshot: IndexSnapshot,
    selection: Selection,
    budget: int,
    tokenizer: Tokenizer,
    options: PackOptions | None = None,
    *,
    redact: Redact | None = None,
) -> Packed:
    """The context for ``selection`` in at most ``budget`` tokens (see the module docstring)."""
    opts = options or PackOptions()
    counts = Counts(tokenizer)
    notes: list[str] = []
    digest, form, digest_raw = (
        _digest(snapshot, budget, counts, opts) if opts.digest else ("", "off", 0)
    )
    if form in ("ids", "truncated"):
        notes.append(
            f"the budget ({budget} tokens) is small: the router digest is shortened"
            + (" and cut" if form == "truncated" else "")
        )
    left = budget - _tokens(counts, digest, digest_raw) - (2 if digest else 0)
    pieces, skipped = _choose(snapshot, selection, left, counts, opts, budget)
    if skipped.weak:
        notes.append(
            f"stopped at relevance cutoff: {skipped.weak} more matching section"
            f"{'s' if skipped.weak > 1 else ''} scored too far under the best to be worth "
            "the tokens"
        )
    if skipped.faint:
        notes.append(
            f"stopped at relevance cutoff: {skipped.faint} more passage"
            f"{'s' if skipped.faint > 1 else ''} of the sections shown scored under "
            f"{opts.noise:.0%} of the best (marked […])"
        )
    if skipped.over:
        notes.append(
            f"budget reached: {skipped.over} relevant section{'s' if skipped.over > 1 else ''}"
            " left out; raise the budget or ask for a shard by id"
        )
    footer = _footer(snapshot, skipped, counts)
    while True:
        text, raw = _render(snapshot, (digest, digest_raw), pieces, footer, counts)
        found: Mapping[str, int] = {}
        if redact is not None:
            shown, found = redact(text)
            if shown != text:
                text, raw = shown, None
        # Summed from the parts' own counts when provably exact (an answer from a saved
        # index then never loads the encoder), else the final text counted whole.
        tokens = counts.tokens(raw) if raw is not None else tokenizer.count(text)
        if tokens <= budget:
            break
        if not (pieces or footer[0] or digest):  # nothing left to drop
            text, found, tokens = "", {}, 0
            break
        if pieces:  # the estimate was short: drop the lowest-scoring piece
            pieces = pieces[:-1]
        elif footer[0]:
            footer = ("", None)
        else:  # cut the digest by at least the overshoot, so the loop always ends
            target = min(budget, _tokens(counts, digest, digest_raw)) - max(1, tokens - budget)
            digest, form, digest_raw = _cut_to(digest, target, tokenizer), "truncated", None
            if not digest:
                form = "none" if opts.digest else "off"
    if form == "none" or (form == "truncated" and not pieces):
        notes.append(f"the budget ({budget} tokens) is smaller than the router digest")
    return Packed(
        text=text,
        tokens=tokens,
        budget=budget,
        shards=_manifest(snapshot, selection, pieces),
        sections=tuple(_included(snapshot, p) for p in pieces),
        redactions=dict(found),
        notes=tuple(notes),
        digest=form,
    )


# -- choosing -----------------------------------------------------------------------------


@dataclass
class _Skipped:
    weak: int = 0  # sections below the relevance cutoff
    over: int = 0  # relevant sections, but no room
    faint: int = 0  # passages of included sections left out as noise


def _choose(
    snapshot: IndexSnapshot,
    selection: Selection,
    left: int,
    counts: Counts,
    opts: PackOptions,
    budget: int,
) -> tuple[list[_Piece], _Skipped]:
    """Requested shards first (document order, whole or partial), then the free budget
    spent passage by passage (see :func:`_fill`)."""
    if selection.hinted:
        opts = replace(opts, strong_from=min(opts.strong_from, opts.strong_from_hinted))
    pieces: list[_Piece] = []
    skipped = _Skipped()
    opened: set[int] = set()
    whole_cap = max(int(opts.whole_share * budget), opts.min_piece_tokens)
    for cand in selection.candidates:
        if not cand.requested:
            break  # requested candidates come first: the rest are free
        if left < opts.min_piece_tokens:
            skipped.over += 1
            continue
        shard = snapshot.shards[cand.shard]
        section = shard.sections[cand.section]
        head = 0 if cand.shard in opened else _shard_tokens(snapshot, cand, counts) + 1
        line = _line_tokens(section, counts, partial=False) + 1
        whole = head + line + section.tokens + 1
        if whole <= left and section.tokens <= whole_cap:
            piece = _Piece(cand, None, whole)
        else:
            part = _partial(cand, section, left - head, whole_cap - head, opts, counts)
            if part is None:
                skipped.over += 1
                continue
            piece = _Piece(cand, part.passages, part.tokens + head)
        pieces.append(piece)
        opened.add(cand.shard)
        left -= piece.tokens
    free = free_candidates(selection.candidates)  # a view: built only as read
    more, left_over = _fill(snapshot, free, left, counts, opts, opened, selection.champions)
    skipped.weak += left_over.weak
    skipped.over += left_over.over
    skipped.faint += left_over.faint
    return pieces + more, skipped


def _fill(
    snapshot: IndexSnapshot,
    free: Sequence[Candidate],
    left: int,
    counts: Counts,
    opts: PackOptions,
    opened: set[int],
    champions: frozenset[tuple[int, int, int]] = frozenset(),
) -> tuple[list[_Piece], _Skipped]:
    """Spend ``left`` tokens on passages of the best sections, best passage first.

    Every passage in the pool gets a score from evidence at several levels, each relative to
    its best value for this task, so the weights mean the same on any index: its own match,
    its section's match and rank (a long article's unmatched paragraphs still count when the
    article is the best match: the answer often paraphrases the task), and its neighbours'
    matches (the paragraph after the one naming the topic often holds the answer). Passages
    are taken best first while they fit, the strongest matches anywhere before the rest when
    the budget allows (``strong_*``); packing stops early only at noise (``noise``). A
    section whose every passage was taken is shown whole.
    """
    skipped = _Skipped()
    if not free or left < opts.min_piece_tokens:
        skipped.over += len(free) if free else 0
        return [], skipped
    best = free[0].score
    if best <= 0:
        return [], skipped
    # The pool: the best sections overall, plus those holding the best passages anywhere.
    by_hit = best_hits(free, opts.pool_hits)  # the best passages anywhere, as (-score, n)
    wanted = set(range(min(opts.pool, len(free))))
    wanted.update(n for _, n in by_hit)
    pool = [free[n] for n in sorted(wanted) if free[n].score >= opts.cutoff * best]
    skipped.weak += len(free) - len(pool)
    top_hit = -by_hit[0][0] if by_hit else 1.0
    units: list[tuple[float, int, int]] = []  # (score, pool index, passage index)
    own: list[tuple[float, int, int]] = []  # (own match, pool index, passage index) of hits
    for n, cand in enumerate(pool):
        section = snapshot.shards[cand.shard].sections[cand.section]
        hits = dict(cand.hits)
        rank_lift = opts.lead_prior * (cand.score / best) ** opts.lead_power
        prior = opts.section_prior * cand.prior + rank_lift
        for p in range(len(section.passages)):
            hit = hits.get(p, 0.0) / top_hit
            near = max(hits.get(p - 1, 0.0), hits.get(p + 1, 0.0)) / top_hit
            score = hit + prior + opts.neighbour * near
            units.append((score, n, p))
            if hit:
                own.append((hit, n, p))
    units.sort(key=lambda u: (-u[0], u[1], u[2]))
    floor = opts.noise * units[0][0] if units else 0.0
    strong = _strongest(snapshot, pool, own, left, counts, opts)
    first = set(strong)
    if champions and left >= opts.strong_from:  # the words' best matches go first too
        seats: dict[tuple[int, int], list[int]] = {}
        for shard_n, section_n, p in champions:
            seats.setdefault((shard_n, section_n), []).append(p)
        first |= {(n, p) for n, c in enumerate(pool) for p in seats.get((c.shard, c.section), ())}
    if first:  # stable: the strongest keep their order, and so does the rest
        units.sort(key=lambda u: (u[1], u[2]) not in first)
    chosen: dict[int, list[int]] = {}
    rank: dict[int, int] = {}  # pool index -> order of its first passage (drop order)
    relevant: set[int] = set()  # pool sections with a passage above the noise floor
    for k, (score, n, p) in enumerate(units):
        if score < floor and (n, p) not in strong:
            skipped.faint = sum(1 for _, m, _ in units[k:] if m in chosen)
            break
        relevant.add(n)
        cand = pool[n]
        shard = snapshot.shards[cand.shard]
        section = shard.sections[cand.section]
        passage = section.passages[p]
        cost = passage.tokens + _lead_tokens(passage, counts) + 3
        if n not in chosen:
            cost += _line_tokens(section, counts, partial=True) + 1
            cost += counts.tokens(section.heading_raw) + 1 if section.heading else 0
            if cand.shard not in opened:
                cost += _shard_tokens(snapshot, cand, counts) + 1
        if cost > left:
            continue
        left -= cost
        if n not in chosen:
            chosen[n] = []
            rank[n] = len(rank)
            opened.add(cand.shard)
        chosen[n].append(p)
    skipped.over += sum(1 for n in relevant if n not in chosen)
    skipped.weak += len(pool) - len(relevant)
    pieces: list[_Piece] = []
    for n in sorted(chosen, key=rank.__getitem__):
        cand = pool[n]
        section = snapshot.shards[cand.shard].sections[cand.section]
        taken = tuple(sorted(chosen[n]))
        whole = len(taken) == len(section.passages)
        tokens = sum(section.passages[p].tokens + 3 for p in taken)
        pieces.append(_Piece(cand, None if whole else taken, tokens))
    return pieces, skipped


def _strongest(
    snapshot: IndexSnapshot,
    pool: Sequence[Candidate],
    own: list[tuple[float, int, int]],
    left: int,
    counts: Counts,
    opts: PackOptions,
) -> set[tuple[int, int]]:
    """The (pool index, passage index) of the passages whose own match is strongest, to be
    taken first (see :class:`PackOptions`): none when fewer than ``strong_from`` tokens are
    left, else up to ``strong_hits`` of them at or above ``strong_floor``, best first, while
    their passages (with a partial section's provenance line) fit in ``strong_share`` of
    ``left``. A passage matching this well is never noise."""
    if not opts.strong_hits or left < opts.strong_from:
        return set()
    room = opts.strong_share * left
    chosen: set[tuple[int, int]] = set()
    for hit, n, p in sorted(own, key=lambda u: (-u[0], u[1], u[2]))[: opts.strong_hits]:
        if hit < opts.strong_floor:
            break
        cand = pool[n]
        section = snapshot.shards[cand.shard].sections[cand.section]
        room -= section.passages[p].tokens + _line_tokens(section, counts, partial=True) + 4
        if room < 0:
            break
        chosen.add((n, p))
    return chosen


def _shard_tokens(snapshot: IndexSnapshot, cand: Candidate, counts: Counts) -> int:
    """Tokens of a shard's provenance line: fixed for a snapshot, counted once."""
    shard = snapshot.shards[cand.shard]
    line = partial(shard_line, shard)  # (rendered only the first time: a query asks hundreds)
    return counts.tokens(snapshot.counted_raw(f"shard:{cand.shard}", line, counts))


def _line_tokens(section: IndexedSection, counts: Counts, *, partial: bool) -> int:
    """Tokens of a section's provenance line (counted when the index was built)."""
    return counts.tokens(section.line_raws[partial])


def _lead_tokens(passage: Passage, counts: Counts) -> int:
    return counts.tokens(passage.lead_raw) if passage.lead else 0


def _tokens(counts: Counts, text: str, raw: int | None) -> int:
    """Tokens of ``text`` from its raw count when known, else counted."""
    return counts.tokens(raw) if raw is not None else counts.tokenizer.count(text)


def _partial(
    cand: Candidate,
    section: IndexedSection,
    room: int,
    cap: int,
    opts: PackOptions,
    counts: Counts,
) -> _Piece | None:
    """The section's best passages under its heading: the best one if it fits in ``room``,
    more while the piece stays within ``cap`` (so one section does not crowd out the rest)."""
    ranked = [p for p, _ in cand.passages]
    if cand.requested:  # a requested shard: unmatched passages follow, in document order
        matched = set(ranked)
        ranked += [p for p in range(len(section.passages)) if p not in matched]
    top = cand.passages[0][1] if cand.passages else 0.0
    floor = opts.passage_cutoff * top
    scores = dict(cand.passages)
    cost = _line_tokens(section, counts, partial=True) + 1
    cost += counts.tokens(section.heading_raw) + 1 if section.heading else 0
    chosen: list[int] = []
    for p in ranked:
        if top and scores.get(p, 0.0) < floor and not cand.requested:
            break
        passage = section.passages[p]
        extra = passage.tokens + _lead_tokens(passage, counts) + 3
        if cost + extra <= (room if not chosen else min(room, cap)):
            chosen.append(p)
            cost += extra
        elif not chosen and not cand.requested:
            return None  # the best passage does not fit: a weaker one would mislead
    if not chosen:
        return None
    return _Piece(cand, tuple(sorted(chosen)), cost)


# -- rendering ----------------------------------------------------------------------------


#: A part of an answer and its raw count (None: unknown, count the whole answer).
_Part = tuple[str, int | None]


def _render(
    snapshot: IndexSnapshot,
    digest: _Part,
    pieces: Sequence[_Piece],
    footer: _Part,
    counts: Counts,
) -> _Part:
    """The answer's text and its raw count, summed from its parts' (None when not provably
    exact: then it is counted whole)."""
    parts: list[_Part] = [digest] if digest[0] else []
    by_shard: dict[int, list[_Piece]] = {}
    for piece in pieces:
        by_shard.setdefault(piece.candidate.shard, []).append(piece)
    for shard_no, group in by_shard.items():
        shard = snapshot.shards[shard_no]
        line = shard_line(shard)
        parts.append((line, snapshot.counted_raw(f"shard:{shard_no}", line, counts)))
        for piece in sorted(group, key=lambda p: p.candidate.section):
            section = shard.sections[piece.candidate.section]
            partial = piece.passages is not None
            parts.append((section_line(section.path, partial=partial), section.line_raws[partial]))
            if piece.passages is None:
                parts.append((section.text, section.raw))
            else:
                parts.append(_excerpt(snapshot, section, piece.passages, counts))
    if footer[0]:
        parts.append(footer)
    return _joined(parts, 2, counts)


def _joined(parts: Sequence[_Part], gap: int, counts: Counts) -> _Part:
    """The parts joined by ``gap`` newlines, with the raw count summed from theirs."""
    text = ("\n" * gap).join(t for t, _ in parts)
    return text, counts.sum(parts, [gap] * (len(parts) - 1)) if parts else 0


def _excerpt(
    snapshot: IndexSnapshot, section: IndexedSection, shown: tuple[int, ...], counts: Counts
) -> _Part:
    ellipsis = (ELLIPSIS, snapshot.counted_raw(f"text:{ELLIPSIS}", ELLIPSIS, counts))
    out: list[_Part] = [(section.heading, section.heading_raw)] if section.heading else []
    previous = -1
    for p in shown:
        passage = section.passages[p]
        if (
            previous >= 0
            and p == previous + 1
            and section.passages[previous].block == passage.block
        ):
            text, raw = out[-1]
            if passage.sep == "\n":  # lines of one block: a newline sum
                out[-1] = _joined([out[-1], (passage.text, passage.raw)], 1, counts)
            else:  # sentences of one line: a space sum (see space_before)
                spaced = passage.sep == " " and passage.space_raw >= 0 and not text[-1:].isspace()
                if raw is not None and spaced and counts.summing is not None:
                    raw += passage.space_raw + passage.raw
                else:
                    raw = None
                out[-1] = (text + passage.sep + passage.text, raw)
        else:
            if p != previous + 1:
                out.append(ellipsis)
            if passage.lead:
                pair = [(passage.lead, passage.lead_raw), (passage.text, passage.raw)]
                out.append(_joined(pair, 1, counts))
            else:
                out.append((passage.text, passage.raw))
        previous = p
    if previous != len(section.passages) - 1:
        out.append(ellipsis)
    return _joined(out, 2, counts)


def _footer(snapshot: IndexSnapshot, skipped: _Skipped, counts: Counts) -> _Part:
    parts = footer_parts(skipped.weak, skipped.over)
    if parts is None:
        return "", 0
    raws = [snapshot.counted_raw(f"text:{t}", t, counts) for t in parts]
    # cl100k_base's pattern cuts the footer between its parts (see footer_parts); another
    # tokenizer's counts are not known to add up, so its footer is counted whole.
    raw = sum(raws) if counts.summing is not None else None
    return "".join(parts), raw


# -- digest -------------------------------------------------------------------------------


def _digest(
    snapshot: IndexSnapshot, budget: int, counts: Counts, opts: PackOptions
) -> tuple[str, str, int | None]:
    """The digest's text, its form and its raw count (None once cut)."""
    share = opts.digest_share * budget
    for form in DIGEST_FORMS:
        text = snapshot.digest_form(form)
        raw = snapshot.counted_raw(f"digest:{form}", text, counts)
        if counts.tokens(raw) <= share:
            return text, form, raw
    ids = snapshot.digest_form("ids")
    raw = snapshot.counted_raw("digest:ids", ids, counts)
    if counts.tokens(raw) <= budget:
        return ids, "ids", raw
    # Even the ids pass the budget: cut them to the digest's share, not to the whole budget,
    # so the sections that answer the task still have room (a budget too small for any
    # section gets as much digest as fits).
    limit = max(int(share), min(budget, 2 * opts.min_piece_tokens))
    cut = _cut_to(ids, limit, counts.tokenizer)
    return cut, "truncated" if cut else "none", None


def _cut_to(text: str, budget: int, tokenizer: Tokenizer) -> str:
    """The longest prefix (at a word boundary where possible) with at most ``budget`` tokens."""
    if budget <= 0:
        return ""
    if tokenizer.count(text) <= budget:
        return text
    low, high = 0, len(text)
    while low < high:  # largest prefix length that fits
        mid = (low + high + 1) // 2
        if tokenizer.count(text[:mid] + "…") <= budget:
            low = mid
        else:
            high = mid - 1
    prefix = text[:low]
    if " " in prefix[len(prefix) // 2 :]:
        prefix = prefix.rsplit(" ", 1)[0]
    return prefix + "…" if prefix else ""


# -- manifest -----------------------------------------------------------------------------


def _manifest(
    snapshot: IndexSnapshot, selection: Selection, pieces: Sequence[_Piece]
) -> tuple[ShardManifest, ...]:
    top = max(selection.shard_scores.values(), default=0.0)
    whole: dict[int, set[int]] = {}
    some: set[int] = set()
    for piece in pieces:
        some.add(piece.candidate.shard)
        if piece.passages is None:
            whole.setdefault(piece.candidate.shard, set()).add(piece.candidate.section)
    scores, requested = selection.shard_scores, selection.requested
    out = []
    for n, (shard_id, title, tokens, stale, size) in enumerate(snapshot.once("rows", _rows)):
        included: Included = "none"
        if n in some:
            included = "full" if len(whole.get(n, ())) == size else "partial"
        score = scores.get(shard_id, 0.0)
        out.append(
            ShardManifest(
                shard_id,
                title,
                tokens,
                included,
                score / top if top else 0.0,
                shard_id in requested,
                stale,
            )
        )
    return tuple(out)


def _rows(snapshot: IndexSnapshot) -> tuple[tuple[str, str, int, tuple[str, ...], int], ...]:
    """What the manifest shows of each shard that does not depend on the task."""
    return tuple((s.id, s.title, s.tokens, s.stale, len(s.sections)) for s in snapshot.shards)


def _included(snapshot: IndexSnapshot, piece: _Piece) -> IncludedSection:
    shard = snapshot.shards[piece.candidate.shard]
    section = shard.sections[piece.candidate.section]
    return IncludedSection(
        shard=shard.id,
        id=section.id,
        path=section.path,
        tokens=piece.tokens,
        score=piece.candidate.score,
        partial=piece.passages is not None,
    )
