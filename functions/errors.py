"""Errors of the entry points (see the tree in :mod:`shards.errors`)."""

from __future__ import annotations

from config.errors import ConfigError
from shards.errors import BrainError

__all__ = ["ConfigError", "SecretError"]  # ConfigError lives with the config (config.errors)


class SecretError(BrainError):
    """A secret reference cannot be resolved (unset variable, Secret Manager refused)."""

    code = "secret_unavailable"
