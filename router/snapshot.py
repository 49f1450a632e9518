"""The index snapshot: every shard parsed, counted and indexed, cached between requests.

:class:`IndexSnapshot` is what get_context serves from: per shard its header, page id, url,
sections (with token counts and passages) and one lexical index over the whole index (IDF is
global). It is immutable; a change in the store produces a new snapshot.

:class:`SnapshotCache` keeps the current snapshot. ``get()`` answers from memory until
``check_interval_s`` has passed; then it lists the store's page versions (a content hash
locally, ``last_edited_time`` in Notion) and re-reads and re-parses only the pages whose
version moved. Change notices come in sooner: a page named by ``mark_stale`` (or by the
optional change feed, a callable polled at most every ``feed_interval_s``) is re-read on the
next ``get()`` by itself, without listing the store, which in Notion costs a request per page.
What cannot be trusted is served but flagged in :attr:`IndexSnapshot.stale`, never passed off
as fresh:

- a shard edited since the last sync (its header's content_hash no longer matches its body):
  the body is current, its header (summary, tokens) may not be;
- a page that could not be re-read: the last good copy is served;
- a store that cannot be listed: the whole previous snapshot is served.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from router._passages import Passage, split_passages
from router.digest import render_digest
from router.select import EMPTY_BAG, Analyzer, BM25Index, TermBag
from router.sync import Issue, SyncOptions, scan
from shards import (
    BrainError,
    ClaudeDelta,
    Page,
    PageRef,
    PageStore,
    StoredPage,
    Tokenizer,
    hash_matches,
)

Clock = Callable[[], float]
#: A change feed: the ids of the pages changed since its previous call. It must not raise
#: (a feed that cannot answer returns nothing: freshness falls back to the version check).
ChangeFeed = Callable[[], Iterable[str]]


@dataclass(frozen=True)
class SnapshotOptions:
    """How the snapshot is built and kept current.

    check_interval_s: a warm ``get()`` lists page versions at most this often (0: every call).
    feed_interval_s: a ``get()`` asks the change feed, if any, at most this often (0: every
        call); the pages it names are re-read at once, whatever ``check_interval_s`` says.
    max_passage_tokens: a block longer than this is cut into line (or sentence) chunks.
    min_passage_tokens: a block shorter than this joins the next one ("Steps:" + its list).
    sync: which pages are the router and which are never shards (the webhook log).
    """

    check_interval_s: float = 2.0
    feed_interval_s: float = 1.0
    max_passage_tokens: int = 160
    min_passage_tokens: int = 12
    sync: SyncOptions = field(default_factory=SyncOptions)


@dataclass(frozen=True)
class IndexedSection:
    id: str
    title: str
    level: int
    path: tuple[str, ...]
    text: str
    tokens: int
    heading: str  # the heading line ("" for the text before the first heading)
    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class IndexedShard:
    id: str
    page_id: str
    url: str
    version: str
    header: ClaudeDelta
    body: str
    tokens: int
    sections: tuple[IndexedSection, ...]
    stale: tuple[str, ...] = ()  # why this shard cannot be served as fresh, if it cannot

    @property
    def title(self) -> str:
        return self.header.title

    @property
    def updated(self) -> str:
        """``YYYY-MM-DD`` of the last sync that saw a change, or "" when never synced."""
        at = self.header.updated_at
        return at.strftime("%Y-%m-%d") if at else ""


@dataclass(frozen=True)
class StaleEntry:
    page_id: str
    shard_id: str | None
    reason: str

    def to_json(self) -> dict[str, str | None]:
        return {"page": self.page_id, "shard": self.shard_id, "reason": self.reason}


@dataclass(frozen=True)
class _Bags:
    """A shard's term bags, kept with it so a rebuild re-analyzes only changed pages."""

    fields: TermBag
    sections: tuple[TermBag, ...]
    headings: tuple[TermBag, ...]
    passages: tuple[tuple[TermBag, ...], ...]


@dataclass(frozen=True)
class Lexicon:
    """BM25 indexes over the whole snapshot, with maps from document number to position."""

    analyzer: Analyzer
    sections: BM25Index  # one document per section (its text without the heading)
    headings: BM25Index  # one document per section (its heading path)
    passages: BM25Index  # one document per passage
    shards: BM25Index  # one document per shard (title, summary, fetch_when, entities)
    section_key: tuple[tuple[int, int], ...]  # section doc -> (shard, section)
    passage_section: tuple[int, ...]  # passage doc -> section doc
    passage_index: tuple[int, ...]  # passage doc -> passage index within its section
    passage_bags: tuple[TermBag, ...]  # passage doc -> its terms (the bags built above, shared)


