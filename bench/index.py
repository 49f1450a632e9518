"""Index maintenance: how long `brain split` and `brain sync` take, and how big the router is.

Inputs: the demo index (examples/context-index.md, ~138 KB, seven domains), synthetic
indexes of ~2.5 MB and ~5 MB built from the demo's domains (40 domains, each one of the demo's
domains with its subsections repeated under their own numbered headings: the headings differ,
but most blocks are copies, which the token cache counts once), and a ~5 MB varied one in
which no two blocks are alike (:func:`varied`: all three example indexes recombined). The
large indexes' domains are far over ``max_shard_tokens`` and get cut into parts, so the large
runs also exercise that path.

For each input, three timed phases, each the median of three runs on a fresh workspace:

- **split**: ``plan_split`` + ``apply_split`` (parse, count tokens, describe, write shards);
- **sync, cold**: the first sync after the split (every shard's header gets its machine
  fields; this is what ``brain split`` runs next, and what a first ``brain sync`` does);
- **sync, warm**: a sync with nothing changed (reads and hashes every page, writes nothing);
- **sync, one edited**: one shard edited by hand, then a sync.

Every phase starts from a fresh token counter, as a new ``brain`` process would; the
cl100k_base ranks are loaded once before timing. Throughput is input bytes per second, so
the rows can be compared for linearity. Writes are real (temp file, fsync, rename).

The router table gives, per input, every router page the cold sync wrote: how many, the top
router's bytes and the largest domain page's, against the 6.5 KB limit, beside what a single
page listing every shard would have weighed (the router before issue 10). Two more rows are
indexes of 722 and 2,000 small shards written directly (no split: the 20 MB index of issue 10
has 722 shards, and 2,000 is the size named under "bad input"); their router is measured by a
dry-run sync, which renders every page exactly as it would write it.

    python -m bench.index        # or: make bench (writes BENCHMARKS.md)
"""

from __future__ import annotations

import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from router import RouterStatus, SyncReport, sync
from router.router_page import ROUTER_PAGE_LIMIT_BYTES, empty_bytes, router_header
from router.router_tree import rows_bytes
from router.sync import router_rows, scan
from shards import (
    ClaudeDelta,
    LocalFolderStore,
    SplitOptions,
    TiktokenCounter,
    apply_split,
    plan_split,
    render_page,
)
from shards.tokens import encoding

ROOT = Path(__file__).resolve().parent.parent
MONOLITH = ROOT / "examples" / "context-index.md"
ROUTER_REFERENCE_BYTES = 6_656  # 6.5 KB for six shards, from the reference operation
REPEATS = 3
DOMAINS = 40
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def demo_text() -> str:
    if not MONOLITH.exists():
        raise SystemExit(f"{MONOLITH} is missing: the index benchmark runs on the demo data")
    return MONOLITH.read_text(encoding="utf-8")


def synthetic(target_bytes: int, domains: int = DOMAINS) -> str:
    """``domains`` demo-like domains adding up to about ``target_bytes``.

    Domain ``d`` is the demo's domain ``d % 7`` under a numbered title; its ``### ``
    subsections are cycled through, each copy's headings numbered, until the domain reaches
    its share of the target.
    """
    text = demo_text()
    head, _, rest = text.partition("\n## ")
    sources = [f"## {chunk}" for chunk in rest.split("\n## ")]
    share = target_bytes // domains
    out = [head.strip()]
    for d in range(domains):
        title_line, _, body = sources[d % len(sources)].partition("\n")
        lead, *subsections = body.split("\n### ")
        parts = [f"{title_line} (unit {d})", lead.strip()]
        size, n = sum(len(p) for p in parts), 0
        while size < share and subsections:
            sub = "### " + subsections[n % len(subsections)].strip()
            copy = n // len(subsections) + 1
            numbered = re.sub(r"^(#{3,6}) (.+)$", rf"\1 \2 (u{d}.{copy})", sub, flags=re.M)
            parts.append(numbered)
            size += len(numbered) + 2
            n += 1
        out.append("\n\n".join(parts))
    return "\n\n".join(out) + "\n"


