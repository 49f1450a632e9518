"""NotionStore beyond the shared contract: Notion's limits, errors, retries and rate limits.

Everything runs against the loopback fake with the real notion-client. Waits are test-sized;
the one test that honours a real ``Retry-After: 1`` asserts on the fake's request log.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import notion_client
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shards._notion_blocks import split_text
from shards._notion_limits import BURST, RateLimiter
from shards.errors import PageError, PageNotFound, StoreRejected, StoreUnavailable
from shards.notion import NotionOptions, NotionStore
from tests.notion_fake import NotionFake
from tests.shards.test_store_contract import notion_store


@pytest.fixture
def store(notion_fake: NotionFake) -> Iterator[NotionStore]:
    with notion_store(notion_fake) as made:
        yield made


def child(fake: NotionFake, title: str = "page", markdown: str = "") -> str:
    return fake.add_page(title, markdown, parent=fake.root_id)


def statuses(fake: NotionFake, method: str, path: str = "") -> list[int]:
    return [r.status for r in fake.requests_to(method, path)]


# -- ids and names -----------------------------------------------------------------------


def test_page_ids_are_accepted_with_or_without_dashes(
    notion_fake: NotionFake, store: NotionStore
) -> None:
    page_id = child(notion_fake, "shard", "hello")
    bare = page_id.replace("-", "").upper()
    page = store.read(bare)
    assert (page.id, page.text) == (page_id, "hello")
    assert store.url(bare) == page.url


def test_a_page_name_is_created_once_as_a_child_page_of_the_root(
    notion_fake: NotionFake, store: NotionStore
) -> None:
    first = store.write("router", "v1")
    second = store.write("router", "v2")
    store.append("router", ["line"])
    assert first.id == second.id
    assert notion_fake.title(first.id) == "router"
    assert statuses(notion_fake, "POST", "/v1/pages") == [200]
    assert [block["type"] for block in notion_fake.blocks(notion_fake.root_id)] == ["child_page"]


def test_children_are_paged_through_100_at_a_time(
    notion_fake: NotionFake, store: NotionStore
) -> None:
    ids = [child(notion_fake, f"shard {i}") for i in range(104)]
    late = child(notion_fake, "late", "found on the second page of children")
    assert [ref.id for ref in store.list_pages()] == sorted([*ids, late])
    assert store.read("late").text == "found on the second page of children"
    listings = notion_fake.requests_to("GET", f"/blocks/{notion_fake.root_id}/children")
    assert len(listings) == 2  # the name "late" came from what list_pages saw


def test_a_name_whose_page_was_deleted_is_created_again(
    notion_fake: NotionFake, store: NotionStore
) -> None:
    old = store.write("log", "x")
    notion_fake.trash_page(old.id)
    store.append("log", ["fresh"])
    [new] = store.list_pages()
    assert new.id != old.id
    assert store.tail("log", 5) == ["fresh"]


def test_a_trashed_page_reads_as_missing(notion_fake: NotionFake, store: NotionStore) -> None:
    page_id = child(notion_fake, "gone", "x")
    notion_fake.trash_page(page_id)
    with pytest.raises(PageNotFound):
        store.read(page_id)
    assert store.list_pages() == []


def test_a_page_name_must_be_one_line(store: NotionStore) -> None:
    with pytest.raises(PageError):
        store.read("two\nlines")


# -- errors at the boundary --------------------------------------------------------------


def test_an_unknown_page_id_is_page_not_found_with_a_sharing_hint(store: NotionStore) -> None:
    missing = str(uuid.uuid4())
    with pytest.raises(PageNotFound) as caught:
        store.read(missing)
    assert "share it with the integration" in str(caught.value)
    assert caught.value.__cause__ is not None
    assert store.tail(missing, 5) == []


def test_a_bad_token_is_rejected_with_an_actionable_message(notion_fake: NotionFake) -> None:
    with (
        notion_store(notion_fake, token="secret_wrong") as store,
        pytest.raises(StoreRejected) as caught,
    ):
        store.list_pages()
    assert "token" in caught.value.message
    assert caught.value.hint is not None and "integrations" in caught.value.hint
    assert statuses(notion_fake, "GET") == [401], "a 401 is not retried"


def test_a_forbidden_request_says_to_share_the_page(
    notion_fake: NotionFake, store: NotionStore
) -> None:
    page_id = child(notion_fake)
    notion_fake.fail_next(1, 403)
    with pytest.raises(StoreRejected) as caught:
        store.read(page_id)
    assert caught.value.hint is not None and "Connections" in caught.value.hint


def test_a_root_page_not_shared_is_rejected(notion_fake: NotionFake) -> None:
    other_root = str(uuid.uuid4())
    with (
        notion_store(notion_fake, root_page_id=other_root) as store,
        pytest.raises(StoreRejected) as caught,
    ):
        store.list_pages()
    assert "root page" in caught.value.message


def test_construction_needs_no_network_and_checks_the_root_id() -> None:
    NotionStore(
        NotionOptions(token="t", root_page_id=uuid.uuid4().hex, base_url="http://x")
    ).close()
    with pytest.raises(StoreRejected, match="root_page_id"):
        NotionStore(NotionOptions(token="t", root_page_id="not-a-page"))
    assert "secret" not in repr(NotionOptions(token="secret", root_page_id="r"))


def test_an_unreachable_notion_is_unavailable() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    options = NotionOptions(
        token="t",
        root_page_id=uuid.uuid4().hex,
        base_url=f"http://127.0.0.1:{port}",
        requests_per_second=None,
        max_retries=1,
        retry_initial_delay_s=0.01,
    )
    with NotionStore(options) as store, pytest.raises(StoreUnavailable) as caught:
        store.list_pages()
    assert not isinstance(caught.value, StoreRejected)


def test_a_truncated_page_is_read_whole_through_its_unknown_block_ids(
    notion_fake: NotionFake, store: NotionStore
) -> None:
    notion_fake.markdown_record_limit = 5
    page_id = child(notion_fake, "big", "\n".join(f"line {i}" for i in range(8)))
    page = store.read(page_id)
    assert [line for line in page.text.splitlines() if line] == [f"line {i}" for i in range(8)]
    # one markdown read of the page, then one per block it left out (8 - 5)
    assert len(notion_fake.requests_to("GET", "/markdown")) == 1 + 3


def test_a_page_that_cannot_be_made_whole_is_an_error_naming_it(
    notion_fake: NotionFake,
) -> None:
    notion_fake.markdown_record_limit = 5
    page_id = child(notion_fake, "big", "\n".join(f"line {i}" for i in range(2000)))
    with (
        notion_store(notion_fake, max_unknown_blocks=10) as store,
        pytest.raises(PageError) as caught,
    ):
        store.read(page_id)
    assert caught.value.page_id == page_id
    assert "too large to read whole" in caught.value.message
    assert caught.value.hint is not None and "Split the page" in caught.value.hint
    assert len(notion_fake.requests_to("GET", "/markdown")) == 1 + 10


# -- retries ----------------------------------------------------------------------------


def test_a_read_is_retried_after_503(notion_fake: NotionFake, store: NotionStore) -> None:
    page_id = child(notion_fake, "p", "text")
    notion_fake.fail_next(2, 503, path="/markdown")
    assert store.read(page_id).text == "text"
    assert statuses(notion_fake, "GET", "/markdown") == [503, 503, 200]


def test_a_read_gives_up_after_max_retries(notion_fake: NotionFake, store: NotionStore) -> None:
    page_id = child(notion_fake)
    notion_fake.fail_next(10, 500)
    with pytest.raises(StoreUnavailable) as caught:
        store.read(page_id)
    assert not isinstance(caught.value, StoreRejected)
    assert statuses(notion_fake, "GET") == [500, 500, 500]  # max_retries=2


def test_a_read_that_times_out_is_retried(notion_fake: NotionFake) -> None:
    page_id = child(notion_fake, "slow", "eventually")
    notion_fake.delay_next(1, 2.0, path="/markdown")
    with notion_store(notion_fake, timeout_s=0.2) as store:
        assert store.read(page_id).text == "eventually"


def test_a_write_is_retried_because_replacing_is_idempotent(
    notion_fake: NotionFake, store: NotionStore
) -> None:
    page_id = child(notion_fake, "p", "old")
    notion_fake.fail_next(1, 503, method="PATCH")
    store.write(page_id, "new")
    assert notion_fake.page_text(page_id) == "new"
    assert statuses(notion_fake, "PATCH") == [503, 200]


def test_a_503_on_append_is_not_retried_and_nothing_is_duplicated(
    notion_fake: NotionFake, store: NotionStore
) -> None:
    page_id = child(notion_fake)
    notion_fake.fail_next(1, 503, method="PATCH")
    with pytest.raises(StoreUnavailable) as caught:
        store.append(page_id, ["once"])
    assert not isinstance(caught.value, StoreRejected)
    assert statuses(notion_fake, "PATCH") == [503]
    store.append(page_id, ["once"])
    assert store.tail(page_id, 5) == ["once"]


def test_an_append_applied_but_unanswered_is_unavailable_and_on_the_page(
    notion_fake: NotionFake, store: NotionStore
) -> None:
    page_id = child(notion_fake)
    notion_fake.fail_after_commit_next(1)
    with pytest.raises(StoreUnavailable) as caught:
        store.append(page_id, ["committed"])
    assert "may or may not have been applied" in caught.value.message
    assert "tail()" in (caught.value.hint or "")
    assert statuses(notion_fake, "PATCH") == [502]
    assert store.tail(page_id, 5) == ["committed"], "callers must reconcile before resending"


def test_an_append_failing_midway_says_how_far_it_got(
    notion_fake: NotionFake, store: NotionStore
) -> None:
    page_id = child(notion_fake)
    notion_fake.fail_next(1, 503, method="PATCH", skip=1)
    lines = [f"l{i}" for i in range(250)]
    with pytest.raises(StoreUnavailable) as caught:
        store.append(page_id, lines)
    assert "after 100 of 250 lines" in caught.value.message
    assert store.tail(page_id, 250) == lines[:100]


def test_an_append_refused_with_429_is_retried_since_nothing_was_applied(
    notion_fake: NotionFake, store: NotionStore
) -> None:
    page_id = child(notion_fake)
    notion_fake.fail_next(1, 429, method="PATCH", retry_after=0)
    store.append(page_id, ["exactly once"])
    assert statuses(notion_fake, "PATCH") == [429, 200]
    assert store.tail(page_id, 5) == ["exactly once"]


# -- rate limits -------------------------------------------------------------------------


def test_a_429_retry_after_is_honoured(notion_fake: NotionFake, store: NotionStore) -> None:
    page_id = child(notion_fake, "p", "text")
    notion_fake.set_rate_limit(3, burst=3)  # Notion's average; answers Retry-After: 1
    for _ in range(2):  # 4 requests: the 4th is over the burst
        assert store.read(page_id).text == "text"
    log = notion_fake.requests
    limited = [i for i, r in enumerate(log) if r.status == 429]
    assert limited, "the fake's rate limit should have answered 429"
    first = limited[0]
    retry = next(r for r in log[first + 1 :] if r.path == log[first].path)
    assert retry.status == 200
    assert retry.at - log[first].at >= 0.95, "the retry came before Retry-After: 1 was up"


def test_a_retry_after_longer_than_allowed_is_raised_not_slept(
    notion_fake: NotionFake,
) -> None:
    page_id = child(notion_fake)
    notion_fake.fail_next(1, 429, retry_after=60)
    store = notion_store(notion_fake, max_retry_after_s=5)
    with store, pytest.raises(StoreUnavailable) as caught:
        store.read(page_id)
    assert caught.value.retry_after == 60
    assert statuses(notion_fake, "GET") == [429]


def test_the_client_side_limiter_keeps_to_n_requests_per_second(
    notion_fake: NotionFake,
) -> None:
    """15 requests from 3 threads at 25/s: after the first BURST at once, slots 40 ms apart,
    so the last arrives >= 480 ms after the start however the threads are scheduled (without
    the limiter: ~50 ms)."""
    rate, calls = 25.0, 15
    page_id = child(notion_fake)
    with notion_store(notion_fake, requests_per_second=rate) as store:
        began = time.monotonic()
        workers = [
            threading.Thread(target=lambda: [store.tail(page_id, 1) for _ in range(calls // 3)])
            for _ in range(3)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    arrivals = sorted(r.at for r in notion_fake.requests)
    assert len(arrivals) == calls
    assert arrivals[-1] - began >= (calls - BURST) / rate


def test_the_rate_limiter_spaces_calls_and_defers_after_a_429() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    limiter = RateLimiter(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        limiter.acquire()
    assert slept == [0.25, 0.25]
    limiter.defer(2.0)
    limiter.acquire()
    assert slept[-1] == 2.0


def test_the_rate_limiter_lets_a_short_burst_through_after_a_quiet_spell() -> None:
    now, slept = [100.0], []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    limiter = RateLimiter(4.0, burst=3, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limiter.acquire()
    assert slept == [0.25, 0.25]  # three at once, then the average rate
    now[0] += 10.0  # quiet
    for _ in range(3):
        limiter.acquire()
    assert slept == [0.25, 0.25]
    limiter.defer(2.0)
    limiter.acquire()
    assert slept[-1] == 2.0  # a Retry-After holds even a burst back


def test_a_read_within_its_versions_minute_is_not_settled(notion_fake: NotionFake) -> None:
    """Notion rounds last_edited_time to the minute: a copy read within that minute may miss
    a second edit that keeps the version, so it is not settled; one read after it is."""
    now = [1_800_000_030.0]  # 30 s into a minute
    notion_fake.clock = lambda: now[0]
    page_id = child(notion_fake, "p", "first")
    with notion_store(notion_fake, clock=lambda: now[0]) as store:
        store.list_pages()
        early = store.read(page_id)
        notion_fake.edit_page(page_id, "second")  # same minute: same version
        assert store.list_pages()[0].version == early.version
        assert not early.settled
        now[0] += 60.0
        late = store.read(page_id)
    assert late.version == early.version and late.settled
    assert late.text == "second"


# -- Notion's size limits ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("x" * 200_500, "too many characters"),
        ("🧠" * 100_100, "emoji count twice"),
        ("語" * 190_000, "too many bytes for one request"),
    ],
    ids=["ascii", "emoji", "cjk"],
)
def test_an_overlong_line_is_cut_with_a_visible_marker(
    notion_fake: NotionFake, store: NotionStore, line: str, what: str
) -> None:
    page_id = child(notion_fake)
    store.append(page_id, [line, "next"])
    stored, following = store.tail(page_id, 2)
    assert following == "next"
    head, _, marker = stored.partition("… [truncated ")
    assert line.startswith(head) and len(head) > 90_000, what
    assert marker == f"{len(line) - len(head)} chars]"
    assert not [r for r in notion_fake.requests if r.status >= 400]


def test_lone_surrogates_are_replaced_not_sent(notion_fake: NotionFake, store: NotionStore) -> None:
    """A webhook body's JSON may hold "\\ud800"; UTF-8 cannot carry it, so it becomes U+FFFD."""
    page_id = child(notion_fake)
    store.append(page_id, ["bad \ud800 surrogate"])
    store.write("notes", "also \udfff here")
    assert store.tail(page_id, 1) == ["bad \ufffd surrogate"]
    assert store.read("notes").text == "also \ufffd here"


