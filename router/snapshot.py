"""The snapshot cache: every shard parsed, counted and indexed, kept between requests.

The snapshot's model lives in :mod:`router.model` (:class:`IndexSnapshot`, the shards and
sections) and its lexical indexes in :mod:`router.lexicon`; both are re-exported here.

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

A first build of a large index hands about half of its pages to a helper process on the
other core (:mod:`router._apart`, ``SnapshotOptions.apart_chars``); the snapshot is the same.
"""

from __future__ import annotations

import gc
import logging
import string
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar, cast

from router._apart import Apart, can_fork
from router._heap import one_arena, release_free_heap
from router._passages import Counts
from router._render import section_line
from router._vocab import Vocabulary
from router.lexicon import (
    ForeignTerms,
    Lexicon,
    ShardTerms,
    adopt_terms,
    build_lexicon,
    shards_terms,
    share_passages,
)
from router.model import (
    COMPRESS_THREAD,
    IndexedSection,
    IndexedShard,
    IndexSnapshot,
    KeptPage,
    StaleEntry,
    body_digest,
    fixed_texts,
    index_shard,
)
from router.persist import (
    IndexPlace,
    SavedIndex,
    SavedTerms,
    as_place,
    load,
    load_terms,
    save,
    save_terms,
)
from router.select import Analyzer
from router.sync import Issue, SyncOptions, scan
from shards import (
    BrainError,
    Page,
    PageRef,
    PageStore,
    StoredPage,
    SummingTokenizer,
    Tokenizer,
    hash_matches,
    parse_page,
)

log = logging.getLogger(__name__)

#: Text (characters) of the shards analyzed in one batch during a build: large enough that
#: a batch's fixed costs vanish, small enough that its arrays stay a few tens of megabytes.
_ANALYZE_CHARS = 2_000_000
#: An index of at least this much text (characters) is large: a long-lived process lets the
#: token encoders go once a build of it has counted (SummingTokenizer.release). Below it they
#: stay: the indexes built next are small, and reloading one for an answer counted whole
#: costs 0.1 s.
_LARGE_CHARS = 4_000_000
#: A refresher that has not finished a pass for this long, and this many of its ticks, has
#: fallen behind: a request catches up on the change feed itself (SnapshotCache._catch_up).
_BEHIND_S = 10.0
_BEHIND_TICKS = 3
#: The share of a first build's text a helper process indexes (see SnapshotOptions.apart_chars).
_APART_SHARE = 0.5

T = TypeVar("T")
Clock = Callable[[], float]
#: A change feed: the ids of the pages changed since its previous call. It must not raise
#: (a feed that cannot answer returns nothing: freshness falls back to the version check).
ChangeFeed = Callable[[], Iterable[str]]

__all__ = [
    "ChangeFeed",
    "Clock",
    "IndexSnapshot",
    "IndexedSection",
    "IndexedShard",
    "Lexicon",
    "SnapshotCache",
    "SnapshotOptions",
    "StaleEntry",
]


