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
from dataclasses import dataclass
from typing import Any, Literal

from router.digest import DIGEST_FORMS
from router.select import Candidate, Selection, count_rest
from router.snapshot import IndexedSection, IndexSnapshot
from shards import Tokenizer

#: Relevant candidates in a row that do not fit before packing stops looking (on an index with
#: thousands of near-identical sections, looking further costs milliseconds and adds nothing).
MISS_LIMIT = 64
#: The redaction seam: text in, (redacted text, counts per kind) out.
Redact = Callable[[str], tuple[str, Mapping[str, int]]]
Included = Literal["full", "partial", "none"]


@dataclass(frozen=True)
class PackOptions:
    """How a budget is spent.

    digest: start with the router digest (read_shard leaves it out).
    digest_share: the digest may take this share of the budget before a shorter form is used.
    cutoff: stop adding sections scoring below this fraction of the best one.
    passage_cutoff: in a partial section, leave out passages below this fraction of its best.
    whole_share: a section larger than this share of the budget is shown partially.
    min_piece_tokens: stop when less than this is left (a heading alone tells nothing).
    """

    digest: bool = True
    digest_share: float = 0.15
    cutoff: float = 0.35
    passage_cutoff: float = 0.3
    whole_share: float = 0.4
    min_piece_tokens: int = 24


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


@dataclass(frozen=True)
class ShardManifest:
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
    notes: list[str] = []
    digest, form = _digest(snapshot, budget, tokenizer, opts) if opts.digest else ("", "off")
    if form in ("ids", "truncated"):
        notes.append(
            f"the budget ({budget} tokens) is small: the router digest is shortened"
            + (" and cut" if form == "truncated" else "")
        )
    left = budget - tokenizer.count(digest) - (2 if digest else 0)
    pieces, skipped = _choose(snapshot, selection, left, tokenizer, opts, budget)
    if skipped.weak:
        notes.append(
            f"stopped at relevance cutoff: {skipped.weak} more matching section"
            f"{'s' if skipped.weak > 1 else ''} scored under {opts.cutoff:.0%} of the best"
        )
    if skipped.over:
        notes.append(
            f"budget reached: {skipped.over} relevant section{'s' if skipped.over > 1 else ''}"
            " left out; raise the budget or ask for a shard by id"
        )
    footer = _footer(skipped)
    while True:
        text = _render(snapshot, digest, pieces, footer)
        counts: Mapping[str, int] = {}
        if redact is not None:
            text, counts = redact(text)
        tokens = tokenizer.count(text)
        if tokens <= budget:
            break
        if not (pieces or footer or digest):  # nothing left to drop
            text, counts, tokens = "", {}, 0
            break
        if pieces:  # the estimate was short: drop the lowest-scoring piece
            pieces = pieces[:-1]
        elif footer:
            footer = ""
        else:  # cut the digest by at least the overshoot, so the loop always ends
            target = min(budget, tokenizer.count(digest)) - max(1, tokens - budget)
            digest, form = _cut_to(digest, target, tokenizer), "truncated"
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
        redactions=dict(counts),
        notes=tuple(notes),
        digest=form,
    )


# -- choosing -----------------------------------------------------------------------------


@dataclass
class _Skipped:
    weak: int = 0  # below the relevance cutoff
    over: int = 0  # relevant, but no room


def _choose(
    snapshot: IndexSnapshot,
    selection: Selection,
    left: int,
    tokenizer: Tokenizer,
    opts: PackOptions,
    budget: int,
) -> tuple[list[_Piece], _Skipped]:
    pieces: list[_Piece] = []
    skipped = _Skipped()
    # Candidates come requested first, then by score: the first free one is the best, and
    # once one falls under the cutoff every later one does (they are read lazily: stop there).
    best = next((c.score for c in selection.candidates if not c.requested), 0.0)
    opened: set[int] = set()
    whole_cap = max(int(opts.whole_share * budget), opts.min_piece_tokens)
    misses = 0  # relevant candidates in a row that did not fit
    for n, cand in enumerate(selection.candidates):
        if not cand.requested and cand.score < opts.cutoff * best:
            skipped.weak += len(selection.candidates) - n
            break
        if left < opts.min_piece_tokens:  # no room for anything: count the rest, stop
            over, weak = count_rest(selection.candidates, n, opts.cutoff * best)
            skipped.over += over
            skipped.weak += weak
            break
        if misses >= MISS_LIMIT and not cand.requested:  # what is left is too big: stop
            over, weak = count_rest(selection.candidates, n, opts.cutoff * best)
            skipped.over += over
            skipped.weak += weak
            break
        shard = snapshot.shards[cand.shard]
        section = shard.sections[cand.section]
        head = 0
        if cand.shard not in opened:
            head = snapshot.counted(f"shard:{cand.shard}", _shard_line(shard), tokenizer) + 1
        line = _section_line_tokens(snapshot, cand, section, tokenizer, partial=False) + 1
        whole = head + line + section.tokens + 1
        if whole <= left and section.tokens <= whole_cap:
            piece = _Piece(cand, None, whole)
        else:
            piece_or_none = _partial(
                cand, section, left - head, whole_cap - head, opts, tokenizer, snapshot
            )
            if piece_or_none is None:
                skipped.over += 1
                misses += 1
                continue
            piece = _Piece(cand, piece_or_none.passages, piece_or_none.tokens + head)
        misses = 0
        pieces.append(piece)
        opened.add(cand.shard)
        left -= piece.tokens
    return pieces, skipped


