"""get_context at scale: a 20 MB index warm, its memory, its build, and cold starts.

Inputs: four ~20 MB indexes of different shapes, each split and synced as ``brain split``
would, with a ~5 MB one of the same shape, and the demo:

- **repeated** (``bench.index.synthetic``): 40 of the demo's domains repeated under numbered
  headings. Most blocks are copies, so the token cache counts them once and the vocabulary
  stays near the demo's: it flatters the build and the memory, and was for a long time the
  only large index measured here;
- **varied** (``bench.index.varied``): blocks and sentences of all three example indexes
  recombined, numbers redrawn, names from an invented lexicon, callouts and toggles
  included: no two blocks alike, and a vocabulary that grows with the index as real notes'
  does;
- **notes** (``bench.notes.notes``): operators' own Notion pages as exported, written by
  another hand and from no example text: long pages with few or no headings (running
  meeting notes, decision-log and CRM tables of many rows, pasted email threads, runbooks
  with nested lists and code), Notion's callouts, toggles and links, pasted log lines and
  JSON blobs, and names, codes and amounts from pools that keep growing. The two above were
  written by the hand that tunes the code; this one is there so that no figure is measured
  only on text that hand wrote (it was measured while tuning after its first run, which
  BENCHMARKS.md reports apart);
- **wiki** (``bench.wiki.wiki``): a small multinational's knowledge base, by a third hand,
  measured by nothing before this bench's run that first reports it: wiki spaces of many
  short articles in English, German, Spanish, French and Dutch, glossaries, FAQ pairs, SKU
  and price lists in European formats, repeated titles across spaces.

A target is met only when every shape meets it. Every figure comes from this run:

- **warm latency**: every demo task at a 4,000-token budget, in-process, after a warm-up
  pass, with the background refresher running as in ``brain serve`` (the version check off
  the request thread); p50 and p99;
- **scoring vs bm25s**: the passage index (the largest) scored for every task by ours and
  by ``bm25s`` (numpy backend) indexing the very same analyzed terms; median per query and
  the ratio, measured side by side;
- **peak RSS**: a fresh process (``VmHWM``) that builds the snapshot from the store and
  answers every task; and one that starts from the saved index;
- **snapshot build**: a fresh process building from the pages (read, parse, count, analyze,
  index; loading the token counter included, as a cold start pays it), and one loading the
  saved index (``[context] persist_index``);
- **cold start**: a new process, from interpreter start to its first answer, at 5 MB with
  the saved index present (the median of 3; it loads what its answer needs, as a real one
  does: not the tokenizer's encoder, since the saved index keeps the counts); and
  ``brain context`` on the demo as a whole process (median of 5 runs, saved index present;
  the first run, which builds and saves it, reported apart), beside a process that only
  imports the libraries it needs (the floor, in the same run) and with the instructions it
  executes (callgrind, where valgrind is installed: a count no machine's load moves).

The rows above rank by words (``[context] semantic = "off"``). **With meaning** repeats the
warm latency, a fresh process's peak RSS from the saved index, and ``brain context`` with
every passage's vector present, on the repeated index. At 20 MB the vectors are random unit
vectors written under the real keys (embedding 60,000 passages for real takes most of an hour
on 2 cores; the cost of a query does not depend on the values); the demo's are real (``brain
sync`` computes them first).

    python -m bench scale
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import reduce
from operator import getitem
from pathlib import Path
from typing import Any

from bench.index import demo_text, synthetic, varied
from bench.latency import build_workspace, percentiles
from bench.notes import notes
from bench.wiki import wiki

ROOT = Path(__file__).resolve().parent.parent
TASKS = ROOT / "examples" / "tasks.json"
BUDGET = 4_000
ROUNDS = 3
TARGETS = {"p50_ms": 10.0, "p99_ms": 25.0, "rss_mb": 300.0, "build_s": 3.0}

#: A fresh process: build (or load) the snapshot, answer every task, report what it cost.
_PROCESS = r"""
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from config import load_config
from functions.runtime import Runtime
ws, persist, tasks = Path(sys.argv[1]), sys.argv[2] == "1", json.loads(sys.argv[3])
semantic, engine, edit = sys.argv[4], sys.argv[5], sys.argv[6]
config = load_config(workspace=ws)
config = config.model_copy(
    update={"context": config.context.model_copy(
        update={"persist_index": persist, "semantic": semantic}
    ), "tokens": config.tokens.model_copy(update={"engine": engine})}
)
rt = Runtime(config)
service = rt.context_service
t1 = time.perf_counter()
service.cache.get()
t2 = time.perf_counter()
first = service.get_context(tasks[0], 4000)
t3 = time.perf_counter()
for task in tasks:
    service.get_context(task, 4000)
