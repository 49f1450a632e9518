"""What each command costs in Notion API calls, counted on the fake's request log.

The targets of issue 7: an idle sync <= 2 calls and no writes; a sync after 1 of N pages
changed <= 4 calls plus the writes it must make; a cold ``brain context`` (a new process with
the state database present) on an unchanged index <= 2 calls; publishing <= 3 calls a shard.

The fake's clock runs an hour behind the service's (``clock_behind``): Notion rounds
``last_edited_time`` to the minute, and a copy read or written within its version's minute
is re-read once before it is trusted (tested apart, in real time, below). With the clock
behind, every version is long settled, so these tests measure the steady state.
"""

from __future__ import annotations

import itertools
import json
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from config import load_config
from functions.cli import app as cli
from functions.runtime import Runtime
from router import sync
from tests.notion_fake import NotionFake

ROOT = Path(__file__).resolve().parents[2]
MONOLITH = ROOT / "examples" / "context-index.md"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
WRITES = frozenset({"POST", "PATCH", "DELETE"})


class BehindClock:
    """The fake's clock: an hour behind real time, moved on by hand a minute at a time."""

    def __init__(self) -> None:
        self.now = time.time() - 3600

    def __call__(self) -> float:
        return self.now

    def next_minute(self) -> None:
        self.now += 60.0


def behind(fake: NotionFake) -> BehindClock:
    """Set the fake's clock an hour behind ours and return it."""
    made = BehindClock()
    fake.clock = made
    return made


@pytest.fixture
def clock(notion_fake: NotionFake) -> BehindClock:
    return behind(notion_fake)


