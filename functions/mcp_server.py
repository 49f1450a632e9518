"""The MCP server: ``get_context``, ``list_shards`` and ``read_shard`` for Claude sessions.

Built on the official ``mcp`` SDK (v2, :class:`~mcp.server.mcpserver.MCPServer`) and served three
ways: ``brain mcp`` on stdio (:func:`run_stdio`), streamable HTTP at ``/mcp`` under
``brain serve`` (:func:`streamable_http_app`, mounted by :mod:`functions.app`), and the ``mcp``
Cloud Run function (:class:`CloudEndpoint`, a target of ``main.py``), which always requires the
bearer token of ``[serve] auth_token``.

What a tool returns, and why:

- **The markdown first, the manifest second, both as text blocks.** Claude Code hands the
  model ``JSON.stringify(structuredContent)`` *instead of* the text blocks whenever a result
  carries structured content (anthropics/claude-code#54450, #79944), so a manifest there would
  hide the context itself. get_context and read_shard therefore answer with two text blocks:
  the context markdown, then the manifest as compact JSON. list_shards, whose text *is* its
  data, also carries it as structured content.
- **The budget covers the whole result**: the context and the manifest together stay within
  the budget asked (:func:`_within_budget`): the context is asked for with room set aside, the
  manifest lists only the shards that contributed, and it is shortened (or left out, for a
  budget of a few tokens) until both fit. Tokens are counted with the service's tokenizer,
  safety margin included, so the real count is lower.
- **Never more than 25,000 tokens in one result** (Claude Code's cap on one MCP tool result):
  a budget is lowered to :data:`MAX_TOOL_BUDGET` and the manifest says so.
- **A BrainError is a tool error result** (``isError``) whose text says what to send instead;
  the server keeps running. Anything else is reported by the SDK as a bare tool error (the
  traceback goes to the log, never to the client).

Nothing is built at import time; the runtime's services are built on the first tool call.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import TYPE_CHECKING, Annotated, Any

import anyio.to_thread
import orjson
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field, ValidationError
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from functions.errors import ConfigError
from functions.http import check_auth, error_response, is_loopback
from functions.logs import current_trace, trace_from_headers
from functions.runtime import Runtime
from router import ContextRequest, RequestError
from shards import BrainError

if TYPE_CHECKING:
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

    from router import ContextResult

#: Claude Code refuses (or truncates) one MCP tool result over this many tokens.
RESULT_TOKEN_CAP = 25_000
#: The largest budget a tool call gets (context and manifest together).
MAX_TOOL_BUDGET = 24_000
#: At most this many tokens of a budget are first set aside for the manifest.
MANIFEST_RESERVE = 160
#: Where the streamable HTTP endpoint is served.
MCP_PATH = "/mcp"
#: The bind address a Cloud Run container reports; not loopback, so the bearer token guards.
CLOUD_HOST = "0.0.0.0"  # noqa: S104 - Cloud Run routes to the container; auth is the token
SERVER_NAME = "brain"

INSTRUCTIONS = (
    "The operator's Context Index: architecture decisions, relationships, credential "
    "references and procedures, split into shards. Before starting a task that may depend "
    "on how the operator's systems, clients or procedures work, call get_context with the "
    "task in one or two sentences. It returns the relevant sections within a token budget, "
    "each with its source, after a digest of the index (every shard; on a large index, every "
    "domain with its first and last shard id). If the answer is not there, call get_context "
    "again with a larger budget or name shards, or read a whole shard with read_shard. "
    "Credentials are references (never values): do not guess secrets."
)

GET_CONTEXT = (
    "Get the context for a task from the operator's Context Index, in at most `budget` tokens "
    "for the whole result. Call this first, with the task you are about to do (a sentence or "
    "two: what and which system, client or procedure), and in `hints` two to four other ways "
    "the notes might word it: the names they likely use for the systems, documents, people "
    "or procedures involved, or keywords (e.g. for 'stop double billing' try 'idempotency "
    "key', 'duplicate charge'); when the task asks two things, let the hints cover both. "
    "The result is markdown: a digest of the index (every shard with one line, or on a "
    "large index every domain), then the most relevant passages with their source; a short "
    "JSON manifest follows (shards included, notes on what was left out). When the answer "
    "is not there, call again with other hints, a larger budget (up to 24000), or `shards` "
    "with ids from the digest or list_shards to read those first."
)
LIST_SHARDS = (
    "List the shards of the Context Index: id, title, summary, fetch_when (the tasks each "
    "is for), tokens and status. Call it to see what exists before naming shards in "
    "get_context or read_shard."
)
READ_SHARD = (
    "Read one shard of the Context Index as markdown, with its source, in document order. "
    "Use it when you need a whole domain rather than the sections get_context picks, and "
    "pass `budget` to read only its beginning. Ids come from list_shards or get_context's "
    "digest; results over 24000 tokens are cut."
)

TaskArg = Annotated[
    str,
    Field(
        description="The task you are about to do, in a sentence or two (may be empty "
        "when shards are named)."
    ),
]
BudgetArg = Annotated[
    int,
    Field(description="Most tokens the whole result may take, manifest included (1 to 24000)."),
]
HintsArg = Annotated[
    list[str] | None,
    Field(
        description="Two to four other phrasings of the task or keywords, in the vocabulary "
        "the operator's notes likely use (their names for systems, documents, procedures); "
        "weighed below the task. Up to 8, each under 300 characters."
    ),
]
ShardsArg = Annotated[
    list[str] | None,
    Field(description="Shard ids to read first, from the digest or list_shards."),
]
ShardIdArg = Annotated[str, Field(description="The shard id, e.g. 'infra'.")]
ShardBudgetArg = Annotated[
    int | None,
    Field(description="Read at most this many tokens of the shard (default: all, up to 24000)."),
]

log = logging.getLogger(__name__)


# -- the server -----------------------------------------------------------------------------


def build_server(runtime: Runtime) -> MCPServer:
    """An MCP server with the three tools over ``runtime``'s context service."""
    # Tool bodies run on the SDK's worker threads; the service's snapshot cache has no lock
    # of its own, so one call at a time refreshes it (a warm call takes milliseconds).
    lock = threading.Lock()
    default_budget = min(runtime.config.context.default_budget, MAX_TOOL_BUDGET)

    def get_context(
        task: TaskArg,
        budget: BudgetArg = default_budget,
        shards: ShardsArg = None,
        hints: HintsArg = None,
    ) -> CallToolResult:
        return _guarded(
            lock, lambda: _get_context(runtime, task, budget, shards or [], hints or [])
        )

    def list_shards() -> CallToolResult:
        return _guarded(lock, lambda: _list_shards(runtime))

    def read_shard(id: ShardIdArg, budget: ShardBudgetArg = None) -> CallToolResult:
        return _guarded(lock, lambda: _read_shard(runtime, id, budget))

    with _root_logging_kept():
        server: MCPServer = _Server(
            SERVER_NAME,
            title="Context Index",
            instructions=INSTRUCTIONS,
            version=_version(),
            explain=lambda name, arguments, fields: _bad_arguments(
                runtime, lock, name, arguments, fields
            ),
        )
    read_only = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
    server.add_tool(get_context, description=GET_CONTEXT, annotations=read_only)
    server.add_tool(list_shards, description=LIST_SHARDS, annotations=read_only)
    server.add_tool(read_shard, description=READ_SHARD, annotations=read_only)
    return server


