"""Issue 10's bad input: each gives a correct answer or a clear message, never a crash or an
answer over budget.

The index is ``FIXTURE`` (four shards) unless a test builds its own: one page, or 2,000
shards. A saved index that is truncated, from an older version or from another workspace is
covered in ``test_persist.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from router import ContextService, RequestError, sync
from router.request import MAX_TASK_CHARS
from shards import LocalFolderStore, SplitOptions, TiktokenCounter, apply_split, plan_split
from tests.router.helpers import NOW, CountingStore, FakeClock


@pytest.fixture
def service(store: CountingStore, tokenizer: TiktokenCounter) -> ContextService:
    return ContextService(store, tokenizer, clock=FakeClock())


def _within(result_tokens: int, budget: int, text: str, tokenizer: TiktokenCounter) -> None:
    assert result_tokens <= budget
    assert tokenizer.count(text) == result_tokens


def test_a_task_sharing_no_word_with_the_index_gets_the_digest_and_says_so(
    service: ContextService, tokenizer: TiktokenCounter
) -> None:
    result = service.get_context("zyzzyva quokka marmalade", 2_000)
    assert result.sections == ()
    assert result.context.startswith("# Context index: 4 shards")
    assert any("shares a word with the task" in n for n in result.notes)
    _within(result.tokens, 2_000, result.context, tokenizer)


def test_a_one_word_task_finds_its_section(
    service: ContextService, tokenizer: TiktokenCounter
) -> None:
    result = service.get_context("VAT", 1_500)
    assert result.sections and result.sections[0].shard == "finance"
    assert not any("shares a word" in n for n in result.notes)
    _within(result.tokens, 1_500, result.context, tokenizer)


def test_a_ten_thousand_character_task_is_answered_within_budget(
    service: ContextService, tokenizer: TiktokenCounter
) -> None:
    words = "rotate the stripe webhook signing secret and check replica lag before promoting "
    task = (words * (MAX_TASK_CHARS // len(words) + 1))[: MAX_TASK_CHARS - 1] + "x"
    assert len(task.strip()) == MAX_TASK_CHARS
    result = service.get_context(task, 2_000)
    assert result.sections
    _within(result.tokens, 2_000, result.context, tokenizer)
    with pytest.raises(RequestError, match="10,001 characters"):
        service.get_context(task + "y", 2_000)


def test_a_budget_of_one_token_is_honoured_and_explained(
    service: ContextService, tokenizer: TiktokenCounter
) -> None:
    result = service.get_context("rotate the stripe webhook secret", 1)
    assert result.tokens <= 1 and result.budget == 1
    assert any("smaller than the router digest" in n for n in result.notes)


def test_a_budget_larger_than_the_index_returns_what_matters_not_everything(
    service: ContextService, tokenizer: TiktokenCounter
) -> None:
    whole = sum(s.tokens for s in service.list_shards())
    result = service.get_context("stripe webhook secret rotation", 150_000)
    assert 0 < result.tokens < whole  # the relevance cutoff, not the budget, stopped it
    _within(result.tokens, 150_000, result.context, tokenizer)
    everything = service.get_context("", 150_000, [s.id for s in service.list_shards()])
    assert everything.tokens <= 150_000
    assert all(s.included == "full" for s in everything.shards)


def _workspace(tmp_path: Path, text: str, tokenizer: TiktokenCounter) -> LocalFolderStore:
    store = LocalFolderStore(tmp_path / "ws")
    apply_split(plan_split(text, tokenizer, SplitOptions(min_shard_tokens=0)), store)
    sync(store, tokenizer, now=NOW)
    return store


def test_an_index_of_one_page(tmp_path: Path, tokenizer: TiktokenCounter) -> None:
    text = (
        "# Context Index\n\nOne page.\n\n## Billing\n\nInvoices go out on the first of the month "
        "from billing@example.com; Stripe collects card payments.\n"
    )
    service = ContextService(_workspace(tmp_path, text, tokenizer), tokenizer)
    assert [s.id for s in service.list_shards()] == ["billing"]
    result = service.get_context("when do invoices go out", 500)
    assert "first of the month" in result.context
    _within(result.tokens, 500, result.context, tokenizer)
    assert service.get_context("zebra", 500).sections == ()


@pytest.fixture(scope="module")
def two_thousand(
    tmp_path_factory: pytest.TempPathFactory, tokenizer: TiktokenCounter
) -> ContextService:
    domains = "\n\n".join(
        f"## Domain {n}\n\nService svc-{n} runs job-{n} at {n % 24:02d}:00 for client "
        f"client-{n}; its owner is team-{n % 17}."
        for n in range(2_000)
    )
    text = f"# Context Index\n\nTwo thousand small domains.\n\n{domains}\n"
    with pytest.MonkeyPatch.context() as patch:  # 8,000 fsyncs prove nothing here
        patch.setattr("shards.local.os.fsync", lambda fd: None)
        store = _workspace(tmp_path_factory.mktemp("many"), text, tokenizer)
    return ContextService(store, tokenizer)


@pytest.mark.parametrize("budget", [1, 50, 400, 2_000, 24_000])
def test_an_index_of_two_thousand_shards_answers_within_budget(
    two_thousand: ContextService, tokenizer: TiktokenCounter, budget: int
) -> None:
    assert len(two_thousand.list_shards()) == 2_000
    result = two_thousand.get_context("which team owns job-1234", budget)
    _within(result.tokens, budget, result.context, tokenizer)
    if budget >= 400:  # the digest is cut to its share: the answer still fits
        assert [s.shard for s in result.sections][:1] == ["domain-1234"]
        assert "team-10" in result.context  # 1234 % 17
        assert result.context.startswith("# Context index: 2,000 shards")  # and the digest