@dataclass(frozen=True)
class IndexSnapshot:
    """The parsed index at one moment; immutable and shared between requests."""

    shards: tuple[IndexedShard, ...]  # sorted by shard id
    lexicon: Lexicon
    invalid: tuple[Issue, ...]
    stale: tuple[StaleEntry, ...]
    versions: Mapping[str, str]  # page id -> version the snapshot was built from
    generation: int

    @property
    def digest(self) -> str:
        """The full router digest (see :func:`render_digest` for the shorter forms)."""
        return render_digest(self.shards, "full")

    def ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.shards)

    def index_of(self, shard_id: str) -> int:
        """Position of a shard; -1 when the snapshot has no such shard."""
        for n, shard in enumerate(self.shards):
            if shard.id == shard_id:
                return n
        return -1

    def shard(self, shard_id: str) -> IndexedShard | None:
        n = self.index_of(shard_id)
        return self.shards[n] if n >= 0 else None


# -- building -----------------------------------------------------------------------------


def index_shard(
    page: Page, url: str, version: str, tokenizer: Tokenizer, options: SnapshotOptions
) -> IndexedShard:
    """One shard page, counted and cut into passages (its term bags are built separately)."""
    assert page.header is not None
    sections = []
    for s in page.sections:
        heading, _, rest = s.text.partition("\n") if s.level else ("", "", s.text)
        passages = split_passages(
            rest,
            tokenizer,
            max_tokens=options.max_passage_tokens,
            min_tokens=options.min_passage_tokens,
        )
        sections.append(
            IndexedSection(
                s.id, s.title, s.level, s.path, s.text, tokenizer.count(s.text), heading, passages
            )
        )
    return IndexedShard(
        id=page.header.id,
        page_id=page.id,
        url=url,
        version=version,
        header=page.header,
        body=page.body,
        tokens=tokenizer.count(page.body),
        sections=tuple(sections),
    )


def _bags(shard: IndexedShard, analyzer: Analyzer) -> _Bags:
    h = shard.header
    fields = analyzer.bag(
        "\n".join([h.title, h.summary, *h.fetch_when, *h.related_entities, shard.id])
    )
    passages = tuple(tuple(analyzer.bag(p.text) for p in s.passages) for s in shard.sections)
    sections = []
    for bags in passages:
        total: dict[str, int] = {}
        for bag in bags:
            for term, count in bag.counts.items():
                total[term] = total.get(term, 0) + count
        sections.append(TermBag(total, sum(b.length for b in bags)) if bags else EMPTY_BAG)
    headings = tuple(analyzer.bag(" \n".join(s.path)) for s in shard.sections)
    return _Bags(fields, tuple(sections), headings, passages)


def build_lexicon(
    shards: Sequence[IndexedShard], bags: Sequence[_Bags], analyzer: Analyzer
) -> Lexicon:
    section_bags: list[TermBag] = []
    heading_bags: list[TermBag] = []
    passage_bags: list[TermBag] = []
    section_key: list[tuple[int, int]] = []
    passage_section: list[int] = []
    passage_index: list[int] = []
    for n, (shard, b) in enumerate(zip(shards, bags, strict=True)):
        for m in range(len(shard.sections)):
            doc = len(section_bags)
            section_bags.append(b.sections[m])
            heading_bags.append(b.headings[m])
            section_key.append((n, m))
            for p, bag in enumerate(b.passages[m]):
                passage_bags.append(bag)
                passage_section.append(doc)
                passage_index.append(p)
    return Lexicon(
        analyzer=analyzer,
        sections=BM25Index(section_bags),
        headings=BM25Index(heading_bags, b=0.3),
        passages=BM25Index(passage_bags),
        shards=BM25Index([b.fields for b in bags], b=0.3),
        section_key=tuple(section_key),
        passage_section=tuple(passage_section),
        passage_index=tuple(passage_index),
        passage_bags=tuple(passage_bags),
    )


# -- the cache ----------------------------------------------------------------------------


