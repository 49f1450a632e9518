"""Errors raised by the Context Index.

Every error the service raises on purpose derives from :class:`BrainError`, so a boundary
(the CLI, an HTTP function, the MCP server) can catch one type and turn it into a message
a person can act on. The tree, across the three packages::

    BrainError                       shards.errors: the root
    ├── HeaderError                  a claude_delta header is missing, not JSON or invalid
    ├── PageError                    a page cannot be read or parsed (encoding, structure)
    ├── SplitError                   a monolith cannot be split (empty, no headings, too big)
    ├── StoreError                   a page store failed
    │   ├── PageNotFound             no page with that id
    │   ├── WorkspaceError           the local workspace path is unusable
    │   ├── StoreUnavailable         transient: down, timing out or rate limiting; retry later
    │   └── StoreRejected            permanent: refused for good (token, permission, rule)
    ├── ConfigError                  config.errors: brain.toml or an override is invalid
    ├── SecretError                  functions.errors: a secret reference cannot be resolved
    ├── RequestError                 router.errors: a get_context request is malformed
    │   └── UnknownShard             router.errors: no shard with that id in the index
    ├── VerificationError            functions.webhooks.errors: signature check failed (401)
    └── OutboxError                  functions.webhooks.errors: the outbox cannot persist (503)

Transient and permanent failures are siblings, never parent and child: catch
``StoreUnavailable`` to retry (it may carry ``retry_after``), ``StoreRejected`` to give up
(a dead letter, a 502 answer), ``StoreError`` for both. ``tests/test_errors.py`` checks this
drawing against the classes.

Context travels as keyword-only attributes (``page_id``, ``field``, ...), and the message
always says what was expected and what to do.
"""

from __future__ import annotations


class BrainError(Exception):
    """Root of every error the service raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} {hint}" if hint else message)


class HeaderError(BrainError):
    """A page's claude_delta header is missing, not JSON, or fails validation."""

    code = "invalid_header"

    def __init__(
        self,
        message: str,
        *,
        page_id: str,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.page_id = page_id
        self.field = field
        where = f"page {page_id!r}" + (f", field {field!r}" if field else "")
        super().__init__(f"{where}: {message}", hint=hint)


class PageError(BrainError):
    """A page cannot be read or parsed."""

    code = "invalid_page"

    def __init__(self, message: str, *, page_id: str, hint: str | None = None) -> None:
        self.page_id = page_id
        super().__init__(f"page {page_id!r}: {message}", hint=hint)


class SplitError(BrainError):
    """A monolith cannot be split into shards."""

    code = "split_failed"


class StoreError(BrainError):
    """A page store operation failed."""

    code = "store_error"

    def __init__(self, message: str, *, page_id: str | None = None, hint: str | None = None):
        self.page_id = page_id
        super().__init__(message, hint=hint)


class PageNotFound(StoreError):
    """The store has no page with that id."""

    code = "page_not_found"


class WorkspaceError(StoreError):
    """The local workspace path cannot be used (it is a file, unwritable, ...)."""

    code = "workspace_error"


class StoreUnavailable(StoreError):
    """The backend is down, timing out or rate limiting: the operation may succeed later."""

    code = "store_unavailable"

    def __init__(
        self,
        message: str,
        *,
        page_id: str | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, page_id=page_id, hint=hint)


class StoreRejected(StoreError):
    """The backend refused the request for good (token, permissions, validation): do not retry.

    ``status`` is the backend's HTTP status where there was one (401, 403, 400, ...).
    """

    code = "store_rejected"

    def __init__(
        self,
        message: str,
        *,
        page_id: str | None = None,
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.status = status
        super().__init__(message, page_id=page_id, hint=hint)
