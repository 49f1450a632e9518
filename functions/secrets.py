"""Resolving secret references: ``env:NAME`` and ``sm:projects/P/secrets/S/versions/V``.

Values are fetched when first needed and cached for the process; they are never logged and
never appear in an error message (the reference does, so the operator knows what to fix).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping

from functions.errors import SecretError
from functions.gcp_secrets import SecretManagerFetcher

SecretFetcher = Callable[[str], str]


class SecretResolver:
    """Turns references into values. ``sm_fetch`` is injectable for tests and other clouds."""

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        sm_fetch: SecretFetcher | None = None,
    ) -> None:
        self._environ = environ if environ is not None else os.environ
        self._sm_fetch = sm_fetch
        self._cache: dict[str, str] = {}
        self._lock = threading.Lock()

    def resolve(self, ref: str) -> str:
        with self._lock:
            if ref in self._cache:
                return self._cache[ref]
        if ref.startswith("env:"):
            name = ref[4:]
            value = self._environ.get(name)
            if not value:
                raise SecretError(
                    f"secret {ref!r}: environment variable {name} is not set",
                    hint=f"export {name}=... before starting, or change the reference.",
                )
        elif ref.startswith("sm:"):
            value = (self._sm_fetch or secret_manager_fetch)(ref[3:])
        else:
            raise SecretError(
                f"{ref[:8]!r}... is not a secret reference",
                hint="Use 'env:NAME' or 'sm:projects/P/secrets/S/versions/V'.",
            )
        with self._lock:
            self._cache[ref] = value
        return value

    def resolve_all(self, refs: tuple[str, ...] | list[str]) -> list[str]:
        return [self.resolve(r) for r in refs]


#: The default ``sm:`` fetcher: Google Secret Manager, one client per process, built lazily.
secret_manager_fetch: SecretFetcher = SecretManagerFetcher()