def status():
    return dict(
        line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
        if ":" in line
    )
def mb(status, key):
    return int(status[key].split()[0]) / 1024
served = status()
out = {
    "import_s": t1 - t0, "build_s": t2 - t1, "first_answer_s": t3 - t0,
    "loaded": service.cache.loaded, "note": service.cache.load_note,
    "tokens": first.tokens, "notes": list(first.notes),
    "peak_rss_mb": mb(served, "VmHWM"), "rss_mb": mb(served, "VmRSS"),
}
if edit:  # a page edited while the process serves: the refresh a server's thread would run
    page = Path(edit)
    page.write_text(page.read_text() + "\nOne more line, added while the index was served.\n")
    t4 = time.perf_counter()
    service.cache.refresh()
    t5 = time.perf_counter()
    for task in tasks:
        service.get_context(task, 4000)
    after = status()
    out.update(refresh_s=t5 - t4, refresh_peak_rss_mb=mb(after, "VmHWM"),
               refresh_rss_mb=mb(after, "VmRSS"))
print(json.dumps(out))
"""


def _env(**extra: str) -> dict[str, str]:
    """The environment of a measured process: this one's, but allowed to write bytecode (any
    value of PYTHONDONTWRITEBYTECODE, "0" included, forbids it; a sandbox may set it), so
    that a command measured again loads compiled modules, as on an operator's machine."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def _compile_project() -> None:
    """Compile the project's packages before any process is timed: an installed release has
    its bytecode, and a first import that compiles would be timed otherwise."""
    import compileall

    for package in ("config", "functions", "router", "shards"):
        compileall.compile_dir(ROOT / package, quiet=1)


def _tasks() -> list[str]:
    return [t["task"] for t in json.loads(TASKS.read_text(encoding="utf-8"))]


def _process(
    workspace: Path,
    persist: bool,
    tasks: list[str],
    semantic: str = "off",
    engine: str = "auto",
    edit: Path | None = None,
) -> dict[str, Any]:
    """A new process's figures; with ``edit``, that page is then edited and refreshed."""
    start = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _PROCESS,
            str(workspace),
            "1" if persist else "0",
            json.dumps(tasks),
            semantic,
            engine,
            str(edit or ""),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - start
    return result


def _first_answer(result: dict[str, Any]) -> float:
    return float(result["first_answer_s"])


def _warm(workspace: Path, tasks: list[str], semantic: str = "off") -> dict[str, Any]:
    from config import load_config
    from functions.runtime import Runtime

    config = load_config(workspace=workspace)
    config = config.model_copy(
        update={
            "context": config.context.model_copy(
                update={"persist_index": semantic != "off", "semantic": semantic}
            )
        }
    )
    runtime = Runtime(config)
    runtime.background_refresh = True  # as brain serve and Cloud Run run it
    service = runtime.context_service
    for task in tasks:
        service.get_context(task, BUDGET)
    samples = []
    for _ in range(ROUNDS):
        for task in tasks:
            start = time.perf_counter()
            service.get_context(task, BUDGET)
            samples.append(time.perf_counter() - start)
    snap = service.cache.get()
    lex = snap.lexicon
    if semantic != "off":
        assert service.semantic is not None and service.semantic.coverage(snap).complete
        stages = _meaning_stages(service.semantic, snap, tasks)
        runtime.close()
        return {"latency": percentiles(samples), "stages": stages}
    scoring = _scoring(lex, tasks)
    runtime.close()
    return {
        "latency": percentiles(samples),
        "shards": len(snap.shards),
        "sections": lex.sections.size,
        "passages": lex.passages.size,
        "postings": sum(i.postings_count for i in (lex.passages, lex.headings, lex.shards)),
        "index_mb": lex.nbytes / 1e6,
        "terms": len(lex.vocab),
        "scoring": scoring,
    }