@dataclass(frozen=True)
class SnapshotOptions:
    """How the snapshot is built and kept current.

    check_interval_s: a warm ``get()`` lists page versions at most this often (0: every call).
    feed_interval_s: a ``get()`` asks the change feed, if any, at most this often (0: every
        call); the pages it names are re-read at once, whatever ``check_interval_s`` says.
    max_passage_tokens: a block longer than this is cut into line (or sentence) chunks.
    min_passage_tokens: a block shorter than this joins the next one ("Steps:" + its list).
    sync: which pages are the router and which are never shards (the webhook log).
    persist: where the built index is saved and loaded from: a file path, or any
        :class:`~router.persist.IndexPlace` (the state database on Cloud Run); None: kept in
        memory only. See :mod:`router.persist`.
    persist_key: the key the saved index is signed with and checked against (see
        :mod:`router.persist`), asked for at each load and save, so a rotated secret is
        picked up; None: saved unsigned, and only an unsigned one loaded. When it cannot be
        had, the cache builds from the pages and does not save.
    workspace: what the index is of (a folder, a Notion root page): a saved index of
        another workspace is never loaded.
    freeze_gc: ``gc.freeze()`` after each build, so the cyclic collector never walks the
        snapshot's objects on a request, and hand the heap a build freed back to the OS,
        its threads' included (:func:`router._heap.one_arena`). A service sets it; it is
        process-wide.
    apart_chars: a first build of at least this many characters of pages indexes about half
        of them in a forked helper process, on another core, where the process may fork
        (Linux, two cores, one thread: see :mod:`router._apart`); 0 never does.
    """

    check_interval_s: float = 2.0
    feed_interval_s: float = 1.0
    max_passage_tokens: int = 160
    min_passage_tokens: int = 12
    sync: SyncOptions = field(default_factory=SyncOptions)
    persist: IndexPlace | Path | None = None
    persist_key: Callable[[], bytes] | None = None
    workspace: str = ""
    freeze_gc: bool = False
    apart_chars: int = 4_000_000


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
        if self.options.freeze_gc:
            one_arena()  # before the threads this cache starts: see one_arena
        self._clock = clock
        self._analyzer = Analyzer()
        self._lock = threading.Lock()
        self._snapshot: IndexSnapshot | None = None  # what get() serves (maybe degraded)
        self._base: IndexSnapshot | None = None  # the last snapshot built from a listing
        self._checked = 0.0
        self._dirty: set[str] = set()
        self._marks = threading.Lock()  # guards _dirty/_all_dirty against mark_stale
        self._all_dirty = False
        self._pages: dict[str, KeptPage] = {}  # last good copy of every page
        self._refs: dict[str, PageRef] = {}  # the last listing, at the versions last read
        self._changes = changes
        self._fed = 0.0  # when the change feed was last asked
        self._feeding = threading.Lock()  # one feed call at a time
        self._vocab = Vocabulary()
        # page id -> parsed shard and its terms (None after a load: recomputed when needed)
        self._entries: dict[str, tuple[IndexedShard, ShardTerms | None]] = {}
        self._resumed = False  # whether the saved index was looked for
        self._saved_checksum = ""  # of the index loaded, until its terms are read
        #: Why the saved index was not used, or "" (loaded, or none configured).
        self.load_note = ""
        #: Whether the current snapshot came from the saved index without a rebuild.
        self.loaded = False
        self._refresher: threading.Thread | None = None
        self._ticked = 0.0  # when the refresher last finished a pass
        self._stop = threading.Event()
        self._wake = threading.Event()
        #: Called with each snapshot the background refresher builds (tests wait on it).
        self.on_refresh: Callable[[IndexSnapshot], None] | None = None
        self._deferring = 0  # inside saves_deferred(): a build's save waits for its end
        self._deferred: Callable[[], None] | None = None  # the last build's save, if waiting

    @contextmanager
    def saves_deferred(self) -> Iterator[None]:
        """Within, a build saves the index (``persist``) only on leaving, so a one-shot
        command gives its answer first: at 20 MB the save was 0.4 s of the 1.4 s a new
        process one edit behind took to its snapshot. What the last build made is saved,
        whatever ends the block; a process killed inside saves nothing (the next one builds
        from the pages again)."""
        with self._lock:
            self._deferring += 1
        try:
            yield
        finally:
            with self._lock:
                self._deferring -= 1
                save, self._deferred = (
                    (self._deferred, None) if not self._deferring else (None, self._deferred)
                )
                if save is not None:
                    save()

    def get(self) -> IndexSnapshot:
        """The current snapshot; lists page versions only when the check interval has passed,
        re-reads marked pages (``mark_stale``, the change feed) at once."""
        snap = self._snapshot
        if snap is not None and self._refresher is not None:
            if self._clock() - self._ticked < self._behind_s():
                return snap  # the background refresher keeps it current: no I/O on a request
            return self._catch_up(snap)
        if snap is not None:
            self._poll_feed()
            if self._fresh():
                return snap
            if not self._lock.acquire(blocking=False):
                return snap  # another thread is refreshing: serve what we have meanwhile
        else:
            self._lock.acquire()
        # Hold no snapshot while refreshing: the old one is let go as the build ends, so
        # the heap it held is handed back with the build's own (see _refresh_locked); held
        # here, a 20 MB index's 76 MB stayed with the process after its first refresh.
        del snap
        try:
            if self._snapshot is not None and self._fresh():  # refreshed while we waited
                return self._snapshot
            return self._refresh_locked(listing=self._listing_due())
        finally:
            self._lock.release()

    def _behind_s(self) -> float:
        """How long the refresher may go without a pass before a request stops trusting it."""
        return max(_BEHIND_S, _BEHIND_TICKS * self._tick())

    def _tick(self) -> float:
        opts = self.options
        return max(0.05, min(opts.check_interval_s, opts.feed_interval_s))

    def _catch_up(self, snap: IndexSnapshot) -> IndexSnapshot:
        """A request's snapshot when the refresher has fallen behind: Cloud Run throttles an
        idle instance's CPU between requests, so its thread may not have run for an hour
        (a warm instance). The change feed is asked and the pages it marks are re-read, as
        the refresher would; the version listing stays the refresher's (in Notion it costs
        a request per page), unless the snapshot cannot stand without one."""
        self._poll_feed()
        with self._marks:
            marked = bool(self._dirty) or self._all_dirty
        if not marked:
            return snap
        del snap  # (see get)
        with self._lock:
            with self._marks:
                unknown = bool(self._dirty - self._refs.keys())
            listing = self._base is None or self._snapshot is not self._base or unknown
            return self._refresh_locked(listing=listing)

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

    # -- the background refresher ---------------------------------------------------------

    def start_refresher(self) -> None:
        """Keep the snapshot current from a daemon thread: the change feed every
        ``feed_interval_s``, a version listing every ``check_interval_s``, marked pages at
        once. From then on ``get()`` only returns the current snapshot (after the first
        build): a request never lists the store, and re-reads only pages the change feed
        marked, and only when the thread has fallen behind (:meth:`_catch_up`)."""
        if self._refresher is not None:
            return
        self._stop.clear()
        self._ticked = self._clock()
        thread = threading.Thread(target=self._refresh_loop, name="snapshot-refresher")
        thread.daemon = True
        self._refresher = thread
        thread.start()

    def stop_refresher(self, timeout_s: float = 10.0) -> None:
        thread, self._refresher = self._refresher, None
        if thread is None:
            return
        self._stop.set()
        self._wake.set()
        thread.join(timeout_s)

    def _refresh_loop(self) -> None:
        tick = self._tick()
        while not self._stop.is_set():
            try:
                self._poll_feed()
                with self._lock:
                    if self._snapshot is None or not self._fresh():
                        snap = self._refresh_locked(listing=self._listing_due())
                        if self.on_refresh is not None:
                            self.on_refresh(snap)
            except Exception:  # keep serving the last snapshot; say why, try again later
                log.exception("background index refresh failed; serving the last snapshot")
            self._ticked = self._clock()
            self._wake.wait(tick)
            self._wake.clear()

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
        self._wake.set()

    # -- internals ------------------------------------------------------------------------

    def _refresh_locked(self, *, listing: bool) -> IndexSnapshot:
        # A build makes hundreds of thousands of objects (sections, passages, analysis
        # lists) and frees few: the cyclic collector's passes over them were a tenth of a
        # 20 MB build. Reference counting still frees everything; freeze_gc then keeps the
        # collector off the snapshot for good.
        enabled = gc.isenabled()
        gc.disable()
        try:
            snap = self._refresh_paused(listing=listing)
        finally:
            if enabled:
                gc.enable()
        if self.options.freeze_gc:
            release_free_heap()  # again, now the build's own locals are gone too
        return snap

    def _refresh_paused(self, *, listing: bool) -> IndexSnapshot:
        now = self._clock()
        if self._base is None:
            self._fed = now  # a first build reads every page: the feed has nothing to add yet
            if not self._resumed:
                self._resume()
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
            if self._snapshot is None:  # the saved index, still current
                self.loaded = True
                self._freeze()
            self._snapshot = current
            if listing:
                self._checked = now
            return current
        generation = current.generation + 1 if current is not None else 1
        if current is not None:
            # The first rebuild after a load takes the terms saved with it instead of
            # analyzing every shard again (then nothing is left to take).
            self._adopt_saved_terms(current)
            if self._snapshot is None:
                # Loaded and never served: nothing can be reading it, so its indexes go
                # before the new ones are built (beside them, a 20 MB index peaked at 361 MB).
                self._base = None
        del current
        reader = _ReadThrough(
            self.store,
            refs,
            self._pages,
            dirty,
            everything,
            self._entries,
        )
        try:
            # An unchanged page that is indexed already is neither read nor parsed again (at
            # 20 MB, re-parsing them all on every refresh took 0.6 s and held 80 MB more).
            found = scan(reader, self.options.sync, known=reader.as_indexed)
        finally:
            reader.settle()  # (and the compress thread idle again: see _start_apart)
        invalid = found.invalid
        # The parsed pages, last first: each is let go once indexed (a page's body is no
        # longer needed then), so a build never holds every body beside the whole index.
        pending = list(reversed(found.shards))
        del found
        self._pages = reader.kept
        # Remember each page at the version read, so a marked refresh keeps what it has.
        self._refs = {
            r.id: replace(r, version=reader.kept[r.id].version) if r.id in reader.kept else r
            for r in refs
        }
        shards: list[IndexedShard] = []
        bags: list[ShardTerms | None] = []
        entries: dict[str, tuple[IndexedShard, ShardTerms | None]] = {}
        stale: list[StaleEntry] = []

        def add(
            page_id: str, shard: IndexedShard, bag: ShardTerms | None, reasons: tuple[str, ...]
        ) -> None:
            if reasons != shard.stale:
                shard = replace(shard, stale=reasons)
            entries[page_id] = (shard, bag)  # (with its reasons: an unread page keeps them)
            stale.extend(StaleEntry(page_id, shard.id, r) for r in reasons)
            shards.append(shard)
            bags.append(bag)

        large = sum(len(page.body) for page, _ in pending) + reader.unread_chars >= _LARGE_CHARS
        if isinstance(self.tokenizer, SummingTokenizer):  # a large build: the fast encoder
            # (told the text of the pages to index: a rebuild counts only what changed)
            self.tokenizer.expect(
                sum(
                    len(page.body)
                    for page, _ in pending
                    if page.id not in self._entries
                    or self._entries[page.id][0].version != reader.kept[page.id].version
                )
            )
        # A first build of a large index hands the pages last in order to a helper process.
        apart, theirs = self._start_apart(pending, reader)
        try:
            self._index_pending(pending, reader, shards, bags, entries, add)
        except BaseException:
            if apart is not None:  # never leave the helper blocked on a pipe nobody reads
                apart.close()
            raise
        if apart is not None:
            if self.options.freeze_gc:
                release_free_heap()  # what this half's analysis freed, before the other's comes
            received = apart.results()
            if received is None:  # the helper failed: its pages are indexed here instead
                log.info("the build's helper process failed; indexing its pages here")
                pending = [
                    (parse_page(reader.kept[page_id].page().text, page_id=page_id), url)
                    for page_id, url in reversed(theirs)
                ]
                self._index_pending(pending, reader, shards, bags, entries, add)
            else:
                adopted = adopt_terms(received.pop(), self._vocab)
                for (page_id, _), (shard, reasons), bag in zip(
                    theirs, received, adopted, strict=True
                ):
                    add(page_id, shard, bag, reasons)
                # Let the helper's arrays go once the index is built from them (their terms
                # live on as views into it): held here, they were 15 MB of a 20 MB build's peak.
                del adopted
            del received, theirs
        analyzed = [b for b in bags if b is not None]
        assert len(analyzed) == len(shards)
        for page_id, message in sorted(reader.failures.items()):
            if page_id not in entries and page_id in reader.kept:
                stale.append(StaleEntry(page_id, None, _failed(message)))
        order = sorted(range(len(shards)), key=lambda n: shards[n].id)
        ordered = [shards[n] for n in order]
        # The counts a saved index keeps, counted while the encoder is still loaded.
        counts = _counts_to_keep(ordered, self.tokenizer) if self.options.persist else {}
        if self.options.freeze_gc:
            if large and isinstance(self.tokenizer, SummingTokenizer):
                # Counting is over: the encoders (28-61 MB) go before the lexicon's arrays
                # come, and a server does not keep them for the rare answer counted whole.
                self.tokenizer.release()
            release_free_heap()  # what the analysis freed, before the lexicon's arrays come
        passages, shared = share_passages([analyzed[n] for n in order])
        bags.clear()  # (add, above, holds the list itself)
        del analyzed
        # Each shard's terms are kept as views into the index's arrays, not beside them.
        for n, bag in zip(order, shared, strict=True):
            page_id = shards[n].page_id
            entries[page_id] = (entries[page_id][0], bag)
        self._entries = entries
        # An indexed page's last good copy is its shard: its text goes (10 MB at 20 MB).
        self._pages = {
            page_id: kept.bare() if page_id in entries else kept
            for page_id, kept in reader.kept.items()
        }
        snap = IndexSnapshot(
            shards=tuple(ordered),
            lexicon=build_lexicon(
                ordered,
                shared,
                passages,
                self._analyzer,
                self._vocab,
                trim=self.options.freeze_gc,
            ),
            invalid=invalid,
            stale=tuple(stale),
            versions={pid: p.version for pid, p in reader.kept.items()},
            generation=generation,
        ).seeded(counts.get("seeds", {}))
        self._snapshot = self._base = snap
        self.loaded = False
        if listing:
            self._checked = now  # a marked refresh leaves the next listing when it was due
        self._freeze()  # (first: the heap the build freed goes back before saving takes more)
        if self._deferring:  # (what it saves is read then: the cache as the last build left it)
            self._deferred = lambda: self._save(snap, invalid, counts)
        else:
            self._save(snap, invalid, counts)
        return snap

    def _index_pending(
        self,
        pending: list[tuple[Page, str]],
        reader: _ReadThrough,
        shards: list[IndexedShard],
        bags: list[ShardTerms | None],
        entries: dict[str, tuple[IndexedShard, ShardTerms | None]],
        add: Callable[[str, IndexedShard, ShardTerms | None, tuple[str, ...]], None],
    ) -> None:
        """Index the pages of ``pending`` (last first), reusing what the cache holds."""

        def indexed() -> Iterator[tuple[int, IndexedShard]]:
            """Add each page's shard; yield those whose terms are still to be found (after a
            load the terms are not kept either), with their positions in ``shards``."""
            while pending:
                page, url = pending.pop()
                assert page.header is not None
                kept = reader.kept[page.id]
                cached = self._entries.get(page.id)
                if page.id in reader.unread:  # the shard indexed from it, its body not read
                    assert cached is not None
                    shard, bag = cached
                    reasons = _kept_reasons(shard, reader.failures.get(page.id))
                else:
                    if cached is not None and _indexed_from(cached[0], page, url, kept):
                        shard, bag = cached
                    else:
                        shard, bag = self._index(page, url, kept.version), None
                    reasons = _stale_reasons(page, reader.failures.get(page.id))
                position = len(shards)
                add(page.id, shard, bag, reasons)
                if bag is None:
                    yield position, shard

        for positions in _batches(indexed()):
            self._analyze(positions, shards, bags, entries)

    def _index(self, page: Page, url: str, version: str) -> IndexedShard:
        return index_shard(
            page,
            url,
            version,
            self.tokenizer,
            max_passage_tokens=self.options.max_passage_tokens,
            min_passage_tokens=self.options.min_passage_tokens,
        )

    def _start_apart(
        self, pending: list[tuple[Page, str]], reader: _ReadThrough
    ) -> tuple[Apart | None, list[tuple[str, str]]]:
        """On a first build of at least ``apart_chars`` of text, where a process may fork
        (:func:`router._apart.can_fork`), fork a helper that indexes the pages last in order
        (about half the text; they leave ``pending``, and this process lets them go) and
        return it with their ids and urls, in order."""
        limit = self.options.apart_chars
        if self._entries or not limit or len(pending) < 2:
            return None, []
        sizes = [len(page.body) for page, _ in pending]
        total = sum(sizes)
        if total < limit or not can_fork(idle=COMPRESS_THREAD):
            return None, []
        share, cut = 0, 0
        while cut < len(pending) - 1 and (not cut or share + sizes[cut] <= total * _APART_SHARE):
            share += sizes[cut]
            cut += 1
        theirs = list(reversed(pending[:cut]))
        del pending[:cut]
        apart = Apart(lambda: self._index_apart(theirs, reader))
        return apart, [(page.id, url) for page, url in theirs]

    def _index_apart(self, pages: list[tuple[Page, str]], reader: _ReadThrough) -> list[object]:
        """The helper's work: each page's shard and stale reasons, then their terms, found
        against a vocabulary of its own (see adopt_terms)."""
        vocab = Vocabulary()
        items: list[object] = []
        found: list[ShardTerms] = []

        def indexed() -> Iterator[tuple[tuple[IndexedShard, tuple[str, ...]], IndexedShard]]:
            for page, url in pages:
                shard = self._index(page, url, reader.kept[page.id].version)
                yield (shard, _stale_reasons(page, reader.failures.get(page.id))), shard

        for batch in _batches(indexed()):
            found += shards_terms([shard for shard, _ in batch], self._analyzer, vocab)
            items += batch
        items.append(ForeignTerms.of(found, vocab))
        return items

    def _analyze(
        self,
        positions: list[int],
        shards: list[IndexedShard],
        bags: list[ShardTerms | None],
        entries: dict[str, tuple[IndexedShard, ShardTerms | None]],
    ) -> None:
        """Find the terms of the shards at ``positions``, together (see shards_terms)."""
        if not positions:
            return
        found = shards_terms([shards[n] for n in positions], self._analyzer, self._vocab)
        for n, bag in zip(positions, found, strict=True):
            bags[n] = bag
            page_id = shards[n].page_id
            entries[page_id] = (entries[page_id][0], bag)

    # -- the saved index ------------------------------------------------------------------

    def _build_key(self) -> str:
        """What shapes a build besides the code: a saved index built otherwise is not used."""
        opts = self.options
        tokenizer = getattr(self.tokenizer, "options", type(self.tokenizer).__name__)
        return (
            f"passages {opts.max_passage_tokens}/{opts.min_passage_tokens}; "
            f"router {opts.sync.router_id}; skip {sorted(opts.sync.skip)}; "
            f"tokenizer {tokenizer!r}"
        )

    def _resume(self) -> None:
        """Start from the saved index, if there is a usable one (else build as usual)."""
        self._resumed = True
        path = self.options.persist
        if path is None:
            return
        try:
            key = self._persist_key()
        except Exception as exc:  # (a secret store that cannot answer): build from the pages
            self.load_note = f"cannot get [context] index_key ({exc}); rebuilding"
            log.warning("building the index: %s", self.load_note)
            return
        saved, why = load(path, workspace=self.options.workspace, build=self._build_key(), key=key)
        if saved is None:
            self.load_note = why
            log.info("building the index: %s", why)
            return
        self._pages = dict(saved.pages)
        self._entries = dict(saved.entries)
        self._vocab = saved.vocab
        self._analyzer = saved.lexicon.analyzer
        self._refs = {r.id: r for r in saved.refs}
        self._base = saved.snapshot()
        self._saved_checksum = saved.checksum  # its terms are read if a rebuild comes
        if saved.gaps and isinstance(self.tokenizer, SummingTokenizer):
            self.tokenizer.learn_gaps(saved.gaps)

    def _adopt_saved_terms(self, loaded: IndexSnapshot) -> None:
        """Give the shards resumed from the saved index their terms from the file beside it
        (:func:`router.persist.load_terms`), so a rebuild analyzes only what changed; where
        that file cannot be used, every shard is analyzed again, as before it existed."""
        checksum, self._saved_checksum = self._saved_checksum, ""
        path = self.options.persist
        if not checksum or path is None:
            return
        try:
            saved, why = load_terms(path, checksum=checksum, key=self._persist_key())
        except Exception as exc:  # (the key cannot be had now): analyze them again
            saved, why = None, f"cannot get [context] index_key ({exc}); analyzing again"
        found = saved.terms(loaded.lexicon) if saved is not None else None
        if found is None:
            log.info("%s", why or "the saved terms do not fit the saved index; analyzing again")
            return
        for page_id, terms in found.items():
            entry = self._entries.get(page_id)
            if entry is not None and entry[1] is None:
                self._entries[page_id] = (entry[0], terms)

    def _save(self, snap: IndexSnapshot, invalid: Sequence[Issue], counts: dict[str, Any]) -> None:
        path = self.options.persist
        if path is None or as_place(path).read_only:
            return
        saved = SavedIndex(
            refs=tuple(self._refs.values()),
            pages=self._pages,
            entries={k: (shard, None) for k, (shard, _) in self._entries.items()},
            vocab=self._vocab,
            shards=snap.shards,
            lexicon=snap.lexicon,
            invalid=tuple(invalid),
            stale=snap.stale,
            versions=dict(snap.versions),
            **counts,
        )
        try:
            key = self._persist_key()
            checksum = save(
                path, saved, workspace=self.options.workspace, build=self._build_key(), key=key
            )
            terms = [self._entries[s.page_id][1] for s in snap.shards]  # (a build made all)
            kept = SavedTerms.of([s.page_id for s in snap.shards], cast(list[ShardTerms], terms))
            save_terms(path, kept, checksum=checksum, key=key)
        except Exception as exc:  # never fails a request: the next process rebuilds
            log.warning(
                "could not save the built index to %s: %s", as_place(path).where("index"), exc
            )

    def _persist_key(self) -> bytes | None:
        get = self.options.persist_key
        return None if get is None else get()

    def _freeze(self) -> None:
        if self.options.freeze_gc:
            gc.freeze()  # the snapshot is long-lived: keep the collector off it
            release_free_heap()

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