def run_stdio(runtime: Runtime) -> None:
    """Serve the tools on stdin/stdout until the client closes them (``brain mcp``)."""
    try:
        build_server(runtime).run("stdio")
    finally:
        runtime.close()


def streamable_http_app(runtime: Runtime, *, host: str | None = None) -> Starlette:
    """The streamable HTTP app: one route at ``/mcp`` and a lifespan that runs the SDK.

    Stateless with JSON responses, so any number of instances can serve and no session
    outlives a request. Mount it by adding its ``routes`` to another Starlette app and
    entering ``app.router.lifespan_context(app)`` in that app's lifespan (as
    :func:`functions.app.build_app` does); the app can be run once.

    ``host`` is the address the server binds (default ``[serve] host``): on loopback, the
    SDK's DNS-rebinding protection accepts only 127.0.0.1, localhost and [::1] as Host and
    Origin. Elsewhere ``brain serve`` refuses to run without ``[serve] auth_token``, which
    this route then requires as a bearer token, like ``/context``.
    """
    server = build_server(runtime)
    bind = host if host is not None else runtime.config.serve.host
    # The SDK's app is built for the session manager it wires up; the route is ours, so
    # the bearer check can stand in front of the manager.
    manager = _session_manager(server, bind)
    endpoint: ASGIApp = _SessionEndpoint(manager.handle_request)
    if runtime.config.serve.auth_token is not None:
        endpoint = _BearerAuth(endpoint, runtime)
    return Starlette(routes=[Route(MCP_PATH, endpoint=endpoint)], lifespan=lambda _: manager.run())


