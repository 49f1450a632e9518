"""The index snapshot's model: shards parsed into sections and passages, and the snapshot itself.

:class:`IndexSnapshot` is what get_context serves from: per shard its header, page id, url,
sections (with token counts and passages) and one :class:`~router.lexicon.Lexicon` over the
whole index (IDF is global). It is immutable; a change in the store produces a new snapshot.
What never changes for a snapshot (the digest in each form and its token count, each shard's
manifest row) is computed once, on first use, and kept with it. Sections and passages keep
raw token counts of what an answer shows of them, and a saved index keeps those of the
snapshot's fixed texts (``seeds``), so packing counts an answer without encoding it.
"""

from __future__ import annotations

import hashlib
import os
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar, cast

from router._passages import (
    Counts,
    Passage,
    pack_passages,
    page_tokens,
    section_passages,
    shared,
    unpack_passages,
)
from router._render import FIXED_TEXTS, LineCounter, shard_line
from router.digest import DIGEST_FORMS, render_digest
from router.sync import Issue
from shards import ClaudeDelta, Page, StoredPage, Tokenizer

T = TypeVar("T")

if TYPE_CHECKING:
    from router.lexicon import Lexicon


@dataclass(frozen=True, slots=True)
class IndexedSection:
    id: str
    title: str
    level: int
    path: tuple[str, ...]
    utf8: bytes  # the section's text, see text
    tokens: int
    heading: str  # the heading line ("" for the text before the first heading)
    passages: tuple[Passage, ...]
    # Raw counts (see Passage.raw) of ``text``, ``heading`` and the provenance line shown
    # above the section whole and partial (:func:`section_line`).
    raw: int = 0
    heading_raw: int = 0
    line_raws: tuple[int, int] = (0, 0)

    @property
    def text(self) -> str:
        """The section's text. Kept as UTF-8, as a passage's is: Python holds a text with one
        character past Latin-1 (a dash, a curly quote, an emoji: most notes) at two or four
        bytes a character, and the texts of a 20 MB index of such notes were 77 MB."""
        return self.utf8.decode()

    def __reduce__(self) -> tuple[Callable[..., IndexedSection], tuple[object, ...]]:
        # Pickled as a call, its passages packed (see pack_passages); every field by name:
        # tests/router/test_passages.py fails when a field is added, to be added here.
        packed, texts = pack_passages(self.passages, self.utf8)
        return _unpacked_section, (
            self.id,
            self.title,
            self.level,
            self.path,
            self.utf8,
            self.tokens,
            self.heading,
            self.raw,
            self.heading_raw,
            self.line_raws,
            packed,
            texts,
        )


def _unpacked_section(
    id_: str,
    title: str,
    level: int,
    path: tuple[str, ...],
    utf8: bytes,
    tokens: int,
    heading: str,
    raw: int,
    heading_raw: int,
    line_raws: tuple[int, int],
    packed: bytes,
    texts: tuple[object, ...],
) -> IndexedSection:
    """The section :meth:`IndexedSection.__reduce__` pickled."""
    passages = unpack_passages(packed, texts, utf8)
    return IndexedSection(
        id_, title, level, path, utf8, tokens, heading, passages, raw, heading_raw, line_raws
    )


