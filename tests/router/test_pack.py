"""Packing: the budget is never exceeded, the digest comes first, every piece has provenance."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router.pack import Packed, PackOptions, pack
from router.select import Candidate, Selection, select
from router.snapshot import IndexSnapshot
from shards import TiktokenCounter
from tests.router.helpers import VOCABULARY, build_snapshot


def _pack(
    snapshot: IndexSnapshot,
    tokenizer: TiktokenCounter,
    task: str,
    budget: int,
    shards: list[str] | None = None,
    **options: float,
) -> Packed:
    selection = select(snapshot, task, shards or ())
    return pack(snapshot, selection, budget, tokenizer, PackOptions(**options))  # type: ignore[arg-type]


def _expand(text: str) -> tuple[str, Mapping[str, int]]:
    """A hostile redactor: every digit becomes a long marker, so the text grows a lot."""
    out, n = re.subn(r"\d", "[redacted:digit]", text)
    return out, {"digit": n} if n else {}


# -- the budget guarantee -------------------------------------------------------------------


tasks = st.lists(st.sampled_from(VOCABULARY), max_size=10).map(" ".join) | st.text(max_size=60)
requested = st.lists(st.sampled_from(["credentials", "finance", "procedures"]), max_size=2)


@settings(max_examples=80, deadline=None)
@given(task=tasks, budget=st.integers(1, 50), shards=requested)
def test_tiny_budgets_are_never_exceeded(
    snapshot: IndexSnapshot, tokenizer: TiktokenCounter, task: str, budget: int, shards: list[str]
) -> None:
    packed = _pack(snapshot, tokenizer, task, budget, shards)
    assert packed.tokens == tokenizer.count(packed.text) <= budget


@settings(max_examples=80, deadline=None)
@given(task=tasks, budget=st.integers(1, 3_000), shards=requested, grow=st.booleans())
def test_packed_tokens_never_exceed_the_budget(
    snapshot: IndexSnapshot,
    tokenizer: TiktokenCounter,
    task: str,
    budget: int,
    shards: list[str],
    grow: bool,
) -> None:
    selection = select(snapshot, task, shards)
    packed = pack(snapshot, selection, budget, tokenizer, redact=_expand if grow else None)
    assert packed.tokens == tokenizer.count(packed.text) <= budget


# -- what the text holds ---------------------------------------------------------------------


def test_the_result_starts_with_the_router_digest(
    snapshot: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    packed = _pack(snapshot, tokenizer, "VAT deadline accountant", 2_000)
    assert packed.text.startswith(snapshot.digest)
    assert packed.digest == "full"
    assert "the deadline is the 7th" in packed.text


def test_every_piece_carries_its_provenance(
    snapshot: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    packed = _pack(snapshot, tokenizer, "static egress IPs and the DNS TTL", 2_000)
    infra = snapshot.shard("infrastructure")
    assert infra is not None
    line = f"<!-- shard: infrastructure · Infrastructure · updated 2026-11-21 · {infra.url} -->"
    assert packed.text.count(line) == 1
    assert "<!-- section: Infrastructure > DNS and Domains > Static Egress IPs -->" in packed.text
    assert "<!-- section: Infrastructure > DNS and Domains -->" in packed.text
    for section in packed.sections:
        assert " > ".join(section.path) in packed.text


def test_sections_of_one_shard_appear_in_document_order(
    snapshot: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    # The egress section scores higher but comes later in the page than DNS.
    packed = _pack(snapshot, tokenizer, "static egress IPs, and the DNS TTL", 2_000)
    text = packed.text
    assert text.index("### DNS and Domains") < text.index("#### Static Egress IPs")


def test_relevance_falling_off_stops_the_packing_and_says_so(
    snapshot: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    packed = _pack(snapshot, tokenizer, "the VAT accountant and deadline; also Stripe", 8_000)
    assert packed.tokens < 1_000
    assert any("relevance cutoff" in n for n in packed.notes)
    assert "weaker matches left out" in packed.text


def test_a_large_section_contributes_its_best_passages_under_its_heading(
    snapshot: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    packed = _pack(snapshot, tokenizer, "replica lag threshold for step 7", 600)
    assert packed.tokens <= 600
    assert "<!-- section: Procedures > Restoring a Database Backup · partial -->" in packed.text
    assert "### Restoring a Database Backup" in packed.text
    assert "Step 7. Check replica lag" in packed.text
    assert "[…]" in packed.text
    restore = next(s for s in packed.sections if s.id == "restoring-a-database-backup")
    assert restore.partial
    procedures = next(s for s in packed.shards if s.id == "procedures")
    assert procedures.included == "partial"


def test_a_partial_table_keeps_its_header_rows(
    snapshot: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    packed = _pack(snapshot, tokenizer, "which scheduled export job handles region 17", 500)
    assert "| `job-17` |" in packed.text
    assert "| Job | Schedule | What | Owner |\n|---|---|---|---|" in packed.text


def test_a_small_budget_shortens_the_digest_and_says_so(
    snapshot: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    packed = _pack(snapshot, tokenizer, "VAT", 200)
    assert packed.digest in ("short", "ids")
    assert "`finance`" in packed.text and "`procedures`" in packed.text
    assert packed.tokens <= 200


def test_a_budget_smaller_than_the_digest_returns_what_fits_and_says_so(
    snapshot: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    packed = _pack(snapshot, tokenizer, "VAT", 8)
    assert packed.tokens <= 8
    assert packed.digest == "truncated"
    assert packed.text.startswith("# Context index")
    assert not packed.sections
    assert any("smaller than the router digest" in n for n in packed.notes)


def test_a_budget_of_one_token_still_holds(
    snapshot: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    packed = _pack(snapshot, tokenizer, "VAT", 1)
    assert packed.tokens <= 1


def test_the_manifest_lists_every_shard_with_inclusion_score_and_tokens(
    snapshot: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    packed = _pack(snapshot, tokenizer, "VAT accountant", 4_000)
    by_id = {s.id: s for s in packed.shards}
    assert list(by_id) == list(snapshot.ids())
    assert by_id["finance"].included in ("full", "partial")
    assert by_id["finance"].score == 1.0
    assert by_id["infrastructure"].included == "none"
    infrastructure = snapshot.shard("infrastructure")
    assert infrastructure is not None
    assert by_id["infrastructure"].tokens == infrastructure.tokens
    assert set(by_id["finance"].to_json()) == {"id", "title", "tokens", "included", "score"}


def test_a_requested_shard_that_fits_is_included_full(
    snapshot: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    packed = _pack(snapshot, tokenizer, "", 4_000, ["finance"])
    finance = next(s for s in packed.shards if s.id == "finance")
    assert finance.included == "full" and finance.requested
    assert finance.to_json()["requested"] is True
    shard = snapshot.shard("finance")
    assert shard is not None
    for section in shard.sections:
        assert section.text in packed.text


def test_redaction_counts_reach_the_result(
    snapshot: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    selection = select(snapshot, "static egress IPs", ())
    packed = pack(snapshot, selection, 2_000, tokenizer, redact=_expand)
    assert packed.redactions["digit"] > 0
    assert not re.search(r"\d", packed.text)


# -- long pages without sub-headings ---------------------------------------------------------

_FILLER = [
    "The roastery opens at six and the first person in lights the burner.",
    "Green coffee arrives on pallets from the importers' warehouses.",
    "Cupping happens every afternoon at three with one cup per profile.",
    "The packing bench prints labels from the morning push.",
    "Couriers collect the café crates on Tuesdays and Fridays.",
    "Invoices for cafés go out when an order ships.",
    "The shop closes at four and the till float goes back in the safe.",
    "Reference samples live in the freezer in vacuum bags.",
]
LONG_PAGE = "\n\n".join(
    [
        "# Context Index — Long Pages",
        "## Operations",
        "### The decaf question (pasted article)",
        *[f"{line} It is noted here for completeness, nothing more." for line in _FILLER[:4]],
        "Why is the decaf roasted last in the day's plan?",
        "Because its chaff catches fire easily, the collector is emptied right after it.",
        *[f"{line} Again, only for completeness." for line in _FILLER[4:]],
        "## Shop",
        "### Menu notes",
        "We sell a decaf espresso in the shop; the plan for it is on the whiteboard.",
        *[f"{line} The shop keeps a copy of this note." for line in _FILLER],
    ]
)


@pytest.fixture(scope="module")
def long_snapshot(
    tmp_path_factory: pytest.TempPathFactory, tokenizer: TiktokenCounter
) -> IndexSnapshot:
    return build_snapshot(tmp_path_factory.mktemp("long"), tokenizer, LONG_PAGE)


def test_the_best_articles_next_paragraph_beats_a_weak_match_elsewhere(
    long_snapshot: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    # The answer shares no word with the task; the paragraph before it names the topic, and
    # the shop's notes mention decaf and the plan too, more weakly.
    packed = _pack(long_snapshot, tokenizer, "why is decaf last in the roasting plan", 260)
    assert "its chaff catches fire easily" in packed.text
    assert "decaf espresso in the shop" not in packed.text
    article = next(s for s in packed.sections if s.id.startswith("the-decaf-question"))
    assert article.partial  # a long article contributes its best passages, not all of it


def test_packing_stops_at_noise_and_fills_the_budget_when_told_not_to(
    long_snapshot: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    task = "why is decaf last in the roasting plan"
    stopped = _pack(long_snapshot, tokenizer, task, 4_000)
    filled = _pack(long_snapshot, tokenizer, task, 4_000, noise=0.0)
    assert "its chaff catches fire easily" in stopped.text
    assert stopped.tokens < filled.tokens <= 4_000
    assert any("relevance cutoff" in n for n in stopped.notes)


@settings(max_examples=30, deadline=None)
@given(task=tasks, budget=st.integers(1, 3_000))
def test_packing_is_deterministic(
    snapshot: IndexSnapshot, tokenizer: TiktokenCounter, task: str, budget: int
) -> None:
    assert _pack(snapshot, tokenizer, task, budget).text == (
        _pack(snapshot, tokenizer, task, budget).text
    )


def test_a_task_about_two_domains_gets_both_shards(
    snapshot: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    packed = _pack(snapshot, tokenizer, "when is VAT due, and how does Cloud Run scale?", 1_000)
    included = {s.id for s in packed.shards if s.included != "none"}
    assert {"finance", "infrastructure"} <= included


# -- the strongest evidence first --------------------------------------------------------------

_TWO_ARTICLES = "\n\n".join(
    [
        "# Context Index — Two Articles",
        "## Roastery",
        "### The roast day (pasted walkthrough)",
        *[f"{_FILLER[i % 8]} Paragraph {i} of the walkthrough." for i in range(120)],
        "## Building",
        "### Odds and ends about the building",
        *[f"{_FILLER[(i + 3) % 8]} Building note {i}." for i in range(40)],
    ]
)


@pytest.fixture(scope="module")
def two_articles(
    tmp_path_factory: pytest.TempPathFactory, tokenizer: TiktokenCounter
) -> IndexSnapshot:
    return build_snapshot(tmp_path_factory.mktemp("two"), tokenizer, _TWO_ARTICLES)


def _two_part_selection(snapshot: IndexSnapshot) -> Selection:
    """The best article matches as a whole and by its first paragraph; the other article's
    paragraph 20 matches the task's second part nearly as well, in a section that otherwise
    does not (the shape of a two-part task whose second answer sits in a long page)."""
    where = {
        section.path[-1]: (s, n)
        for s, shard in enumerate(snapshot.shards)
        for n, section in enumerate(shard.sections)
        if section.path
    }
    roast = where["The roast day (pasted walkthrough)"]
    building = where["Odds and ends about the building"]
    best = Candidate(*roast, score=1.0, hits=((0, 10.0),), prior=1.0)
    other = Candidate(*building, score=0.1, hits=((20, 9.0),), prior=0.0)
    shard_scores = {shard.id: 0.0 for shard in snapshot.shards}
    return Selection([best, other], shard_scores, (), ("two", "parts"))


def test_a_strong_passage_in_a_weak_section_is_not_crowded_out_by_the_best_article(
    two_articles: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    selection = _two_part_selection(two_articles)
    answer = "Building note 20."
    with_strong = pack(two_articles, selection, 2_000, tokenizer)
    without = pack(two_articles, selection, 2_000, tokenizer, PackOptions(strong_hits=0))
    assert answer in with_strong.text
    assert answer not in without.text  # the article's unmatched paragraphs (1.1) come first
    assert "Paragraph 0 of the walkthrough." in with_strong.text
    assert with_strong.tokens <= 2_000


def test_a_small_budget_is_spent_on_the_best_article_alone(
    two_articles: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    selection = _two_part_selection(two_articles)
    small = pack(two_articles, selection, 1_000, tokenizer)  # under strong_from: no breadth
    assert "Building note 20." not in small.text
    assert "Paragraph 0 of the walkthrough." in small.text


def test_with_hints_a_small_budget_still_takes_the_strongest_passage_elsewhere(
    two_articles: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    """The caller's hints named both parts: from strong_from_hinted tokens on, the second
    part's best passage goes in beside the best article's first paragraph."""
    hinted = replace(_two_part_selection(two_articles), hinted=True)
    small = pack(two_articles, hinted, 1_000, tokenizer)
    assert "Building note 20." in small.text
    assert "Paragraph 0 of the walkthrough." in small.text
    assert small.tokens <= 1_000
    tiny = pack(two_articles, hinted, 600, tokenizer)  # under strong_from_hinted: all depth
    assert "Building note 20." not in tiny.text
    off = pack(two_articles, hinted, 1_000, tokenizer, PackOptions(strong_from_hinted=1_500))
    assert "Building note 20." not in off.text


def test_a_champion_of_the_task_words_is_taken_even_when_meaning_ranks_it_low(
    two_articles: IndexSnapshot, tokenizer: TiktokenCounter
) -> None:
    """Building note 20 matches under half as well as the best passage (meaning outvoted
    it), so it is not among the strongest, yet above noise; it is one of the passages the
    task's words match best, so it gets a seat once breadth is allowed."""
    two = _two_part_selection(two_articles)
    other = two.candidates[1]
    weak = replace(other, hits=((20, 4.0),), prior=0.5)
    plain = replace(two, candidates=[two.candidates[0], weak])
    champion = replace(plain, champions=frozenset({(other.shard, other.section, 20)}))
    answer = "Building note 20."
    assert answer not in pack(two_articles, plain, 2_000, tokenizer).text
    assert answer in pack(two_articles, champion, 2_000, tokenizer).text
    small = pack(two_articles, champion, 1_000, tokenizer)  # no breadth under strong_from
    assert answer not in small.text
    assert answer in pack(two_articles, replace(champion, hinted=True), 1_000, tokenizer).text
    faint = replace(champion, candidates=[two.candidates[0], replace(weak, hits=((20, 0.5),))])
    assert answer not in pack(two_articles, faint, 2_000, tokenizer).text  # noise stays out
