"""Cutting a section body into passages, the units of partial text that selection scores.

A passage is a markdown block (blocks end at blank lines outside code fences). A block shorter
than ``min_tokens`` joins the next one ("Steps:" with its list); one longer than ``max_tokens``
is cut into chunks of whole lines, or of sentences when it is one long line, and a table's
chunks keep its header rows as ``lead``.

Counting: with a :class:`~shards.tokens.SummingTokenizer` each block (or line of a long block)
is encoded once, and what is made of blocks (a joined passage, a longer chunk, the whole
section) has its count summed from theirs (:meth:`~shards.TiktokenCounter.joined`), the same
number as counting it whole; any other tokenizer counts every text it is asked about.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from operator import attrgetter
from typing import cast

from shards import SummingTokenizer, Tokenizer

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")


@dataclass(frozen=True, slots=True)
class Passage:
    """A paragraph, list, table chunk or code block of a section: the unit of partial text."""

    utf8: bytes  # the text (or its section's, from ``start`` to ``end``), see text
    tokens: int
    block: int  # chunks cut from one markdown block share it
    sep: str = "\n"  # what joins it to the previous chunk of the same block
    lead: str = ""  # a table's header rows, repeated when the chunk is shown alone
    # Raw counts (without the margin; a tokenizer that cannot sum has its counts here) of
    # ``text`` and ``lead``: what lets packing count an answer without encoding it again.
    raw: int = 0
    lead_raw: int = 0
    # What the space before it adds when it follows the previous sentence of its line
    # (SummingTokenizer.space_before); -1 when unknown or not a sentence chunk.
    space_raw: int = -1
    # Where the text sits in ``utf8`` when that is its section's text (see shared); -1: all
    # of ``utf8`` is the passage's own.
    start: int = -1
    end: int = -1

    @property
    def text(self) -> str:
        """The passage's text (kept as UTF-8: see IndexedSection.text)."""
        if self.start < 0:
            return self.utf8.decode()
        return self.utf8[self.start : self.end].decode()

    def __reduce__(self) -> tuple[type[Passage], tuple[object, ...]]:
        # Pickled alone as a constructor call (dataclasses' generic state functions for a
        # frozen class with slots took twice as long); a section packs its own (pack_passages).
        return Passage, _PASSAGE_FIELDS(self)


_PASSAGE_FIELDS = attrgetter(*(f.name for f in fields(Passage)))

#: Flags of a packed passage (pack_passages): which of its fields follow in the texts.
_OWN_SEP, _OWN_LEAD, _OWN_UTF8 = 1, 2, 4


def pack_passages(
    passages: tuple[Passage, ...], section: bytes
) -> tuple[bytes, tuple[object, ...]]:
    """A section's passages as a pickle keeps them: their numbers in one array's bytes, and
    only the texts not implied (a separator other than a newline, a table's lead, a passage's
    own bytes where it is not a span of ``section``). Pickled one by one, each passage was a
    tuple that the pickler keeps alive until it is done: a 20 MB index's 70,000 took 20 MB
    more to save.

    :func:`unpack_passages` gives back equal passages, sharing ``section`` where they did."""
    numbers = array("q")
    texts: list[object] = []
    for p in passages:
        flags = 0
        if p.sep != "\n":
            flags |= _OWN_SEP
            texts.append(p.sep)
        if p.lead:
            flags |= _OWN_LEAD
            texts.append(p.lead)
        if p.utf8 is not section:
            flags |= _OWN_UTF8
            texts.append(p.utf8)
        numbers.extend((p.tokens, p.block, p.raw, p.lead_raw, p.space_raw, p.start, p.end, flags))
    return numbers.tobytes(), tuple(texts)


def unpack_passages(
    packed: bytes, texts: tuple[object, ...], section: bytes
) -> tuple[Passage, ...]:
    """The passages :func:`pack_passages` packed."""
    numbers = array("q")
    numbers.frombytes(packed)
    out: list[Passage] = []
    at = 0
    for k in range(0, len(numbers), 8):
        tokens, block, raw, lead_raw, space_raw, start, end, flags = numbers[k : k + 8]
        sep: object = "\n"
        lead: object = ""
        utf8: object = section
        if flags & _OWN_SEP:
            sep, at = texts[at], at + 1
        if flags & _OWN_LEAD:
            lead, at = texts[at], at + 1
        if flags & _OWN_UTF8:
            utf8, at = texts[at], at + 1
        out.append(
            Passage(
                cast(bytes, utf8),
                tokens,
                block,
                cast(str, sep),
                cast(str, lead),
                raw,
                lead_raw,
                space_raw,
                start,
                end,
            )
        )
    return tuple(out)