@dataclass(frozen=True)
class IndexedShard:
    id: str
    page_id: str
    url: str
    version: str
    header: ClaudeDelta
    # A digest of the body (its sections hold the text served): enough to tell whether a
    # page read again within its version's minute is the page indexed.
    body_digest: bytes
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
class KeptPage:
    """A page's last good copy: the cache keeps one of every page. The text, compressed, of
    a page the cache has not indexed (the router, a page with a broken header), parsed again
    when another page changes and served when reading it again fails; none (``packed`` empty,
    :meth:`bare`) of an indexed page, whose shard is its last good copy."""

    id: str
    version: str
    url: str
    packed: bytes
    settled: bool = True  # see StoredPage.settled

    @classmethod
    def of(cls, page: StoredPage) -> KeptPage:
        packed = zlib.compress(page.text.encode(), 1)
        return cls(page.id, page.version, page.url, packed, page.settled)

    @classmethod
    def of_later(cls, page: StoredPage) -> tuple[KeptPage, Future[bytes]]:
        """:meth:`of` with the text compressed on the worker thread (beside the caller's
        parsing): the page without its text yet, and the text to put in it."""
        empty = cls(page.id, page.version, page.url, b"", page.settled)
        return empty, _compress(page.text.encode())

    def bare(self) -> KeptPage:
        """This copy without its text."""
        return replace(self, packed=b"") if self.packed else self

    @property
    def has_text(self) -> bool:
        return bool(self.packed)  # (a compressed text, even an empty one, is never empty)

    def page(self) -> StoredPage:
        assert self.packed, f"page {self.id!r}: no text kept"
        text = zlib.decompress(self.packed).decode()
        return StoredPage(self.id, text, self.version, self.url, self.settled)


@dataclass(frozen=True)
class StaleEntry:
    page_id: str
    shard_id: str | None
    reason: str

    def to_json(self) -> dict[str, str | None]:
        return {"page": self.page_id, "shard": self.shard_id, "reason": self.reason}


@dataclass(frozen=True)
class IndexSnapshot:
    """The parsed index at one moment; immutable and shared between requests."""

    shards: tuple[IndexedShard, ...]  # sorted by shard id
    lexicon: Lexicon
    invalid: tuple[Issue, ...]
    stale: tuple[StaleEntry, ...]
    versions: Mapping[str, str]  # page id -> version the snapshot was built from
    generation: int
    # Raw counts of this snapshot's fixed texts (fixed_raws) kept with a saved index, by the
    # key counted_raw() takes: a summing tokenizer reads them instead of encoding the texts again.
    # Not an init field: a snapshot made with dataclasses.replace (other shards, a STALE
    # line) must count its own texts.
    seeds: Mapping[str, int] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    # Per-snapshot memo (digests, token counts, positions): filled on first use, never
    # part of equality; a snapshot is immutable, so what is derived from it is too.
    _memo: dict[object, object] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    _memo_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False, hash=False
    )

    @property
    def digest(self) -> str:
        """The full router digest (see :func:`render_digest` for the shorter forms)."""
        return self.digest_form("full")

    def digest_form(self, form: str) -> str:
        """The router digest in ``form`` (``full``, ``short``, ``ids``), rendered once."""
        return self.once(f"digest:{form}", lambda snap: render_digest(snap.shards, form))

    def counted_raw(self, key: str, text: str | Callable[[], str], counts: Counts) -> int:
        """The raw count (see :class:`~router._passages.Counts`) of a text fixed by this
        snapshot, under ``key``: from the seeds a saved index kept, else counted once.
        ``text`` may be a function making it, called only when it has to be counted."""
        memo_key = ("raw", key, id(counts.tokenizer))
        found = self._memo.get(memo_key)
        if found is None:
            found = self.seeds.get(key) if counts.summing is not None else None
            if found is None:
                found = counts.count(text if isinstance(text, str) else text())
            with self._memo_lock:
                self._memo[memo_key] = found
        assert isinstance(found, int)
        return found

    def seeded(self, seeds: Mapping[str, int]) -> IndexSnapshot:
        """This snapshot, new and not yet shared, reading ``seeds``: what :meth:`fixed_raws`
        gave for the snapshot it was saved from (the same shards)."""
        object.__setattr__(self, "seeds", dict(seeds))
        return self

    def fixed_raws(self, tokenizer: Tokenizer) -> dict[str, int]:
        """Raw counts of every fixed text an answer may hold besides the sections' own (the
        digest in each form, each shard's provenance line, the marks and footers of
        :mod:`router._render`), by their keys: what a saved index keeps as ``seeds``."""
        counts = Counts(tokenizer)
        return {k: self.counted_raw(k, text, counts) for k, text in self.fixed_texts().items()}

    def fixed_texts(self) -> dict[str, str]:
        """The texts of :meth:`fixed_raws`, by their keys."""
        return fixed_texts(self.shards, self.digest_form)

    def once(self, key: str, make: Callable[[IndexSnapshot], T]) -> T:
        """``make(self)``, computed on first use and kept with the snapshot under ``key``."""
        found = self._memo.get(("once", key))
        if found is None:
            found = make(self)
            with self._memo_lock:
                self._memo[("once", key)] = found
        return cast("T", found)

    def ids(self) -> tuple[str, ...]:
        return self.once("ids", lambda snap: tuple(s.id for s in snap.shards))

    def index_of(self, shard_id: str) -> int:
        """Position of a shard; -1 when the snapshot has no such shard."""
        positions = self.once(
            "positions", lambda snap: {s.id: n for n, s in enumerate(snap.shards)}
        )
        return positions.get(shard_id, -1)

    def shard(self, shard_id: str) -> IndexedShard | None:
        n = self.index_of(shard_id)
        return self.shards[n] if n >= 0 else None


