"""``brain serve`` for the crash test, with a knob production has no business offering.

    python -m tests.functions.webhooks.crash_server --config brain.toml --port 8123 \\
        --pause-after-append 3

It builds exactly what ``brain serve`` builds (``Runtime`` from the config, ``build_app`` with
the drainer running, uvicorn on loopback) and replaces one cached part of the runtime: the page
store, with a :class:`LocalFolderStore` whose ``append`` sleeps ``S`` seconds after the lines
are on disk and before it returns, so a SIGKILL in that window lands between the append and the
outbox recording it. Production code has no hook for this; the pause is all the test needs.
The drainer's lease TTL comes from the config (``BRAIN_WEBHOOKS__LEASE_TTL_S``).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Sequence

import uvicorn

from config import load_config
from functions.app import build_app
from functions.runtime import Runtime
from shards import LocalFolderStore


class PausingStore(LocalFolderStore):
    """Appends, then sleeps before telling the caller: a window for SIGKILL."""

    def __init__(self, path: str, pause_s: float) -> None:
        super().__init__(path)
        self.pause_s = pause_s

    def append(self, page_id: str, lines: Sequence[str]) -> None:
        super().append(page_id, lines)  # on disk (fsynced) from here on
        logging.getLogger("crash_server").info("appended %d line(s); pausing", len(lines))
        time.sleep(self.pause_s)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pause-after-append", type=float, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    config = load_config(args.config)
    runtime = Runtime(config)
    store = PausingStore(str(config.resolve(config.store.path)), args.pause_after_append)
    runtime.__dict__["store"] = store  # Runtime.store is a cached_property
    try:
        uvicorn.run(
            build_app(runtime, host="127.0.0.1"),
            host="127.0.0.1",
            port=args.port,
            log_level="warning",
            ws="none",
        )
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
