"""POST /notion/events reaches the context service through page marks in the state database.

In the cloud the two are separate Cloud Run services; here two :class:`Runtime` objects share
one workspace and one SQLite state file. One receives a signed Notion event through the real
app; the other, whose version check is set never to come round, serves the edited page anyway.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from config import load_config
from functions.app import build_app
from functions.marks import MARK_OVERLAP, MARK_RETRY, MarkFeed
from functions.runtime import Runtime
from functions.webhooks.errors import OutboxError
from functions.webhooks.outbox import SqlOutbox, open_outbox
from functions.webhooks.schemes import get_scheme
from shards import TiktokenCounter
from tests.router.helpers import build_store

SECRET = "notion-verification-token-for-tests-0123"
TASK = "who is the VAT accountant"
T0 = datetime(2026, 5, 21, 2, 54, 44, tzinfo=UTC)


def brain_toml(folder: Path, workspace: Path, state_url: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "brain.toml"
    path.write_text(
        f"""
[store]
kind = "local"
path = "{workspace}"

[state]
url = "{state_url}"

[context]
check_interval_s = 1e9

[webhooks.sources.notion]
scheme = "notion"
secrets = ["env:TEST_NOTION_EVENTS_SECRET"]
"""
    )
    return path


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_NOTION_EVENTS_SECRET", SECRET)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    build_store(folder, TiktokenCounter())
    return folder


@pytest.fixture
def state_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state.sqlite3'}"


def runtime(config: Path) -> Iterator[Runtime]:
    rt = Runtime(load_config(config))
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def events_service(tmp_path: Path, workspace: Path, state_url: str) -> Iterator[Runtime]:
    """The notion_events service: it only receives events."""
    yield from runtime(brain_toml(tmp_path / "events", workspace, state_url))


@pytest.fixture
def context_service(tmp_path: Path, workspace: Path, state_url: str) -> Iterator[Runtime]:
    """The context service, its change feed asked on every call (no test waits a second)."""
    for rt in runtime(brain_toml(tmp_path / "context", workspace, state_url)):
        cache = rt.context_service.cache
        cache.options = dataclasses.replace(cache.options, feed_interval_s=0.0)
        yield rt


def notion_event(rt: Runtime, page_id: str, kind: str = "page.content_updated") -> httpx.Response:
    body = orjson.dumps(
        {
            "id": f"evt-{page_id}-{kind}",
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "type": kind,
            "entity": {"id": page_id, "type": "page"},
        }
    )
    headers = get_scheme("notion").sign(body, SECRET, now=datetime.now(UTC))

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=build_app(rt, drain=False))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(
                "/notion/events",
                content=body,
                headers={"Content-Type": "application/json", **headers},
            )

    return asyncio.run(go())


def rewrite(workspace: Path, page_id: str, old: str, new: str) -> None:
    path = workspace / f"{page_id}.md"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


# -- across services --------------------------------------------------------------------------


def test_a_notion_event_received_by_one_service_freshens_the_other(
    events_service: Runtime, context_service: Runtime, workspace: Path
) -> None:
    assert "Ledger & Co" in context_service.context_service.get_context(TASK, 4000).context
    rewrite(workspace, "finance", "Ledger & Co", "Abacus LLP")
    unseen = context_service.context_service.get_context(TASK, 4000).context
    assert "Ledger & Co" in unseen  # the version check never comes round: no notice, no change

    answer = notion_event(events_service, "finance")

    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "event": "page.content_updated", "stale": ["finance"]}
    served = context_service.context_service.get_context(TASK, 4000).context
    assert "Abacus LLP" in served and "Ledger & Co" not in served


def test_an_event_about_something_other_than_a_page_marks_nothing(
    events_service: Runtime, state_url: str
) -> None:
    body = notion_event(events_service, "finance", kind="database.schema_updated").json()

    assert body["stale"] == []
    with open_outbox(state_url) as outbox:
        assert outbox.marked_since(T0) == []


def test_an_event_that_cannot_be_recorded_answers_503_so_notion_sends_it_again(
    tmp_path: Path, workspace: Path
) -> None:
    config = brain_toml(tmp_path / "events", workspace, f"sqlite:///{tmp_path}/missing/s.db")
    for rt in runtime(config):
        answer = notion_event(rt, "finance")

    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "outbox_unavailable"


def test_each_notion_request_is_verified_once_handshake_included(
    events_service: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheme = get_scheme("notion")
    calls: list[bytes] = []
    verify = scheme.verify

    def counted(body: bytes, *args: Any, **kwargs: Any) -> Any:
        calls.append(body)
        return verify(body, *args, **kwargs)

    monkeypatch.setattr(scheme, "verify", counted)
    notion_event(events_service, "finance")
    assert len(calls) == 1

    handshake = orjson.dumps({"verification_token": "secret_handshake_for_ops_test"})

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=build_app(events_service, drain=False))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(
                "/notion/events", content=handshake, headers={"Content-Type": "application/json"}
            )

    answer = asyncio.run(go())
    assert answer.status_code == 200 and answer.json() == {"status": "verification"}
    assert len(calls) == 2  # one more request, one more verification
    kept = events_service.state_dir / "notion-verification-notion.txt"
    assert kept.read_text().strip() == "secret_handshake_for_ops_test"


def test_the_handshake_gets_through_before_its_secret_exists(
    events_service: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The secret is the token the handshake carries: it cannot exist before it."""
    monkeypatch.delenv("TEST_NOTION_EVENTS_SECRET")
    handshake = orjson.dumps({"verification_token": "secret_first_handshake"})

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=build_app(events_service, drain=False))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(
                "/notion/events", content=handshake, headers={"Content-Type": "application/json"}
            )

    answer = asyncio.run(go())
    assert answer.status_code == 200 and answer.json() == {"status": "verification"}
    kept = events_service.state_dir / "notion-verification-notion.txt"
    assert kept.read_text().strip() == "secret_first_handshake"
    # a signed event still needs the secret: 503 until it is set
    assert notion_event(events_service, "finance").status_code == 503


