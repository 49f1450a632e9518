"""The HTTP functions, thin: parse the request, call the domain code, map errors to statuses.

Each handler is a Starlette endpoint used twice: as a functions-framework target
(``main.py``, one Cloud Run service each) and as a route of ``brain serve``
(:mod:`functions.app`). Errors are JSON, ``{"error": {"code", "message"}}``, with a message a
person can act on; the table below is the only place statuses are decided.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import logging
import math
import os
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from functions.errors import ConfigError, SecretError
from functions.logs import current_trace, trace_from_headers
from functions.runtime import Runtime, utc_now
from functions.webhooks.errors import OutboxError, VerificationError
from functions.webhooks.receive import UnknownSource
from router.errors import RequestError, UnknownShard
from shards import BrainError, StoreRejected, StoreUnavailable

log = logging.getLogger(__name__)
Handler = Callable[[Request], Awaitable[Response]]
#: A get_context request is a task and a few ids; anything near this is a mistake (400/413).
CONTEXT_BODY_LIMIT = 4 * 1024 * 1024


class HttpError(BrainError):
    """A request-level problem found before any domain code ran."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        hint: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.headers = headers or {}
        super().__init__(message, hint=hint)


STATUS: tuple[tuple[type[BrainError], int], ...] = (
    (HttpError, 0),  # carries its own status
    (UnknownSource, 404),
    (UnknownShard, 400),
    (RequestError, 400),
    (VerificationError, 401),
    (SecretError, 503),
    (OutboxError, 503),
    (StoreUnavailable, 503),
    (StoreRejected, 502),  # the backend refused for good: retrying the same will not help
    (ConfigError, 500),
)


#: What a caller is told when a secret cannot be read: the reference, the variable name and
#: the fix are for the operator (they are logged), never for whoever sent the request.
SECRET_UNAVAILABLE = "the service cannot read a secret it needs; its operator has been told"  # noqa: S105


def error_response(exc: BrainError) -> JSONResponse:
    status = next((s for t, s in STATUS if isinstance(exc, t)), 500)
    if isinstance(exc, HttpError):
        status = exc.status
    body: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if isinstance(exc, SecretError):
        body["message"] = SECRET_UNAVAILABLE
    elif exc.hint:
        body["hint"] = exc.hint
    if isinstance(exc, VerificationError):
        body["reason"] = exc.reason
    headers = {"Retry-After": str(retry_after(exc))} if status == 503 else {}
    if isinstance(exc, HttpError):
        headers.update(exc.headers)
    return JSONResponse({"error": body}, status_code=status, headers=headers)


#: Retry-After on a 503 when the failure did not say how long (the outbox, a secret).
RETRY_AFTER_S = 5


def retry_after(exc: BrainError) -> int:
    """Whole seconds for a 503's Retry-After: the backend's own figure, rounded up, if any."""
    wait = getattr(exc, "retry_after", None)
    return max(1, math.ceil(wait)) if isinstance(wait, int | float) else RETRY_AFTER_S


class AsgiResponse(Response):
    """An ASGI app handed back where a framework expects a Response (functions-framework's
    targets): it answers the request itself, reading the body and streaming its answer."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__()
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing more than ``limit`` bytes while reading (413)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HttpError(413, "body_too_large", f"body is {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HttpError(413, "body_too_large", f"body exceeds the {limit}-byte limit")
            chunks.append(chunk)
    except ClientDisconnect:
        # Nobody is left to answer: one line, no traceback (nothing was accepted).
        log.info("%s %s: client disconnected mid-body", request.method, request.url.path)
        raise HttpError(400, "client_disconnected", "the client went away mid-body") from None
    return b"".join(chunks)


def guarded(
    get_runtime: Callable[[], Runtime], handler: Callable[..., Awaitable[Response]]
) -> Handler:
    """Wrap a handler: build the runtime lazily, turn BrainErrors into JSON errors."""

    async def endpoint(request: Request) -> Response:
        trace = None
        try:
            rt = get_runtime()
            trace = current_trace.set(trace_from_headers(request.headers, _project(rt)))
            return await handler(request, rt)
        except BrainError as exc:
            if not isinstance(exc, (HttpError, VerificationError, RequestError, UnknownSource)):
                # str(exc) carries the hint: the fix is in the log even when the caller is not
                # told it (a secret's reference and fix are never sent to a caller).
                log.warning("%s %s failed: %s", request.method, request.url.path, exc)
            return error_response(exc)
        finally:
            if trace is not None:
                current_trace.reset(trace)

    endpoint.__name__ = handler.__name__
    return endpoint


def _project(rt: Runtime) -> str:
    """The Google Cloud project traces belong to: Cloud Run's, else ``[deploy] project``."""
    return os.environ.get("GOOGLE_CLOUD_PROJECT") or rt.config.deploy.project


