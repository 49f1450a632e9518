"""The webhook logger's acceptance test: a real server process killed with SIGKILL.

1. In the middle of a burst of signed webhooks from several threads. The senders then do what
   real senders do: resend every event whose 2xx they never got (same delivery id, freshly
   signed), and some acknowledged ones too. Every acknowledged event must appear on the log
   page exactly once, in receive order.
2. Between appending lines and recording that it did: the server runs with a page store that
   pauses after the lines are on disk, and dies in that pause. The restarted server must find
   those lines on the page instead of appending them again.

The server is ``brain serve`` itself (``python -m functions.cli serve``) with a short drainer
lease from the environment (a dead drainer's lease blocks its page until it expires); the
second test uses ``tests.functions.webhooks.crash_server``, the same app with a pause after
each append. Waiting on the real processes polls with a deadline.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest

from functions.webhooks.logline import BELL
from functions.webhooks.schemes import get_scheme

ROOT = Path(__file__).resolve().parents[3]
SECRET = "crash-test-secret-5f2c9e"
SOURCE = "claude-test"
LEASE_TTL_S = 2.0
DEADLINE_S = 30.0


def wait_until(condition: Callable[[], bool], what: str, deadline_s: float = DEADLINE_S) -> None:
    """Poll ``condition`` until it holds; the one place these tests wait, on real processes."""
    end = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline_s:.0f}s waiting until {what}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """One server process at a time on a fixed workspace; restartable."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def __post_init__(self) -> None:
        self.config = self.folder / "brain.toml"
        self.config.write_text(
            '[store]\nkind = "local"\npath = "workspace"\n'
            '[webhooks]\nlog_page = "webhook-log"\n'
            f'[webhooks.sources.{SOURCE}]\nscheme = "hmac-sha256"\n'
            'secrets = ["env:CRASH_TEST_SECRET"]\n'
        )
        (self.folder / "workspace").mkdir(exist_ok=True)  # brain serve refuses a missing one
        self.page = self.folder / "workspace" / "webhook-log.md"
        self.state = self.folder / ".brain" / "state.sqlite3"
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, *, pause_after_append: float = 0.0) -> None:
        assert self.process is None
        self.starts += 1
        log = open(self.folder / f"server-{self.starts}.log", "wb")  # noqa: SIM115 - kept by Popen
        env = {
            **os.environ,
            "CRASH_TEST_SECRET": SECRET,
            "PYTHONPATH": str(ROOT),
            # A SIGKILLed drainer's lease blocks its page until it expires (60 s by default).
            "BRAIN_WEBHOOKS__LEASE_TTL_S": str(LEASE_TTL_S),
        }
        if pause_after_append:  # brain serve with a store that pauses after appending
            command = [sys.executable, "-m", "tests.functions.webhooks.crash_server"]
            command += ["--pause-after-append", str(pause_after_append)]
        else:  # the real thing: `brain serve`
            command = [sys.executable, "-m", "functions.cli", "serve"]
        command += ["--config", str(self.config), "--port", str(self.port)]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_until(self._healthy, f"server #{self.starts} answers /healthz")

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"server #{self.starts} exited:\n{self.logs()}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.folder.glob("server-*.log"))
        )

    # -- what is on disk ---------------------------------------------------------------

    def lines(self) -> list[str]:
        try:
            text = self.page.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [ln for ln in text.split("\n") if ln.startswith(BELL)]

    def outbox(self, sql: str) -> list[tuple[object, ...]]:
        db = sqlite3.connect(f"file:{self.state}?mode=ro", uri=True, timeout=5)
        try:
            return list(db.execute(sql))
        finally:
            db.close()

    def unsent(self) -> int:
        [(count,)] = self.outbox(
            "SELECT COUNT(*) FROM outbox_events WHERE state IN ('pending', 'sending')"
        )
        return int(str(count))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    made = Server(tmp_path)
    try:
        yield made
    finally:
        made.stop()


# -- senders ----------------------------------------------------------------------------------


def body_of(seq: int) -> bytes:
    return orjson.dumps({"event": "burst", "seq": seq, "sender": "crash-test"})


