"""Index maintenance: how long `brain split` and `brain sync` take, and how big the router is.

Inputs: the demo index (examples/context-index.md, ~138 KB, seven domains) and synthetic
indexes of ~2.5 MB and ~5 MB built from the demo's domains: 40 domains, each one of the demo's
domains with its subsections repeated under their own numbered headings (so no two texts
are the same and the token cache cannot flatter the figures). Those domains are far over
``max_shard_tokens`` and get cut into parts, so the large runs also exercise that path.

For each input, three timed phases, each the median of three runs on a fresh workspace:

- **split**: ``plan_split`` + ``apply_split`` (parse, count tokens, describe, write shards);
- **sync, cold**: the first sync after the split (every shard's header gets its machine
  fields; this is what ``brain split`` runs next, and what a first ``brain sync`` does);
- **sync, warm**: a sync with nothing changed (reads and hashes every page, writes nothing);
- **sync, one edited**: one shard edited by hand, then a sync.

Every phase starts from a fresh token counter, as a new ``brain`` process would; the
cl100k_base ranks are loaded once before timing. Throughput is input bytes per second, so
the rows can be compared for linearity. Writes are real (temp file, fsync, rename).

    python -m bench.index        # or: make bench (writes BENCHMARKS.md)
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from router import sync
from shards import LocalFolderStore, SplitOptions, TiktokenCounter, apply_split, plan_split
from shards.tokens import encoding

ROOT = Path(__file__).resolve().parent.parent
MONOLITH = ROOT / "examples" / "context-index.md"
ROUTER_REFERENCE_BYTES = 6_656  # 6.5 KB for six shards, from the reference operation
REPEATS = 3
DOMAINS = 40
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def demo_text() -> str:
    if not MONOLITH.exists():
        raise SystemExit(f"{MONOLITH} is missing: the index benchmark runs on the demo data")
    return MONOLITH.read_text(encoding="utf-8")


def synthetic(target_bytes: int, domains: int = DOMAINS) -> str:
    """``domains`` demo-like domains adding up to about ``target_bytes``.

    Domain ``d`` is the demo's domain ``d % 7`` under a numbered title; its ``### ``
    subsections are cycled through, each copy's headings numbered, until the domain reaches
    its share of the target.
    """
    text = demo_text()
    head, _, rest = text.partition("\n## ")
    sources = [f"## {chunk}" for chunk in rest.split("\n## ")]
    share = target_bytes // domains
    out = [head.strip()]
    for d in range(domains):
        title_line, _, body = sources[d % len(sources)].partition("\n")
        lead, *subsections = body.split("\n### ")
        parts = [f"{title_line} (unit {d})", lead.strip()]
        size, n = sum(len(p) for p in parts), 0
        while size < share and subsections:
            sub = "### " + subsections[n % len(subsections)].strip()
            copy = n // len(subsections) + 1
            numbered = re.sub(r"^(#{3,6}) (.+)$", rf"\1 \2 (u{d}.{copy})", sub, flags=re.M)
            parts.append(numbered)
            size += len(numbered) + 2
            n += 1
        out.append("\n\n".join(parts))
    return "\n\n".join(out) + "\n"


def _median_time(setup: Callable[[], Any], action: Callable[[Any], Any]) -> tuple[float, Any]:
    """Median wall time of ``action(setup())`` over REPEATS runs, and the last result."""
    times, result = [], None
    for _ in range(REPEATS):
        state = setup()
        start = time.perf_counter()
        result = action(state)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure(name: str, text: str, scratch: Path) -> dict[str, Any]:
    size = len(text.encode())
    options = SplitOptions()
    runs = iter(range(10_000))

    def fresh_store() -> LocalFolderStore:
        return LocalFolderStore(scratch / f"{name}-{next(runs)}")

    intro = ""

    def split(store: LocalFolderStore) -> LocalFolderStore:
        nonlocal intro
        plan = plan_split(text, TiktokenCounter(), options)
        apply_split(plan, store)
        intro = plan.intro  # the router's notes on a first split, as `brain split` does
        return store

    def split_store() -> LocalFolderStore:
        return split(fresh_store())

    def synced_store() -> LocalFolderStore:
        store = split_store()
        sync(store, TiktokenCounter(), now=NOW, seed_notes=intro)
        return store

    def edited_store() -> LocalFolderStore:
        store = synced_store()
        first = min(ref.id for ref in store.list_pages() if ref.id != "router")
        page = store.read(first).text
        store.write(first, page + "\nEdited by hand: the on-call rota moved to Thursdays.\n")
        return store

    def run_sync(store: LocalFolderStore) -> Any:
        return sync(store, TiktokenCounter(), now=NOW + timedelta(hours=1), seed_notes=intro)

    split_s, _ = _median_time(fresh_store, split)
    cold_s, cold = _median_time(split_store, run_sync)
    warm_s, warm = _median_time(synced_store, run_sync)
    edit_s, edited = _median_time(edited_store, run_sync)
    assert not warm.changed and not warm.router_changed, "a warm sync must write nothing"
    assert len(edited.changed) == 1, edited.changed
    return {
        "name": name,
        "bytes": size,
        "shards": len(cold.shards),
        "router_bytes": cold.router_bytes,
        "invalid": len(cold.invalid),
        "anomalies": len(cold.anomalies),
        "split_s": split_s,
        "sync_cold_s": cold_s,
        "sync_warm_s": warm_s,
        "sync_one_edited_s": edit_s,
        "split_bytes_per_s": size / split_s,
        "sync_cold_bytes_per_s": size / cold_s,
        "sync_warm_bytes_per_s": size / warm_s,
        "sync_one_edited_bytes_per_s": size / edit_s,
    }


def run() -> dict[str, Any]:
    """Measure the demo index and the 2.5 MB and 5 MB synthetic ones."""
    encoding()  # load the ranks once, outside every timing
    inputs = [
        ("demo", demo_text()),
        ("synthetic 2.5 MB", synthetic(2_500_000)),
        ("synthetic 5 MB", synthetic(5_000_000)),
    ]
    with tempfile.TemporaryDirectory(prefix="bench-index-") as scratch:
        rows = [measure(name, text, Path(scratch)) for name, text in inputs]
    demo = rows[0]
    return {
        "repeats": REPEATS,
        "rows": rows,
        "router": {
            "demo_shards": demo["shards"],
            "demo_router_bytes": demo["router_bytes"],
            "reference_bytes": ROUTER_REFERENCE_BYTES,
            "reference_shards": 6,
        },
    }


def _mb(value: float) -> str:
    return f"{value / 1e6:.2f}"


def table(result: dict[str, Any]) -> str:
    """The results as markdown tables."""
    lines = [
        f"Median of {result['repeats']} runs, fresh workspace and token counter each run; "
        "MB/s is input size over time (constant MB/s means linear cost).",
        "",
        "| index | size | shards | split | MB/s | sync cold | MB/s | sync warm | MB/s "
        "| sync, one edited | MB/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["rows"]:
        lines.append(
            f"| {row['name']} | {_mb(row['bytes'])} MB | {row['shards']} "
            f"| {row['split_s']:.2f} s | {_mb(row['split_bytes_per_s'])} "
            f"| {row['sync_cold_s']:.2f} s | {_mb(row['sync_cold_bytes_per_s'])} "
            f"| {row['sync_warm_s']:.3f} s | {_mb(row['sync_warm_bytes_per_s'])} "
            f"| {row['sync_one_edited_s']:.3f} s | {_mb(row['sync_one_edited_bytes_per_s'])} |"
        )
    router = result["router"]
    rows = result["rows"]
    lines += [
        "",
        "| router page | shards | bytes | vs 6.5 KB reference (6 shards) |",
        "|---|---:|---:|---:|",
        f"| demo index | {router['demo_shards']} | {router['demo_router_bytes']:,} "
        f"| {router['demo_router_bytes'] / router['reference_bytes']:.0%} |",
    ]
    for row in rows[1:]:
        lines.append(
            f"| {row['name']} | {row['shards']} | {row['router_bytes']:,} "
            f"| {row['router_bytes'] / router['reference_bytes']:.0%} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