def _meaning_stages(semantic: Any, snap: Any, tasks: list[str]) -> dict[str, float]:
    """Median ms of each step ranking by meaning adds to a query, measured apart: embedding
    the task (one BLAS thread), the product over every passage vector, relevance from it."""
    from router.select import SelectOptions, dense_relevance

    matrix, _ = semantic._state(snap)  # the vectors as a query uses them
    power = SelectOptions().dense_power
    times: dict[str, list[float]] = {"encode_ms": [], "product_ms": [], "relevance_ms": []}
    for _ in range(ROUNDS):
        for task in tasks:
            start = time.perf_counter()
            query = semantic.encoder.encode([task])[0]
            encoded = time.perf_counter()
            sims = matrix @ query
            multiplied = time.perf_counter()
            dense_relevance(sims, power)
            done = time.perf_counter()
            times["encode_ms"].append(encoded - start)
            times["product_ms"].append(multiplied - encoded)
            times["relevance_ms"].append(done - multiplied)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def _scoring(lex: Any, tasks: list[str]) -> dict[str, float]:
    """Ours vs bm25s on the passage index's own documents (the same analyzed terms)."""
    import bm25s
    import numpy as np

    from router.select import query_weights

    index = lex.passages
    terms = {i: t for t, i in index._vocab.items()}
    docs = []
    ptr, ids = _passage_docs(index)
    for d in range(index.size):
        docs.append([terms[int(t)] for t in ids[ptr[d] : ptr[d + 1]]])
    baseline = bm25s.BM25(k1=index.k1, b=0.75, method="lucene")
    baseline.index(docs, show_progress=False)
    queries = [query_weights(lex.analyzer, t, 1.0) for t in tasks]
    ours_s, theirs_s = [], []
    for _ in range(ROUNDS):
        for query in queries:
            start = time.perf_counter()
            index.score_array(query)
            ours_s.append(time.perf_counter() - start)
            known = [t for t in query if t in baseline.vocab_dict]
            start = time.perf_counter()
            if known:
                baseline.get_scores(known)
            else:
                np.zeros(index.size)
            theirs_s.append(time.perf_counter() - start)
    ours, theirs = statistics.median(ours_s) * 1000, statistics.median(theirs_s) * 1000
    return {"ours_ms": ours, "bm25s_ms": theirs, "ratio": ours / theirs if theirs else 0.0}


def _passage_docs(index: Any) -> tuple[Any, Any]:
    """The passage documents back from the postings (term ids per document)."""
    import numpy as np

    order = np.argsort(index._docs, kind="stable")
    term_of = np.repeat(np.arange(len(index._indptr) - 1), np.diff(index._indptr))[order]
    counts = np.bincount(index._docs, minlength=index.size)
    ptr = np.concatenate([[0], np.cumsum(counts)])
    return ptr, term_of


def _random_vectors(workspace: Path) -> None:
    """Fill the workspace's vector file with random unit vectors under the real keys (what a
    finished ``brain sync`` leaves, values aside): the cost of ranking by meaning at scale."""
    import numpy as np

    from config import load_config
    from functions.runtime import Runtime
    from router.semantic import DIM, Semantic, VectorFile, find_model, model_id

    class Random:
        name = "random"

        def __init__(self) -> None:
            self.rng = np.random.default_rng(0)

        def encode(self, texts: Any, *, threads: int = 1) -> Any:
            v = self.rng.standard_normal((len(texts), DIM)).astype(np.float32)
            return v / np.linalg.norm(v, axis=1, keepdims=True)

    config = load_config(workspace=workspace)
    config = config.model_copy(
        update={"context": config.context.model_copy(update={"semantic": "off"})}
    )
    runtime = Runtime(config)
    path = runtime.index_path.with_suffix(".vectors.npz")
    snap = runtime.context_service.cache.get()
    folder = find_model()
    assert folder is not None, "ranking by meaning needs the model: make install"
    # the keys the service will look up name the installed weights
    Semantic(Random, VectorFile(path), model=model_id(folder)).embed_missing(snap, batch=100_000)
    runtime.close()