def _path_param(request: Request, name: str, prefix: str) -> str:
    """A route's parameter under ``brain serve``; the path's tail under functions-framework."""
    value = request.path_params.get(name)
    if value is None:
        value = str(request.path_params.get("path", "")).strip("/").removeprefix(prefix)
    return str(value).strip("/")


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (``127.0.0.1``, ``::1``, ``[::1]``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_auth(request: Request, rt: Runtime, *, basic: bool = False) -> None:
    """Bearer-token auth; off only when no token is configured (allowed on loopback only).

    ``basic`` also takes the token as the password of HTTP Basic auth (any user name), so a
    browser can open the status page: its 401 then asks for credentials.
    """
    ref = rt.config.serve.auth_token
    if ref is None:
        return
    expected = rt.secrets.resolve(ref).encode()
    given = request.headers.get("authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), expected):
        return
    if (
        basic
        and scheme.lower() == "basic"
        and hmac.compare_digest(_basic_password(token), expected)
    ):
        return
    raise HttpError(
        401,
        "unauthorized",
        "missing or wrong bearer token",
        hint="Send 'Authorization: Bearer <token>' with the token configured in "
        "[serve] auth_token"
        + (" (a browser: any user name, the token as password)." if basic else "."),
        headers={"WWW-Authenticate": 'Basic realm="Context Index status"'} if basic else None,
    )


def _basic_password(credentials: str) -> bytes:
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True)
    except (binascii.Error, ValueError):
        return b""
    return decoded.partition(b":")[2]


# -- handlers -----------------------------------------------------------------------------


async def webhooks(request: Request, rt: Runtime) -> Response:
    """POST /webhooks/{source}: verify, persist, answer 202 {"id", "status"}."""
    if request.method != "POST":
        raise HttpError(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed: webhooks are delivered with POST",
            headers={"Allow": "POST"},
        )
    source = _path_param(request, "source", "webhooks/")
    if not source:
        raise HttpError(404, "unknown_source", "POST to /webhooks/<source>")
    known = source in rt.config.webhooks.sources  # only configured names are counted
    try:
        body = await read_body(request, rt.config.webhooks.max_body_bytes)
        receiver = rt.webhook_receiver
        receipt = await run_in_threadpool(
            receiver.receive, source, dict(request.headers), body, now=utc_now()
        )
    except (HttpError, VerificationError, RequestError):
        if known:
            rt.tally.count(f"webhook:{source}:refused")
        raise
    if receipt.status != "verification":
        rt.tally.count(f"webhook:{source}:{receipt.status}")
    return json_response(receipt.to_json(), 202)


async def context(request: Request, rt: Runtime) -> Response:
    """POST /context {"task", "budget", "shards"?, "hints"?} or GET /context?task=…&budget=…"""
    check_auth(request, rt)
    if request.method == "GET":
        params = request.query_params
        payload: Any = {
            "task": params.get("task"),
            "budget": params.get("budget"),
            "shards": params.getlist("shard") or params.getlist("shards"),
            "hints": params.getlist("hint") or params.getlist("hints"),
        }
    elif request.method == "POST":
        ctype = request.headers.get("content-type", "")
        if "json" not in ctype:
            raise HttpError(
                400,
                "bad_request",
                f"content type {ctype or 'none'!r} is not JSON",
                hint="Send Content-Type: application/json.",
            )
        raw = await read_body(request, CONTEXT_BODY_LIMIT)
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise HttpError(
                400,
                "bad_request",
                f"body is not valid JSON ({exc})",
                hint='Send {"task": "...", "budget": 4000}.',
            ) from exc
    else:
        raise HttpError(405, "method_not_allowed", "use POST (or GET with query parameters)")
    asked = rt.parse_context_request(payload)
    result = await run_in_threadpool(
        rt.context_service.get_context, asked.task, asked.budget, asked.shards, asked.hints
    )
    return json_response(result.to_json())


async def notion_events(request: Request, rt: Runtime) -> Response:
    """POST /notion/events: Notion integration webhooks that mark shards stale."""
    body = await read_body(request, rt.config.webhooks.max_body_bytes)
    result = await run_in_threadpool(
        rt.notion_events.handle, dict(request.headers), body, now=utc_now()
    )
    return json_response(result, 200)


async def sync(request: Request, rt: Runtime, *, bearer: bool = True) -> Response:
    """POST /sync: the scheduled job, refresh headers, regenerate the router, drain logs.

    ``bearer=False`` is for the Cloud Run target, which only Cloud Scheduler may invoke (IAM
    checks its OIDC token before the request arrives, in the same Authorization header).
    """
    if bearer:
        check_auth(request, rt)
    if request.method != "POST":
        raise HttpError(405, "method_not_allowed", "use POST /sync")
    report = await run_in_threadpool(rt.scheduled_sync)
    return json_response(report, 200)


async def sync_iam(request: Request, rt: Runtime) -> Response:
    """POST /sync for the Cloud Run target: Cloud Run IAM has already authenticated."""
    return await sync(request, rt, bearer=False)


async def status(request: Request, rt: Runtime) -> Response:
    """GET /status (HTML) and /status.json (or Accept: application/json): the operator's page."""
    check_auth(request, rt, basic=True)
    if request.method not in ("GET", "HEAD"):
        raise HttpError(
            405, "method_not_allowed", "use GET /status", headers={"Allow": "GET, HEAD"}
        )
    from functions.status import collect

    report = await run_in_threadpool(collect, rt, utc_now())
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    accept = request.headers.get("accept", "")
    wants_json = request.url.path.endswith(".json") or (
        "application/json" in accept and "text/html" not in accept
    )
    if wants_json:
        response = json_response(report.to_json())
        response.headers.update(headers)
        return response
    from functions.status_page import CONTENT_SECURITY_POLICY, render

    headers |= {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "Referrer-Policy": "no-referrer",
    }
    return HTMLResponse(render(report), headers=headers)
