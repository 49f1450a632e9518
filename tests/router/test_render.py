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


def test_section_lines_counted_from_their_headings_are_their_whole_counts() -> None:
    """Every section of the three example corpora (and some awkward titles): the line counts
    LineCounter derives from the headings' counts equal the lines counted whole."""
    from pathlib import Path

    from router._passages import Counts
    from router._render import LineCounter
    from shards.page import split_sections

    examples = Path(__file__).resolve().parents[2] / "examples"
    awkward = "\n\n".join(
        [
            "intro text",
            "# 2024: the plan",
            "## (draft) Q&A:",
            "### 's-Hertogenbosch → café #1",
            "#### Closing hashes ##",
            "## Title  with  spaces",
            "Setext heading\n---",
            "###### deep ✨",
            "# A > B",
        ]
    )
    tokenizer = TiktokenCounter()
    checked = 0
    for text in [
        *(p.read_text(encoding="utf-8") for p in examples.glob("**/*.md") if p.name != "README.md"),
        awkward,
    ]:
        lines = LineCounter(Counts(tokenizer))
        for s in split_sections(text):
            heading = s.text.partition("\n")[0] if s.level else ""
            got = lines.raws(s.path, s.level, heading, tokenizer.raw(heading))
            want = tuple(tokenizer.raw(section_line(s.path, partial=p)) for p in (False, True))
            assert got == want, s.path
            checked += 1
    assert checked > 300
