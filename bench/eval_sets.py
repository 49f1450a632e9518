"""The two evaluation corpora, their tasks, and how far each task paraphrases its answer.

- **demo**: ``examples/context-index.md`` + ``examples/tasks.json`` (the project's own demo:
  short ``###`` sections, tasks written by the hand that wrote the ranking);
- **ops**: ``examples/eval-ops/index.md`` + ``examples/eval-ops/tasks.json``, written for
  issue 10 *before* any ranking change: long pages with few sub-headings (pasted articles,
  meeting notes, decision logs), tasks with several kinds and paraphrased needles;
- **vet**: ``examples/eval-vet/``, written later by another hand that saw neither the ranking
  code nor the other corpora, and never tuned on: every task is held out.

**Overlap** of a task: the share of its distinct content words (lowercased, stop words out,
Snowball English stems from PyStemmer) that also occur in its needle's paragraph (the
blank-line-delimited markdown block holding the needle; for a task with several needles, the
union of their paragraphs). A task at or below :data:`HARD` is a *hard paraphrase*. The stop
list here is fixed and independent of the router's analyzer, so changing the ranking cannot
move these numbers.

**Halves**: fixed once, by id: a task whose number is odd is in the tuning half, even in the
held-out half (demo and ops); every vet task is held out. Tuning looks at the tuning half only.

    python -m bench.eval_sets              # per-corpus overlap summary, then the ops tuning tasks
    python -m bench.eval_sets --held-out   # ... and the held-out ones (not while tuning)
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import Stemmer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
#: A task sharing at most this share of its content words with its answer is a hard paraphrase.
HARD = 0.20
KINDS = ("lookup", "how-to", "decision", "multi-domain")

#: Function words (a common English list; fixed here so the measure never drifts).
STOP = frozenset(
    """a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can cannot could couldn't did didn't do does doesn't
    doing don't down during each few for from further had hadn't has hasn't have haven't having
    he her here hers herself him himself his how i if in into is isn't it it's its itself just
    let me more most my myself no nor not now of off on once only or other ought our ours
    ourselves out over own same she should shouldn't so some such than that the their theirs
    them themselves then there these they this those through to too under until up very was
    wasn't we were weren't what when where which while who whom why will with won't would
    wouldn't you your yours yourself yourselves s t d ll re ve m also get got us whats what's
    i'm""".split()
)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Task:
    id: str
    task: str
    needles: tuple[str, ...]
    kind: str = ""
    domain: str = ""
    hints: tuple[str, ...] = ()
    #: Hints of an earlier roll, kept to compare with ``hints`` (vet: written under the
    #: MCP description before it asked hints to cover both parts of a two-part task).
    first_hints: tuple[str, ...] = ()
    never_tuned: bool = False  # the task's corpus is held out whole

    @property
    def number(self) -> int:
        return int("".join(c for c in self.id if c.isdigit()) or 0)

    @property
    def held_out(self) -> bool:
        """Never looked at while tuning: even ids (the fixed rule), and every task of a
        corpus held out whole."""
        return self.never_tuned or self.number % 2 == 0


@dataclass(frozen=True)
class Corpus:
    name: str
    monolith: Path
    tasks_path: Path
    tasks: tuple[Task, ...] = field(default=(), compare=False)

    @property
    def text(self) -> str:
        return self.monolith.read_text(encoding="utf-8")


#: name -> (monolith, tasks), under examples/
FILES = {
    "demo": ("context-index.md", "tasks.json"),
    "ops": ("eval-ops/index.md", "eval-ops/tasks.json"),
    "vet": ("eval-vet/index.md", "eval-vet/tasks.json"),
}
#: Corpora held out whole: never tuned on, not even half.
NEVER_TUNED = frozenset({"vet"})