@pytest.fixture
def config(notion_fake: NotionFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return write_config(notion_fake, tmp_path, monkeypatch)


def write_config(fake: NotionFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """brain.toml for the Notion store on the fake, with a SQLite state database."""
    notion_fake = fake
    monkeypatch.setenv("COST_NOTION_TOKEN", notion_fake.token)
    path = tmp_path / "brain.toml"
    path.write_text(
        f"""
[store]
kind = "notion"
root_page_id = "{notion_fake.root_id}"
token = "env:COST_NOTION_TOKEN"
api_url = "{notion_fake.url}"
requests_per_second = 1000

[state]
url = "sqlite:///{tmp_path / "state.sqlite3"}"

[webhooks]
log_page = "webhook-log"
""",
        encoding="utf-8",
    )
    return path


def runtime(config: Path) -> Runtime:
    """A new process, as far as the store is concerned (the state database is shared)."""
    return Runtime(load_config(config))


class Calls:
    """The requests made to the fake since this was made."""

    def __init__(self, fake: NotionFake) -> None:
        self.fake = fake
        self.start = len(fake.requests)

    @property
    def all(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.fake.requests[self.start :]]

    @property
    def writes(self) -> int:
        return sum(1 for r in self.fake.requests[self.start :] if r.method in WRITES)

    @property
    def reads(self) -> int:
        """Calls that are not writes, nor the retrieve that gives a write its new version."""
        requests = self.fake.requests[self.start :]
        after_write = sum(
            1
            for before, r in itertools.pairwise(requests)
            if before.method == "PATCH" and r.method == "GET" and r.path == before.path[:-9]
        )
        return len(requests) - self.writes - after_write


def publish(config: Path, fake: NotionFake) -> None:
    runner = CliRunner()
    split = runner.invoke(cli, ["split", str(MONOLITH), "--config", str(config), "--json"])
    assert split.exit_code == 0, split.output


def settle(config: Path, clock: BehindClock) -> None:
    """One sync that re-reads what the last writes left unsettled."""
    clock.next_minute()
    with closing(runtime(config)) as rt:
        sync(rt.store, rt.tokenizer, now=NOW, options=rt.sync_options)


def shard_pages(fake: NotionFake) -> dict[str, str]:
    return {
        fake.title(b["id"]): b["id"]
        for b in fake.blocks(fake.root_id)
        if b["type"] == "child_page" and fake.title(b["id"]) != "router"
    }


def test_publishing_the_demo_costs_at_most_3_calls_a_shard(
    notion_fake: NotionFake, config: Path, clock: BehindClock
) -> None:
    calls = Calls(notion_fake)
    publish(config, notion_fake)
    shards = len(shard_pages(notion_fake))
    assert shards == 7
    assert len(calls.all) <= 3 * (shards + 1), "\n".join(calls.all)  # the router too


def test_an_idle_sync_is_at_most_2_calls_and_writes_nothing(
    notion_fake: NotionFake, config: Path, clock: BehindClock
) -> None:
    publish(config, notion_fake)
    settle(config, clock)
    with closing(runtime(config)) as rt:
        calls = Calls(notion_fake)
        report = sync(rt.store, rt.tokenizer, now=NOW, options=rt.sync_options)
    assert report.changed == () and not report.router_changed
    assert calls.writes == 0
    assert len(calls.all) <= 2, calls.all


@pytest.mark.parametrize("changed", [1])
def test_a_sync_after_one_page_changed_reads_only_that_page(
    notion_fake: NotionFake, config: Path, clock: BehindClock, changed: int
) -> None:
    publish(config, notion_fake)
    settle(config, clock)
    pages = shard_pages(notion_fake)
    target = pages["infrastructure"]
    clock.next_minute()
    text = notion_fake.page_text(target)
    notion_fake.edit_page(target, text + "\nA line an operator added by hand.")
    with closing(runtime(config)) as rt:
        calls = Calls(notion_fake)
        report = sync(rt.store, rt.tokenizer, now=NOW, options=rt.sync_options)
    assert report.changed == ("infrastructure",)
    assert calls.reads <= 4, calls.all
    assert calls.writes == 2  # the shard's header, the router's row


def test_a_cold_context_on_an_unchanged_index_is_at_most_2_calls(
    notion_fake: NotionFake, config: Path, clock: BehindClock
) -> None:
    publish(config, notion_fake)
    settle(config, clock)
    with closing(runtime(config)) as rt:
        calls = Calls(notion_fake)
        result = rt.context_service.get_context("static egress addresses", 2000)
    assert result.tokens > 0
    assert len(calls.all) <= 2, calls.all
    calls = Calls(notion_fake)
    listing = CliRunner().invoke(cli, ["shards", "--config", str(config), "--json"])
    assert listing.exit_code == 0, listing.output
    assert len(json.loads(listing.stdout)["shards"]) == 7
    assert len(calls.all) <= 2, calls.all


def test_two_edits_in_one_minute_are_both_seen(notion_fake: NotionFake, config: Path) -> None:
    """In real time: the second edit keeps the minute's version, and is still found, because
    a copy read within its version's minute is read again (and compared) before it is trusted."""
    notion_fake.clock = lambda: 1_800_000_010.0  # every edit in one minute
    page = notion_fake.add_page("notes", "first edit", parent=notion_fake.root_id)
    with closing(runtime(config)) as rt:
        store = rt.store
        store.list_pages()
        assert "first edit" in store.read(page).text
        version = store.list_pages()[0].version
        notion_fake.edit_page(page, "second edit")
        assert store.list_pages()[0].version == version  # Notion cannot tell them apart
        assert "second edit" in store.read(page).text
    with closing(runtime(config)) as cold:  # a new process: the remembered copy is re-checked too
        notion_fake.edit_page(page, "third edit")
        cold.store.list_pages()
        assert "third edit" in cold.store.read(page).text


def test_the_remembered_copy_is_trusted_once_its_minute_is_over(
    notion_fake: NotionFake, config: Path, clock: BehindClock
) -> None:
    page = notion_fake.add_page("notes", "text", parent=notion_fake.root_id)
    with closing(runtime(config)) as rt:
        rt.store.list_pages()
        rt.store.read(page)
    with closing(runtime(config)) as cold:
        calls = Calls(notion_fake)
        cold.store.list_pages()
        assert cold.store.read(page).text == "text"
    assert calls.all == [f"GET /v1/blocks/{notion_fake.root_id}/children"]


def test_a_sync_json_report_is_unchanged_by_the_cache(
    notion_fake: NotionFake, config: Path, clock: BehindClock
) -> None:
    publish(config, notion_fake)
    settle(config, clock)
    runner = CliRunner()
    first = runner.invoke(cli, ["sync", "--config", str(config), "--json"])
    second = runner.invoke(cli, ["sync", "--config", str(config), "--json"])
    assert first.exit_code == second.exit_code == 0, first.output
    assert json.loads(first.stdout) == json.loads(second.stdout)


def test_a_page_that_cannot_be_read_whole_fails_context_and_sync_naming_it(
    notion_fake: NotionFake, config: Path, clock: BehindClock
) -> None:
    publish(config, notion_fake)
    big = shard_pages(notion_fake)["infrastructure"]
    clock.next_minute()
    notion_fake.add_blocks(big, "paragraph", [f"row {i}" for i in range(2000)])
    notion_fake.markdown_record_limit = 1000  # a 2,000-block page: 1,000+ blocks left out
    runner = CliRunner()
    context = runner.invoke(cli, ["context", "static egress IPs", "--config", str(config)])
    assert context.exit_code == 1, context.output
    assert "could not be read whole" in context.stderr and big in context.stderr
    synced = runner.invoke(cli, ["sync", "--config", str(config)])
    assert synced.exit_code == 1
    assert "too large to read whole" in synced.stdout and "Split the page" in synced.stdout
    # the rest of the index still answers
    as_json = runner.invoke(
        cli, ["context", "static egress IPs", "--config", str(config), "--json"]
    )
    assert json.loads(as_json.stdout)["incomplete"] == [big]


def test_publishing_interrupted_at_any_point_finishes_on_a_rerun_without_duplicates(
    notion_fake: NotionFake, config: Path, clock: BehindClock
) -> None:
    runner = CliRunner()
    args = ["split", str(MONOLITH), "--config", str(config)]
    # a create that fails outright, then one Notion applied but answered 502 for
    notion_fake.fail_next(1, 503, method="POST", path="/v1/pages", skip=3)
    first = runner.invoke(cli, args)
    assert first.exit_code != 0
    assert "shard 3/7" in first.stderr and "shard 4/7" not in first.stderr
    notion_fake.fail_after_commit_next(1, 502, method="POST", path="/v1/pages")
    second = runner.invoke(cli, args)
    assert second.exit_code != 0
    third = runner.invoke(cli, args)
    assert third.exit_code == 0, third.output
    titles = [notion_fake.title(b["id"]) for b in notion_fake.blocks(notion_fake.root_id)]
    assert len(titles) == len(set(titles)) == 8, titles  # 7 shards and the router, once each
    synced = runner.invoke(cli, ["sync", "--config", str(config), "--json"])
    assert synced.exit_code == 0 and json.loads(synced.stdout)["changed"] == []


def test_adopt_gives_hand_written_notion_pages_a_header(
    notion_fake: NotionFake, config: Path, clock: BehindClock
) -> None:
    page = notion_fake.add_page(
        "Supplier notes",
        "## Paper suppliers\n\nWe buy from **Halden Mills**; invoices cost $1,200 a month.\n\n"
        "| supplier | terms |\n|---|---|\n| Halden | 30 days |",
        parent=notion_fake.root_id,
    )
    runner = CliRunner()
    before = runner.invoke(cli, ["sync", "--config", str(config), "--json"])
    assert before.exit_code == 1 and json.loads(before.stdout)["adopted"] == []
    adopted = runner.invoke(cli, ["sync", "--adopt", "--config", str(config), "--json"])
    assert adopted.exit_code == 0, adopted.output
    assert json.loads(adopted.stdout)["adopted"] == [page]
    text = notion_fake.page_text(page)
    assert text.startswith('```json\n{"claude_delta"')
    assert "$1,200" in text.replace("\\$", "$") and "<table" in text
    clock.next_minute()
    again = runner.invoke(cli, ["sync", "--config", str(config), "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["changed"] == []


def test_notion_events_for_our_own_writes_mark_nothing(
    notion_fake: NotionFake, config: Path, clock: BehindClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.webhooks.schemes import get_scheme

    secret = "notion-verification-token-for-cost-tests"
    monkeypatch.setenv("COST_EVENTS_SECRET", secret)
    with config.open("a", encoding="utf-8") as f:
        f.write(
            '\n[webhooks.sources.notion]\nscheme = "notion"\nsecrets = ["env:COST_EVENTS_SECRET"]\n'
        )
    publish(config, notion_fake)  # writes every shard and the router
    router = next(
        b["id"]
        for b in notion_fake.blocks(notion_fake.root_id)
        if notion_fake.title(b["id"]) == "router"
    )
    now = datetime.now(UTC)

    def event(author: str, n: int) -> dict[str, object]:
        body = json.dumps(
            {
                "id": f"evt-{n}",
                "timestamp": now.isoformat().replace("+00:00", "Z"),
                "type": "page.content_updated",
                "authors": [{"id": "u-1", "type": author}],
                "entity": {"id": router, "type": "page"},
            }
        ).encode()
        headers = get_scheme("notion").sign(body, secret, now=now)
        with closing(runtime(config)) as rt:
            return rt.notion_events.handle(headers, body, now=now)

    ours = event("bot", 1)
    assert ours["stale"] == [] and ours.get("own_write") is True
    theirs = event("person", 2)
    assert theirs["stale"] == [router]


def test_header_writes_leave_an_operators_notion_blocks_as_they_are(
    notion_fake: NotionFake, config: Path, clock: BehindClock
) -> None:
    page = notion_fake.add_page(
        "Runbook", "## Restarting the relay\n\nDrain it first.", parent=notion_fake.root_id
    )
    callout = '<callout icon="⚠️" color="red_bg">\n\tNever on a Friday\n</callout>'
    notion_fake.add_raw_block(page, "callout", callout)
    runner = CliRunner()
    adopted = runner.invoke(cli, ["sync", "--adopt", "--config", str(config), "--json"])
    assert adopted.exit_code == 0, adopted.output
    text = notion_fake.page_text(page)
    assert text.startswith('```json\n{"claude_delta"') and callout in text
    assert not notion_fake.requests_to("PATCH", "/markdown")[0].body.get("replace_content")

    clock.next_minute()
    notion_fake.add_blocks(page, "paragraph", ["Then restart it."])  # an operator's edit
    synced = runner.invoke(cli, ["sync", "--config", str(config), "--json"])
    assert synced.exit_code == 0 and json.loads(synced.stdout)["changed"] != []
    text = notion_fake.page_text(page)
    assert callout in text and "Then restart it." in text
    assert [r.body["type"] for r in notion_fake.requests_to("PATCH", f"{page}/markdown")] == [
        "insert_content",
        "update_content",
    ]
