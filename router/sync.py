"""The index sync: scan every page, refresh changed shards' headers, regenerate the router.

A broken page is reported (page, field, what to fix) and skipped; the rest of the index stays
usable. Only pages whose body changed are rewritten, and a router page only when its rows
changed, so an idle sync writes nothing. When the index outgrows one router page the sync
keeps a two-level router (:mod:`router.router_tree`): it creates and updates the domains'
router pages and retires (marks, never deletes) the page of a domain that emptied. The report
ends in one roll-call line::

    Index sync: 6 shards, 1 changed, 0 invalid. No anomalies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from router.router_page import (
    DEFAULT_TITLE,
    ROUTER_ID,
    ROUTER_PAGE_LIMIT_BYTES,
    RouterPage,
    RouterRow,
    domain_router_header,
    empty_bytes,
    parse_router,
    render_router,
    render_router_body,
    router_header,
    with_kind,
)
from shards import (
    BrainError,
    ClaudeDelta,
    Page,
    PageRef,
    PageStore,
    ReportsUnusable,
    Tokenizer,
    UnusableFile,
    content_hash,
    hash_matches,
    header_problems,
    header_size,
    parse_page,
)

if TYPE_CHECKING:
    from router.router_tree import PlannedPage


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
class RouterStatus:
    """One router page as this sync left it (or would leave it, in a dry run)."""

    page_id: str
    bytes: int
    rows: int
    lists: str  # "shards", or "domains" when the rows are router pages
    changed: bool
    retired: bool = False  # a domain page whose domain emptied: marked archived, not deleted
    notes_bytes: int = 0
    parent: str | None = None  # the router page one level up; None for the top router

    @property
    def problem(self) -> str | None:
        if self.bytes <= ROUTER_PAGE_LIMIT_BYTES or self.retired:
            return None
        return (
            f"router page is {self.bytes:,} bytes, over the {ROUTER_PAGE_LIMIT_BYTES:,}-byte "
            f"limit ({self.notes_bytes:,} bytes of it are notes): move long notes to a shard"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "page": self.page_id,
            "bytes": self.bytes,
            "rows": self.rows,
            "lists": self.lists,
            "changed": self.changed,
            "retired": self.retired,
            "parent": self.parent,
        }


@dataclass(frozen=True)
class SyncReport:
    shards: tuple[ShardStatus, ...]
    invalid: tuple[Issue, ...]
    router_changed: bool  # any router page (top or domain) written
    router_bytes: int  # the top router page
    dry_run: bool = False
    skipped: tuple[str, ...] = field(default=())
    adopted: tuple[str, ...] = field(default=())  # pages given a generated header
    notices: tuple[str, ...] = field(default=())  # what the store found that is not a page
    routers: tuple[RouterStatus, ...] = field(default=())  # every router page, top last
    #: files in the workspace that cannot be pages (links, bad names, ...), never read
    unusable: tuple[UnusableFile, ...] = field(default=())

    @property
    def changed(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.shards if s.changed)

    @property
    def anomalies(self) -> list[str]:
        found = [f"{i.page_id}: {i.message}" for i in self.invalid]
        found += [f"{s.id}: {p}" for s in self.shards for p in s.problems]
        found += [f"{r.page_id}: {r.problem}" for r in self.routers if r.problem]
        found += [f"{u.file}: {u.reason}" for u in self.unusable]
        return found + list(self.notices)

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
            "router": {
                "changed": self.router_changed,
                "bytes": self.router_bytes,
                "pages": [r.to_json() for r in self.routers],
            },
            "skipped": list(self.skipped),
            "adopted": list(self.adopted),
            "notices": list(self.notices),
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
    #: (page, url) of the router pages below the top one (domains of a two-level router).
    routers: tuple[tuple[Page, str], ...] = ()
    #: What the store's listing found that is not a page (a database under a Notion root).
    notices: tuple[str, ...] = ()
    #: files the store skipped and why (a local workspace's links, bad names, ...)
    unusable: tuple[UnusableFile, ...] = ()


def scan(
    store: PageStore,
    options: SyncOptions | None = None,
    *,
    known: Callable[[PageRef], Page | None] | None = None,
) -> Scan:
    """Read and parse every page; collect shards, the router and the invalid pages.

    ``known``: the page a listing entry names, when the caller has it parsed already (its
    header, perhaps without its body), so that it is neither read nor parsed again; None
    where it must be read.
    """
    opts = options or SyncOptions()
    shards: list[tuple[Page, str]] = []
    invalid: list[Issue] = []
    skipped: list[str] = []
    router: Page | None = None
    headerless: list[tuple[Page, str]] = []
    routers: list[tuple[Page, str]] = []
    seen: dict[str, str] = {}
    refs = store.list_pages()
    notices = tuple(str(n) for n in getattr(store, "notices", ()) or ())
    for ref in refs:
        if ref.named(opts.skip):
            skipped.append(ref.id)
            continue
        try:
            page = (known(ref) if known is not None else None) or parse_page(
                store.read(ref.id).text, page_id=ref.id
            )
        except BrainError as exc:
            titled = f"(titled {ref.name!r}) " if ref.name and ref.name != ref.id else ""
            message = titled + exc.message + (f" {exc.hint}" if exc.hint else "")
            invalid.append(Issue(ref.id, message))
            continue
        if ref.named(frozenset({opts.router_id})):  # Notion: the child page named "router"
            router = page
            continue
        if page.header is None:
            assert page.error is not None
            invalid.append(_issue(page.error))
            if page.header_missing:
                headerless.append((page, ref.url))
            continue
        if page.header.page_type == "router":
            routers.append((page, ref.url))
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
        tuple(shards),
        tuple(invalid),
        router,
        tuple(skipped),
        tuple(headerless),
        routers=tuple(routers),
        notices=notices,
        unusable=tuple(unusable),
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
    from shards import describe_page, refreshed_header  # not needed to serve the index

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
    notices = list(found.notices) + _dropped(found, headers, invalid)
    writer = _RouterWriter(store, found, opts, tokenizer, now, seed_notes, dry_run)
    writer.write(headers)
    routers = tuple(writer.statuses)
    return SyncReport(
        tuple(statuses),
        tuple(invalid),
        any(r.changed for r in routers),
        routers[-1].bytes,
        dry_run,
        found.skipped,
        tuple(adopted),
        notices=tuple(notices),
        routers=routers,
        unusable=found.unusable,
    )


def _dropped(
    found: Scan, headers: list[tuple[ClaudeDelta, str, str]], invalid: list[Issue]
) -> list[str]:
    """A notice per shard a router page lists that the store no longer has (deleted, moved
    out of the root, unshared): the sync drops its row, and says so. Rows that point at
    router pages (the domains of a two-level router) are not shards."""
    pages = ([found.router] if found.router is not None else []) + [p for p, _ in found.routers]
    routers = {p.header.id for p in pages if p.header is not None} | {p.id for p in pages}
    present = {h.id for h, _, _ in headers}
    broken = {i.page_id for i in invalid}
    notices = []
    for page in pages:
        try:
            rows = parse_router(page.render(), page_id=page.id).rows
        except BrainError:
            continue
        notices += [
            f"shard {row.id!r} (page {row.page}) is no longer in the store: it was deleted, "
            "moved out of the root page or unshared, so the router drops its row. Move it "
            "back under the root page (and share it with the integration) to keep it."
            for row in rows
            if row.id not in present
            and row.id not in routers
            and row.page not in routers
            and row.page not in broken
        ]
    return notices


def _router_changed(existing: Page, text: str) -> bool:
    """Whether a router page must be written: its model (header, rows) differs, or its text
    does beyond how a store spells it (blank lines, runs of spaces, cell padding). Never a
    plain text compare: Notion gives back a table as ``<table>`` and drops blank lines, so
    the text of an unchanged router would never compare equal and every sync would write it."""
    try:
        old = parse_router(existing.render(), page_id=existing.id)
    except BrainError:
        return True
    new = parse_router(text, page_id=existing.id)
    if (old.header, old.rows) != (new.header, new.rows):
        return True
    return _squeeze(existing.render()) != _squeeze(text)


def _squeeze(text: str) -> str:
    """The text without blank lines, runs of spaces or the padding of table cells."""
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines())
    return "\n".join(re.sub(r"\| ?-+ ?(?=\|)", "|---", line) for line in lines if line)


def status_of(found: Scan) -> list[ShardStatus]:
    """Shard statuses without writing: a shard whose body no longer matches is 'stale'."""
    out = []
    for page, url in found.shards:
        assert page.header is not None
        stale = not hash_matches(page.header.content_hash, page.body) or page.header.tokens is None
        out.append(_status(page.header, page.id, url, changed=stale))
    return out


def router_rows(headers: Iterable[tuple[ClaudeDelta, str, str]]) -> tuple[RouterRow, ...]:
    """One row per shard that is not archived, sorted by id; long cells are cut so no single
    row can fill a router page (an operator's 2 KB summary still gets a readable row)."""
    return tuple(
        RouterRow(
            id=h.id,
            title=_cut(h.title, _TITLE_CHARS),
            holds=_cut(h.summary, _HOLDS_CHARS),
            fetch_when=_cut_terms(h.fetch_when),
            tokens=h.tokens,
            updated=h.updated_at.strftime("%Y-%m-%d") if h.updated_at else "",
            page=page_id,
            url=url,
        )
        for h, page_id, url in sorted(headers, key=lambda x: x[0].id)
        if h.status != "archived"
    )


#: Longest title, "holds" and fetch-when cells a shard row gets (far above what a split writes).
_TITLE_CHARS = 120
_HOLDS_CHARS = 300
_FETCH_CHARS = 300


def _cut(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _cut_terms(terms: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    used = 0
    for term in (" ".join(t.split()) for t in terms if t.strip()):
        if out and used + len(term) > _FETCH_CHARS:
            break
        out.append(_cut(term, _FETCH_CHARS))
        used += len(term) + 2
    return tuple(out)


class _RouterWriter:
    """Writes the router pages :func:`router.router_tree.lay_out` plans (it is the sink).

    Each page keeps its notes (everything under ``## Notes``) and, when its rows are
    unchanged, its header and machine fields; it is written only when its text changes.
    """

    def __init__(
        self,
        store: PageStore,
        found: Scan,
        options: SyncOptions,
        tokenizer: Tokenizer,
        now: datetime,
        seed_notes: str,
        dry_run: bool,
    ) -> None:
        self.store, self.options, self.tokenizer = store, options, tokenizer
        self.now, self.dry_run = now.replace(microsecond=0), dry_run
        self.pages: dict[str, tuple[Page, str]] = {}  # router id -> (page, url)
        for page, url in found.routers:
            assert page.header is not None
            self.pages.setdefault(page.header.id, (page, url))
        if found.router is not None:
            self.pages[options.router_id] = (found.router, "")
        self.seed_notes = seed_notes
        # Pages a router page must never overwrite: shards, invalid and skipped pages.
        self.taken = frozenset(
            [p.id for p, _ in found.shards]
            + [p.header.id for p, _ in found.shards if p.header is not None]
            + [i.page_id for i in found.invalid]
            + list(found.skipped)
        )
        self.statuses: list[RouterStatus] = []
        self._old: dict[str, tuple[str, ClaudeDelta | None]] = {}

    def write(self, headers: Iterable[tuple[ClaudeDelta, str, str]]) -> None:
        # Laying out router pages is the sync's work, never a snapshot's: imported here.
        from router.domains import group_domains
        from router.router_tree import lay_out

        headers = list(headers)
        rows = router_rows(headers)
        live = {h.id for h, _, _ in headers if h.status != "archived"}
        domains = group_domains(h for h, _, _ in headers if h.id in live)
        _, top = self.old(self.options.router_id)
        title = (top or router_header(self.options.title)).title
        lay_out(
            rows,
            domains,
            self,
            top_id=self.options.router_id,
            top_title=title,
            taken=self.taken,
        )
        emitted = {s.page_id for s in self.statuses}
        for router_id in sorted(set(self.pages) - emitted - {self.options.router_id}):
            self.retire(router_id)
        top_status = next(s for s in self.statuses if s.page_id == self.options.router_id)
        self.statuses.remove(top_status)
        self.statuses.append(top_status)

    def old(self, router_id: str) -> tuple[str, ClaudeDelta | None]:
        """The existing page's notes and header (the seed notes for a new top router)."""
        if router_id not in self._old:
            found = self.pages.get(router_id)
            if found is None:
                top = router_id == self.options.router_id
                self._old[router_id] = (self.seed_notes if top else "", None)
            else:
                page = found[0]
                try:
                    old = parse_router(page.render(), page_id=page.id)
                    self._old[router_id] = (old.notes, old.header)
                except BrainError:
                    # A broken router is rebuilt; its text after "## Notes" is still kept.
                    notes = page.body.split("## Notes", 1)[1] if "## Notes" in page.body else ""
                    self._old[router_id] = (notes.strip("\n"), None)
        return self._old[router_id]

    def header(self, page: PlannedPage) -> ClaudeDelta:
        """The page's header before its machine fields are refreshed."""
        _, old = self.old(page.page_id)
        if page.parent is None:
            return with_kind(old or router_header(page.title), lists=page.lists, parent=None)
        fresh = domain_router_header(
            page.page_id, page.title, parent=page.parent, domain=page.domain, lists=page.lists
        )
        if old is None:
            return fresh
        machine = {"tokens": old.tokens, "content_hash": old.content_hash}
        return fresh.model_copy(update={**machine, "updated_at": old.updated_at})

    def base_bytes(self, page: PlannedPage) -> int:
        notes, _ = self.old(page.page_id)
        return empty_bytes(self.header(page), notes)

    def emit(self, page: PlannedPage) -> str:
        notes, _ = self.old(page.page_id)
        return self._put(page.page_id, RouterPage(self.header(page), page.rows, notes))

    def retire(self, router_id: str) -> None:
        notes, old = self.old(router_id)
        page, _ = self.pages[router_id]
        header = old or page.header
        assert header is not None
        if header.page_type != "router":  # pragma: no cover - scan only collects routers
            return
        retired = header.model_copy(update={"status": "archived"})
        self._put(router_id, RouterPage(retired, (), notes), retired=True)

    def url(self, page_id: str) -> str:
        """The page's url, or where a page not written yet will likely be (a dry run and the
        layout still measure its parent's row)."""
        if page_id in self.pages:
            return self.pages[page_id][1] or self.store.url(self.pages[page_id][0].id)
        try:
            return self.store.url(page_id)
        except BrainError:  # a store that only knows pages that exist (Notion): as long as
            return f"https://www.notion.so/{page_id}-{'0' * 32}"  # a Notion page url gets

    def _put(self, router_id: str, router: RouterPage, *, retired: bool = False) -> str:
        """Refresh the machine fields, write when the text changed; the page's url."""
        header = router.header
        body = render_router_body(router.rows, router.title, router.notes, router.lead)
        digest = content_hash(body)
        if not hash_matches(header.content_hash, body) or header.tokens is None:
            header = header.model_copy(
                update={
                    "tokens": self.tokenizer.count(body),
                    "content_hash": digest,
                    "updated_at": self.now,
                }
            )
        router = RouterPage(header, router.rows, router.notes)
        text = render_router(router)
        old = self.pages.get(router_id)
        changed = old is None or _router_changed(old[0], text)
        url = old[1] if old is not None else self.url(router_id)
        if changed and not self.dry_run:
            url = self.store.write(old[0].id if old is not None else router_id, text).url
        self.statuses.append(
            RouterStatus(
                page_id=router_id,
                bytes=len(text.encode()),
                rows=len(router.rows),
                lists=router.lists,
                changed=changed,
                retired=retired,
                notes_bytes=len(router.notes.encode()),
                parent=router.parent,
            )
        )
        return url


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
