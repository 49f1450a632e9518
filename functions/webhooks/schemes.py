"""Webhook signature schemes: verify a delivery's raw bytes, or sign one as a sender would.

Every scheme checks the raw body *before* anything parses it, compares digests with
:func:`hmac.compare_digest`, accepts several secrets (valid if any matches, for rotation)
and, where the header can list several signatures, accepts any one that matches. Header
names are matched case-insensitively. ``now`` is always passed in; nothing here reads the
clock. Every failure raises :class:`~functions.webhooks.errors.VerificationError` with a
stable ``reason`` (``missing_header``, ``malformed_header``, ``bad_signature``, ``expired``,
``future_timestamp``, ``no_secret``) and a message that says what was expected, never the
secret or the received signature. An empty header counts as missing.

=============  ======================================  ==========================================
scheme         signature                               signed bytes (key)
=============  ======================================  ==========================================
github         ``X-Hub-Signature-256: sha256=<hex>``   body (the secret's UTF-8 bytes)
stripe         ``Stripe-Signature: t=<ts>,v1=<hex>``   ``<ts>.<body>`` (the ``whsec_…`` string)
standard       ``webhook-signature: v1,<base64>``      ``<webhook-id>.<ts>.<body>`` (base64
                                                       decode of the secret after ``whsec_``)
slack          ``X-Slack-Signature: v0=<hex>``         ``v0:<ts>:<body>`` (the signing secret)
notion         ``X-Notion-Signature: sha256=<hex>``    body (the verification token)
hmac-sha256    ``X-Signature: sha256=<hex>``           ``<ts>.<body>`` (the secret), see below
=============  ======================================  ==========================================

Signed timestamps (Stripe's ``t=``, ``webhook-timestamp``, ``X-Slack-Request-Timestamp``,
``X-Timestamp``) must be within 300 seconds of ``now`` either way. The event name comes from
``X-GitHub-Event``, Stripe's and Standard Webhooks' payload ``type``, Slack's payload
``type`` (``event.type`` for ``event_callback``) or form ``command``, Notion's payload
``type``, or our ``X-Event``; when a scheme has none, ``Verified.event`` is ``None`` and the
caller falls back to the payload's ``"event"``. Payloads are parsed only after verifying.

Notion's handshake: when a subscription is created Notion POSTs ``{"verification_token":
"…"}`` unsigned. Exactly that body (one key, a string) without ``X-Notion-Signature``
verifies as ``Verified(event="verification", handshake_token=<token>)``, so the operator can
paste the token back into Notion and configure it as the source's secret; any other unsigned
request fails with ``missing_header``.

The ``hmac-sha256`` scheme (ours: cron jobs, Claude Code hooks)
-----------------------------------------------------------------
A sender sets these headers on its ``POST /webhooks/<source>``:

- ``X-Timestamp``: the current unix time in whole seconds, ASCII digits (``1767225600``);
  it must be within 300 seconds of the receiver's clock, either way.
- ``X-Signature``: ``sha256=`` followed by the 64 lowercase hex characters of
  HMAC-SHA256 keyed by the secret's UTF-8 bytes over the bytes of ``X-Timestamp``, one
  ``.`` (0x2E), then the request body exactly as sent (no re-encoding, no trailing newline
  added).
- ``X-Event`` (optional): the event name; without it the payload's ``"event"`` is used.
- ``X-Delivery-Id`` (optional): the sender's id for the delivery (a retry reuses it).

In bash with openssl (``SECRET``, ``URL`` set; for a body in a file, pipe
``{ printf '%s.' "$ts"; cat body.json; }`` instead and send ``--data-binary @body.json``)::

    body='{"event":"test","message":"Hello","sender":"claude-code"}'
    ts=$(date +%s)
    sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
    curl -sS -X POST "$URL/webhooks/claude-test" -H 'Content-Type: application/json' \\
      -H "X-Timestamp: $ts" -H "X-Signature: sha256=$sig" -H 'X-Event: test' \\
      --data-binary "$body"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

from functions.webhooks._schemes_common import Verified
from functions.webhooks._schemes_hex import GitHubScheme, HouseScheme, NotionScheme, SlackScheme
from functions.webhooks._schemes_multi import StandardScheme, StripeScheme
from shards.errors import BrainError

__all__ = [
    "NOTION_SIGNATURE_HEADER",
    "SCHEMES",
    "Scheme",
    "UnknownScheme",
    "Verified",
    "get_scheme",
    "needs_secrets",
]

#: The header that signs a Notion event; Notion's first request, the handshake, comes without it.
NOTION_SIGNATURE_HEADER = NotionScheme.signature_header


class Scheme(Protocol):
    """One sender's way of signing webhooks."""

    name: str

    def verify(
        self, body: bytes, headers: Mapping[str, str], secrets: Sequence[str], *, now: datetime
    ) -> Verified:
        """Verify the raw ``body``; raise ``VerificationError`` on any failure."""
        ...

    def sign(
        self, body: bytes, secret: str, *, now: datetime, delivery_id: str | None = None
    ) -> dict[str, str]:
        """The headers a sender would set so that :meth:`verify` accepts ``body``."""
        ...


class UnknownScheme(BrainError):
    """A source names a signature scheme that does not exist."""

    code = "unknown_scheme"

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        super().__init__(
            f"unknown webhook signature scheme {scheme!r}",
            hint=f"use one of: {', '.join(sorted(SCHEMES))}",
        )


SCHEMES: Mapping[str, Scheme] = MappingProxyType(
    {
        scheme.name: scheme
        for scheme in (
            GitHubScheme(),
            StripeScheme(),
            StandardScheme(),
            SlackScheme(),
            NotionScheme(),
            HouseScheme(),
        )
    }
)


def get_scheme(name: str) -> Scheme:
    """The scheme called ``name`` (as written in ``brain.toml``), else :class:`UnknownScheme`."""
    try:
        return SCHEMES[name]
    except KeyError:
        raise UnknownScheme(name) from None


def needs_secrets(scheme: str, headers: Mapping[str, str]) -> bool:
    """Whether verifying this request needs the source's secrets (resolve them only then).

    Notion's first request, the handshake, comes unsigned and carries the very token the secret
    will hold: it must get through while that secret does not exist yet. An unsigned request
    that is not that handshake is still refused by the scheme (401)."""
    if scheme != NotionScheme.name:
        return True
    return any(k.lower() == NOTION_SIGNATURE_HEADER.lower() for k in headers)
