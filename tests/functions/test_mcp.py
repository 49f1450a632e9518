"""The MCP server, driven by the SDK's own client: over stdio and over streamable HTTP.

The stdio server runs as a real subprocess (``python -m functions.cli mcp``, i.e.
``brain mcp``); the HTTP server is ``brain serve``'s app (:func:`functions.app.build_app`)
under uvicorn on loopback.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import CallToolResult, TextContent

from config import load_config
from functions.mcp_server import MAX_TOOL_BUDGET, build_server
from functions.runtime import Runtime
from router import sync
from shards import SplitOptions, TiktokenCounter, apply_split, plan_split
from tests.env import clean_environ

MONOLITH = """# Context Index

Operator notes: how the business runs.

## Infrastructure

### Cloud Run
The brain service runs on Cloud Run in us-central1 behind a load balancer.
Deploy with `gcloud run deploy brain --region us-central1`.

### DNS
DNS for example.com is hosted on Cloudflare; the apex points at the load balancer.

## Billing

### Stripe
Stripe webhooks are signed; the signing secret is the Secret Manager secret
STRIPE_WEBHOOK_SECRET. Rotate it in the Stripe dashboard, then add a new secret version.

### Invoices
Invoices go out on the first of the month from billing@example.com.

## People

### Contractors
Alice maintains the WordPress theme; Bob handles the newsletter.

### Escalation
Page the on-call engineer through the #ops channel for outages.
"""
SHARD_IDS = ["billing", "infrastructure", "people"]
STRIPE_TEXT = "Rotate it in the Stripe dashboard"

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    return anyio.run(main)


def texts(result: CallToolResult) -> list[str]:
    return [block.text for block in result.content if isinstance(block, TextContent)]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three shards and a router page, made the way ``brain split`` makes them."""
    ws = tmp_path_factory.mktemp("mcp") / "workspace"
    runtime = Runtime(load_config(workspace=ws))
    plan = plan_split(MONOLITH, runtime.tokenizer, SplitOptions(min_shard_tokens=0))
    apply_split(plan, runtime.store)
    sync(runtime.store, runtime.tokenizer, now=datetime.now(UTC), options=runtime.sync_options)
    runtime.close()
    return ws


@pytest.fixture
def runtime(workspace: Path) -> Iterator[Runtime]:
    rt = Runtime(load_config(workspace=workspace))
    yield rt
    rt.close()


# -- stdio ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stdio_results(workspace: Path) -> dict[str, Any]:
    """One stdio session (the subprocess start dominates the time), every call recorded."""
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "functions.cli", "mcp", "--workspace", str(workspace)],
        cwd=workspace.parent,  # no stray ./brain.toml
        env=clean_environ(),  # the suite's (the SDK's default passes only HOME, PATH and such)
    )

    async def session() -> dict[str, Any]:
        async with Client(server, read_timeout_seconds=30) as client:
            return {
                "tools": (await client.list_tools()).tools,
                "context": await client.call_tool(
                    "get_context", {"task": "rotate the Stripe webhook secret", "budget": 400}
                ),
                "shards": await client.call_tool("list_shards", {}),
                "unknown": await client.call_tool("read_shard", {"id": "nope"}),
            }

    return run(session)


def test_stdio_server_lists_the_three_tools_with_input_schemas(
    stdio_results: dict[str, Any],
) -> None:
    tools = {tool.name: tool for tool in stdio_results["tools"]}
    assert set(tools) == {"get_context", "list_shards", "read_shard"}
    context = tools["get_context"].input_schema
    assert context["required"] == ["task"]
    assert set(context["properties"]) == {"task", "budget", "shards", "hints"}
    hints = context["properties"]["hints"]["description"]
    assert "vocabulary" in hints and "phrasings" in hints
    assert set(tools["read_shard"].input_schema["properties"]) == {"id", "budget"}
    assert tools["list_shards"].input_schema["properties"] == {}
    assert "Call this first" in (tools["get_context"].description or "")


