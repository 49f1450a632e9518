"""The wiki shape of a large index (``bench.wiki``): its size, its determinism, its spaces,
a clean split by the project's splitter, and no text taken from ``examples/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.wiki import wiki
from tests.bench.shapes import (
    assert_a_monolith_of,
    assert_it_splits,
    assert_nothing_copied_from_the_examples,
)

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
    assert_a_monolith_of(text, _domain_titles(text), DOMAINS)


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
    assert_it_splits(text, _domain_titles(text), tmp_path / "ws")


def test_no_block_of_it_is_copied_from_the_examples(text: str) -> None:
    assert_nothing_copied_from_the_examples(text)
