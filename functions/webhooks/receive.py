"""Receiving one webhook: verify, deduplicate, persist; the 2xx comes only after the commit.

The HTTP function reads the body (capped), hands the raw bytes and headers here, and maps
the errors to status codes: :class:`UnknownSource` 404, ``VerificationError`` 401,
:class:`~functions.errors.SecretError` and ``OutboxError`` 503 (the sender retries).
Nothing here logs a secret or a signature header.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from config import WebhooksConfig
from functions.secrets import SecretResolver
from functions.webhooks.logline import decode_payload, event_name, format_line
from functions.webhooks.outbox import Outbox
from functions.webhooks.schemes import Verified, get_scheme, needs_secrets
from shards.errors import BrainError

log = logging.getLogger(__name__)


@dataclass
class _PageClock:
    """Orders accepts to one log page: its lock and the last receive time given there."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    last: datetime | None = None


class UnknownSource(BrainError):
    """No webhook source of that name is configured (404)."""

    code = "unknown_source"


@dataclass(frozen=True)
class Receipt:
    """What the sender is told: 202 with the event id and whether it was new."""

    id: int | None
    status: Literal["accepted", "duplicate", "verification"]
    source: str
    event: str

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "status": self.status}


def log_page_for(config: WebhooksConfig, source: str, received_at: datetime) -> str:
    """The page a source's line goes to; ``roll = "monthly"`` appends ``-YYYY-MM``."""
    page = config.sources[source].log_page or config.log_page
    return f"{page}-{received_at:%Y-%m}" if config.roll == "monthly" else page


def delivery_key(verified: Verified, body: bytes) -> str:
    """The sender's delivery id, else a hash of the signed timestamp and the body."""
    if verified.delivery_id:
        return f"id:{verified.delivery_id}"
    stamp = verified.timestamp.isoformat() if verified.timestamp else ""
    return "sha256:" + hashlib.sha256(stamp.encode() + b"." + body).hexdigest()


class WebhookReceiver:
    """Verifies and persists deliveries for the configured sources."""

    def __init__(
        self,
        config: WebhooksConfig,
        secrets: SecretResolver,
        outbox: Outbox,
        *,
        state_dir: Path | None = None,
        on_accept: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.secrets = secrets
        self.outbox = outbox
        self.state_dir = state_dir
        self.on_accept = on_accept
        self._order_guard = threading.Lock()
        self._order: dict[str, _PageClock] = {}

    def receive(
        self, source: str, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> Receipt:
        src = self.config.sources.get(source)
        if src is None:
            known = ", ".join(sorted(self.config.sources)) or "none configured"
            raise UnknownSource(
                f"no webhook source named {source[:64]!r} (sources: {known})",
                hint="Add [webhooks.sources.<name>] with scheme and secrets to brain.toml.",
            )
        scheme = get_scheme(src.scheme)
        secrets = (
            self.secrets.resolve_all(list(src.secrets))
            if needs_secrets(src.scheme, headers)
            else []
        )
        verified = scheme.verify(body, headers, secrets, now=now)
        if verified.handshake_token is not None:
            self.surface_handshake(source, verified.handshake_token)
            return Receipt(None, "verification", source, "verification")
        payload = decode_payload(body)
        event = event_name(verified.event, payload)
        page = log_page_for(self.config, source, now)
        clock = self._page_clock(page)
        with clock.lock:
            # Receive order is the outbox's id order. Concurrent requests reach the commit in
            # any order, so the time on a line is never earlier than the line before it on
            # the same page (from this process): at most the previous event's time.
            at = max(now, clock.last) if clock.last else now
            line = format_line(at, source, event, payload, max_chars=self.config.max_line_chars)
            accepted = self.outbox.accept(
                source=source,
                delivery_key=delivery_key(verified, body),
                line=line,
                log_page=page,
                received_at=at,
            )
            clock.last = at
        if not accepted.duplicate and self.on_accept is not None:
            self.on_accept()
        return Receipt(
            accepted.id, "duplicate" if accepted.duplicate else "accepted", source, event
        )

    def _page_clock(self, page: str) -> _PageClock:
        with self._order_guard:
            return self._order.setdefault(page, _PageClock())

    def surface_handshake(self, source: str, token: str) -> None:
        """Keep Notion's verification token where only the operator can read it.

        The token becomes the source's signing secret, so it is never logged: it is written
        to ``<state dir>/notion-verification-<source>.txt`` (mode 0600) and the log says where.
        """
        if self.state_dir is None:
            log.warning(
                "Notion sent a verification token for source %r, but no state folder is "
                "configured to keep it; use Notion's 'Resend token' after configuring one.",
                source,
            )
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        path = self.state_dir / f"notion-verification-{source}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(token + "\n")
        log.warning(
            "Notion sent a verification token for source %r: it is in %s. Paste it into "
            "Notion's webhook settings to verify, then store it as the source's secret.",
            source,
            path,
        )
