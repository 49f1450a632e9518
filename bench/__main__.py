"""Run every benchmark and write BENCHMARKS.md (machine and date included).

    make bench            # or: python -m bench [name ...]

Names: index (split/sync), quality (get_context recall vs baselines), latency (get_context
warm latency), webhooks (accept rate and drain throughput). Each module has ``run()`` and
``table(result)``; this file only collects their tables.
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
ORDER = ("index", "quality", "latency", "webhooks")
TITLES = {
    "index": "Index maintenance: split and sync (issue 2)",
    "quality": "get_context quality against baselines (issue 3)",
    "latency": "get_context latency (issue 3)",
    "webhooks": "Webhook logger throughput (issue 4)",
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


def main(names: list[str]) -> None:
    chosen = [n for n in ORDER if not names or n in names]
    sections = []
    for name in chosen:
        module = importlib.import_module(f"bench.{name}")
        print(f"running bench.{name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        result = module.run()
        took = time.perf_counter() - start
        sections.append(f"## {TITLES[name]}\n\n{module.table(result)}\n\n_(ran in {took:.0f} s)_\n")
    header = (
        "# Benchmarks\n\n"
        f"Machine: {machine()}.  \n"
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; commit {commit()}.  \n"
        "Command: `make bench` (`python -m bench`). Every figure below was measured in that one "
        "run; ratios compare against baselines measured in the same run.\n"
    )
    text = header + "\n" + "\n".join(sections)
    (ROOT / "BENCHMARKS.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
