"""GET /status and /status.json through brain serve's app: what an operator sees at a glance.

The scenario is built with the real parts: a workspace split and synced, signed webhooks
posted to the app (accepted, a duplicate, a forged one), one event dead-lettered and the rest
drained to the log page, one shard edited after the sync.
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from config import load_config
from functions.app import build_app
from functions.runtime import Runtime
from functions.webhooks.schemes import get_scheme
from router import sync
from shards import StoreUnavailable, TiktokenCounter
from shards.notion import NotionOptions, NotionStore
from tests.env import foreign
from tests.notion_fake import NotionFake
from tests.router.helpers import build_store

SECRET = "status-page-secret-0123456789"
SOURCE = "claude-test"
PAGE = "webhook-log"
TOKEN = "status-token-abc123"


def brain_toml(folder: Path, state_url: str | None = None) -> Path:
    state = f'[state]\nurl = "{state_url}"\n' if state_url else ""
    path = folder / "brain.toml"
    path.write_text(
        f'[store]\nkind = "local"\npath = "workspace"\n'
        f'[webhooks]\nlog_page = "{PAGE}"\n'
        f'[webhooks.sources.{SOURCE}]\nscheme = "hmac-sha256"\nsecrets = ["env:STATUS_SECRET"]\n'
        f'[webhooks.sources.github]\nscheme = "github"\nsecrets = ["env:STATUS_SECRET"]\n{state}'
    )
    return path


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if foreign(name):
            monkeypatch.delenv(name)
    monkeypatch.setenv("STATUS_SECRET", SECRET)


@dataclass
class Scenario:
    runtime: Runtime
    workspace: Path

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return request(self.runtime, "GET", path, headers=headers)


def request(rt: Runtime, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=build_app(rt, drain=False))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


def send(rt: Runtime, body: bytes, *, delivery: str, secret: str = SECRET) -> httpx.Response:
    headers = get_scheme("hmac-sha256").sign(
        body, secret, now=datetime.now(UTC), delivery_id=delivery
    )
    return request(rt, "POST", f"/webhooks/{SOURCE}", content=body, headers=headers)


def build_scenario(folder: Path) -> Scenario:
    """Three events accepted (one dead-lettered, two drained), a duplicate, a forgery, a sync
    recorded, then one shard edited so it is stale."""
    workspace = folder / "workspace"
    build_store(workspace, TiktokenCounter())
    rt = Runtime(load_config(brain_toml(folder)))
    rt.auto_drain = False
    rt.record_sync(sync(rt.store, rt.tokenizer, now=datetime.now(UTC), options=rt.sync_options))
    for n in range(3):
        assert send(rt, b'{"event":"test","n":%d}' % n, delivery=f"d{n}").status_code == 202
    assert send(rt, b'{"event":"test","n":0}', delivery="d0").json()["status"] == "duplicate"
    assert send(rt, b'{"event":"forged"}', delivery="x", secret="wrong").status_code == 401
    now = datetime.now(UTC)
    assert rt.outbox.acquire_lease(PAGE, "test-worker", 30, now)
    (first,) = rt.outbox.claim(PAGE, "test-worker", 1, now)
    assert rt.outbox.dead_letter(first.id, "test-worker", "validation_error: the block is invalid")
    rt.outbox.release_lease(PAGE, "test-worker")
    drained = rt.drainer.drain([PAGE])
    assert sum(r.appended for r in drained) == 2
    finance = workspace / "finance.md"
    finance.write_text(finance.read_text() + "\nA late edit nobody synced.\n")
    return Scenario(rt, workspace)


@pytest.fixture
def scenario(tmp_path: Path) -> Iterator[Scenario]:
    built = build_scenario(tmp_path)
    yield built
    built.runtime.close()


def test_status_json_reports_every_part(scenario: Scenario) -> None:
    answer = scenario.get("/status.json")
    assert answer.status_code == 200
    data = answer.json()

    sources = {s["source"]: s for s in data["webhooks"]["sources"]}
    assert sources[SOURCE] == {"source": SOURCE, "accepted": 3, "duplicate": 1, "refused": 1}
    assert sources["github"] == {"source": "github", "accepted": 0, "duplicate": 0, "refused": 0}
    assert data["outbox"]["dead"] == 1 and data["outbox"]["pending"] == 0
    (dead,) = data["dead_letters"]
    assert dead["source"] == SOURCE and "validation_error" in dead["error"]
    assert data["drain"]["appended_last_hour"] == 2 and data["drain"]["appended_24h"] == 2
    assert data["drain"]["notion_429_24h"] == 0
    finance = next(s for s in data["shards"] if s["id"] == "finance")
    assert finance["stale"] and "brain sync" in finance["problems"][0]
    assert not next(s for s in data["shards"] if s["id"] != "finance")["stale"]
    (last,) = data["syncs"]
    assert last["summary"].startswith("Index sync:") and last["ok"]
    assert data["lines"][2] == (
        "Webhook logger: 3 events logged, 1 dead letter, 1 refused. "
        "1 dead letter: fix the cause, then brain webhooks retry-dead."
    )
    assert data["headline"] == "2 anomalies."  # the stale shard and the dead letter


def test_accept_json_on_status_gives_the_same_data_and_html_otherwise(scenario: Scenario) -> None:
    as_json = scenario.get("/status", headers={"Accept": "application/json"})
    as_html = scenario.get("/status", headers={"Accept": "text/html,*/*;q=0.8"})

    assert as_json.headers["content-type"] == "application/json"
    assert as_json.json()["webhooks"] == scenario.get("/status.json").json()["webhooks"]
    assert as_html.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in as_html.headers["content-security-policy"]
    assert as_html.headers["cache-control"] == "no-store"


def test_a_quiet_service_says_no_anomalies(tmp_path: Path) -> None:
    build_store(tmp_path / "workspace", TiktokenCounter())
    rt = Runtime(load_config(brain_toml(tmp_path)))
    try:
        data = request(rt, "GET", "/status.json").json()
    finally:
        rt.close()
    assert data["headline"] == "No anomalies."
    assert data["lines"][2] == "Webhook logger: 0 events logged, 0 dead letters. No anomalies."
    assert data["lines"][1].startswith("Sync: none recorded yet")


def test_the_page_still_shows_the_shards_when_the_state_database_is_down(tmp_path: Path) -> None:
    build_store(tmp_path / "workspace", TiktokenCounter())
    rt = Runtime(load_config(brain_toml(tmp_path, f"sqlite:///{tmp_path}/gone/state.db")))
    try:
        answer = request(rt, "GET", "/status.json")
        html = request(rt, "GET", "/status").text
    finally:
        rt.close()
    assert answer.status_code == 200
    data = answer.json()
    assert len(data["shards"]) >= 3
    assert {"syncs", "webhooks", "outbox"} <= set(data["errors"])
    assert "the state database does not answer" in data["lines"][2]
    assert "the state database does not answer" in html


def test_notion_429s_are_counted_for_the_page(
    tmp_path: Path, notion_fake: NotionFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATUS_NOTION_TOKEN", notion_fake.token)
    (tmp_path / "brain.toml").write_text(
        f'[store]\nkind = "notion"\nroot_page_id = "{notion_fake.root_id}"\n'
        f'token = "env:STATUS_NOTION_TOKEN"\napi_url = "{notion_fake.url}"\n'
        "requests_per_second = 0\n"
        f'[state]\nurl = "sqlite:///{tmp_path}/state.db"\n'
    )
    rt = Runtime(load_config(tmp_path / "brain.toml"))
    try:
        notion_fake.fail_next(2, 429, retry_after=0)
        rt.store.list_pages()  # retried through both
        data = request(rt, "GET", "/status.json").json()
    finally:
        rt.close()
    assert data["drain"]["notion_429_24h"] == 2


def test_a_notion_store_reports_each_429_even_when_it_gives_up(notion_fake: NotionFake) -> None:
    seen: list[int] = []
    store = NotionStore(
        NotionOptions(
            token=notion_fake.token,
            root_page_id=notion_fake.root_id,
            base_url=notion_fake.url,
            requests_per_second=None,
            max_retries=0,
            on_rate_limited=lambda: seen.append(1),
        )
    )
    notion_fake.fail_next(1, 429, retry_after=0)
    with pytest.raises(StoreUnavailable):
        store.list_pages()
    store.close()
    assert seen == [1]


# -- auth -----------------------------------------------------------------------------------


@pytest.fixture
def guarded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    build_store(tmp_path / "workspace", TiktokenCounter())
    monkeypatch.setenv("BRAIN_SERVE__AUTH_TOKEN", "env:STATUS_TOKEN")
    monkeypatch.setenv("STATUS_TOKEN", TOKEN)
    rt = Runtime(load_config(brain_toml(tmp_path)))
    yield rt
    rt.close()


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize("path", ["/status", "/status.json"])
def test_status_is_behind_the_same_token(guarded: Runtime, path: str) -> None:
    refused = request(guarded, "GET", path)
    wrong = request(guarded, "GET", path, headers={"Authorization": "Bearer nope"})
    bearer = request(guarded, "GET", path, headers={"Authorization": f"Bearer {TOKEN}"})

    assert refused.status_code == wrong.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic ")  # a browser asks
    assert TOKEN not in refused.text
    assert bearer.status_code == 200


def test_a_browser_may_send_the_token_as_the_basic_auth_password(guarded: Runtime) -> None:
    assert request(guarded, "GET", "/status", headers=basic("operator", TOKEN)).status_code == 200
    assert request(guarded, "GET", "/status", headers=basic(TOKEN, "x")).status_code == 401
    malformed = {"Authorization": "Basic !!!not-base64"}
    assert request(guarded, "GET", "/status", headers=malformed).status_code == 401
    # /context stays bearer-only
    assert request(guarded, "GET", "/context?task=x", headers=basic("op", TOKEN)).status_code == 401


def test_the_html_escapes_what_it_shows(tmp_path: Path) -> None:
    build_store(tmp_path / "workspace", TiktokenCounter())
    (tmp_path / "workspace" / "broken.md").write_text(
        '```json\n{"claude_delta": {"v": "1.0", "id": "<script>alert(1)</script>"}}\n```\n'
    )
    rt = Runtime(load_config(brain_toml(tmp_path)))
    try:
        html = request(rt, "GET", "/status").text
    finally:
        rt.close()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html  # shown, as text