def _section_line_tokens(
    snapshot: IndexSnapshot | None,
    cand: Candidate,
    section: IndexedSection,
    tokenizer: Tokenizer,
    *,
    partial: bool,
) -> int:
    """Tokens of a section's provenance line, counted once per snapshot."""
    text = _section_line(section, partial=partial)
    if snapshot is None:
        return tokenizer.count(text)
    return snapshot.counted(f"line:{cand.shard}:{cand.section}:{int(partial)}", text, tokenizer)


def _heading_tokens(
    snapshot: IndexSnapshot | None, cand: Candidate, section: IndexedSection, tokenizer: Tokenizer
) -> int:
    if snapshot is None:
        return tokenizer.count(section.heading)
    key = f"heading:{cand.shard}:{cand.section}"
    return snapshot.counted(key, section.heading, tokenizer)


def _partial(
    cand: Candidate,
    section: IndexedSection,
    room: int,
    cap: int,
    opts: PackOptions,
    tokenizer: Tokenizer,
    snapshot: IndexSnapshot | None = None,
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
    cost = _section_line_tokens(snapshot, cand, section, tokenizer, partial=True) + 1
    cost += _heading_tokens(snapshot, cand, section, tokenizer) + 1 if section.heading else 0
    chosen: list[int] = []
    for p in ranked:
        if top and scores.get(p, 0.0) < floor and not cand.requested:
            break
        passage = section.passages[p]
        extra = passage.tokens + tokenizer.count(passage.lead) + 3
        if cost + extra <= (room if not chosen else min(room, cap)):
            chosen.append(p)
            cost += extra
        elif not chosen and not cand.requested:
            return None  # the best passage does not fit: a weaker one would mislead
    if not chosen:
        return None
    return _Piece(cand, tuple(sorted(chosen)), cost)


# -- rendering ----------------------------------------------------------------------------


def _shard_line(shard: Any) -> str:
    updated = f" · updated {shard.updated}" if shard.updated else ""
    stale = " · STALE: " + "; ".join(shard.stale) if shard.stale else ""
    return f"<!-- shard: {shard.id} · {shard.title}{updated} · {shard.url}{stale} -->"


def _section_line(section: IndexedSection, *, partial: bool) -> str:
    path = " > ".join(section.path) or "(intro)"
    return f"<!-- section: {path}{' · partial' if partial else ''} -->"


def _render(snapshot: IndexSnapshot, digest: str, pieces: Sequence[_Piece], footer: str) -> str:
    parts = [digest] if digest else []
    by_shard: dict[int, list[_Piece]] = {}
    for piece in pieces:
        by_shard.setdefault(piece.candidate.shard, []).append(piece)
    for shard_no, group in by_shard.items():
        shard = snapshot.shards[shard_no]
        parts.append(_shard_line(shard))
        for piece in sorted(group, key=lambda p: p.candidate.section):
            section = shard.sections[piece.candidate.section]
            partial = piece.passages is not None
            parts.append(_section_line(section, partial=partial))
            parts.append(section.text if piece.passages is None else _excerpt(section, piece))
    if footer:
        parts.append(footer)
    return "\n\n".join(parts)


def _excerpt(section: IndexedSection, piece: _Piece) -> str:
    assert piece.passages is not None
    out = [section.heading] if section.heading else []
    previous = -1
    for p in piece.passages:
        passage = section.passages[p]
        if (
            previous >= 0
            and p == previous + 1
            and section.passages[previous].block == passage.block
        ):
            out[-1] += passage.sep + passage.text
        else:
            if p != previous + 1:
                out.append("[…]")
            out.append(f"{passage.lead}\n{passage.text}" if passage.lead else passage.text)
        previous = p
    if previous != len(section.passages) - 1:
        out.append("[…]")
    return "\n\n".join(out)


def _footer(skipped: _Skipped) -> str:
    if not skipped.weak and not skipped.over:
        return ""
    more = skipped.weak + skipped.over
    why = "budget reached" if skipped.over else "weaker matches left out"
    return f"<!-- {why}: {more} more section{'s' if more > 1 else ''}; ask for a shard by id -->"


# -- digest -------------------------------------------------------------------------------


def _digest(
    snapshot: IndexSnapshot, budget: int, tokenizer: Tokenizer, opts: PackOptions
) -> tuple[str, str]:
    share = opts.digest_share * budget
    for form in DIGEST_FORMS:
        text = snapshot.digest_form(form)
        if snapshot.counted(f"digest:{form}", text, tokenizer) <= share:
            return text, form
    ids = snapshot.digest_form("ids")
    if snapshot.counted("digest:ids", ids, tokenizer) <= budget:
        return ids, "ids"
    # Thousands of shards: even the ids pass the budget. Cut them to the digest's share, not
    # to the whole budget, so the sections that answer the task still have room (a budget
    # too small for any section gets as much digest as fits).
    cut = _cut_to(ids, max(int(share), min(budget, 2 * opts.min_piece_tokens)), tokenizer)
    return cut, "truncated" if cut else "none"


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
    out = []
    for n, shard in enumerate(snapshot.shards):
        included: Included = "none"
        if n in some:
            full = len(whole.get(n, ())) == len(shard.sections)
            included = "full" if full else "partial"
        score = selection.shard_scores.get(shard.id, 0.0)
        out.append(
            ShardManifest(
                id=shard.id,
                title=shard.title,
                tokens=shard.tokens,
                included=included,
                score=score / top if top else 0.0,
                requested=shard.id in selection.requested,
                stale=shard.stale,
            )
        )
    return tuple(out)


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
