"""The README quotes BENCHMARKS.md: every figure it gives for speed, memory, cold start and
recall is the one the last bench run wrote. A bench re-run that moves a figure fails here
until the README says the same (the issue's "the README's numbers match BENCHMARKS.md")."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
BENCHMARKS = (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")


def _section(name: str) -> str:
    """The text of one bench section (from its marker to the next)."""
    start = BENCHMARKS.index(f"<!-- bench:{name} -->")
    end = BENCHMARKS.find("<!-- bench:", start + 1)
    return BENCHMARKS[start : end if end >= 0 else None]


def _cells(line: str) -> list[str]:
    """A markdown table row's cells, bold marks removed."""
    return [c.strip().replace("**", "") for c in line.strip("|").split("|")]


def _rows(text: str) -> dict[str, list[str]]:
    """Markdown table rows by their first cell (the first such row), the other cells after."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = _cells(line)
            rows.setdefault(cells[0], cells[1:])
    return rows


def _number(cell: str) -> str:
    found = re.match(r"[\d.,]+", cell)
    assert found, cell
    return found.group()


def _unit(cell: str) -> str:
    """ "ms", "MB", "s", or "x" (a ratio, written "2.2x")."""
    return "x" if cell.endswith("x") and " " not in cell else cell.split()[-1]


def _joined(cells: list[str]) -> str:
    """ "6.4 / 8.6 / 6.2 / 6.8 ms": the cells' numbers as the README lists them."""
    return " / ".join(_number(c) for c in cells) + " " + _unit(cells[-1])


def _span(cells: list[str]) -> str:
    """ "0.32-0.39 s": the smallest and largest of the cells, as written in the table."""
    ordered = sorted(cells, key=lambda c: float(_number(c).replace(",", "")))
    unit = _unit(cells[0])
    low, high = _number(ordered[0]), _number(ordered[-1])
    return f"{low}-{high}{unit}" if unit == "x" else f"{low}-{high} {unit}"


SCALE = _rows(_section("scale"))
SHAPES = 4  # repeated, varied, notes, wiki


def _scale(measure: str) -> list[str]:
    row = next(cells for name, cells in SCALE.items() if name.startswith(measure))
    return row[:SHAPES]


@pytest.mark.parametrize(
    ("measure", "quote"),
    [  # each shape's value, or the span of the four
        ("warm get_context p50", _joined),
        ("warm get_context p99", _joined),
        ("peak RSS, process building from the pages", _joined),
        ("peak RSS, process starting from the saved index", _joined),
        ("peak RSS, the serving process through that refresh", _joined),
        ("new process to first answer, 5 MB", _span),
        ("snapshot from the saved index", _span),
        ("a page edited while serving", _span),
        ("a page edited between processes", _span),
        ("peak RSS, that new process", _span),
    ],
)
def test_the_readme_quotes_each_20_mb_row(measure: str, quote: Callable[[list[str]], str]) -> None:
    quoted = quote(_scale(measure))
    assert quoted in README, f"README should say {quoted!r} for {measure!r} (BENCHMARKS.md)"


def test_the_readme_gives_the_build_times_and_the_whole_process() -> None:
    build = _scale("snapshot build from the pages")
    assert f"{_number(build[0])} s (repeated)" in README
    assert _joined(build[1:]) in README
    whole = re.search(r"saved index \(median of 5\): \*\*([\d.]+) s\*\*", _section("scale"))
    assert whole is not None
    assert f"takes {whole.group(1)} s as a whole process" in README


def test_the_readme_gives_the_cost_of_ranking_by_meaning_at_20_mb() -> None:
    p50 = _number(_scale("warm get_context p50, 20 MB")[0])
    p99 = _number(_scale("warm get_context p99, 20 MB")[0])
    peak = _number(_scale("peak RSS, process starting from the saved index and vectors")[0])
    assert f"warm p50 {p50} ms and p99 {p99} ms" in README
    assert f"a {peak} MB peak" in README


def test_the_readme_gives_the_cloud_run_cold_starts() -> None:
    rows = _rows(_section("cloudstart"))
    small = [cells for name, cells in rows.items() if name.endswith(" 5 MB")]
    large = rows["notes 20 MB"]
    assert len(small) == 4
    saved, building, ratio, behind = ([cells[n] for cells in small] for n in (2, 4, 6, 7))
    quoted = (
        f"first answer {_span(saved)} at 5 MB against {_span(building)} building from the "
        f"pages ({_span(ratio)}), and {large[2]} against {large[4]} at 20 MB"
    )
    assert quoted in README
    assert f"({_span(behind)} at 5 MB, {large[7]} at 20 MB)" in README


@pytest.mark.parametrize(
    ("corpus", "method"),
    [
        ("demo", "ours"),
        ("ops", "ours"),
        ("ops", "ours + hints"),
        ("ops", "ours, words only"),
        ("vet", "ours"),
        ("vet", "ours + hints"),
        ("vet", "ours + first hints"),
        ("vet", "ours, words only"),
        ("vet", "paragraph BM25"),
    ],
)
def test_the_readme_gives_the_held_out_recall(corpus: str, method: str) -> None:
    quality = _section("quality")
    start = quality.index(f"### Corpus `{corpus}`")
    end = quality.find("\n### ", start + 1)
    # the corpus's first table (the one by task kind follows it)
    table = quality[start:end].split("\n\n|", 1)[1].split("\n\n", 1)[0]
    held_out = []
    for line in table.splitlines():
        cells = _cells(line)
        if cells[0] == method:
            held_out.append(_number(cells[4]))  # method, budget, recall, tune, held out
    assert len(held_out) == 3, (corpus, method)
    quoted = " / ".join(held_out) + " %"
    assert quoted in README, f"README should give {corpus} {method!r} as {quoted!r}"