@given(st.text(max_size=4500))
def test_text_is_split_into_pieces_notion_accepts(text: str) -> None:
    pieces = split_text(text)
    assert "".join(pieces) == text
    assert all(0 < len(p.encode("utf-16-le")) // 2 <= 2000 for p in pieces)


# -- the fake holds NotionStore to Notion's rules ------------------------------------------


def _paragraphs(n: int, text: str = "x", pieces: int = 1) -> list[dict[str, object]]:
    rich = [{"type": "text", "text": {"content": text}}] * pieces
    return [{"paragraph": {"rich_text": rich}}] * n


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c, p: c.blocks.children.append(p, children=_paragraphs(101)), "≤ `100`"),
        (lambda c, p: c.blocks.children.append(p, children=_paragraphs(1, "y" * 2001)), "`2000`"),
        (lambda c, p: c.blocks.children.append(p, children=_paragraphs(1, "🧠" * 1001)), "`2002`"),
        (lambda c, p: c.blocks.children.append(p, children=_paragraphs(1, pieces=101)), "`101`"),
        (lambda c, p: c.blocks.children.list(p, page_size=101), "page_size"),
        (lambda c, p: c.pages.retrieve("not-an-id"), "valid uuid"),
    ],
    ids=["children", "text", "utf16", "rich-text", "page-size", "id"],
)
def test_the_fake_refuses_what_notion_refuses(
    notion_fake: NotionFake, call: Any, message: str
) -> None:
    client = notion_client.Client(auth=notion_fake.token, base_url=notion_fake.url, retry=False)
    try:
        with pytest.raises(notion_client.APIResponseError) as caught:
            call(client, notion_fake.root_id)
    finally:
        client.close()
    assert caught.value.status == 400
    assert message in str(caught.value)


def test_the_fake_wants_a_token_and_a_version(notion_fake: NotionFake) -> None:
    headers = {"Authorization": f"Bearer {notion_fake.token}"}
    path = f"{notion_fake.url}/v1/pages/{notion_fake.root_id}"
    with httpx.Client() as http:
        assert http.get(path, headers={"Notion-Version": "2025-09-03"}).status_code == 401
        no_version = http.get(path, headers=headers)
        ok = http.get(path, headers={**headers, "Notion-Version": "2025-09-03"})
    assert (no_version.status_code, no_version.json()["code"]) == (400, "missing_version")
    assert ok.json()["object"] == "page"


def test_listed_pages_carry_their_title_so_config_can_name_them(
    notion_fake: NotionFake, store: NotionStore
) -> None:
    written = store.write("webhook-log", "a line")
    (ref,) = [r for r in store.list_pages() if r.id == written.id]
    assert ref.name == "webhook-log"
    assert ref.named(frozenset({"webhook-log"}))
    assert not ref.named(frozenset({"router"}))