def shared(passages: tuple[Passage, ...], section: bytes) -> tuple[Passage, ...]:
    """The passages, each holding its text as a span of ``section`` (its section's text as
    UTF-8) where it is one, in order, rather than a copy: a section's passages are most of its
    text, so the copies were a second copy of the index (18 MB of a 20 MB index of notes).
    A passage whose text is not found there as it is (blocks joined across a wider gap,
    sentences across two spaces) keeps its own."""
    out: list[Passage] = []
    cursor = 0
    for p in passages:
        own = p.utf8
        at = section.find(own, cursor) if p.start < 0 else -1
        if at < 0:
            out.append(p)
            continue
        cursor = at + len(own)
        out.append(
            Passage(
                section, p.tokens, p.block, p.sep, p.lead, p.raw, p.lead_raw, p.space_raw,
                at, cursor,
            )
        )  # fmt: skip
    return tuple(out)


class Counts:
    """Raw counts that add up where the tokenizer can sum them; plain counts otherwise (then
    "raw" is the count itself and every joined text is counted whole)."""

    __slots__ = ("_count", "_seen", "_spaces", "summing", "tokenizer")

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self.summing: SummingTokenizer | None = (
            cast("SummingTokenizer", tokenizer) if _sums(type(tokenizer)) else None
        )
        self._count = tokenizer.count if self.summing is None else self.summing.raw
        # What this section's texts counted: a long block is counted by its lines or
        # sentences (see _block_raw), and cutting it asks for the same ones again.
        self._seen: dict[str, int] = {}
        self._spaces: dict[str, int] = {}

    def count(self, text: str) -> int:
        found = self._seen.get(text)
        if found is None:
            found = self._seen[text] = self._count(text)
        return found

    def tokens(self, raw: int) -> int:
        return raw if self.summing is None else self.summing.margined(raw)

    def space(self, text: str) -> int:
        """What a space before ``text`` adds to its raw count, or -1 when not known."""
        found = self._spaces.get(text)
        if found is None:
            space = self.summing.space_before(text) if self.summing is not None else None
            found = self._spaces[text] = -1 if space is None else space
        return found

    def sum(self, parts: Sequence[tuple[str, int | None]], gaps: Sequence[int]) -> int | None:
        """The raw count of the parts joined by ``gaps`` newlines, from their own raw counts
        alone; None when a part's is unknown or the sum is not provably exact (then count
        the joined text itself)."""
        if self.summing is None:
            return None
        known: list[tuple[str, int]] = []
        for text, raw in parts:
            if raw is None:
                return None
            known.append((text, raw))
        return self.summing.joined(known, gaps)

    def joined(self, parts: list[tuple[str, int]], gaps: list[int], text: str) -> int:
        """The raw count of ``text``, which is the parts joined by ``gaps`` newlines."""
        if self.summing is not None:
            found = self.summing.joined(parts, gaps)
            if found is not None:
                return found
        return self.count(text)


@lru_cache(maxsize=64)
def _sums(kind: type) -> bool:
    """Whether tokenizers of ``kind`` can sum counts (a protocol check walks its attributes:
    10 µs, once per section at 20 MB was a quarter of a second)."""
    return issubclass(kind, SummingTokenizer)


@dataclass(frozen=True, slots=True)
class _Blocks:
    """A body's blocks and the newlines between them; ``exact`` when the body is precisely
    ``"\\n" * lead + blocks[0] + "\\n" * gaps[0] + blocks[1] + ...``."""

    blocks: list[str]
    gaps: list[int]
    lead: int
    exact: bool


