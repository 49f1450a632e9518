"""The fixed texts an answer is made of besides the index's own: provenance lines, the mark of
left-out passages and the footer. Packing writes them; the index counts them ahead of time
(:meth:`router.model.IndexSnapshot.fixed_raws`), so an answer from a saved index is counted
without loading the tokenizer's encoder."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from router._passages import Counts
    from router.model import IndexedShard

#: Marks passages of a section left out of its excerpt.
ELLIPSIS = "[…]"

_WHY = {True: "<!-- budget reached: ", False: "<!-- weaker matches left out: "}
_MORE = {
    True: " more sections; ask for a shard by id -->",
    False: " more section; ask for a shard by id -->",
}

#: Every fixed text of an answer but the provenance lines, which depend on the index: the
#: mark, the footer's words, and every run of one to three digits (a count is cut into those).
FIXED_TEXTS: tuple[str, ...] = (
    ELLIPSIS,
    *_WHY.values(),
    *_MORE.values(),
    *(f"{n:0{width}d}" for width in (1, 2, 3) for n in range(10**width)),
)


def section_line(path: tuple[str, ...], *, partial: bool) -> str:
    """The provenance line above a section (its path; ``partial`` when excerpted)."""
    where = " > ".join(path) or "(intro)"
    return f"<!-- section: {where}{' · partial' if partial else ''} -->"


#: A section line's parts around its path (see :class:`LineCounter`).
_LINE_HEAD = "<!-- section:"
_LINE_TAILS = (" -->", " · partial -->")
_PATH_SEP = " >"


class LineCounter:
    """Raw counts of the sections' provenance lines, one page's sections in order, mostly
    without encoding a line: counting 48,000 of them whole added a second to a 20 MB build.

    cl100k_base's pattern always cuts ``<!-- section: A > B · partial -->`` at ``": "``,
    before each ``" >"`` and before the tail (a piece never takes a space and goes on, and
    ``" >"``, ``" ·"`` take the space before them), so its count is the head's, plus
    ``raw(" " + title)`` per title and ``raw(" >")`` between them, plus the tail's. And a
    heading ``"## " + title`` is cut after its ``"##"``, so ``raw(" " + title)`` is the
    heading's count (known from the build) less the hashes'. A title that is not its
    heading's exact text, or whose parent is not in the page, is counted itself;
    ``tests/router/test_render.py`` checks every section of the example corpora.
    """

    def __init__(self, counts: Counts) -> None:
        self._counts = counts
        self._paths: dict[tuple[str, ...], int] = {}  # path -> raw(" " + its where)
        self._fixed: dict[str, int] = {}  # the head, tails, separator and hashes

    def _count(self, text: str) -> int:
        found = self._fixed.get(text)
        if found is None:
            found = self._fixed[text] = self._counts.count(text)
        return found

    def raws(
        self, path: tuple[str, ...], level: int, heading: str, heading_raw: int
    ) -> tuple[int, int]:
        """The raw counts of the section's line whole and partial."""
        count = self._counts.count
        if self._counts.summing is None or not path:
            return count(section_line(path, partial=False)), count(section_line(path, partial=True))
        title = path[-1]
        if title and title == title.strip() and heading == "#" * level + " " + title:
            own = heading_raw - self._count("#" * level)
        else:
            own = count(" " + title)
        parent = self._paths.get(path[:-1]) if len(path) > 1 else 0
        if parent is None:
            where = count(" " + " > ".join(path))
        else:
            where = parent + (self._count(_PATH_SEP) if len(path) > 1 else 0) + own
        self._paths[path] = where
        line = self._count(_LINE_HEAD) + where
        return line + self._count(_LINE_TAILS[0]), line + self._count(_LINE_TAILS[1])


def shard_line(shard: IndexedShard) -> str:
    """The provenance line written once above a shard's sections."""
    updated = f" · updated {shard.updated}" if shard.updated else ""
    stale = " · STALE: " + "; ".join(shard.stale) if shard.stale else ""
    return f"<!-- shard: {shard.id} · {shard.title}{updated} · {shard.url}{stale} -->"


def footer_parts(weak: int, over: int) -> tuple[str, ...] | None:
    """The footer naming how many sections were left out, in parts that cl100k_base's pattern
    always cuts apart (``": "``, the count's digits three at a time from the left, then
    ``" more"``), so its count is the parts' counts summed; None when nothing was left out."""
    if not weak and not over:
        return None
    more = weak + over
    digits = str(more)
    groups = (digits[n : n + 3] for n in range(0, len(digits), 3))
    return _WHY[bool(over)], *groups, _MORE[more > 1]
