"""Quality benchmark: needle recall and tokens used on the demo task set, against two baselines.

All figures come from one run over one workspace, built from ``examples/context-index.md``
with ``plan_split``/``apply_split``/``sync`` in a temporary folder:

- **ours**: ``ContextService.get_context(task, budget)`` (redaction on, as served);
- **(a) whole index, cut**: the router page and every shard concatenated (what fetching the
  pages gives), cut to the budget;
- **(b) RAG top-k**: the monolith in fixed 512-token chunks (cl100k tokens, 64-token overlap),
  ranked by BM25 with the same stemmer and stop words, best chunks added while they fit.

A task is recalled when its needle appears verbatim in the returned text. Tuning used the odd
task ids only; the even ids are reported separately as a held-out check.

    python -m bench.quality          # prints a markdown table
"""

from __future__ import annotations

import json
import math
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from router import sync
from router.select import Analyzer, BM25Index, TermBag
from router.service import ContextService
from shards import LocalFolderStore, TiktokenCounter, apply_split, plan_split
from shards.tokens import encoding

ROOT = Path(__file__).resolve().parent.parent
MONOLITH = ROOT / "examples" / "context-index.md"
TASKS = ROOT / "examples" / "tasks.json"
BUDGETS = (2_000, 4_000, 8_000)
CHUNK_TOKENS = 512
CHUNK_OVERLAP = 64
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)

Method = Callable[[str, int], str]


@dataclass(frozen=True)
class Task:
    id: str
    task: str
    needle: str
    domain: str

    @property
    def held_out(self) -> bool:
        """Even ids were never looked at while tuning."""
        return int("".join(c for c in self.id if c.isdigit()) or 0) % 2 == 0


def load_tasks(path: Path = TASKS) -> list[Task]:
    return [
        Task(t["id"], t["task"], t["needle"], t["domain"]) for t in json.loads(path.read_text())
    ]


def build_workspace(folder: Path, tokenizer: TiktokenCounter) -> LocalFolderStore:
    """The demo monolith split into shards plus a router page, as ``brain split`` + ``sync``."""
    store = LocalFolderStore(folder)
    apply_split(plan_split(MONOLITH.read_text(), tokenizer), store)
    sync(store, tokenizer, now=NOW)
    return store


def whole_index(store: LocalFolderStore) -> str:
    """Router page first, then every shard page, as a plain fetch of all pages gives them."""
    pages = [p.id for p in store.list_pages()]
    ordered = ["router", *[p for p in pages if p != "router"]]
    return "\n\n".join(store.read(p).text for p in ordered if p in pages)


def cut_to_budget(text: str, budget: int, tokenizer: TiktokenCounter) -> str:
    """The longest prefix of ``text`` whose count stays within ``budget``."""
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if tokenizer.count(text[:mid]) <= budget:
            low = mid
        else:
            high = mid - 1
    return text[:low]


class ChunkRag:
    """Baseline (b): fixed token windows of the monolith, BM25-ranked, packed best first."""

    def __init__(self, text: str, tokenizer: TiktokenCounter) -> None:
        enc = encoding()
        ids = enc.encode(text, disallowed_special=())
        step = CHUNK_TOKENS - CHUNK_OVERLAP
        self.chunks = [
            enc.decode(ids[i : i + CHUNK_TOKENS])
            for i in range(0, max(len(ids) - CHUNK_OVERLAP, 1), step)
        ]
        self.analyzer = Analyzer()
        self.index = BM25Index([TermBag.of(self.analyzer.words(c)) for c in self.chunks])
        self.tokenizer = tokenizer

    def __call__(self, task: str, budget: int) -> str:
        query = {t: 1.0 for t in self.analyzer.words(task)}
        scores = self.index.scores(query)
        ranked = sorted(scores, key=lambda d: (-scores[d], d))
        picked: list[str] = []
        for doc in ranked:
            trial = "\n\n".join([*picked, self.chunks[doc]])
            if self.tokenizer.count(trial) <= budget:
                picked.append(self.chunks[doc])
        return "\n\n".join(picked)


