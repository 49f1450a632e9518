"""``brain``: the command line of the Context Index service.

Every command takes ``--workspace DIR`` and ``--config FILE``; ``--json`` output is stable
(documented in the README). Errors print what went wrong and what to do, and exit 2; a sync
that finds invalid pages exits 1. One module per group of commands; importing them
registers the commands on :data:`app` in the order ``--help`` lists them.
"""

from __future__ import annotations

import os

# pydantic looks for plugins (the ``pydantic`` entry-point group of every installed
# distribution) when it builds its first model: 40 ms of every ``brain`` command, for plugins
# this service has none of. Skipped unless the environment says otherwise; it must be set
# before the commands' modules (the config model) are imported.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from functions.cli import (  # noqa: F401 - importing registers the commands
    context,
    deploy,
    doctor,
    index,
    serve,
    webhooks,
)
from functions.cli._common import app


def main() -> None:
    app()


__all__ = ["app", "main"]
