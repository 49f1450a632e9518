"""Bad input on the Notion store (issue 7): each case gets a message naming the page and
what to do, and the rest of the index keeps working."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from functions.cli import app as cli
from tests.functions.test_notion_costs import (
    BehindClock,
    behind,
    publish,
    shard_pages,
    write_config,
)
from tests.notion_fake import NotionFake


@pytest.fixture
def clock(notion_fake: NotionFake) -> BehindClock:
    return behind(notion_fake)


@pytest.fixture
def config(notion_fake: NotionFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return write_config(notion_fake, tmp_path, monkeypatch)


def brain_sync(config: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["sync", "--config", str(config), "--json", *extra])
    return result.exit_code, json.loads(result.stdout)


def messages(report: dict[str, Any]) -> str:
    invalid = report["invalid"]
    assert isinstance(invalid, list)
    return "\n".join([i["message"] for i in invalid] + list(report["anomalies"]))


def test_a_page_unshared_from_the_integration_is_named_with_how_to_share_it(
    notion_fake: NotionFake, config: Path, clock: BehindClock
) -> None:
    publish(config, notion_fake)
    page = shard_pages(notion_fake)["finance"]
    clock.next_minute()
    notion_fake.edit_page(page, notion_fake.page_text(page) + "\nEdited.")
    notion_fake.unshare_page(page)
    code, report = brain_sync(config)
    assert code == 1
    assert [i["page"] for i in report["invalid"]] == [page]
    text = messages(report)
    assert "'finance'" in text and "share it with the integration" in text
    assert len(report["shards"]) == 6


def test_a_page_moved_out_of_the_root_is_dropped_from_the_router_saying_so(
    notion_fake: NotionFake, config: Path, clock: BehindClock
) -> None:
    publish(config, notion_fake)
    page = shard_pages(notion_fake)["schedules"]
    elsewhere = notion_fake.add_page("Archive")
    notion_fake.move_page(page, elsewhere)
    code, report = brain_sync(config)
    assert code == 0
    assert report["router"]["changed"]
    text = messages(report)
    assert "'schedules'" in text and page in text and "Move it back under the root" in text


def test_a_page_deleted_while_the_sync_runs_is_named_and_the_sync_goes_on(
    notion_fake: NotionFake, config: Path, clock: BehindClock
) -> None:
    publish(config, notion_fake)
    page = shard_pages(notion_fake)["clients"]
    clock.next_minute()
    notion_fake.edit_page(page, notion_fake.page_text(page) + "\nEdited.")
    # listed, then gone by the time it is read
    notion_fake.fail_next(1, 404, method="GET", path=f"{page}/markdown")
    code, report = brain_sync(config)
    assert code == 1
    assert [i["page"] for i in report["invalid"]] == [page]
    assert "'clients'" in messages(report)
    code, report = brain_sync(config)  # it came back (the 404 was one answer): all well
    assert code == 0 and report["invalid"] == []


def test_a_database_under_the_root_is_skipped_with_a_note(
    notion_fake: NotionFake, config: Path, clock: BehindClock
) -> None:
    publish(config, notion_fake)
    notion_fake.add_database("Leads", parent=notion_fake.root_id)
    code, report = brain_sync(config)
    assert code == 0
    assert any("'Leads'" in n and "pages only" in n for n in report["notices"])


def test_a_header_turned_into_a_paragraph_is_reported_and_never_adopted(
    notion_fake: NotionFake, config: Path, clock: BehindClock
) -> None:
    publish(config, notion_fake)
    page = shard_pages(notion_fake)["finance"]
    text = notion_fake.page_text(page)
    header, _, body = text.partition("```\n")
    paragraph = header.removeprefix("```json\n").strip()
    clock.next_minute()
    notion_fake.edit_page(page, paragraph + "\n" + body)  # the fake escapes it as Notion does
    code, report = brain_sync(config, "--adopt")
    assert code == 1
    assert report["adopted"] == []
    text = messages(report)
    assert "plain text, not a ```json code block" in text and "Turn into" in text
    assert [i["page"] for i in report["invalid"]] == [page]
