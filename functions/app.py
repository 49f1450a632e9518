"""``brain serve``: every HTTP function on one port, plus the background drainer.

Routes: ``POST|GET /context``, ``POST /webhooks/{source}``, ``POST /notion/events``,
``POST /sync``, ``GET /healthz``, ``GET /status`` (and ``/status.json``) and the MCP server
(streamable HTTP) at ``/mcp``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from functions import http
from functions.errors import ConfigError
from functions.http import is_loopback
from functions.mcp_server import streamable_http_app
from functions.runtime import Runtime

log = logging.getLogger(__name__)


def check_exposure(runtime: Runtime, host: str) -> None:
    """Refuse to serve get_context without auth anywhere but loopback."""
    if runtime.config.serve.auth_token is None and not is_loopback(host):
        raise ConfigError(
            f"refusing to serve on {host} without authentication",
            hint="Set [serve] auth_token = 'env:BRAIN_AUTH_TOKEN' (a secret reference), or "
            "bind to 127.0.0.1.",
        )


def build_app(runtime: Runtime, *, drain: bool = True, host: str | None = None) -> Starlette:
    """The combined app. ``drain`` runs the outbox drainer in a background thread; ``host``
    is the address bound (the MCP app allows only loopback Host headers on loopback)."""

    runtime.auto_drain = drain
    runtime.background_refresh = True  # a server: no request lists or re-reads the store

    def get() -> Runtime:
        return runtime

    async def healthz(request: Request) -> Response:
        return http.json_response({"status": "ok"})

    routes: list[BaseRoute] = [
        Route("/context", http.guarded(get, http.context), methods=["GET", "POST"]),
        Route("/webhooks/{source}", http.guarded(get, http.webhooks), methods=["POST"]),
        Route("/notion/events", http.guarded(get, http.notion_events), methods=["POST"]),
        Route("/sync", http.guarded(get, http.sync), methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/status", http.guarded(get, http.status), methods=["GET"]),
        Route("/status.json", http.guarded(get, http.status), methods=["GET"]),
    ]
    mcp_app = streamable_http_app(runtime, host=host)
    routes.extend(mcp_app.routes)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if drain:
            runtime.start_drainer()  # at once: events left by a previous run go out now
        if runtime.semantic is not None:
            # build the snapshot before the first request, so the passage embedder starts at
            # once instead of at the first get_context (off the event loop; a saved index
            # loads in well under a second)
            await run_in_threadpool(lambda: runtime.context_service)
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(mcp_app.router.lifespan_context(mcp_app))
            try:
                yield
            finally:
                # uvicorn gets here on SIGTERM/SIGINT once in-flight requests have finished.
                runtime.shutdown()

    return Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={HTTPException: routing_error}
    )


_ROUTING_CODES = {404: "not_found", 405: "method_not_allowed"}


async def routing_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (no such route, wrong method) as our JSON error shape."""
    assert isinstance(exc, HTTPException)
    message = f"{request.method} {request.url.path}: {exc.detail}"
    allow = (exc.headers or {}).get("Allow")
    if allow:
        message += f"; use {allow}"
    return JSONResponse(
        {"error": {"code": _ROUTING_CODES.get(exc.status_code, "http_error"), "message": message}},
        status_code=exc.status_code,
        headers=exc.headers,
    )
