"""A page leased by a drainer whose process died is taken over at once; a live one never.

The holder is a real process (``python -c``) that takes its liveness lock and a long lease,
then waits. SIGKILL frees its OS-level lock (the kernel drops the flock; PostgreSQL ends the
session and its advisory lock), and the next ``acquire_lease`` takes the page over long before
the lease would expire. Waiting on the real processes polls with a deadline.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from functions.webhooks.outbox import SqlOutbox, open_outbox

ROOT = Path(__file__).resolve().parents[3]
PAGE = "webhook-log"
T0 = datetime(2026, 5, 21, 2, 54, 44, tzinfo=UTC)
LEASE_S = 3600.0  # far longer than any test: only the takeover can free the page
HOLDER = """
import sys
from datetime import datetime, UTC
from functions.webhooks.outbox import open_outbox
outbox = open_outbox(sys.argv[1])
outbox.hold(sys.argv[2])
page, worker, ttl, now = sys.argv[3], sys.argv[2], float(sys.argv[4]), sys.argv[5]
assert ttl == 0 or outbox.acquire_lease(page, worker, ttl, datetime.fromisoformat(now))
print("holding", flush=True)
sys.stdin.read()  # until the test closes stdin or kills us
outbox.close()
"""


def wait_until(condition: Callable[[], bool], what: str, deadline_s: float = 10.0) -> float:
    """Poll ``condition`` on real processes; returns the seconds it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > deadline_s:
            raise AssertionError(f"timed out after {deadline_s:.0f}s waiting until {what}")
        time.sleep(0.02)
    return time.monotonic() - start


@pytest.fixture
def outbox(outbox_url: str) -> Iterator[SqlOutbox]:
    with open_outbox(outbox_url) as opened:
        yield opened


@pytest.fixture
def holder(outbox_url: str) -> Iterator[subprocess.Popen[str]]:
    """A drainer process holding the page's lease (and its liveness lock)."""
    yield from drainer_process(outbox_url, "holder", LEASE_S)


def drainer_process(
    url: str, worker: str, lease_s: float
) -> Generator[subprocess.Popen[str], None, None]:
    """A drainer process with its liveness lock; with the page's lease unless ``lease_s`` is 0."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, worker, PAGE, str(lease_s), T0.isoformat()],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    with process:  # closes the pipes
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "holding"
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(10)


def test_a_page_leased_by_a_killed_drainer_is_taken_over_at_once(
    outbox: SqlOutbox, holder: subprocess.Popen[str]
) -> None:
    outbox.hold("successor")
    now = T0 + timedelta(seconds=1)  # the holder's lease runs for another hour
    assert not outbox.acquire_lease(PAGE, "successor", ttl_s=60, now=now)

    holder.send_signal(signal.SIGKILL)
    holder.wait(10)
    took = wait_until(
        lambda: outbox.acquire_lease(PAGE, "successor", ttl_s=60, now=now),
        "the successor takes the page over",
    )

    assert took < 5.0
    assert outbox.claim(PAGE, "successor", limit=1, now=now) == []  # it holds the live lease


def test_a_live_drainer_is_never_overtaken(
    outbox: SqlOutbox, holder: subprocess.Popen[str]
) -> None:
    outbox.hold("rival")
    for second in range(0, 3000, 300):  # an hour of tries, all inside the lease
        now = T0 + timedelta(seconds=second)
        assert not outbox.acquire_lease(PAGE, "rival", ttl_s=60, now=now)
    assert holder.poll() is None


def test_a_holder_that_took_no_liveness_lock_waits_out_its_lease(outbox: SqlOutbox) -> None:
    """A holder we cannot see die (an older version, another host) is not taken over early."""
    assert outbox.acquire_lease(PAGE, "unseen", ttl_s=60, now=T0)
    outbox.hold("successor")
    assert not outbox.acquire_lease(PAGE, "successor", ttl_s=60, now=T0 + timedelta(seconds=59))
    assert outbox.acquire_lease(PAGE, "successor", ttl_s=60, now=T0 + timedelta(seconds=60))


def test_a_live_drainer_in_the_same_process_is_never_overtaken(outbox_url: str) -> None:
    with open_outbox(outbox_url) as first, open_outbox(outbox_url) as second:
        first.hold("one")
        second.hold("two")
        assert first.acquire_lease(PAGE, "one", ttl_s=60, now=T0)
        assert not second.acquire_lease(PAGE, "two", ttl_s=60, now=T0 + timedelta(seconds=1))
        first.close()  # a clean stop: "one" is gone, not dead, so its lease runs out
        assert not second.acquire_lease(PAGE, "two", ttl_s=60, now=T0 + timedelta(seconds=2))
        assert second.acquire_lease(PAGE, "two", ttl_s=60, now=T0 + timedelta(seconds=60))


def test_purge_forgets_dead_drainers_but_not_before_their_page_is_taken_over(
    outbox_url: str, outbox: SqlOutbox, holder: subprocess.Popen[str]
) -> None:
    def registered() -> set[str]:
        with outbox._tx("reading drainers", write=False) as tx:
            return {str(w) for (w,) in tx.rows("SELECT worker FROM outbox_drainers")}

    def purged(worker: str) -> bool:
        outbox.purge(T0, timedelta(days=7), timedelta(days=7))
        return worker not in registered()

    idle = drainer_process(outbox_url, "idle", 0)  # a drainer that holds no page
    try:
        idler = next(idle)
        outbox.hold("successor")
        for process in (holder, idler):
            process.send_signal(signal.SIGKILL)
            process.wait(10)

        wait_until(lambda: purged("idle"), "idle is forgotten")
        assert "holder" in registered()  # dead, but its page is leased: the takeover needs it
        now = T0 + timedelta(seconds=1)
        assert outbox.acquire_lease(PAGE, "successor", ttl_s=60, now=now)
        assert registered() == {"successor"}
    finally:
        idle.close()  # the generator's finally reaps the process
