"""The fixed texts an answer is made of besides the index's own: provenance lines, the mark of
left-out passages and the footer. Packing writes them; the index counts them ahead of time
(:meth:`router.model.IndexSnapshot.fixed_raws`), so an answer from a saved index is counted
without loading the tokenizer's encoder."""

from __future__ import annotations

from typing import Protocol

#: Marks passages of a section left out of its excerpt.
ELLIPSIS = "[…]"

_WHY = {True: "<!-- budget reached: ", False: "<!-- weaker matches left out: "}
_MORE = {
    True: " more sections; ask for a shard by id -->",
    False: " more section; ask for a shard by id -->",
}

#: Footer counts counted ahead of time (more is rare, and counted when it comes).
_COUNTED_MORE = 100

#: Every fixed text of an answer but the provenance lines, which depend on the index.
FIXED_TEXTS: tuple[str, ...] = (
    ELLIPSIS,
    *_WHY.values(),
    *_MORE.values(),
    *(str(n) for n in range(1, _COUNTED_MORE)),
)


class _Shard(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def updated(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def stale(self) -> tuple[str, ...]: ...


def section_line(path: tuple[str, ...], *, partial: bool) -> str:
    """The provenance line above a section (its path; ``partial`` when excerpted)."""
    where = " > ".join(path) or "(intro)"
    return f"<!-- section: {where}{' · partial' if partial else ''} -->"


def shard_line(shard: _Shard) -> str:
    """The provenance line written once above a shard's sections."""
    updated = f" · updated {shard.updated}" if shard.updated else ""
    stale = " · STALE: " + "; ".join(shard.stale) if shard.stale else ""
    return f"<!-- shard: {shard.id} · {shard.title}{updated} · {shard.url}{stale} -->"


def footer_parts(weak: int, over: int) -> tuple[str, str, str] | None:
    """The footer naming how many sections were left out, in three parts that cl100k_base's
    pattern always cuts apart (``": "`` then digits then ``" more"``), so its count is the
    parts' counts summed; None when nothing was left out."""
    if not weak and not over:
        return None
    more = weak + over
    return _WHY[bool(over)], str(more), _MORE[more > 1]