def _counts_to_keep(shards: Sequence[IndexedShard], tokenizer: Tokenizer) -> dict[str, Any]:
    """What a saved index keeps so that a new process counts its answers without encoding
    them (``SavedIndex.seeds`` and ``gaps``): the fixed texts' raw counts, and the gap
    differences the tokenizer knows (see below); the snapshot of ``shards`` reads the seeds
    too (IndexSnapshot.seeded), so its answers need not count them again."""
    if not isinstance(tokenizer, SummingTokenizer):
        return {}
    fixed = fixed_texts(shards)
    counter = Counts(tokenizer)
    seeds = {key: counter.count(text) for key, text in fixed.items()}
    # Every part of an answer is followed by newlines. The build met the index's own
    # endings already (a passage ends as its block does, and blocks are joined by newlines
    # in the page), but not a table's rule with the row shown under it; those, the fixed
    # texts and the provenance lines (all ending alike) are added here. A gap still unknown
    # is counted by the answer that meets it.
    texts = [*fixed.values(), *(section_line((), partial=p) for p in (False, True))]
    texts += list(string.punctuation)  # any text ending in one, a question mark say
    ends = [(text, gap) for text in texts for gap in (1, 2)]
    leads = {p.lead for s in shards for c in s.sections for p in c.passages if p.lead}
    ends += [(lead, 1) for lead in leads]
    return {"seeds": seeds, "gaps": tokenizer.known_gaps(after=ends)}