#: The three example indexes, whose blocks and sentences :func:`varied` recombines.
SOURCES = (
    MONOLITH,
    ROOT / "examples" / "eval-ops" / "index.md",
    ROOT / "examples" / "eval-vet" / "index.md",
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
_DIGITS = re.compile(r"[0-9]+")
_CAPITALIZED = re.compile(r"\b[A-Z][a-z]{2,}\b")
_CODE_LETTERS = "ABCDEFGHJKLMNPRSTVWXZ"
_SYLLABLES = (
    "ka ro mi ven ta lo stra bel dun fer gal hol ix jor kes lum nor pav quin rud sel tor "
    "ul vax wen yor zim bra cle dro fin gri han"
).split()


def varied(target_bytes: int, domains: int = DOMAINS, seed: int = 7) -> str:
    """``domains`` domains adding up to about ``target_bytes`` of text that does not repeat:
    the shape of an operator's index rather than the demo copied (:func:`synthetic`).

    Every block is new. Paragraphs are 1-6 sentences drawn from all three example indexes
    (demo, eval-ops, eval-vet); lists, tables and code fences are their blocks. In every
    block each run of digits is redrawn and about one capitalized word in four becomes a
    name from an invented lexicon of 60,000, drawn with a long tail (a few common, most rare), so
    the vocabulary grows with the index as names, codes and amounts do in real notes, and
    no token count or analysis is ever a repeat. Sections hold 1-6 blocks, one in ten a
    long pasted document of 12-30; titles are source headings with a name. Deterministic.
    """
    rng = random.Random(seed)
    paragraphs, others, titles = _source_blocks()
    sentences = [s for p in paragraphs for s in _SENTENCE.split(p) if len(s) > 20]
    lexicon = _names(rng, 60_000)

    def name() -> str:
        return lexicon[int(len(lexicon) * rng.random() ** 2.5)]

    def vary(text: str) -> str:
        text = _DIGITS.sub(lambda m: str(rng.randrange(10 ** len(m.group()))), text)
        return _CAPITALIZED.sub(lambda m: name() if rng.random() < 0.25 else m.group(), text)

    def block() -> str:
        if rng.random() < 0.7:
            return vary(" ".join(rng.choice(sentences) for _ in range(rng.randint(1, 6))))
        return vary(rng.choice(others))

    share = target_bytes // domains
    out = ["# Context Index (varied, generated)", "The operation's facts, by domain."]
    for d in range(domains):
        parts = [f"## {rng.choice(titles)} (unit {d})", vary(rng.choice(paragraphs))]
        size = sum(len(p) for p in parts)
        while size < share:
            count = rng.randint(12, 30) if rng.random() < 0.1 else rng.randint(1, 6)
            section = "\n\n".join(
                [f"### {rng.choice(titles)}: {name()}"] + [block() for _ in range(count)]
            )
            parts.append(section)
            size += len(section) + 2
        out.append("\n\n".join(parts))
    return "\n\n".join(out) + "\n"


def _source_blocks() -> tuple[list[str], list[str], list[str]]:
    """The example indexes' paragraphs, other blocks (lists, tables, fences, toggles) and
    heading titles."""
    paragraphs: list[str] = []
    others: list[str] = []
    titles: list[str] = []
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        blocks, fence = [], False
        current: list[str] = []
        for line in text.split("\n"):
            if line.lstrip().startswith(("```", "~~~")):
                fence = not fence
            if not fence and line.startswith("#") and not line.startswith("#!"):
                title = line.lstrip("#").strip()
                if line.startswith(("## ", "### ", "#### ")) and title:
                    titles.append(re.sub(r"\s*\(.*\)$", "", title))
                continue
            if not fence and not line.strip():
                if current:
                    blocks.append("\n".join(current))
                current = []
            else:
                current.append(line)
        if current:
            blocks.append("\n".join(current))
        for b in blocks:
            plain = not b.lstrip().startswith(("|", "-", "*", "```", "~~~", "<", ">", "1."))
            (paragraphs if plain and "\n" not in b.strip() else others).append(b)
    return paragraphs, others, titles


def _names(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct invented names and codes (two to four syllables, or a code)."""
    seen: dict[str, None] = {}
    while len(seen) < count:
        if rng.random() < 0.2:
            letters = "".join(rng.choice(_CODE_LETTERS) for _ in range(2))
            word = f"{letters}-{rng.randrange(10_000)}"
        else:
            word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        seen.setdefault(word)
    return list(seen)


def _median_time(setup: Callable[[], Any], action: Callable[[Any], Any]) -> tuple[float, Any]:
    """Median wall time of ``action(setup())`` over REPEATS runs, and the last result."""
    times, result = [], None
    for _ in range(REPEATS):
        state = setup()
        start = time.perf_counter()
        result = action(state)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure(name: str, text: str, scratch: Path) -> dict[str, Any]:
    size = len(text.encode())
    options = SplitOptions()
    runs = iter(range(10_000))

    def fresh_store() -> LocalFolderStore:
        return LocalFolderStore(scratch / f"{name}-{next(runs)}")

    intro = ""

    def split(store: LocalFolderStore) -> LocalFolderStore:
        nonlocal intro
        plan = plan_split(text, TiktokenCounter(), options)
        apply_split(plan, store)
        intro = plan.intro  # the router's notes on a first split, as `brain split` does
        return store

    def split_store() -> LocalFolderStore:
        return split(fresh_store())

    def synced_store() -> LocalFolderStore:
        store = split_store()
        sync(store, TiktokenCounter(), now=NOW, seed_notes=intro)
        return store

    def edited_store() -> LocalFolderStore:
        store = synced_store()
        first = min(ref.id for ref in store.list_pages() if ref.id != "router")
        page = store.read(first).text
        store.write(first, page + "\nEdited by hand: the on-call rota moved to Thursdays.\n")
        return store

    def run_sync(store: LocalFolderStore) -> Any:
        return sync(store, TiktokenCounter(), now=NOW + timedelta(hours=1), seed_notes=intro)

    split_s, _ = _median_time(fresh_store, split)
    cold_s, cold = _median_time(split_store, run_sync)
    warm_s, warm = _median_time(synced_store, run_sync)
    edit_s, edited = _median_time(edited_store, run_sync)
    assert not warm.changed and not warm.router_changed, "a warm sync must write nothing"
    assert len(edited.changed) == 1, edited.changed
    return {
        "name": name,
        "bytes": size,
        "shards": len(cold.shards),
        "router_bytes": cold.router_bytes,
        "router": router_sizes(cold, synced_store(), intro),
        "invalid": len(cold.invalid),
        "anomalies": len(cold.anomalies),
        "split_s": split_s,
        "sync_cold_s": cold_s,
        "sync_warm_s": warm_s,
        "sync_one_edited_s": edit_s,
        "split_bytes_per_s": size / split_s,
        "sync_cold_bytes_per_s": size / cold_s,
        "sync_warm_bytes_per_s": size / warm_s,
        "sync_one_edited_bytes_per_s": size / edit_s,
    }


def router_sizes(report: SyncReport, store: LocalFolderStore, notes: str) -> dict[str, Any]:
    """Every router page of a sync, and what one page listing every shard would weigh."""
    pages = report.routers
    top = pages[-1]
    below = [p for p in pages[:-1] if not p.retired]
    found = scan(store)
    headers = [(p.header, p.id, url) for p, url in found.shards if p.header is not None]
    one_page = empty_bytes(router_header(), notes) + rows_bytes(router_rows(headers))
    return {
        "pages": len(pages),
        "domain_pages": len(below),
        "levels": 1
        if top.lists == "shards"
        else (3 if any(p.lists == "domains" for p in below) else 2),
        "top_bytes": top.bytes,
        "largest_domain_bytes": max((p.bytes for p in below), default=0),
        "largest_bytes": max(p.bytes for p in pages),
        "one_page_bytes": one_page,
    }


def _levels(pages: tuple[RouterStatus, ...]) -> int:
    """How many router pages deep the deepest shard row sits (1: one page)."""
    parent = {p.page_id: p.parent for p in pages if not p.retired}

    def depth(page_id: str) -> int:
        up = parent.get(page_id)
        return 1 if up is None else 1 + depth(up)

    return max(depth(p) for p in parent)


def many_shards(count: int, scratch: Path) -> dict[str, Any]:
    """``count`` small shards written straight to a folder, their router from a dry run."""
    path = scratch / f"many-{count}"
    path.mkdir()
    areas = ("clients", "infra", "adr", "procedures", "finance", "credentials", "schedules")
    for n in range(count):
        shard_id = f"{areas[(n * n) % 7]}-note-{n}" if n % 17 else f"misc{n}-notes"
        header = ClaudeDelta(
            id=shard_id,
            title=f"{shard_id.split('-')[0].capitalize()} note {n}",
            summary="Who owns it, how it is set up and what to check before changing it.",
            fetch_when=("renewal", "contract terms", f"note {n}"),
        )
        text = render_page(header, f"# Note {n}\n\nHow {shard_id} works, step by step.\n")
        (path / f"{shard_id}.md").write_text(text, encoding="utf-8")
    store = LocalFolderStore(path)
    report = sync(store, TiktokenCounter(), now=NOW, dry_run=True)
    return {
        "name": f"{count:,} small shards",
        "shards": count,
        "router": router_sizes(report, store, ""),
    }


def run() -> dict[str, Any]:
    """Measure the demo index, the 2.5 MB and 5 MB synthetic ones and the 5 MB varied one."""
    encoding()  # load the ranks once, outside every timing
    inputs = [
        ("demo", demo_text()),
        ("synthetic 2.5 MB", synthetic(2_500_000)),
        ("synthetic 5 MB", synthetic(5_000_000)),
        ("varied 5 MB", varied(5_000_000)),
    ]
    with tempfile.TemporaryDirectory(prefix="bench-index-") as scratch:
        rows = [measure(name, text, Path(scratch)) for name, text in inputs]
        many = [many_shards(count, Path(scratch)) for count in (722, 2_000)]
    demo = rows[0]
    return {
        "repeats": REPEATS,
        "rows": rows,
        "many": many,
        "router": {
            "demo_shards": demo["shards"],
            "demo_router_bytes": demo["router_bytes"],
            "reference_bytes": ROUTER_REFERENCE_BYTES,
            "reference_shards": 6,
            "limit_bytes": ROUTER_PAGE_LIMIT_BYTES,
        },
    }


def _mb(value: float) -> str:
    return f"{value / 1e6:.2f}"


def table(result: dict[str, Any]) -> str:
    """The results as markdown tables."""
    lines = [
        f"Median of {result['repeats']} runs, fresh workspace and token counter each run; "
        "MB/s is input size over time (constant MB/s means linear cost).",
        "",
        "| index | size | shards | split | MB/s | sync cold | MB/s | sync warm | MB/s "
        "| sync, one edited | MB/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in result["rows"]:
        lines.append(
            f"| {row['name']} | {_mb(row['bytes'])} MB | {row['shards']} "
            f"| {row['split_s']:.2f} s | {_mb(row['split_bytes_per_s'])} "
            f"| {row['sync_cold_s']:.2f} s | {_mb(row['sync_cold_bytes_per_s'])} "
            f"| {row['sync_warm_s']:.3f} s | {_mb(row['sync_warm_bytes_per_s'])} "
            f"| {row['sync_one_edited_s']:.3f} s | {_mb(row['sync_one_edited_bytes_per_s'])} |"
        )
    limit = result["router"]["limit_bytes"]
    lines += [
        "",
        f"Router pages after the cold sync (limit {limit:,} bytes = 6.5 KB, the reference "
        "router for 6 shards; notes included). *One page* is what a single table of every "
        "shard would weigh, the router before it had two levels.",
        "",
        "| index | shards | router pages | levels | top router | largest domain page "
        "| largest page vs limit | one page |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in [*result["rows"], *result.get("many", [])]:
        r = row["router"]
        domain = f"{r['largest_domain_bytes']:,}" if r["domain_pages"] else "—"
        lines.append(
            f"| {row['name']} | {row['shards']:,} | {r['pages']} | {r['levels']} "
            f"| {r['top_bytes']:,} | {domain} | {r['largest_bytes'] / limit:.0%} "
            f"| {r['one_page_bytes']:,} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