# -- the change feed --------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def outbox(state_url: str) -> Iterator[SqlOutbox]:
    with open_outbox(state_url) as opened:
        yield opened


def test_the_feed_returns_each_mark_once(outbox: SqlOutbox) -> None:
    clock = Clock()
    feed = MarkFeed(lambda: outbox, now=clock)
    outbox.mark_pages(["finance"], T0 + timedelta(seconds=1))

    clock.now += timedelta(seconds=2)
    assert feed() == ["finance"]
    clock.now += timedelta(seconds=1)
    assert feed() == []  # still inside the overlap, already returned
    outbox.mark_pages(["finance"], clock.now)
    clock.now += timedelta(seconds=1)
    assert feed() == ["finance"]


def test_a_mark_that_commits_after_the_read_it_predates_is_still_returned(
    outbox: SqlOutbox,
) -> None:
    clock = Clock()
    feed = MarkFeed(lambda: outbox, now=clock)
    clock.now += timedelta(seconds=5)
    assert feed() == []

    outbox.mark_pages(["credentials"], clock.now - MARK_OVERLAP / 2)  # stamped before that read
    clock.now += timedelta(seconds=1)
    assert feed() == ["credentials"]


def test_a_failing_state_database_is_logged_and_rested_never_raised(
    outbox: SqlOutbox, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    calls: list[int] = []
    broken = True

    def get() -> Any:
        calls.append(1)
        if broken:
            raise OutboxError("the state database is down")
        return outbox

    feed = MarkFeed(get, now=clock)
    outbox.mark_pages(["finance"], T0 + timedelta(seconds=1))
    with caplog.at_level(logging.WARNING, logger="functions.marks"):
        assert feed() == []
    assert "cannot read page marks" in caplog.text and "down" in caplog.text

    clock.now += MARK_RETRY / 2
    assert feed() == []
    assert len(calls) == 1  # resting: the database is not asked again yet

    broken = False
    clock.now += MARK_RETRY
    assert feed() == ["finance"]  # made while it was down, returned once it answers


# -- the version check interval ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("", 2.0),
        ("[context]\ncheck_interval_s = 7\n", 7.0),
    ],
)
def test_the_version_check_interval_is_the_configured_one_or_the_local_default(
    tmp_path: Path, extra: str, expected: float
) -> None:
    (tmp_path / "brain.toml").write_text(extra)
    rt = Runtime(load_config(tmp_path / "brain.toml"))

    assert rt.check_interval_s == expected
    assert rt.context_service.cache.options.check_interval_s == expected


def test_a_notion_store_checks_versions_every_five_minutes_by_default(tmp_path: Path) -> None:
    (tmp_path / "brain.toml").write_text('[store]\nkind = "notion"\n')

    assert Runtime(load_config(tmp_path / "brain.toml")).check_interval_s == 300.0
