"""The fixed texts of an answer: the footer's count is its parts' counts summed."""

from __future__ import annotations

from router._render import FIXED_TEXTS, footer_parts, section_line
from shards import TiktokenCounter


def test_the_footer_counts_as_its_parts_summed_for_any_number() -> None:
    tokenizer = TiktokenCounter()
    for more in [*range(1, 1_200), 9_999, 12_345, 1_000_000]:
        for weak, over in ((more, 0), (0, more), (more - 1, 1)):
            parts = footer_parts(weak, over)
            assert parts is not None
            text = "".join(parts)
            assert sum(tokenizer.raw(p) for p in parts) == tokenizer.raw(text), text


def test_the_footer_names_what_was_left_out() -> None:
    assert footer_parts(0, 0) is None
    assert "".join(footer_parts(0, 1) or ()) == (
        "<!-- budget reached: 1 more section; ask for a shard by id -->"
    )
    assert "".join(footer_parts(3, 0) or ()) == (
        "<!-- weaker matches left out: 3 more sections; ask for a shard by id -->"
    )
    assert set(footer_parts(0, 7) or ()) <= set(FIXED_TEXTS)  # counted ahead of time


def test_section_lines_name_the_path() -> None:
    assert section_line(("Finance", "VAT"), partial=True) == (
        "<!-- section: Finance > VAT · partial -->"
    )
    assert section_line((), partial=False) == "<!-- section: (intro) -->"