def _blocks(body: str) -> _Blocks:
    """Blocks at blank lines outside code fences."""
    blocks: list[str] = []
    gaps: list[int] = []
    current: list[str] = []
    fence: str | None = None
    blank = 0  # blank lines since the last block's end (or the start)
    lead = 0
    exact = True
    for line in body.split("\n"):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None and line.strip().startswith(fence) and not line.strip(fence[0]):
            fence = None
        if fence is None and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            blank += 1
            exact = exact and not line
            continue
        if not current:
            if blocks:
                gaps.append(blank + 1)
            else:
                lead = blank
            blank = 0
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    elif blocks or blank:
        exact = False  # blank lines at the end: not what the blocks and gaps join into
    return _Blocks(blocks, gaps, lead, exact)


def split_passages(
    body: str, tokenizer: Tokenizer, *, max_tokens: int, min_tokens: int
) -> tuple[Passage, ...]:
    """Blocks at blank lines outside code fences; tiny blocks join the next, big ones are cut."""
    counts = Counts(tokenizer)
    found = _blocks(body)
    raws = [_block_raw(b, counts, max_tokens) for b in found.blocks]
    return _passages(found, raws, counts, max_tokens, min_tokens)


def section_passages(
    text: str, level: int, tokenizer: Tokenizer, *, max_tokens: int, min_tokens: int
) -> tuple[str, tuple[Passage, ...], int, int, int]:
    """A section's heading line ("" for the text before the first heading), the passages of
    the text under it, the section's token count (``tokenizer.count(text)``, summed from its
    blocks' counts where the tokenizer allows), its raw count (for :func:`page_tokens`) and
    the heading's raw count."""
    heading, _, rest = text.partition("\n") if level else ("", "", text)
    counts = Counts(tokenizer)
    found = _blocks(rest)
    raws = [_block_raw(b, counts, max_tokens) for b in found.blocks]
    passages = _passages(found, raws, counts, max_tokens, min_tokens)
    parts = list(zip(found.blocks, raws, strict=True))
    gaps = list(found.gaps)
    heading_raw = counts.count(heading) if heading else 0
    if level:
        parts.insert(0, (heading, heading_raw))
        gaps.insert(0, found.lead + 1)
    exact = found.exact and bool(found.blocks) and (level > 0 or found.lead == 0)
    raw = counts.joined(parts, gaps, text) if exact else counts.count(text)
    return heading, passages, counts.tokens(raw), raw, heading_raw


def page_tokens(body: str, sections: list[tuple[str, int]], tokenizer: Tokenizer) -> int:
    """``tokenizer.count(body)``, summed from its sections' raw counts (from
    :func:`section_passages`) where they are the whole body in order with only newlines
    between them and the tokenizer can sum; counted whole otherwise."""
    counts = Counts(tokenizer)
    gaps: list[int] = []
    pos, exact = 0, bool(sections)
    for n, (text, _) in enumerate(sections):
        if not body.startswith(text, pos):
            exact = False
            break
        pos += len(text)
        if n + 1 < len(sections):
            end = pos
            while end < len(body) and body[end] == "\n":
                end += 1
            gaps.append(end - pos)
            pos = end
    exact = exact and pos == len(body)
    raw = counts.joined(sections, gaps, body) if exact else counts.count(body)
    return counts.tokens(raw)


def _block_raw(block: str, counts: Counts, max_tokens: int) -> int:
    """A block's raw count. A long block is counted in the parts :func:`_cut` will cut it
    at, so that cutting it reads their counts from the tokenizer's cache instead of
    encoding the block a second time: its lines, summed where the sum is provably exact
    (:meth:`Counts.sum`), or, for one long line, its sentences, summed with what the space
    before each adds (:meth:`Counts.space`). Anything else is counted whole."""
    if counts.summing is None or len(block) <= _LONG_LINE * max_tokens:
        return counts.count(block)
    if "\n" in block:
        lines = block.split("\n")
        summed = counts.sum([(line, counts.count(line)) for line in lines], [1] * (len(lines) - 1))
        return summed if summed is not None else counts.count(block)
    sentences = _SENTENCE.split(block)
    if len(sentences) < 2 or " ".join(sentences) != block:
        return counts.count(block)
    total = counts.count(sentences[0])
    for sentence in sentences[1:]:
        space = counts.space(sentence)
        if space < 0:
            return counts.count(block)
        total += space + counts.count(sentence)
    return total