def _batches(indexed: Iterable[tuple[T, IndexedShard]]) -> Iterator[list[T]]:
    """The first of each pair of ``indexed``, in order, cut into batches after the shard whose
    text brings a batch to ``_ANALYZE_CHARS`` (the last batch may be smaller): how a build
    analyzes shards, a few megabytes of text at a time, in order (so new terms get the same
    ids)."""
    batch: list[T] = []
    waiting = 0
    for item, shard in indexed:
        batch.append(item)
        waiting += sum(len(s.text) for s in shard.sections)
        if waiting >= _ANALYZE_CHARS:
            yield batch
            batch, waiting = [], 0
    if batch:
        yield batch


def _indexed_from(shard: IndexedShard, page: Page, url: str, kept: KeptPage) -> bool:
    """Whether ``shard`` was indexed from ``page`` as read now (at ``url``; ``kept`` its copy)."""
    return (
        shard.version == kept.version
        and shard.url == url
        and (
            kept.settled  # else a same-minute edit keeps the version
            or (shard.body_digest == body_digest(page.body) and shard.header == page.header)
        )
    )


def _kept_reasons(shard: IndexedShard, failure: str | None) -> tuple[str, ...]:
    """:func:`_stale_reasons` of a shard whose page was not read again (its text and header
    are the ones indexed): its own, an earlier failure to read left out (as for a page
    served from memory), a new one first."""
    kept = tuple(r for r in shard.stale if not r.startswith(_FAILED))
    return ((_failed(failure),) if failure is not None else ()) + kept


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


