"""Cloud Run cold start: a new instance's first answer, the saved index in the state database.

A Cloud Run instance's disk dies with it, so until 2026-11-30 every new instance built its
snapshot from the pages. Now the index that the scheduled sync job built is
kept in the state database (:mod:`functions.saved_index`) and a new instance loads it. For
each shape of ``bench scale`` at 5 MB, and the notes shape at 20 MB, with ``K_SERVICE`` set
(what makes a runtime behave as on Cloud Run) and the state database a fresh schema on the
local PostgreSQL server (standing in for Cloud SQL), in one run:

- **the job**: the scheduled sync job (``Runtime.scheduled_sync``: sync the pages, build the
  snapshot, save it to the database, drain the outbox), timed whole; the bytes it stored;
- **new instance, saved index**: from interpreter start to the first answer, loading the
  index from the database (median of 3 processes), and its peak RSS;
- **new instance, building**: the same with ``[context] persist_index = false``, which builds
  from the pages, as every instance did before (median of 3); and the ratio of the two;
- **new instance, one edit behind**: a page edited after the job ran (what instances meet
  between two runs of the job): the saved index is loaded, the edited page re-read and
  re-analyzed alone, the indexes rebuilt (median of 3).

The pages are a local folder here. On Notion, an instance that builds also reads every page
(from the state database's page cache), which this does not count: the ratio is the smaller
one. Ranking by words (``semantic = "off"``), as ``bench scale``.

    python -m bench cloudstart    # PostgreSQL at $BRAIN_TEST_POSTGRES_URL, default below
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.latency import build_workspace
from bench.scale import SHAPES, _compile_project, _env, _tasks

ROOT = Path(__file__).resolve().parent.parent
#: The server the tests use too (tests/conftest.py); unreachable, the bench says so and skips.
POSTGRES_URL = os.environ.get(
    "BRAIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SIZES = [(name, 5_000_000) for name in SHAPES] + [("notes", 20_000_000)]
RUNS = 3

#: A new Cloud Run instance (or the job): build or load the snapshot, answer, report.
_INSTANCE = r"""
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from config import load_config
from functions.runtime import Runtime
ws, url, persist, task = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "1", sys.argv[4]
job = sys.argv[5] == "job"
config = load_config(workspace=ws)
config = config.model_copy(update={
    "state": config.state.model_copy(update={"url": url}),
    "context": config.context.model_copy(
        update={"persist_index": persist, "semantic": "off"}
    ),
})
rt = Runtime(config)
service = rt.context_service
t1 = time.perf_counter()
if job:  # the scheduled sync job: sync, then build and save the index (its one writer)
    rt.scheduled_sync()
else:
    service.cache.get()
t2 = time.perf_counter()
first = service.get_context(task, 4000)
t3 = time.perf_counter()
status = dict(
    line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
    if ":" in line
)
print(json.dumps({
    "build_s": t2 - t1, "first_answer_s": t3 - t0, "loaded": service.cache.loaded,
    "note": service.cache.load_note, "tokens": first.tokens,
    "peak_rss_mb": int(status["VmHWM"].split()[0]) / 1024,
}))
rt.close()
"""


def _instance(
    workspace: Path, url: str, persist: bool, task: str, *, job: bool = False
) -> dict[str, Any]:
    env = {**_env(), "K_SERVICE": "context-bench"}
    args = [str(workspace), url, "1" if persist else "0", task, "job" if job else "instance"]
    out = subprocess.run(
        [sys.executable, "-c", _INSTANCE, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median first answer (its own figures, not a mix)."""
    return sorted(runs, key=lambda r: r["first_answer_s"])[len(runs) // 2]


def _schema_url(server: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    joiner = "&" if "?" in server else "?"
    return schema, f"{server}{joiner}options={quote(f'-c search_path={schema}')}"


def _stored_bytes(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM saved_index_chunks"
        ).fetchone()
    return int(row[0]) if row else 0


def _measure(workspace: Path, server: str, task: str) -> dict[str, Any]:
    import psycopg
    from psycopg import sql

    schema, url = _schema_url(server)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        job = _instance(workspace, url, True, task, job=True)
        assert not job["loaded"], job
        stored = _stored_bytes(url)
        loads = [_instance(workspace, url, True, task) for _ in range(RUNS)]
        assert all(r["loaded"] for r in loads), [r["note"] for r in loads]
        builds = [_instance(workspace, url, False, task) for _ in range(RUNS)]
        assert all(r["tokens"] == job["tokens"] for r in loads + builds)
        # A page edited since the job ran (instances never write, so every one finds it so)
        pages = sorted(workspace.glob("*.md"))
        page = pages[len(pages) // 2]
        page.write_text(page.read_text() + "\nOne more line, edited after the job ran.\n")
        behind = [_instance(workspace, url, True, task) for _ in range(RUNS)]
        assert not any(r["loaded"] for r in behind), [r["note"] for r in behind]
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    loaded, built = _median(loads), _median(builds)
    return {
        "bytes": sum(p.stat().st_size for p in workspace.glob("*.md")),
        "stored_mb": stored / 1e6,
        "job_s": job["build_s"],
        "loaded": loaded,
        "built": built,
        "behind": _median(behind),
        "ratio": built["first_answer_s"] / loaded["first_answer_s"],
    }


def run() -> dict[str, Any]:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return {"skipped": f"PostgreSQL not reachable: {str(exc).strip()[:80]}"}
    _compile_project()
    task = _tasks()[0]
    start = time.perf_counter()
    rows: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-cloudstart-") as tmp:
        for name, size in SIZES:
            ws = build_workspace(SHAPES[name](size), Path(tmp) / f"{name}-{size}" / "ws")
            rows[f"{name} {size // 1_000_000} MB"] = _measure(ws, POSTGRES_URL, task)
    return {"rows": rows, "seconds": time.perf_counter() - start}


def table(result: dict[str, Any]) -> str:
    if "skipped" in result:
        return f"skipped: {result['skipped']} (set BRAIN_TEST_POSTGRES_URL)"
    lines = [
        "A new Cloud Run instance (`K_SERVICE` set) to its first answer, the state database on "
        "the local PostgreSQL 15 server: with the index the job saved there, and building from "
        "the pages (`persist_index = false`, what every instance did before); median of "
        f"{RUNS} processes each, the same run. Pages in a local folder (on Notion an instance "
        "that builds also reads every page, so the ratio there is larger); ranking by words. "
        "One edit behind: a page edited after the job ran, so the instance re-reads and "
        "re-analyzes that page and rebuilds the indexes. "
        f"Ran in {result['seconds']:.0f} s.",
        "",
        "| index | in the database | the job: sync, build, save | new instance, saved index "
        "| its peak RSS | new instance, building | its peak RSS | building / saved "
        "| new instance, one edit behind | its peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in result["rows"].items():
        lines.append(
            f"| {name} | {r['stored_mb']:.0f} MB | {r['job_s']:.2f} s "
            f"| **{r['loaded']['first_answer_s']:.2f} s** | {r['loaded']['peak_rss_mb']:.0f} MB "
            f"| {r['built']['first_answer_s']:.2f} s | {r['built']['peak_rss_mb']:.0f} MB "
            f"| **{r['ratio']:.1f}x** | {r['behind']['first_answer_s']:.2f} s "
            f"| {r['behind']['peak_rss_mb']:.0f} MB |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
