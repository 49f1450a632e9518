"""The drainer against the Notion fake over loopback, driven by the real notion-client:
Notion's bad minutes (429, 529, 503 with Retry-After, bare 5xx, a 5xx answered after the
append was applied), a token revoked mid-drain, a log page deleted by hand.

The store makes one attempt per call (``max_retries=0``): every fault reaches the drainer,
whose waits run on a :class:`FakeClock` the tests move, so nothing here sleeps.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

import pytest

from functions.webhooks.drain import Drainer, DrainOptions, DrainResult
from functions.webhooks.logline import BELL, format_line
from functions.webhooks.outbox import SqlOutbox, open_outbox
from shards import ClaudeDelta, render_page
from shards.notion import NotionStore
from tests.functions.webhooks.flaky_store import FakeClock
from tests.notion_fake import NotionFake
from tests.shards.test_store_contract import notion_store

PAGE = "webhook-log"


class Match(TypedDict):
    """Which requests a fault of the Notion fake applies to (``fail_next``'s keywords)."""

    method: str
    path: str


APPENDS: Match = {"method": "PATCH", "path": "/children"}


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[SqlOutbox]:
    with open_outbox(f"sqlite:///{tmp_path / 'state.sqlite3'}") as made:
        yield made


@pytest.fixture
def store(notion_fake: NotionFake) -> Iterator[NotionStore]:
    made = notion_store(notion_fake, max_retries=0)
    made.write(PAGE, render_page(ClaudeDelta(page_type="log", id=PAGE, title="log"), ""))
    try:
        yield made
    finally:
        made.close()


def accept(outbox: SqlOutbox, clock: FakeClock, count: int, *, page: str = PAGE) -> list[str]:
    lines = []
    for seq in range(count):
        clock.advance(0.001)
        line = format_line(clock(), "cron", "tick", {"seq": seq, "page": page})
        outbox.accept(
            source="cron",
            delivery_key=f"{page}:{seq}:{clock().isoformat()}",
            line=line,
            log_page=page,
            received_at=clock(),
        )
        lines.append(line)
    return lines


def on_page(fake: NotionFake, page_id: str) -> list[str]:
    texts = []
    for block in fake.blocks(page_id):
        rich = block.get("paragraph", {}).get("rich_text", [])
        texts.append("".join(part["plain_text"] for part in rich))
    return [t for t in texts if t.startswith(BELL)]


def drain_all(drainer: Drainer, clock: FakeClock, rounds: int = 200) -> list[DrainResult]:
    """Drain until nothing is unsent, moving the clock over every wait the drainer asks for."""
    results: list[DrainResult] = []
    for _ in range(rounds):
        got = drainer.drain()
        results.extend(got)
        if not drainer.outbox.pending_pages(clock()):
            return results
        waits = [r.retry_in_s for r in got if r.retry_in_s]
        clock.advance(min(waits) if waits else 1.0)
    raise AssertionError("the outbox did not drain")


def page_id(store: NotionStore) -> str:
    return store.read(PAGE).id


# -- Notion's bad minutes ---------------------------------------------------------------------


def test_a_storm_of_twelve_mixed_faults_loses_doubles_and_reorders_nothing(
    notion_fake: NotionFake, store: NotionStore, outbox: SqlOutbox
) -> None:
    clock = FakeClock()
    lines = accept(outbox, clock, 120)
    # Twelve faults, one every other append request (each fault's skip counts from now).
    notion_fake.fail_next(1, 429, retry_after=2, skip=1, **APPENDS)
    notion_fake.fail_next(1, 529, retry_after=3, skip=3, **APPENDS)
    notion_fake.fail_next(1, 503, retry_after=1, skip=5, **APPENDS)
    notion_fake.fail_next(1, 500, skip=7, **APPENDS)
    notion_fake.fail_next(1, 502, skip=9, **APPENDS)
    notion_fake.fail_after_commit_next(1, 500, skip=11, **APPENDS)  # applied, then 500
    notion_fake.fail_next(1, 504, skip=13, **APPENDS)
    notion_fake.fail_after_commit_next(1, 503, retry_after=2, skip=15, **APPENDS)
    notion_fake.fail_next(1, 529, retry_after=1, skip=17, **APPENDS)
    notion_fake.fail_next(1, 500, skip=19, **APPENDS)
    notion_fake.fail_next(1, 503, retry_after=1, method="GET", path="/children")  # a tail read
    notion_fake.fail_next(1, 500, method="GET", path="/children", skip=1)
    drainer = Drainer(
        outbox,
        store,
        DrainOptions(batch=5, backoff_base_s=1.0, backoff_max_s=30.0),
        clock=clock,
        worker="storm",
        jitter=lambda delay: delay,
    )

    results = drain_all(drainer, clock)

    assert on_page(notion_fake, page_id(store)) == lines  # none lost, none doubled, in order
    faults = [r for r in notion_fake.requests if r.status >= 429]
    assert len(faults) == 12, [(r.method, r.status) for r in faults]
    waits = [r.retry_in_s for r in results if r.error]
    assert len(waits) == 12
    # Retry-After is honoured exactly (429, 529 and 503 alike) and never exceeded; a bare 5xx
    # waits the first backoff step, because every success in between reset the backoff.
    # Six faults said Retry-After 1, 1, 1, 2, 2, 3; six bare 5xx each waited 1 s.
    assert sorted(w for w in waits if w is not None) == [1] * 9 + [2, 2, 3]
    assert sum(r.reconciled for r in results) >= 10  # the applied-then-5xx batches
    assert not any(r.dead for r in results)


def test_consecutive_bare_faults_back_off_further_and_a_retry_after_is_taken_as_given(
    notion_fake: NotionFake, store: NotionStore, outbox: SqlOutbox
) -> None:
    clock = FakeClock()
    lines = accept(outbox, clock, 3)
    notion_fake.fail_next(3, 500, method="PATCH", path="/children")
    notion_fake.fail_next(1, 529, retry_after=4, method="PATCH", path="/children")
    halves: list[float] = []

    def half(delay: float) -> float:
        halves.append(delay)
        return delay / 2

    drainer = Drainer(
        outbox,
        store,
        DrainOptions(backoff_base_s=1.0, backoff_max_s=3.0),
        clock=clock,
        jitter=half,
    )

    results = drain_all(drainer, clock)

    assert on_page(notion_fake, page_id(store)) == lines
    assert halves == [1.0, 2.0, 3.0]  # doubling, capped; the jitter took half of each
    assert [r.retry_in_s for r in results if r.error] == [0.5, 1.0, 1.5, 4]


def test_a_retry_after_ends_a_streak_of_silent_faults(
    notion_fake: NotionFake, store: NotionStore, outbox: SqlOutbox
) -> None:
    clock = FakeClock()
    accept(outbox, clock, 1)
    notion_fake.fail_next(2, 500, **APPENDS)
    notion_fake.fail_next(1, 429, retry_after=1, **APPENDS)
    notion_fake.fail_next(1, 502, **APPENDS)
    drainer = Drainer(outbox, store, clock=clock, jitter=lambda delay: delay)

    results = drain_all(drainer, clock)

    assert [r.retry_in_s for r in results if r.error] == [1.0, 2.0, 1, 1.0]


def test_a_reconciling_tail_reads_from_the_last_append_not_the_whole_page(
    notion_fake: NotionFake, store: NotionStore
) -> None:
    lines = [f"{BELL} line {n}" for n in range(450)]
    for start in range(0, 450, 50):
        store.append(PAGE, lines[start : start + 50])
    reads = len(notion_fake.requests_to("GET", "/children"))

    assert store.tail(PAGE, 30) == lines[-30:]
    assert len(notion_fake.requests_to("GET", "/children")) == reads + 1  # not 5
    assert store.tail(PAGE, 120) == lines[-120:]  # more than the last append: the whole page


def test_the_store_waits_out_a_529_or_503_retry_after_like_a_429(
    notion_fake: NotionFake, caplog: pytest.LogCaptureFixture
) -> None:
    made = notion_store(
        notion_fake, max_retries=3, retry_initial_delay_s=0.4, retry_max_delay_s=1.0
    )
    try:
        made.write("shard", "hello")
        notion_fake.fail_next(1, 500, method="GET")
        notion_fake.fail_next(1, 529, retry_after=0, method="GET")
        notion_fake.fail_next(1, 503, retry_after=0, method="GET")
        with caplog.at_level(logging.WARNING, logger="shards.notion"):
            assert made.read("shard").text == "hello"
    finally:
        made.close()
    waits = [float(w) for w in re.findall(r"retrying in ([\d.]+) s", caplog.text)]
    assert len(waits) == 3
    assert 0.2 <= waits[0] <= 0.4  # no Retry-After: the first step, jittered
    assert waits[1:] == [0.0, 0.0]  # what Retry-After said, not the (growing) backoff


def test_an_append_answered_529_is_not_retried_by_the_store_but_reported_with_its_wait(
    notion_fake: NotionFake,
) -> None:
    from shards.errors import StoreUnavailable

    made = notion_store(notion_fake, max_retries=3)
    try:
        made.write("log", "")
        notion_fake.fail_after_commit_next(1, 529, retry_after=7, method="PATCH", path="/children")
        with pytest.raises(StoreUnavailable) as caught:
            made.append("log", [f"{BELL} one"])
    finally:
        made.close()
    assert caught.value.retry_after == 7
    assert len(notion_fake.requests_to("PATCH", "/children")) == 1  # may have been applied


# -- tokens and pages gone for good --------------------------------------------------------


def test_a_token_revoked_mid_drain_dead_letters_with_a_clear_reason_then_replays_once(
    notion_fake: NotionFake, store: NotionStore, outbox: SqlOutbox
) -> None:
    clock = FakeClock()
    target = page_id(store)
    first = accept(outbox, clock, 5)
    drainer = Drainer(outbox, store, DrainOptions(batch=5), clock=clock)
    drainer.drain()
    notion_fake.fail_after_commit_next(1, 502, method="PATCH", path="/children")
    second = accept(outbox, clock, 5)
    assert drainer.drain()[0].failed == 5  # applied, but the drainer never learnt it
    notion_fake.token = "revoked"  # the operator revokes the integration's token
    third = accept(outbox, clock, 250)
    before = len(notion_fake.requests)
    clock.advance(60)

    results = drain_all(drainer, clock)

    assert sum(r.dead for r in results) == 255
    assert not outbox.pending_pages(clock())  # no endless retries: nothing left to try
    assert len(notion_fake.requests) - before == 51  # one refused request per batch of 5
    dead = outbox.dead_letters()
    reason = dead[0].last_error or ""
    assert "HTTP 401" in reason and "integration token" in reason
    assert "notion.so/profile/integrations" in reason  # what to do
    assert on_page(notion_fake, target) == first + second

    notion_fake.token = store.options.token  # a valid token again
    assert outbox.retry_dead() == 255
    drain_all(drainer, clock)

    assert on_page(notion_fake, target) == first + second + third  # the 5 were not doubled


def test_a_log_page_trashed_by_hand_dead_letters_naming_the_page_and_what_to_do(
    notion_fake: NotionFake, store: NotionStore, outbox: SqlOutbox
) -> None:
    clock = FakeClock()
    target = page_id(store)
    accept(outbox, clock, 3, page=target)  # a log page configured by id
    notion_fake.trash_page(target)
    writes = len(notion_fake.requests_to("PATCH"))

    results = drain_all(Drainer(outbox, store, clock=clock), clock)

    assert sum(r.dead for r in results) == 3
    assert len(notion_fake.requests_to("PATCH")) == writes + 1  # one refused, not one per event
    reason = outbox.dead_letters()[0].last_error or ""
    assert target in reason and "trash" in reason and "retry-dead" in reason


def test_a_named_log_page_deleted_by_hand_is_made_again_and_loses_nothing(
    notion_fake: NotionFake, store: NotionStore, outbox: SqlOutbox
) -> None:
    clock = FakeClock()
    drainer = Drainer(outbox, store, clock=clock)
    before = accept(outbox, clock, 3)
    drain_all(drainer, clock)
    old = page_id(store)
    notion_fake.trash_page(old)
    after = accept(outbox, clock, 3)

    drain_all(drainer, clock)

    new = page_id(store)
    assert new != old
    assert on_page(notion_fake, old) == before
    assert on_page(notion_fake, new) == after
    assert not outbox.dead_letters()
