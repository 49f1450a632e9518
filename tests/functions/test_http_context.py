"""POST/GET /context through the real apps: brain serve's app and the functions-framework one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

from config import load_config
from functions.app import build_app, check_exposure
from functions.errors import ConfigError
from functions.runtime import Runtime
from router import sync
from shards import LocalFolderStore, SplitOptions, TiktokenCounter, apply_split, plan_split

MONOLITH = """# Context Index — Test Co

## Infrastructure

Everything runs on Cloud Run in europe-west2.

### DNS

Cloudflare holds the DNS zone for test.example; TTL is 300 seconds for every A record.

### Databases

Cloud SQL PostgreSQL 15 holds the orders database; backups run nightly at 02:00.

## Finance

Stripe bills clients monthly; invoices go out on the first working day.

### Refunds

Refunds over 500 GBP need the director's approval in writing before they are issued.

## Procedures

### Rotating the webhook secret

Create the new secret version, deploy, then disable the old version after 24 hours.
"""


def make_workspace(path: Path) -> Path:
    store = LocalFolderStore(path)
    tokenizer = TiktokenCounter()
    plan = plan_split(MONOLITH, tokenizer, SplitOptions(min_shard_tokens=5))
    apply_split(plan, store)
    sync(store, tokenizer, now=datetime(2026, 11, 21, tzinfo=UTC))
    return path


def call(app: ASGIApp, method: str, url: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(go())


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws")


@pytest.fixture
def serve_app(workspace: Path) -> ASGIApp:
    return build_app(Runtime(load_config(workspace=workspace)), drain=False)


@pytest.fixture
def ff_app(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ASGIApp]:
    """The functions-framework ASGI app for the `context` target of main.py."""
    import functions_framework.aio

    import main

    config = tmp_path / "brain.toml"
    config.write_text(f'[store]\nkind = "local"\npath = "{workspace}"\n')
    monkeypatch.setenv("BRAIN_CONFIG", str(config))
    main.runtime.cache_clear()
    root = Path(main.__file__).resolve()
    # functions_framework has no type hints
    yield functions_framework.aio.create_asgi_app(  # type: ignore[no-untyped-call]
        target="context", source=str(root)
    )
    main.runtime.cache_clear()


@pytest.fixture(params=["serve", "functions-framework"])
def app(request: pytest.FixtureRequest, serve_app: ASGIApp, ff_app: ASGIApp) -> ASGIApp:
    return serve_app if request.param == "serve" else ff_app


def test_post_context_returns_the_answering_section_within_the_budget(app: ASGIApp) -> None:
    response = call(
        app, "POST", "/context", json={"task": "who approves a big refund", "budget": 300}
    )
    assert response.status_code == 200
    body = response.json()
    assert "director's approval" in body["context"]
    assert 0 < body["tokens"] <= body["budget"] == 300
    finance = next(s for s in body["shards"] if s["id"] == "finance")
    assert finance["included"] in {"full", "partial"}
    assert {"id", "title", "tokens", "included", "score"} <= set(finance)


def test_hints_in_the_body_find_what_the_task_alone_misses(app: ASGIApp) -> None:
    task = "after a cutover, how soon do browsers pick up the new server address"
    plain = call(app, "POST", "/context", json={"task": task, "budget": 160})
    hinted = call(app, "POST", "/context", json={"task": task, "budget": 160, "hints": ["DNS TTL"]})
    assert plain.status_code == hinted.status_code == 200
    assert "TTL is 300 seconds" not in plain.json()["context"]
    assert "TTL is 300 seconds" in hinted.json()["context"]


def test_get_context_takes_query_parameters(app: ASGIApp) -> None:
    response = call(
        app, "GET", "/context", params={"task": "DNS TTL for A records", "budget": "250"}
    )
    assert response.status_code == 200
    assert "TTL is 300 seconds" in response.json()["context"]
    assert response.json()["tokens"] <= 250


@pytest.mark.parametrize(
    ("kwargs", "field_or_text"),
    [
        ({"json": {"budget": 100}}, "task"),
        ({"json": {"task": "dns", "budget": 0}}, "budget"),
        ({"json": {"task": "dns", "budget": -5}}, "budget"),
        ({"json": {"task": "dns", "budget": 10**9}}, "budget"),
        ({"json": {"task": "dns", "budget": "lots"}}, "budget"),
        ({"json": {"task": "dns", "budget": 100, "shards": ["nope"]}}, "nope"),
        ({"json": {"task": "dns", "budget": 100, "shards": "infrastructure"}}, "shards"),
        ({"json": ["task"]}, "JSON object"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, "JSON"),
        ({"content": b"task=dns", "headers": {"content-type": "text/plain"}}, "JSON"),
        ({"json": {"task": "x" * 1_000_000, "budget": 100}}, "characters"),
        ({"json": {"task": "dns", "budget": 100, "hints": [3]}}, "hints"),
        ({"json": {"task": "dns", "budget": 100, "hints": ["dns"] * 9}}, "hints"),
        ({"json": {"task": "dns", "budget": 100, "hints": ["d" * 301]}}, "hint 1"),
    ],
)
def test_bad_requests_get_400_saying_what_to_send(
    app: ASGIApp, kwargs: dict[str, Any], field_or_text: str
) -> None:
    response = call(app, "POST", "/context", **kwargs)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] in {"bad_request", "unknown_shard"}
    assert field_or_text in error["message"] + error.get("hint", "")


def test_an_unknown_shard_error_lists_the_valid_ids(serve_app: ASGIApp) -> None:
    response = call(
        serve_app, "POST", "/context", json={"task": "x", "budget": 50, "shards": ["nope"]}
    )
    assert response.status_code == 400
    assert "finance" in response.json()["error"]["message"] + response.json()["error"].get(
        "hint", ""
    )


def test_a_budget_smaller_than_the_digest_returns_what_fits_and_says_so(serve_app: ASGIApp) -> None:
    response = call(serve_app, "POST", "/context", json={"task": "refunds", "budget": 8})
    assert response.status_code == 200
    body = response.json()
    assert body["tokens"] <= 8
    assert body["notes"], "a truncated result must say so"


def test_bearer_auth_is_required_when_a_token_is_configured(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TEST_BRAIN_TOKEN", "s3cret-token-value")
    config = tmp_path / "auth.toml"
    config.write_text(
        f'[store]\npath = "{workspace}"\n[serve]\nauth_token = "env:TEST_BRAIN_TOKEN"\n'
    )
    app = build_app(Runtime(load_config(config)), drain=False)
    task = {"task": "dns", "budget": 100}
    assert call(app, "POST", "/context", json=task).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    denied = call(app, "POST", "/context", json=task, headers=wrong)
    assert denied.status_code == 401
    assert "s3cret" not in denied.text
    good = {"Authorization": "Bearer s3cret-token-value"}
    assert call(app, "POST", "/context", json=task, headers=good).status_code == 200


def test_serving_without_auth_is_refused_off_loopback(workspace: Path) -> None:
    runtime = Runtime(load_config(workspace=workspace))
    check_exposure(runtime, "127.0.0.1")
    check_exposure(runtime, "localhost")
    with pytest.raises(ConfigError, match="auth_token"):
        check_exposure(runtime, "0.0.0.0")


def test_healthz_answers(serve_app: ASGIApp) -> None:
    assert call(serve_app, "GET", "/healthz").json() == {"status": "ok"}
