"""get_context latency: warm p50/p99 in-process and over loopback HTTP.

Two indexes: the demo index (examples/context-index.md, 138 KB) and a synthetic ~5 MB index
(the demo's domains repeated under distinct names). Every demo task is asked at a 4,000-token
budget after one warm-up pass; "warm" means the snapshot is cached, as in a running service.
HTTP goes through ``brain serve``'s app under uvicorn on 127.0.0.1, one keep-alive client.

    python -m bench.latency
"""

from __future__ import annotations

import json
import re
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from config import load_config
from functions.app import build_app
from functions.runtime import Runtime
from router import sync
from shards import LocalFolderStore, SplitOptions, TiktokenCounter, apply_split, plan_split

ROOT = Path(__file__).resolve().parent.parent
MONOLITH = ROOT / "examples" / "context-index.md"
TASKS = ROOT / "examples" / "tasks.json"
BUDGET = 4_000
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def synthetic(target_bytes: int = 5_000_000) -> str:
    """The demo monolith's domains repeated, each copy under its own domain names."""
    text = MONOLITH.read_text(encoding="utf-8")
    head, _, body = text.partition("\n## ")
    body = "## " + body
    copies = [head]
    n = 0
    while sum(len(c) for c in copies) < target_bytes:
        n += 1
        copies.append(re.sub(r"^## (.+)$", rf"## \1 (unit {n})", body, flags=re.M))
    return "\n\n".join(copies)


def build_workspace(text: str, folder: Path) -> Path:
    store = LocalFolderStore(folder)
    tokenizer = TiktokenCounter()
    apply_split(plan_split(text, tokenizer, SplitOptions()), store)
    sync(store, tokenizer, now=NOW)
    return folder


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000,
        "n": len(ordered),
    }


def timed(call: Callable[[str], Any], tasks: list[str], rounds: int) -> dict[str, float]:
    for task in tasks:  # warm-up: snapshot built, caches filled
        call(task)
    samples = []
    for _ in range(rounds):
        for task in tasks:
            start = time.perf_counter()
            call(task)
            samples.append(time.perf_counter() - start)
    return percentiles(samples)


@contextmanager
def served(runtime: Runtime) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(runtime, drain=False), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def measure(name: str, workspace: Path, tasks: list[str], rounds: int) -> dict[str, Any]:
    # Ranking by words: the cost of ranking by meaning is measured in bench/scale.py, with
    # every passage's vector present (here none would be, and answers would say so).
    config = load_config(workspace=workspace)
    config = config.model_copy(
        update={"context": config.context.model_copy(update={"semantic": "off"})}
    )
    runtime = Runtime(config)
    service = runtime.context_service
    in_process = timed(lambda t: service.get_context(t, BUDGET), tasks, rounds)
    with served(runtime) as url, httpx.Client(base_url=url) as client:

        def over_http(task: str) -> None:
            response = client.post("/context", json={"task": task, "budget": BUDGET})
            response.raise_for_status()

        http = timed(over_http, tasks, rounds)
    size = sum(p.stat().st_size for p in workspace.glob("*.md"))
    shards = len(runtime.context_service.list_shards())
    runtime.close()
    return {"index": name, "bytes": size, "shards": shards, "in_process": in_process, "http": http}


def run(rounds: int = 5) -> dict[str, Any]:
    tasks = [t["task"] for t in json.loads(TASKS.read_text(encoding="utf-8"))]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        demo = build_workspace(MONOLITH.read_text(encoding="utf-8"), Path(tmp) / "demo")
        results.append(measure("demo (138 KB)", demo, tasks, rounds))
        big = build_workspace(synthetic(), Path(tmp) / "big")
        results.append(measure("synthetic (~5 MB)", big, tasks, max(1, rounds // 5)))
    return {"budget": BUDGET, "results": results}


def table(data: dict[str, Any]) -> str:
    lines = [
        f"get_context warm latency, ranking by words, budget {data['budget']} tokens, every "
        "demo task (ranking by meaning too: see the 20 MB section):",
        "",
        "| index | bytes | shards | in-process p50 | in-process p99 | HTTP p50 | HTTP p99 "
        "| calls |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in data["results"]:
        ip, h = r["in_process"], r["http"]
        lines.append(
            f"| {r['index']} | {r['bytes']:,} | {r['shards']} | {ip['p50_ms']:.2f} ms | "
            f"{ip['p99_ms']:.2f} ms | {h['p50_ms']:.2f} ms | {h['p99_ms']:.2f} ms | {ip['n']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
