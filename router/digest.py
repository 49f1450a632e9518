"""The router digest: what the index holds, the first thing get_context returns.

It comes in three sizes (:data:`DIGEST_FORMS`, largest first) so packing can fall back to a
shorter one when the full digest would take too much of the budget.

While every shard fits on one router page, the digest lists every shard (id and one-liner).
When the router page has two levels (:mod:`router.router_tree`), so does the digest: it lists
the domains of the top router, one line each (a large domain the top router lists in parts
is still one line here), so it stays about as small at 2,000 shards as at 20. The shards a
task needs still come back in full, each piece under its shard id; a caller who wants a
domain's other shards passes their ids (the ``first … last`` range on the domain's line, or
``list_shards``) or reads the domain's router page.

The digest of a snapshot is computed once per form (the snapshot's shard tuple is the key).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from router.domains import Domain, group_domains
from router.router_tree import one_page_fits
from router.sync import router_rows

if TYPE_CHECKING:  # the snapshot renders its own digest: import its types for checking only
    from router.snapshot import IndexedShard

DIGEST_FORMS = ("full", "short", "ids")

_lock = threading.Lock()
_cached: tuple[tuple[IndexedShard, ...] | None, dict[str, str], list[tuple[Domain, ...]]] = (
    None,
    {},
    [],
)


def render_digest(shards: Iterable[IndexedShard], form: str = "full") -> str:
    """The router digest in one of three sizes.

    One level: ``full`` is id, title, summary and tokens per shard; ``short`` id and title;
    ``ids`` one line of ids. Two levels: ``full`` is per domain its title, router page,
    shard count, tokens and first and last shard id; ``short`` title and shard count;
    ``ids`` one line of domain ids.
    """
    items = shards if isinstance(shards, tuple) else tuple(shards)
    global _cached
    with _lock:
        key, texts, known = _cached
        if key is not items:
            key, texts, known = items, {}, []
            _cached = (key, texts, known)
        if form not in texts:
            if not known:
                known.append(domains_of(items))
            domains = known[0]
            texts[form] = _two_level(items, domains, form) if domains else _flat(items, form)
        return texts[form]


def domains_of(shards: Sequence[IndexedShard]) -> tuple[Domain, ...]:
    """The top router's domains for these shards; () while one router page holds them all.

    Measured as the index sync lays the router out, with a fresh header and no notes (an
    operator's long notes can make the real router go to two levels a little sooner).
    """
    live = [s for s in shards if s.header.status != "archived"]
    if one_page_fits(router_rows((s.header, s.page_id, s.url) for s in live)):
        return ()
    return group_domains(s.header for s in live)


def _flat(items: Sequence[IndexedShard], form: str) -> str:
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


def _two_level(items: Sequence[IndexedShard], domains: Sequence[Domain], form: str) -> str:
    by_id = {s.id: s for s in items}
    head = f"# Context index: {len(items):,} shards in {len(domains)} domains"
    if form == "ids":
        return f"{head}: " + ", ".join(d.id for d in domains)
    lines = [head]
    for d in domains:
        members = [by_id[i] for i in d.shards if i in by_id]
        count = f"{len(members)} shard{'s' if len(members) != 1 else ''}"
        stale = sum(1 for s in members if s.stale)
        flag = f", {stale} stale" if stale else ""
        if form == "short":
            lines.append(f"- {d.title}: {count}{flag}")
            continue
        tokens = sum(s.tokens for s in members)
        span = f"`{members[0].id}`" + (f" … `{members[-1].id}`" if len(members) > 1 else "")
        lines.append(f"- {d.title} — {count}, {tokens:,} tokens{flag}: {span}")
    return "\n".join(lines)
