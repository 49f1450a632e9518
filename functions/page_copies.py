"""The page cache (``shards.cache.PageCache``) kept in the state database.

Page copies live in the same database as the webhook outbox (SQLite locally, PostgreSQL in
the cloud; table ``page_copies``), so a new process, or another Cloud Run instance, starts
from what the last one read instead of reading every Notion page again. The database is a
help, never a requirement: when it cannot answer, the copies are simply not remembered (a
warning is logged) and the store is read as if nothing was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from functions.webhooks import OutboxError
from shards.cache import PageCache
from shards.store import StoredPage

log = logging.getLogger(__name__)


class StatePageCache:
    """A :class:`shards.cache.PageCache` over the state database; never raises."""

    def __init__(self, outbox: Callable[[], PageCache]) -> None:
        self._outbox = outbox  # a getter: the database is opened on first use, not here

    def load_pages(self, store_key: str) -> dict[str, StoredPage]:
        try:
            return self._outbox().load_pages(store_key)
        except (OutboxError, OSError) as exc:
            log.warning("cannot read remembered pages; reading them from the store: %s", exc)
            return {}

    def save_pages(
        self, store_key: str, pages: Sequence[StoredPage], *, written: bool = False
    ) -> None:
        try:
            self._outbox().save_pages(store_key, pages, written=written)
        except (OutboxError, OSError) as exc:
            log.warning("cannot remember pages (they will be read again next time): %s", exc)

    def forget_pages(self, store_key: str, page_ids: Sequence[str]) -> None:
        try:
            self._outbox().forget_pages(store_key, page_ids)
        except (OutboxError, OSError) as exc:
            log.warning("cannot forget pages: %s", exc)
