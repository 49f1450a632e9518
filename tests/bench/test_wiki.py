"""The wiki shape of a large index (``bench.wiki``), beyond what every shape is checked for
(``test_shapes``): many small articles in five languages, glossaries, FAQs and SKU lists."""

from __future__ import annotations

from bench.wiki import wiki
from tests.bench.shapes import DOMAINS, TARGET


def test_it_has_the_shape_of_a_multilingual_wiki() -> None:
    text = wiki(TARGET, domains=DOMAINS)
    assert "```" not in text and "~~~" not in text  # only inline code
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