class CloudEndpoint:
    """Streamable HTTP MCP for a host that runs no lifespan: the ``mcp`` functions target.

    functions-framework gives a target no startup hook, so each request runs in a session
    manager of its own (stateless, JSON responses: nothing outlives the request, and any
    number of Cloud Run instances can serve). The tools' server is built once per instance,
    on the first request. The bearer token of ``[serve] auth_token`` is required: without one
    configured every request is refused (500, naming the key), never served open.
    """

    def __init__(self, get_runtime: Callable[[], Runtime]) -> None:
        self._get_runtime = get_runtime
        self._server: MCPServer | None = None
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            runtime = self._get_runtime()
            if runtime.config.serve.auth_token is None:
                raise ConfigError(
                    "the mcp function refuses to serve without [serve] auth_token",
                    hint="Set [serve] auth_token = 'sm:projects/P/secrets/BRAIN_AUTH_TOKEN/"
                    "versions/latest' and redeploy.",
                )
            check_auth(Request(scope), runtime)
        except BrainError as exc:
            await error_response(exc)(scope, receive, send)
            return
        server = self._built(runtime)
        project = os.environ.get("GOOGLE_CLOUD_PROJECT") or runtime.config.deploy.project
        trace = current_trace.set(trace_from_headers(Headers(scope=scope), project))
        try:
            await self._serve(server, scope, receive, send)
        finally:
            current_trace.reset(trace)

    async def _serve(self, server: MCPServer, scope: Scope, receive: Receive, send: Send) -> None:
        # A fresh manager per request (its run() may be entered once); building one is cheap.
        manager = _session_manager(server, CLOUD_HOST)
        async with manager.run():
            await manager.handle_request(scope, receive, send)

    def _built(self, runtime: Runtime) -> MCPServer:
        with self._lock:
            if self._server is None:
                self._server = build_server(runtime)
            return self._server


# -- the tools ------------------------------------------------------------------------------


def _get_context(
    runtime: Runtime, task: str, budget: int, shards: Sequence[str], hints: Sequence[str]
) -> CallToolResult:
    ctx = runtime.config.context
    request = ContextRequest.parse(
        {"task": task, "budget": budget, "shards": list(shards), "hints": list(hints)},
        default_budget=min(ctx.default_budget, MAX_TOOL_BUDGET),
        max_budget=ctx.max_budget,
    )
    asked, notes = _clamped(request.budget)
    extra = {"requested_budget": request.budget} if asked != request.budget else {}

    def fetch(room: int) -> ContextResult:
        return runtime.context_service.get_context(
            request.task, room, request.shards, request.hints
        )

    return _within_budget(runtime, asked, fetch, lambda r: _manifests(r, asked, notes, extra))


def _read_shard(runtime: Runtime, shard_id: str, budget: int | None) -> CallToolResult:
    if budget is not None:  # the same checks as get_context's budget (1 to max_budget)
        runtime.context_service.parse_request({"shards": [shard_id], "budget": budget})
    asked, notes = _clamped(budget) if budget is not None else (MAX_TOOL_BUDGET, [])
    extra: dict[str, Any] = {"requested_budget": budget} if budget and asked != budget else {}

    def fetch(room: int) -> ContextResult:
        return runtime.context_service.read_shard(shard_id, room)

    def manifests(result: ContextResult) -> list[dict[str, Any]]:
        said = list(notes)
        cut = any(s.included != "full" for s in result.shards if s.id == shard_id)
        if budget is None and cut:
            said.append(
                f"shard {shard_id!r} is larger than the {MAX_TOOL_BUDGET:,} tokens one tool "
                "result may carry: this is its beginning. Call get_context with a task and "
                f"shards=[{shard_id!r}] for the sections that matter."
            )
        # Only the shard read: the others are not part of this answer.
        only = replace(result, shards=tuple(s for s in result.shards if s.id == shard_id))
        return _manifests(only, budget, said, extra)

    return _within_budget(runtime, asked, fetch, manifests)