def _positions(snapshot: IndexSnapshot) -> dict[str, int]:
    return {s.id: n for n, s in enumerate(snapshot.shards)}


def fixed_texts(
    shards: Sequence[IndexedShard], digest: Callable[[str], str] | None = None
) -> dict[str, str]:
    """The texts an answer may hold besides the sections' own, by their keys (what
    :meth:`IndexSnapshot.fixed_raws` counts): fixed by the shards alone, so a build counts
    them before its indexes exist. ``digest`` renders a form of the digest (a snapshot's
    kept one), else it is rendered here."""
    render = digest or (lambda form: render_digest(tuple(shards), form))
    texts = {f"digest:{form}": render(form) for form in DIGEST_FORMS}
    texts |= {f"shard:{n}": shard_line(s) for n, s in enumerate(shards)}
    texts |= {f"text:{t}": t for t in FIXED_TEXTS}
    return texts


def body_digest(body: str) -> bytes:
    """What :attr:`IndexedShard.body_digest` holds for ``body``."""
    return hashlib.blake2b(body.encode(), digest_size=16).digest()


def index_shard(
    page: Page,
    url: str,
    version: str,
    tokenizer: Tokenizer,
    *,
    max_passage_tokens: int,
    min_passage_tokens: int,
) -> IndexedShard:
    """One shard page, counted and cut into passages (its terms are built separately)."""
    assert page.header is not None
    sections: list[IndexedSection] = []
    raws: list[tuple[str, int]] = []
    lines = LineCounter(Counts(tokenizer))
    for s in page.sections:
        heading, passages, tokens, raw, heading_raw = section_passages(
            s.text,
            s.level,
            tokenizer,
            max_tokens=max_passage_tokens,
            min_tokens=min_passage_tokens,
        )
        utf8 = s.text.encode()
        sections.append(
            IndexedSection(
                s.id, s.title, s.level, s.path, utf8, tokens, heading, shared(passages, utf8),
                raw, heading_raw, lines.raws(s.path, s.level, heading, heading_raw),
            )
        )  # fmt: skip
        raws.append((s.text, raw))
    return IndexedShard(
        id=page.header.id,
        page_id=page.id,
        url=url,
        version=version,
        header=page.header,
        body_digest=body_digest(page.body),
        # Summed from the sections' counts (each character is encoded once, in its block).
        tokens=page_tokens(page.body, raws, tokenizer),
        sections=tuple(sections),
    )


#: The name of the thread compressing page bodies (idle between index_shard calls: each
#: waits for its own body; a forked child makes a pool of its own).
COMPRESS_THREAD = "index-compress"
_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def _compress(data: bytes) -> Future[bytes]:
    """``zlib.compress(data, 1)`` on a worker thread, one per process (a forked child makes
    its own: the parent's thread does not exist in it)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix=COMPRESS_THREAD))
        pool = _pool[1]
    return pool.submit(zlib.compress, data, 1)
