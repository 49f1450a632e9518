"""Parts every webhook signature scheme shares (see :mod:`functions.webhooks.schemes`).

Everything here either returns a clean value or raises :class:`VerificationError` with a
message that says what was expected; nothing echoes a secret or a received signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from functions.webhooks.errors import VerificationError

TOLERANCE_SECONDS = 300
"""How far a signed timestamp may be from ``now``, either way (Stripe's, Slack's and the
Standard Webhooks' five minutes; our own scheme uses the same)."""

_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")  # bounded: int() of a huge digit string is slow
_DIGEST_SIZE = hashlib.sha256().digest_size


@dataclass(frozen=True)
class Verified:
    """What a scheme learned from a delivery it has verified.

    ``event`` comes from the scheme's own field (a header or the vendor's payload field);
    ``None`` lets the caller fall back to the payload's ``"event"``. ``delivery_id`` is the
    sender's id for the delivery, ``timestamp`` the signed time (UTC), when the scheme has
    them. ``handshake_token`` is set only for Notion's unsigned verification-token handshake.
    """

    event: str | None
    delivery_id: str | None
    timestamp: datetime | None
    handshake_token: str | None = None


class Headers:
    """Request headers looked up case-insensitively; names are lowered once, here."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._values = {name.lower(): value for name, value in headers.items()}

    def get(self, name: str) -> str | None:
        """The header's value without surrounding whitespace; ``None`` if absent or empty."""
        value = self._values.get(name.lower())
        if value is None:
            return None
        return value.strip() or None

    def require(self, name: str, expected: str) -> str:
        """The header's value, or ``missing_header`` saying what the header must hold."""
        value = self.get(name)
        if value is None:
            raise VerificationError(
                "missing_header", f"header {name} is missing or empty; it must be {expected}"
            )
        return value


def utf8(text: str) -> bytes:
    """``text`` as UTF-8, never raising (a lone surrogate cannot match anything anyway)."""
    return text.encode("utf-8", "surrogatepass")


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """The raw HMAC-SHA256 of ``message`` under ``key``."""
    return hmac.new(key, message, hashlib.sha256).digest()


def utf8_keys(secrets: Sequence[str], scheme: str) -> list[bytes]:
    """The configured secrets as HMAC keys (their UTF-8 bytes), or ``no_secret``."""
    if isinstance(secrets, str):  # a bare string is a Sequence[str] too: one secret, not chars
        secrets = [secrets]
    keys = [utf8(secret) for secret in secrets if secret]
    if not keys:
        raise no_secret(scheme)
    return keys


def no_secret(scheme: str, detail: str = "") -> VerificationError:
    """The error for a source whose secrets are missing (or all unusable)."""
    return VerificationError(
        "no_secret",
        f"no usable secret is configured for webhook scheme {scheme!r}{detail}; "
        "add the sender's signing secret to the source's secrets",
    )


def any_match(expected: Iterable[bytes], received: Sequence[bytes]) -> bool:
    """Whether any expected digest equals any received one, each compared in constant time."""
    matched = False
    for digest in expected:
        for candidate in received:
            matched |= hmac.compare_digest(digest, candidate)
    return matched


def bad_signature(header: str, tried: int) -> VerificationError:
    """The error for a well-formed signature that no configured secret produces."""
    return VerificationError(
        "bad_signature",
        f"header {header} does not match the body under any of the {tried} configured "
        "secret(s); check the secret and that the raw body reaches us unmodified",
    )


def parse_hex_digest(value: str, header: str, prefix: str) -> bytes:
    """``prefix`` + 64 hex characters -> the 32 digest bytes, else ``malformed_header``."""
    digest = value[len(prefix) :]
    if not value.startswith(prefix) or not _HEX_DIGEST.fullmatch(digest):
        raise VerificationError(
            "malformed_header",
            f"header {header} must be {prefix!r} followed by 64 hex characters",
        )
    return bytes.fromhex(digest)


def hex_digest_or_none(text: str) -> bytes | None:
    """64 hex characters -> digest bytes; anything else -> ``None`` (one of several entries)."""
    return bytes.fromhex(text) if _HEX_DIGEST.fullmatch(text) else None


def b64_digest_or_none(text: str) -> bytes | None:
    """Base64 of a 32-byte digest -> the bytes; anything else -> ``None``."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == _DIGEST_SIZE else None


def parse_unix_seconds(value: str, header: str) -> int:
    """A unix time in whole seconds, digits only, else ``malformed_header``."""
    if not _UNIX_SECONDS.fullmatch(value):
        raise VerificationError(
            "malformed_header",
            f"{header} must be a unix time in whole seconds (1 to 12 digits)",
        )
    return int(value)


def unix_seconds(now: datetime) -> float:
    """``now`` as unix seconds; a naive ``now`` is taken to be UTC."""
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).timestamp()


def check_fresh(signed_at: int, now: datetime, header: str) -> datetime:
    """Reject a signed time more than :data:`TOLERANCE_SECONDS` before or after ``now``."""
    skew = signed_at - unix_seconds(now)
    if skew < -TOLERANCE_SECONDS:
        raise VerificationError(
            "expired",
            f"{header} is {int(-skew)} s old; at most {TOLERANCE_SECONDS} s is accepted "
            "(a replay, or the sender's clock is off: resend a freshly signed delivery)",
        )
    if skew > TOLERANCE_SECONDS:
        raise VerificationError(
            "future_timestamp",
            f"{header} is {int(skew)} s in the future; at most {TOLERANCE_SECONDS} s is "
            "accepted (check the sender's clock)",
        )
    return datetime.fromtimestamp(signed_at, UTC)


def signing_time(now: datetime) -> str:
    """``now`` as the whole unix seconds a sender puts in its timestamp header."""
    return str(math.floor(unix_seconds(now)))


def json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or ``None`` (a non-JSON body is still a valid delivery)."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def str_field(obj: Mapping[str, Any] | None, key: str) -> str | None:
    """``obj[key]`` when it is a non-empty string, else ``None``."""
    value = obj.get(key) if obj is not None else None
    return value if isinstance(value, str) and value else None


def iso_time(value: str | None) -> datetime | None:
    """An ISO 8601 time as an aware UTC datetime, or ``None`` when absent or unparseable."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset pushing past year 9999
        return None