def _score(
    method: Method, tasks: Sequence[Task], budget: int, tokenizer: TiktokenCounter
) -> dict[str, Any]:
    hits: list[bool] = []
    used: list[int] = []
    for task in tasks:
        text = method(task.task, budget)
        tokens = tokenizer.count(text)
        assert tokens <= budget, (task.id, tokens, budget)
        hits.append(task.needle in text)
        used.append(tokens)
    tune = [h for h, t in zip(hits, tasks, strict=True) if not t.held_out]
    held = [h for h, t in zip(hits, tasks, strict=True) if t.held_out]
    return {
        "recall": sum(hits) / len(hits),
        "recall_tune": sum(tune) / max(len(tune), 1),
        "recall_held_out": sum(held) / max(len(held), 1),
        "mean_tokens": statistics.fmean(used),
        "missed": [t.id for h, t in zip(hits, tasks, strict=True) if not h],
    }


def _latency(service: ContextService, tasks: Sequence[Task], budget: int) -> dict[str, float]:
    for task in tasks:  # warm: snapshot built, tokenizer and stemmer caches filled
        service.get_context(task.task, budget)
    times: list[float] = []
    for _ in range(5):
        for task in tasks:
            start = time.perf_counter()
            service.get_context(task.task, budget)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p99_ms": times[min(len(times) - 1, math.ceil(0.99 * len(times)) - 1)],
        "calls": len(times),
    }


def _top_shard(service: ContextService, tasks: Sequence[Task]) -> float:
    """Share of tasks whose best-scored shard is the needle's domain."""
    right = 0
    for task in tasks:
        manifest = service.get_context(task.task, 4_000).shards
        best = max(manifest, key=lambda s: (s.score, s.id))
        right += best.title == task.domain
    return right / len(tasks)


def run() -> dict[str, Any]:
    """Every figure of the benchmark, from one workspace and one tokenizer."""
    tokenizer = TiktokenCounter()
    tasks = load_tasks()
    with tempfile.TemporaryDirectory() as folder:
        store = build_workspace(Path(folder), tokenizer)
        service = ContextService(store, tokenizer)
        whole = whole_index(store)
        monolith = MONOLITH.read_text()
        rag = ChunkRag(monolith, tokenizer)
        methods: dict[str, Method] = {
            "ours": lambda task, budget: service.get_context(task, budget).context,
            "whole index, cut": lambda task, budget: cut_to_budget(whole, budget, tokenizer),
            "RAG top-k 512": rag,
        }
        results = {
            name: {str(b): _score(m, tasks, b, tokenizer) for b in BUDGETS}
            for name, m in methods.items()
        }
        return {
            "tasks": len(tasks),
            "held_out": sum(t.held_out for t in tasks),
            "whole_index_tokens": tokenizer.count(whole),
            "monolith_tokens": tokenizer.count(monolith),
            "results": results,
            "top_shard_right": _top_shard(service, tasks),
            "latency_in_process": {str(b): _latency(service, tasks, b) for b in (2_000, 4_000)},
        }


def table(report: dict[str, Any]) -> str:
    whole = report["whole_index_tokens"]
    lines = [
        f"Demo task set: {report['tasks']} tasks ({report['held_out']} held out: even ids); "
        f"whole index {whole:,} tokens (monolith {report['monolith_tokens']:,}).",
        "",
        "| method | budget | recall | recall (tuned half) | recall (held out) "
        "| mean tokens | % of whole index |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, per_budget in report["results"].items():
        for budget, r in per_budget.items():
            lines.append(
                f"| {name} | {int(budget):,} | {r['recall']:.1%} | {r['recall_tune']:.1%} "
                f"| {r['recall_held_out']:.1%} | {r['mean_tokens']:,.0f} "
                f"| {r['mean_tokens'] / whole:.1%} |"
            )
    lines += ["", f"Right shard ranked first (ours): {report['top_shard_right']:.1%}", ""]
    lines += ["| warm get_context, in-process | p50 | p99 |", "|---|---:|---:|"]
    for budget, lat in report["latency_in_process"].items():
        lines.append(
            f"| budget {int(budget):,} | {lat['p50_ms']:.2f} ms | {lat['p99_ms']:.2f} ms |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
