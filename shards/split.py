"""Splitting a monolithic Context Index page into domain shards.

One shard per top-level domain section. The domain level is the ``--level`` the operator gives,
else the level under a single page title (``# Context Index`` then ``## Domain`` -> 2), else
the shallowest level used more than once. Domains under ``min_shard_tokens`` merge into their
neighbour; domains over ``max_shard_tokens`` split into numbered parts at the next heading
level, at deeper ones where a subsection is still over, and between blocks (blank lines outside
code fences and toggles) where a section has no heading left to cut at: the long notes,
meeting logs and pasted articles of an operator's pages. Each shard gets a generated header
(:mod:`shards.describe`); :func:`apply_split` writes the shards and keeps operator-owned header
fields of shards that already exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from shards.delta import HEADER_SOFT_LIMIT_BYTES, ClaudeDelta, header_size
from shards.describe import DescribeOptions, entities, fetch_terms, summarize
from shards.errors import PageError, SplitError
from shards.page import (
    Page,
    Section,
    content_hash,
    parse_page,
    render_page,
    slugify,
    split_sections,
)
from shards.refresh import refreshed_header
from shards.store import PageStore
from shards.tokens import Tokenizer

Progress = Callable[[int, int], None]
#: Tokens allowed for each blank-line join when parts are summed group by group.
_JOIN_TOKENS = 2


@dataclass(frozen=True)
class SplitOptions:
    """How a monolith is cut.

    level: heading level of the domain sections (1-6); None picks it from the document.
    max_shard_tokens: a domain larger than this splits at its next heading level.
    min_shard_tokens: a domain smaller than this merges into its neighbour.
    max_bytes: monoliths larger than this are refused (split them by hand first).
    reserved_ids: page ids a shard may not take (the router, the webhook log).
    """

    level: int | None = None
    max_shard_tokens: int = 12_000
    min_shard_tokens: int = 300
    max_bytes: int = 64 * 1024 * 1024
    reserved_ids: frozenset[str] = frozenset({"router"})
    describe: DescribeOptions = field(default_factory=DescribeOptions)


@dataclass(frozen=True)
class ShardPlan:
    """A shard to write: generated header (no machine fields yet) and body."""

    header: ClaudeDelta
    body: str


@dataclass(frozen=True)
class SplitPlan:
    title: str  # the monolith's page title, if it has one
    intro: str  # text before the first domain (it becomes the router's notes on first split)
    level: int
    shards: tuple[ShardPlan, ...]
    warnings: tuple[str, ...]


@dataclass
class _Domain:
    title: str
    sections: list[Section]
    tokens: int = 0

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections)


def plan_split(
    text: str,
    tokenizer: Tokenizer,
    options: SplitOptions | None = None,
    *,
    source: str = "monolith",
    progress: Progress | None = None,
) -> SplitPlan:
    """Cut ``text`` into shards; raises :class:`SplitError` naming ``source`` on bad input."""
    opts = options or SplitOptions()
    size = len(text.encode())
    if size > opts.max_bytes:
        raise SplitError(
            f"{source}: {size / 1e6:.1f} MB is over the {opts.max_bytes / 1e6:.0f} MB limit",
            hint="Split it by hand into a few files at its top-level headings and split each.",
        )
    # A UTF-8 byte order mark (Windows editors) would hide the first heading from markdown-it.
    text = text.removeprefix("\ufeff")
    body = parse_page(text, page_id="monolith").body if text.lstrip().startswith("```") else text
    if not body.strip():
        raise SplitError(f"{source} is empty", hint="Give the path of the monolithic index page.")
    sections = list(split_sections(body))
    headed = [s for s in sections if s.level]
    if not headed:
        raise SplitError(
            f"{source} has no markdown headings, so there is nothing to split on",
            hint="Start each domain with a heading line such as '## Infrastructure'.",
        )
    level = opts.level or _domain_level(headed)
    if not any(s.level == level for s in headed):
        used = sorted({s.level for s in headed})
        raise SplitError(
            f"{source} has no level-{level} headings (levels used: {used})",
            hint="Pass --level with one of the levels used.",
        )
    title, intro, domains = _group(sections, level)
    total = len(domains)
    for n, domain in enumerate(domains, 1):
        domain.tokens = tokenizer.count(domain.text)
        if progress:
            progress(n, total)
    warnings: list[str] = []
    domains = _merge_small(domains, opts.min_shard_tokens, warnings)
    parts = _split_large(domains, level, opts.max_shard_tokens, tokenizer, warnings)
    shards = _headers(parts, opts, warnings)
    return SplitPlan(title, intro, level, tuple(shards), tuple(warnings))


def _domain_level(headed: list[Section]) -> int:
    levels = [s.level for s in headed]
    top = min(levels)
    if levels.count(top) == 1 and any(lv > top for lv in levels):
        return min(lv for lv in levels if lv > top)
    return top


def _group(sections: list[Section], level: int) -> tuple[str, str, list[_Domain]]:
    title = ""
    intro: list[str] = []
    domains: list[_Domain] = []
    for section in sections:
        if section.level == level or (domains and 0 < section.level < level):
            domains.append(_Domain(section.title, [section]))
        elif domains:
            domains[-1].sections.append(section)
        elif section.level and section.level < level and not title:
            title = section.title
            rest = section.text.split("\n", 1)[1].strip() if "\n" in section.text else ""
            if rest:
                intro.append(rest)
        else:
            intro.append(section.text)
    return title, "\n\n".join(intro).strip(), domains


def _merge_small(domains: list[_Domain], minimum: int, warnings: list[str]) -> list[_Domain]:
    if len(domains) < 2:
        return domains
    merged: list[_Domain] = []
    pending: _Domain | None = None
    for domain in domains:
        if pending is not None:
            domain = _Domain(
                f"{pending.title} & {domain.title}",
                pending.sections + domain.sections,
                pending.tokens + domain.tokens,
            )
            pending = None
        if domain.tokens < minimum:
            if merged:
                prev = merged.pop()
                warnings.append(
                    f"section {domain.title!r} ({domain.tokens} tokens) is under "
                    f"{minimum} tokens: merged into {prev.title!r}"
                )
                domain = _Domain(
                    f"{prev.title} & {domain.title}",
                    prev.sections + domain.sections,
                    prev.tokens + domain.tokens,
                )
            else:
                warnings.append(
                    f"section {domain.title!r} ({domain.tokens} tokens) is under "
                    f"{minimum} tokens: merged into the next section"
                )
                pending = domain
                continue
        merged.append(domain)
    if pending is not None:
        merged.append(pending)
    return merged


def _split_large(
    domains: list[_Domain],
    level: int,
    maximum: int,
    tokenizer: Tokenizer,
    warnings: list[str],
) -> list[_Domain]:
    out: list[_Domain] = []
    for domain in domains:
        if domain.tokens <= maximum:
            out.append(domain)
            continue
        # Counts are summed per group, but a part's page also gets a "## Title (n/N)" lead line
        # and a blank line at every join (which can shift token boundaries): reserve room for
        # both, so a part never ends up a few tokens over the maximum.
        lead_tokens = tokenizer.count(f"{'#' * level} {domain.title} (9999/9999)")
        cuts: set[str] = set()
        groups = _fitting(domain.sections, level, maximum - lead_tokens, tokenizer, cuts)
        parts: list[_Domain] = []
        for group, group_tokens in groups:
            if parts and parts[-1].tokens + group_tokens <= maximum:
                parts[-1].sections.extend(group)
                parts[-1].tokens += group_tokens
            else:
                parts.append(_Domain(domain.title, list(group), lead_tokens + group_tokens))
        if len(parts) == 1:
            warnings.append(
                f"section {domain.title!r} has {domain.tokens} tokens (over {maximum}) but no "
                "heading or blank line to split at: kept whole"
            )
            out.append(domain)
            continue
        where = f"at its level-{level + 1} headings"
        if cuts == {"headings"}:
            where = "at its headings, deeper ones where a subsection is over the maximum"
        elif "blocks" in cuts:
            where = "at its headings and, where a section has none left, between blocks"
        warnings.append(
            f"section {domain.title!r} has {domain.tokens} tokens (over {maximum}): "
            f"split into {len(parts)} parts {where}"
        )
        over = [n for n, part in enumerate(parts, 1) if part.tokens > maximum]
        if over:
            warnings.append(
                f"section {domain.title!r}: part(s) {', '.join(map(str, over))} still over "
                f"{maximum} tokens (a single block that cannot be cut)"
            )
        for n, part in enumerate(parts, 1):
            part.title = f"{domain.title} ({n}/{len(parts)})"
            if n > 1:
                lead = Section(
                    "", part.title, level, (part.title,), f"{'#' * level} {part.title}", 0
                )
                part.sections.insert(0, lead)
            out.append(part)
    return out


def _fitting(
    sections: list[Section],
    level: int,
    limit: int,
    tokenizer: Tokenizer,
    cuts: set[str],
    *,
    deeper: bool = False,
) -> list[tuple[list[Section], int]]:
    """``sections`` (a subtree under a level-``level`` heading) in groups with their tokens:
    the lead-in, then each next-level subsection with its own subtree; a group over ``limit``
    is cut at its own next level in turn (``deeper``), and a single section with no heading
    left to cut at, between its blocks (``cuts`` says which of those happened)."""
    groups: list[list[Section]] = [[sections[0]]]
    for section in sections[1:]:
        if section.level == level + 1 or (len(groups) == 1 and section.level <= level + 1):
            groups.append([section])
        else:
            groups[-1].append(section)
    if deeper and len(groups) > 1:
        cuts.add("headings")
    out: list[tuple[list[Section], int]] = []
    for group in groups:
        tokens = tokenizer.count("\n\n".join(s.text for s in group)) + _JOIN_TOKENS
        if tokens <= limit:
            out.append((group, tokens))
        elif len(group) > 1 and level < 6:
            out += _fitting(group, level + 1, limit, tokenizer, cuts, deeper=True)
        elif len(group) == 1 and len(chunks := _chunks(group[0], limit, tokenizer)) > 1:
            cuts.add("blocks")
            out += chunks
        else:
            out.append((group, tokens))
    return out


_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})")


def _chunks(section: Section, limit: int, tokenizer: Tokenizer) -> list[tuple[list[Section], int]]:
    """A section's text cut at blank lines into pieces of whole blocks, each within ``limit``
    where its blocks allow (a block over it is a piece of its own). No cut falls inside a
    code fence (nested in a list item too) or a ``<details>`` toggle."""
    lines = section.text.split("\n")
    cuts = [0]  # where each block starts
    fence, toggles, blank = "", 0, False
    for n, line in enumerate(lines):
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence = ""
            continue
        if not stripped:
            blank = True
            continue
        if blank and not toggles and n > cuts[-1]:
            cuts.append(n)
        blank = False
        opening = _FENCE.match(line)
        if opening:
            fence = opening.group(1)
        toggles = max(0, toggles + stripped.count("<details") - stripped.count("</details>"))
    if section.level and len(cuts) > 1 and sum(bool(t.strip()) for t in lines[: cuts[1]]) == 1:
        del cuts[1]  # a heading alone stays with the block after it
    cuts.append(len(lines))
    blocks = ["\n".join(lines[a:b]).strip("\n") for a, b in pairwise(cuts)]
    pieces: list[list[int]] = []  # [first block, block after the last, tokens]
    for n, block in enumerate(blocks):
        tokens = tokenizer.count(block) + _JOIN_TOKENS
        if pieces and pieces[-1][2] + tokens <= limit:
            pieces[-1][1:] = [n + 1, pieces[-1][2] + tokens]
        else:
            pieces.append([n, n + 1, tokens])
    return [
        (
            [
                replace(
                    section,
                    text="\n\n".join(blocks[first:end]),
                    start_line=section.start_line + cuts[first],
                )
            ],
            tokens,
        )
        for first, end, tokens in pieces
    ]


def _headers(domains: list[_Domain], opts: SplitOptions, warnings: list[str]) -> list[ShardPlan]:
    taken = set(opts.reserved_ids)
    plans: list[ShardPlan] = []
    for domain in domains:
        base = slugify(domain.title.split(" & ")[0].split(" (")[0], max_length=48)
        suffix = domain.title.rsplit("(", 1)[1].split("/")[0] if domain.title.endswith(")") else ""
        slug = f"{base}-{suffix}" if suffix.isdigit() and suffix != "1" else base
        if slug in taken:
            n = 2
            while f"{slug}-{n}" in taken:
                n += 1
            warnings.append(f"two sections are titled {domain.title!r}: ids {slug}, {slug}-{n}")
            slug = f"{slug}-{n}"
        taken.add(slug)
        text = domain.text
        header = ClaudeDelta(
            page_type="shard",
            id=slug,
            title=domain.title,
            summary=summarize(domain.sections, opts.describe),
            fetch_when=fetch_terms(domain.sections, opts.describe),
            related_entities=entities(text, opts.describe),
        )
        plans.append(ShardPlan(_fit(header), text))
    return plans


def describe_page(
    page_id: str,
    body: str,
    *,
    taken: frozenset[str] = frozenset(),
    options: DescribeOptions | None = None,
) -> ClaudeDelta:
    """A generated shard header for a page written by hand (``brain sync --adopt``).

    The title is the page's first heading (else its id); the id is the title's slug, made
    unique against ``taken``; summary, fetch_when and related_entities come from the text as
    in a split.
    """
    sections = list(split_sections(body))
    title = next((s.title for s in sections if s.level and s.title.strip()), "") or page_id
    slug = base = slugify(
        page_id if page_id and slugify(page_id) == page_id else title, max_length=48
    )
    n = 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    header = ClaudeDelta(
        page_type="shard",
        id=slug,
        title=title,
        summary=summarize(sections, options),
        fetch_when=fetch_terms(sections, options),
        related_entities=entities(body, options),
    )
    return _fit(header)


# The widest machine fields the index sync adds to a shard header (tokens up to 999,999).
_MACHINE_PLACEHOLDERS: dict[str, Any] = {
    "tokens": 999_999,
    "content_hash": "sha256:" + "0" * 64,
    "updated_at": datetime(2000, 1, 1, tzinfo=UTC),
}


def _fit(header: ClaudeDelta, limit: int = HEADER_SOFT_LIMIT_BYTES) -> ClaudeDelta:
    """Trim generated fields until the header, machine fields included, fits the limit.

    Measured with the machine fields filled in, so a synced header is not reported as over
    512 bytes; when the first trims are not enough (long subsection titles), entities and
    then fetch_when terms go too, down to one term.
    """

    def size(h: ClaudeDelta) -> int:
        return header_size(h.model_copy(update=_MACHINE_PLACEHOLDERS))

    while size(header) > limit:
        if len(header.related_entities) > 2:
            header = header.model_copy(update={"related_entities": header.related_entities[:-1]})
        elif len(header.fetch_when) > 3:
            header = header.model_copy(update={"fetch_when": header.fetch_when[:-1]})
        elif len(header.summary) > 60:
            cut = header.summary[:59].rsplit(" ", 1)[0].rstrip(",;:")
            header = header.model_copy(update={"summary": cut + "…"})
        elif header.related_entities:
            header = header.model_copy(update={"related_entities": header.related_entities[:-1]})
        elif len(header.fetch_when) > 1:
            header = header.model_copy(update={"fetch_when": header.fetch_when[:-1]})
        else:
            break
    return header


# -- writing a plan -----------------------------------------------------------------------


@dataclass(frozen=True)
class SplitResult:
    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    orphaned: tuple[str, ...]  # shards in the workspace that the monolith no longer has
    blocked: tuple[str, ...] = ()  # pages named like a shard but not valid shards: untouched


def apply_split(
    plan: SplitPlan,
    store: PageStore,
    *,
    tokenizer: Tokenizer | None = None,
    now: datetime | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> SplitResult:
    """Write the planned shards; existing shards keep their operator-owned header fields.

    With a ``tokenizer`` and ``now`` the machine fields are filled in as the page is
    written (so the sync that follows has nothing to rewrite: one write per shard);
    without them they are left for the index sync. ``progress(shard id, done, total)`` is
    called after each shard. A run that stopped part way is simply run again: finished
    shards are found by their header id and left alone. Shards the monolith no longer has
    are reported as orphaned and left alone: deleting an operator's page is never automatic.
    A page that has a shard's id as its name but no valid shard header (broken, missing,
    unreadable) is reported as blocked and never overwritten: it may hold the operator's work.
    """
    pages: dict[str, Page] = {}
    unreadable: set[str] = set()
    names: dict[str, str] = {}  # page name (a Notion title) -> page id
    for ref in store.list_pages():
        names[ref.name or ref.id] = ref.id
        try:
            pages[ref.id] = parse_page(store.read(ref.id).text, page_id=ref.id)
        except PageError:
            unreadable.add(ref.id)
    existing: dict[str, str] = {}  # shard id -> page id
    for page_id, page in sorted(pages.items()):
        if page.header is not None and page.header.page_type == "shard":
            existing.setdefault(page.header.id, page_id)
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    blocked: list[str] = []
    for done, shard in enumerate(plan.shards, 1):
        page_id, header = shard.header.id, shard.header
        if page_id in existing:
            page_id = existing[page_id]
            current = pages[page_id]
            assert current.header is not None
            header = merge_operator_fields(current.header, header)
            same_body = content_hash(current.body) == content_hash(shard.body)
            if current.header == header and same_body:
                unchanged.append(page_id)
                if progress is not None:
                    progress(shard.header.id, done, len(plan.shards))
                continue
            updated.append(page_id)
        elif page_id in names or page_id in unreadable:
            blocked.append(page_id)
            continue
        else:
            created.append(page_id)
        if tokenizer is not None and now is not None:
            fresh = refreshed_header(Page(page_id, header, shard.body), tokenizer, now)
            header = fresh or header
        store.write(page_id, render_page(header, shard.body))
        if progress is not None:
            progress(shard.header.id, done, len(plan.shards))
    planned = {s.header.id for s in plan.shards}
    orphaned = tuple(pid for sid, pid in sorted(existing.items()) if sid not in planned)
    return SplitResult(tuple(created), tuple(updated), tuple(unchanged), orphaned, tuple(blocked))


def merge_operator_fields(old: ClaudeDelta, generated: ClaudeDelta) -> ClaudeDelta:
    """The existing header wins for every operator-owned and unknown field it fills in.

    A field the old header leaves empty takes the generated value. Machine fields come from
    ``old`` too, so an unchanged body is not marked changed; the index sync recomputes them.
    """
    keep: dict[str, Any] = {
        name: getattr(old, name)
        for name in ClaudeDelta.model_fields
        if name not in ("v", "page_type", "id") and getattr(old, name) not in ("", (), None)
    }
    keep.update(old.model_extra or {})
    return generated.model_copy(update=keep)