#: A one-line block of more than this many characters per allowed token is counted by its
#: sentences: English runs about four characters a token, so it is likely to be cut (and if
#: it is not, the sum is exact all the same).
_LONG_LINE = 4


def _passages(
    found: _Blocks, raws: list[int], counts: Counts, max_tokens: int, min_tokens: int
) -> tuple[Passage, ...]:
    merged: list[tuple[str, int]] = []
    carry: tuple[str, int] | None = None
    for block, raw in zip(found.blocks, raws, strict=True):
        if carry is not None:
            joined = f"{carry[0]}\n\n{block}"
            raw = counts.joined([carry, (block, raw)], [2], joined)
            block, carry = joined, None
        if counts.tokens(raw) < min_tokens:
            carry = (block, raw)
        else:
            merged.append((block, raw))
    if carry is not None:
        if merged:
            last = merged[-1]
            text = f"{last[0]}\n\n{carry[0]}"
            merged[-1] = (text, counts.joined([last, carry], [2], text))
        else:
            merged.append(carry)
    out: list[Passage] = []
    for n, (block, raw) in enumerate(merged):
        tokens = counts.tokens(raw)
        if tokens <= max_tokens:
            out.append(Passage(block.encode(), tokens, n, raw=raw))
        else:
            out.extend(_cut(block, n, counts, max_tokens))
    return tuple(out)


def _cut(block: str, n: int, counts: Counts, max_tokens: int) -> list[Passage]:
    """A long block in chunks of whole lines (a table keeps its header rows as ``lead``)."""
    lines = block.split("\n")
    lead = ""
    if (
        len(lines) > 2
        and lines[0].lstrip().startswith("|")
        and set(lines[1].strip()) <= set("|-: ")
    ):
        lead, lines = "\n".join(lines[:2]), lines[2:]
    lead_raw = counts.count(lead) if lead else 0
    if len(lines) == 1:  # one long prose line: cut at sentence ends instead
        return _cut_sentences(_SENTENCE.split(lines[0]), n, counts, max_tokens, lead, lead_raw)
    chunks: list[Passage] = []
    text, raw, started = "", 0, False  # the chunk so far
    for line in lines:
        line_raw = counts.count(line)
        if not started:
            text, raw, started = line, line_raw, True
            continue
        candidate = f"{text}\n{line}"
        both = counts.joined([(text, raw), (line, line_raw)], [1], candidate)
        if counts.tokens(both) > max_tokens:
            chunks.append(Passage(text.encode(), counts.tokens(raw), n, "\n", lead, raw, lead_raw))
            text, raw = line, line_raw
        else:
            text, raw = candidate, both
    if started:
        chunks.append(Passage(text.encode(), counts.tokens(raw), n, "\n", lead, raw, lead_raw))
    return chunks


def _cut_sentences(
    sentences: list[str], n: int, counts: Counts, max_tokens: int, lead: str, lead_raw: int
) -> list[Passage]:
    """One long line in chunks of whole sentences. Each sentence is counted once, and a
    chunk's count is its sentences' summed with what the space before each adds
    (:meth:`Counts.space`, exact); where that is not known, the chunk is counted whole.
    (Counting each growing chunk whole encoded a paragraph of k sentences k/2 times over.)"""
    chunks: list[Passage] = []
    current: list[str] = []
    raw = 0  # the raw count of the sentences in ``current``, joined by spaces

    def chunk() -> Passage:
        text = " ".join(current)
        space = counts.space(text) if chunks else -1
        return Passage(text.encode(), counts.tokens(raw), n, " ", lead, raw, lead_raw, space)

    for sentence in sentences:
        sentence_raw = counts.count(sentence)
        if not current:
            current, raw = [sentence], sentence_raw
            continue
        space = counts.space(sentence)
        both = (
            raw + space + sentence_raw
            if space >= 0
            else counts.count(" ".join([*current, sentence]))
        )
        if counts.tokens(both) > max_tokens:
            chunks.append(chunk())
            current, raw = [sentence], sentence_raw
        else:
            current.append(sentence)
            raw = both
    if current:
        chunks.append(chunk())
    return chunks