def test_stdio_get_context_returns_the_section_markdown_then_a_manifest_within_budget(
    stdio_results: dict[str, Any],
) -> None:
    result = stdio_results["context"]
    assert not result.is_error
    markdown, manifest_text = texts(result)
    assert STRIPE_TEXT in markdown
    assert markdown.startswith("# Context index")
    manifest = json.loads(manifest_text)
    assert manifest["budget"] == 400
    assert 0 < manifest["tokens"] <= 400
    included = {s["id"]: s["included"] for s in manifest["shards"]}
    assert included["billing"] in ("full", "partial")
    assert "none" not in included.values()  # the digest names the others
    tokenizer = TiktokenCounter()
    assert tokenizer.count(markdown) + tokenizer.count(manifest_text) <= 400


def test_stdio_list_shards_lists_every_shard_with_its_routing_fields(
    stdio_results: dict[str, Any],
) -> None:
    result = stdio_results["shards"]
    assert not result.is_error
    shards = json.loads(texts(result)[0])["shards"]
    assert [s["id"] for s in shards] == SHARD_IDS
    for shard in shards:
        assert {"id", "title", "summary", "fetch_when", "tokens", "status"} <= set(shard)
    assert result.structured_content == {"shards": shards}


def test_stdio_read_shard_of_an_unknown_id_is_an_error_result_naming_the_valid_ids(
    stdio_results: dict[str, Any],
) -> None:
    result = stdio_results["unknown"]
    assert result.is_error
    message = " ".join(texts(result))
    assert "'nope'" in message
    for shard_id in SHARD_IDS:
        assert shard_id in message


# -- in process: budgets and errors -----------------------------------------------------------


