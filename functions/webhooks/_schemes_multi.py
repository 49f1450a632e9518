"""The schemes whose header may carry several signatures: Stripe and Standard Webhooks.

Both sign ``<timestamp>`` (and, for Standard Webhooks, the message id) together with the raw
body and may list several signatures while a secret is being rolled; a delivery is valid
when any listed signature matches under any configured secret.

Standard Webhooks is implemented here rather than by calling the ``standardwebhooks``
package: its ``Webhook.verify`` reads the clock itself (our ``now`` is injected), decodes
the body as UTF-8 before signing it again (a non-UTF-8 body raises ``UnicodeDecodeError``)
and leaks ``ValueError``/``binascii.Error`` on malformed headers. The tests cross-check this
implementation against the package in both directions.
"""

from __future__ import annotations

import base64
import binascii
import secrets as _random
from collections.abc import Mapping, Sequence
from datetime import datetime

from functions.webhooks._schemes_common import (
    Headers,
    Verified,
    any_match,
    b64_digest_or_none,
    bad_signature,
    check_fresh,
    hex_digest_or_none,
    hmac_sha256,
    json_object,
    no_secret,
    parse_unix_seconds,
    signing_time,
    str_field,
    utf8,
    utf8_keys,
)
from functions.webhooks.errors import VerificationError


class StripeScheme:
    """Stripe: ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`` over ``<t>.<body>``.

    The ``whsec_…`` secret is the HMAC key as it stands (its UTF-8 bytes, not base64-decoded).
    Other schemes in the header (``v0=``, test-mode leftovers) are ignored, as Stripe says.
    """

    name = "stripe"
    header = "Stripe-Signature"
    _shape = "'t=<unix seconds>,v1=<64 hex characters>' (more ',v1=' entries allowed)"

    def verify(
        self, body: bytes, headers: Mapping[str, str], secrets: Sequence[str], *, now: datetime
    ) -> Verified:
        """Check ``body`` against every ``v1`` signature under every secret."""
        keys = utf8_keys(secrets, self.name)
        timestamp, received = self._parse(Headers(headers).require(self.header, self._shape))
        signed_at = parse_unix_seconds(timestamp, f"the t= of header {self.header}")
        message = utf8(f"{timestamp}.") + body
        if not any_match((hmac_sha256(key, message) for key in keys), received):
            raise bad_signature(self.header, len(keys))
        when = check_fresh(signed_at, now, f"the t= of header {self.header}")
        payload = json_object(body)  # only now that the bytes are known to be Stripe's
        return Verified(str_field(payload, "type"), str_field(payload, "id"), when)

    def _parse(self, value: str) -> tuple[str, list[bytes]]:
        timestamp: str | None = None
        received: list[bytes] = []
        malformed = VerificationError(
            "malformed_header", f"header {self.header} must be {self._shape}"
        )
        for item in value.split(","):
            key, _, text = item.strip().partition("=")
            if key == "t":
                if timestamp is not None:
                    raise malformed
                timestamp = text
            elif key == "v1" and (digest := hex_digest_or_none(text)) is not None:
                received.append(digest)
        if timestamp is None or not received:
            raise malformed
        return timestamp, received

    def sign(
        self, body: bytes, secret: str, *, now: datetime, delivery_id: str | None = None
    ) -> dict[str, str]:
        """``Stripe-Signature`` for ``body``; the event id lives in the body, so
        ``delivery_id`` is not used."""
        (key,) = utf8_keys([secret], self.name)
        timestamp = signing_time(now)
        digest = hmac_sha256(key, utf8(f"{timestamp}.") + body).hex()
        return {self.header: f"t={timestamp},v1={digest}"}


class StandardScheme:
    """Standard Webhooks: ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``
    (space-separated ``v1,<base64>``) over ``<id>.<timestamp>.<body>``; the key is the
    base64-decoded secret after its ``whsec_`` prefix."""

    name = "standard"
    id_header = "webhook-id"
    timestamp_header = "webhook-timestamp"
    signature_header = "webhook-signature"
    _shape = "space-separated 'v1,<base64 of a 32-byte HMAC-SHA256>' entries"

    def verify(
        self, body: bytes, headers: Mapping[str, str], secrets: Sequence[str], *, now: datetime
    ) -> Verified:
        """Check ``body`` against every ``v1`` signature under every secret."""
        keys = self._keys(secrets)
        found = Headers(headers)
        message_id = found.require(self.id_header, "the sender's message id")
        timestamp = found.require(self.timestamp_header, "a unix time in whole seconds")
        value = found.require(self.signature_header, self._shape)
        signed_at = parse_unix_seconds(timestamp, f"header {self.timestamp_header}")
        received = [
            digest
            for version, _, text in (entry.partition(",") for entry in value.split())
            if version == "v1" and (digest := b64_digest_or_none(text)) is not None
        ]
        if not received:
            raise VerificationError(
                "malformed_header", f"header {self.signature_header} must hold {self._shape}"
            )
        message = utf8(f"{message_id}.{timestamp}.") + body
        if not any_match((hmac_sha256(key, message) for key in keys), received):
            raise bad_signature(self.signature_header, len(keys))
        when = check_fresh(signed_at, now, f"header {self.timestamp_header}")
        return Verified(str_field(json_object(body), "type"), message_id, when)

    def _keys(self, secrets: Sequence[str]) -> list[bytes]:
        if isinstance(secrets, str):
            secrets = [secrets]
        if not any(secrets):
            raise no_secret(self.name)
        keys = [key for key in map(_decode_secret, secrets) if key]
        if not keys:
            raise no_secret(self.name, " (each must be 'whsec_' followed by base64)")
        return keys

    def sign(
        self, body: bytes, secret: str, *, now: datetime, delivery_id: str | None = None
    ) -> dict[str, str]:
        """The three headers for ``body``; a random ``msg_…`` id when none is given."""
        (key,) = self._keys([secret])
        message_id = delivery_id or f"msg_{_random.token_hex(12)}"
        timestamp = signing_time(now)
        digest = hmac_sha256(key, utf8(f"{message_id}.{timestamp}.") + body)
        return {
            self.id_header: message_id,
            self.timestamp_header: timestamp,
            self.signature_header: "v1," + base64.b64encode(digest).decode("ascii"),
        }


def _decode_secret(secret: str) -> bytes | None:
    """``whsec_<base64>`` (prefix optional, padding optional) -> key bytes, else ``None``."""
    text = secret.strip().removeprefix("whsec_")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
