"""The drainer: outbox events land on their log page in receive order, exactly once, through
outages, 429 storms, writes whose outcome was lost, rejections, crashes and rival drainers.

Everything runs on a real outbox and a real local page store wrapped in :class:`FlakyStore`;
time is a :class:`FakeClock` the tests move by hand, so nothing here waits.
"""

from __future__ import annotations

import itertools
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.webhooks.drain import Drainer, DrainOptions, DrainResult
from functions.webhooks.logline import BELL, format_line
from functions.webhooks.outbox import SqlOutbox, open_outbox
from shards import LocalFolderStore, parse_page
from tests.functions.webhooks.flaky_store import Crash, FakeClock, FlakyStore

PAGE = "webhook-log"
LEASE_S = 60.0


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state.sqlite3'}"


@dataclass
class Rig:
    """An outbox, a flaky page store over a local folder, a fake clock, and helpers."""

    outbox: SqlOutbox
    folder: Path
    page: str = PAGE
    clock: FakeClock = field(default_factory=FakeClock)
    accepted: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.local = LocalFolderStore(self.folder)
        self.store = FlakyStore(self.local, self.clock)
        self._seq = itertools.count()
        self._workers = itertools.count(1)

    def accept(self, n: int = 1, *, text: str = "ok") -> list[str]:
        """Accept ``n`` events, 1 ms apart; returns their lines."""
        lines = []
        for _ in range(n):
            seq = next(self._seq)
            self.clock.advance(0.001)
            line = format_line(self.clock(), "cron", "tick", {"seq": seq, "text": text})
            accepted = self.outbox.accept(
                source="cron",
                delivery_key=f"{self.page}:{seq}",
                line=line,
                log_page=self.page,
                received_at=self.clock(),
            )
            assert not accepted.duplicate
            lines.append(line)
        self.accepted.extend(lines)
        return lines

    def drainer(self, **options: Any) -> Drainer:
        """A drainer on the fake clock; its backoff jitter is off unless ``jitter`` is given."""
        options.setdefault("lease_ttl_s", LEASE_S)
        jitter = options.pop("jitter", lambda delay: delay)
        return Drainer(
            self.outbox,
            self.store,
            DrainOptions(**options),
            clock=self.clock,
            worker=f"worker-{next(self._workers)}",
            jitter=jitter,
        )

    def lines(self) -> list[str]:
        """The log lines on the page, in page order."""
        try:
            text = self.local.read(self.page).text
        except Exception:
            return []
        return [ln for ln in text.split("\n") if ln.startswith(BELL)]

    def unsent(self) -> int:
        """Events of this page not yet sent (the outbox may hold other pages' events)."""
        with self.outbox._tx("counting unsent events", write=False) as tx:
            [(count,)] = tx.rows(
                "SELECT COUNT(*) FROM outbox_events"
                " WHERE log_page = ? AND state IN ('pending', 'sending')",
                (self.page,),
            )
        return int(count)

    def drain_all(self, drainer: Drainer, *, max_rounds: int = 500) -> list[DrainResult]:
        """Drain until the outbox is empty, moving the clock over every wait it asks for."""
        results: list[DrainResult] = []
        for _ in range(max_rounds):
            round_results = drainer.drain([self.page])
            results.extend(round_results)
            if not self.unsent():
                return results
            waits = [r.retry_in_s for r in round_results if r.retry_in_s]
            self.clock.advance(min(waits) if waits else LEASE_S)
        raise AssertionError(f"the outbox did not drain in {max_rounds} rounds")


@pytest.fixture
def rig(sqlite_url: str, tmp_path: Path) -> Iterator[Rig]:
    with open_outbox(sqlite_url) as outbox:
        yield Rig(outbox, tmp_path / "workspace")


@pytest.fixture
def any_rig(outbox_url: str, tmp_path: Path) -> Iterator[Rig]:
    """A rig on SQLite and on PostgreSQL."""
    with open_outbox(outbox_url) as outbox:
        yield Rig(outbox, tmp_path / "workspace")


def assert_backoff_honoured(store: FlakyStore) -> None:
    """After a refusal that said Retry-After, no request came before that time."""
    for i, refused in enumerate(store.requests):
        if refused.retry_after is None:
            continue
        resume = refused.at + timedelta(seconds=refused.retry_after)
        early = [r for r in store.requests[i + 1 :] if r.at < resume]
        assert not early, f"requests before the Retry-After of {refused}: {early}"


