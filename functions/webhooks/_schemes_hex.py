"""The schemes with one hex HMAC-SHA256 in one header: GitHub, Slack, Notion and our own.

They differ only in the header names, the signature's prefix, what exactly is signed and
where the event name and delivery id come from, so one base class does the verifying and
each subclass states its differences (see :mod:`functions.webhooks.schemes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import parse_qs

from functions.webhooks._schemes_common import (
    Headers,
    Verified,
    any_match,
    bad_signature,
    check_fresh,
    hmac_sha256,
    iso_time,
    json_object,
    parse_hex_digest,
    parse_unix_seconds,
    signing_time,
    str_field,
    utf8,
    utf8_keys,
)
from functions.webhooks.errors import VerificationError


class HexScheme:
    """``<signature header>: <prefix><64 hex>``, optionally with a signed timestamp header."""

    name: str
    signature_header: str
    prefix: str = "sha256="
    timestamp_header: str | None = None
    delivery_header: str | None = None

    def signed_message(self, timestamp: str | None, body: bytes) -> bytes:
        """The exact bytes the sender signs (the raw body, unless a subclass says otherwise)."""
        return body

    def describe(self, headers: Headers, body: bytes, signed_at: datetime | None) -> Verified:
        """Event, delivery id and time of a delivery already verified."""
        delivery = headers.get(self.delivery_header) if self.delivery_header else None
        return Verified(event=None, delivery_id=delivery, timestamp=signed_at)

    def verify(
        self, body: bytes, headers: Mapping[str, str], secrets: Sequence[str], *, now: datetime
    ) -> Verified:
        """Check the raw ``body`` against the signature header under any of ``secrets``."""
        keys = utf8_keys(secrets, self.name)
        found = Headers(headers)
        shape = f"{self.prefix!r} followed by 64 hex characters"
        received = parse_hex_digest(
            found.require(self.signature_header, shape), self.signature_header, self.prefix
        )
        timestamp = signed_at = None
        if self.timestamp_header is not None:
            timestamp = found.require(self.timestamp_header, "a unix time in whole seconds")
            signed_at = parse_unix_seconds(timestamp, f"header {self.timestamp_header}")
        message = self.signed_message(timestamp, body)
        if not any_match((hmac_sha256(key, message) for key in keys), [received]):
            raise bad_signature(self.signature_header, len(keys))
        when = None
        if signed_at is not None:
            when = check_fresh(signed_at, now, f"header {self.timestamp_header}")
        return self.describe(found, body, when)

    def sign(
        self, body: bytes, secret: str, *, now: datetime, delivery_id: str | None = None
    ) -> dict[str, str]:
        """Headers that make ``verify`` accept ``body`` (a sender's view of the scheme)."""
        (key,) = utf8_keys([secret], self.name)
        timestamp = signing_time(now) if self.timestamp_header else None
        headers: dict[str, str] = {}
        if self.timestamp_header is not None and timestamp is not None:
            headers[self.timestamp_header] = timestamp
        digest = hmac_sha256(key, self.signed_message(timestamp, body)).hex()
        headers[self.signature_header] = self.prefix + digest
        if self.delivery_header is not None and delivery_id is not None:
            headers[self.delivery_header] = delivery_id
        return headers


class GitHubScheme(HexScheme):
    """GitHub: ``X-Hub-Signature-256: sha256=<hex>`` of the raw body; no timestamp."""

    name = "github"
    signature_header = "X-Hub-Signature-256"
    delivery_header = "X-GitHub-Delivery"

    def describe(self, headers: Headers, body: bytes, signed_at: datetime | None) -> Verified:
        return Verified(
            event=headers.get("X-GitHub-Event"),
            delivery_id=headers.get("X-GitHub-Delivery"),
            timestamp=None,
        )


class SlackScheme(HexScheme):
    """Slack: ``X-Slack-Signature: v0=<hex>`` of ``v0:<timestamp>:<body>``."""

    name = "slack"
    signature_header = "X-Slack-Signature"
    prefix = "v0="
    timestamp_header = "X-Slack-Request-Timestamp"

    def signed_message(self, timestamp: str | None, body: bytes) -> bytes:
        return utf8(f"v0:{timestamp}:") + body

    def describe(self, headers: Headers, body: bytes, signed_at: datetime | None) -> Verified:
        # Events API and interactivity send JSON; slash commands send a form (``command=``).
        payload = json_object(body)
        if payload is not None:
            event = str_field(payload, "type")
            inner = payload.get("event")
            if event == "event_callback" and isinstance(inner, dict):
                event = str_field(inner, "type") or event
            return Verified(event, str_field(payload, "event_id"), signed_at)
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        event = next((value for value in form.get("command", []) if value), None)
        if event is None:  # interactive components: ``payload=<json>`` with a ``type``
            inner_json = next(iter(form.get("payload", [])), "")
            event = str_field(json_object(utf8(inner_json)), "type")
        return Verified(event, None, signed_at)


class NotionScheme(HexScheme):
    """Notion: ``X-Notion-Signature: sha256=<hex>`` of the raw body, keyed by the
    subscription's verification token; plus the unsigned verification-token handshake."""

    name = "notion"
    signature_header = "X-Notion-Signature"

    def verify(
        self, body: bytes, headers: Mapping[str, str], secrets: Sequence[str], *, now: datetime
    ) -> Verified:
        # Before the operator has the token there is nothing to verify with: Notion's first
        # POST carries the token itself, unsigned. Only that exact shape is let through.
        if Headers(headers).get(self.signature_header) is None:
            payload = json_object(body)
            if payload is not None and payload.keys() == {"verification_token"}:
                token = str_field(payload, "verification_token")
                if token is not None:
                    return Verified("verification", None, None, handshake_token=token)
            raise VerificationError(
                "missing_header",
                f"header {self.signature_header} is missing or empty; it must be 'sha256=' "
                "followed by 64 hex characters (only Notion's verification-token handshake, "
                'a body of exactly {"verification_token": "..."}, may come unsigned)',
            )
        return super().verify(body, headers, secrets, now=now)

    def describe(self, headers: Headers, body: bytes, signed_at: datetime | None) -> Verified:
        payload = json_object(body)
        return Verified(
            event=str_field(payload, "type"),
            delivery_id=str_field(payload, "id"),
            timestamp=iso_time(str_field(payload, "timestamp")),
        )


class HouseScheme(HexScheme):
    """Ours: ``X-Signature: sha256=<hex>`` of ``<X-Timestamp>.<body>`` (see the schemes
    module's docstring for the full contract)."""

    name = "hmac-sha256"
    signature_header = "X-Signature"
    timestamp_header = "X-Timestamp"
    delivery_header = "X-Delivery-Id"

    def signed_message(self, timestamp: str | None, body: bytes) -> bytes:
        return utf8(f"{timestamp}.") + body

    def describe(self, headers: Headers, body: bytes, signed_at: datetime | None) -> Verified:
        return Verified(headers.get("X-Event"), headers.get("X-Delivery-Id"), signed_at)
