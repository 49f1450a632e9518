"""Text as Notion blocks: paragraphs of rich text runs, batched to Notion's request limits.

Notion's documented limits (https://developers.notion.com/reference/request-limits) count text
in UTF-16 code units, as Notion (JavaScript) does: an emoji is two.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

MAX_CHILDREN_PER_APPEND = 100
MAX_RICH_TEXT_PER_BLOCK = 100
MAX_TEXT_PER_RICH_TEXT = 2000
MAX_PAGE_SIZE = 100
MAX_LINE_UNITS = MAX_RICH_TEXT_PER_BLOCK * MAX_TEXT_PER_RICH_TEXT
# A request may carry 500 KB; keep each append below that with room for the JSON envelope.
PAYLOAD_BUDGET_BYTES = 450_000
MAX_LINE_BYTES = 400_000

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean(text: str) -> str:
    """``text`` with lone surrogates (JSON "\\ud800" escapes decode to them) as U+FFFD:
    they cannot be encoded as UTF-8, so a request carrying one would fail to send."""
    return _SURROGATE.sub("\ufffd", text)


def js_length(text: str) -> int:
    """Length as Notion counts it: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def json_size(value: object) -> int:
    """Bytes ``value`` takes in a request body (httpx encodes JSON this way)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def split_text(text: str) -> list[str]:
    """``text`` in pieces of at most MAX_TEXT_PER_RICH_TEXT units, never splitting a character."""
    pieces: list[str] = []
    start = units = 0
    for i, ch in enumerate(text):
        width = 2 if ord(ch) > 0xFFFF else 1
        if units + width > MAX_TEXT_PER_RICH_TEXT:
            pieces.append(text[start:i])
            start, units = i, 0
        units += width
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _cut(line: str, keep: int) -> str:
    return f"{line[:keep]}… [truncated {len(line) - keep} chars]"


def _line_fits(text: str) -> bool:
    return js_length(text) <= MAX_LINE_UNITS and json_size(text) <= MAX_LINE_BYTES


def fit_line(line: str) -> str:
    """The line, or its longest head that fits one block, with a visible marker of the cut."""
    if len(line) <= MAX_LINE_UNITS // 6 or _line_fits(line):
        return line
    lo, hi = 0, min(len(line), MAX_LINE_UNITS)
    while lo < hi:  # the longest head whose cut form fits; fitting is monotone in the head
        mid = (lo + hi + 1) // 2
        if _line_fits(_cut(line, mid)):
            lo = mid
        else:
            hi = mid - 1
    return _cut(line, lo)


def paragraph(line: str) -> dict[str, Any]:
    """A paragraph block holding ``line`` (which must fit one block: :func:`fit_line`)."""
    rich_text = [{"type": "text", "text": {"content": piece}} for piece in split_text(line)]
    return {"object": "block", "type": "paragraph", "paragraph": {"rich_text": rich_text}}


def paragraph_text(block: dict[str, Any]) -> str:
    """The plain text of a paragraph block; ``""`` for any other block."""
    if block.get("type") != "paragraph":
        return ""
    return "".join(rt.get("plain_text", "") for rt in block["paragraph"]["rich_text"])


def batches(blocks: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Blocks in order, at most MAX_CHILDREN_PER_APPEND and PAYLOAD_BUDGET_BYTES a request."""
    batch: list[dict[str, Any]] = []
    size = 0
    for block in blocks:
        block_size = json_size(block) + 1
        if batch and (
            len(batch) >= MAX_CHILDREN_PER_APPEND or size + block_size > PAYLOAD_BUDGET_BYTES
        ):
            yield batch
            batch, size = [], 0
        batch.append(block)
        size += block_size
    if batch:
        yield batch