# -- order and batching -----------------------------------------------------------------------


def test_lines_are_appended_in_receive_order(rig: Rig) -> None:
    lines = rig.accept(10)

    [result] = rig.drainer().drain([PAGE])[:1]

    assert result.appended == 10
    assert rig.lines() == lines
    assert rig.unsent() == 0


def test_a_new_log_page_gets_a_log_header_so_the_index_sync_skips_it(rig: Rig) -> None:
    rig.accept(1)
    rig.drainer().drain([PAGE])
    page = parse_page(rig.local.read(PAGE).text, page_id=PAGE)
    assert page.header is not None
    assert page.header.page_type == "log"


def test_an_existing_page_keeps_its_content_and_gets_lines_after_it(rig: Rig) -> None:
    rig.local.write(PAGE, "# My log\n\nkept by hand\n")
    lines = rig.accept(2)
    rig.drainer().drain([PAGE])
    assert rig.local.read(PAGE).text == "# My log\n\nkept by hand\n" + "".join(
        f"{ln}\n" for ln in lines
    )


def test_events_are_appended_in_batches_of_at_most_a_hundred_lines(rig: Rig) -> None:
    lines = rig.accept(250)

    results = rig.drainer().drain([PAGE])

    assert [r.appended for r in results if r.appended] == [100, 100, 50]
    assert [r.blocks for r in rig.store.appended_requests] == [100, 100, 50]
    assert rig.lines() == lines


def test_a_smaller_configured_batch_is_honoured(rig: Rig) -> None:
    rig.accept(25)
    rig.drainer(batch=10).drain([PAGE])
    assert [r.blocks for r in rig.store.appended_requests] == [10, 10, 5]


def test_lines_per_block_packs_several_lines_into_one_block(rig: Rig) -> None:
    lines = rig.accept(25)

    rig.drainer(lines_per_block=10).drain([PAGE])

    assert [r.blocks for r in rig.store.appended_requests] == [3]  # 10 + 10 + 5 lines
    assert rig.lines() == lines


def test_packed_blocks_are_reconciled_line_by_line_after_a_lost_write(rig: Rig) -> None:
    lines = rig.accept(25)
    rig.store.fail_next(1, after_write=True)

    results = rig.drain_all(rig.drainer(lines_per_block=4))

    assert rig.lines() == lines
    assert sum(r.reconciled for r in results) == 25


def test_an_empty_outbox_makes_no_request(rig: Rig) -> None:
    result = rig.drainer().drain_page(PAGE)
    assert not result.busy
    assert rig.store.requests == []


def test_each_page_gets_its_own_events(rig: Rig, tmp_path: Path) -> None:
    other = Rig(rig.outbox, rig.folder, page="other-log", clock=rig.clock)
    mine, theirs = rig.accept(3), other.accept(2)

    rig.drainer().drain([PAGE, "other-log"])

    assert rig.lines() == mine
    assert other.lines() == theirs


# -- outages and rate limits ----------------------------------------------------------------


def test_a_429_storm_is_waited_out_and_every_line_lands_exactly_once(rig: Rig) -> None:
    rig.store.requests_per_second = 3  # the log page takes 3 requests per second
    lines = rig.accept(1000)
    rig.store.fail_next(4, retry_after=7)  # and Notion says "wait 7 s", four times over

    results = rig.drain_all(rig.drainer())

    assert rig.lines() == lines
    refused = [r for r in rig.store.requests if r.outcome in ("limited", "failed")]
    assert len(refused) >= 4 + 1  # the injected 429s, and the limiter's own
    assert_backoff_honoured(rig.store)
    assert all(r.blocks <= 100 for r in rig.store.requests)
    assert not any(r.dead for r in results)


def test_a_failure_without_retry_after_backs_off_exponentially(rig: Rig) -> None:
    lines = rig.accept(3)
    rig.store.fail_next(4)  # a 502 four times, no Retry-After

    rig.drain_all(rig.drainer(backoff_base_s=1.0))

    appends = [r for r in rig.store.requests if r.op == "append"]
    gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(appends)]
    assert gaps == [1.0, 2.0, 4.0, 8.0]
    assert rig.lines() == lines


