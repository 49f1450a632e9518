"""Errors of get_context requests (see the tree in :mod:`shards.errors`).

Both map to HTTP 400 at the boundary; the message says what to send instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from shards.errors import BrainError


class RequestError(BrainError):
    """A get_context request is malformed: no task, a bad budget, a task too long."""

    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None):
        self.field = field
        super().__init__(message, hint=hint)


class UnknownShard(RequestError):
    """A requested shard id is not in the index; the message lists the valid ids."""

    code = "unknown_shard"

    def __init__(self, shard_id: str, *, valid: Sequence[str]) -> None:
        self.shard_id = shard_id
        self.valid = tuple(valid)
        listed = ", ".join(self.valid) if self.valid else "(the index has no shards yet)"
        super().__init__(
            f"no shard {shard_id!r} in the index",
            field="shards",
            hint=f"Send shard ids from this list: {listed}.",
        )
