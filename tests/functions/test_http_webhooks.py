"""POST /webhooks/{source} through the real apps: ``brain serve``'s app (``build_app``) and
the functions-framework app for main.py's ``webhooks`` target, both driven over ASGI."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.types import ASGIApp

from config import load_config
from functions.app import build_app
from functions.runtime import Runtime
from functions.webhooks.schemes import get_scheme

ROOT = Path(__file__).resolve().parents[2]
HOUSE_SECRET = "house-secret-for-tests-0123456789"
GITHUB_SECRET = "github-secret-for-tests-9876543210"
MAX_BODY = 4096
BODY = b'{"event":"test","message":"Hello","sender":"claude-code"}'


def brain_toml(folder: Path, *, state_url: str | None = None) -> Path:
    state = f'[state]\nurl = "{state_url}"\n' if state_url else ""
    path = folder / "brain.toml"
    path.write_text(
        f"""
[store]
kind = "local"
path = "workspace"

[webhooks]
log_page = "webhook-log"
max_body_bytes = {MAX_BODY}

[webhooks.sources.claude-test]
scheme = "hmac-sha256"
secrets = ["env:TEST_HOUSE_SECRET"]

[webhooks.sources.github]
scheme = "github"
secrets = ["env:TEST_GITHUB_SECRET"]
{state}"""
    )
    return path


@dataclass
class Served:
    """An app under test and a way to reach its runtime."""

    app: ASGIApp
    runtime: Callable[[], Runtime]


def serve_app(config: Path) -> Generator[Served, None, None]:
    runtime = Runtime(load_config(config))
    try:
        yield Served(build_app(runtime, drain=False), lambda: runtime)
    finally:
        runtime.close()


def functions_framework_app(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> Generator[Served, None, None]:
    import functions_framework.aio

    monkeypatch.setenv("BRAIN_CONFIG", str(config))
    monkeypatch.setattr(sys, "path", list(sys.path))  # the framework appends main.py's folder
    saved = sys.modules.get("main")
    # functions_framework has no type hints
    app = functions_framework.aio.create_asgi_app(  # type: ignore[no-untyped-call]
        target="webhooks", source=str(ROOT / "main.py")
    )
    main = sys.modules["main"]  # the module the framework loaded, with its own lru_cache
    main.runtime.cache_clear()
    main.runtime().auto_drain = False  # as build_app(drain=False): the tests look at the outbox
    try:
        yield Served(app, main.runtime)
    finally:
        if main.runtime.cache_info().currsize:
            main.runtime().close()
        main.runtime.cache_clear()
        if saved is None:
            sys.modules.pop("main", None)
        else:
            sys.modules["main"] = saved


@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_HOUSE_SECRET", HOUSE_SECRET)
    monkeypatch.setenv("TEST_GITHUB_SECRET", GITHUB_SECRET)


@pytest.fixture(params=["serve", "functions-framework"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def served(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    config = brain_toml(tmp_path)
    if kind == "serve":
        yield from serve_app(config)
    else:
        yield from functions_framework_app(config, monkeypatch)


def call(app: ASGIApp, method: str, url: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(go())


def signed(body: bytes = BODY, *, delivery: str | None = "d-1", **extra: str) -> dict[str, str]:
    headers = get_scheme("hmac-sha256").sign(
        body, HOUSE_SECRET, now=datetime.now(UTC), delivery_id=delivery
    )
    return {"Content-Type": "application/json", **headers, **extra}


def post(served: Served, body: bytes = BODY, **kwargs: Any) -> httpx.Response:
    kwargs.setdefault("headers", signed(body))
    source = kwargs.pop("source", "claude-test")
    return call(served.app, "POST", f"/webhooks/{source}", content=body, **kwargs)


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    return error


# -- accepted ---------------------------------------------------------------------------------


def test_a_signed_webhook_is_accepted_with_202_and_its_resend_is_a_duplicate(
    served: Served,
) -> None:
    first = post(served)
    again = post(served, headers=signed())  # re-signed, same delivery id

    assert first.status_code == 202
    assert first.json() == {"id": first.json()["id"], "status": "accepted"}
    assert isinstance(first.json()["id"], int)
    assert again.status_code == 202
    assert again.json() == {"id": first.json()["id"], "status": "duplicate"}
    stats = served.runtime().outbox.stats(datetime.now(UTC))
    assert stats.pending + stats.sending == 1


def test_a_github_delivery_is_accepted_with_its_event_header(served: Served) -> None:
    body = b'{"zen":"Design for failure."}'
    headers = get_scheme("github").sign(
        body, GITHUB_SECRET, now=datetime.now(UTC), delivery_id="gh-1"
    )
    response = post(served, body, source="github", headers={**headers, "X-GitHub-Event": "ping"})
    assert response.status_code == 202
    rt = served.runtime()
    assert rt.outbox.acquire_lease("webhook-log", "t", 30, datetime.now(UTC))
    [event] = rt.outbox.claim("webhook-log", "t", 10, datetime.now(UTC))
    assert '[github:ping] {"zen":"Design for failure."}' in event.line


# -- refused ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda h: {**h, "X-Signature": "sha256=" + "0" * 64}, "bad_signature"),
        (lambda h: {k: v for k, v in h.items() if k != "X-Signature"}, "missing_header"),
        (lambda h: {**h, "X-Signature": "md5=abc"}, "malformed_header"),
        (lambda h: {**h, "X-Timestamp": "1000000000"}, "bad_signature"),
    ],
    ids=["wrong", "missing", "malformed", "replayed-timestamp"],
)
def test_a_bad_signature_is_401_with_a_reason_code_and_no_secret_material(
    served: Served, tamper: Any, reason: str
) -> None:
    good = signed()
    response = post(served, headers=tamper(good))

    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "invalid_signature"
    assert error["reason"] == reason
    assert HOUSE_SECRET not in response.text
    assert good["X-Signature"].removeprefix("sha256=") not in response.text
    stats = served.runtime().outbox.stats(datetime.now(UTC))
    assert stats.pending == 0


def test_an_expired_signature_is_401_expired(served: Served) -> None:
    old = datetime.now(UTC).timestamp() - 3600
    headers = get_scheme("hmac-sha256").sign(
        BODY, HOUSE_SECRET, now=datetime.fromtimestamp(old, UTC)
    )
    response = post(served, headers=headers)
    assert response.status_code == 401
    assert error_of(response)["reason"] == "expired"


def test_an_unknown_source_is_404_naming_the_configured_sources(served: Served) -> None:
    response = post(served, source="nope")
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "unknown_source"
    assert "claude-test" in error["message"] and "github" in error["message"]


def test_a_body_declared_over_the_cap_is_413(served: Served) -> None:
    body = b"x" * (MAX_BODY + 1)
    response = post(served, body, headers=signed(body))
    assert response.status_code == 413
    assert error_of(response)["code"] == "body_too_large"


def test_a_chunked_body_over_the_cap_is_413_and_not_read_to_the_end(served: Served) -> None:
    sent = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(1000):  # 1 MB in 1 KiB chunks, no Content-Length
            sent.append(1)
            yield b"x" * 1024

    response = call(
        served.app, "POST", "/webhooks/claude-test", content=chunks(), headers=signed(b"")
    )

    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413
    assert error_of(response)["code"] == "body_too_large"
    assert len(sent) < 10  # refused while reading, not after


def test_a_chunked_body_under_the_cap_is_accepted(served: Served) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield BODY[:10]
        yield BODY[10:]

    response = call(served.app, "POST", "/webhooks/claude-test", content=chunks(),
                    headers=signed())  # fmt: skip
    assert "content-length" not in response.request.headers
    assert response.status_code == 202


def test_a_body_of_exactly_the_cap_is_read(served: Served) -> None:
    body = orjson.dumps({"event": "big", "pad": "p" * (MAX_BODY - 24)})
    assert len(body) == MAX_BODY
    assert post(served, body, headers=signed(body)).status_code == 202


def test_get_is_405_with_a_json_error(served: Served) -> None:
    response = call(served.app, "GET", "/webhooks/claude-test")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert response.headers["allow"] == "POST"


# -- cannot persist ---------------------------------------------------------------------------


def test_a_closed_outbox_is_503_with_retry_after(served: Served) -> None:
    served.runtime().outbox.close()
    response = post(served)
    assert response.status_code == 503
    assert error_of(response)["code"] == "outbox_unavailable"
    assert int(response.headers["retry-after"]) > 0


def test_an_outbox_that_cannot_be_opened_is_503_with_retry_after(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_file = tmp_path / "state-is-a-folder"
    not_a_file.mkdir()
    config = brain_toml(tmp_path, state_url=f"sqlite:///{not_a_file}")
    apps = serve_app(config) if kind == "serve" else functions_framework_app(config, monkeypatch)
    served = next(apps)
    try:
        first = post(served)
        second = post(served)  # still refused, still an answer the sender can act on
    finally:
        apps.close()

    for response in (first, second):
        assert response.status_code == 503
        error = error_of(response)
        assert error["code"] == "outbox_unavailable"
        assert int(response.headers["retry-after"]) > 0
