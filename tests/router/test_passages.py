"""Passages: a section body cut at blank lines, tiny blocks joined, long ones cut to size."""

from __future__ import annotations

from router._passages import split_passages
from shards import TiktokenCounter


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


def test_a_tiny_block_joins_the_next_one_and_fences_stay_whole(
    tokenizer: TiktokenCounter,
) -> None:
    body = "Steps:\n\n- one\n- two\n\n```bash\necho a\n\necho b\n```"
    passages = split_passages(body, tokenizer, max_tokens=200, min_tokens=5)
    assert [p.text for p in passages] == [
        "Steps:\n\n- one\n- two",
        "```bash\necho a\n\necho b\n```",
    ]
