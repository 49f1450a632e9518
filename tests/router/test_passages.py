"""Passages: a section body cut at blank lines, tiny blocks joined, long ones cut to size."""

from __future__ import annotations

import itertools
import pickle
from dataclasses import fields

from hypothesis import given, settings
from hypothesis import strategies as st

from router._passages import (
    Counts,
    Passage,
    _block_raw,
    pack_passages,
    page_tokens,
    section_passages,
    shared,
    split_passages,
    unpack_passages,
)
from router.model import IndexedSection
from shards import TiktokenCounter
from tests.router.helpers import TOKENS


def test_a_long_table_is_cut_into_chunks_that_keep_its_header_rows(
    tokenizer: TiktokenCounter,
) -> None:
    table = "| Job | Schedule |\n|---|---|\n" + "\n".join(
        f"| job-{n} | every day at {n}:00 with a long description of what it does |"
        for n in range(40)
    )
    passages = split_passages(table, tokenizer, max_tokens=120, min_tokens=12)
    assert len(passages) > 3
    assert all(p.tokens <= 120 for p in passages)
    assert all(p.lead == "| Job | Schedule |\n|---|---|" for p in passages)
    assert "\n".join(p.text for p in passages) == table.split("\n", 2)[2]
    assert all(p.raw == tokenizer.raw(p.text) for p in passages)
    assert all(p.lead_raw == tokenizer.raw(p.lead) > 0 for p in passages)


def test_a_tiny_block_joins_the_next_one_and_fences_stay_whole(
    tokenizer: TiktokenCounter,
) -> None:
    body = "Steps:\n\n- one\n- two\n\n```bash\necho a\n\necho b\n```"
    passages = split_passages(body, tokenizer, max_tokens=200, min_tokens=5)
    assert [p.text for p in passages] == [
        "Steps:\n\n- one\n- two",
        "```bash\necho a\n\necho b\n```",
    ]