def deliver(client: httpx.Client, url: str, seq: int) -> str | None:
    """POST event ``seq`` freshly signed (same delivery id every time); its status or None."""
    body = body_of(seq)
    headers = get_scheme("hmac-sha256").sign(
        body, SECRET, now=datetime.now(UTC), delivery_id=f"evt-{seq}"
    )
    headers["Content-Type"] = "application/json"
    try:
        response = client.post(f"{url}/webhooks/{SOURCE}", content=body, headers=headers)
    except httpx.HTTPError:
        return None  # no answer: a real sender retries
    if response.status_code != 202:
        return None
    return str(response.json()["status"])


def burst(url: str, count: int, threads: int, *, kill_after: int | None = None,
          kill: Callable[[], None] | None = None) -> dict[int, str]:  # fmt: skip
    """Send events 0..count-1 from ``threads`` threads; ``kill()`` once ``kill_after`` are
    acknowledged. Returns the acknowledged ones: seq -> "accepted" | "duplicate"."""
    todo = iter(range(count))
    lock = threading.Lock()
    acked: dict[int, str] = {}
    enough = threading.Event()

    def sender() -> None:
        with httpx.Client(timeout=5) as client:
            while True:
                with lock:
                    seq = next(todo, None)
                if seq is None:
                    return
                status = deliver(client, url, seq)
                if status is not None:
                    with lock:
                        acked[seq] = status
                        if kill_after is not None and len(acked) >= kill_after:
                            enough.set()

    workers = [threading.Thread(target=sender) for _ in range(threads)]
    for worker in workers:
        worker.start()
    if kill is not None:
        assert enough.wait(DEADLINE_S), f"only {len(acked)} events were acknowledged"
        kill()
    for worker in workers:
        worker.join(DEADLINE_S)
    return acked


def seqs_on_page(lines: list[str]) -> list[int]:
    return [int(orjson.loads(line.split("] ", 1)[1])["seq"]) for line in lines]


def assert_exactly_once_in_receive_order(server: Server, expected: set[int]) -> None:
    lines = server.lines()
    seqs = seqs_on_page(lines)
    repeated = {seq: n for seq, n in Counter(seqs).items() if n > 1}
    assert not repeated, f"logged more than once: {repeated}"
    assert set(seqs) == expected, f"missing: {sorted(expected - set(seqs))[:20]}"
    stamps = [line.split(" ", 2)[1] for line in lines]
    assert stamps == sorted(stamps), "the page is not in receive order"
    # And the page order is the outbox's receive order (its ids).
    ids = server.outbox("SELECT line FROM outbox_events ORDER BY id")
    assert [row[0] for row in ids] == lines


# -- the tests --------------------------------------------------------------------------------


def test_sigkill_in_the_middle_of_a_burst_loses_and_doubles_nothing(server: Server) -> None:
    total, threads = 300, 6
    server.start()
    acked = burst(server.url, total, threads, kill_after=total // 3, kill=server.kill)
    assert 0 < len(acked) < total, "the kill should have landed in the middle of the burst"

    server.start()
    with httpx.Client(timeout=5) as client:
        missing = [seq for seq in range(total) if seq not in acked]
        resent = {seq: deliver(client, server.url, seq) for seq in missing}
        sample = sorted(acked)[::7]
        again = {seq: deliver(client, server.url, seq) for seq in sample}
    assert None not in resent.values(), "a resend after the restart was refused"
    assert set(again.values()) == {"duplicate"}, "an acknowledged event was taken as new"
    wait_until(lambda: server.unsent() == 0, "the outbox is drained")

    assert_exactly_once_in_receive_order(server, set(range(total)))
    assert set(server.outbox("SELECT state FROM outbox_events")) == {("sent",)}


def test_sigkill_between_appending_lines_and_recording_it_doubles_nothing(
    server: Server,
) -> None:
    total = 150
    server.start(pause_after_append=5.0)
    acked = burst(server.url, total, 4)
    assert len(acked) == total
    # The first append takes the first few events, then pauses while the rest arrive; the
    # second takes a full batch of 100. Kill in the pause after it.
    wait_until(lambda: len(server.lines()) >= 50, "a full batch is on the page")
    server.kill()
    on_page = set(server.lines())
    unrecorded = [
        line
        for (line,) in server.outbox("SELECT line FROM outbox_events WHERE state = 'sending'")
        if line in on_page
    ]
    assert len(unrecorded) >= 50, "the kill should have landed between append and record"

    server.start()
    wait_until(lambda: server.unsent() == 0, "the outbox is drained")

    assert_exactly_once_in_receive_order(server, set(range(total)))