def _list_shards(runtime: Runtime) -> CallToolResult:
    shards = []
    for info in runtime.context_service.list_shards():
        row = info.to_json()
        if not row.get("stale"):
            row.pop("stale", None)
        shards.append(row)
    data: dict[str, Any] = {"shards": shards}
    text = _json(data)
    if runtime.tokenizer.count(text) > RESULT_TOKEN_CAP:
        data = _compact_listing(runtime, shards)
        text = _json(data)
    return CallToolResult(content=[TextContent(text=text)], structured_content=data)


def _compact_listing(runtime: Runtime, shards: list[dict[str, Any]]) -> dict[str, Any]:
    """A listing too large for one result: fewer fields, then fewer shards, said in a note."""
    rows = [{k: s[k] for k in ("id", "title", "tokens", "status")} for s in shards]
    room = RESULT_TOKEN_CAP - 200
    kept: list[dict[str, Any]] = []
    used = 0
    for row in rows:
        used += runtime.tokenizer.count(_json(row)) + 1
        if used > room:
            break
        kept.append(row)
    note = "summaries and fetch_when left out to stay under 25,000 tokens"
    if len(kept) < len(rows):
        note += f"; {len(rows) - len(kept)} more shards not shown (too many for one result)"
    return {"shards": kept, "notes": [note]}


def _session_manager(server: MCPServer, bind: str) -> StreamableHTTPSessionManager:
    """A stateless, JSON-answering streamable-HTTP session manager for ``server`` bound at
    ``bind`` (the SDK builds it with its app; the route that serves it is ours)."""
    server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        json_response=True,
        stateless_http=True,
        transport_security=_transport_security(bind),
        host=bind,
    )
    return server.session_manager


# -- helpers --------------------------------------------------------------------------------


def _guarded(lock: threading.Lock, call: Callable[[], CallToolResult]) -> CallToolResult:
    """Run a tool body; a BrainError becomes a tool error result the model can act on."""
    try:
        with lock:
            return call()
    except BrainError as exc:
        return _refused(exc)


def _refused(exc: BrainError) -> CallToolResult:
    log.info("MCP tool call refused: %s", exc)
    text = f"{exc.code}: {exc.message}" + (f"\n{exc.hint}" if exc.hint else "")
    return CallToolResult(content=[TextContent(text=text)], is_error=True)


#: What each tool takes, for arguments the SDK's schema check refuses.
USAGE = {
    "get_context": 'Send {"task": "what you are about to do", "budget": 4000} (budget a whole '
    'number, 1 to 24000; optional "shards": ["id", ...] and "hints": ["phrasing", ...]).',
    "read_shard": 'Send {"id": "<shard id from list_shards>"} and optionally "budget": 2000 '
    "(a whole number of tokens).",
    "list_shards": "Send no arguments.",
}


def _bad_arguments(
    runtime: Runtime,
    lock: threading.Lock,
    name: str,
    arguments: dict[str, Any],
    fields: Sequence[str],
) -> CallToolResult:
    """Arguments the SDK's schema refused, answered in the tool's own words.

    get_context's go through the request model, whose message names the field and what to
    send (and whose defaults may make them acceptable after all: a null budget is the
    default one); other tools' say which argument is wrong and what the tool takes.
    """
    if name == "get_context":
        ctx = runtime.config.context
        try:
            request = ContextRequest.parse(
                arguments,
                default_budget=min(ctx.default_budget, MAX_TOOL_BUDGET),
                max_budget=ctx.max_budget,
            )
        except BrainError as exc:
            return _refused(exc)
        return _guarded(
            lock,
            lambda: _get_context(
                runtime, request.task, request.budget, request.shards, request.hints
            ),
        )
    named = ", ".join(f"`{f}`" for f in fields) or "the arguments"
    return _refused(
        RequestError(f"{name}: {named} missing or of the wrong type", hint=USAGE.get(name))
    )


class _Server(MCPServer):
    """The SDK's server, with argument errors a person (or a model) can act on.

    The SDK checks arguments against each tool's schema before the tool runs and answers a
    mismatch with pydantic's report ("1 validation error for get_contextArguments ...");
    here such a call goes to ``explain`` instead.
    """

    def __init__(
        self,
        *args: Any,
        explain: Callable[[str, dict[str, Any], list[str]], CallToolResult],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._explain = explain

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc, UnexpectedToolError) or not isinstance(
                exc.__cause__, ValidationError
            ):
                raise
            fields = sorted({str(e["loc"][0]) for e in exc.__cause__.errors() if e["loc"]})
            log.info("MCP tool %r: arguments %s refused by the schema", name, fields)
            return await anyio.to_thread.run_sync(self._explain, name, arguments, fields)


