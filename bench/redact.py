"""Redaction: coverage of the credential formats an operation holds, and the cost per 100 KB.

- **Coverage**: every format of ``tests/router/secret_formats.py`` (each planted in a
  realistic sentence) is redacted or it leaks (the secret, or any 12-character piece of it,
  survives); the keep cases (digests, commit ids, UUIDs, dates, versions, plain URLs, prose)
  must come back unchanged, and so must the whole demo index.
- **Cost**: ``Redactor.redact`` on the demo index (138 KB of ordinary prose) and on text of the
  same size dense with secrets (the planted sentences, repeated), median of 7 runs after one
  warm-up, in ms per 100 KB.
- **Baseline, same run**: ``detect-secrets`` with its default plugins and filters, scanning the
  same text as a file (``scan_file``, one line at a time, as ``detect-secrets scan`` does). It
  only flags lines, it does not redact, so it is credited with a format when it flags the line
  that holds it: a generous baseline.

    python -m bench redact
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from router.redact import Redactor
from tests.router.secret_formats import FORMATS, KEEP, leaked

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "context-index.md"
RUNS = 7
BASELINE_RUNS = 3


def dense_text(size: int) -> str:
    """The planted sentences, repeated to ``size`` characters: a page dense with secrets."""
    one = "\n\n".join(p.text for p in FORMATS) + "\n\n"
    return (one * (size // len(one) + 1))[:size]


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: compiled patterns, lazy imports
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _per_100kb(ms: float, text: str) -> float:
    return ms / (len(text.encode("utf-8")) / 100_000)


def _detect_secrets_lines(text: str, folder: Path) -> set[int]:
    """Line numbers (1-based) detect-secrets flags in ``text`` with its default settings."""
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import default_settings

    path = folder / "page.md"
    path.write_text(text, encoding="utf-8")
    with default_settings():
        return {s.line_number for s in scan_file(str(path))}


def _baseline(demo: str, dense: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        found = 0
        for planted in FORMATS:
            lines = _detect_secrets_lines(planted.text, folder)
            start = planted.text.index(planted.secret)
            first = planted.text.count("\n", 0, start) + 1
            last = first + planted.secret.count("\n")
            found += any(first <= n <= last for n in lines)
        flagged_keep = sum(bool(_detect_secrets_lines(text, folder)) for text in KEEP)
        demo_lines = len(_detect_secrets_lines(demo, folder))
        demo_ms = _median_ms(lambda: _detect_secrets_lines(demo, folder), BASELINE_RUNS)
        dense_ms = _median_ms(lambda: _detect_secrets_lines(dense, folder), BASELINE_RUNS)
    return {
        "found": found,
        "flagged_keep": flagged_keep,
        "demo_lines_flagged": demo_lines,
        "demo_ms_per_100kb": _per_100kb(demo_ms, demo),
        "dense_ms_per_100kb": _per_100kb(dense_ms, dense),
    }


def run() -> dict[str, Any]:
    redactor = Redactor()
    demo = DEMO.read_text(encoding="utf-8")
    dense = dense_text(len(demo))
    leaks = [p.name for p in FORMATS if leaked(p.secret, redactor.redact(p.text).text)]
    changed_keep = [text for text in KEEP if redactor.redact(text).text != text]
    demo_ms = _median_ms(lambda: redactor.redact(demo), RUNS)
    dense_ms = _median_ms(lambda: redactor.redact(dense), RUNS)
    return {
        "formats": len(FORMATS),
        "families": len({p.name.split("/")[0] for p in FORMATS}),
        "leaked": leaks,
        "keep_cases": len(KEEP),
        "keep_changed": changed_keep,
        "demo_findings": len(redactor.find(demo)),
        "demo_bytes": len(demo.encode("utf-8")),
        "dense_findings": redactor.redact(dense).total,
        "demo_ms_per_100kb": _per_100kb(demo_ms, demo),
        "dense_ms_per_100kb": _per_100kb(dense_ms, dense),
        "baseline": _baseline(demo, dense),
    }


def table(r: dict[str, Any]) -> str:
    b = r["baseline"]
    n = r["formats"]
    return "\n".join(
        [
            f"{n} planted formats ({r['families']} families: LLM providers, WordPress, HMAC "
            "signing secrets, database and broker URLs, GitHub, Google, AWS, Slack, Stripe, "
            f"Notion, JWT, PEM, .env/YAML, high-entropy next to key words) and {r['keep_cases']} "
            "keep cases (digests, commit ids, UUIDs, dates, versions, plain URLs, prose) from "
            "`tests/router/secret_formats.py`; cost is the median of "
            f"{RUNS} runs on {r['demo_bytes']:,} bytes. Baseline: detect-secrets' default "
            "plugins and filters scanning the same text as a file, credited with a format when "
            "it flags its line (it flags, it does not redact).",
            "",
            "| redactor | formats caught | leaked | keep cases changed | demo index findings "
            "| ms / 100 KB, demo | ms / 100 KB, dense |",
            "|---|---:|---:|---:|---:|---:|---:|",
            f"| ours (`router.redact.Redactor`) | {n - len(r['leaked'])} / {n} | "
            f"{len(r['leaked'])} | {len(r['keep_changed'])} / {r['keep_cases']} | "
            f"{r['demo_findings']} | {r['demo_ms_per_100kb']:.1f} | "
            f"{r['dense_ms_per_100kb']:.1f} |",
            f"| detect-secrets 1.x, default settings | {b['found']} / {n} | {n - b['found']} | "
            f"{b['flagged_keep']} / {r['keep_cases']} flagged | {b['demo_lines_flagged']} lines | "
            f"{b['demo_ms_per_100kb']:.1f} | {b['dense_ms_per_100kb']:.1f} |",
            "",
            f"Ours is {b['demo_ms_per_100kb'] / r['demo_ms_per_100kb']:.0f}x faster than the "
            "baseline on the demo index and "
            f"{b['dense_ms_per_100kb'] / r['dense_ms_per_100kb']:.0f}x on the dense text."
            + (f" Leaked: {', '.join(r['leaked'])}." if r["leaked"] else ""),
        ]
    )


if __name__ == "__main__":
    print(table(run()))
