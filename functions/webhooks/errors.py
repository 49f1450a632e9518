"""Errors of the webhook logger (see the tree in :mod:`shards.errors`)."""

from __future__ import annotations

from shards.errors import BrainError


class VerificationError(BrainError):
    """A webhook's signature could not be verified; always answered with 401.

    ``reason`` is a stable machine code (``missing_header``, ``malformed_header``,
    ``bad_signature``, ``expired``, ``future_timestamp``, ``no_secret``) and the message never
    contains secret material or the received signature.
    """

    code = "invalid_signature"

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class OutboxError(BrainError):
    """The outbox cannot persist or claim events; the sender should retry (503)."""

    code = "outbox_unavailable"
