"""The wiki shape of a large index (``bench.wiki``): its size, its determinism, its spaces,
a clean split by the project's splitter, and no text taken from ``examples/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.wiki import wiki
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
TARGET = 300_000
DOMAINS = 40


@pytest.fixture(scope="module")
def text() -> str:
    return wiki(TARGET, domains=DOMAINS)


def _domain_titles(text: str) -> list[str]:
    # No code fences in this shape (only inline code), so every "## " line is a domain.
    assert "```" not in text and "~~~" not in text
    return [line[3:] for line in text.split("\n") if line.startswith("## ")]


def test_its_size_is_within_five_percent_of_the_target(text: str) -> None:
    assert abs(len(text.encode("utf-8")) - TARGET) <= TARGET * 0.05


def test_a_seed_gives_one_text_and_another_seed_another(text: str) -> None:
    assert wiki(TARGET, domains=DOMAINS) == text
    assert wiki(TARGET, domains=DOMAINS, seed=6) != text


def test_it_is_a_monolith_of_exactly_the_domains_asked_for(text: str) -> None:
    first, rest = text.split("\n", 1)
    assert first.startswith("# ") and first[2:].strip()
    intro = rest.lstrip("\n").split("\n\n", 1)[0]
    assert intro and not intro.startswith("#")  # a short paragraph before the first domain
    titles = _domain_titles(text)
    assert len(titles) == DOMAINS
    assert len(set(titles)) == DOMAINS
    level_two = [s.title for s in split_sections(text) if s.level == 2]
    assert level_two == titles


def test_it_has_the_shape_of_a_multilingual_wiki(text: str) -> None:
    lines = text.split("\n")
    articles = [line[4:] for line in lines if line.startswith("### ")]
    assert len(articles) > 300  # many small pages
    for common in ("Overview", "FAQ", "Contacts"):  # in every space
        assert articles.count(common) == DOMAINS
    assert any(line.startswith("#### ") for line in lines)
    assert any(line.startswith("**Q:** ") for line in lines)
    assert any(line.startswith("- SKU-") for line in lines)
    assert "|---|---|" in lines  # glossary tables of two columns
    assert any(line.startswith("> ") for line in lines)
    assert "](../" in text and "<br>" in text and "<sub>" in text
    for accent in "äöüßéèçñáij":
        assert accent in text, accent


def test_the_splitter_splits_it(text: str, tmp_path: Path) -> None:
    plan = plan_split(text, TiktokenCounter(), SplitOptions())
    assert plan.level == 2
    assert plan.title == text.split("\n", 1)[0][2:]
    assert plan.intro
    shard_titles = {s.header.title for s in plan.shards}
    assert shard_titles == set(_domain_titles(text))  # none merged or cut at this size
    store = LocalFolderStore(tmp_path / "ws")
    result = apply_split(plan, store)
    assert len(result.created) == len(plan.shards) and not result.blocked
    for ref in store.list_pages():
        page = parse_page(store.read(ref.id).text, page_id=ref.id)
        assert page.error is None, (ref.id, page.error)
        assert page.header is not None and page.header.page_type == "shard"


def test_no_block_of_it_is_copied_from_the_examples(text: str) -> None:
    examples = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in sorted((ROOT / "examples").rglob("*"))
        if p.is_file()
    )
    assert len(examples) > 100_000
    # Shorter blocks are markup or a word or two that anyone writes ("### FAQ", "|---|---|");
    # a block of 40 characters found verbatim would have been copied.
    blocks = sorted({b.strip() for b in text.split("\n\n") if len(b.strip()) >= 40})
    assert len(blocks) > 500
    copied = [b for b in blocks if b in examples]
    assert not copied, copied[:3]
