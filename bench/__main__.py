"""Run every benchmark and write BENCHMARKS.md (machine and date included).

    make bench            # or: python -m bench [name ...]

Names: index (split/sync), quality (get_context recall on three corpora vs baselines), latency
(get_context warm latency), scale (20 MB, memory, cold start), cloudstart (a new Cloud Run
instance from the index in the state database, PostgreSQL), webhooks (accept rate and
drain throughput), notion (Notion calls per command), redact (formats caught, cost per
100 KB). Each module has ``run()`` and ``table(result)``; this file only collects their
tables.
"""

from __future__ import annotations

import importlib
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORDER = (
    "index",
    "quality",
    "latency",
    "scale",
    "cloudstart",
    "webhooks",
    "recovery",
    "notion",
    "redact",
)
TITLES = {
    "index": "Index maintenance: split and sync (issue 2)",
    "quality": "get_context quality on three corpora against baselines (issues 3 and 10)",
    "latency": "get_context latency (issue 3)",
    "scale": "get_context at 20 MB, memory, build and cold start (issue 10)",
    "cloudstart": "Cloud Run cold start: the saved index in the state database (issue 10)",
    "webhooks": "Webhook logger throughput (issue 4)",
    "notion": "Notion costs: calls and time per command (issue 7)",
    "redact": "Redaction coverage and cost (issue 9)",
    "recovery": "Webhook logger under failure: Notion's bad minutes, SIGKILL (issues 7.5, 9.2)",
}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} cores{mem}; {system}; Python {platform.python_version()}"


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


MARK = "<!-- bench:{name} -->"


def _sections(text: str) -> dict[str, str]:
    """The sections of an existing BENCHMARKS.md, keyed by bench name (from their markers)."""
    found: dict[str, str] = {}
    for name in ORDER:
        start = text.find(MARK.format(name=name))
        if start < 0:
            continue
        ends = [text.find(MARK.format(name=n), start + 1) for n in ORDER]
        end = min([e for e in ends if e > start] or [len(text)])
        found[name] = text[start:end].rstrip() + "\n"
    return found


def main(names: list[str]) -> None:
    """Run the named benchmarks (all by default) and rewrite their sections of BENCHMARKS.md.

    Sections not run this time are kept as they were; each section says when, on which commit
    and on which machine it was measured, so figures from different runs are never mixed up.
    """
    unknown = [n for n in names if n not in ORDER]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; choose from {list(ORDER)}")
    chosen = [n for n in ORDER if not names or n in names]
    path = ROOT / "BENCHMARKS.md"
    sections = _sections(path.read_text(encoding="utf-8")) if path.exists() else {}
    stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}, on {machine()}"
    for name in chosen:
        module = importlib.import_module(f"bench.{name}")
        print(f"running bench.{name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        result = module.run()
        took = time.perf_counter() - start
        sections[name] = (
            f"{MARK.format(name=name)}\n## {TITLES[name]}\n\n"
            f"_Measured {stamp}; ran in {took:.0f} s._\n\n{module.table(result)}\n"
        )
    header = (
        "# Benchmarks\n\n"
        "Command: `make bench` (`python -m bench`), or `python -m bench NAME…` to re-run some "
        "sections and keep the others. Each section says when, at which commit and on which "
        "machine it was measured (machines differ: compare seconds only within a section); "
        "ratios compare against baselines measured in the same run as the figure.\n"
    )
    text = header + "\n" + "\n".join(sections[n] for n in ORDER if n in sections)
    path.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