class SnapshotCache:
    """The current :class:`IndexSnapshot`, rebuilt only as far as the store changed.

    Thread-safe: one refresh at a time; while one runs, other callers get the current snapshot
    (or wait for the first one).

    Two kinds of refresh: a *listing* (every ``check_interval_s``, or when every page was
    marked, a marked page is not in the last listing, or the store could not be listed last
    time) lists versions and re-reads what moved or was marked; a *marked* refresh re-reads
    only the marked pages against the last listing. Pages that have never been read
    successfully are tried again by either.
    """

    def __init__(
        self,
        store: PageStore,
        tokenizer: Tokenizer,
        *,
        options: SnapshotOptions | None = None,
        clock: Clock = time.monotonic,
        changes: ChangeFeed | None = None,
    ) -> None:
        self.store = store
        self.tokenizer = tokenizer
        self.options = options or SnapshotOptions()
        self._clock = clock
        self._analyzer = Analyzer()
        self._lock = threading.Lock()
        self._snapshot: IndexSnapshot | None = None  # what get() serves (maybe degraded)
        self._base: IndexSnapshot | None = None  # the last snapshot built from a listing
        self._checked = 0.0
        self._dirty: set[str] = set()
        self._marks = threading.Lock()  # guards _dirty/_all_dirty against mark_stale
        self._all_dirty = False
        self._pages: dict[str, StoredPage] = {}  # last good copy of every page
        self._refs: dict[str, PageRef] = {}  # the last listing, at the versions last read
        self._changes = changes
        self._fed = 0.0  # when the change feed was last asked
        self._feeding = threading.Lock()  # one feed call at a time
        self._entries: dict[str, tuple[IndexedShard, _Bags]] = {}  # page id -> parsed shard

    def get(self) -> IndexSnapshot:
        """The current snapshot; lists page versions only when the check interval has passed,
        re-reads marked pages (``mark_stale``, the change feed) at once."""
        snap = self._snapshot
        if snap is not None:
            self._poll_feed()
            if self._fresh():
                return snap
            if not self._lock.acquire(blocking=False):
                return snap  # another thread is refreshing: serve what we have meanwhile
        else:
            self._lock.acquire()
        try:
            current = self._snapshot
            if current is not None and self._fresh():  # refreshed while we waited
                return current
            return self._refresh_locked(listing=self._listing_due())
        finally:
            self._lock.release()

    def _interval_passed(self) -> bool:
        return self._clock() - self._checked >= self.options.check_interval_s

    def _fresh(self) -> bool:
        return not self._dirty and not self._all_dirty and not self._interval_passed()

    def _listing_due(self) -> bool:
        """Whether this refresh must list the store, or may re-read just the marked pages."""
        with self._marks:
            everything, unknown = self._all_dirty, bool(self._dirty - self._refs.keys())
        return (
            everything
            or unknown  # a page the last listing did not have (a new one): list to place it
            or self._base is None
            or self._snapshot is not self._base  # degraded: the store could not be listed
            or self._interval_passed()
        )

    def _poll_feed(self) -> None:
        """Ask the change feed (at most every ``feed_interval_s``) and mark what it names."""
        if self._changes is None or self._clock() - self._fed < self.options.feed_interval_s:
            return
        if not self._feeding.acquire(blocking=False):
            return  # another thread is asking it right now
        try:
            if self._clock() - self._fed < self.options.feed_interval_s:
                return  # another thread asked it just now
            self._fed = self._clock()
            for page_id in self._changes():
                self.mark_stale(page_id)
        finally:
            self._feeding.release()

    def refresh(self) -> IndexSnapshot:
        """List versions now and rebuild from whatever changed."""
        with self._lock:
            return self._refresh_locked(listing=True)

    def mark_stale(self, page_id: str | None = None) -> None:
        """Re-read ``page_id`` (every page when None) on the next ``get()``, whatever its version.

        The hook for change notices (Notion webhooks) that arrive before a version moves, or
        before the check interval has passed. Pages the sync skips (the webhook log) are
        never shards: marking one does nothing.
        """
        skip = self.options.sync.skip
        ref = self._refs.get(page_id) if page_id is not None else None
        if page_id is not None and (page_id in skip or (ref is not None and ref.named(skip))):
            return
        with self._marks:
            if page_id is None:
                self._all_dirty = True
            else:
                self._dirty.add(page_id)

    # -- internals ------------------------------------------------------------------------

    def _refresh_locked(self, *, listing: bool) -> IndexSnapshot:
        now = self._clock()
        if self._base is None:
            self._fed = now  # a first build reads every page: the feed has nothing to add yet
        with self._marks:
            dirty, everything = set(self._dirty), self._all_dirty
        if listing:
            try:
                refs = self.store.list_pages()
            except BrainError as exc:
                if self._base is None:
                    raise
                self._checked = now  # try again after the check interval, not on every call
                return self._degraded(exc.message)
        else:
            refs = list(self._refs.values())  # the last listing; only marked pages are read
            dirty &= self._refs.keys()  # one marked since _listing_due waits for a listing
        with self._marks:
            self._dirty -= dirty
            self._all_dirty = self._all_dirty and not everything
        current = self._base
        skip = self.options.sync.skip  # the webhook log changes all the time: never a shard
        versions = {r.id: r.version for r in refs if not r.named(skip)}
        if (
            current is not None
            and not dirty
            and not everything
            and versions == dict(current.versions)
            and all(p.settled for p in self._pages.values())  # else a same-minute edit hides
        ):
            self._snapshot = current
            if listing:
                self._checked = now
            return current
        reader = _ReadThrough(self.store, refs, self._pages, dirty, everything)
        found = scan(reader, self.options.sync)
        self._pages = reader.kept
        # Remember each page at the version read, so a marked refresh keeps what it has.
        self._refs = {
            r.id: replace(r, version=reader.kept[r.id].version) if r.id in reader.kept else r
            for r in refs
        }
        shards: list[IndexedShard] = []
        bags: list[_Bags] = []
        entries: dict[str, tuple[IndexedShard, _Bags]] = {}
        stale: list[StaleEntry] = []
        for page, url in found.shards:
            assert page.header is not None
            version = reader.kept[page.id].version
            cached = self._entries.get(page.id)
            if (
                cached is not None
                and cached[0].version == version
                and cached[0].url == url
                and cached[0].body == page.body  # a same-minute edit keeps the version
                and cached[0].header == page.header
            ):
                shard, bag = cached
            else:
                shard = index_shard(page, url, version, self.tokenizer, self.options)
                bag = _bags(shard, self._analyzer)
            entries[page.id] = (shard, bag)
            reasons = _stale_reasons(page, reader.failures.get(page.id))
            stale += [StaleEntry(page.id, shard.id, r) for r in reasons]
            shards.append(replace(shard, stale=reasons) if reasons != shard.stale else shard)
            bags.append(bag)
        for page_id, message in sorted(reader.failures.items()):
            if page_id not in entries and page_id in reader.kept:
                stale.append(StaleEntry(page_id, None, _failed(message)))
        self._entries = entries
        order = sorted(range(len(shards)), key=lambda n: shards[n].id)
        snap = IndexSnapshot(
            shards=tuple(shards[n] for n in order),
            lexicon=build_lexicon(
                [shards[n] for n in order], [bags[n] for n in order], self._analyzer
            ),
            invalid=found.invalid,
            stale=tuple(stale),
            versions={pid: p.version for pid, p in reader.kept.items()},
            generation=(current.generation + 1) if current else 1,
        )
        self._snapshot = self._base = snap
        if listing:
            self._checked = now  # a marked refresh leaves the next listing when it was due
        return snap

    def _degraded(self, reason: str) -> IndexSnapshot:
        """The last built snapshot with every shard flagged: the store cannot be listed."""
        assert self._base is not None
        base = self._base
        note = f"the store cannot be listed ({reason}); serving the snapshot built earlier"
        degraded = replace(
            base,
            shards=tuple(replace(s, stale=(*s.stale, note)) for s in base.shards),
            stale=(*base.stale, StaleEntry("*", None, note)),
        )
        self._snapshot = degraded
        return degraded


