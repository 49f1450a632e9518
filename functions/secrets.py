"""Resolving secret references: ``env:NAME`` and ``sm:projects/P/secrets/S/versions/V``.

Values are fetched when first needed and cached; a Secret Manager reference to
``versions/latest`` is fetched again once its value is older than ``refresh_s``
(``[secrets] refresh_s``), so a rotated secret is picked up without a restart. Values are
never logged and never appear in an error message (the reference does, so the operator knows
what to fix). :func:`references` lists what a config (or one cloud function) needs, so a
service can resolve everything at start and refuse to start naming the reference it cannot
read, rather than answer its first caller with the story.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping

from config import BEARER_TARGETS, INDEX_TARGETS, NOTION_EVENTS_SOURCE, BrainConfig
from functions.errors import SecretError
from functions.gcp_secrets import SecretManagerFetcher

SecretFetcher = Callable[[str], str]
#: After a failed re-read of a rotating secret, the old value serves this long before the
#: next try (a Secret Manager outage must not cost every request a timeout).
RETRY_AFTER_FAILURE_S = 60.0

log = logging.getLogger(__name__)


def _rotates(ref: str) -> bool:
    return ref.startswith("sm:") and ref.endswith("/versions/latest")


class SecretResolver:
    """Turns references into values. ``sm_fetch`` is injectable for tests and other clouds."""

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        sm_fetch: SecretFetcher | None = None,
        refresh_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._environ = environ if environ is not None else os.environ
        self._sm_fetch = sm_fetch
        self._refresh_s = refresh_s
        self._clock = clock
        self._cache: dict[str, tuple[str, float]] = {}  # ref -> (value, fetch again after)
        self._lock = threading.Lock()

    def resolve(self, ref: str) -> str:
        with self._lock:
            cached = self._cache.get(ref)
        if cached is not None and (not _rotates(ref) or self._clock() < cached[1]):
            return cached[0]
        try:
            value = self._fetch(ref)
        except SecretError as exc:
            if cached is None:
                raise
            # A rotating secret that cannot be re-read: keep serving the value we have.
            log.warning("cannot refresh %s; keeping the current value: %s", ref, exc.message)
            with self._lock:
                self._cache[ref] = (cached[0], self._clock() + RETRY_AFTER_FAILURE_S)
            return cached[0]
        with self._lock:
            self._cache[ref] = (value, self._clock() + self._refresh_s)
        return value

    def _fetch(self, ref: str) -> str:
        if ref.startswith("env:"):
            name = ref[4:]
            value = self._environ.get(name)
            if not value:
                raise SecretError(
                    f"secret {ref!r}: environment variable {name} is not set",
                    hint=f"export {name}=... before starting, or change the reference.",
                )
            return value
        if ref.startswith("sm:"):
            return (self._sm_fetch or secret_manager_fetch)(ref[3:])
        raise SecretError(
            f"{ref[:8]!r}... is not a secret reference",
            hint="Use 'env:NAME' or 'sm:projects/P/secrets/S/versions/V'.",
        )

    def resolve_all(self, refs: tuple[str, ...] | list[str]) -> list[str]:
        return [self.resolve(r) for r in refs]

    def value_for(self, key: str, ref: str) -> str:
        """``ref``'s value as the config ``key`` needs it: readable, and of the kind that key
        asks for (:data:`_FIT`); a SecretError names the key."""
        try:
            value = self.resolve(ref)
            fit = _FIT.get(key)
            if fit is not None:
                fit(value)
        except SecretError as exc:
            raise SecretError(f"{key}: {exc.message}", hint=exc.hint) from exc
        return value

    def check(self, refs: list[tuple[str, str]]) -> None:
        """Resolve every ``(config key, reference)``; the first failure names both."""
        for key, ref in refs:
            self.value_for(key, ref)


#: The fewest characters ``[context] index_key``'s value may have: a key that can be
#: guessed (a placeholder such as "pending") would sign whatever its guesser wrote.
INDEX_KEY_MIN_CHARS = 16


def index_key_bytes(value: str) -> bytes:
    """The key that signs the saved index, from ``[context] index_key``'s value (any string
    of at least :data:`INDEX_KEY_MIN_CHARS`, hashed to 32 bytes, so a long passphrase and a
    random token both do); a shorter one is a SecretError."""
    if len(value) < INDEX_KEY_MIN_CHARS:
        raise SecretError(
            f"its value has {len(value)} characters, fewer than "
            f"{INDEX_KEY_MIN_CHARS}: a key that can be guessed signs anything",
            hint="Give the secret a random value: openssl rand -base64 32.",
        )
    return hashlib.blake2b(value.encode(), digest_size=32, person=b"brain-index-key").digest()


#: What a config key's secret value must be beyond readable (SecretResolver.value_for).
_FIT: dict[str, Callable[[str], object]] = {"context.index_key": index_key_bytes}


def references(config: BrainConfig, target: str | None = None) -> list[tuple[str, str]]:
    """``(config key, reference)`` of every secret ``config`` names, or only those the cloud
    function ``target`` reads (``context``, ``webhooks``, ``notion_events``, ``sync``,
    ``mcp``, ``status``)."""
    refs: list[tuple[str, str]] = []
    if config.store.kind == "notion" and config.store.token:
        refs.append(("store.token", config.store.token))
    if config.serve.auth_token and (target is None or target in BEARER_TARGETS):
        refs.append(("serve.auth_token", config.serve.auth_token))
    index_key = config.context.index_key if config.context.persist_index else None
    if index_key and (target is None or target in INDEX_TARGETS):  # (unsaved: never read)
        refs.append(("context.index_key", index_key))
    for name, source in sorted(config.webhooks.sources.items()):
        readers = {"webhooks"} | ({"notion_events"} if name == NOTION_EVENTS_SOURCE else set())
        if target is None or target in readers:
            refs += [(f"webhooks.sources.{name}.secrets", ref) for ref in source.secrets]
    return refs


def check_at_start(
    resolver: SecretResolver, config: BrainConfig, target: str | None = None
) -> None:
    """Resolve every secret ``config`` names (or the cloud function ``target`` reads); a
    SecretError names the config key and the reference.

    A Notion-scheme source's secret is the exception: Notion sends it in the handshake that
    only a running service can receive, so its absence is a warning, not a refusal.
    """
    notion_keys = {
        f"webhooks.sources.{name}.secrets"
        for name, source in config.webhooks.sources.items()
        if source.scheme == "notion"
    }
    refs = references(config, target)
    resolver.check([(k, r) for k, r in refs if k not in notion_keys])  # (a guessable key too)
    for key, ref in refs:
        if key not in notion_keys:
            continue
        try:
            resolver.resolve(ref)
        except SecretError as exc:
            log.warning(
                "%s: %s; Notion events are refused until it is set (Notion sends the token in "
                "its handshake: see the state folder or the log)",
                key,
                exc.message,
            )


#: The default ``sm:`` fetcher: Google Secret Manager, one client per process, built lazily.
secret_manager_fetch: SecretFetcher = SecretManagerFetcher()