def test_the_backoff_is_capped(rig: Rig) -> None:
    rig.accept(1)
    rig.store.fail_next(6)
    rig.drain_all(rig.drainer(backoff_base_s=1.0, backoff_max_s=5.0))
    appends = [r for r in rig.store.requests if r.op == "append"]
    gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(appends)]
    assert gaps == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_no_request_is_made_while_backing_off(rig: Rig) -> None:
    rig.accept(2)
    drainer = rig.drainer()
    rig.store.fail_next(1, retry_after=30)

    first = drainer.drain_page(PAGE)
    rig.clock.advance(29)
    rig.accept(1)
    during = drainer.drain_page(PAGE)

    assert first.error is not None and first.retry_in_s == 30
    assert not during.busy
    assert during.retry_in_s == pytest.approx(1 - 0.001)
    assert len([r for r in rig.store.requests if r.op == "append"]) == 1


def test_a_write_that_landed_before_the_error_is_reconciled_not_repeated(any_rig: Rig) -> None:
    rig = any_rig
    lines = rig.accept(5)
    rig.store.fail_next(1, after_write=True)  # the append lands; the client sees a 502
    drainer = rig.drainer()

    failed = drainer.drain_page(PAGE)
    assert failed.error is not None and failed.failed == 5
    assert rig.lines() == lines  # already there
    rig.clock.advance(failed.retry_in_s or 0)
    retried = drainer.drain_page(PAGE)

    assert (retried.reconciled, retried.appended) == (5, 0)
    assert rig.lines() == lines
    assert rig.unsent() == 0


def test_a_write_cut_between_requests_is_completed_without_repeats(any_rig: Rig) -> None:
    rig = any_rig
    rig.store.blocks_per_request = 2  # 5 lines go out as requests of 2 + 2 + 1
    lines = rig.accept(5)
    rig.store.fail_next(1, after_write=True, skip=1)  # the 2nd request lands, unanswered
    drainer = rig.drainer()

    cut = drainer.drain_page(PAGE)
    assert cut.error is not None
    assert rig.lines() == lines[:4]
    rig.clock.advance(cut.retry_in_s or 0)
    done = drainer.drain_page(PAGE)

    assert (done.reconciled, done.appended) == (4, 1)
    assert rig.lines() == lines


def test_a_write_refused_between_requests_sends_only_the_rest(any_rig: Rig) -> None:
    rig = any_rig
    rig.store.blocks_per_request = 2
    lines = rig.accept(5)
    rig.store.fail_next(1, skip=1)  # the 2nd request is refused: only 2 lines landed
    drainer = rig.drainer()

    cut = drainer.drain_page(PAGE)
    rig.clock.advance(cut.retry_in_s or 0)
    done = drainer.drain_page(PAGE)

    assert (done.reconciled, done.appended) == (2, 3)
    assert rig.lines() == lines


def test_an_append_refused_before_writing_is_sent_again_after_the_backoff(rig: Rig) -> None:
    lines = rig.accept(5)
    rig.store.fail_next(1)
    results = rig.drain_all(rig.drainer())
    assert rig.lines() == lines
    assert sum(r.appended for r in results) == 5
    assert sum(r.reconciled for r in results) == 0


def test_a_rate_limited_tail_read_is_a_failed_round_not_an_exception(rig: Rig) -> None:
    lines = rig.accept(3)
    rig.store.fail_next(1, after_write=True)
    drainer = rig.drainer()
    failed = drainer.drain_page(PAGE)
    rig.clock.advance(failed.retry_in_s or 0)
    rig.store.requests_per_second = 1
    rig.store._window.append(rig.clock())  # the window is full: the tail read is a 429

    limited = drainer.drain_page(PAGE)

    assert limited.error is not None
    assert limited.retry_in_s == pytest.approx(1.0)
    rig.drain_all(drainer)
    assert rig.lines() == lines
    assert_backoff_honoured(rig.store)


# -- rejections and dead letters ------------------------------------------------------------


