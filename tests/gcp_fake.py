"""A fake of Google Secret Manager's REST API (v1), served over real HTTP on loopback.

Driven in tests by the real client library through
``functions.gcp_secrets.SecretManagerFetcher(endpoint=fake.url)`` (REST transport, anonymous
credentials), so the client's request building, JSON parsing and error mapping all run for real.
It models one call, as Google documents it:

``GET /v1/projects/{p}/secrets/{s}/versions/{v}:access`` ->
``200 {"name": "projects/{p}/secrets/{s}/versions/{n}",
"payload": {"data": "<base64>", "dataCrc32c": "<int64 as a decimal string>"}}``

(proto3 JSON writes int64 as a string). ``latest`` resolves to the highest enabled version.
Errors use Google's error shape, ``{"error": {"code", "message", "status"}}``: 404
``NOT_FOUND`` for an unknown secret or version, 403 ``PERMISSION_DENIED`` for a secret
:meth:`SecretManagerFake.deny` was called on, 400 ``FAILED_PRECONDITION`` for a disabled
version. Every response closes its connection, so :meth:`stop` never waits on keep-alive.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from tests.loopback import LoopbackFake

_ACCESS = re.compile(
    r"^/v1/projects/(?P<project>[^/]+)/secrets/(?P<secret>[^/]+)/versions/(?P<version>[^/:]+):access$"
)
_STATUS = {400: "FAILED_PRECONDITION", 403: "PERMISSION_DENIED", 404: "NOT_FOUND"}


def crc32c(data: bytes) -> int:
    """CRC-32C, bit by bit: deliberately not the code under test's table-driven version."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


@dataclass
class Seen:
    """One request as the fake saw it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int


@dataclass
class _Secret:
    versions: dict[int, bytes] = field(default_factory=dict)
    disabled: set[int] = field(default_factory=set)
    denied: bool = False


class SecretManagerFake(LoopbackFake):
    """In-memory secrets behind a loopback HTTP server; ``url`` is the client's api_endpoint
    (``client_options={"api_endpoint": url}``)."""

    label = "the fake Secret Manager"

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Seen] = []
        self.errors: list[BaseException] = []  # bugs in the fake itself (answered 500)
        self.corrupt_crc = False  # answer a wrong dataCrc32c (integrity check tests)
        self._secrets: dict[tuple[str, str], _Secret] = {}
        self._lock = threading.Lock()

    # -- data ------------------------------------------------------------------------------

    def add(self, project: str, secret: str, value: str | bytes) -> str:
        """Add a version; returns its resource name ``projects/P/secrets/S/versions/N``."""
        data = value.encode() if isinstance(value, str) else value
        with self._lock:
            entry = self._secrets.setdefault((project, secret), _Secret())
            number = max(entry.versions, default=0) + 1
            entry.versions[number] = data
        return f"projects/{project}/secrets/{secret}/versions/{number}"

    def deny(self, project: str, secret: str) -> None:
        """The caller lacks secretmanager.versions.access on this secret: answer 403."""
        with self._lock:
            self._secrets.setdefault((project, secret), _Secret()).denied = True

    def disable(self, project: str, secret: str, version: int) -> None:
        with self._lock:
            self._secrets[(project, secret)].disabled.add(version)

    # -- lifecycle -------------------------------------------------------------------------

    def _make_server(self) -> ThreadingHTTPServer:
        return GoogleApiServer(self)

    # -- handling --------------------------------------------------------------------------

    def _dispatch(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any]:
        parts = urlsplit(target)
        path = unquote(parts.path)
        try:
            status, body = self._handle(method, path)
        except Exception as exc:  # a bug in the fake: surface it to the test
            self.errors.append(exc)
            status, body = 500, _error(500, f"fake bug: {exc!r}", "INTERNAL")
        with self._lock:
            self.requests.append(Seen(method, path, parts.query, headers, status))
        return status, body

    def _handle(self, method: str, path: str) -> tuple[int, Any]:
        match = _ACCESS.match(path)
        if method != "GET" or match is None:
            return 404, _error(404, f"The requested URL {path} was not found.", "NOT_FOUND")
        project, secret, version = match["project"], match["secret"], match["version"]
        resource = f"projects/{project}/secrets/{secret}/versions/{version}"
        with self._lock:
            entry = self._secrets.get((project, secret))
            if entry is not None and entry.denied:
                return 403, _error(
                    403,
                    f"Permission 'secretmanager.versions.access' denied for resource "
                    f"'{resource}' (or it may not exist).",
                    "PERMISSION_DENIED",
                )
            if entry is None or not entry.versions:
                return 404, _error(
                    404,
                    f"Secret [projects/{project}/secrets/{secret}] not found or has no versions.",
                    "NOT_FOUND",
                )
            if version == "latest":
                enabled = [n for n in entry.versions if n not in entry.disabled]
                number = max(enabled, default=0)
            else:
                number = int(version) if version.isdigit() else 0
            if number not in entry.versions:
                return 404, _error(404, f"Secret Version [{resource}] not found.", "NOT_FOUND")
            if number in entry.disabled:
                return 400, _error(
                    400, f"Secret Version [{resource}] is in DISABLED state.", "FAILED_PRECONDITION"
                )
            data = entry.versions[number]
        crc = crc32c(data) ^ (1 if self.corrupt_crc else 0)
        return 200, {
            "name": f"projects/{project}/secrets/{secret}/versions/{number}",
            "payload": {"data": base64.b64encode(data).decode(), "dataCrc32c": str(crc)},
        }


def _error(code: int, message: str, status: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


class _Dispatching(Protocol):
    def _dispatch(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any]: ...


class GoogleApiHandler(BaseHTTPRequestHandler):
    """Answers every request with the fake's ``_dispatch(method, target, headers, raw)`` as
    JSON; each response closes its connection, so ``stop()`` never waits on keep-alive."""

    protocol_version = "HTTP/1.1"
    server: GoogleApiServer

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PATCH(self) -> None:
        self._answer("PATCH")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, payload = self.server.fake._dispatch(method, self.path, headers, raw)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


class GoogleApiServer(ThreadingHTTPServer):
    """The loopback server of a Google API fake (shared by the Secret Manager fake and
    :class:`tests.gcp_cloud_fake.GoogleCloudFake`)."""

    daemon_threads = False  # server_close() joins every handler thread: nothing leaks
    block_on_close = True

    def __init__(self, fake: _Dispatching) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), GoogleApiHandler)
