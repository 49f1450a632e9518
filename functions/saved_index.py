"""The saved index (``router.IndexPlace``) kept in the state database, for Cloud Run.

A local process saves the index it built to its state directory, and the next process
starts from it (``router.persist``). A Cloud Run instance's disk dies with it, so there the
two files go to the state database instead, where every new instance finds what the
scheduled sync job built last: its first answer costs a load, not a build from the pages (a
20 MB index: seconds; see BENCHMARKS.md). Only the job writes it: an instance's CPU is
throttled between requests (a save on its refresh thread could stall halfway for minutes),
and one writer per deployment keeps every save whole. An instance that finds the saved
index behind the pages re-reads and re-analyzes only what changed since, as a local process
does.

The files are the same bytes as on disk, in two tables (versioned as the ``saved_index``
component): ``saved_index`` names each file's current generation, its head (the magic and
header line, with the payload's size and checksum) and its size; ``saved_index_chunks`` holds
the payload in rows of :data:`CHUNK` bytes. A writer puts its chunks under a new random
generation, each in a short transaction of its own (nothing is locked while a snapshot is
pickled), then, in one transaction, points the file at them and deletes the other
generations, except the one it replaced (a reader that began on it finishes) and any written
in the last :data:`KEEP_S` seconds (another save still under way: a job run that outlived its
request, or a writer outside Cloud Run). A reader
streams one chunk at a time: loading a 100 MB index never holds it whole. A chunk that is
missing or short makes the file unreadable, and the cache builds from the pages, as it does
for a damaged file on disk.
"""

from __future__ import annotations

import io
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

from functions.webhooks import OutboxError
from functions.webhooks.outbox import Outbox, SqlOutbox, Tx, sql_state

if TYPE_CHECKING:
    from router import IndexFile, IndexWriter

__all__ = ["CHUNK", "StateIndexPlace"]

COMPONENT = "saved_index"
VERSION = 1
#: Payload bytes per row: a reader holds one row at a time.
CHUNK = 4 << 20
#: Chunks this recent are never pruned: another writer's, not pointed at yet.
KEEP_S = 3600.0

log = logging.getLogger(__name__)

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS saved_index ("
    " name TEXT PRIMARY KEY, generation BIGINT NOT NULL, head BYTEA NOT NULL,"
    " chunk_bytes BIGINT NOT NULL, payload_bytes BIGINT NOT NULL,"
    " written_at DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE IF NOT EXISTS saved_index_chunks ("
    " name TEXT NOT NULL, generation BIGINT NOT NULL, seq INTEGER NOT NULL,"
    " written_at DOUBLE PRECISION NOT NULL, data BYTEA NOT NULL,"
    " PRIMARY KEY (name, generation, seq))",
]
#: PostgreSQL compresses large values by default: pickled arrays barely shrink, and saving
#: took twice as long (0.69 s against 0.33 s for 33 MB). Altered only when not so already:
#: ALTER TABLE locks the table, and every instance opens it.
STORAGE = (
    "SELECT attstorage FROM pg_attribute"
    " WHERE attrelid = 'saved_index_chunks'::regclass AND attname = 'data'"
)
UNCOMPRESSED = "ALTER TABLE saved_index_chunks ALTER COLUMN data SET STORAGE EXTERNAL"
HEAD = "SELECT generation, head, chunk_bytes, payload_bytes FROM saved_index WHERE name = ?"
PART = "SELECT data FROM saved_index_chunks WHERE name = ? AND generation = ? AND seq = ?"
PUT = (
    "INSERT INTO saved_index_chunks (name, generation, seq, written_at, data)"
    " VALUES (?, ?, ?, ?, ?)"
)
POINT = (
    "INSERT INTO saved_index (name, generation, head, chunk_bytes, payload_bytes, written_at)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
    " generation = excluded.generation, head = excluded.head,"
    " chunk_bytes = excluded.chunk_bytes, payload_bytes = excluded.payload_bytes,"
    " written_at = excluded.written_at"
)
SAVED = "SELECT payload_bytes, written_at FROM saved_index WHERE name = ?"
PRUNE = (
    "DELETE FROM saved_index_chunks"
    " WHERE name = ? AND generation <> ? AND generation <> ? AND written_at < ?"
)
DROP = "DELETE FROM saved_index_chunks WHERE name = ? AND generation = ?"

