"""``brain webhooks send|status|retry-dead`` against a live ``brain serve``-equivalent server:
``build_app(runtime)`` under uvicorn on a loopback port, its drainer running.

Nothing sleeps: the server's outbox is wrapped so the test can wait on a condition that the
drainer signals when it records an event sent or dead.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import uvicorn
from typer.testing import CliRunner

from config import load_config
from functions.app import build_app
from functions.cli import app as cli
from functions.runtime import Runtime
from functions.secrets import SecretResolver
from functions.webhooks.outbox import Outbox
from shards import LocalFolderStore
from tests.functions.webhooks.flaky_store import FlakyStore

SECRET = "cli-test-secret-0123456789abcdef"
WAIT_S = 20.0  # an upper bound, never a pause: waits end when the drainer signals


class WatchedOutbox:
    """The server's outbox, signalling every mark_sent and dead_letter to waiting tests."""

    def __init__(self, inner: Outbox) -> None:
        self.inner = inner
        self.changed = threading.Condition()
        self.sent: list[int] = []
        self.dead: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def mark_sent(self, ids: Sequence[int], worker: str) -> int:
        count = self.inner.mark_sent(ids, worker)
        with self.changed:
            self.sent.extend(ids)
            self.changed.notify_all()
        return count

    def dead_letter(self, id: int, worker: str, error: str) -> bool:
        done = self.inner.dead_letter(id, worker, error)
        with self.changed:
            self.dead.append(id)
            self.changed.notify_all()
        return done

    def wait(self, predicate: Callable[[], bool], what: str) -> None:
        with self.changed:
            if not self.changed.wait_for(predicate, timeout=WAIT_S):
                raise AssertionError(
                    f"the drainer never {what} (sent {self.sent}, dead {self.dead})"
                )