def _embed_demo(workspace: Path) -> float:
    brain = Path(sys.executable).with_name("brain")
    env = _env(BRAIN_CONTEXT__SEMANTIC="auto")
    start = time.perf_counter()
    subprocess.run(
        [str(brain), "sync", "--workspace", str(workspace)],
        capture_output=True,
        check=True,
        env=env,
    )
    return time.perf_counter() - start


def _brain_context(workspace: Path, runs: int = 5, semantic: str = "off") -> dict[str, Any]:
    brain = Path(sys.executable).with_name("brain")
    command = [str(brain), "context", "rotate the Stripe webhook secret", "--workspace"]
    env = _env(BRAIN_CONTEXT__SEMANTIC=semantic)
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        subprocess.run([*command, str(workspace)], capture_output=True, check=True, env=env)
        times.append(time.perf_counter() - start)
    if semantic != "off":  # the runs above measured what they claim: ranking by meaning
        answer = subprocess.run(
            [*command, str(workspace), "--json"], capture_output=True, check=True, env=env
        )
        notes = json.loads(answer.stdout)["notes"]
        assert not any("words only" in n for n in notes), notes
    out: dict[str, Any] = {
        "first_s": times[0],
        "median_s": statistics.median(times[1:]),
        "runs": runs,
    }
    if semantic == "off":
        out["floor_s"] = _floor(runs)
        out["instructions"] = _instructions([*command, str(workspace)], env)
    return out


#: What a ``brain context`` process imports that is not ours: the interpreter and the
#: libraries on its path (the baseline a cold command cannot go under without dropping one).
_FLOOR = "import numpy, pydantic, typer, orjson; from pydantic import BaseModel"


def _floor(runs: int) -> float:
    """The median wall time of a process that only imports the libraries ``brain context``
    needs, measured in the same run: what of a cold command is the machine's and theirs."""
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", _FLOOR], capture_output=True, check=True, env=_env())
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def _instructions(command: list[str], env: dict[str, str]) -> int | None:
    """Instructions the command executes (valgrind's callgrind), a count that does not move
    with the machine's load; None without valgrind."""
    import shutil

    if shutil.which("valgrind") is None:
        return None
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as tmp:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", *command],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
    found = [line for line in done.stderr.splitlines() if "Collected" in line]
    return int(found[-1].rsplit(":", 1)[1].replace(",", "").strip()) if found else None


#: The shapes of a large index: the demo's domains repeated (every run before 2026-11-30
#: measured only this one, where most blocks are copies, so the token cache and a vocabulary
#: of 18,000 terms flatter the build and the memory), text that never repeats, recombined
#: from all three example indexes (``bench.index.varied``), operators' Notion pages written
#: apart from both and from the examples (``bench.notes.notes``), and a multilingual wiki by
#: a third hand (``bench.wiki.wiki``).
SHAPES: dict[str, Callable[[int], str]] = {
    "repeated": synthetic,
    "varied": varied,
    "notes": notes,
    "wiki": wiki,
}
#: What each shape is, for the table's preamble.
_WHAT = {
    "repeated": "the demo's domains repeated under numbered headings, most blocks copies",
    "varied": "blocks and sentences of all three example indexes recombined, numbers "
    "redrawn and names from an invented lexicon: no two blocks alike",
    "notes": "operators' Notion pages as exported, from no example text: long pages with "
    "few headings, tables of many rows, email threads, runbooks, callouts and toggles, "
    "pasted logs and JSON",
    "wiki": "a multilingual knowledge base by a third hand, never measured while tuning: "
    "wiki spaces of many short articles in five languages, glossaries, FAQs, SKU and price "
    "lists",
}


