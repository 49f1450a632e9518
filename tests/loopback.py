"""A fake API served over real HTTP on 127.0.0.1: start, stop, url. The fakes subclass it."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Self


class LoopbackFake:
    """Runs ``_make_server()`` in a background thread; ``label`` names it in errors."""

    label = "the fake"

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _make_server(self) -> ThreadingHTTPServer:
        """A server bound to ``("127.0.0.1", 0)`` (listening on return: no startup race)."""
        raise NotImplementedError

    def _closing(self, server: ThreadingHTTPServer) -> None:
        """Called after the serve loop stopped, before the handler threads are joined."""

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError(f"{self.label} is already running")
        self._server = self._make_server()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=self.label,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        self._closing(server)
        server.server_close()  # joins the handler threads (daemon_threads = False)
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._server is None:
            raise RuntimeError(f"{self.label} is not running; call start()")
        return f"http://127.0.0.1:{self._server.server_port}"
