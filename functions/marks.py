"""The context service's change feed: pages marked stale in the shared state database.

``POST /notion/events`` runs in a service of its own in the cloud; it records the pages
Notion named with :meth:`~functions.webhooks.outbox.Outbox.mark_pages`. The context service
reads them back through a :class:`MarkFeed` and re-reads those pages before its next answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from functions.webhooks.errors import OutboxError

if TYPE_CHECKING:  # the outbox (and its database drivers) load where it is opened
    from functions.webhooks.outbox import Outbox

__all__ = ["MARK_OVERLAP", "MARK_RETRY", "MarkFeed", "utc_now"]

#: Each read of the page marks looks this far back past the previous read, so a mark that
#: committed late or was stamped by another instance's slower clock is still seen.
MARK_OVERLAP = timedelta(seconds=10)
#: After the state database failed to answer, the change feed rests this long.
MARK_RETRY = timedelta(seconds=30)

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


class MarkFeed:
    """The context service's change feed: the pages marked in the shared state database.

    POST /notion/events runs in its own service and records the pages Notion named with
    :meth:`Outbox.mark_pages`; each call here returns the pages marked since the previous
    call. It reads ``MARK_OVERLAP`` further back and remembers the ``marked_at`` it saw per
    page, so every mark is returned once, even one that committed after a read that should
    have seen it. Never raises: when the database cannot answer it logs a warning, returns
    nothing and rests for ``MARK_RETRY`` (marks made meanwhile are returned later, once it
    answers again); freshness falls back to the version check.
    """

    def __init__(
        self, outbox: Callable[[], Outbox], *, now: Callable[[], datetime] = utc_now
    ) -> None:
        self._outbox = outbox  # a getter: the database is opened on the first call, not here
        self._now = now
        self._last = now()
        self._seen: dict[str, datetime] = {}
        self._rest_until: datetime | None = None

    def __call__(self) -> list[str]:
        started = self._now()
        if self._rest_until is not None and started < self._rest_until:
            return []
        try:
            marks = self._outbox().marked_since(self._last - MARK_OVERLAP)
        except (OutboxError, OSError) as exc:
            log.warning("cannot read page marks; relying on version checks for now: %s", exc)
            self._rest_until = started + MARK_RETRY
            return []
        self._rest_until = None
        changed = [page for page, at in marks if self._seen.get(page) != at]
        self._seen = dict(marks)
        self._last = started
        return changed
