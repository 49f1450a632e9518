"""ContextService: requests checked with messages to act on, results in the HTTP shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from router.errors import RequestError, UnknownShard
from router.service import ContextService, ServiceOptions
from shards import BrainError, TiktokenCounter
from tests.router.helpers import FIXTURE, CountingStore, FakeClock, build_store

ROOT = Path(__file__).resolve().parents[2]
SECRET = "Zq8vN3pL0sKd7Wm2Xc5Rt9Yb"


@pytest.fixture
def service(store: CountingStore, tokenizer: TiktokenCounter) -> ContextService:
    return ContextService(store, tokenizer, clock=FakeClock())


# -- results ---------------------------------------------------------------------------------


def test_get_context_answers_in_the_http_response_shape(service: ContextService) -> None:
    result = service.get_context("When is VAT due?", 2_000)
    body = result.to_json()
    assert list(body)[:4] == ["context", "tokens", "budget", "shards"]
    assert body["budget"] == 2_000 and body["tokens"] == result.tokens <= 2_000
    assert "the deadline is the 7th" in body["context"]
    assert [s["id"] for s in body["shards"]] == [
        "credentials",
        "finance",
        "infrastructure",
        "procedures",
    ]
    assert {s["included"] for s in body["shards"]} <= {"full", "partial", "none"}
    assert body["sections"][0]["path"] == "Finance > VAT"
    assert body["redactions"] == {} and body["stale"] == []
    json.dumps(body)  # serializable as is


def test_the_count_is_of_the_text_that_leaves(
    service: ContextService, tokenizer: TiktokenCounter
) -> None:
    result = service.get_context("cloud run scaling", 700)
    assert result.tokens == tokenizer.count(result.context) <= 700


def test_a_warm_call_does_no_io(service: ContextService, store: CountingStore) -> None:
    service.get_context("VAT", 1_000)
    before = store.io
    for task in ("VAT", "cloud run", "secret rotation", "restore a backup"):
        service.get_context(task, 1_500)
    service.list_shards()
    service.read_shard("finance")
    assert store.io == before


def test_secrets_are_redacted_before_counting_and_the_count_is_reported(
    tmp_path: Path, tokenizer: TiktokenCounter
) -> None:
    leaked = FIXTURE.replace(
        "payable within 14 days.",
        f'payable within 14 days.\n\nThe old script had `password = "{SECRET}"` in it.',
    )
    service = ContextService(build_store(tmp_path, tokenizer, leaked), tokenizer)
    result = service.get_context("invoices payable script password", 2_000)
    assert SECRET not in result.context
    assert "[redacted:" in result.context
    assert sum(result.redactions.values()) >= 1
    assert result.tokens == tokenizer.count(result.context)
    shard = service.read_shard("finance")
    assert SECRET not in shard.context and sum(shard.redactions.values()) >= 1


def test_redaction_can_be_switched_off_for_trusted_local_use(
    tmp_path: Path, tokenizer: TiktokenCounter
) -> None:
    leaked = FIXTURE.replace("payable within 14 days.", f'`password = "{SECRET}"`')
    service = ContextService(
        build_store(tmp_path, tokenizer, leaked), tokenizer, options=ServiceOptions(redact=False)
    )
    assert SECRET in service.get_context("invoices password", 2_000).context


def test_stale_pages_are_reported_in_the_result(
    store: CountingStore, tokenizer: TiktokenCounter
) -> None:
    page = store.inner.read("finance")
    store.inner.write("finance", page.text.replace("the 7th", "the 9th"))
    result = ContextService(store, tokenizer).get_context("VAT deadline", 2_000)
    assert "the 9th" in result.context
    assert [e.shard_id for e in result.stale] == ["finance"]
    finance = next(s for s in result.to_json()["shards"] if s["id"] == "finance")
    assert "edited since the last sync" in finance["stale"][0]
    assert "STALE" in result.context


def test_list_shards_shows_each_shard_with_tokens_and_status(service: ContextService) -> None:
    shards = service.list_shards()
    assert [s.id for s in shards] == ["credentials", "finance", "infrastructure", "procedures"]
    finance = shards[1].to_json()
    assert finance["title"] == "Finance" and finance["status"] == "active"
    assert finance["tokens"] > 0 and finance["updated"] == "2026-11-21"
    assert finance["url"].startswith("file://")


def test_read_shard_returns_the_whole_shard_with_provenance(service: ContextService) -> None:
    result = service.read_shard("credentials")
    assert result.context.startswith("<!-- shard: credentials · Credentials")
    for line in ("## Credentials", "### Secret Manager", "### Rotation", "every 90 days"):
        assert line in result.context
    assert result.shards[0].included == "full"
    assert result.budget == result.tokens


@pytest.mark.parametrize("budget", [0, -5, True, 10**20])
def test_read_shard_refuses_a_bad_budget_as_get_context_does(
    service: ContextService, budget: int
) -> None:
    with pytest.raises(RequestError) as read:
        service.read_shard("procedures", budget=budget)
    with pytest.raises(RequestError) as got:
        service.get_context("anything", budget)
    assert read.value.field == got.value.field == "budget"
    assert read.value.message == got.value.message


def test_read_shard_cuts_to_the_budget(service: ContextService, tokenizer: TiktokenCounter) -> None:
    result = service.read_shard("procedures", budget=300)
    assert result.tokens == tokenizer.count(result.context) <= 300
    assert "### Restoring a Database Backup" in result.context
    assert next(s for s in result.shards if s.id == "procedures").included == "partial"


# -- bad requests ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "budget", "shards", "says"),
    [
        ("", 1_000, (), "send a task, a list of shard ids, or both"),
        ("   ", 1_000, (), "send a task"),
        ("VAT", 0, (), "at least 1 token"),
        ("VAT", -5, (), "at least 1 token"),
        ("VAT", 200_001, (), "over the limit of 200,000"),
        ("VAT", True, (), "whole number"),
        ("VAT", 10.5, (), "whole number"),
        ("x" * 10_001, 1_000, (), "over the 10,000-character limit"),
        ("VAT", 1_000, "finance", "list of shard ids"),
    ],
)
def test_a_malformed_request_says_what_to_send(
    service: ContextService, task: str, budget: int, shards: tuple[str, ...], says: str
) -> None:
    with pytest.raises(RequestError) as caught:
        service.get_context(task, budget, shards)
    assert caught.value.code == "bad_request"
    assert says in str(caught.value)
    assert isinstance(caught.value, BrainError)


def test_an_unknown_shard_lists_the_valid_ids(service: ContextService) -> None:
    with pytest.raises(UnknownShard) as caught:
        service.get_context("VAT", 1_000, ["finanse"])
    assert caught.value.code == "unknown_shard"
    message = str(caught.value)
    assert "'finanse'" in message
    assert "credentials, finance, infrastructure, procedures" in message
    with pytest.raises(UnknownShard):
        service.read_shard("nope")


def test_shards_alone_are_a_valid_request(service: ContextService) -> None:
    result = service.get_context("", 4_000, ["finance"])
    assert "### Invoices" in result.context and "### VAT" in result.context


def test_limits_are_options(store: CountingStore, tokenizer: TiktokenCounter) -> None:
    small = ContextService(
        store, tokenizer, options=ServiceOptions(max_budget=500, max_task_chars=10)
    )
    with pytest.raises(RequestError, match="over the limit of 500"):
        small.get_context("VAT", 501)
    with pytest.raises(RequestError, match="10-character limit"):
        small.get_context("VAT and more", 100)


def test_hints_are_checked_like_the_task(service: ContextService) -> None:
    with pytest.raises(RequestError, match="list of strings") as caught:
        # a str is a Sequence[str] to mypy: only the runtime check stands between it and a
        # query of twelve one-letter hints
        service.get_context("VAT", 100, hints="VAT deadline")
    assert caught.value.field == "hints"
    with pytest.raises(RequestError, match="at most 8"):
        service.get_context("VAT", 100, hints=["VAT"] * 9)
    with pytest.raises(RequestError, match="300-character limit"):
        service.get_context("VAT", 100, hints=["v" * 301])
    assert service.get_context("VAT", 2_000, hints=["", "  "]).context == (
        service.get_context("VAT", 2_000).context
    )


def test_hints_find_what_the_task_alone_misses(service: ContextService) -> None:
    task = "who handles our sales levy paperwork"
    assert "the deadline is the 7th" not in service.get_context(task, 400).context
    hinted = service.get_context(task, 400, hints=["VAT accountant deadline"])
    assert "the deadline is the 7th" in hinted.context


def test_a_budget_smaller_than_the_digest_returns_what_fits_and_says_so(
    service: ContextService,
) -> None:
    result = service.get_context("VAT", 5)
    assert result.tokens <= 5
    assert any("smaller than the router digest" in n for n in result.notes)


# -- the demo index --------------------------------------------------------------------------


@pytest.mark.skipif(
    not (ROOT / "examples" / "tasks.json").exists(), reason="the demo task set is not present"
)
def test_the_demo_task_set_is_recalled_at_4000_tokens(tmp_path: Path) -> None:
    from bench.eval_sets import load
    from bench.quality import build_workspace

    tokenizer = TiktokenCounter()
    demo = load("demo")
    service = ContextService(build_workspace(tmp_path, demo, tokenizer), tokenizer)
    context = [service.get_context(t.task, 4_000).context for t in demo.tasks]
    hits = sum(all(n in c for n in t.needles) for t, c in zip(demo.tasks, context, strict=True))
    assert hits / len(demo.tasks) >= 0.85