_FAILED = "could not re-read the page ("


def _failed(message: str) -> str:
    return f"{_FAILED}{message}); serving the last good copy"


class _ReadThrough:
    """The store as scan() sees it: unchanged pages come from memory, changed ones are read.

    An unchanged page the cache has indexed is not even read: scan() gets its shard's header
    (:meth:`as_indexed`). A page that fails to read but was read before is served from its
    last good copy (for an indexed page, its shard), and the failure is recorded so the
    snapshot flags it.
    """

    def __init__(
        self,
        store: PageStore,
        refs: list[PageRef],
        pages: Mapping[str, KeptPage],
        dirty: set[str],
        everything: bool,
        indexed: Mapping[str, tuple[IndexedShard, ShardTerms | None]],
    ) -> None:
        self._store = store
        self._refs = refs
        self._versions = {r.id: r.version for r in refs}
        self._old = pages
        self._dirty = dirty
        self._everything = everything
        self.kept: dict[str, KeptPage] = {}
        self._packing: dict[str, Future[bytes]] = {}  # texts still being compressed
        self.failures: dict[str, str] = {}
        self._indexed = indexed
        self._ahead: dict[str, StoredPage] = {}  # read by as_indexed(), for read()
        self.unread: set[str] = set()  # pages given as their indexed shard's header alone
        self.unread_chars = 0  # the size of their text (UTF-8 bytes)

    def list_pages(self) -> list[PageRef]:
        return self._refs

    def as_indexed(self, ref: PageRef) -> Page | None:
        """For scan(): the page ``ref`` names as the header of the shard the cache indexed
        from its last good copy, without a body, when that shard stands: the page is current
        (settled, not marked, the same version and url), or it is not but reading it fails
        and the copy keeps no text (the shard is the copy). None: read() gives the page."""
        old = self._old.get(ref.id)
        entry = self._indexed.get(ref.id)
        if old is None or entry is None or entry[0].version != old.version:
            return None
        shard = entry[0]
        if self._current(ref.id) is None or shard.url != ref.url:
            if old.has_text:  # read() falls back on the text
                return None
            try:
                self._ahead[ref.id] = self._store.read(ref.id)
                return None
            except BrainError as exc:
                self.failures[ref.id] = exc.message
        self.kept[ref.id] = old
        self.unread.add(ref.id)
        self.unread_chars += sum(len(section.utf8) for section in shard.sections)
        return Page(id=ref.id, header=shard.header, body="")

    def read(self, page_id: str) -> StoredPage:
        page = self._ahead.pop(page_id, None)
        if page is None:
            old = self._current(page_id)
            if old is not None and old.has_text:
                self.kept[page_id] = old
                return old.page()
            old = self._old.get(page_id)
            try:
                page = self._store.read(page_id)
            except BrainError as exc:
                if old is None or not old.has_text:
                    raise
                self.failures[page_id] = exc.message
                self.kept[page_id] = old
                return old.page()
        self.kept[page_id], self._packing[page_id] = KeptPage.of_later(page)
        return page

    def _current(self, page_id: str) -> KeptPage | None:
        """The last copy of the page, if it is the current one (nothing to read again)."""
        old = self._old.get(page_id)
        fresh = not (self._everything or page_id in self._dirty)
        if old is not None and fresh and old.settled and old.version == self._versions.get(page_id):
            return old
        return None

    def settle(self) -> None:
        """Put the compressed text in every page read (see KeptPage.of_later)."""
        for page_id, packed in self._packing.items():
            self.kept[page_id] = replace(self.kept[page_id], packed=packed.result())
        self._packing.clear()

    # scan() only reads; the rest of the protocol is here so the type checks.
    def write(self, page_id: str, text: str) -> PageRef:  # pragma: no cover
        raise NotImplementedError

    def append(self, page_id: str, lines: Sequence[str]) -> None:  # pragma: no cover
        raise NotImplementedError

    def tail(self, page_id: str, count: int) -> list[str]:  # pragma: no cover
        raise NotImplementedError

    def url(self, page_id: str) -> str:  # pragma: no cover
        return self._store.url(page_id)
