"""The configuration: the ``brain.toml`` model, its environment overrides, and loading it.

The bottom of the house, beside :mod:`shards`: it imports nothing of ours but the root of the
error tree (:mod:`shards.errors`), so every other package may read a config and none has to
import another to do so. ``functions`` (the entry points) and ``infra`` (the deployment) both
read it; neither imports the other for it.

Modules: ``model`` (the pydantic model, its sections and the names shared by everyone who reads
a config: the environment prefix, the Notion events source), ``env`` (the ``BRAIN_*``
environment overrides) and ``load`` (``load_config``).
"""

from __future__ import annotations

from config.errors import ConfigError
from config.load import load_config
from config.model import (
    BEARER_TARGETS,
    CHECK_INTERVAL_S,
    CONFIG_ENV,
    DEFAULT_CONFIG_FILE,
    ENV_PREFIX,
    FUNCTION_TARGETS,
    INDEX_TARGETS,
    NOTION_EVENTS_SOURCE,
    SCHEMES,
    BrainConfig,
    ContextConfig,
    DeployConfig,
    SecretsConfig,
    ServeConfig,
    SourceConfig,
    StateConfig,
    StoreConfig,
    TokensConfig,
    WebhooksConfig,
    env_name,
)

__all__ = [
    "BEARER_TARGETS",
    "CHECK_INTERVAL_S",
    "CONFIG_ENV",
    "DEFAULT_CONFIG_FILE",
    "ENV_PREFIX",
    "FUNCTION_TARGETS",
    "INDEX_TARGETS",
    "NOTION_EVENTS_SOURCE",
    "SCHEMES",
    "BrainConfig",
    "ConfigError",
    "ContextConfig",
    "DeployConfig",
    "SecretsConfig",
    "ServeConfig",
    "SourceConfig",
    "StateConfig",
    "StoreConfig",
    "TokensConfig",
    "WebhooksConfig",
    "env_name",
    "load_config",
]
