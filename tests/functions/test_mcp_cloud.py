"""The ``mcp`` Cloud Run function: main.py's target under functions-framework, driven by the
MCP SDK's own client over streamable HTTP on loopback, its bearer token in (fake) Secret Manager.

The same token opens the ``context`` function, as an alternative to Cloud Run IAM.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
import uvicorn
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import TextContent

import functions.secrets
from functions.gcp_secrets import SecretManagerFetcher
from tests.functions.test_mcp import MONOLITH, STRIPE_TEXT
from tests.gcp_fake import SecretManagerFake

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "brain-cloud-token-7f3a9c1e5b"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    from datetime import UTC, datetime

    from config import load_config
    from functions.runtime import Runtime
    from router import sync
    from shards import SplitOptions, apply_split, plan_split

    ws = tmp_path / "workspace"
    rt = Runtime(load_config(workspace=ws))
    apply_split(plan_split(MONOLITH, rt.tokenizer, SplitOptions(min_shard_tokens=0)), rt.store)
    sync(rt.store, rt.tokenizer, now=datetime.now(UTC), options=rt.sync_options)
    rt.close()
    return ws


@pytest.fixture
def secret_manager(monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretManagerFake]:
    with SecretManagerFake() as fake:
        fetcher = SecretManagerFetcher(endpoint=fake.url)
        monkeypatch.setattr(functions.secrets, "secret_manager_fetch", fetcher)
        yield fake
        fetcher.close()


def serve_target(target: str, config: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """main.py's ``target`` as functions-framework builds it, under uvicorn on loopback."""
    import functions_framework.aio

    monkeypatch.setenv("BRAIN_CONFIG", str(config))
    monkeypatch.setattr(sys, "path", list(sys.path))  # the framework appends main.py's folder
    saved = sys.modules.get("main")
    # functions_framework has no type hints
    app = functions_framework.aio.create_asgi_app(  # type: ignore[no-untyped-call]
        target=target, source=str(ROOT / "main.py")
    )
    main: Any = sys.modules["main"]
    main.runtime.cache_clear()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        if main.runtime.cache_info().currsize:
            main.runtime().close()
        main.runtime.cache_clear()
        if saved is None:
            sys.modules.pop("main", None)
        else:
            sys.modules["main"] = saved
    assert not thread.is_alive()


def brain_toml(tmp_path: Path, workspace: Path, auth: str | None) -> Path:
    config = tmp_path / "brain.toml"
    serve = f'[serve]\nauth_token = "{auth}"\n' if auth else ""
    config.write_text(f'[store]\nkind = "local"\npath = "{workspace}"\n{serve}')
    return config


@pytest.fixture
def cloud_mcp(
    tmp_path: Path,
    workspace: Path,
    secret_manager: SecretManagerFake,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    name = secret_manager.add("proj-1", "BRAIN_AUTH_TOKEN", TOKEN)
    ref = "sm:" + name.rsplit("/", 1)[0] + "/latest"
    yield from serve_target("mcp", brain_toml(tmp_path, workspace, ref), monkeypatch)


def call_tools(url: str, headers: dict[str, str], seen: list[int] | None = None) -> dict[str, Any]:
    """list_tools then get_context with the SDK's client; ``seen`` collects HTTP statuses."""

    async def record(response: httpx2.Response) -> None:
        if seen is not None:
            seen.append(response.status_code)

    async def session() -> dict[str, Any]:
        http_client = httpx2.AsyncClient(headers=headers, event_hooks={"response": [record]})
        async with (
            http_client,
            Client(
                streamable_http_client(url, http_client=http_client), read_timeout_seconds=30
            ) as client,
        ):
            tools = [t.name for t in (await client.list_tools()).tools]
            result = await client.call_tool(
                "get_context", {"task": "rotate the Stripe webhook secret", "budget": 400}
            )
            return {"tools": tools, "result": result}

    return anyio.run(session)


def test_the_cloud_mcp_function_serves_the_tools_to_the_sdk_client_with_the_token(
    cloud_mcp: str,
) -> None:
    answer = call_tools(f"{cloud_mcp}/mcp", {"Authorization": f"Bearer {TOKEN}"})

    assert sorted(answer["tools"]) == ["get_context", "list_shards", "read_shard"]
    result = answer["result"]
    assert not result.is_error
    markdown = next(b.text for b in result.content if isinstance(b, TextContent))
    assert STRIPE_TEXT in markdown


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"}])
def test_the_cloud_mcp_function_refuses_a_missing_or_wrong_token_with_401(
    cloud_mcp: str, headers: dict[str, str]
) -> None:
    seen: list[int] = []
    with pytest.raises(Exception, match="error"):  # the SDK client gives up on the 401
        call_tools(f"{cloud_mcp}/mcp", headers, seen)
    assert seen and set(seen) == {401}
    answer = httpx.post(
        f"{cloud_mcp}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"accept": "application/json, text/event-stream", **headers},
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"
    assert TOKEN not in answer.text


def test_the_cloud_mcp_function_without_a_configured_token_serves_nobody(
    tmp_path: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRAIN_SERVE__AUTH_TOKEN", raising=False)
    for url in serve_target("mcp", brain_toml(tmp_path, workspace, None), monkeypatch):
        answer = httpx.post(
            f"{url}/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"accept": "application/json, text/event-stream"},
        )
    assert answer.status_code == 500
    assert "[serve] auth_token" in answer.json()["error"]["message"]


def test_the_context_function_takes_the_same_bearer_token(
    tmp_path: Path,
    workspace: Path,
    secret_manager: SecretManagerFake,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = secret_manager.add("proj-1", "BRAIN_AUTH_TOKEN", TOKEN)
    config = brain_toml(tmp_path, workspace, f"sm:{name}")
    body = {"task": "rotate the Stripe webhook secret", "budget": 300}
    for url in serve_target("context", config, monkeypatch):
        refused = httpx.post(f"{url}/context", json=body)
        allowed = httpx.post(
            f"{url}/context", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert refused.status_code == 401
    assert allowed.status_code == 200
    assert STRIPE_TEXT in allowed.json()["context"]
