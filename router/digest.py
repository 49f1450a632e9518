"""The router digest: every shard's id and one-liner, the first thing get_context returns.

It comes in three sizes (:data:`DIGEST_FORMS`, largest first) so packing can fall back to a
shorter one when the full digest would take too much of the budget.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the snapshot renders its own digest: import its types for checking only
    from router.snapshot import IndexedShard

DIGEST_FORMS = ("full", "short", "ids")


def render_digest(shards: Iterable[IndexedShard], form: str = "full") -> str:
    """The router digest: every shard's id and one-liner, in one of three sizes.

    ``full``: id, title, summary, tokens; ``short``: id and title; ``ids``: one line of ids.
    """
    items = list(shards)
    head = f"# Context index: {len(items)} shard{'s' if len(items) != 1 else ''}"
    if form == "ids":
        return f"{head}: " + ", ".join(f"`{s.id}`" + (" (stale)" if s.stale else "") for s in items)
    lines = [head]
    for s in items:
        flag = " (stale)" if s.stale else ""
        if form == "short":
            lines.append(f"- `{s.id}` {s.title}{flag}")
        else:
            about = f" — {s.header.summary}" if s.header.summary else ""
            lines.append(f"- `{s.id}` {s.title}{about} ({s.tokens:,} tokens){flag}")
    return "\n".join(lines)
