"""The configuration now lives in the :mod:`config` package (the bottom of the house).

Kept so ``from config import BrainConfig, load_config`` (and every other name it
had) keeps working; new code imports :mod:`config`.
"""

from __future__ import annotations

from config import (
    CHECK_INTERVAL_S,
    CONFIG_ENV,
    DEFAULT_CONFIG_FILE,
    ENV_PREFIX,
    NOTION_EVENTS_SOURCE,
    SCHEMES,
    BrainConfig,
    ConfigError,
    ContextConfig,
    DeployConfig,
    ServeConfig,
    SourceConfig,
    StateConfig,
    StoreConfig,
    TokensConfig,
    WebhooksConfig,
    env_name,
    load_config,
)

__all__ = [
    "CHECK_INTERVAL_S",
    "CONFIG_ENV",
    "DEFAULT_CONFIG_FILE",
    "ENV_PREFIX",
    "NOTION_EVENTS_SOURCE",
    "SCHEMES",
    "BrainConfig",
    "ConfigError",
    "ContextConfig",
    "DeployConfig",
    "ServeConfig",
    "SourceConfig",
    "StateConfig",
    "StoreConfig",
    "TokensConfig",
    "WebhooksConfig",
    "env_name",
    "load_config",
]