class _Words:
    """A tokenizer that cannot sum (one token per word): every text is counted whole."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def count(self, text: str) -> int:
        self.calls.append(text)
        return len(text.split())


_SECTIONS = [
    (2, "## Restore\n\nSteps:\n\n- one\n- two.\n\n\n```bash\necho a\n\necho b\n```\n\nDone."),
    (3, "### Jobs\n| a | b |\n|---|---|\n" + "\n".join(f"| j{n} | at {n}:00 |" for n in range(60))),
    (2, "## Empty"),
    (0, "Intro text, first line:\n  indented\n\nsecond block ends in é"),
    (2, "## Prose\n\n" + " ".join(f"Sentence {n} says what it does." for n in range(80))),
    (2, "## Odd\n\n   \n\nnot a blank line above\n\n\x0bstarts with a vertical tab"),
]


def test_a_sections_count_summed_from_its_blocks_is_its_whole_count(
    tokenizer: TiktokenCounter,
) -> None:
    for level, text in _SECTIONS:
        heading, passages, tokens, raw, heading_raw = section_passages(
            text, level, tokenizer, max_tokens=40, min_tokens=5
        )
        assert tokens == tokenizer.count(text), text
        assert raw == tokenizer.raw(text), text
        assert heading_raw == tokenizer.raw(heading), text
        assert all(p.tokens == tokenizer.count(p.text) for p in passages), text
        # each passage keeps its raw counts, from which packing sums an answer's count
        assert all(p.raw == tokenizer.raw(p.text) for p in passages), text
        assert all(p.lead_raw == tokenizer.raw(p.lead) for p in passages), text
        rest = text.partition("\n")[2] if level else text
        assert passages == split_passages(rest, tokenizer, max_tokens=40, min_tokens=5)
        assert heading == (text.partition("\n")[0] if level else "")


def test_passages_hold_spans_of_their_sections_text_and_read_the_same(
    tokenizer: TiktokenCounter,
) -> None:
    spans = owns = 0
    # (a tiny block joined to the next across three newlines is not a span: "\n\n" joins it)
    for level, text in [*_SECTIONS, (2, "## Gap\n\nSteps:\n\n\n- one\n- two and more")]:
        _, passages, *_ = section_passages(text, level, tokenizer, max_tokens=40, min_tokens=5)
        utf8 = text.encode()
        found = shared(passages, utf8)
        assert [p.text for p in found] == [p.text for p in passages], text
        for before, after in zip(passages, found, strict=True):
            if after.start >= 0:  # a span of the section's own bytes, not a copy
                assert after.utf8 is utf8 and after.end - after.start == len(before.utf8)
                spans += 1
            else:
                assert after == before
                owns += 1
        copy = pickle.loads(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))
        assert copy == found
        assert all(c.utf8 is copy[0].utf8 for c in copy if c.start >= 0)  # pickled once
    assert spans > 10 and owns >= 1


def test_a_pages_count_summed_from_its_sections_is_its_whole_count(
    tokenizer: TiktokenCounter,
) -> None:
    texts = [t for _, t in _SECTIONS]
    body = "\n\n".join(texts[:3]) + "\n" + "\n\n\n".join(texts[3:])
    raws = [
        (t, section_passages(t, lv, tokenizer, max_tokens=40, min_tokens=5)[3])
        for lv, t in _SECTIONS
    ]
    assert page_tokens(body, raws, tokenizer) == tokenizer.count(body)
    # sections that are not the body, in order and with only newlines between: counted whole
    assert page_tokens(body + " tail", raws, tokenizer) == tokenizer.count(body + " tail")
    assert page_tokens(body, raws[::-1], tokenizer) == tokenizer.count(body)


def test_a_tokenizer_that_cannot_sum_counts_each_text_whole() -> None:
    words = _Words()
    text = "## Steps\n\nSteps:\n\n- one two three\n- four five six"
    _, passages, tokens, _, _ = section_passages(text, 2, words, max_tokens=40, min_tokens=3)
    assert tokens == 11
    assert [p.tokens for p in passages] == [9]
    assert text in words.calls
    assert page_tokens(text, [(text, tokens)], words) == 11


def test_a_shards_body_is_packed_as_zlib_would_pack_it(tokenizer: TiktokenCounter) -> None:
    import zlib

    from router.model import _compress

    data = ("## Section\n\nSome text about Cloud Run.\n\n" * 200).encode()
    assert _compress(data).result() == zlib.compress(data, 1)
    assert zlib.decompress(_compress(data).result()) == data


def test_one_long_line_is_cut_at_sentences_that_sum_back_with_their_space(
    tokenizer: TiktokenCounter,
) -> None:
    """Sentence chunks of one line keep what the space before them adds, so an excerpt that
    shows two of them in a row is counted from their counts."""
    line = " ".join(
        f"Sentence {n} says the Stripe payout lands on day {n % 28 + 1}, not before!"
        if n % 3
        else f"'Quoted' note {n}: see (the runbook) and 2024's numbers?"
        for n in range(60)
    )
    passages = split_passages(line, tokenizer, max_tokens=60, min_tokens=5)
    assert len(passages) > 5 and all(p.sep == " " for p in passages)
    assert passages[0].space_raw == -1 and all(p.space_raw >= 0 for p in passages[1:])
    for a, b in itertools.pairwise(passages):
        assert tokenizer.raw(f"{a.text} {b.text}") == a.raw + b.raw + b.space_raw


def test_sections_and_passages_pickle_with_every_field(tokenizer: TiktokenCounter) -> None:
    # (a large build's helper process sends them pickled: see Passage.__reduce__)
    passage = Passage(b"| a | b |", 5, 3, sep=" ", lead="| h |", raw=4, lead_raw=3, space_raw=1)
    text = "caf\u00e9 \U0001f4a1".encode()
    section = IndexedSection(
        "s", "T", 2, ("A", "T"), text, 7, "## T", (passage,), raw=6, heading_raw=2,
        line_raws=(9, 11),
    )  # fmt: skip
    assert section.text == "caf\u00e9 \U0001f4a1" and passage.text == "| a | b |"
    for value in (passage, section):
        copy = pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        assert copy == value and type(copy) is type(value)
        assert [getattr(copy, f.name) for f in fields(value)] == [
            getattr(value, f.name) for f in fields(value)
        ]


def test_a_sections_passages_pickle_packed_sharing_its_text_and_every_field_is_kept() -> None:
    # IndexedSection.__reduce__ names its fields one by one: a new field must be added there.
    assert [f.name for f in fields(IndexedSection)] == [
        "id", "title", "level", "path", "utf8", "tokens", "heading", "passages", "raw",
        "heading_raw", "line_raws",
    ]  # fmt: skip
    assert [f.name for f in fields(Passage)] == [
        "utf8", "tokens", "block", "sep", "lead", "raw", "lead_raw", "space_raw", "start", "end",
    ]  # fmt: skip
    text = b"First line.\n\n| h |\n|---|\n| 1 |\n\nOne sentence. Two."
    passages = (
        Passage(text, 3, 0, raw=3, start=0, end=11),  # a span of the section's text
        Passage(b"| 1 |", 4, 1, lead="| h |\n|---|", raw=4, lead_raw=5),  # a table chunk
        Passage(text, 2, 2, sep=" ", raw=2, space_raw=1, start=33, end=46),
        Passage(b"own bytes", 2, 3, sep=" ", raw=2, space_raw=-1),
    )
    section = IndexedSection(
        "s", "T", 2, ("A", "T"), text, 11, "## T", passages, raw=10, heading_raw=2,
        line_raws=(9, 11),
    )  # fmt: skip
    copy = pickle.loads(pickle.dumps(section, protocol=pickle.HIGHEST_PROTOCOL))
    assert copy == section
    assert [p.text for p in copy.passages] == [p.text for p in passages]
    assert [p.utf8 is copy.utf8 for p in copy.passages] == [True, False, True, False]
    # One pickled object per section, not one tuple per passage.
    packed, texts = pack_passages(passages, text)
    assert len(packed) == 8 * 8 * len(passages) and texts == (
        "| h |\n|---|",
        b"| 1 |",
        " ",
        " ",
        b"own bytes",
    )
    assert unpack_passages(packed, texts, text) == passages
    assert unpack_passages(*pack_passages((), text), text) == ()


_SENTENCE_START = st.sampled_from(
    ["Note", "'Quoted'", "2024's", "(see", "\u00e9t\u00e9", "\U0001f4a1", "\u201cso", "x"]
)
_SENTENCE_BODY = st.text(alphabet="ab 1.,'()\u2019\u2014\u00a0-\t", min_size=0, max_size=30)
_SENTENCE_END = st.sampled_from([".", "!", "?", "...", "?!"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_SENTENCE_START, _SENTENCE_BODY, _SENTENCE_END), min_size=2, max_size=40))
def test_a_long_lines_count_summed_from_its_sentences_is_its_whole_count(
    parts: list[tuple[str, str, str]],
) -> None:
    tokenizer = TOKENS
    line = " ".join(f"{a} {b.strip()}{c}" for a, b, c in parts)
    counts = Counts(tokenizer)
    assert _block_raw(line, counts, max_tokens=5) == tokenizer.raw(line)
    for passage in split_passages(line, tokenizer, max_tokens=20, min_tokens=1):
        assert passage.raw == tokenizer.raw(passage.text)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.text(alphabet="ab 1|.-:\u2014\t#`'", min_size=1, max_size=25), min_size=2, max_size=30
    )
)
def test_a_long_blocks_count_summed_from_its_lines_is_its_whole_count(lines: list[str]) -> None:
    block = "\n".join(lines)
    assert _block_raw(block, Counts(TOKENS), max_tokens=2) == TOKENS.raw(block)