_NAMES: dict[str, str] = {"index": "index", "terms": "index.terms"}


class StateIndexPlace:
    """A :class:`router.IndexPlace` over the state database (see the module docstring).

    Its errors are OSErrors, which the saved index's reader and writer already handle: a
    database that cannot answer means building from the pages, and a save that fails is
    logged and tried again at the next build."""

    def __init__(
        self,
        outbox: Callable[[], Outbox],
        *,
        chunk: int = CHUNK,
        clock: Callable[[], float] = time.time,
        read_only: bool = False,
    ) -> None:
        self._outbox = outbox  # a getter: the database is opened on first use, not here
        self._chunk = chunk
        self._clock = clock
        self._ready = False
        #: Loaded from, never saved to: a Cloud Run instance's (the scheduled job writes).
        self.read_only = read_only

    def where(self, kind: IndexFile) -> str:
        return f"the saved index file {_NAMES[kind]!r} in the state database"

    def _db(self) -> SqlOutbox:
        outbox = sql_state(self._outbox(), "the saved index")
        if not self._ready:
            outbox.create_schema("creating the saved index tables", SCHEMA, [(COMPONENT, VERSION)])
            if outbox.dialect.name == "postgresql":
                with outbox.transaction("storing saved index rows uncompressed") as tx:
                    if [tuple(r) for r in tx.rows(STORAGE)] != [("e",)]:
                        tx.run(UNCOMPRESSED)
            self._ready = True
        return outbox

    @contextmanager
    def _tx(self, operation: str, *, write: bool) -> Iterator[Tx]:
        """A transaction on the state database whose errors are OSErrors (see the class)."""
        try:
            with self._db().transaction(operation, write=write) as tx:
                yield tx
        except OutboxError as exc:
            raise OSError(str(exc)) from exc

    def _rows(self, sql: str, params: tuple[object, ...]) -> list[Any]:
        with self._tx("reading the saved index", write=False) as tx:
            return list(tx.rows(sql, params, binary=True))

    def saved(self, kind: IndexFile) -> tuple[int, float] | None:
        """The file's payload size and when it was written (epoch seconds), or None when
        there is none (for ``brain doctor``)."""
        found = self._rows(SAVED, (_NAMES[kind],))
        return (int(found[0][0]), float(found[0][1])) if found else None

    @contextmanager
    def reader(self, kind: IndexFile) -> Iterator[IO[bytes]]:
        name = _NAMES[kind]
        found = self._rows(HEAD, (name,))
        if not found:
            raise FileNotFoundError(self.where(kind))
        generation, head, chunk_bytes, payload_bytes = found[0]
        raw = _ChunkReader(
            self, name, int(generation), bytes(head), int(chunk_bytes), int(payload_bytes)
        )
        with io.BufferedReader(raw, buffer_size=1 << 20) as src:
            yield src

    def _part(self, name: str, generation: int, seq: int) -> bytes | None:
        """Chunk ``seq`` of ``generation`` of file ``name`` (None when it is not there)."""
        rows = self._rows(PART, (name, generation, seq))
        return bytes(rows[0][0]) if rows else None

    @contextmanager
    def writer(self, kind: IndexFile, head_bytes: int) -> Iterator[IndexWriter]:
        name = _NAMES[kind]
        out = _ChunkWriter(self, name, secrets.randbits(62))
        try:
            yield out
            if not out.finished:
                raise OSError(f"{self.where(kind)}: the writer left without finishing")
        except BaseException:
            out.discard()
            raise

    def _put(self, name: str, generation: int, seq: int, data: bytes) -> None:
        """Write one chunk, in a transaction of its own."""
        with self._tx("saving the saved index", write=True) as tx:
            tx.run(PUT, (name, generation, seq, self._clock(), data))

    def _point(self, name: str, generation: int, head: bytes, size: int) -> None:
        """Make ``generation`` file ``name``'s, and prune (see the module docstring)."""
        with self._tx("saving the saved index", write=True) as tx:
            found = tx.rows(HEAD, (name,))
            replaced = int(found[0][0]) if found else generation
            tx.run(POINT, (name, generation, head, self._chunk, size, self._clock()))
            tx.run(PRUNE, (name, generation, replaced, self._clock() - KEEP_S))

    def _drop(self, name: str, generation: int) -> None:
        with self._tx("dropping an unfinished saved index", write=True) as tx:
            tx.run(DROP, (name, generation))

    @property
    def chunk(self) -> int:
        """Payload bytes per row this place writes."""
        return self._chunk


