"""The scale bench's table on a made-up result: a column per shape, and a target met only when
every shape meets it (the bench itself takes minutes; its table is checked here)."""

from __future__ import annotations

from typing import Any

from bench.scale import SHAPES, TARGETS, table


def _shape(p50_ms: float, rss_mb: float) -> dict[str, Any]:
    return {
        "bytes": 20_000_000,
        "prepared_s": 60.0,
        "warm": {
            "latency": {"p50_ms": p50_ms, "p99_ms": 2 * p50_ms, "n": 90},
            "shards": 700,
            "sections": 9_000,
            "passages": 60_000,
            "postings": 4_000_000,
            "index_mb": 80.0,
            "terms": 200_000,
            "scoring": {"ours_ms": 1.0, "bm25s_ms": 2.0, "ratio": 0.5},
        },
        "from_store": {"peak_rss_mb": rss_mb, "build_s": 2.0, "import_s": 0.2, "rss_mb": 200.0},
        "from_saved": {
            "peak_rss_mb": 150.0,
            "build_s": 0.5,
            "rss_mb": 140.0,
            "refresh_s": 1.5,
            "refresh_peak_rss_mb": rss_mb + 50,
            "refresh_rss_mb": 150.0,
        },
        "edited": {"peak_rss_mb": 180.0, "build_s": 2.0, "rss_mb": 150.0},
        "cold_5mb": {"first_answer_s": 0.6},
        "cold_5mb_default": {"first_answer_s": 0.7},
    }


def test_the_table_has_a_column_per_shape_and_meets_a_target_only_with_all() -> None:
    assert list(SHAPES) == ["repeated", "varied", "notes", "wiki"]  # the table takes any number
    shapes = {
        "repeated": _shape(4.0, 200.0),
        "varied": _shape(6.0, 250.0),
        "notes": _shape(12.0, 320.0),  # over the p50 and memory targets
    }
    result = {
        "shapes": shapes,
        "brain_context": {
            "median_s": 0.4,
            "floor_s": 0.2,
            "instructions": None,
            "runs": 5,
            "first_s": 0.9,
        },
        "targets": TARGETS,
    }
    text = table(result)
    lines = text.split("\n")
    assert lines[0].startswith("Three indexes of about 20 MB")
    assert "| measure | repeated | varied | notes | target | met |" in lines
    assert "|---|---:|---:|---:|---:|---|" in lines
    rows = {line.split(" | ")[0]: line for line in lines if line.startswith("| warm")}
    assert rows["| warm get_context p50"].endswith("| **no** (notes) |")
    assert rows["| warm get_context p99"].endswith("| yes |")
    rss = next(line for line in lines if line.startswith("| peak RSS, process building"))
    assert rss.endswith("| **no** (notes) |")
    # A refresh while serving peaks 50 MB over the build in this made-up result.
    refresh = next(line for line in lines if line.startswith("| peak RSS, the serving process"))
    assert "| 250 MB | 300 MB | 370 MB |" in refresh and refresh.endswith("| **no** (notes) |")
    edited = next(line for line in lines if line.startswith("| a page edited between processes"))
    assert edited.endswith("| yes |")
    assert all(f"- **{name}** (" in text for name in shapes)
