"""The index sync: scan every page, refresh changed shards' headers, regenerate the router.

A broken page is reported (page, field, what to fix) and skipped; the rest of the index stays
usable. Only pages whose body changed are rewritten, and the router only when a row changed,
so an idle sync writes nothing. The report ends in one roll-call line::

    Index sync: 6 shards, 1 changed, 0 invalid. No anomalies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from router.router_page import (
    DEFAULT_TITLE,
    ROUTER_ID,
    RouterPage,
    RouterRow,
    parse_router,
    render_router,
    render_router_body,
    router_header,
)
from shards import (
    BrainError,
    ClaudeDelta,
    Page,
    PageStore,
    ReportsUnusable,
    Tokenizer,
    UnusableFile,
    content_hash,
    describe_page,
    header_problems,
    header_size,
    parse_page,
    refreshed_header,
)


@dataclass(frozen=True)
class SyncOptions:
    """What the sync touches.

    router_id: page id of the router page.
    skip: page ids that are never shards (the webhook log pages).
    title: the router's title when a new router page is created.
    """

    router_id: str = ROUTER_ID
    skip: frozenset[str] = frozenset()
    title: str = DEFAULT_TITLE


@dataclass(frozen=True)
class Issue:
    page_id: str
    message: str
    field: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"page": self.page_id, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class ShardStatus:
    id: str
    page_id: str
    title: str
    status: str
    tokens: int | None
    updated_at: str | None
    header_bytes: int
    changed: bool
    url: str
    problems: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "page": self.page_id,
            "title": self.title,
            "status": self.status,
            "tokens": self.tokens,
            "updated_at": self.updated_at,
            "header_bytes": self.header_bytes,
            "changed": self.changed,
            "url": self.url,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class SyncReport:
    shards: tuple[ShardStatus, ...]
    invalid: tuple[Issue, ...]
    router_changed: bool
    router_bytes: int
    dry_run: bool = False
    skipped: tuple[str, ...] = field(default=())
    adopted: tuple[str, ...] = field(default=())  # pages given a generated header
    #: files in the workspace that cannot be pages (links, bad names, ...), never read
    unusable: tuple[UnusableFile, ...] = field(default=())

    @property
    def changed(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.shards if s.changed)

    @property
    def anomalies(self) -> list[str]:
        found = [f"{i.page_id}: {i.message}" for i in self.invalid]
        found += [f"{s.id}: {p}" for s in self.shards for p in s.problems]
        found += [f"{u.file}: {u.reason}" for u in self.unusable]
        return found

    def roll_call(self) -> str:
        files = len(self.unusable)
        unusable = f", {files} unusable file{'' if files == 1 else 's'}" if files else ""
        head = (
            f"Index sync: {len(self.shards)} shards, {len(self.changed)} changed, "
            f"{len(self.invalid)} invalid{unusable}."
        )
        count = len(self.anomalies)
        tail = "No anomalies." if not count else f"{count} anomal{'y' if count == 1 else 'ies'}."
        return f"{head} {tail}"

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.roll_call(),
            "dry_run": self.dry_run,
            "shards": [s.to_json() for s in self.shards],
            "changed": list(self.changed),
            "invalid": [i.to_json() for i in self.invalid],
            "anomalies": self.anomalies,
            "router": {"changed": self.router_changed, "bytes": self.router_bytes},
            "skipped": list(self.skipped),
            "adopted": list(self.adopted),
            "unusable": [u.to_json() for u in self.unusable],
        }


@dataclass(frozen=True)
class Scan:
    """Every page of the store, parsed; what a sync or a listing starts from."""

    shards: tuple[tuple[Page, str], ...]  # (page, url), shard pages with valid headers
    invalid: tuple[Issue, ...]
    router: Page | None
    skipped: tuple[str, ...]
    #: (page, url) of pages with no header block at all (also in ``invalid``): adoptable.
    headerless: tuple[tuple[Page, str], ...] = ()
    #: files the store skipped and why (a local workspace's links, bad names, ...)
    unusable: tuple[UnusableFile, ...] = ()


def scan(store: PageStore, options: SyncOptions | None = None) -> Scan:
    """Read and parse every page; collect shards, the router and the invalid pages."""
    opts = options or SyncOptions()
    shards: list[tuple[Page, str]] = []
    invalid: list[Issue] = []
    skipped: list[str] = []
    router: Page | None = None
    headerless: list[tuple[Page, str]] = []
    seen: dict[str, str] = {}
    for ref in store.list_pages():
        if ref.named(opts.skip):
            skipped.append(ref.id)
            continue
        try:
            page = parse_page(store.read(ref.id).text, page_id=ref.id)
        except BrainError as exc:
            invalid.append(Issue(ref.id, exc.message + (f" {exc.hint}" if exc.hint else "")))
            continue
        if ref.id == opts.router_id:
            router = page
            continue
        if page.header is None:
            assert page.error is not None
            invalid.append(_issue(page.error))
            if page.header_missing:
                headerless.append((page, ref.url))
            continue
        if page.header.page_type != "shard":
            skipped.append(ref.id)
            continue
        shard_id = page.header.id
        if shard_id in seen:
            keep, dup = seen[shard_id], ref.id
            if ref.id == shard_id:
                # The page named after the id keeps it, even when a copy sorts first
                # ("finance-copy" before "finance"): the copy is the one to fix.
                keep, dup = ref.id, seen[shard_id]
                at = next(n for n, (p, _) in enumerate(shards) if p.id == dup)
                shards[at] = (page, ref.url)
                seen[shard_id] = ref.id
            invalid.append(
                Issue(
                    dup,
                    f"shard id {shard_id!r} is already used by page {keep!r}; "
                    "give this page its own id",
                    "id",
                )
            )
            continue
        seen[shard_id] = ref.id
        shards.append((page, ref.url))
    unusable = store.unusable_files() if isinstance(store, ReportsUnusable) else []
    return Scan(
        tuple(shards), tuple(invalid), router, tuple(skipped), tuple(headerless), tuple(unusable)
    )


def sync(
    store: PageStore,
    tokenizer: Tokenizer,
    *,
    now: datetime,
    options: SyncOptions | None = None,
    dry_run: bool = False,
    seed_notes: str = "",
    adopt: bool = False,
) -> SyncReport:
    """Refresh changed shards' machine fields and regenerate the router page.

    ``seed_notes`` become the Notes of a router page created by this sync (a split puts the
    monolith's introduction there); an existing router keeps its own notes. ``adopt`` gives
    pages with no header at all (written by hand) a generated shard header; a page whose
    header is broken is never rewritten, only reported.
    """
    opts = options or SyncOptions()
    found = scan(store, opts)
    shards = list(found.shards)
    invalid = list(found.invalid)
    adopted: list[str] = []
    if adopt:
        taken = {p.header.id for p, _ in shards if p.header} | {opts.router_id}
        for page, url in found.headerless:
            header = describe_page(page.id, page.body, taken=frozenset(taken))
            taken.add(header.id)
            shards.append((Page(page.id, header, page.body), url))
            invalid = [i for i in invalid if i.page_id != page.id]
            adopted.append(page.id)
    statuses: list[ShardStatus] = []
    headers: list[tuple[ClaudeDelta, str, str]] = []  # (header, page id, url)
    for page, url in shards:
        assert page.header is not None
        fresh = refreshed_header(page, tokenizer, now)
        header = fresh or page.header
        if fresh is not None and not dry_run:
            store.write(page.id, Page(page.id, fresh, page.body).render())
        headers.append((header, page.id, url))
        statuses.append(_status(header, page.id, url, changed=fresh is not None))
    router_text = build_router(headers, found.router, opts, tokenizer, now, seed_notes)
    router_changed = found.router is None or router_text != found.router.render()
    if router_changed and not dry_run:
        store.write(opts.router_id, router_text)
    return SyncReport(
        tuple(statuses),
        tuple(invalid),
        router_changed,
        len(router_text.encode()),
        dry_run,
        found.skipped,
        tuple(adopted),
        found.unusable,
    )


def status_of(found: Scan) -> list[ShardStatus]:
    """Shard statuses without writing: a shard whose body no longer matches is 'stale'."""
    out = []
    for page, url in found.shards:
        assert page.header is not None
        stale = page.header.content_hash != page.content_hash or page.header.tokens is None
        out.append(_status(page.header, page.id, url, changed=stale))
    return out


def build_router(
    headers: Iterable[tuple[ClaudeDelta, str, str]],
    existing: Page | None,
    options: SyncOptions,
    tokenizer: Tokenizer,
    now: datetime,
    seed_notes: str = "",
) -> str:
    """The router page text for these shards, keeping the existing page's notes and header."""
    notes, old_header = seed_notes, None
    if existing is not None:
        try:
            old = parse_router(existing.render(), page_id=existing.id)
            notes, old_header = old.notes, old.header
        except BrainError:
            # A broken router is rebuilt; its text after "## Notes" is still kept if present.
            notes = (
                existing.body.split("## Notes", 1)[1].strip("\n")
                if "## Notes" in existing.body
                else ""
            )
    rows = tuple(
        RouterRow(
            id=h.id,
            title=" ".join(h.title.split()),
            holds=" ".join(h.summary.split()),
            fetch_when=tuple(" ".join(t.split()) for t in h.fetch_when if t.strip()),
            tokens=h.tokens,
            updated=h.updated_at.strftime("%Y-%m-%d") if h.updated_at else "",
            page=page_id,
            url=url,
        )
        for h, page_id, url in sorted(headers, key=lambda x: x[0].id)
        if h.status != "archived"
    )
    header = old_header or router_header(options.title)
    body = render_router_body(rows, header.title, notes)
    digest = content_hash(body)
    if header.content_hash != digest or header.tokens is None:
        header = header.model_copy(
            update={
                "tokens": tokenizer.count(body),
                "content_hash": digest,
                "updated_at": now.replace(microsecond=0),
            }
        )
    return render_router(RouterPage(header, rows, notes))


def _status(header: ClaudeDelta, page_id: str, url: str, *, changed: bool) -> ShardStatus:
    return ShardStatus(
        id=header.id,
        page_id=page_id,
        title=header.title,
        status=header.status,
        tokens=header.tokens,
        updated_at=header.model_dump(mode="json")["updated_at"],
        header_bytes=header_size(header),
        changed=changed,
        url=url,
        problems=tuple(header_problems(header)),
    )


def _issue(error: BrainError) -> Issue:
    page_id = getattr(error, "page_id", None) or "?"
    return Issue(
        page_id,
        error.message + (f" {error.hint}" if error.hint else ""),
        getattr(error, "field", None),
    )
