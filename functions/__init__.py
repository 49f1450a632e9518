"""Entry points: config, the runtime wiring, HTTP functions, CLI, MCP server, webhook logger."""

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
