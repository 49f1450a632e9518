"""Webhook logger under failure: a fault storm on Notion, and SIGKILL of ``brain serve``.

All figures come from one run:

- **storm**: ``STORM_EVENTS`` events queued in a SQLite outbox, drained by the drainer's own
  run loop (a thread, real time) through ``NotionStore`` and the real notion-client to the
  loopback Notion fake: 3 requests/s (burst 10, 429 + ``Retry-After: 1`` past it), 250 ms
  latency per call. Once ``STORM_AFTER`` lines are logged, twelve faults in a row hit the
  appends: 429, 529 and 503 with ``Retry-After: 1``, bare 500/502/504, and a 500 and a 503
  answered *after* the append was applied. Measured: how long after the last fault's answer
  the drain is back at >= 250 lines/s (sustained over the next ``WINDOW_S`` seconds;
  target: Retry-After + 1 s = 2 s), and the page checked line by line: none lost, none
  doubled, in order. Beside it, the same storm
  with the policy before this change (Retry-After only on 429; the backoff doubling over
  every fault in a row, no jitter), cut off after ``NAIVE_CUTOFF_S``.
- **crash, SQLite**: ``brain serve`` (SQLite outbox, local workspace whose store pauses
  ``PAUSE_S`` after each append, so a backlog builds up: ``tests.functions.webhooks.
  crash_server``) takes a burst of ``CRASH_EVENTS`` webhooks from 6 senders and is SIGKILLed
  after a third were acknowledged;
  it is started again and the senders resend what was not acknowledged. Measured: seconds
  from the restarted server answering /healthz until every acknowledged event is on the
  page (target <= 5 s), and from the kill. Before this change the page waited out the
  killed drainer's lease (``lease_ttl_s``, 60 s).
- **crash, PostgreSQL**: two ``brain serve`` instances on one PostgreSQL outbox
  (``BRAIN_TEST_POSTGRES_URL``, a fresh schema); the one holding the page's lease is
  SIGKILLed mid-burst. Measured: seconds from the kill until the survivor has every
  acknowledged event on the page. Skipped when no server is reachable.

    python -m bench recovery
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from functions.webhooks.drain import Drainer, DrainOptions, DrainResult, _Backoff
from functions.webhooks.logline import format_line
from functions.webhooks.outbox import OutboxEvent, open_outbox
from shards import ClaudeDelta, PageStore, StoreUnavailable, render_page

STORM_EVENTS = 3000
RATE = 3.0
LATENCY_S = 0.25
RETRY_AFTER_S = 1
TARGET_LINES_PER_S = 250.0
WINDOW_S = 3.0
NAIVE_CUTOFF_S = 60.0
STORM_AFTER = 600  # lines on the page when the storm begins
CRASH_EVENTS = 300
PAUSE_S = 0.3  # the crash servers' store pauses this long after each append (a slow page)
PAGE = "webhook-log"


# -- the fault storm ------------------------------------------------------------------------


class NaiveDrainer(Drainer):
    """The backoff before this change: Retry-After read on 429 only (the store raised 529 and
    5xx without it), every failure in a row doubling the wait, no jitter, and the run loop
    idling its full ``idle_wait_s`` whatever the backoff."""

    def _fail(
        self,
        page: str,
        events: Sequence[OutboxEvent],
        exc: StoreUnavailable,
        result: DrainResult,
    ) -> None:
        previous = self._backoff.get(page)
        failures = (previous.failures if previous else 0) + 1
        said = exc.retry_after if getattr(exc.__cause__, "status", None) == 429 else None
        delay = said
        if delay is None:
            step = self.options.backoff_base_s * 2 ** (failures - 1)
            delay = min(self.options.backoff_max_s, step)
        now = self.clock()
        self._backoff[page] = _Backoff(now + timedelta(seconds=delay), failures)
        self.outbox.acquire_lease(page, self.worker, delay, now)
        result.failed += len(events)
        result.error = f"{exc.code}: {exc.message}"
        result.retry_in_s = delay

    def _idle_wait(self) -> float:
        return self.options.idle_wait_s


def _storm(fake: Any) -> None:
    """Twelve faults in a row on the appends; the last two are applied, then answered 5xx."""
    appends = {"method": "PATCH", "path": "/children"}
    for status, retry_after in [
        (429, RETRY_AFTER_S),
        (529, RETRY_AFTER_S),
        (500, None),
        (503, RETRY_AFTER_S),
        (502, None),
        (529, RETRY_AFTER_S),
        (504, None),
        (503, RETRY_AFTER_S),
        (500, None),
        (529, RETRY_AFTER_S),
    ]:
        fake.fail_next(1, status, retry_after=retry_after, **appends)
    fake.fail_after_commit_next(1, 500, **appends)
    fake.fail_after_commit_next(1, 503, retry_after=RETRY_AFTER_S, **appends)


def _drain_through_storm(make_drainer: Callable[..., Drainer], label: str) -> dict[str, Any]:
    from shards.notion import NotionOptions, NotionStore
    from tests.notion_fake import NotionFake

    fake = NotionFake(requests_per_second=RATE, burst=10, retry_after=RETRY_AFTER_S)
    with fake, tempfile.TemporaryDirectory() as tmp:
        fake.delay_next(10**9, LATENCY_S)  # every call
        store = NotionStore(
            NotionOptions(
                token=fake.token,
                root_page_id=fake.root_id,
                base_url=fake.url,
                requests_per_second=RATE,
            )
        )
        try:
            header = ClaudeDelta(page_type="log", id=PAGE, title="Webhook log", summary="bench")
            page_id = store.write(PAGE, render_page(header, "")).id
            with open_outbox(f"sqlite:///{Path(tmp) / 'state.sqlite3'}") as outbox:
                lines = _queue(outbox, STORM_EVENTS, label)
                drainer = make_drainer(outbox, store)
                stop = threading.Event()
                thread = threading.Thread(target=drainer.run, args=(None, stop))
                start = time.monotonic()
                thread.start()
                # The storm breaks into a running drain, once STORM_AFTER lines are logged.
                _wait(lambda: len(_page_lines(fake, page_id)) >= STORM_AFTER, 60.0)
                _storm(fake)
                done = _wait(lambda: not outbox.pending_pages(datetime.now(UTC)), NAIVE_CUTOFF_S)
                stop.set()
                drainer.wake()
                thread.join(60)
                took = time.monotonic() - start
        finally:
            store.close()
        requests = [r for r in fake.requests if r.method == "PATCH" and "/children" in r.path]
        on_page = _page_lines(fake, page_id)
    faults = [r for r in requests if r.status >= 400]
    # Retry-After counts from the answer: the fake answers LATENCY_S after a request arrives.
    storm_end = max(r.at for r in faults) + LATENCY_S if faults else start
    appended = [(r.at, len(r.body.get("children", []))) for r in requests if r.status == 200]
    back = _back_at_rate(appended, storm_end) if done else None
    counts = Counter(on_page)
    return {
        "events": STORM_EVENTS,
        "faults": len(faults),
        "fault_statuses": sorted(r.status for r in faults),
        "drained": done,
        "seconds": took,
        "storm_s": storm_end - min((r.at for r in faults), default=storm_end),
        "back_after_s": back,
        "lost": len(set(lines) - set(on_page)) if done else None,
        "doubled": sum(n - 1 for n in counts.values() if n > 1),
        "in_order": [ln for ln in on_page if ln in set(lines)] == lines if done else None,
        "lines_per_s_after": _rate_after(appended, storm_end),
    }


def _back_at_rate(appended: list[tuple[float, int]], storm_end: float) -> float | None:
    """Seconds from ``storm_end`` to the first successful append from which the appends of
    the next ``WINDOW_S`` seconds carry >= the target rate. Near the end of the drain, where
    less than a window is left, the rest is timed from its first request to one request
    slot after its last."""
    after = sorted(a for a in appended if a[0] > storm_end)
    for i, (start, _) in enumerate(after):
        rest = after[i:]
        if rest[-1][0] - start >= WINDOW_S:
            lines = sum(n for at, n in rest if at < start + WINDOW_S)
            rate = lines / WINDOW_S
        else:
            rate = sum(n for _, n in rest) / (rest[-1][0] - start + 1.0 / RATE)
        if rate >= TARGET_LINES_PER_S:
            return start - storm_end
    return None


def _rate_after(appended: list[tuple[float, int]], storm_end: float) -> float | None:
    after = sorted(a for a in appended if a[0] > storm_end)
    if len(after) < 2:
        return None
    lines = sum(n for _, n in after[:-1])  # lines sent before the last request started
    return lines / (after[-1][0] - after[0][0])


def _page_lines(fake: Any, page_id: str) -> list[str]:
    texts = []
    for block in fake.blocks(page_id):
        rich = block.get("paragraph", {}).get("rich_text", [])
        text = "".join(part["plain_text"] for part in rich)
        if text.startswith("🔔"):
            texts.append(text)
    return texts


def _queue(outbox: Any, count: int, tag: str) -> list[str]:
    lines = []
    for n in range(count):
        at = datetime.now(UTC)
        line = format_line(at, "bench", "storm", {"n": n, "run": tag})
        outbox.accept(source="bench", delivery_key=f"{tag}-{n}", line=line, log_page=PAGE,
                      received_at=at)  # fmt: skip
        lines.append(line)
    return lines


def _wait(condition: Callable[[], bool], limit_s: float) -> bool:
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def bench_storm() -> dict[str, Any]:
    def ours(outbox: Any, store: PageStore) -> Drainer:
        return Drainer(outbox, store, DrainOptions(), worker="ours")

    def naive(outbox: Any, store: PageStore) -> Drainer:
        return NaiveDrainer(outbox, store, DrainOptions(backoff_max_s=300.0), worker="naive")

    return {
        "ours": _drain_through_storm(ours, "ours"),
        "naive": _drain_through_storm(naive, "naive"),
    }


# -- crash recovery --------------------------------------------------------------------------


def bench_crash_sqlite() -> dict[str, Any]:
    import httpx

    from tests.functions.webhooks.test_crash import Server, burst, deliver

    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            server.start(pause_after_append=PAUSE_S)  # a backlog builds up behind the drainer
            killed_at: list[float] = []

            def kill() -> None:
                killed_at.append(time.monotonic())
                server.kill()

            acked = burst(server.url, CRASH_EVENTS, 6, kill_after=CRASH_EVENTS // 3, kill=kill)
            unsent = server.unsent()
            server.start()
            ready = time.monotonic()
            on_page = _wait_on_page(server, set(acked))
            after_restart = on_page - ready if on_page else None
            with httpx.Client(timeout=5) as client:
                for seq in range(CRASH_EVENTS):
                    if seq not in acked:
                        deliver(client, server.url, seq)
            everything = _wait_on_page(server, set(range(CRASH_EVENTS)))
            lost, doubled = _lost_doubled(server, set(range(CRASH_EVENTS)))
        finally:
            server.stop()
    return {
        "events": CRASH_EVENTS,
        "acked_before_kill": len(acked),
        "unsent_at_kill": unsent,
        "restart_s": ready - killed_at[0],
        "on_page_after_restart_s": after_restart,
        "on_page_after_kill_s": on_page - killed_at[0] if on_page else None,
        "all_logged": everything is not None,
        "lost": lost,
        "doubled": doubled,
    }


def bench_crash_postgres() -> dict[str, Any]:
    import psycopg
    from psycopg import sql

    from tests.functions.webhooks.test_crash import Server, burst_to, deliver, drainer_of

    base = os.environ.get("BRAIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        with psycopg.connect(base, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return {"skipped": f"PostgreSQL not reachable: {str(exc).strip()[:80]}"}
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    joiner = "&" if "?" in base else "?"
    url = f"{base}{joiner}options=-c%20search_path%3D{schema}"
    import httpx

    try:
        with tempfile.TemporaryDirectory() as tmp:
            first = Server(Path(tmp), url, name="first")
            second = Server(Path(tmp), url, name="second")
            try:
                first.start(pause_after_append=PAUSE_S)
                second.start(pause_after_append=PAUSE_S)
                killed_at: list[float] = []

                def kill() -> None:
                    victim = drainer_of(first, second)
                    killed_at.append(time.monotonic())
                    victim.kill()

                urls = iter([first.url, second.url] * CRASH_EVENTS)
                acked = burst_to(lambda: next(urls), CRASH_EVENTS, 4,
                                 kill_after=CRASH_EVENTS // 3, kill=kill)  # fmt: skip
                survivor = first if first.process is not None else second
                unsent = survivor.unsent()
                on_page = _wait_on_page(survivor, set(acked))
                with httpx.Client(timeout=5) as client:
                    for seq in range(CRASH_EVENTS):
                        if seq not in acked:
                            deliver(client, survivor.url, seq)
                everything = _wait_on_page(survivor, set(range(CRASH_EVENTS)))
                lost, doubled = _lost_doubled(survivor, set(range(CRASH_EVENTS)))
            finally:
                first.stop()
                second.stop()
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    return {
        "events": CRASH_EVENTS,
        "acked_before_kill": len(acked),
        "unsent_at_kill": unsent,
        "on_page_after_kill_s": on_page - killed_at[0] if on_page else None,
        "all_logged": everything is not None,
        "lost": lost,
        "doubled": doubled,
    }


def _wait_on_page(server: Any, expected: set[int], limit_s: float = 60.0) -> float | None:
    """The monotonic time at which every ``expected`` seq was on the page (None: not within)."""
    from tests.functions.webhooks.test_crash import seqs_on_page

    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if expected <= set(seqs_on_page(server.lines())):
            return time.monotonic()
        time.sleep(0.02)
    return None


def _lost_doubled(server: Any, expected: set[int]) -> tuple[int, int]:
    from tests.functions.webhooks.test_crash import seqs_on_page

    seqs = seqs_on_page(server.lines())
    counts = Counter(seqs)
    return len(expected - set(seqs)), sum(n - 1 for n in counts.values() if n > 1)


# -- the report ------------------------------------------------------------------------------


def run() -> dict[str, Any]:
    """Every figure of the benchmark, in one run."""
    report: dict[str, Any] = {}
    try:
        report["storm"] = bench_storm()
        report["crash_sqlite"] = bench_crash_sqlite()
        report["crash_postgres"] = bench_crash_postgres()
    except ImportError as exc:  # the fakes and harness live in tests/
        report["skipped"] = str(exc)
    return report


def _secs(value: float | None, cutoff: str = "not within the run") -> str:
    return cutoff if value is None else f"{value:.1f} s"


def table(report: dict[str, Any]) -> str:
    if "skipped" in report:
        return f"skipped: {report['skipped']}"
    ours, naive = report["storm"]["ours"], report["storm"]["naive"]
    rows = [
        "| what | this change | previous backoff policy (same run) |",
        "|---|---|---|",
        f"| fault storm on Notion ({ours['events']} events; 12 faults in a row: "
        f"{', '.join(str(s) for s in ours['fault_statuses'])} reached the append; 3 req/s, "
        f"250 ms per call): back at >= {TARGET_LINES_PER_S:.0f} lines/s after the last fault "
        f"(target <= Retry-After + 1 s = {RETRY_AFTER_S + 1} s) | "
        f"{_secs(ours['back_after_s'])} | "
        f"{_secs(naive['back_after_s'], f'not within {NAIVE_CUTOFF_S:.0f} s')} |",
        f"| fault storm: faults seen, first to last | {ours['faults']} in "
        f"{ours['storm_s']:.1f} s | {naive['faults']} in {naive['storm_s']:.1f} s "
        f"(cut off at {NAIVE_CUTOFF_S:.0f} s) |",
        f"| fault storm: whole drain | {ours['seconds']:.1f} s | {ours_or_cut(naive)} |",
        f"| fault storm: lines/s after the storm | {_rate(ours)} | {_rate(naive)} |",
        f"| fault storm: lost / doubled / in order | {_integrity(ours)} | {_integrity(naive)} |",
    ]
    c = report["crash_sqlite"]
    rows += [
        f"| SIGKILL mid-burst, SQLite ({c['acked_before_kill']} of {c['events']} acknowledged "
        f"before the kill; {c['unsent_at_kill']} events unsent in the outbox): every one on the "
        f"page after the restarted server answered (target <= 5 s) | "
        f"{_secs(c['on_page_after_restart_s'])} | lease expiry: 60 s (`lease_ttl_s`) |",
        f"| SIGKILL, SQLite: after the kill (restart included: {c['restart_s']:.1f} s) | "
        f"{_secs(c['on_page_after_kill_s'])} | 60 s + restart |",
        f"| SIGKILL, SQLite: all {c['events']} logged; lost / doubled | "
        f"{c['all_logged']}; {c['lost']} / {c['doubled']} | |",
    ]
    p = report["crash_postgres"]
    if "skipped" in p:
        rows.append(f"| SIGKILL, two instances on PostgreSQL | skipped: {p['skipped']} | |")
    else:
        rows += [
            f"| SIGKILL of the draining instance of two on PostgreSQL "
            f"({p['acked_before_kill']} of {p['events']} acknowledged; {p['unsent_at_kill']} "
            f"events unsent in the outbox): every one on the page "
            f"after the kill (target <= 5 s) | {_secs(p['on_page_after_kill_s'])} | "
            f"lease expiry: 60 s |",
            f"| SIGKILL, PostgreSQL: all {p['events']} logged; lost / doubled | "
            f"{p['all_logged']}; {p['lost']} / {p['doubled']} | |",
        ]
    return "\n".join(rows)


def _integrity(result: dict[str, Any]) -> str:
    if not result["drained"]:
        return f"not drained; {result['doubled']} doubled so far"
    order = "in order" if result["in_order"] else "OUT OF ORDER"
    return f"{result['lost']} / {result['doubled']} / {order}"


def ours_or_cut(result: dict[str, Any]) -> str:
    if result["drained"]:
        return f"{result['seconds']:.1f} s"
    return f"not drained within {NAIVE_CUTOFF_S:.0f} s"


def _rate(result: dict[str, Any]) -> str:
    rate = result["lines_per_s_after"]
    return "-" if rate is None else f"{rate:.0f}"


if __name__ == "__main__":
    print(table(run()))
