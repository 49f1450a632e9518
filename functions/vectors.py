"""Passage vectors (``router.VectorStore``) kept in the state database.

On Cloud Run an instance's disk dies with it and its CPU is throttled between requests, so
vectors are computed by the scheduled ``sync`` job and kept where every instance finds them:
the state database (PostgreSQL in the cloud, SQLite on a laptop), table ``passage_vectors``
(versioned as the ``vectors`` component). A key is a digest of the model and the embedded
text, so rows from other weights or other text simply never match.

The database is a help, never a requirement: when it cannot answer, the vectors count as
missing (get_context ranks by words and says so) and a write is tried again at the next save.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from functions.webhooks import OutboxError
from functions.webhooks.outbox import Outbox, SqlOutbox, sql_state

__all__ = ["StateVectors"]

COMPONENT = "vectors"
VERSION = 1
_SLICE = 4096  # rows widened to float32 at a time

log = logging.getLogger(__name__)

SCHEMA = [
    # BYTEA: PostgreSQL's bytes; SQLite stores bytes as given under any declared type.
    "CREATE TABLE IF NOT EXISTS passage_vectors ( digest BYTEA PRIMARY KEY, vector BYTEA NOT NULL)",
]
KEYS = "SELECT digest FROM passage_vectors"
ANY = "SELECT 1 FROM passage_vectors LIMIT 1"
ROWS = "SELECT digest, vector FROM passage_vectors"
UPSERT = (
    "INSERT INTO passage_vectors (digest, vector) VALUES (?, ?)"
    " ON CONFLICT (digest) DO UPDATE SET vector = excluded.vector"
)
DELETE = "DELETE FROM passage_vectors WHERE digest = ?"


class StateVectors:
    """A :class:`router.VectorStore` over the state database; never raises."""

    def __init__(self, outbox: Callable[[], Outbox]) -> None:
        self._outbox = outbox  # a getter: the database is opened on first use, not here
        self._ready = False
        self._pending: dict[bytes, bytes] = {}
        self._keep: set[bytes] | None = None
        self._lock = threading.Lock()

    def _db(self) -> SqlOutbox:
        outbox = sql_state(self._outbox(), "passage vectors")
        if not self._ready:
            outbox.create_schema("creating the vector table", SCHEMA, [(COMPONENT, VERSION)])
            self._ready = True
        return outbox

    def _stored_keys(self) -> set[bytes]:
        with self._db().transaction("reading passage vector keys", write=False) as tx:
            return {bytes(row[0]) for row in tx.rows(KEYS)}

    def present(self, keys: Sequence[bytes]) -> list[bool]:
        with self._lock:
            try:
                stored = self._stored_keys()
            except (OutboxError, OSError) as exc:
                log.warning("cannot read passage vectors; ranking by words: %s", exc)
                stored = set()
            stored.update(self._pending)
            return [k in stored for k in keys]

    def gather(self, keys: Sequence[bytes]) -> npt.NDArray[np.float32] | None:
        with self._lock:
            try:
                with self._db().transaction("reading passage vectors", write=False) as tx:
                    rows = {bytes(k): bytes(v) for k, v in tx.rows(ROWS)}
            except (OutboxError, OSError) as exc:
                log.warning("cannot read passage vectors; ranking by words: %s", exc)
                return None
            rows.update(self._pending)
            if not keys or any(k not in rows for k in keys):
                return None
            width = {len(rows[k]) for k in keys}
            if len(width) != 1:  # rows of one model are all as wide; anything else is damage
                log.warning("passage vectors of unequal widths %s; ranking by words", width)
                return None
            # widened a slice at a time: no whole float16 copy beside the float32 one
            out = np.empty((len(keys), width.pop() // 2), dtype=np.float32)
            for start in range(0, len(keys), _SLICE):
                raw = b"".join(rows[k] for k in keys[start : start + _SLICE])
                out[start : start + _SLICE] = np.frombuffer(raw, dtype="<f2").reshape(
                    -1, out.shape[1]
                )
            return out

    def put(
        self, keys: Sequence[bytes], vectors: npt.NDArray[np.float32], keep: set[bytes] | None
    ) -> None:
        with self._lock:
            for k, v in zip(keys, vectors.astype("<f2"), strict=True):
                self._pending[k] = v.tobytes()
            if keep is not None:
                self._keep = set(keep)

    def save(self) -> None:
        """Write what :meth:`put` buffered (and drop rows outside the last ``keep``); on a
        database error the rows stay buffered for the next save."""
        with self._lock:
            if not self._pending and self._keep is None:
                return
            try:
                db = self._db()
                with db.transaction("saving passage vectors") as tx:
                    for key, vector in self._pending.items():
                        tx.run(UPSERT, (key, vector))
                    if self._keep is not None:
                        gone = {bytes(r[0]) for r in tx.rows(KEYS)} - self._keep
                        for key in gone:
                            tx.run(DELETE, (key,))
            except (OutboxError, OSError) as exc:
                log.warning("cannot save passage vectors (kept for the next try): %s", exc)
                return
            self._pending.clear()
            self._keep = None

    def __len__(self) -> int:
        with self._lock:
            try:
                stored = self._stored_keys()
            except (OutboxError, OSError):
                stored = set()
            return len(stored | set(self._pending))

    def __bool__(self) -> bool:
        with self._lock:
            if self._pending:
                return True
            try:
                with self._db().transaction("looking for passage vectors", write=False) as tx:
                    return bool(tx.rows(ANY))
            except (OutboxError, OSError) as exc:
                log.warning("cannot read passage vectors; ranking by words: %s", exc)
                return False
