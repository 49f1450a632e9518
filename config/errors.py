"""The configuration's error (a branch of the tree drawn in :mod:`shards.errors`)."""

from __future__ import annotations

from shards.errors import BrainError

__all__ = ["ConfigError"]


class ConfigError(BrainError):
    """brain.toml or an environment override is invalid."""

    code = "config_error"
