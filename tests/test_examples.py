"""Consistency checks for the demo data in examples/ (monolith + needle task set)."""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MONOLITH = EXAMPLES / "context-index.md"
TASKS = EXAMPLES / "tasks.json"

SECRET_PATTERNS = [
    r"sk_live_[0-9a-zA-Z]{10,}",
    r"ghp_[0-9A-Za-z]{20,}",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"xox[baprs]-[0-9A-Za-z-]{10,}",
    r"AKIA[0-9A-Z]{16}",
]


def _text() -> str:
    return MONOLITH.read_bytes().decode("utf-8")


def _domains(text: str) -> list[str]:
    """Texts of `## ` headings that are not inside fenced code blocks."""
    domains: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        stripped = line.lstrip()
        marker = stripped[:3]
        if marker in ("```", "~~~"):
            if fence is None:
                fence = marker
            elif marker == fence:
                fence = None
            continue
        if fence is None and line.startswith("## "):
            domains.append(line[3:].strip())
    assert fence is None, "unclosed code fence in the monolith"
    return domains


def _tasks() -> list[dict[str, str]]:
    tasks: list[dict[str, str]] = json.loads(TASKS.read_text(encoding="utf-8"))
    return tasks


def test_monolith_size_and_encoding() -> None:
    data = MONOLITH.read_bytes()
    assert len(data) >= 120_000
    data.decode("utf-8")  # raises if not valid UTF-8


def test_monolith_has_domains() -> None:
    text = _text()
    assert text.startswith("# Context Index — ")
    assert len(_domains(text)) >= 6


def test_tasks_shape_and_unique_ids() -> None:
    tasks = _tasks()
    assert isinstance(tasks, list)
    assert len(tasks) >= 40
    for task in tasks:
        assert set(task) >= {"id", "task", "needle", "domain"}, task
        assert all(isinstance(task[k], str) and task[k] for k in ("id", "task", "needle"))
    ids = [t["id"] for t in tasks]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]


@pytest.mark.parametrize("task", _tasks(), ids=lambda t: t["id"])
def test_needle_occurs_exactly_once(task: dict[str, str]) -> None:
    needle = task["needle"]
    assert "\n" not in needle
    assert 40 <= len(needle) <= 200
    assert _text().count(needle) == 1


def test_task_domains_exist_and_are_covered() -> None:
    domains = set(_domains(_text()))
    tasks = _tasks()
    unknown = {t["domain"] for t in tasks} - domains
    assert not unknown, f"tasks name unknown domains: {unknown}"
    per_domain = Counter(t["domain"] for t in tasks)
    thin = {d: per_domain.get(d, 0) for d in domains if per_domain.get(d, 0) < 4}
    assert not thin, f"domains with fewer than 4 tasks: {thin}"


@pytest.mark.parametrize("pattern", SECRET_PATTERNS)
def test_monolith_has_no_secret_values(pattern: str) -> None:
    assert re.search(pattern, _text()) is None


# -- the second evaluation index (examples/eval-ops, issue 10) ---------------------------------


def test_ops_index_is_large_and_has_no_deep_headings() -> None:
    from bench.eval_sets import load

    ops = load("ops")
    text = ops.text
    assert len(text.encode()) >= 150 * 1024
    assert "\n#### " not in text
    assert "<details>" in text


def test_ops_tasks_have_unique_one_line_needles_and_the_paraphrase_targets() -> None:
    from bench.eval_sets import HARD, KINDS, check, load, overlaps

    ops = load("ops")
    assert check(ops) == []
    assert len(ops.tasks) >= 48
    assert {t.kind for t in ops.tasks} == set(KINDS)
    values = overlaps(ops)
    assert sum(values.values()) / len(values) <= 0.35
    hard = [i for i, v in values.items() if v <= HARD]
    assert len(hard) >= 12
    by_id = {t.id: t for t in ops.tasks}
    assert all(2 <= len(by_id[i].hints) <= 4 for i in hard)
    assert any(t.held_out for t in ops.tasks) and any(not t.held_out for t in ops.tasks)


# -- the third evaluation index (examples/eval-vet): never tuned on ------------------------------


def test_vet_index_is_large_with_few_sub_headings_and_no_secrets() -> None:
    from bench.eval_sets import load

    text = load("vet").text
    assert len(text.encode()) >= 150 * 1024
    assert text.count("\n#### ") <= 5
    assert "<details>" in text
    assert not any(re.search(p, text) for p in SECRET_PATTERNS)


def test_vet_tasks_are_all_held_out_with_unique_needles_and_hard_paraphrases() -> None:
    from bench.eval_sets import HARD, KINDS, check, load, overlaps

    vet = load("vet")
    assert check(vet) == []
    assert len(vet.tasks) >= 48
    assert len({t.id for t in vet.tasks}) == len(vet.tasks)
    assert {t.kind for t in vet.tasks} == set(KINDS)
    assert all(t.held_out for t in vet.tasks)  # never tuned on, not even half
    values = overlaps(vet)
    assert sum(values.values()) / len(values) <= 0.35
    assert sum(v <= HARD for v in values.values()) >= 12
    for task in vet.tasks:
        if task.kind == "multi-domain":
            assert len(task.needles) == 2 and " + " in task.domain, task.id


@pytest.mark.parametrize("name", ["ops", "vet"])
def test_every_task_carries_blind_hints_that_quote_no_needle(name: str) -> None:
    """Every ops and vet task has the 2-4 hints a caller would send, written from the task
    alone: no hint repeats four consecutive words of a needle (a hint copied from the answer
    would flatter the "ours + hints" figure)."""
    from bench.eval_sets import load

    def runs(text: str) -> set[tuple[str, ...]]:
        words = text.lower().split()
        return {tuple(words[n : n + 4]) for n in range(len(words) - 3)}

    for task in load(name).tasks:
        assert 2 <= len(task.hints) <= 4, task.id
        assert not task.first_hints or 2 <= len(task.first_hints) <= 4, task.id
        quoted = set().union(*(runs(n) for n in task.needles))
        for hint in task.hints + task.first_hints:
            assert not runs(hint) & quoted, (task.id, hint)
