"""Every generated index shape of ``bench`` (notes, wiki): its size, its determinism, exactly
the domains asked for, a clean split by the project's splitter, and no text taken from
``examples/``. Each shape's own checks are in its own module."""

from __future__ import annotations

from pathlib import Path

import pytest

from shards import (
    LocalFolderStore,
    SplitOptions,
    TiktokenCounter,
    apply_split,
    parse_page,
    plan_split,
)
from shards.page import split_sections
from tests.bench.shapes import DOMAINS, SHAPES, TARGET, domain_titles

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", params=sorted(SHAPES))
def shape(request: pytest.FixtureRequest) -> tuple[str, str]:
    name: str = request.param
    return name, SHAPES[name](TARGET, domains=DOMAINS)


def test_its_size_is_within_five_percent_of_the_target(shape: tuple[str, str]) -> None:
    _, text = shape
    assert abs(len(text.encode("utf-8")) - TARGET) <= TARGET * 0.05


def test_a_seed_gives_one_text_and_another_seed_another(shape: tuple[str, str]) -> None:
    name, text = shape
    make = SHAPES[name]
    assert make(TARGET, domains=DOMAINS) == text
    assert make(TARGET, domains=DOMAINS, seed=11) != text


def test_it_is_a_monolith_of_exactly_the_domains_asked_for(shape: tuple[str, str]) -> None:
    _, text = shape
    first, rest = text.split("\n", 1)
    assert first.startswith("# ") and first[2:].strip()
    intro = rest.lstrip("\n").split("\n\n", 1)[0]
    assert intro and not intro.startswith("#")  # a short paragraph before the first domain
    titles = domain_titles(text)
    assert len(titles) == DOMAINS
    assert len(set(titles)) == DOMAINS
    assert [s.title for s in split_sections(text) if s.level == 2] == titles


def test_the_splitter_splits_it(shape: tuple[str, str], tmp_path: Path) -> None:
    _, text = shape
    plan = plan_split(text, TiktokenCounter(), SplitOptions())
    assert plan.level == 2
    assert plan.title == text.split("\n", 1)[0][2:]
    assert plan.intro
    assert {s.header.title for s in plan.shards} == set(domain_titles(text))  # none merged/cut
    store = LocalFolderStore(tmp_path / "ws")
    result = apply_split(plan, store)
    assert len(result.created) == len(plan.shards) and not result.blocked
    for ref in store.list_pages():
        page = parse_page(store.read(ref.id).text, page_id=ref.id)
        assert page.error is None, (ref.id, page.error)
        assert page.header is not None and page.header.page_type == "shard"


def test_no_block_of_it_is_copied_from_the_examples(shape: tuple[str, str]) -> None:
    _, text = shape
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
