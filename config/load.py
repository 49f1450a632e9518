"""Loading the configuration: a ``brain.toml`` file, the environment, or the embedded default."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from config.env import VariableError, environment_values, merged
from config.errors import ConfigError
from config.model import DEFAULT_CONFIG_FILE, ENV_NESTED, ENV_PREFIX, BrainConfig, env_name

__all__ = ["load_config"]


def load_config(
    path: str | Path | None = None, *, workspace: str | Path | None = None
) -> BrainConfig:
    """Read ``path`` (else ``brain.toml`` if present, else the embedded default).

    ``workspace`` (the ``--workspace`` option) overrides ``[store] path`` and forces the
    local store.
    """
    data: dict[str, Any] = {}
    source = Path(path) if path is not None else Path(DEFAULT_CONFIG_FILE)
    if path is not None or source.exists():
        if not source.is_file():
            raise ConfigError(
                f"config file {str(source)!r} does not exist",
                hint="Pass --config with the path of a brain.toml, or leave it out to use the "
                "embedded default.",
            )
        try:
            data = tomllib.loads(source.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {str(source)!r} is not valid TOML: {exc}") from exc
        data["base_dir"] = str(source.resolve().parent)
    if workspace is not None:
        store = dict(data.get("store", {}))
        store.update(kind="local", path=str(Path(workspace).resolve()))
        data["store"] = store
    try:
        found = environment_values(BrainConfig, os.environ, prefix=ENV_PREFIX, delimiter=ENV_NESTED)
    except VariableError as exc:
        raise ConfigError(
            str(exc), hint=f"Set {exc.name} to JSON (a table, a list), or unset it."
        ) from exc
    try:
        config = BrainConfig(**merged(data, found))  # the environment outranks the file
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(
            f"config key {where!r}: {str(first['msg']).removeprefix('Value error, ')}",
            hint=f"Fix it in {str(source)!r} or in the {env_name(where)} environment variable.",
        ) from exc
    if workspace is not None:
        # Environment variables outrank the file, so BRAIN_STORE__PATH would otherwise beat
        # the command line: apply --workspace last.
        local = config.store.model_copy(update={"kind": "local", "path": data["store"]["path"]})
        config = config.model_copy(update={"store": local})
    return config
