"""Selection: which sections answer a task, in what order, and that the order never wavers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router.select import Analyzer, BM25Index, SelectOptions, TermBag, select
from router.snapshot import IndexSnapshot
from shards import TiktokenCounter
from tests.router.helpers import FIXTURE, VOCABULARY, build_snapshot


def _top(snapshot: IndexSnapshot, task: str, n: int = 1) -> list[tuple[str, str]]:
    chosen = select(snapshot, task).candidates[:n]
    return [
        (snapshot.shards[c.shard].id, snapshot.shards[c.shard].sections[c.section].title)
        for c in chosen
    ]


# -- the analyzer and BM25 -----------------------------------------------------------------


def test_the_analyzer_stems_drops_stop_words_and_adds_phrases() -> None:
    analyzer = Analyzer()
    assert analyzer.words("What are the Rotating Secrets?") == ["rotat", "secret"]
    assert analyzer.terms("Cloud Run scaling") == [
        "cloud",
        "run",
        "scale",
        "cloud run",
        "run scale",
    ]


def test_bm25_scores_a_rare_term_above_a_common_one() -> None:
    bags = [TermBag.of(words.split()) for words in ("a b", "a c", "a d", "a b b")]
    index = BM25Index(bags)
    assert index.idf["b"] > index.idf["a"]
    scores = index.scores({"b": 1.0})
    assert set(scores) == {0, 3} and scores[3] > scores[0]


# -- ranking --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "shard", "section"),
    [
        (
            "Which addresses does our outbound traffic leave from?",
            "infrastructure",
            "Static Egress IPs",
        ),
        ("how often do we rotate the webhook signing secret", "credentials", "Rotation"),
        ("When is VAT due and who is our accountant?", "finance", "VAT"),
        (
            "restoring a database backup: what replica lag is acceptable",
            "procedures",
            "Restoring a Database Backup",
        ),
        ("what TTL do the DNS records use", "infrastructure", "DNS and Domains"),
    ],
)
def test_the_section_that_answers_ranks_first(
    snapshot: IndexSnapshot, task: str, shard: str, section: str
) -> None:
    assert _top(snapshot, task) == [(shard, section)]


def test_inflected_forms_match_through_stemming(snapshot: IndexSnapshot) -> None:
    assert _top(snapshot, "invoiced payable")[0] == ("finance", "Invoices")


def test_a_task_of_stop_words_or_unknown_words_selects_nothing(snapshot: IndexSnapshot) -> None:
    assert select(snapshot, "what is the and of").candidates == ()
    assert select(snapshot, "zebra quantum").candidates == ()


def test_a_heading_match_outranks_a_passing_mention(snapshot: IndexSnapshot) -> None:
    # "Stripe" appears in Invoices, Secret Manager and Rotation's neighbourhood; the
    # heading "Secret Manager" decides for a task about where the secret lives.
    assert _top(snapshot, "secret manager reference for the Stripe key") == [
        ("credentials", "Secret Manager")
    ]


def test_requested_shards_come_first_even_when_they_match_nothing(
    snapshot: IndexSnapshot,
) -> None:
    chosen = select(snapshot, "webhook signing secret rotation", ["finance"]).candidates
    ids = [snapshot.shards[c.shard].id for c in chosen]
    shard = snapshot.shard("finance")
    assert shard is not None
    finance = len(shard.sections)
    assert ids[:finance] == ["finance"] * finance
    assert all(c.requested for c in chosen[:finance])
    assert ids[finance] == "credentials"


def test_without_a_task_requested_shards_come_whole_in_request_then_document_order(
    snapshot: IndexSnapshot,
) -> None:
    chosen = select(snapshot, "", ["finance", "credentials"]).candidates
    got = [(snapshot.shards[c.shard].id, c.section) for c in chosen]
    finance = [("finance", 0), ("finance", 1), ("finance", 2)]
    assert got == [*finance, ("credentials", 0), ("credentials", 1), ("credentials", 2)]


def test_shard_scores_cover_every_shard(snapshot: IndexSnapshot) -> None:
    scores = select(snapshot, "VAT quarterly").shard_scores
    assert set(scores) == set(snapshot.ids())
    assert max(scores, key=lambda s: scores[s]) == "finance"
    assert scores["infrastructure"] == 0.0


def test_ties_break_by_shard_id_then_section_order(
    tmp_path: Path, tokenizer: TiktokenCounter
) -> None:
    twin = (
        "## Beta\n\nsame words here about lanterns\n\n## Alpha\n\nsame words here about lanterns\n"
    )
    snap = build_snapshot(tmp_path, tokenizer, "# Twins\n\n" + twin)
    chosen = select(snap, "lanterns").candidates
    assert [snap.shards[c.shard].id for c in chosen] == ["alpha", "beta"]
    assert chosen[0].score == chosen[1].score


# -- determinism ----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(st.sampled_from(VOCABULARY), max_size=12),
    requested=st.lists(
        st.sampled_from(["credentials", "finance", "infrastructure", "procedures"]),
        max_size=2,
    ),
)
def test_selection_is_deterministic(
    snapshot: IndexSnapshot, words: list[str], requested: list[str]
) -> None:
    task = " ".join(words)
    first = select(snapshot, task, requested)
    again = select(snapshot, task, requested)
    assert first == again
    keys = [(c.requested, c.score) for c in first.candidates]
    # Order: requested first, then by descending score.
    assert keys == sorted(keys, key=lambda k: (not k[0], -k[1])) or requested


def test_a_rebuilt_snapshot_selects_the_same(
    tmp_path: Path, tokenizer: TiktokenCounter, snapshot: IndexSnapshot
) -> None:
    other = build_snapshot(tmp_path, tokenizer, FIXTURE)
    for task in ("cloud run scaling", "rotate secret", "exports ledger owner", ""):
        assert select(other, task, ["finance"]) == select(snapshot, task, ["finance"])


def test_weights_are_options(snapshot: IndexSnapshot) -> None:
    only_headings = SelectOptions(passage=0, section=0, heading=1, shard=0)
    chosen = select(snapshot, "VAT", options=only_headings).candidates
    assert [snapshot.shards[c.shard].sections[c.section].title for c in chosen] == ["VAT"]


# -- hints ----------------------------------------------------------------------------------


def test_hint_terms_weigh_less_than_the_task_and_never_replace_its_terms() -> None:
    from router.select import query_weights

    analyzer = Analyzer()
    query = query_weights(analyzer, "refund approval", 0.5, ["refund deadline", "VAT"], 0.5)
    assert query["refund"] == query["approv"] == 1.0  # a task term keeps its weight
    assert query["vat"] == query["deadlin"] == 0.5
    assert query["refund deadlin"] == 0.25  # a hint's phrase: phrase weight times hint weight


def test_a_hint_lifts_the_section_it_names_without_outranking_the_task(
    snapshot: IndexSnapshot,
) -> None:
    def first(task: str, hints: list[str]) -> str:
        best = select(snapshot, task, hints=hints).candidates[0]
        return snapshot.shards[best.shard].sections[best.section].title

    task = "replica lag when restoring a database backup"
    assert first(task, []) == first(task, ["VAT accountant", "Stripe invoices"])
    assert select(snapshot, "zebra quantum").candidates == ()
    assert first("zebra quantum", ["VAT accountant deadline"]) == "VAT"


# -- query expansion from the index's own vocabulary ---------------------------------------

VAULT = "\n\n".join(
    [
        "# Context Index — Vault",
        "## Secrets",
        "### Password manager",
        "Our password manager is 1Password; every shared login lives there.",
        "The password manager keeps one vault per team, and 1Password shares vaults by role.",
        "When someone leaves, their password manager seat goes first: remove them in 1Password.",
        "## Backups",
        "### Offsite copies",
        "Backups are copied offsite every night to the bucket in Oregon.",
        "The 1Password recovery kit is printed and sealed in the safe at the bank.",
        "## Shop",
        "### Till",
        "The till is counted at four by the shop manager and the float goes in the drawer.",
    ]
)


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory, tokenizer: TiktokenCounter) -> IndexSnapshot:
    return build_snapshot(tmp_path_factory.mktemp("vault"), tokenizer, VAULT)


def _hit_texts(snapshot: IndexSnapshot, task: str, **options: int | float) -> set[str]:
    """Texts of every passage that matches some term of the (expanded) query."""
    out: set[str] = set()
    for c in select(snapshot, task, options=SelectOptions(**options)).candidates:  # type: ignore[arg-type]
        passages = snapshot.shards[c.shard].sections[c.section].passages
        out.update(passages[p].text for p, _ in c.hits)
    return out


def test_a_word_that_shares_the_tasks_passages_reaches_a_paraphrased_answer(
    vault: IndexSnapshot,
) -> None:
    # "1Password" shares every passage that says "password manager": a task about the
    # password manager then reaches the passage that names only 1Password.
    task = "what if the password manager is gone for good"
    kit = "The 1Password recovery kit is printed and sealed in the safe at the bank."
    assert kit in _hit_texts(vault, task)
    assert kit not in _hit_texts(vault, task, expand=0)


def test_expansion_terms_weigh_below_the_task_and_are_bounded(vault: IndexSnapshot) -> None:
    from router.select import expansion, query_weights

    lex = vault.lexicon
    opts = SelectOptions()
    query = query_weights(lex.analyzer, "password manager", opts.phrase)
    extra = expansion(lex, query, opts)
    assert extra["1password"] == opts.expand_weight  # the strongest association
    assert all(0 < w <= opts.expand_weight for w in extra.values())
    assert len(extra) <= opts.expand and not set(extra) & set(query)
    assert "till" not in extra  # "manager" once beside the till: under expand_min passages
    # A seed in more passages than expand_df is too common to say anything: no expansion.
    assert expansion(lex, query, SelectOptions(expand_df=2)) == {}
    # A word in more passages than expand_common points nowhere in particular: never added.
    assert "1password" not in expansion(lex, query, SelectOptions(expand_common=3))
    assert expansion(lex, query, SelectOptions(expand=0)) == {}


def test_hints_replace_expansion(vault: IndexSnapshot) -> None:
    task = "what if the password manager is gone for good"
    assert "1password" in select(vault, task).query
    hinted = select(vault, task, hints=["lost vault access"])
    assert "1password" not in hinted.query and "vault" in hinted.query


def test_a_very_long_task_expands_from_its_rarest_known_words(vault: IndexSnapshot) -> None:
    words = " ".join(f"word{n}" for n in range(1_500))  # unknown to the index: never seeds
    task = f"{words} password manager"
    first = select(vault, task)
    assert first == select(vault, task)
    assert "1password" in first.query
    assert "1password" not in select(vault, task, options=SelectOptions(expand_seeds=0)).query


# -- champions: the words' best matches, whatever their meaning ------------------------------


@settings(max_examples=40, deadline=None)
@given(
    words=st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=5),
    k=st.integers(min_value=0, max_value=12),
)
def test_champions_are_the_passages_the_task_words_match_best(
    snapshot: IndexSnapshot, words: list[str], k: int
) -> None:
    """Selection.champions are the k best passages by BM25 alone (ties: document order),
    checked against a plain sort of every passage's score."""
    from router.select import query_weights

    task = " ".join(words)
    opts = SelectOptions(champions=k, expand=0)
    found = select(snapshot, task, options=opts).champions
    lex = snapshot.lexicon
    query = query_weights(lex.analyzer, task, opts.phrase)
    scores, hit = lex.passages.score_array(query)
    ranked = sorted((d for d in range(len(scores)) if hit[d]), key=lambda d: (-scores[d], d))
    expected = set()
    for doc in ranked[:k]:
        shard, section = lex.section_key[int(lex.passage_section[doc])]
        expected.add((int(shard), int(section), int(lex.passage_index[doc])))
    assert found == frozenset(expected)
    assert len(found) == min(k, len(ranked))


def test_hints_mark_the_selection_as_hinted(snapshot: IndexSnapshot) -> None:
    assert select(snapshot, "rotate the secret", hints=["key rotation"]).hinted
    assert not select(snapshot, "rotate the secret").hinted
