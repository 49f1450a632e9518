"""Errors of the entry points (see the tree in :mod:`shards.errors`)."""

from __future__ import annotations

from shards.errors import BrainError


class ConfigError(BrainError):
    """brain.toml or an environment override is invalid."""

    code = "config_error"


class SecretError(BrainError):
    """A secret reference cannot be resolved (unset variable, Secret Manager refused)."""

    code = "secret_unavailable"
