"""Cutting a section body into passages, the units of partial text that selection scores.

A passage is a markdown block (blocks end at blank lines outside code fences). A block shorter
than ``min_tokens`` joins the next one ("Steps:" with its list); one longer than ``max_tokens``
is cut into chunks of whole lines, or of sentences when it is one long line, and a table's
chunks keep its header rows as ``lead``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shards import Tokenizer

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")


@dataclass(frozen=True, slots=True)
class Passage:
    """A paragraph, list, table chunk or code block of a section: the unit of partial text."""

    text: str
    tokens: int
    block: int  # chunks cut from one markdown block share it
    sep: str = "\n"  # what joins it to the previous chunk of the same block
    lead: str = ""  # a table's header rows, repeated when the chunk is shown alone


def split_passages(
    body: str, tokenizer: Tokenizer, *, max_tokens: int, min_tokens: int
) -> tuple[Passage, ...]:
    """Blocks at blank lines outside code fences; tiny blocks join the next, big ones are cut."""
    blocks: list[str] = []
    current: list[str] = []
    fence: str | None = None
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
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    merged: list[str] = []
    carry = ""
    for block in blocks:
        block = f"{carry}\n\n{block}" if carry else block
        carry = ""
        if tokenizer.count(block) < min_tokens:
            carry = block
        else:
            merged.append(block)
    if carry:
        if merged:
            merged[-1] = f"{merged[-1]}\n\n{carry}"
        else:
            merged.append(carry)
    out: list[Passage] = []
    for n, block in enumerate(merged):
        tokens = tokenizer.count(block)
        if tokens <= max_tokens:
            out.append(Passage(block, tokens, n))
        else:
            out.extend(_cut(block, n, tokenizer, max_tokens))
    return tuple(out)


def _cut(block: str, n: int, tokenizer: Tokenizer, max_tokens: int) -> list[Passage]:
    """A long block in chunks of whole lines (a table keeps its header rows as ``lead``)."""
    lines = block.split("\n")
    lead = ""
    if (
        len(lines) > 2
        and lines[0].lstrip().startswith("|")
        and set(lines[1].strip()) <= set("|-: ")
    ):
        lead, lines = "\n".join(lines[:2]), lines[2:]
    sep = "\n"
    if len(lines) == 1:  # one long prose line: cut at sentence ends instead
        lines, sep = _SENTENCE.split(lines[0]), " "
    chunks: list[Passage] = []
    current: list[str] = []
    for line in lines:
        candidate = sep.join([*current, line])
        if current and tokenizer.count(candidate) > max_tokens:
            text = sep.join(current)
            chunks.append(Passage(text, tokenizer.count(text), n, sep, lead))
            current = [line]
        else:
            current.append(line)
    if current:
        text = sep.join(current)
        chunks.append(Passage(text, tokenizer.count(text), n, sep, lead))
    return chunks
