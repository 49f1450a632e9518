"""Cloud Functions entry points (functions-framework, ASGI mode): one target per function.

Deploy each target as its own Cloud Run service (see ``brain deploy --dry-run``)::

    functions-framework --asgi --source main.py --target webhooks

Configuration comes from ``BRAIN_CONFIG`` (a brain.toml path) and ``BRAIN_*`` variables.
Elsewhere nothing is built at import time (the runtime is created on the first request); on
Cloud Run (``K_SERVICE`` set) the import starts the function: JSON logs, every secret it reads
resolved, or an exit naming the one that is not (:func:`functions.cloud.start`).
"""

from __future__ import annotations

import os
from functools import lru_cache

import functions_framework.aio
from starlette.requests import Request
from starlette.responses import Response

from config import CONFIG_ENV, load_config
from functions import http
from functions.logs import in_the_cloud
from functions.mcp_server import CloudEndpoint
from functions.runtime import Runtime


def _build() -> Runtime:
    built = Runtime(load_config(os.environ.get(CONFIG_ENV)))
    built.background_refresh = True  # an instance serves many requests: refresh off them
    return built


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    if in_the_cloud():
        from functions.cloud import close_at_exit

        return close_at_exit(_build())
    return _build()


_context = http.guarded(runtime, http.context)
_webhooks = http.guarded(runtime, http.webhooks)
_notion_events = http.guarded(runtime, http.notion_events)
_sync = http.guarded(runtime, http.sync_iam)
_mcp = CloudEndpoint(runtime)
_status = http.guarded(runtime, http.status)

if in_the_cloud():
    from functions.cloud import start

    start(_build)


@functions_framework.aio.http
async def context(request: Request) -> Response:
    """POST /context: get_context under a token budget."""
    return await _context(request)


@functions_framework.aio.http
async def webhooks(request: Request) -> Response:
    """POST /webhooks/{source}: the HMAC-verified webhook logger."""
    return await _webhooks(request)


@functions_framework.aio.http
async def notion_events(request: Request) -> Response:
    """POST /notion/events: Notion integration webhooks that mark shards stale."""
    return await _notion_events(request)


@functions_framework.aio.http
async def sync(request: Request) -> Response:
    """POST /sync: the scheduled index sync and outbox drain (Cloud Run IAM authenticates)."""
    return await _sync(request)


@functions_framework.aio.http
async def mcp(request: Request) -> Response:
    """/mcp: the MCP tools over streamable HTTP (stateless), behind [serve] auth_token."""
    return http.AsgiResponse(_mcp)


@functions_framework.aio.http
async def status(request: Request) -> Response:
    """GET /status (HTML) or /status.json: the operator's page, behind [serve] auth_token."""
    return await _status(request)