def _clamped(budget: int) -> tuple[int, list[str]]:
    """The budget a call may use, and a note when it was lowered to fit one tool result."""
    if budget <= MAX_TOOL_BUDGET:
        return budget, []
    return MAX_TOOL_BUDGET, [
        f"budget lowered from {budget:,} to {MAX_TOOL_BUDGET:,} tokens: one MCP tool result "
        f"may carry at most {RESULT_TOKEN_CAP:,}. Name shards (or call read_shard) to read "
        "more in further calls."
    ]


def _manifests(
    result: ContextResult, budget: int | None, notes: list[str], extra: dict[str, Any]
) -> list[dict[str, Any]]:
    """The manifest in its forms, richest first: full, compact (shards and notes), minimal.

    Only shards with something included (or asked for) are listed; the digest at the top of
    the context names every other one, so listing them as "none" would spend the caller's
    budget on nothing.
    """
    data = result.to_json()
    said = notes + list(data["notes"])
    listed = [s for s in data["shards"] if s["included"] != "none" or s.get("requested")]
    others = len(data["shards"]) - len(listed)
    head = {"tokens": data["tokens"], "budget": budget, **extra}
    full: dict[str, Any] = {**head, "notes": said, "shards": listed}
    if others:
        full["other_shards"] = f"{others} more, not included (see the digest)"
    full["sections"] = data["sections"]
    for key in ("redactions", "stale"):
        if data[key]:
            full[key] = data[key]
    if data["digest"] not in ("full", "off"):
        full["digest"] = data["digest"]
    compact = {
        **head,
        "notes": said,
        "shards": [{"id": s["id"], "included": s["included"]} for s in listed],
    }
    return [full, compact, head]


def _within_budget(
    runtime: Runtime,
    budget: int,
    fetch: Callable[[int], ContextResult],
    manifests: Callable[[ContextResult], list[dict[str, Any]]],
) -> CallToolResult:
    """The context and a manifest whose tokens together stay within ``budget``.

    The context is asked for with room left for the manifest; the richest manifest form that
    fits beside it is sent. If none fits, the context is asked for again with room for the
    smallest form; if even that cannot fit (a budget of a few tokens), the context goes alone.
    Tokens are counted as the service counts them (safety margin included).
    """
    count = runtime.tokenizer.count
    room = budget - min(MANIFEST_RESERVE, max(budget, 0) // 8)  # a bad budget: the service says
    while True:
        result = fetch(room)
        used = count(result.context)
        forms = manifests(result)
        for form in forms:
            text = _json(form)
            if used + count(text) <= budget:
                return CallToolResult(
                    content=[TextContent(text=result.context), TextContent(text=text)]
                )
        smaller = budget - count(_json(forms[-1]))
        if smaller < 1 or smaller >= room:
            return CallToolResult(content=[TextContent(text=result.context)])
        room = smaller


def _json(data: Any) -> str:
    return orjson.dumps(data).decode()


def _version() -> str:
    try:
        return package_version("context-index")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0"


@contextlib.contextmanager
def _root_logging_kept() -> Iterator[None]:
    """Undo the SDK's ``logging.basicConfig`` (MCPServer's constructor calls it).

    The entry point that runs the server (CLI, ``brain serve``) owns the process's logging;
    a root handler at INFO added behind its back would log every MCP request.
    """
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers


def _transport_security(host: str) -> TransportSecuritySettings:
    """DNS-rebinding protection on loopback; elsewhere the bearer token guards the route."""
    if not is_loopback(host):
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    hosts = ("127.0.0.1", "localhost", "[::1]")
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*hosts, *(f"{h}:*" for h in hosts)],
        allowed_origins=[
            f"{scheme}://{h}{port}"
            for scheme in ("http", "https")
            for h in hosts
            for port in ("", ":*")
        ],
    )


class _SessionEndpoint:
    """The SDK's request handler as an ASGI app (a Route treats a bare method as a view)."""

    def __init__(self, handle: Callable[[Scope, Receive, Send], Any]) -> None:
        self._handle = handle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._handle(scope, receive, send)


class _BearerAuth:
    """``[serve] auth_token`` on /mcp, checked exactly as for /context (functions.http)."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self._app = app
        self._runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                check_auth(Request(scope), self._runtime)
            except BrainError as exc:
                await error_response(exc)(scope, receive, send)
                return
        await self._app(scope, receive, send)