class _ChunkReader(io.RawIOBase):
    """A file's bytes: its head, then its chunks fetched one at a time as reading reaches
    them; seekable (a saved index is read twice: checksummed, then unpickled)."""

    def __init__(
        self,
        place: StateIndexPlace,
        name: str,
        generation: int,
        head: bytes,
        chunk_bytes: int,
        payload_bytes: int,
    ) -> None:
        super().__init__()
        self._place = place
        self._name = name
        self._generation = generation
        self._head = head
        self._chunk_bytes = chunk_bytes
        self._size = len(head) + payload_bytes
        self._pos = 0
        self._held: tuple[int, bytes] = (-1, b"")

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._size:
            return 0
        if self._pos < len(self._head):
            data = memoryview(self._head)[self._pos :]
        else:
            seq, within = divmod(self._pos - len(self._head), self._chunk_bytes)
            data = memoryview(self._part(seq))[within:]
        out = memoryview(buffer).cast("B")
        n = min(len(out), len(data))
        out[:n] = data[:n]
        self._pos += n
        return n

    def _part(self, seq: int) -> bytes:
        if self._held[0] != seq:
            self._held = (-1, b"")  # one chunk at a time, never two
            data = self._place._part(self._name, self._generation, seq)
            payload = self._size - len(self._head)
            expected = min(self._chunk_bytes, payload - seq * self._chunk_bytes)
            if data is None or len(data) != expected:
                got = "missing" if data is None else f"{len(data):,} of {expected:,} bytes"
                raise OSError(
                    f"chunk {seq} of {self._name!r} in the state database is {got}"
                    " (written over while being read, or damaged)"
                )
            self._held = (seq, data)
        return self._held[1]


class _ChunkWriter:
    """The payload, cut into chunks written as they fill; :meth:`finish` points the file at
    them."""

    def __init__(self, place: StateIndexPlace, name: str, generation: int) -> None:
        self._place = place
        self._name = name
        self._generation = generation
        self._buffer = bytearray()
        self._seq = 0
        self._size = 0
        self.finished = False

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        chunk = self._place.chunk
        at = 0
        while at < len(view):
            take = min(chunk - len(self._buffer), len(view) - at)
            self._buffer += view[at : at + take]
            at += take
            if len(self._buffer) == chunk:
                self._put()
        self._size += len(view)
        return len(view)

    def _put(self) -> None:
        self._place._put(self._name, self._generation, self._seq, bytes(self._buffer))
        self._buffer.clear()
        self._seq += 1

    def finish(self, head: bytes) -> None:
        if self._buffer:
            self._put()
        self._place._point(self._name, self._generation, head, self._size)
        self.finished = True

    def discard(self) -> None:
        """Drop the chunks written so far (a failed or abandoned write); never raises."""
        try:
            self._place._drop(self._name, self._generation)
        except OSError as exc:
            log.warning("could not drop an unfinished saved index (a later save will): %s", exc)