def test_a_rejected_event_is_dead_lettered_and_the_others_land(rig: Rig) -> None:
    before = rig.accept(2)
    poison = rig.accept(1, text="poison")
    after = rig.accept(2)
    rig.store.reject = lambda line: "poison" in line

    results = rig.drain_all(rig.drainer())

    assert rig.lines() == before + after
    assert sum(r.dead for r in results) == 1
    [dead] = rig.outbox.dead_letters()
    assert dead.line == poison[0]
    assert dead.last_error is not None and dead.last_error.startswith("store_rejected")
    assert rig.outbox.stats(rig.clock()).dead == 1


def test_a_replayed_dead_letter_lands_after_the_lines_already_there(rig: Rig) -> None:
    first = rig.accept(2)
    poison = rig.accept(1, text="poison")
    rig.store.reject = lambda line: "poison" in line
    drainer = rig.drainer()
    rig.drain_all(drainer)
    later = rig.accept(2)
    rig.store.reject = None

    assert rig.outbox.retry_dead() == 1
    rig.drain_all(drainer)

    # Replayed under its original id: first in the queue, after what is on the page.
    assert rig.lines() == first + poison + later
    assert rig.outbox.dead_letters() == []


def test_a_rejection_after_part_of_the_batch_landed_does_not_repeat_that_part(rig: Rig) -> None:
    rig.store.blocks_per_request = 2  # requests of 2 lines: [a b] [c=poison d] [e]
    a_b = rig.accept(2)
    rig.accept(1, text="poison")
    d_e = rig.accept(2)
    rig.store.reject = lambda line: "poison" in line

    results = rig.drain_all(rig.drainer())

    assert rig.lines() == a_b + d_e
    assert sum(r.dead for r in results) == 1


def test_a_replayed_dead_letter_ahead_of_uncertain_events_does_not_duplicate_them(
    rig: Rig,
) -> None:
    rig.accept(1, text="poison")
    rig.store.reject = lambda line: "poison" in line
    doomed = rig.drainer()
    rig.drain_all(doomed)
    rig.store.reject = None
    lines = rig.accept(3)
    rig.store.crash_next(after_write=True)  # appended, then the process died
    with pytest.raises(Crash):
        doomed.drain_page(PAGE)
    assert rig.outbox.retry_dead() == 1  # the operator replays the dead letter meanwhile
    rig.clock.advance(LEASE_S)

    rig.drain_all(rig.drainer())

    on_page = rig.lines()
    assert on_page[:3] == lines
    assert len(on_page) == 4 and "poison" in on_page[3]


# -- crashes and rival drainers -------------------------------------------------------------


def test_a_drainer_that_died_after_appending_is_reconciled_by_the_next(any_rig: Rig) -> None:
    rig = any_rig
    lines = rig.accept(7)
    rig.store.crash_next(after_write=True)
    with pytest.raises(Crash):
        rig.drainer().drain_page(PAGE)
    successor = rig.drainer()

    assert not successor.drain_page(PAGE).busy  # the dead drainer's lease still holds
    rig.clock.advance(LEASE_S)
    result = successor.drain_page(PAGE)

    assert (result.reconciled, result.appended) == (7, 0)
    assert rig.lines() == lines


def test_a_drainer_that_died_before_appending_is_completed_by_the_next(any_rig: Rig) -> None:
    rig = any_rig
    lines = rig.accept(7)
    rig.store.crash_next(after_write=False)
    with pytest.raises(Crash):
        rig.drainer().drain_page(PAGE)
    rig.clock.advance(LEASE_S)

    result = rig.drainer().drain_page(PAGE)

    assert (result.reconciled, result.appended) == (0, 7)
    assert rig.lines() == lines


def test_two_drainers_on_one_page_never_append_the_same_event(any_rig: Rig) -> None:
    rig = any_rig
    first = rig.accept(5)
    one, two = rig.drainer(), rig.drainer()
    rival: list[DrainResult] = []

    def rival_round(op: str) -> None:
        if op == "append" and not rival:
            rival.append(two.drain_page(PAGE))  # right in the middle of one's append

    rig.store.on_request = rival_round
    mine = one.drain_page(PAGE)
    rig.store.on_request = None
    second = rig.accept(3)
    blocked = two.drain_page(PAGE)  # one still holds the lease
    rig.clock.advance(LEASE_S)
    taken_over = two.drain_page(PAGE)

    assert mine.appended == 5
    assert not rival[0].busy
    assert not blocked.busy
    assert taken_over.appended == 3
    assert rig.lines() == first + second


