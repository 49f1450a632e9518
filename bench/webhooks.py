"""Webhook logger benchmark: how fast signed webhooks are accepted, how fast they are logged.

All figures come from one run:

- **accept**: a real ``brain serve`` process (``python -m functions.cli serve``: uvicorn,
  SQLite outbox in WAL mode, the drainer running against the local workspace) on loopback;
  ``SENDERS`` threads with one ``httpx.Client`` each POST ``REQUESTS`` ``hmac-sha256``-signed
  webhooks (signed before the clock starts). Accepted requests/s over the wall time, and
  p50/p99 latency per request. The senders share the machine (and Python's GIL) with the
  server, so this is a floor, not a ceiling.
- **drain**: ``DRAIN_EVENTS`` events queued in a SQLite outbox, drained to a log page that
  takes 3 requests per second (a local-folder store that sleeps to keep every request —
  read, write, tail, append — at least 1/3 s apart, as Notion's average allows), by our
  drainer (100 lines per append) and by the one-request-per-event baseline (what the
  reference implementation did) over ``BASELINE_EVENTS`` events, in the same run.
- **drain, Notion**: the same against ``NotionStore`` and the loopback Notion API fake with
  its rate limit at 3 requests/s (429 + Retry-After past it), the store's own client-side
  limiter at 3/s.

Drain throughput is measured on an existing log page (a running log already has one); the
time to create it is reported separately.

    python -m bench.webhooks          # prints a markdown table
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from functions.webhooks.drain import Drainer, DrainOptions
from functions.webhooks.logline import format_line
from functions.webhooks.outbox import SqlOutbox, open_outbox
from functions.webhooks.schemes import get_scheme
from shards import ClaudeDelta, LocalFolderStore, PageRef, PageStore, StoredPage, render_page

ROOT = Path(__file__).resolve().parent.parent
SENDERS = 8
REQUESTS = 3000
DRAIN_EVENTS = 1000
BASELINE_EVENTS = 30
NOTION_BASELINE_EVENTS = 15
RATE = 3.0  # requests per second the log page takes
SECRET = "bench-webhook-secret"
PAGE = "webhook-log"


# -- accept ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    config = folder / "brain.toml"
    config.write_text(
        '[store]\nkind = "local"\npath = "workspace"\n'
        f'[webhooks]\nlog_page = "{PAGE}"\n'
        '[webhooks.sources.bench]\nscheme = "hmac-sha256"\nsecrets = ["env:BENCH_SECRET"]\n'
    )
    (folder / "workspace").mkdir(exist_ok=True)  # brain serve refuses a missing workspace
    log = folder / "serve.log"
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "functions.cli", "serve", "--config", str(config),
         "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "BENCH_SECRET": SECRET},
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    said = log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"brain serve did not start within 30 s; it said:\n{said}")


def _signed(n: int) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps({"event": "bench", "n": n, "message": "Hello", "sender": "bench"})
    headers = get_scheme("hmac-sha256").sign(
        body, SECRET, now=datetime.now(UTC), delivery_id=f"bench-{n}"
    )
    headers["Content-Type"] = "application/json"
    return body, headers


def bench_accept(requests: int = REQUESTS, senders: int = SENDERS) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        process, url = _serve(folder)
        try:
            deliveries = [_signed(n) for n in range(requests)]
            with httpx.Client() as warm:  # one request outside the clock: imports, first open
                warm.post(f"{url}/webhooks/bench", content=deliveries[0][0],
                          headers=deliveries[0][1])  # fmt: skip
            todo = iter(deliveries[1:])
            lock = threading.Lock()
            latencies: list[float] = []
            statuses: dict[int, int] = {}

            def sender() -> None:
                mine: list[float] = []
                with httpx.Client(timeout=30) as client:
                    while True:
                        with lock:
                            item = next(todo, None)
                        if item is None:
                            break
                        start = time.perf_counter()
                        response = client.post(f"{url}/webhooks/bench", content=item[0],
                                               headers=item[1])  # fmt: skip
                        mine.append(time.perf_counter() - start)
                        code = response.status_code
                        with lock:
                            statuses[code] = statuses.get(code, 0) + 1
                with lock:
                    latencies.extend(mine)

            threads = [threading.Thread(target=sender) for _ in range(senders)]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - start
            drained_after = _wait_drained(folder, requests)
        finally:
            process.terminate()
            process.wait(30)
    cuts = statistics.quantiles(latencies, n=100)
    accepted = statuses.get(202, 0)
    return {
        "requests": len(latencies),
        "senders": senders,
        "accepted": accepted,
        "statuses": statuses,
        "accepted_per_s": accepted / wall,
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
        "drained_after_s": drained_after,
    }


def _wait_drained(folder: Path, expected: int) -> float | None:
    """Seconds after the burst until every event is on the page (the drainer ran meanwhile)."""
    page = folder / "workspace" / f"{PAGE}.md"
    start = time.perf_counter()
    while time.perf_counter() - start < 60:
        if page.exists() and page.read_text(encoding="utf-8").count("🔔") >= expected:
            return time.perf_counter() - start
        time.sleep(0.05)
    return None


# -- drain -----------------------------------------------------------------------------------


class RateLimited:
    """A page store that takes ``rate`` requests per second: each call waits for its slot."""

    def __init__(self, inner: PageStore, rate: float = RATE) -> None:
        self.inner = inner
        self.interval = 1.0 / rate
        self.requests = 0
        self._next = 0.0
        self._lock = threading.Lock()

    def _slot(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
            self.requests += 1
        if slot > now:
            time.sleep(slot - now)

    def list_pages(self) -> list[PageRef]:
        return self.inner.list_pages()

    def read(self, page_id: str) -> StoredPage:
        self._slot()
        return self.inner.read(page_id)

    def write(self, page_id: str, text: str) -> PageRef:
        self._slot()
        return self.inner.write(page_id, text)

    def append(self, page_id: str, lines: Sequence[str]) -> None:
        self._slot()
        self.inner.append(page_id, lines)

    def tail(self, page_id: str, count: int) -> list[str]:
        self._slot()
        return self.inner.tail(page_id, count)

    def url(self, page_id: str) -> str:
        return self.inner.url(page_id)


def _queue(outbox: SqlOutbox, count: int, tag: str) -> list[str]:
    lines = []
    for n in range(count):
        at = datetime.now(UTC)
        line = format_line(at, "bench", "bench", {"n": n, "run": tag, "sender": "bench"})
        outbox.accept(source="bench", delivery_key=f"{tag}-{n}", line=line, log_page=PAGE,
                      received_at=at)  # fmt: skip
        lines.append(line)
    return lines


def _log_header() -> str:
    header = ClaudeDelta(page_type="log", id=PAGE, title="Webhook log", summary="bench")
    return render_page(header, "")


def _drain_ours(store: PageStore, outbox: SqlOutbox, count: int) -> dict[str, float]:
    _queue(outbox, count, f"ours-{id(store)}")
    drainer = Drainer(outbox, store, DrainOptions(batch=100))
    start = time.perf_counter()
    results = drainer.drain([PAGE])
    took = time.perf_counter() - start
    appended = sum(r.appended for r in results)
    errors = [r.error for r in results if r.error]
    if appended != count or errors:
        raise RuntimeError(f"drained {appended} of {count}: {errors}")
    return {"lines": count, "seconds": took, "lines_per_s": count / took}


def _drain_baseline(store: PageStore, count: int) -> dict[str, float]:
    """One append request per event, as the reference implementation logged."""
    lines = [
        format_line(datetime.now(UTC), "bench", "bench", {"n": n, "run": "baseline"})
        for n in range(count)
    ]
    start = time.perf_counter()
    for line in lines:
        store.append(PAGE, [line])
    took = time.perf_counter() - start
    return {"lines": count, "seconds": took, "lines_per_s": count / took}


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_drain_local(
    events: int = DRAIN_EVENTS, baseline: int = BASELINE_EVENTS
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with open_outbox(f"sqlite:///{folder / 'state.sqlite3'}") as outbox:
            store = RateLimited(LocalFolderStore(folder / "workspace"))
            create_s = _timed(lambda: store.write(PAGE, _log_header()))
            ours = _drain_ours(store, outbox, events)
            base = _drain_baseline(store, baseline)
            text = (folder / "workspace" / f"{PAGE}.md").read_text(encoding="utf-8")
            assert text.count("🔔") == events + baseline
    return {"ours": ours, "baseline": base, "create_page_s": create_s}


def bench_drain_notion(
    events: int = DRAIN_EVENTS, baseline: int = NOTION_BASELINE_EVENTS
) -> dict[str, Any]:
    from shards.notion import NotionOptions, NotionStore
    from tests.notion_fake import NotionFake

    fake = NotionFake(requests_per_second=RATE, retry_after=1)
    with fake, tempfile.TemporaryDirectory() as tmp:
        store = NotionStore(
            NotionOptions(
                token=fake.token,
                root_page_id=fake.root_id,
                base_url=fake.url,
                requests_per_second=RATE,
            )
        )
        try:
            with open_outbox(f"sqlite:///{Path(tmp) / 'state.sqlite3'}") as outbox:
                create_s = _timed(lambda: store.write(PAGE, _log_header()))
                before = len(fake.requests)
                ours = _drain_ours(store, outbox, events)
                ours["requests"] = len(fake.requests) - before
                ours["rate_limited"] = sum(1 for r in fake.requests[before:] if r.status == 429)
                base = _drain_baseline(store, baseline)
        finally:
            store.close()
        appended = sum(
            len(r.body.get("children", [])) for r in fake.requests_to("PATCH", "/children")
            if r.status == 200 and isinstance(r.body, dict)
        )  # fmt: skip
        assert appended == events + baseline, appended
        assert not fake.errors, fake.errors
    return {"ours": ours, "baseline": base, "create_page_s": create_s}


def run() -> dict[str, Any]:
    """Every figure of the benchmark, in one run."""
    report: dict[str, Any] = {"accept": bench_accept(), "drain_local": bench_drain_local()}
    try:
        report["drain_notion"] = bench_drain_notion()
    except ImportError as exc:  # the fake lives in tests/: absent from an installed package
        report["drain_notion"] = {"skipped": str(exc)}
    return report


def table(report: dict[str, Any]) -> str:
    a = report["accept"]
    rows = [
        "| what | figure |",
        "|---|---|",
        f"| accepted webhooks/s ({a['requests']} signed requests, {a['senders']} senders, "
        f"loopback, `brain serve` with SQLite outbox) | {a['accepted_per_s']:.0f} |",
        f"| accept latency p50 / p99 | {a['p50_ms']:.1f} ms / {a['p99_ms']:.1f} ms |",
        f"| answers | {', '.join(f'{k}: {v}' for k, v in sorted(a['statuses'].items()))} |",
    ]
    if a["drained_after_s"] is not None:
        rows.append(
            f"| all {a['requests'] + 1} lines on the local page (no rate limit) | "
            f"{a['drained_after_s']:.1f} s after the last answer |"
        )
    for key, name in (("drain_local", "3 req/s local page"), ("drain_notion", "Notion fake")):
        d = report.get(key, {})
        if "ours" not in d:
            rows.append(f"| drain, {name} | skipped: {d.get('skipped', '?')} |")
            continue
        ours, base = d["ours"], d["baseline"]
        rows += [
            f"| drain, {name}: ours, 100 lines/append ({ours['lines']} events) | "
            f"{ours['lines_per_s']:.0f} lines/s ({ours['seconds']:.1f} s) |",
            f"| drain, {name}: baseline, one request per event ({base['lines']} events) | "
            f"{base['lines_per_s']:.2f} lines/s ({base['seconds']:.1f} s) |",
            f"| drain, {name}: ratio | {ours['lines_per_s'] / base['lines_per_s']:.0f}x |",
        ]
        if "requests" in ours:
            rows.append(
                f"| drain, {name}: API requests for {ours['lines']} lines (429s) | "
                f"{ours['requests']} ({ours['rate_limited']}) |"
            )
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(run()))
