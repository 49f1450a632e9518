"""Starting a function on Cloud Run: logs, secrets, shutdown (called by ``main.py``).

functions-framework gives a target no startup hook, so ``main.py`` calls :func:`start` when
the module is imported on Cloud Run (``K_SERVICE`` set), and only there:

- logging becomes JSON lines Cloud Logging reads (:mod:`functions.logs`);
- every secret the function reads is resolved now. One that cannot be is logged as CRITICAL
  naming the config key and the reference, and the process exits: the revision fails to start
  (Cloud Run keeps the previous one serving) instead of answering its first webhook sender
  with a 503 whose text would describe our environment;
- on exit (Cloud Run sends SIGTERM, the server finishes its requests) the runtime is closed:
  the drainer stops between batches and releases its leases, counters are written.
"""

from __future__ import annotations

import atexit
import logging
import os
from collections.abc import Callable

from functions.logs import configure_logging
from functions.runtime import Runtime
from shards import BrainError

__all__ = ["EXIT_CANNOT_START", "start", "target_name"]

#: The exit status of a function that cannot start (config or secrets).
EXIT_CANNOT_START = 3

log = logging.getLogger(__name__)


def target_name() -> str | None:
    """The functions-framework target this process serves (``TARGET`` is set by the deploy
    plan; ``FUNCTION_TARGET`` by functions-framework's own conventions)."""
    return os.environ.get("TARGET") or os.environ.get("FUNCTION_TARGET")


def start(get_runtime: Callable[[], Runtime]) -> Runtime:
    """Configure logging, build the runtime and resolve its secrets, or exit naming why."""
    configure_logging()
    target = target_name()
    try:
        runtime = get_runtime()
        runtime.check_secrets(target)
    except BrainError as exc:
        log.critical(
            "%s cannot start: %s%s",
            target or "the function",
            exc.message,
            f" {exc.hint}" if exc.hint else "",
        )
        raise SystemExit(EXIT_CANNOT_START) from None
    atexit.register(runtime.close)
    log.info("%s started", target or "the function")
    return runtime
