"""Section ranking on arrays takes shortcuts that must give what plain code gives: the best
two passages of each section without sorting every hit, the k best hits without ranking them
all, and each section's hits ranked best first only when packing reads them."""

from __future__ import annotations

import heapq
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router._ranking import _top_two_per_run
from router.select import free_candidates, select
from router.snapshot import IndexSnapshot
from shards import TiktokenCounter
from tests.router.helpers import build_snapshot

runs_strategy = st.lists(
    st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.5, 1.0, 1.5, 2.0]), min_size=1, max_size=6),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(runs=runs_strategy)
def test_the_top_two_of_each_run_are_those_of_a_sort(runs: list[list[float]]) -> None:
    values = np.array([v for run in runs for v in run], dtype=np.float64)
    first = np.cumsum([0] + [len(run) for run in runs[:-1]]).astype(np.int64)
    best, second = _top_two_per_run(values, first)
    for n, run in enumerate(runs):
        ranked = sorted(run, reverse=True)
        assert best[n] == ranked[0]
        assert second[n] == (ranked[1] if len(ranked) > 1 else 0.0)  # a tie is its own


ROOT = Path(__file__).resolve().parents[2]
TASKS = [t["task"] for t in json.loads((ROOT / "examples" / "tasks.json").read_text("utf-8"))][::8]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, tokenizer: TiktokenCounter) -> IndexSnapshot:
    text = (ROOT / "examples" / "context-index.md").read_text(encoding="utf-8")
    return build_snapshot(tmp_path_factory.mktemp("demo"), tokenizer, text)


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("k", [1, 3, 8, 1000])
def test_the_k_best_hits_are_those_of_a_heap_over_every_hit(
    demo: IndexSnapshot, task: str, k: int
) -> None:
    free = free_candidates(select(demo, task).candidates)
    every = heapq.nsmallest(k, ((-s, n) for n, c in enumerate(free) for _, s in c.hits))
    assert free.best_hits(k) == every  # type: ignore[attr-defined]
    if k == 1000:
        assert len(every) > 10  # (the task matches: the check compares many hits)


@pytest.mark.parametrize("task", TASKS)
def test_each_sections_hits_are_ranked_best_first_ties_in_passage_order(
    demo: IndexSnapshot, task: str
) -> None:
    read = 0
    for candidate in select(demo, task).candidates:
        hits = list(candidate.hits)
        assert hits == sorted(hits, key=lambda h: (-h[1], h[0]))
        assert candidate.passages == tuple(hits)
        read += bool(hits)
    assert read > 3
