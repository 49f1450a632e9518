"""Entry points: config, the runtime wiring, HTTP functions, CLI, MCP server, webhook logger.

The names below are imported on first use (PEP 562), so ``import functions.cli`` loads only
what the command it runs needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from config import BrainConfig, load_config
    from functions.errors import ConfigError, SecretError
    from functions.runtime import Runtime
    from functions.secrets import SecretResolver

__all__ = [
    "BrainConfig",
    "ConfigError",
    "Runtime",
    "SecretError",
    "SecretResolver",
    "load_config",
]

_HOME = {
    "BrainConfig": "config",
    "load_config": "config",
    "ConfigError": "functions.errors",
    "SecretError": "functions.errors",
    "Runtime": "functions.runtime",
    "SecretResolver": "functions.secrets",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'functions' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
