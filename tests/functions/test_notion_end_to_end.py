"""The whole service on the Notion store: the real notion-client against the Notion API fake.

`brain split` writes the demo index into Notion pages, `brain shards` lists them, get_context
answers from them over HTTP, and a verified webhook lands as a paragraph on the Notion log page.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from config import load_config
from functions.app import build_app
from functions.cli import app as cli
from functions.runtime import Runtime
from functions.webhooks.schemes import get_scheme
from tests.notion_fake import NotionFake

ROOT = Path(__file__).resolve().parents[2]
MONOLITH = ROOT / "examples" / "context-index.md"
TASKS = json.loads((ROOT / "examples" / "tasks.json").read_text(encoding="utf-8"))
SECRET = "e2e-webhook-secret"


@pytest.fixture
def config(
    notion_fake: NotionFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    monkeypatch.setenv("E2E_NOTION_TOKEN", notion_fake.token)
    monkeypatch.setenv("E2E_HOOK_SECRET", SECRET)
    path = tmp_path / "brain.toml"
    path.write_text(
        f"""
[store]
kind = "notion"
root_page_id = "{notion_fake.root_id}"
token = "env:E2E_NOTION_TOKEN"
api_url = "{notion_fake.url}"
requests_per_second = 1000

[state]
url = "sqlite:///{tmp_path / "state.sqlite3"}"

[webhooks]
log_page = "webhook-log"

[webhooks.sources.cron]
scheme = "hmac-sha256"
secrets = ["env:E2E_HOOK_SECRET"]
""",
        encoding="utf-8",
    )
    yield path


def test_split_then_list_the_demo_index_in_notion(notion_fake: NotionFake, config: Path) -> None:
    runner = CliRunner()
    split = runner.invoke(cli, ["split", str(MONOLITH), "--config", str(config), "--json"])
    assert split.exit_code == 0, split.output
    created = json.loads(split.stdout)["created"]
    assert len(created) == 7
    titles = {notion_fake.title(b["id"]) for b in notion_fake.blocks(notion_fake.root_id)}
    assert {"router", *created} <= titles

    listing = runner.invoke(cli, ["shards", "--config", str(config), "--json"])
    assert listing.exit_code == 0, listing.output
    shards = json.loads(listing.stdout)["shards"]
    assert sorted(s["id"] for s in shards) == sorted(created)
    assert all(s["tokens"] > 0 and not s["stale"] for s in shards)

    again = runner.invoke(cli, ["sync", "--config", str(config), "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["changed"] == []


def test_get_context_and_a_webhook_work_against_notion(
    notion_fake: NotionFake, config: Path
) -> None:
    assert CliRunner().invoke(cli, ["split", str(MONOLITH), "--config", str(config)]).exit_code == 0
    runtime = Runtime(load_config(config))
    app = build_app(runtime, drain=False)
    task = TASKS[0]
    body = json.dumps({"event": "backup_done", "message": "nightly ok"}).encode()
    headers = get_scheme("hmac-sha256").sign(body, SECRET, now=datetime.now(UTC))

    async def go() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://brain") as client:
            context = await client.post("/context", json={"task": task["task"], "budget": 4000})
            hook = await client.post("/webhooks/cron", content=body, headers=headers)
            return context, hook

    context, hook = asyncio.run(go())
    assert context.status_code == 200, context.text
    answer = context.json()
    assert answer["tokens"] <= 4000
    assert task["needle"] in answer["context"]
    assert "notion" in answer["context"]  # provenance links point at the Notion pages
    assert hook.status_code == 202, hook.text

    results = runtime.drainer.drain()
    assert sum(r.appended for r in results) == 1
    log_id = next(
        b["id"]
        for b in notion_fake.blocks(notion_fake.root_id)
        if notion_fake.title(b["id"]) == "webhook-log"
    )
    lines = runtime.store.tail(log_id, 5)
    assert lines[-1].endswith('[cron:backup_done] {"event":"backup_done","message":"nightly ok"}')
    runtime.close()