class StartedServer(uvicorn.Server):
    """uvicorn that says when it is listening."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


class Live:
    """A running server, its runtime, and the brain CLI pointed at both."""

    def __init__(self, config: Path, runtime: Runtime, outbox: WatchedOutbox, store: FlakyStore):
        self.config = config
        self.runtime = runtime
        self.outbox = outbox
        self.store = store
        self.url = ""

    def brain(self, *args: str) -> Any:
        result = CliRunner().invoke(cli, [*args, "--config", str(self.config)])
        return result

    def page(self) -> str:
        return self.store.inner.read("webhook-log").text


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    monkeypatch.setenv("CLI_TEST_SECRET", SECRET)
    config = tmp_path / "brain.toml"
    config.write_text(
        '[store]\nkind = "local"\npath = "workspace"\n'
        '[webhooks]\nlog_page = "webhook-log"\n'
        '[webhooks.sources.claude-test]\nscheme = "hmac-sha256"\n'
        'secrets = ["env:CLI_TEST_SECRET"]\n'
    )
    # The server's secrets are its own: a test may change what the CLI resolves.
    runtime = Runtime(
        load_config(config), secrets=SecretResolver(environ={"CLI_TEST_SECRET": SECRET})
    )
    outbox = WatchedOutbox(runtime.outbox)
    store = FlakyStore(LocalFolderStore(tmp_path / "workspace"), lambda: datetime.now(UTC))
    runtime.__dict__["outbox"] = outbox  # cached properties: the drainer and receiver use these
    runtime.__dict__["store"] = store
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = StartedServer(
        uvicorn.Config(
            build_app(runtime, host="127.0.0.1"),
            log_level="warning",
            ws="none",
            http="h11",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        assert server.ready.wait(WAIT_S), "the server did not start"
        found = Live(config, runtime, outbox, store)
        found.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        yield found
    finally:
        server.should_exit = True
        thread.join(WAIT_S)
        sock.close()
        runtime.close()


def send(live: Live, data: dict[str, Any], *extra: str) -> Any:
    return live.brain(
        "webhooks", "send", "claude-test", "--data", orjson.dumps(data).decode(),
        "--url", live.url, *extra,
    )  # fmt: skip


def test_send_signs_and_posts_and_the_line_appears_on_the_log_page(live: Live) -> None:
    result = send(live, {"event": "test", "message": "Hello", "sender": "claude-code"})

    assert result.exit_code == 0, result.output
    assert result.output.startswith("202 ")
    receipt = orjson.loads(result.output[4:])
    assert receipt["status"] == "accepted"
    live.outbox.wait(lambda: receipt["id"] in live.outbox.sent, "logged the event")
    [line] = [ln for ln in live.page().split("\n") if ln.startswith("🔔")]
    assert line.endswith(
        ' [claude-test:test] {"event":"test","message":"Hello","sender":"claude-code"}'
    )


def test_send_with_json_reports_the_status_and_the_receipt(live: Live) -> None:
    result = send(live, {"message": "ping"}, "--event", "ping", "--json")

    assert result.exit_code == 0, result.output
    out = orjson.loads(result.stdout)
    assert out["status"] == 202
    assert out["body"]["status"] == "accepted"
    live.outbox.wait(lambda: out["body"]["id"] in live.outbox.sent, "logged the event")
    assert '[claude-test:ping] {"message":"ping"}' in live.page()


def test_send_signed_with_a_wrong_secret_is_refused_and_exits_1(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLI_TEST_SECRET", "not-the-servers-secret")  # the CLI resolves anew
    result = send(live, {"event": "test"})
    assert result.exit_code == 1
    assert result.output.startswith("401 ")
    assert "bad_signature" in result.output
    assert SECRET not in result.output


def test_send_to_a_server_that_is_not_there_exits_2_saying_so(live: Live) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{probe.getsockname()[1]}"  # bound, never listening
        result = live.brain("webhooks", "send", "claude-test", "--data", "{}", "--url", dead_url)
    assert result.exit_code == 2
    assert "cannot reach" in result.output


def test_status_json_counts_sent_pending_and_dead_and_retry_dead_replays(live: Live) -> None:
    live.store.reject = lambda line: "poison" in line
    ids = []
    for data in ({"event": "a"}, {"event": "poison"}, {"event": "b"}):
        result = send(live, data)
        assert result.exit_code == 0, result.output
        ids.append(orjson.loads(result.output[4:])["id"])
    live.outbox.wait(
        lambda: {ids[0], ids[2]} <= set(live.outbox.sent) and ids[1] in live.outbox.dead,
        "logged two events and dead-lettered the third",
    )

    status = live.brain("webhooks", "status", "--json")
    assert status.exit_code == 0, status.output
    counts = orjson.loads(status.stdout)
    assert {k: counts[k] for k in ("pending", "sending", "sent", "dead")} == {
        "pending": 0,
        "sending": 0,
        "sent": 2,
        "dead": 1,
    }
    assert counts["oldest_pending_age_s"] is None
    [dead] = counts["dead_letters"]
    assert dead["id"] == ids[1]
    assert (dead["source"], dead["log_page"]) == ("claude-test", "webhook-log")
    assert dead["error"].startswith("store_rejected")

    text = live.brain("webhooks", "status")
    assert "2 sent, 1 dead" in text.output
    assert f"dead #{ids[1]}" in text.output

    live.store.reject = None  # the operator fixed what the store refused
    replay = live.brain("webhooks", "retry-dead")
    assert replay.exit_code == 0, replay.output
    assert "1 dead letter(s) queued again." in replay.output
    live.runtime.drainer.wake()
    live.outbox.wait(lambda: ids[1] in live.outbox.sent, "logged the replayed event")

    after = orjson.loads(live.brain("webhooks", "status", "--json").stdout)
    assert (after["sent"], after["dead"], after["dead_letters"]) == (3, 0, [])
    lines = [ln for ln in live.page().split("\n") if ln.startswith("🔔")]
    assert [ln.rsplit(" ", 1)[1] for ln in lines] == [
        '{"event":"a"}',
        '{"event":"b"}',
        '{"event":"poison"}',  # a replay lands after the lines already there
    ]


def test_retry_dead_with_nothing_dead_says_so(live: Live) -> None:
    result = live.brain("webhooks", "retry-dead")
    assert result.exit_code == 0
    assert "0 dead letter(s) queued again." in result.output


def test_status_shows_unsent_stranded_and_dead_events_per_page(tmp_path: Path) -> None:
    config = tmp_path / "brain.toml"
    config.write_text('[store]\nkind = "local"\npath = "workspace"\n')
    (tmp_path / "workspace").mkdir()
    runtime = Runtime(load_config(config))
    outbox = runtime.outbox
    now = datetime.now(UTC)
    for n, (page, age_s) in enumerate(
        [("old-log", 3600), ("old-log", 30), ("webhook-log-2025-01", 7200), ("webhook-log", 5)]
    ):
        outbox.accept(
            source="cron", delivery_key=f"k{n}", line=f"line {n}", log_page=page,
            received_at=now - timedelta(seconds=age_s),
        )  # fmt: skip
    assert outbox.acquire_lease("webhook-log", "w", 60, now)
    [doomed] = outbox.claim("webhook-log", "w", 1, now)
    outbox.dead_letter(doomed.id, "w", "store_rejected: Notion rejected the integration token")
    runtime.close()

    status = CliRunner().invoke(cli, ["webhooks", "status", "--json", "--config", str(config)])

    assert status.exit_code == 0, status.output
    pages = {p["page"]: p for p in orjson.loads(status.stdout)["pages"]}
    assert {p: (v["unsent"], v["stranded"], v["dead"]) for p, v in pages.items()} == {
        "old-log": (2, 1, 0),
        "webhook-log-2025-01": (1, 1, 0),
        "webhook-log": (0, 0, 1),
    }
    assert pages["old-log"]["oldest_unsent_age_s"] >= 3600
    text = CliRunner().invoke(cli, ["webhooks", "status", "--config", str(config)])
    assert "page old-log: 2 unsent (1 stranded, oldest 36" in text.output
    assert "page webhook-log: 0 unsent (0 stranded), 1 dead" in text.output
    assert "Stranded events wait more than 10 min" in text.output
    assert "integration token" in text.output and "retry-dead" in text.output
