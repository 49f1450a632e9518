"""The webhook logger's acceptance test: a real server process killed with SIGKILL.

1. In the middle of a burst of signed webhooks from several threads. The senders then do what
   real senders do: resend every event whose 2xx they never got (same delivery id, freshly
   signed), and some acknowledged ones too. Every acknowledged event must appear on the log
   page exactly once, in receive order.
2. Between appending lines and recording that it did: the server runs with a page store that
   pauses after the lines are on disk, and dies in that pause. The restarted server must find
   those lines on the page instead of appending them again.
3. Two instances sharing one PostgreSQL outbox: the one draining is killed mid-burst and the
   survivor takes its page over and logs everything.

The server is ``brain serve`` itself (``python -m functions.cli serve``) with the default
drainer lease (60 s): the killed drainer's page is freed by its liveness lock (flock on
SQLite, a session advisory lock on PostgreSQL), so every wait here (30 s) is shorter than the
lease and only the takeover lets the tests pass. The second test uses
``tests.functions.webhooks.crash_server``, the same app with a pause after each append.
Waiting on the real processes polls with a deadline.
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
import psycopg
import pytest

from functions.webhooks.logline import BELL
from functions.webhooks.schemes import get_scheme

ROOT = Path(__file__).resolve().parents[3]
SECRET = "crash-test-secret-5f2c9e"
SOURCE = "claude-test"
DEADLINE_S = 30.0  # shorter than the drainer's lease (60 s): only a takeover drains in time


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
    state_url: str = ""  # "" -> the SQLite file beside the workspace
    name: str = "server"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def __post_init__(self) -> None:
        self.config = self.folder / "brain.toml"
        state = f'[state]\nurl = "{self.state_url}"\n' if self.state_url else ""
        self.config.write_text(
            '[store]\nkind = "local"\npath = "workspace"\n'
            '[webhooks]\nlog_page = "webhook-log"\n'
            f'[webhooks.sources.{SOURCE}]\nscheme = "hmac-sha256"\n'
            'secrets = ["env:CRASH_TEST_SECRET"]\n' + state
        )
        (self.folder / "workspace").mkdir(exist_ok=True)  # brain serve refuses a missing one
        self.page = self.folder / "workspace" / "webhook-log.md"
        self.state = self.folder / ".brain" / "state.sqlite3"
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, *, pause_after_append: float = 0.0) -> None:
        assert self.process is None
        self.starts += 1
        log = open(self.folder / f"{self.name}-{self.starts}.log", "wb")  # noqa: SIM115 - kept by Popen
        env = {**os.environ, "CRASH_TEST_SECRET": SECRET, "PYTHONPATH": str(ROOT)}
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
            for p in sorted(self.folder.glob(f"{self.name}-*.log"))
        )

    # -- what is on disk ---------------------------------------------------------------

    def lines(self) -> list[str]:
        try:
            text = self.page.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [ln for ln in text.split("\n") if ln.startswith(BELL)]

    def outbox(self, sql: str) -> list[tuple[object, ...]]:
        if self.state_url:
            with psycopg.connect(self.state_url, autocommit=True) as conn:
                return list(conn.execute(sql))
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


def assert_exactly_once_in_receive_order(
    server: Server, expected: set[int], *, one_clock: bool = True
) -> None:
    """Every expected event once, in the outbox's id order; with ``one_clock`` (one process
    stamped every line) the stamps are in order too."""
    lines = server.lines()
    seqs = seqs_on_page(lines)
    repeated = {seq: n for seq, n in Counter(seqs).items() if n > 1}
    assert not repeated, f"logged more than once: {repeated}"
    assert set(seqs) == expected, f"missing: {sorted(expected - set(seqs))[:20]}"
    stamps = [line.split(" ", 2)[1] for line in lines]
    assert stamps == sorted(stamps) or not one_clock, "the page is not in receive order"
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


@pytest.mark.postgres
def test_two_instances_on_postgres_one_killed_mid_burst_the_other_logs_everything(
    tmp_path: Path, postgres_url: str
) -> None:
    total, threads = 200, 4
    first = Server(tmp_path, postgres_url, name="first")
    second = Server(tmp_path, postgres_url, name="second")
    try:
        first.start()
        second.start()
        # Both take webhooks; whichever drains holds the page. Kill the drainer mid-burst.
        urls = iter([first.url, second.url] * total)
        acked = burst_to(lambda: next(urls), total, threads, kill_after=total // 3,
                         kill=lambda: drainer_of(first, second).kill())  # fmt: skip
        survivor = first if first.process is not None else second
        with httpx.Client(timeout=5) as client:
            for seq in range(total):
                if seq not in acked:
                    assert deliver(client, survivor.url, seq) is not None
        wait_until(lambda: survivor.unsent() == 0, "the survivor drained the outbox")
        # Two processes stamped the lines, each with its own clock: the order that counts is
        # the outbox's (ids follow commit order per page), which the page must follow.
        assert_exactly_once_in_receive_order(survivor, set(range(total)), one_clock=False)
    finally:
        first.stop()
        second.stop()


def drainer_of(*servers: Server) -> Server:
    """The server whose drainer holds the log page's lease (its worker id starts with its pid)."""
    wait_until(lambda: bool(servers[0].outbox("SELECT worker FROM outbox_leases")), "a lease")
    [(worker,)] = servers[0].outbox("SELECT worker FROM outbox_leases")
    pid = int(str(worker).split("-", 1)[0])
    [holder] = [s for s in servers if s.process is not None and s.process.pid == pid]
    return holder


def burst_to(url: Callable[[], str], count: int, threads: int, *, kill_after: int,
             kill: Callable[[], None]) -> dict[int, str]:  # fmt: skip
    """Like :func:`burst`, each request to ``url()`` (round robin over the instances)."""
    todo = iter(range(count))
    lock = threading.Lock()
    acked: dict[int, str] = {}
    enough = threading.Event()

    def sender() -> None:
        with httpx.Client(timeout=5) as client:
            while True:
                with lock:
                    seq, target = next(todo, None), url()
                if seq is None:
                    return
                status = deliver(client, target, seq)
                if status is not None:
                    with lock:
                        acked[seq] = status
                        if len(acked) >= kill_after:
                            enough.set()

    workers = [threading.Thread(target=sender) for _ in range(threads)]
    for worker in workers:
        worker.start()
    assert enough.wait(DEADLINE_S), f"only {len(acked)} events were acknowledged"
    kill()
    for worker in workers:
        worker.join(DEADLINE_S)
    return acked
