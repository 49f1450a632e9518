"""The drainer in a background thread of this process (``brain serve``, a Cloud Run instance).

The thread waits for the state database (it may be down at start: the service serves what does
not need it meanwhile), then drains every page the outbox has work for until stopped. Stopping
wakes the drainer so it stops between batches; what it held is reconciled by the next drainer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from functions.webhooks.drain import Drainer
from functions.webhooks.errors import OutboxError

__all__ = ["BackgroundDrainer"]

log = logging.getLogger(__name__)


class BackgroundDrainer:
    """Starts, wakes and stops one drainer thread; ``drainer`` builds the drainer (it raises
    OutboxError while the state database cannot be opened, and is tried every ``retry_s``)."""

    def __init__(self, drainer: Callable[[], Drainer], *, retry_s: float) -> None:
        self._drainer = drainer
        self._retry_s = retry_s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._built: Drainer | None = None

    def start(self) -> None:
        """Run the drainer in a background thread (idempotent)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(self._stop,), name="brain-drainer", daemon=True
            )
            self._thread.start()

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                drainer = self._drainer()
            except OutboxError as exc:
                log.warning("webhook drainer: state database unavailable, retrying: %s", exc)
                stop.wait(self._retry_s)
                continue
            self._built = drainer
            drainer.run(None, stop)
            return

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the thread between batches and wait for it at most ``timeout_s``."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        if self._built is not None:
            self._built.wake()
        thread.join(timeout=timeout_s)
        self._thread = None
        if thread.is_alive():
            log.warning(
                "the drainer did not stop within %.0f s; what it holds is reconciled by the "
                "next one",
                timeout_s,
            )
        else:
            log.info("drainer stopped")