def test_two_drainers_taking_turns_through_failures_log_each_event_once(any_rig: Rig) -> None:
    rig = any_rig
    drainers = [rig.drainer(batch=4), rig.drainer(batch=4)]
    for turn in range(12):
        rig.accept(3)
        if turn % 3 == 0:
            rig.store.fail_next(1, after_write=turn % 2 == 0)
        drainers[turn % 2].drain([PAGE])
        rig.clock.advance(LEASE_S / 2)
    rig.store.clear_faults()
    rig.drain_all(drainers[0])
    assert rig.lines() == rig.accepted


def test_a_drainer_stopped_cleanly_frees_its_pages_for_the_next_process(rig: Rig) -> None:
    first = rig.accept(2)
    old = rig.drainer()
    old.drain([PAGE])  # holds the page's lease for LEASE_S
    stop = threading.Event()
    stop.set()

    old.run(lambda: [PAGE], stop)  # the loop ends at once, as on SIGTERM
    later = rig.accept(2)
    result = rig.drainer().drain_page(PAGE)  # a new process: another worker id

    assert result.appended == 2
    assert rig.lines() == first + later


def test_a_drainer_stopped_while_backing_off_keeps_the_page_until_the_backoff_ends(
    rig: Rig,
) -> None:
    rig.accept(2)
    old = rig.drainer()
    rig.store.fail_next(1, retry_after=30)
    old.drain([PAGE])
    stop = threading.Event()
    stop.set()

    old.run(lambda: [PAGE], stop)

    successor = rig.drainer()
    assert not successor.drain_page(PAGE).busy  # Retry-After binds the next process too
    rig.clock.advance(30)
    assert successor.drain_page(PAGE).appended == 2


# -- the property -----------------------------------------------------------------------------

Op = tuple[Any, ...]
OPS = st.one_of(
    st.tuples(st.just("accept"), st.integers(1, 25)),
    st.tuples(st.just("drain"), st.integers(0, 1)),
    st.tuples(
        st.just("fail"),
        st.integers(1, 3),
        st.booleans(),
        st.none() | st.sampled_from([0.5, 1.0, 30.0]),
    ),
    st.tuples(st.just("crash"), st.integers(0, 1), st.sampled_from(["before", "after", "tail"])),
    st.tuples(st.just("tick"), st.sampled_from([0.2, 1.0, 5.0, LEASE_S])),
)


@pytest.fixture(scope="module")
def shared_folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def run_interleaving(
    outbox: SqlOutbox, folder: Path, ops: list[Op], batch: int, per_block: int
) -> None:
    """Play ``ops``; then drain to the end and check every event is on the page once, in order.

    Each example gets its own page, so examples share the outbox and the folder.
    """
    rig = Rig(outbox, folder, page=f"log-{uuid.uuid4().hex[:12]}")
    rig.store.requests_per_second = 3
    rig.store.blocks_per_request = 3  # so a failure can land between requests of an append
    options = {"batch": batch, "lines_per_block": per_block}
    drainers: list[Drainer | None] = [None, None]
    for op in ops:
        kind = op[0]
        if kind == "accept":
            rig.accept(op[1])
        elif kind == "tick":
            rig.clock.advance(op[1])
        elif kind == "fail":
            rig.store.fail_next(op[1], after_write=op[2], retry_after=op[3])
        elif kind == "crash":
            if op[2] == "tail":
                rig.store.crash_next(in_tail=True)
            else:
                rig.store.crash_next(after_write=op[2] == "after")
        elif kind == "drain":
            slot = op[1]
            drainer = drainers[slot] or rig.drainer(**options)
            drainers[slot] = drainer
            try:
                drainer.drain([rig.page])
            except Crash:
                drainers[slot] = None  # the process died: its object, lease and claims linger
    rig.store.clear_faults()
    rig.drain_all(drainers[0] or rig.drainer(**options), max_rounds=400)
    assert rig.lines() == rig.accepted
    assert_backoff_honoured(rig.store)


PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(
    ops=st.lists(OPS, min_size=1, max_size=40),
    batch=st.sampled_from([1, 5, 100]),
    per_block=st.sampled_from([1, 2]),
)
def test_any_interleaving_of_accepts_failures_and_crashes_logs_each_event_once_in_order(
    shared_sqlite: SqlOutbox, shared_folder: Path, ops: list[Op], batch: int, per_block: int
) -> None:
    run_interleaving(shared_sqlite, shared_folder, ops, batch, per_block)