def _task(raw: dict[str, object], never_tuned: bool = False) -> Task:
    needles = raw.get("needles") or [raw["needle"]]
    assert isinstance(needles, list)
    hints = raw.get("hints") or []
    first = raw.get("first_hints") or []
    assert isinstance(hints, list) and isinstance(first, list)
    return Task(
        id=str(raw["id"]),
        task=str(raw["task"]),
        needles=tuple(str(n) for n in needles),
        kind=str(raw.get("kind", "")),
        domain=str(raw.get("domain", "")),
        hints=tuple(str(h) for h in hints),
        first_hints=tuple(str(h) for h in first),
        never_tuned=never_tuned,
    )


def load(name: str) -> Corpus:
    """A corpus of :data:`FILES`, with its tasks."""
    if name not in FILES:
        raise ValueError(f"unknown corpus {name!r}: one of {', '.join(FILES)}")
    monolith, tasks = (EXAMPLES / f for f in FILES[name])
    raw = json.loads(tasks.read_text(encoding="utf-8"))
    if isinstance(raw, dict):  # {"about", "split", "tasks": [...]}
        raw = raw["tasks"]
    whole = name in NEVER_TUNED
    return Corpus(name, monolith, tasks, tuple(_task(t, whole) for t in raw))


# -- overlap --------------------------------------------------------------------------------


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def content_words(text: str) -> set[str]:
    """Distinct stems of the words that are not stop words."""
    words = [w for w in _WORD.findall(text.lower()) if w not in STOP]
    words = [w.split("'")[0] for w in words]
    return set(_stemmer().stemWords([w for w in words if w and w not in STOP]))


def paragraphs(text: str) -> list[str]:
    """Markdown blocks: split at blank lines outside code fences."""
    out: list[str] = []
    current: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        if fence is None and not line.strip():
            if current:
                out.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        out.append("\n".join(current))
    return out


def needle_paragraphs(text: str, task: Task) -> list[str]:
    blocks = paragraphs(text)
    found = []
    for needle in task.needles:
        hits = [b for b in blocks if needle in b]
        if len(hits) != 1:
            raise ValueError(f"{task.id}: needle {needle!r} is in {len(hits)} paragraphs, not 1")
        found.append(hits[0])
    return found


def overlap(text: str, task: Task) -> float:
    words = content_words(task.task)
    if not words:
        return 0.0
    answer = set().union(*(content_words(p) for p in needle_paragraphs(text, task)))
    return len(words & answer) / len(words)


def check(corpus: Corpus) -> list[str]:
    """Problems with a corpus's tasks: needles missing, not unique, or not on one line."""
    text = corpus.text
    problems = []
    for task in corpus.tasks:
        for needle in task.needles:
            count = text.count(needle)
            if count != 1:
                problems.append(f"{task.id}: needle occurs {count} times: {needle!r}")
            if "\n" in needle:
                problems.append(f"{task.id}: needle spans lines: {needle!r}")
    return problems


def overlaps(corpus: Corpus) -> dict[str, float]:
    text = corpus.text
    return {t.id: overlap(text, t) for t in corpus.tasks}


def hard_ids(corpus: Corpus) -> frozenset[str]:
    return frozenset(i for i, v in overlaps(corpus).items() if v <= HARD)


def summary(corpus: Corpus) -> dict[str, object]:
    values = overlaps(corpus)
    return {
        "tasks": len(values),
        "mean_overlap": statistics.fmean(values.values()),
        "hard": sum(v <= HARD for v in values.values()),
        "bytes": len(corpus.monolith.read_bytes()),
    }


if __name__ == "__main__":
    for name in FILES:
        corpus = load(name)
        for problem in check(corpus):
            print("PROBLEM", problem)
        print(name, summary(corpus))
    # The held-out tasks are printed only on request: whoever tunes must not read them.
    show_held_out = "--held-out" in sys.argv[1:]
    ops = load("ops")
    for task in ops.tasks:
        if task.held_out and not show_held_out:
            continue
        value = overlap(ops.text, task)
        mark = "HARD" if value <= HARD else "    "
        print(f"{task.id} {mark} {value:.2f} {task.kind:12} {task.task}")
