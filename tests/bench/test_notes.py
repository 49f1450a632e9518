"""The notes shape of a large index (``bench.notes``): its size, its determinism, its domains,
a clean split by the project's splitter, and no text taken from ``examples/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.notes import notes
from tests.bench.shapes import (
    assert_a_monolith_of,
    assert_it_splits,
    assert_nothing_copied_from_the_examples,
)

TARGET = 300_000
DOMAINS = 40


@pytest.fixture(scope="module")
def text() -> str:
    return notes(TARGET, domains=DOMAINS)


def _outside_fences(text: str) -> list[str]:
    """The lines no code fence holds (fences indented under a list item included)."""
    out: list[str] = []
    fence = ""
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        if fence:
            if stripped.startswith(fence) and not stripped.rstrip().strip(fence[0]):
                fence = ""
            continue
        if stripped.startswith(("```", "~~~")):
            marker = stripped[0]
            fence = marker * (len(stripped) - len(stripped.lstrip(marker)))
            continue
        out.append(line)
    return out


def _domain_titles(text: str) -> list[str]:
    return [line[3:] for line in _outside_fences(text) if line.startswith("## ")]


def test_its_size_is_within_five_percent_of_the_target(text: str) -> None:
    assert abs(len(text.encode("utf-8")) - TARGET) <= TARGET * 0.05


def test_a_seed_gives_one_text_and_another_seed_another(text: str) -> None:
    assert notes(TARGET, domains=DOMAINS) == text
    assert notes(TARGET, domains=DOMAINS, seed=4) != text


def test_it_is_a_monolith_of_exactly_the_domains_asked_for(text: str) -> None:
    titles = _domain_titles(text)
    assert_a_monolith_of(text, titles, DOMAINS)
    # Code fences hold "## " comment lines too: the count above passes over them, as the
    # parser does, so this text does exercise the difference.
    assert sum(line.startswith("## ") for line in text.split("\n")) > len(titles)


def test_the_splitter_splits_it(text: str, tmp_path: Path) -> None:
    assert_it_splits(text, _domain_titles(text), tmp_path / "ws")


def test_no_block_of_it_is_copied_from_the_examples(text: str) -> None:
    assert_nothing_copied_from_the_examples(text)