@pytest.fixture(scope="module")
def shared_sqlite(shared_folder: Path) -> Iterator[SqlOutbox]:
    with open_outbox(f"sqlite:///{shared_folder / 'state.sqlite3'}") as outbox:
        yield outbox


@pytest.fixture
def postgres_outbox(postgres_url: str) -> Iterator[SqlOutbox]:
    with open_outbox(postgres_url) as outbox:
        yield outbox


@pytest.mark.postgres
@settings(PROPERTY, max_examples=30)
@given(
    ops=st.lists(OPS, min_size=1, max_size=30),
    batch=st.sampled_from([1, 5, 100]),
    per_block=st.sampled_from([1, 2]),
)
def test_on_postgresql_any_interleaving_logs_each_event_once_in_order(
    postgres_outbox: SqlOutbox, tmp_path: Path, ops: list[Op], batch: int, per_block: int
) -> None:
    run_interleaving(postgres_outbox, tmp_path, ops, batch, per_block)


# -- which pages: what the outbox says is pending ---------------------------------------------


def test_events_of_a_renamed_page_an_old_month_and_a_replayed_dead_letter_all_land(
    rig: Rig,
) -> None:
    """Config and the clock no longer name these pages; the outbox still does."""
    old_name = Rig(rig.outbox, rig.folder, page="old-log", clock=rig.clock)  # before a rename
    long_ago = Rig(rig.outbox, rig.folder, page=f"{PAGE}-2025-01", clock=rig.clock)  # roll
    replayed = Rig(rig.outbox, rig.folder, page=f"{PAGE}-2024-12", clock=rig.clock)
    poison = replayed.accept(1, text="poison")
    rig.store.reject = lambda line: "poison" in line
    drainer = rig.drainer()
    drainer.drain([replayed.page])  # refused for good back then: a dead letter
    rig.store.reject = None
    renamed, rolled, current = old_name.accept(2), long_ago.accept(3), rig.accept(2)
    assert rig.outbox.retry_dead() == 1  # the operator replays it, months later

    assert set(drainer.pages()) == {old_name.page, long_ago.page, replayed.page, PAGE}
    drainer.drain()  # no pages named: every page with pending work

    assert old_name.lines() == renamed
    assert long_ago.lines() == rolled
    assert replayed.lines() == poison
    assert rig.lines() == current
    assert drainer.pages() == []


def test_the_run_loop_drains_pages_it_was_never_told_about(rig: Rig) -> None:
    other = Rig(rig.outbox, rig.folder, page="renamed-log", clock=rig.clock)
    lines = other.accept(3)
    drainer = rig.drainer(idle_wait_s=0.0)
    stop = threading.Event()
    rig.store.on_request = lambda op: stop.set() if op == "append" else None

    drainer.run(None, stop)  # one round: the append stops the loop behind it

    assert other.lines() == lines


def test_a_retry_after_is_waited_exactly_and_a_success_resets_the_backoff(rig: Rig) -> None:
    rig.accept(1)
    rig.store.fail_next(3)  # three bare failures in a row: 1, 2, 4 s
    drainer = rig.drainer(backoff_base_s=1.0)
    rig.drain_all(drainer)
    rig.accept(1)
    rig.store.fail_next(1)  # after a success: back to the first step
    rig.store.fail_next(1, retry_after=2.5)  # a fault that says how long: exactly that

    results = rig.drain_all(drainer)

    assert [r.retry_in_s for r in results if r.error] == [1.0, 2.5]


def test_the_backoff_jitter_stays_between_half_and_all_of_the_step(rig: Rig) -> None:
    rig.accept(1)
    rig.store.fail_next(5)
    results = rig.drain_all(
        Drainer(
            rig.outbox,
            rig.store,
            DrainOptions(backoff_base_s=1.0, backoff_max_s=8.0),
            clock=rig.clock,
        )
    )
    waits = [r.retry_in_s or 0.0 for r in results if r.error]
    steps = [1.0, 2.0, 4.0, 8.0, 8.0]
    assert all(step / 2 <= wait <= step for wait, step in zip(waits, steps, strict=True))