def _shape(name: str, scratch: Path, tasks: list[str]) -> dict[str, Any]:
    make = SHAPES[name]
    start = time.perf_counter()
    big = build_workspace(make(20_000_000), scratch / name / "20mb" / "ws")
    mid = build_workspace(make(5_000_000), scratch / name / "5mb" / "ws")
    prepared = time.perf_counter() - start
    warm = _warm(big, tasks)
    from_store = _process(big, False, tasks)
    # The same build counting with tiktoken, the reference quicktok replaced (same counts).
    reference = _process(big, False, tasks[:1], engine="tiktoken")
    _process(big, True, tasks)  # builds and saves the index
    # Serves from the saved index, then a page is edited and the snapshot refreshed (the
    # refresh saves the index again); then the page is edited again, between processes, and
    # a new process finds its saved index one edit behind.
    pages = sorted(big.glob("*.md"))
    edited_page = pages[len(pages) // 2]
    from_saved = _process(big, True, tasks, edit=edited_page)
    edited_page.write_text(edited_page.read_text() + "\nAnd one more, between processes.\n")
    edited = _process(big, True, tasks)
    _process(mid, True, tasks[:1])
    # The median of three new processes: one run swung by 0.3 s on a busy machine.
    colds = sorted((_process(mid, True, tasks[:1]) for _ in range(3)), key=_first_answer)
    # The same with the default configuration: meaning on, no passage vector computed yet
    # (a workspace where `brain sync` has not embedded): the answer says it ranks by words.
    defaults = sorted(
        (_process(mid, True, tasks[:1], semantic="auto") for _ in range(3)), key=_first_answer
    )
    assert any("words only" in n for n in defaults[1]["notes"]), defaults[1]["notes"]
    return {
        "workspace": big,
        "bytes": sum(p.stat().st_size for p in big.glob("*.md")),
        "prepared_s": prepared,
        "warm": warm,
        "from_store": from_store,
        "tiktoken_build_s": reference["build_s"],
        "from_saved": from_saved,
        "edited": edited,
        "cold_5mb": colds[1],
        "cold_5mb_default": defaults[1],
    }


def run() -> dict[str, Any]:
    _compile_project()
    tasks = _tasks()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        scratch = Path(tmp)
        shapes = {name: _shape(name, scratch, tasks) for name in SHAPES}
        demo = build_workspace(demo_text(), scratch / "demo" / "ws")
        context = _brain_context(demo)
        big = shapes["repeated"].pop("workspace")
        for shape in shapes.values():
            shape.pop("workspace", None)  # paths in a temporary folder: not results
        _random_vectors(big)
        meaning_warm = _warm(big, tasks, "auto")
        meaning_saved = _process(big, True, tasks, "auto")
        demo_embed_s = _embed_demo(demo)
        meaning_context = _brain_context(demo, semantic="auto")
    return {
        "meaning": {
            "warm": meaning_warm,
            "from_saved": meaning_saved,
            "demo_embed_s": demo_embed_s,
            "brain_context": meaning_context,
        },
        "shapes": shapes,
        "brain_context": context,
        "targets": TARGETS,
    }


def _ok(value: float, target: float) -> str:
    return "yes" if value <= target else "**no**"


def _met(values: dict[str, float], target: float) -> str:
    """ "yes" when every shape meets the target, else which do not."""
    missed = [name for name, value in values.items() if value > target]
    if not missed:
        return "yes"
    return "**no**" if len(missed) == len(values) else f"**no** ({', '.join(missed)})"


def _floor_line(ctx: dict[str, Any]) -> str:
    count = ctx.get("instructions")
    instructions = (
        f"; it executes {count / 1e9:.2f} billion instructions (callgrind: the same on any "
        "machine, however loaded)"
        if count
        else "; valgrind is not installed, so no instruction count"
    )
    return (
        f"Of `brain context`'s {ctx['median_s']:.2f} s, a process that only imports the "
        f"libraries it needs (numpy, pydantic, typer, orjson) takes {ctx['floor_s']:.2f} s "
        f"in this run ({ctx['floor_s'] / ctx['median_s']:.0%}){instructions}."
    )


def table(result: dict[str, Any]) -> str:
    shapes, ctx, t = result["shapes"], result["brain_context"], result["targets"]
    repeated = shapes["repeated"]
    warm, lat = repeated["warm"], repeated["warm"]["latency"]

    def row(label: str, at: tuple[str, ...], unit: str, target: float) -> str:
        """A measure's row: the value under the keys ``at`` in each shape's results."""
        values = {name: float(reduce(getitem, at, shape)) for name, shape in shapes.items()}
        digits = 2 if unit == "s" and max(values.values()) < 2 else 1 if unit != "MB" else 0
        cells = " | ".join(f"{v:.{digits}f} {unit}" for v in values.values())
        bound = f"{target:.0f}" if target >= 1 else f"{target:.2f}"
        return f"| {label} | {cells} | ≤ {bound} {unit} | {_met(values, target)} |"

    count = {1: "One index", 2: "Two indexes", 3: "Three indexes", 4: "Four indexes"}.get(
        len(shapes), f"{len(shapes)} indexes"
    )
    lines = [
        f"{count} of about 20 MB each, split and synced as `brain split` would:",
        "",
    ]
    for name, shape in shapes.items():
        w = shape["warm"]
        what = _WHAT.get(name, name)
        lines.append(
            f"- **{name}** ({what}): {shape['bytes'] / 1e6:.1f} MB, {w['shards']} shards, "
            f"{w['sections']:,} sections, {w['passages']:,} passages, {w['terms']:,} distinct "
            f"terms, {w['postings']:,} postings ({w['index_mb']:.0f} MB of index arrays)."
        )
    lines += [
        "",
        f"Every demo task ({lat['n'] // ROUNDS}) at a {BUDGET:,}-token budget, {ROUNDS} rounds "
        "after a warm-up. The target is met only when every index meets it.",
        "",
        f"| measure | {' | '.join(shapes)} | target | met |",
        "|---|" + "---:|" * len(shapes) + "---:|---|",
        *(
            row(label, at, unit, target)
            for label, at, unit, target in (
                ("warm get_context p50", ("warm", "latency", "p50_ms"), "ms", t["p50_ms"]),
                ("warm get_context p99", ("warm", "latency", "p99_ms"), "ms", t["p99_ms"]),
                (
                    "peak RSS, process building from the pages",
                    ("from_store", "peak_rss_mb"),
                    "MB",
                    t["rss_mb"],
                ),
                (
                    "peak RSS, process starting from the saved index",
                    ("from_saved", "peak_rss_mb"),
                    "MB",
                    t["rss_mb"],
                ),
                (
                    "snapshot build from the pages (read, parse, count, analyze, index)",
                    ("from_store", "build_s"),
                    "s",
                    t["build_s"],
                ),
                (
                    "snapshot from the saved index (checked against page versions)",
                    ("from_saved", "build_s"),
                    "s",
                    t["build_s"],
                ),
                (
                    "a page edited while serving: the refresh (re-read, re-index, save)",
                    ("from_saved", "refresh_s"),
                    "s",
                    t["build_s"],
                ),
                (
                    "peak RSS, the serving process through that refresh",
                    ("from_saved", "refresh_peak_rss_mb"),
                    "MB",
                    t["rss_mb"],
                ),
                (
                    "a page edited between processes: the new process's snapshot",
                    ("edited", "build_s"),
                    "s",
                    t["build_s"],
                ),
                (
                    "peak RSS, that new process",
                    ("edited", "peak_rss_mb"),
                    "MB",
                    t["rss_mb"],
                ),
                (
                    "new process to first answer, 5 MB of the same shape, saved index "
                    "(median of 3)",
                    ("cold_5mb", "first_answer_s"),
                    "s",
                    1.0,
                ),
                (
                    "the same, default configuration (meaning on, no passage vector computed "
                    "yet; median of 3)",
                    ("cold_5mb_default", "first_answer_s"),
                    "s",
                    1.0,
                ),
            )
        ),
        "",
        f"`brain context` as a whole process on the demo, saved index (median of {ctx['runs']}): "
        f"**{ctx['median_s']:.2f} s** (target 0.45 s: {_ok(ctx['median_s'], 0.45)}).",
        "",
        "Scoring the passage index alone, median per query, ours beside `bm25s` on the same "
        "terms: "
        + "; ".join(
            f"{name} {s['warm']['scoring']['ours_ms']:.2f} ms vs "
            f"{s['warm']['scoring']['bm25s_ms']:.2f} ms (**{s['warm']['scoring']['ratio']:.1f}x**)"
            for name, s in shapes.items()
        )
        + " (ours adds phrase terms' weights and returns a dense array; bm25s here scores the "
        "word and phrase terms it indexed).",
        "",
        _floor_line(ctx),
        "",
        'The same builds counting tokens with tiktoken (`[tokens] engine = "tiktoken"`, '
        "the same counts; quicktok counts once a build passes ~1 MB): "
        + "; ".join(
            f"{name} {s['tiktoken_build_s']:.1f} s "
            f"({s['tiktoken_build_s'] / s['from_store']['build_s']:.2f}x the "
            f"{s['from_store']['build_s']:.1f} s above)"
            for name, s in shapes.items()
            if "tiktoken_build_s" in s
        )
        + ".",
        "",
        f"Also measured: `brain context` on the demo without a saved index (its first run) "
        f"{ctx['first_s']:.2f} s; imports before the first build in the 20 MB processes "
        f"{repeated['from_store']['import_s']:.2f} s; the steady RSS after every task was "
        + "; ".join(
            f"{name} {s['from_store']['rss_mb']:.0f} MB (from the pages) and "
            f"{s['from_saved']['rss_mb']:.0f} MB (from the saved index)"
            for name, s in shapes.items()
        )
        + ". Preparing the workspaces took "
        f"{sum(s['prepared_s'] for s in shapes.values()):.0f} s (not measured).",
    ]
    meaning = result.get("meaning")
    if meaning:
        mlat, msaved, mctx = (
            meaning["warm"]["latency"],
            meaning["from_saved"],
            meaning["brain_context"],
        )
        lines += [
            "",
            'With meaning (`[context] semantic = "auto"`, every passage\'s vector present; '
            "on the repeated 20 MB index, random vectors under the real keys, see the module "
            "docstring):",
            "",
            "| measure | value | target | met |",
            "|---|---:|---:|---|",
            f"| warm get_context p50, 20 MB | {mlat['p50_ms']:.1f} ms | ≤ {t['p50_ms']:.0f} ms "
            f"| {_ok(mlat['p50_ms'], t['p50_ms'])} |",
            f"| warm get_context p99, 20 MB | {mlat['p99_ms']:.1f} ms | ≤ {t['p99_ms']:.0f} ms "
            f"| {_ok(mlat['p99_ms'], t['p99_ms'])} |",
            f"| peak RSS, process starting from the saved index and vectors "
            f"| {msaved['peak_rss_mb']:.0f} MB | ≤ {t['rss_mb']:.0f} MB "
            f"| {_ok(msaved['peak_rss_mb'], t['rss_mb'])} |",
            f"| `brain context` whole process, demo, saved index and vectors (median of "
            f"{mctx['runs']}) | {mctx['median_s']:.2f} s | ≤ 0.45 s "
            f"| {_ok(mctx['median_s'], 0.45)} |",
            "",
            f"Embedding the demo's passages for real (`brain sync`, whole process): "
            f"{meaning['demo_embed_s']:.1f} s.",
        ]
        stages = meaning["warm"].get("stages")
        if stages:
            lines += [
                "",
                "Where a query's extra time goes, medians measured apart at 20 MB: embedding "
                f"the task {stages['encode_ms']:.1f} ms (one core), the product over "
                f"{warm['passages']:,} vectors {stages['product_ms']:.1f} ms, relevance from "
                f"it {stages['relevance_ms']:.1f} ms (ranking by words: {lat['p50_ms']:.1f} ms "
                "p50, above). The process starting from the saved index and vectors answered "
                f"first {msaved['first_answer_s']:.2f} s after it started (vectors read "
                f"then) and held {msaved['rss_mb']:.0f} MB after every task.",
            ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