def call(runtime: Runtime, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    async def go() -> CallToolResult:
        async with Client(build_server(runtime)) as client:
            return await client.call_tool(tool, arguments)

    return run(go)


def test_a_budget_over_the_tool_result_cap_is_lowered_and_the_manifest_says_so(
    runtime: Runtime,
) -> None:
    result = call(runtime, "get_context", {"task": "deploy to Cloud Run", "budget": 100_000})
    manifest = json.loads(texts(result)[1])
    assert manifest["budget"] == MAX_TOOL_BUDGET
    assert manifest["requested_budget"] == 100_000
    assert "lowered from 100,000 to 24,000" in manifest["notes"][0]


def test_a_bad_budget_is_an_error_result_that_says_what_to_send(runtime: Runtime) -> None:
    result = call(runtime, "get_context", {"task": "deploy", "budget": 0})
    assert result.is_error
    assert "budget must be at least 1 token" in texts(result)[0]


class _Broken:
    def get_context(self, *args: object) -> None:
        raise RuntimeError("disk on fire")

    def list_shards(self) -> list[object]:
        return []


def test_an_unexpected_failure_is_an_error_result_and_the_server_keeps_answering(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    runtime.__dict__["context_service"] = _Broken()  # replaces the cached_property

    async def go() -> tuple[CallToolResult, CallToolResult]:
        async with Client(build_server(runtime)) as client:
            failed = await client.call_tool("get_context", {"task": "deploy"})
            return failed, await client.call_tool("list_shards", {})

    failed, after = run(go)
    assert failed.is_error
    assert "disk on fire" not in texts(failed)[0]  # internals stay in the server's log
    assert "disk on fire" in caplog.text
    assert not after.is_error
    assert after.structured_content == {"shards": []}


def test_read_shard_returns_the_shard_cut_to_the_budget(runtime: Runtime) -> None:
    whole = call(runtime, "read_shard", {"id": "billing"})
    assert STRIPE_TEXT in texts(whole)[0]
    assert "Invoices go out" in texts(whole)[0]
    cut = call(runtime, "read_shard", {"id": "billing", "budget": 60})
    assert sum(runtime.tokenizer.count(t) for t in texts(cut)) <= 60
    assert "Invoices go out" not in texts(cut)[0]


def test_read_shard_lists_only_the_shard_it_read(runtime: Runtime) -> None:
    manifest = json.loads(texts(call(runtime, "read_shard", {"id": "billing"}))[1])
    assert [s["id"] for s in manifest["shards"]] == ["billing"]
    assert manifest["shards"][0]["included"] == "full"
    assert manifest["budget"] is None


def test_hints_reach_the_service_below_the_task(runtime: Runtime) -> None:
    # The task alone shares no word with the escalation notes; the hint does.
    task = "who should I wake when the site falls over at night"
    plain = call(runtime, "get_context", {"task": task, "budget": 300})
    hinted = call(runtime, "get_context", {"task": task, "budget": 300, "hints": ["on-call"]})
    assert "on-call engineer" not in texts(plain)[0]
    assert "on-call engineer" in texts(hinted)[0]


def test_too_many_hints_is_an_error_result_that_says_the_limit(runtime: Runtime) -> None:
    result = call(runtime, "get_context", {"task": "deploy", "hints": ["x"] * 9})
    assert result.is_error
    assert "at most 8" in texts(result)[0]


# The whole tool result (context and manifest, as the client receives them through the real
# MCP SDK client over an in-memory session) stays within the budget asked.
words = st.sampled_from(
    ["Stripe", "deploy", "Cloud Run", "DNS", "invoices", "on-call", "WordPress", "secret"]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    task=st.lists(words, max_size=6).map(" ".join) | st.text(max_size=40),
    budget=st.integers(1, 1_500),
    shards=st.lists(st.sampled_from(SHARD_IDS), max_size=2, unique=True),
    hints=st.lists(words, max_size=3),
    tool=st.sampled_from(["get_context", "read_shard"]),
)
def test_the_whole_tool_result_stays_within_the_budget(
    runtime: Runtime,
    task: str,
    budget: int,
    shards: list[str],
    hints: list[str],
    tool: str,
) -> None:
    if tool == "read_shard":
        arguments: dict[str, Any] = {"id": (shards or ["billing"])[0], "budget": budget}
    else:
        if not task.strip() and not shards:
            task = "deploy"
        arguments = {"task": task, "budget": budget, "shards": shards, "hints": hints}
    result = call(runtime, tool, arguments)
    assert not result.is_error, texts(result)
    assert sum(runtime.tokenizer.count(t) for t in texts(result)) <= budget


# -- streamable HTTP ------------------------------------------------------------------------


@pytest.fixture
def serve_url(runtime: Runtime) -> Iterator[str]:
    """``brain serve``'s app on a free loopback port, in a thread, shut down cleanly."""
    from functions.app import build_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(build_app(runtime, drain=False), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    # The socket listens before the thread starts: early connections wait in its backlog.
    sock.listen(16)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
    assert not thread.is_alive()


def test_streamable_http_under_brain_serve_answers_get_context(serve_url: str) -> None:
    async def go() -> tuple[list[str], CallToolResult]:
        async with Client(serve_url, read_timeout_seconds=10) as client:
            tools = [t.name for t in (await client.list_tools()).tools]
            result = await client.call_tool(
                "get_context", {"task": "rotate the Stripe webhook secret", "budget": 400}
            )
            return tools, result

    tools, result = run(go)
    assert sorted(tools) == ["get_context", "list_shards", "read_shard"]
    assert not result.is_error
    markdown, manifest = texts(result)
    assert STRIPE_TEXT in markdown
    assert json.loads(manifest)["tokens"] <= 400


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
ACCEPT = {"accept": "application/json, text/event-stream"}


def test_the_mcp_route_requires_the_bearer_token_when_one_is_configured(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.testclient import TestClient

    from functions.mcp_server import streamable_http_app

    monkeypatch.setenv("BRAIN_SERVE__AUTH_TOKEN", "env:MCP_TEST_TOKEN")
    monkeypatch.setenv("MCP_TEST_TOKEN", "s3cret")
    rt = Runtime(load_config(workspace=workspace))
    app = streamable_http_app(rt)
    with TestClient(app, base_url="http://127.0.0.1:8080") as client:
        refused = client.post("/mcp", json=INITIALIZE, headers=ACCEPT)
        wrong = client.post("/mcp", json=INITIALIZE, headers=ACCEPT | {"authorization": "Bearer x"})
        allowed = client.post(
            "/mcp", json=INITIALIZE, headers=ACCEPT | {"authorization": "Bearer s3cret"}
        )
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"
    assert wrong.status_code == 401
    assert allowed.status_code == 200
    assert allowed.json()["result"]["serverInfo"]["name"] == "brain"


def test_the_mcp_route_on_loopback_refuses_a_foreign_host_or_origin(runtime: Runtime) -> None:
    from starlette.testclient import TestClient

    from functions.mcp_server import streamable_http_app

    with TestClient(streamable_http_app(runtime), base_url="http://127.0.0.1:8080") as client:
        local = client.post("/mcp", json=INITIALIZE, headers=ACCEPT)
        rebound = client.post("/mcp", json=INITIALIZE, headers=ACCEPT | {"host": "evil.example"})
        origin = client.post(
            "/mcp", json=INITIALIZE, headers=ACCEPT | {"origin": "http://evil.example"}
        )
    assert local.status_code == 200
    assert rebound.status_code == 421
    assert origin.status_code == 403


# -- bad arguments: every one an error that says what to send -------------------------------


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"task": "deploy", "budget": 10**20}, "over the limit of 200,000 tokens"),
        ({"task": "deploy", "budget": -5}, "at least 1 token, got -5"),
        ({"task": "deploy", "budget": "lots"}, "whole number of tokens, got 'lots'"),
        ({"task": "deploy", "budget": 12.5}, "whole number of tokens, got 12.5"),
        ({"task": "deploy", "shards": ["nope"]}, "no shard 'nope' in the index"),
        ({"task": "deploy", "shards": "billing"}, "shards must be a list of shard ids"),
        ({"task": ""}, "send a task, a list of shard ids, or both"),
        ({"budget": 100}, "send a task, a list of shard ids, or both"),
        ({"task": 5}, "task must be a string"),
        ({"task": "deploy", "hints": ["x"] * 9}, "9 hints; at most 8"),
        ({"task": "deploy", "hints": ["y" * 301]}, "over the 300-character limit"),
        ({"task": "x" * 10_001}, "over the 10,000-character limit"),
    ],
)
def test_every_bad_get_context_argument_is_an_error_a_person_can_act_on(
    runtime: Runtime, arguments: dict[str, Any], says: str
) -> None:
    result = call(runtime, "get_context", arguments)
    assert result.is_error
    text = texts(result)[0]
    assert says in text
    assert "Error executing tool" not in text and "validation error" not in text
    assert "\n" in text  # the second line says what to send instead
    assert text.split("\n", 1)[1].strip()


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"id": "nope"}, "no shard 'nope'"),
        ({"id": "billing", "budget": 0}, "at least 1 token"),
        ({"id": "billing", "budget": 10**20}, "over the limit"),
        ({}, "`id` missing or of the wrong type"),
        ({"id": "billing", "budget": "half"}, "`budget` missing or of the wrong type"),
    ],
)
def test_every_bad_read_shard_argument_is_an_error_a_person_can_act_on(
    runtime: Runtime, arguments: dict[str, Any], says: str
) -> None:
    result = call(runtime, "read_shard", arguments)
    assert result.is_error
    text = texts(result)[0]
    assert says in text and "Error executing tool" not in text
    assert "Send" in text


def test_a_null_budget_is_the_default_one(runtime: Runtime) -> None:
    result = call(runtime, "get_context", {"task": "rotate the Stripe secret", "budget": None})
    assert not result.is_error
    assert json.loads(texts(result)[1])["budget"] == 4000
    assert STRIPE_TEXT in texts(result)[0]


def test_hints_are_accepted_and_the_answer_stays_within_budget(runtime: Runtime) -> None:
    result = call(
        runtime,
        "get_context",
        {"task": "rotate the signing key", "budget": 300, "hints": ["Stripe webhook secret"]},
    )
    assert not result.is_error
    assert json.loads(texts(result)[1])["tokens"] <= 300
