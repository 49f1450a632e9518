"""Starting a function on Cloud Run: logs, secrets, shutdown (called by ``main.py``).

functions-framework gives a target no startup hook, so ``main.py`` calls :func:`start` when
the module is imported on Cloud Run (``K_SERVICE`` set), and only there:

- logging becomes JSON lines Cloud Logging reads (:mod:`functions.logs`);
- every secret the function reads is resolved now. One that cannot be is logged as CRITICAL
  naming the config key and the reference, and the process exits: the revision fails to start
  (Cloud Run keeps the previous one serving) instead of answering its first webhook sender
  with a 503 whose text would describe our environment;
- on exit (Cloud Run sends SIGTERM, the server finishes its requests) the worker's runtime
  is closed: the drainer stops between batches and releases its leases, counters are written.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType

from functions import secrets
from functions.logs import configure_logging
from functions.runtime import Runtime
from shards import BrainError

__all__ = ["EXIT_CANNOT_START", "close_at_exit", "start", "target_name"]

#: The exit status of a function that cannot start (config or secrets).
EXIT_CANNOT_START = 3

log = logging.getLogger(__name__)


def target_name() -> str | None:
    """The functions-framework target this process serves (``TARGET`` is set by the deploy
    plan; ``FUNCTION_TARGET`` by functions-framework's own conventions)."""
    return os.environ.get("TARGET") or os.environ.get("FUNCTION_TARGET")


def start(build: Callable[[], Runtime]) -> None:
    """Configure logging and resolve the function's secrets with a throwaway runtime, or exit
    naming why.

    Nothing built here is kept: functions-framework serves through gunicorn, which imports
    ``main.py`` in its master process and forks the workers, and clients (Secret Manager's
    gRPC channel, database connections) must not cross a fork. Each worker builds its own
    runtime on its first request (:func:`close_at_exit` closes it when the worker exits).
    """
    configure_logging()
    target = target_name()
    runtime: Runtime | None = None
    try:
        runtime = build()
        runtime.check_secrets(target)
    except BrainError as exc:
        log.critical(
            "%s cannot start: %s%s",
            target or "the function",
            exc.message,
            f" {exc.hint}" if exc.hint else "",
        )
        raise SystemExit(EXIT_CANNOT_START) from None
    finally:
        if runtime is not None:
            runtime.close()
        close = getattr(secrets.secret_manager_fetch, "close", None)
        if callable(close):  # the default fetcher's client (a gRPC channel) must not fork
            close()
    log.info("%s started", target or "the function")


def close_at_exit(runtime: Runtime) -> Runtime:
    """Close ``runtime`` when this process exits (after the server's graceful shutdown):
    the drainer stops between batches, counters are written, connections close."""
    atexit.register(runtime.close)
    _exit_normally_on_sigterm()
    return runtime


def _exit_normally_on_sigterm() -> None:
    """Let a SIGTERM end the worker through a normal exit, so ``atexit`` runs.

    functions-framework serves with gunicorn's uvicorn worker, which resets SIGTERM to the
    default action; uvicorn then catches it while serving, shuts down gracefully (requests in
    flight finish) and *re-raises* it, and the default action kills the process before any
    ``atexit`` handler runs. Cloud Run gives no lifespan hook to a target either. So while the
    server runs, SIGTERM asks the same uvicorn server to exit (``should_exit``, its own graceful
    path) without recording the signal for re-raising. Left alone if the handler in place is
    not uvicorn's (another server, or not the main thread).
    """
    if threading.current_thread() is not threading.main_thread():
        return
    current = signal.getsignal(signal.SIGTERM)
    server = getattr(current, "__self__", None)
    if server is None or not hasattr(server, "should_exit"):
        return

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        log.info("SIGTERM: finishing the requests in flight, then stopping")
        server.should_exit = True

    signal.signal(signal.SIGTERM, on_sigterm)
