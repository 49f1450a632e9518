"""What the service answers when something it depends on is gone.

- A store that refuses for good (a revoked Notion token) is 502 without Retry-After; one that
  is only unavailable is 503 with the backend's Retry-After (rounded up) or 5 s.
- ``brain serve`` starts without its state database: /healthz, /context and /mcp answer,
  webhooks are 503 with Retry-After, and once the database is reachable the same process
  accepts and logs them. The database "comes back" by a loopback proxy starting on the port
  the URL names, in front of the test PostgreSQL server.
- A client that disconnects mid-body costs one log line, no traceback.

The app runs under uvicorn on a loopback port; waits on it poll with a deadline.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import uvicorn

from config import load_config
from functions import runtime as runtime_module
from functions.app import build_app
from functions.http import error_response
from functions.runtime import Runtime
from functions.webhooks.errors import OutboxError
from functions.webhooks.schemes import get_scheme
from shards import StoreRejected, StoreUnavailable
from tests.notion_fake import NotionFake

SECRET = "degraded-test-secret-0123456789"
DEADLINE_S = 20.0


def wait_until(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)


# -- the error table ------------------------------------------------------------------------


def test_a_permanent_store_failure_is_502_without_retry_after() -> None:
    response = error_response(StoreRejected("Notion rejected the token", status=401))
    assert response.status_code == 502
    assert "retry-after" not in response.headers


def test_a_transient_store_failure_is_503_with_the_backends_retry_after_rounded_up() -> None:
    response = error_response(StoreUnavailable("Notion is overloaded", retry_after=7.2))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "8"
    assert error_response(OutboxError("down")).headers["retry-after"] == "5"


# -- a server under uvicorn -----------------------------------------------------------------


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


@contextlib.contextmanager
def serve(runtime: Runtime, *, drain: bool = True) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = Server(
        uvicorn.Config(
            build_app(runtime, drain=drain, host="127.0.0.1"),
            log_config=None,  # records reach the root logger, where caplog listens
            ws="none",
            http="h11",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        assert server.ready.wait(DEADLINE_S), "the server did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(DEADLINE_S)
        sock.close()
        runtime.close()


def config_file(folder: Path, extra: str = "") -> Path:
    path = folder / "brain.toml"
    path.write_text(
        '[store]\nkind = "local"\npath = "workspace"\n'
        '[webhooks]\nlog_page = "webhook-log"\n'
        '[webhooks.sources.cron]\nscheme = "hmac-sha256"\nsecrets = ["env:DEGRADED_SECRET"]\n'
        + extra
    )
    (folder / "workspace").mkdir()
    return path


def webhook(client: httpx.Client, url: str, n: int) -> httpx.Response:
    body = b'{"event":"tick","n":%d}' % n
    headers = get_scheme("hmac-sha256").sign(
        body, SECRET, now=datetime.now(UTC), delivery_id=f"d-{n}"
    )
    return client.post(f"{url}/webhooks/cron", content=body, headers=headers)


class Proxy:
    """Forwards connections on ``port`` to ``target`` once started: the database coming back."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port, self.target = port, target
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []

    def start(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        self._listener = listener
        self._spawn(self._accept, listener)

    def _spawn(self, fn: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=fn, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._sockets += [client, upstream]
            self._spawn(self._pump, client, upstream)
            self._spawn(self._pump, upstream, client)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
        for sock in self._sockets:
            sock.close()
        for thread in self._threads:
            thread.join(5)


@pytest.mark.postgres
def test_serve_starts_without_its_database_and_takes_webhooks_once_it_is_back(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEGRADED_SECRET", SECRET)
    monkeypatch.setattr(runtime_module, "OUTBOX_RETRY_S", 0.1)  # try the database again soon
    with socket.socket() as probe:  # a loopback port nothing listens on (yet)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    real = urlsplit(postgres_url)
    down_url = urlunsplit(real._replace(netloc=f"{real.username}@127.0.0.1:{port}"))
    config = config_file(tmp_path, f'[state]\nurl = "{down_url}"\n')
    runtime = Runtime(load_config(config))
    proxy = Proxy(port, (real.hostname or "127.0.0.1", real.port or 5432))
    try:
        with serve(runtime) as url, httpx.Client(timeout=10) as client:
            assert client.get(f"{url}/healthz").status_code == 200
            context = client.post(f"{url}/context", json={"task": "anything"})
            assert context.status_code == 200, context.text
            mcp = client.post(f"{url}/mcp/", json={}, headers={"Accept": "text/event-stream"})
            assert mcp.status_code < 500
            refused = webhook(client, url, 1)
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "5"
            assert refused.json()["error"]["code"] == "outbox_unavailable"
            assert f"127.0.0.1:{port}" in refused.json()["error"]["message"]

            proxy.start()  # the database is back
            wait_until(lambda: webhook(client, url, 1).status_code == 202, "accepted")
            page = tmp_path / "workspace" / "webhook-log.md"
            wait_until(lambda: page.exists() and '"n":1' in page.read_text(), "the line is logged")
    finally:
        proxy.stop()


def test_a_client_that_disconnects_mid_body_costs_one_line_and_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DEGRADED_SECRET", SECRET)
    runtime = Runtime(load_config(config_file(tmp_path)))
    caplog.set_level(logging.INFO)
    with serve(runtime, drain=False) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as raw:
            raw.sendall(
                b"POST /webhooks/cron HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
                b'{"event":"cut off'
            )
        wait_until(lambda: "disconnected mid-body" in caplog.text, "the server noticed")
        with httpx.Client() as client:  # and it still serves
            assert client.get(f"{url}/healthz").status_code == 200
    about = [r for r in caplog.records if "/webhooks/cron" in r.getMessage() or r.exc_info]
    assert len(about) <= 2  # the one line, and at most uvicorn's access line
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_a_revoked_notion_token_is_502_on_context_without_retry_after(
    tmp_path: Path, notion_fake: NotionFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEGRADED_NOTION_TOKEN", "revoked-token")
    config = tmp_path / "brain.toml"
    config.write_text(
        f'[store]\nkind = "notion"\nroot_page_id = "{notion_fake.root_id}"\n'
        f'token = "env:DEGRADED_NOTION_TOKEN"\napi_url = "{notion_fake.url}"\n'
    )
    runtime = Runtime(load_config(config))
    with serve(runtime, drain=False) as url:
        answer = httpx.post(f"{url}/context", json={"task": "x"}, timeout=20)
        assert answer.status_code == 502, answer.text
        assert "retry-after" not in answer.headers
        assert "integration token" in answer.json()["error"]["message"]
