"""Checks every generated index shape of ``bench`` must pass (``test_notes``, ``test_wiki``):
a monolith of exactly the domains asked for, split cleanly by the project's splitter, and no
text taken from ``examples/``."""

from __future__ import annotations

from pathlib import Path

from shards import (
    LocalFolderStore,
    SplitOptions,
    TiktokenCounter,
    apply_split,
    parse_page,
    plan_split,
)
from shards.page import split_sections

ROOT = Path(__file__).resolve().parents[2]


def assert_a_monolith_of(text: str, titles: list[str], domains: int) -> None:
    """A ``# title`` line, a short paragraph, then ``domains`` unique ``## `` domains, which
    are the splitter's level-2 sections (``titles``, as the shape's own test finds them)."""
    first, rest = text.split("\n", 1)
    assert first.startswith("# ") and first[2:].strip()
    intro = rest.lstrip("\n").split("\n\n", 1)[0]
    assert intro and not intro.startswith("#")  # a short paragraph before the first domain
    assert len(titles) == domains
    assert len(set(titles)) == domains
    level_two = [s.title for s in split_sections(text) if s.level == 2]
    assert level_two == titles


def assert_it_splits(text: str, titles: list[str], folder: Path) -> None:
    """One shard per domain at the default sizes, written and read back without an error."""
    plan = plan_split(text, TiktokenCounter(), SplitOptions())
    assert plan.level == 2
    assert plan.title == text.split("\n", 1)[0][2:]
    assert plan.intro
    shard_titles = {s.header.title for s in plan.shards}
    assert shard_titles == set(titles)  # none merged or cut at this size
    store = LocalFolderStore(folder)
    result = apply_split(plan, store)
    assert len(result.created) == len(plan.shards) and not result.blocked
    for ref in store.list_pages():
        page = parse_page(store.read(ref.id).text, page_id=ref.id)
        assert page.error is None, (ref.id, page.error)
        assert page.header is not None and page.header.page_type == "shard"


def assert_nothing_copied_from_the_examples(text: str) -> None:
    examples = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in sorted((ROOT / "examples").rglob("*"))
        if p.is_file()
    )
    assert len(examples) > 100_000
    # Shorter blocks are markup or a word or two that anyone writes ("---", "</details>",
    # "### FAQ", "## Insurance"); a block of 40 characters found verbatim would have been copied.
    blocks = sorted({b.strip() for b in text.split("\n\n") if len(b.strip()) >= 40})
    assert len(blocks) > 500
    copied = [b for b in blocks if b in examples]
    assert not copied, copied[:3]
