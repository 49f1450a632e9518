"""Notion integration webhooks (``POST /notion/events``): verify once, mark the pages stale.

Notion signs each event with the verification token it sent once, in a handshake, when the
subscription was created. The handshake's token is kept where only the operator reads it
(:meth:`WebhookReceiver.surface_handshake`); every later event names a page, which is marked
in the shared state database (the context service, in the cloud another service, reads the
marks through :class:`functions.marks.MarkFeed`) and, when this process serves get_context
too, in its own cache.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from config import NOTION_EVENTS_SOURCE, WebhooksConfig
from functions.secrets import SecretResolver
from functions.webhooks.errors import OutboxError
from functions.webhooks.logline import decode_payload
from functions.webhooks.outbox import Outbox
from functions.webhooks.receive import UnknownSource, WebhookReceiver
from functions.webhooks.schemes import get_scheme, needs_secrets

__all__ = ["NotionEvents"]

#: A bot's change to a page this service wrote up to this long before is its own write
#: coming back as a Notion event (Notion delivers events within about a minute).
OWN_WRITE_WINDOW = timedelta(minutes=3)
#: How far Notion's event time may precede our record of the write (clocks, commit order).
OWN_WRITE_SKEW = timedelta(seconds=30)


class NotionEvents:
    """Handles one Notion event: the signature is checked once, then the pages are marked.

    Its collaborators are getters so that nothing (the state database, the receiver) is
    opened before the first event; ``mark_local`` marks this process's own cache, if any.
    """

    def __init__(
        self,
        config: WebhooksConfig,
        secrets: SecretResolver,
        *,
        outbox: Callable[[], Outbox],
        receiver: Callable[[], WebhookReceiver],
        mark_local: Callable[[str], None] = lambda page_id: None,
        written_at: Callable[[str], datetime | None] = lambda page_id: None,
    ) -> None:
        self._config = config
        self._secrets = secrets
        self._outbox = outbox
        self._receiver = receiver
        self._mark_local = mark_local
        self._written_at = written_at

    def handle(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> dict[str, object]:
        """Verify ``body`` and mark the page it names; the marks are committed before the
        answer, so an OutboxError answers 503 and Notion delivers again."""
        source = self._config.sources.get(NOTION_EVENTS_SOURCE)
        if source is None or source.scheme != "notion":
            raise UnknownSource(
                "Notion events are not configured",
                hint=f"Add [webhooks.sources.{NOTION_EVENTS_SOURCE}] with scheme = 'notion' "
                "and the verification token as its secret.",
            )
        scheme = get_scheme("notion")
        secrets = (  # not for Notion's unsigned handshake: it carries the secret-to-be
            self._secrets.resolve_all(list(source.secrets))
            if needs_secrets(source.scheme, headers)
            else []
        )
        verified = scheme.verify(body, headers, secrets, now=now)
        if verified.handshake_token is not None:
            self._receiver().surface_handshake(NOTION_EVENTS_SOURCE, verified.handshake_token)
            return {"status": "verification"}
        payload = decode_payload(body)
        entity = payload.get("entity", {}) if isinstance(payload, dict) else {}
        page_id = entity.get("id") if isinstance(entity, dict) else None
        stale = []
        if (
            isinstance(page_id, str)
            and _by_bots(payload)
            and self._own_write(page_id, _event_time(payload, now))
        ):
            # Our own write coming back (a sync's header or router write): nothing to re-read.
            return {"status": "ok", "event": verified.event, "stale": [], "own_write": True}
        if isinstance(page_id, str) and str(verified.event or "").startswith("page."):
            self._outbox().mark_pages([page_id], now)
            self._mark_local(page_id)
            stale.append(page_id)
        return {"status": "ok", "event": verified.event, "stale": stale}

    def _own_write(self, page_id: str, at: datetime) -> bool:
        """Whether a bot's change to ``page_id`` at ``at`` is this service's own write: it wrote
        the page at most OWN_WRITE_WINDOW before the event. Never raises (a state database that
        cannot answer: not ours, the page is marked)."""
        try:
            written = self._written_at(page_id)
        except OutboxError:
            return False
        return written is not None and written - OWN_WRITE_SKEW <= at <= written + OWN_WRITE_WINDOW


def _by_bots(payload: object) -> bool:
    """True when the event names its authors and every one is a bot (an integration)."""
    authors = payload.get("authors") if isinstance(payload, dict) else None
    return (
        isinstance(authors, list)
        and bool(authors)
        and all(isinstance(a, dict) and a.get("type") == "bot" for a in authors)
    )


def _event_time(payload: object, default: datetime) -> datetime:
    stamp = payload.get("timestamp") if isinstance(payload, dict) else None
    if not isinstance(stamp, str):
        return default
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return default
    return moment if moment.tzinfo is not None else default