def _stale_reasons(page: Page, failure: str | None) -> tuple[str, ...]:
    assert page.header is not None
    reasons: list[str] = []
    if failure is not None:
        reasons.append(_failed(failure))
    if not hash_matches(page.header.content_hash, page.body) or page.header.tokens is None:
        reasons.append(
            "edited since the last sync: the body is current, its header (summary, tokens) "
            "may not be; run `brain sync`"
        )
    if page.header.status == "stale":
        reasons.append("its header marks it stale (status: stale)")
    return tuple(reasons)


def _failed(message: str) -> str:
    return f"could not re-read the page ({message}); serving the last good copy"


class _ReadThrough:
    """The store as scan() sees it: unchanged pages come from memory, changed ones are read.

    A page that fails to read but was read before is served from its last good copy, and the
    failure is recorded so the snapshot flags it.
    """

    def __init__(
        self,
        store: PageStore,
        refs: list[PageRef],
        pages: Mapping[str, StoredPage],
        dirty: set[str],
        everything: bool,
    ) -> None:
        self._store = store
        self._refs = refs
        self._versions = {r.id: r.version for r in refs}
        self._old = pages
        self._dirty = dirty
        self._everything = everything
        self.kept: dict[str, StoredPage] = {}
        self.failures: dict[str, str] = {}

    def list_pages(self) -> list[PageRef]:
        return self._refs

    def read(self, page_id: str) -> StoredPage:
        old = self._old.get(page_id)
        fresh = not (self._everything or page_id in self._dirty)
        if old is not None and fresh and old.settled and old.version == self._versions.get(page_id):
            self.kept[page_id] = old
            return old
        try:
            page = self._store.read(page_id)
        except BrainError as exc:
            if old is None:
                raise
            self.failures[page_id] = exc.message
            self.kept[page_id] = old
            return old
        self.kept[page_id] = page
        return page

    # scan() only reads; the rest of the protocol is here so the type checks.
    def write(self, page_id: str, text: str) -> PageRef:  # pragma: no cover
        raise NotImplementedError

    def append(self, page_id: str, lines: Sequence[str]) -> None:  # pragma: no cover
        raise NotImplementedError

    def tail(self, page_id: str, count: int) -> list[str]:  # pragma: no cover
        raise NotImplementedError

    def url(self, page_id: str) -> str:  # pragma: no cover
        return self._store.url(page_id)
