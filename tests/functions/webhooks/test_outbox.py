"""Contract tests of the webhook outbox, run against SQLite and PostgreSQL alike.

Time never passes by itself here: every call gets an explicit ``now``.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.webhooks.errors import OutboxError
from functions.webhooks.outbox import (
    Accepted,
    OutboxEvent,
    OutboxOptions,
    OutboxStats,
    SqlOutbox,
    open_outbox,
)

T0 = datetime(2026, 5, 21, 2, 54, 44, 452000, tzinfo=UTC)
PAGE = "webhook-log"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def outbox(outbox_url: str) -> Iterator[SqlOutbox]:
    with open_outbox(outbox_url) as opened:
        yield opened


def accept(
    outbox: SqlOutbox, key: str, *, page: str = PAGE, source: str = "github", when: float = 0
) -> Accepted:
    return outbox.accept(
        source=source,
        delivery_key=key,
        line=f"line {source}:{key}",
        log_page=page,
        received_at=at(when),
    )


def ids(events: list[OutboxEvent]) -> list[int]:
    return [e.id for e in events]


def lease_and_claim(
    outbox: SqlOutbox, worker: str = "w1", *, limit: int = 100, now: float = 0
) -> list[OutboxEvent]:
    assert outbox.acquire_lease(PAGE, worker, ttl_s=30, now=at(now))
    return outbox.claim(PAGE, worker, limit=limit, now=at(now))


# --- accept and dedup ------------------------------------------------------------------------


def test_the_same_delivery_accepted_twice_is_stored_once(outbox: SqlOutbox) -> None:
    first = accept(outbox, "d-1")
    again = accept(outbox, "d-1", when=5)

    assert first == Accepted(id=first.id, duplicate=False)
    assert again == Accepted(id=first.id, duplicate=True)
    assert outbox.stats(at(5)).pending == 1


def test_the_same_delivery_key_from_another_source_is_a_new_event(outbox: SqlOutbox) -> None:
    a = accept(outbox, "d-1", source="github")
    b = accept(outbox, "d-1", source="stripe")

    assert not b.duplicate
    assert b.id != a.id


def test_a_key_is_new_again_once_the_dedup_window_is_purged(outbox: SqlOutbox) -> None:
    first = accept(outbox, "d-1")
    window = timedelta(hours=1)

    kept = outbox.purge(at(1800), dedup_window=window, keep_sent=timedelta(days=7))
    assert kept.dedup_keys == 0
    assert accept(outbox, "d-1", when=1800).duplicate

    purged = outbox.purge(at(3601), dedup_window=window, keep_sent=timedelta(days=7))
    assert purged.dedup_keys == 1
    later = accept(outbox, "d-1", when=3601)
    assert not later.duplicate
    assert later.id > first.id


def test_a_duplicate_of_a_purged_sent_event_still_reports_its_id(outbox: SqlOutbox) -> None:
    first = accept(outbox, "d-1")
    outbox.mark_sent(ids(lease_and_claim(outbox)), "w1")

    purged = outbox.purge(at(7200), dedup_window=timedelta(days=1), keep_sent=timedelta(hours=1))

    assert purged.sent_events == 1
    assert accept(outbox, "d-1", when=7200) == Accepted(id=first.id, duplicate=True)


def test_purge_deletes_only_old_sent_events(outbox: SqlOutbox) -> None:
    sent_old, pending_old, dead_old = (accept(outbox, k).id for k in ("a", "b", "c"))
    sent_new = accept(outbox, "d", when=3000).id
    lease_and_claim(outbox, now=3000)
    outbox.mark_sent([sent_old, sent_new], "w1")
    outbox.mark_failed([pending_old], "w1", "HTTP 503", retry_at=at(3000))
    assert outbox.dead_letter(dead_old, "w1", "HTTP 400")

    purged = outbox.purge(at(3600), dedup_window=timedelta(days=1), keep_sent=timedelta(hours=0.5))

    assert purged.sent_events == 1
    assert outbox.stats(at(3600)) == OutboxStats(
        pending=1, sending=0, sent=1, dead=1, oldest_pending_age_s=3600.0
    )


def test_ids_follow_receive_order(outbox: SqlOutbox) -> None:
    accepted = [accept(outbox, f"d-{i}", when=i).id for i in range(5)]

    assert accepted == sorted(accepted)
    assert ids(lease_and_claim(outbox, now=10)) == accepted


def test_an_event_keeps_what_it_was_given(outbox: SqlOutbox) -> None:
    line = '🔔 2026-05-21T02:54:44.452Z [claude-test:test] {"event":"test","message":"Hello"}'
    event_id = outbox.accept(
        source="claude-test", delivery_key="k", line=line, log_page=PAGE, received_at=T0
    ).id

    [event] = lease_and_claim(outbox)

    assert event == OutboxEvent(
        id=event_id,
        source="claude-test",
        line=line,
        log_page=PAGE,
        received_at=T0,
        attempts=1,
        state="sending",
        last_error=None,
        uncertain=False,
    )


# --- leases and claims -----------------------------------------------------------------------


def test_a_second_worker_cannot_claim_while_the_lease_is_live(outbox: SqlOutbox) -> None:
    accept(outbox, "d-1")
    assert outbox.acquire_lease(PAGE, "w1", ttl_s=30, now=at(0))

    assert not outbox.acquire_lease(PAGE, "w2", ttl_s=30, now=at(29))
    assert outbox.claim(PAGE, "w2", limit=10, now=at(29)) == []

    assert outbox.acquire_lease(PAGE, "w2", ttl_s=30, now=at(30))
    assert outbox.claim(PAGE, "w1", limit=10, now=at(30)) == []
    assert len(outbox.claim(PAGE, "w2", limit=10, now=at(30))) == 1


def test_renewing_a_lease_extends_it(outbox: SqlOutbox) -> None:
    assert outbox.acquire_lease(PAGE, "w1", ttl_s=30, now=at(0))
    assert outbox.acquire_lease(PAGE, "w1", ttl_s=30, now=at(20))

    assert not outbox.acquire_lease(PAGE, "w2", ttl_s=30, now=at(40))
    assert outbox.acquire_lease(PAGE, "w2", ttl_s=30, now=at(50))


def test_a_released_lease_is_free_at_once(outbox: SqlOutbox) -> None:
    assert outbox.acquire_lease(PAGE, "w1", ttl_s=30, now=at(0))
    outbox.release_lease(PAGE, "w2")  # not the holder: no effect
    assert not outbox.acquire_lease(PAGE, "w2", ttl_s=30, now=at(1))

    outbox.release_lease(PAGE, "w1")

    assert outbox.acquire_lease(PAGE, "w2", ttl_s=30, now=at(1))


def test_leases_are_per_log_page(outbox: SqlOutbox) -> None:
    assert outbox.acquire_lease("page-a", "w1", ttl_s=30, now=at(0))
    assert outbox.acquire_lease("page-b", "w2", ttl_s=30, now=at(0))


def test_claim_returns_the_oldest_events_of_its_page_up_to_the_limit(outbox: SqlOutbox) -> None:
    mine = [accept(outbox, f"d-{i}").id for i in range(5)]
    accept(outbox, "other", page="another-page")

    first = lease_and_claim(outbox, limit=2)
    assert ids(first) == mine[:2]
    assert all(e.state == "sending" and e.attempts == 1 and not e.uncertain for e in first)
    assert outbox.mark_sent(ids(first), "w1") == 2

    assert ids(outbox.claim(PAGE, "w1", limit=10, now=at(1))) == mine[2:]
    assert outbox.stats(at(1)) == OutboxStats(
        pending=1, sending=3, sent=2, dead=0, oldest_pending_age_s=1.0
    )


def test_claim_without_pending_events_returns_nothing(outbox: SqlOutbox) -> None:
    assert lease_and_claim(outbox) == []


def test_claim_rejects_a_limit_below_one(outbox: SqlOutbox) -> None:
    with pytest.raises(ValueError, match="limit"):
        outbox.claim(PAGE, "w1", limit=0, now=T0)


def test_a_failed_event_holds_back_later_events_until_its_retry_time(outbox: SqlOutbox) -> None:
    first, *rest = (accept(outbox, f"d-{i}").id for i in range(3))
    assert ids(lease_and_claim(outbox, limit=1)) == [first]

    assert outbox.mark_failed([first], "w1", "HTTP 503 from Notion", retry_at=at(60)) == 1

    assert outbox.claim(PAGE, "w1", limit=10, now=at(59)) == []
    assert outbox.acquire_lease(PAGE, "w1", ttl_s=30, now=at(60))
    retried = outbox.claim(PAGE, "w1", limit=10, now=at(60))
    assert ids(retried) == [first, *rest]
    assert (retried[0].attempts, retried[0].last_error, retried[0].uncertain) == (
        2,
        "HTTP 503 from Notion",
        False,
    )


def test_an_event_left_sending_by_a_dead_worker_comes_back_uncertain(outbox: SqlOutbox) -> None:
    a, b = (accept(outbox, f"d-{i}").id for i in range(2))
    assert ids(lease_and_claim(outbox, "w1")) == [a, b]  # w1 appends, then dies unrecorded
    c = accept(outbox, "d-2", when=10).id

    assert outbox.acquire_lease(PAGE, "w2", ttl_s=30, now=at(31))
    taken = outbox.claim(PAGE, "w2", limit=10, now=at(31))

    assert [(e.id, e.uncertain, e.attempts) for e in taken] == [
        (a, True, 2),
        (b, True, 2),
        (c, False, 1),
    ]
    assert outbox.mark_sent([a, b], "w1") == 0  # w1 no longer owns them
    assert outbox.mark_sent([a, b, c], "w2") == 3


def test_claiming_again_without_recording_returns_the_events_uncertain(outbox: SqlOutbox) -> None:
    a = accept(outbox, "d-1").id
    lease_and_claim(outbox)  # the append timed out: outcome unknown, nothing recorded

    [again] = lease_and_claim(outbox, now=5)

    assert (again.id, again.uncertain, again.attempts) == (a, True, 2)


# --- dead letters and stats ------------------------------------------------------------------


def test_a_dead_letter_is_reported_skipped_and_replayable(outbox: SqlOutbox) -> None:
    a, b = (accept(outbox, f"d-{i}").id for i in range(2))
    lease_and_claim(outbox)
    assert outbox.dead_letter(a, "w1", "HTTP 400: block too long")
    assert not outbox.dead_letter(a, "w1", "again")  # no longer sending
    outbox.mark_sent([b], "w1")
    c = accept(outbox, "d-2", when=1).id

    [dead] = outbox.dead_letters()
    assert (dead.id, dead.state, dead.last_error) == (a, "dead", "HTTP 400: block too long")
    assert ids(outbox.claim(PAGE, "w1", limit=10, now=at(2))) == [c]
    outbox.mark_sent([c], "w1")

    assert outbox.retry_dead([b, 999_999]) == 0  # not dead, unknown: nothing to replay
    assert outbox.retry_dead([a]) == 1
    assert outbox.dead_letters() == []
    [replayed] = outbox.claim(PAGE, "w1", limit=10, now=at(3))
    assert (replayed.id, replayed.attempts, replayed.uncertain) == (a, 1, False)


def test_retry_dead_without_ids_replays_every_dead_letter(outbox: SqlOutbox) -> None:
    events = [accept(outbox, f"d-{i}").id for i in range(3)]
    lease_and_claim(outbox)
    for event_id in events:
        outbox.dead_letter(event_id, "w1", "HTTP 400")

    assert outbox.retry_dead() == 3
    assert outbox.stats(T0).pending == 3


def test_stats_count_each_state_and_the_oldest_unsent_age(outbox: SqlOutbox) -> None:
    assert outbox.stats(T0) == OutboxStats(0, 0, 0, 0, None)
    a, b, _, _ = (accept(outbox, f"d-{i}", when=i * 10).id for i in range(4))
    lease_and_claim(outbox, limit=3, now=40)
    outbox.mark_sent([a], "w1")
    assert outbox.dead_letter(b, "w1", "HTTP 400")

    assert outbox.stats(at(100)) == OutboxStats(
        pending=1, sending=1, sent=1, dead=1, oldest_pending_age_s=80.0
    )


# --- concurrency -----------------------------------------------------------------------------


def test_two_threads_accepting_concurrently_lose_nothing(outbox: SqlOutbox) -> None:
    start = threading.Barrier(2)
    results: dict[str, list[tuple[str, Accepted]]] = {}

    def sender(name: str) -> None:
        start.wait()
        keys = [f"{name}-{i}" for i in range(40)] + [f"shared-{i}" for i in range(20)]
        results[name] = [(k, accept(outbox, k)) for k in keys]

    threads = [threading.Thread(target=sender, args=(n,)) for n in ("t1", "t2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    by_key: dict[str, set[int]] = {}
    for key, result in results["t1"] + results["t2"]:
        by_key.setdefault(key, set()).add(result.id)
    fresh = Counter(k for k, r in results["t1"] + results["t2"] if not r.duplicate)
    assert all(len(found) == 1 for found in by_key.values())
    assert len(by_key) == 100
    assert set(fresh) == set(by_key)
    assert set(fresh.values()) == {1}
    claimed = lease_and_claim(outbox, limit=1000)
    assert ids(claimed) == sorted(i for (i,) in by_key.values())


def test_two_connections_draining_concurrently_never_get_the_same_event(outbox_url: str) -> None:
    pages = [f"page-{n}" for n in range(4)]
    with open_outbox(outbox_url) as first, open_outbox(outbox_url) as second:
        expected = {
            p: [
                first.accept(
                    source="s", delivery_key=f"{p}-{i}", line=f"{p} {i}", log_page=p, received_at=T0
                ).id
                for i in range(15)
            ]
            for p in pages
        }
        start = threading.Barrier(2)
        claims: dict[str, list[OutboxEvent]] = {"w1": [], "w2": []}

        def drainer(outbox: SqlOutbox, worker: str) -> None:
            start.wait()
            for _ in range(500):
                for page in pages:
                    if outbox.acquire_lease(page, worker, ttl_s=60, now=T0):
                        taken = outbox.claim(page, worker, limit=4, now=T0)
                        claims[worker].extend(taken)
                        outbox.mark_sent(ids(taken), worker)
                        outbox.release_lease(page, worker)
                if outbox.stats(T0).pending == 0:
                    return

        threads = [
            threading.Thread(target=drainer, args=(first, "w1")),
            threading.Thread(target=drainer, args=(second, "w2")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        everything = claims["w1"] + claims["w2"]
        assert sorted(ids(everything)) == sorted(i for p in pages for i in expected[p])
        assert not any(e.uncertain for e in everything)
        assert first.stats(T0) == OutboxStats(0, 0, 60, 0, None)


@pytest.mark.postgres
def test_claim_never_skips_past_an_event_another_transaction_holds(postgres_url: str) -> None:
    with open_outbox(postgres_url) as outbox:
        held, *rest = (accept(outbox, f"d-{i}").id for i in range(3))
        assert outbox.acquire_lease(PAGE, "w1", ttl_s=30, now=T0)
        with psycopg.connect(postgres_url) as other:
            other.execute("SELECT id FROM outbox_events WHERE id = %s FOR UPDATE", (held,))

            assert outbox.claim(PAGE, "w1", limit=10, now=T0) == []

            other.rollback()
        assert ids(outbox.claim(PAGE, "w1", limit=10, now=T0)) == [held, *rest]


# --- the drain invariant ---------------------------------------------------------------------

_step = st.one_of(
    st.tuples(st.just("accept"), st.integers(0, 6)),
    st.tuples(st.just("drain"), st.sampled_from(["ok", "fail", "unknown", "die"])),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(_step, max_size=25), limit=st.integers(1, 3))
def test_every_accepted_event_lands_on_the_page_once_in_order(
    outbox: SqlOutbox, steps: list[tuple[str, object]], limit: int
) -> None:
    page, source = f"page-{uuid.uuid4().hex}", uuid.uuid4().hex  # isolate each example
    lines: list[str] = []  # the log page
    first_seen: list[str] = []
    clock = [0.0]
    workers = iter(f"w{n}" for n in range(1000))
    worker = next(workers)

    def drain(outcome: str) -> str:
        current = worker
        if not outbox.acquire_lease(page, current, ttl_s=30, now=at(clock[0])):
            clock[0] += 31  # a dead drainer's lease has to run out first
            current = next(workers)
            assert outbox.acquire_lease(page, current, ttl_s=30, now=at(clock[0]))
        taken = outbox.claim(page, current, limit=limit, now=at(clock[0]))
        assert all(e.uncertain or e.line not in lines for e in taken), "doubled a line"
        if outcome == "fail":  # reconcile the uncertain ones, then the append fails
            on_page = [e.id for e in taken if e.line in lines]
            outbox.mark_sent(on_page, current)
            missing = [e.id for e in taken if e.id not in on_page]
            outbox.mark_failed(missing, current, "HTTP 502", retry_at=at(clock[0] + 1))
            return current
        for event in taken:
            if event.line not in lines:  # the drainer's reconciliation
                lines.append(event.line)
        if outcome == "ok":
            assert outbox.mark_sent(ids(taken), current) == len(taken)
        return next(workers) if outcome == "die" else current

    for kind, arg in steps:
        clock[0] += 1
        if kind == "accept":
            key = str(arg)
            outbox.accept(
                source=source, delivery_key=key, line=key, log_page=page, received_at=at(clock[0])
            )
            if key not in first_seen:
                first_seen.append(key)
        else:
            worker = drain(str(arg))
    for _ in range(len(first_seen) + 2):
        clock[0] += 60
        worker = drain("ok")

    assert lines == first_seen


# --- opening and errors ----------------------------------------------------------------------


def test_an_unreachable_postgres_raises_outbox_error_naming_it() -> None:
    with pytest.raises(OutboxError, match=r"PostgreSQL outbox at .*127\.0\.0\.1:1") as caught:
        open_outbox("postgresql://postgres:hunter2@127.0.0.1:1/test")

    assert isinstance(caught.value.__cause__, psycopg.Error)
    assert "hunter2" not in str(caught.value)
    assert caught.value.hint and "reachable" in caught.value.hint


@pytest.mark.parametrize("parent", ["missing-dir", "a-file"])
def test_an_unusable_sqlite_path_raises_outbox_error_naming_it(tmp_path: Path, parent: str) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    path = tmp_path / parent / "state.sqlite3"

    with pytest.raises(OutboxError, match=r"SQLite outbox at .*state\.sqlite3") as caught:
        open_outbox(f"sqlite:///{path}")

    assert isinstance(caught.value.__cause__, sqlite3.Error)


def test_a_sqlite_writer_locked_out_past_the_busy_timeout_gets_outbox_error(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with open_outbox(str(path), OutboxOptions(busy_timeout_s=0.05)) as outbox:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(OutboxError, match="locked") as caught:
                accept(outbox, "d-1")
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
        assert not accept(outbox, "d-1").duplicate  # the failed accept left nothing behind


def test_a_closed_outbox_raises_outbox_error(outbox_url: str) -> None:
    outbox = open_outbox(outbox_url)
    outbox.close()

    with pytest.raises(OutboxError, match="closed"):
        accept(outbox, "d-1")


def test_reopening_an_outbox_keeps_its_events(outbox_url: str) -> None:
    with open_outbox(outbox_url) as outbox:
        first = accept(outbox, "d-1")
    with open_outbox(outbox_url) as outbox:
        assert accept(outbox, "d-1") == Accepted(id=first.id, duplicate=True)


def test_a_schema_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    open_outbox(str(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = 99 WHERE component = 'outbox'")
    conn.close()

    with pytest.raises(OutboxError, match="version 99"):
        open_outbox(str(path))


def test_sqlite_urls_follow_the_sqlalchemy_convention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    open_outbox("sqlite:///relative.sqlite3").close()
    open_outbox(f"sqlite:///{tmp_path / 'absolute.sqlite3'}").close()
    open_outbox(str(tmp_path / "bare.sqlite3")).close()

    assert {p.name for p in tmp_path.glob("*.sqlite3")} == {
        "relative.sqlite3",
        "absolute.sqlite3",
        "bare.sqlite3",
    }


def test_an_in_memory_sqlite_url_is_refused() -> None:
    with pytest.raises(OutboxError, match="does not name a database file"):
        open_outbox("sqlite:///:memory:")


def test_naive_times_are_refused(outbox: SqlOutbox) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        outbox.accept(
            source="s", delivery_key="k", line="l", log_page=PAGE, received_at=datetime(2026, 1, 1)
        )


# --- page marks ------------------------------------------------------------------------------


def test_marked_pages_are_read_back_from_a_moment_on_oldest_first(outbox: SqlOutbox) -> None:
    outbox.mark_pages(["b", "a"], at(10))
    outbox.mark_pages(["c"], at(20))

    assert outbox.marked_since(at(0)) == [("a", at(10)), ("b", at(10)), ("c", at(20))]
    assert outbox.marked_since(at(10)) == [("a", at(10)), ("b", at(10)), ("c", at(20))]
    assert outbox.marked_since(at(10.000001)) == [("c", at(20))]
    assert outbox.marked_since(at(21)) == []


def test_a_page_keeps_one_mark_its_latest(outbox: SqlOutbox) -> None:
    outbox.mark_pages(["a", "a"], at(10))
    outbox.mark_pages(["a"], at(30))

    assert outbox.marked_since(at(0)) == [("a", at(30))]


def test_a_mark_stamped_earlier_than_the_last_one_still_moves_it_on(outbox: SqlOutbox) -> None:
    # Two instances, the second one's clock behind: the mark must never go back in time,
    # and must still change, so a reader that remembers what it saw notices it.
    outbox.mark_pages(["a"], at(30))
    outbox.mark_pages(["a"], at(20))
    outbox.mark_pages(["a"], at(30))

    assert outbox.marked_since(at(0)) == [("a", at(30) + timedelta(microseconds=2))]


def test_marking_no_pages_does_nothing(outbox: SqlOutbox) -> None:
    outbox.mark_pages([], at(10))

    assert outbox.marked_since(at(0)) == []


def test_purge_drops_marks_older_than_the_dedup_window(outbox: SqlOutbox) -> None:
    outbox.mark_pages(["old"], at(0))
    outbox.mark_pages(["new"], at(3000))

    purged = outbox.purge(at(3601), dedup_window=timedelta(hours=1), keep_sent=timedelta(days=7))

    assert purged.page_marks == 1
    assert outbox.marked_since(at(0)) == [("new", at(3000))]


def test_marks_made_through_one_connection_are_read_through_another(outbox_url: str) -> None:
    with open_outbox(outbox_url) as writer, open_outbox(outbox_url) as reader:
        writer.mark_pages(["a"], at(10))
        assert reader.marked_since(at(0)) == [("a", at(10))]


def test_the_schema_records_the_marks_component(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    open_outbox(str(path)).close()
    with sqlite3.connect(path) as conn:
        rows = dict(conn.execute("SELECT component, version FROM schema_version").fetchall())
    conn.close()

    assert rows == {"outbox": 1, "marks": 1, "pages": 1}


def test_a_database_from_before_marks_gains_them_on_open(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with open_outbox(str(path)) as outbox:
        first = accept(outbox, "d-1")
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE page_marks")
        conn.execute("DELETE FROM schema_version WHERE component = 'marks'")
    conn.close()

    with open_outbox(str(path)) as outbox:
        outbox.mark_pages(["a"], at(10))
        assert outbox.marked_since(at(0)) == [("a", at(10))]
        assert accept(outbox, "d-1") == Accepted(id=first.id, duplicate=True)


def test_a_marks_schema_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    open_outbox(str(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = 2 WHERE component = 'marks'")
    conn.close()

    with pytest.raises(OutboxError, match="marks schema is version 2"):
        open_outbox(str(path))


def test_marks_on_a_closed_outbox_raise_outbox_error(outbox_url: str) -> None:
    outbox = open_outbox(outbox_url)
    outbox.close()

    with pytest.raises(OutboxError, match="marking pages changed failed"):
        outbox.mark_pages(["a"], at(0))
    with pytest.raises(OutboxError, match="reading page marks failed"):
        outbox.marked_since(at(0))


def test_naive_mark_times_are_refused(outbox: SqlOutbox) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        outbox.mark_pages(["a"], datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        outbox.marked_since(datetime(2026, 1, 1))
