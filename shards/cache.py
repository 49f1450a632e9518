"""Remembered pages: a store whose unchanged pages cost no reads, across processes.

:class:`CachedStore` wraps a :class:`~shards.store.PageStore` (Notion's, where every read is
a request at 3 per second) and a :class:`PageCache` (the state database, implemented in
``functions``). A page is read from the store only when its listed version moved, or when
the remembered copy is not *settled* (read within the minute of its version, so a second
edit in that minute would not show): it is then read again and its text compared. So an
idle sync is one listing, a sync after one page changed is one listing and one read, and a
new process with the state database present answers from it.

Writes go through to the store and are remembered as written, with the version the store
gave back; a write of the text already remembered at the listed version is skipped (a
publish run again after an interruption rewrites nothing it finished).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol, runtime_checkable

from shards.errors import PageNotFound
from shards.page import content_hash
from shards.store import PageRef, PageStore, StoredPage


@runtime_checkable
class PageCache(Protocol):
    """Where copies of pages are remembered, keyed by a store key (one root page)."""

    def load_pages(self, store_key: str) -> dict[str, StoredPage]:
        """Every page remembered for the store, by page id."""
        ...

    def save_pages(
        self, store_key: str, pages: Sequence[StoredPage], *, written: bool = False
    ) -> None:
        """Remember these copies (replacing any earlier copy of the same page); ``written``
        says this service has just written them (so a change notice about that write can
        be told from someone else's edit)."""
        ...

    def forget_pages(self, store_key: str, page_ids: Sequence[str]) -> None:
        """Drop the copies of these pages (deleted, or moved out of the store)."""
        ...


class CachedStore:
    """A :class:`PageStore` that reads a page only when the one it remembers may be old."""

    def __init__(
        self,
        store: PageStore,
        cache: PageCache,
        *,
        key: str,
        trust_own_writes_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.cache = cache
        self.key = key
        #: A page this process wrote is taken as written (not re-read) for this long, while
        #: its version is still the one the write gave: the sync right after a split reads
        #: nothing back. A later process re-reads it once (its copy is not settled).
        self.trust_own_writes_s = trust_own_writes_s
        self._clock = clock
        self._written: dict[str, tuple[str, float]] = {}  # page id -> (version, when)
        self._lock = threading.Lock()
        self._pages: dict[str, StoredPage] | None = None  # loaded on first use
        self._listed: dict[str, PageRef] = {}  # the last listing, by page id
        self._names: dict[str, str] = {}  # page name -> id, from the last listing

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)  # close(), notices, options...

    def _remembered(self) -> dict[str, StoredPage]:
        with self._lock:
            if self._pages is None:
                self._pages = dict(self.cache.load_pages(self.key))
            return self._pages

    def list_pages(self) -> list[PageRef]:
        refs = self.store.list_pages()
        pages = self._remembered()
        gone = [pid for pid in pages if pid not in {r.id for r in refs}]
        with self._lock:
            self._listed = {r.id: r for r in refs}
            self._names = {r.name: r.id for r in refs if r.name}
            for pid in gone:
                pages.pop(pid, None)
        if gone:
            self.cache.forget_pages(self.key, gone)
        return refs

    def _id(self, page_id: str) -> str:
        with self._lock:
            return self._names.get(page_id, page_id)

    def _current(self, pid: str) -> tuple[PageRef | None, StoredPage | None]:
        """The page's listed ref and its remembered copy when that copy is of the listed
        version (else None: never read, or changed since)."""
        pages = self._remembered()
        with self._lock:
            ref = self._listed.get(pid)
            kept = pages.get(pid)
        if kept is None or ref is None or kept.version != ref.version:
            return ref, None
        return ref, kept

    def read(self, page_id: str) -> StoredPage:
        pid = self._id(page_id)
        _, kept = self._current(pid)
        if kept is not None and (kept.settled or self._own(pid, kept.version)):
            return kept
        try:
            page = self.store.read(page_id)
        except PageNotFound:
            self._forget(pid)
            raise
        self._remember(page)
        return page

    def write(self, page_id: str, text: str) -> PageRef:
        pid = self._id(page_id)
        ref, current = self._current(pid)
        if (
            ref is not None
            and current is not None
            and content_hash(current.text) == content_hash(text)
        ):
            return ref  # already there: nothing to write
        pages = self._remembered()
        with self._lock:  # any remembered copy, even of an older version, guides an edit
            kept = pages.get(pid)
        edit = getattr(self.store, "edit", None)
        if kept is not None and callable(edit):  # touch only what changed (NotionStore.edit)
            written = edit(page_id, kept.text, text)
            assert isinstance(written, PageRef)
        else:
            written = self.store.write(page_id, text)
        # Remembered as written, not settled: the next read checks it against the store.
        self._remember(
            StoredPage(written.id, text, written.version, written.url, settled=False),
            written=True,
        )
        with self._lock:
            self._written[written.id] = (written.version, self._clock())
        with self._lock:
            if written.id in self._listed or written.name:
                self._listed[written.id] = written
            if written.name:
                self._names[written.name] = written.id
        return written

    def _own(self, page_id: str, version: str) -> bool:
        with self._lock:
            mine = self._written.get(page_id)
        return (
            mine is not None
            and mine[0] == version
            and self._clock() - mine[1] < self.trust_own_writes_s
        )

    def append(self, page_id: str, lines: Sequence[str]) -> None:
        self.store.append(page_id, lines)

    def tail(self, page_id: str, count: int) -> list[str]:
        return self.store.tail(page_id, count)

    def url(self, page_id: str) -> str:
        return self.store.url(page_id)

    def _remember(self, page: StoredPage, *, written: bool = False) -> None:
        pages = self._remembered()
        with self._lock:
            old = pages.get(page.id)
            pages[page.id] = page
        if old != page or written:
            self.cache.save_pages(self.key, [page], written=written)

    def _forget(self, page_id: str) -> None:
        pages = self._remembered()
        with self._lock:
            known = pages.pop(page_id, None)
        if known is not None:
            self.cache.forget_pages(self.key, [page_id])


class MemoryPageCache:
    """A :class:`PageCache` in memory: for tests and for a process without a database."""

    def __init__(self) -> None:
        self.pages: dict[str, dict[str, StoredPage]] = {}

    def load_pages(self, store_key: str) -> dict[str, StoredPage]:
        return dict(self.pages.get(store_key, {}))

    def save_pages(
        self, store_key: str, pages: Sequence[StoredPage], *, written: bool = False
    ) -> None:
        self.pages.setdefault(store_key, {}).update({p.id: replace(p) for p in pages})

    def forget_pages(self, store_key: str, page_ids: Sequence[str]) -> None:
        for pid in page_ids:
            self.pages.get(store_key, {}).pop(pid, None)
