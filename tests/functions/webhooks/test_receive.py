"""WebhookReceiver end to end: every scheme verified, deduplicated and persisted in a real
SQLite outbox; unknown sources, bad signatures, Notion's handshake and the monthly roll."""

from __future__ import annotations

import base64
import logging
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from config import SourceConfig, WebhooksConfig
from config.model import Scheme
from functions.errors import SecretError
from functions.secrets import SecretResolver
from functions.webhooks.errors import VerificationError
from functions.webhooks.outbox import OutboxEvent, SqlOutbox, open_outbox
from functions.webhooks.receive import Receipt, UnknownSource, WebhookReceiver
from functions.webhooks.schemes import get_scheme

NOW = datetime(2026, 5, 21, 2, 54, 44, 452000, tzinfo=UTC)
STAMP = "2026-05-21T02:54:44.452Z"
SECRETS: dict[Scheme, str] = {
    "github": "gh-webhook-secret",
    "stripe": "whsec_stripe_test_secret",
    "standard": "whsec_" + base64.b64encode(b"standard-webhooks-key-32-bytes!!").decode(),
    "slack": "slack-signing-secret",
    "notion": "notion-verification-token",
    "hmac-sha256": "house-secret",
}
ENV = {f"SECRET_{name.upper().replace('-', '_')}": value for name, value in SECRETS.items()}


def source_for(scheme: str) -> str:
    return f"my-{scheme}"


@dataclass(frozen=True)
class Case:
    """One scheme's delivery: a body carrying (or a header naming) its id and event."""

    scheme: Scheme
    body: dict[str, object]
    event: str
    delivery_id: str | None = None  # passed to sign() for the schemes whose id is a header
    extra_headers: tuple[tuple[str, str], ...] = ()


CASES = [
    Case("github", {"action": "opened", "number": 7}, "pull_request", "gh-delivery-1",
         (("X-GitHub-Event", "pull_request"),)),
    Case("stripe", {"id": "evt_1", "type": "charge.succeeded", "amount": 500},
         "charge.succeeded"),
    Case("standard", {"type": "invoice.paid", "data": {"n": 1}}, "invoice.paid", "msg_1"),
    Case("slack", {"type": "event_callback", "event_id": "Ev1",
                   "event": {"type": "app_mention", "text": "hi"}}, "app_mention"),
    Case("notion", {"id": "n-1", "type": "page.content_updated",
                    "timestamp": "2026-05-21T02:54:40.000Z"}, "page.content_updated"),
    Case("hmac-sha256", {"event": "test", "message": "Hello", "sender": "claude-code"},
         "test", "h-1"),
]  # fmt: skip


def config(**overrides: object) -> WebhooksConfig:
    sources = {
        source_for(name): SourceConfig(
            scheme=name,
            secrets=(f"env:SECRET_{name.upper().replace('-', '_')}",),
        )
        for name in SECRETS
    }
    return WebhooksConfig.model_validate({"sources": sources, **overrides})


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[SqlOutbox]:
    with open_outbox(f"sqlite:///{tmp_path / 'state.sqlite3'}") as opened:
        yield opened


class Receiver:
    """A WebhookReceiver on a real outbox, counting on_accept calls."""

    def __init__(self, outbox: SqlOutbox, state_dir: Path, cfg: WebhooksConfig) -> None:
        self.woken = 0
        self.outbox = outbox
        self.receiver = WebhookReceiver(
            cfg,
            SecretResolver(environ=ENV),
            outbox,
            state_dir=state_dir,
            on_accept=self._wake,
        )

    def _wake(self) -> None:
        self.woken += 1

    def receive(
        self, source: str, headers: dict[str, str], body: bytes, now: datetime = NOW
    ) -> Receipt:
        return self.receiver.receive(source, headers, body, now=now)

    def events(self, page: str = "webhook-log", now: datetime = NOW) -> list[OutboxEvent]:
        """Every unsent event of ``page``, oldest first (claiming them as a drainer would)."""
        assert self.outbox.acquire_lease(page, "test", 30, now)
        return self.outbox.claim(page, "test", 100, now)


@pytest.fixture
def receiver(outbox: SqlOutbox, tmp_path: Path) -> Receiver:
    return Receiver(outbox, tmp_path / ".brain", config())


def signed(case: Case, body: bytes, at: datetime) -> dict[str, str]:
    scheme = get_scheme(case.scheme)
    headers = scheme.sign(body, SECRETS[case.scheme], now=at, delivery_id=case.delivery_id)
    headers.update(case.extra_headers)
    headers["Content-Type"] = "application/json"
    return headers


# -- every scheme, end to end ---------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.scheme)
def test_a_delivery_is_accepted_once_and_its_resend_is_a_duplicate(
    case: Case, receiver: Receiver
) -> None:
    body = orjson.dumps(case.body)
    source = source_for(case.scheme)

    first = receiver.receive(source, signed(case, body, NOW), body)
    # The sender retries a minute later: freshly signed, same delivery id.
    later = NOW + timedelta(seconds=60)
    again = receiver.receive(source, signed(case, body, later), body, now=later)

    assert first.status == "accepted"
    assert isinstance(first.id, int)
    assert (first.source, first.event) == (source, case.event)
    assert again.to_json() == {"id": first.id, "status": "duplicate"}
    [event] = receiver.events()
    assert event.id == first.id
    assert event.line == f"🔔 {STAMP} [{source}:{case.event}] {body.decode()}"
    assert receiver.woken == 1  # the drainer is woken for the new event only


def test_without_a_delivery_id_the_signed_timestamp_and_body_are_the_dedup_key(
    receiver: Receiver,
) -> None:
    house = get_scheme("hmac-sha256")
    body = b'{"event":"backup","ok":true}'
    headers = house.sign(body, SECRETS["hmac-sha256"], now=NOW)  # no X-Delivery-Id
    assert "X-Delivery-Id" not in headers

    first = receiver.receive("my-hmac-sha256", headers, body)
    resent = receiver.receive("my-hmac-sha256", headers, body, now=NOW + timedelta(seconds=2))
    one_second_later = NOW + timedelta(seconds=1)
    resigned = house.sign(body, SECRETS["hmac-sha256"], now=one_second_later)
    new = receiver.receive("my-hmac-sha256", resigned, body, now=one_second_later)
    other_body = b'{"event":"backup","ok":false}'
    other = receiver.receive(
        "my-hmac-sha256", house.sign(other_body, SECRETS["hmac-sha256"], now=NOW), other_body
    )

    assert [r.status for r in (first, resent, new, other)] == [
        "accepted",
        "duplicate",
        "accepted",
        "accepted",
    ]
    assert resent.id == first.id
    assert len(receiver.events()) == 3


def test_a_scheme_without_timestamp_or_id_deduplicates_on_the_body(receiver: Receiver) -> None:
    body = b'{"zen":"Keep it logically awesome."}'
    headers = get_scheme("github").sign(body, SECRETS["github"], now=NOW)

    first = receiver.receive("my-github", headers, body)
    again = receiver.receive("my-github", headers, body, now=NOW + timedelta(hours=1))

    assert (first.status, again.status, again.id) == ("accepted", "duplicate", first.id)


def test_the_same_delivery_id_from_two_sources_is_two_events(receiver: Receiver) -> None:
    house = get_scheme("hmac-sha256")
    body = b'{"event":"x"}'
    headers = house.sign(body, SECRETS["hmac-sha256"], now=NOW, delivery_id="same")
    github = get_scheme("github").sign(body, SECRETS["github"], now=NOW, delivery_id="same")

    a = receiver.receive("my-hmac-sha256", headers, body)
    b = receiver.receive("my-github", github, body)

    assert (a.status, b.status) == ("accepted", "accepted")
    assert a.id != b.id


# -- refusals -------------------------------------------------------------------------------


def test_an_unknown_source_is_refused_naming_the_configured_ones(receiver: Receiver) -> None:
    with pytest.raises(UnknownSource) as caught:
        receiver.receive("nope", {}, b"{}")

    assert caught.value.code == "unknown_source"
    assert "'nope'" in caught.value.message
    for name in SECRETS:
        assert source_for(name) in caught.value.message
    assert caught.value.hint is not None
    assert receiver.events() == []


def test_an_absurdly_long_unknown_source_name_is_cut_in_the_message(receiver: Receiver) -> None:
    with pytest.raises(UnknownSource) as caught:
        receiver.receive("x" * 10_000, {}, b"{}")
    assert len(caught.value.message) < 500


def test_with_no_sources_configured_the_message_says_so(outbox: SqlOutbox, tmp_path: Path) -> None:
    bare = Receiver(outbox, tmp_path, WebhooksConfig())
    with pytest.raises(UnknownSource, match="none configured"):
        bare.receive("github", {}, b"{}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.scheme)
def test_a_tampered_body_is_refused_and_nothing_is_persisted_or_logged(
    case: Case, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    body = orjson.dumps(case.body)
    headers = signed(case, body, NOW)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(VerificationError) as caught:
        receiver.receive(source_for(case.scheme), headers, body + b" ")

    assert caught.value.reason == "bad_signature"
    assert receiver.events() == []
    assert receiver.woken == 0
    shown = caplog.text + str(caught.value)
    assert SECRETS[case.scheme] not in shown
    for value in headers.values():
        if len(value) > 20:  # signatures, not the short ids and names
            assert value not in shown


def test_a_delivery_signed_with_another_secret_is_refused(receiver: Receiver) -> None:
    body = b'{"event":"test"}'
    headers = get_scheme("hmac-sha256").sign(body, "not-the-secret", now=NOW)
    with pytest.raises(VerificationError) as caught:
        receiver.receive("my-hmac-sha256", headers, body)
    assert caught.value.reason == "bad_signature"


def test_an_unsigned_delivery_is_refused_as_missing_header(receiver: Receiver) -> None:
    with pytest.raises(VerificationError) as caught:
        receiver.receive("my-github", {"Content-Type": "application/json"}, b"{}")
    assert caught.value.reason == "missing_header"


def test_a_stale_delivery_is_refused_as_expired(receiver: Receiver) -> None:
    body = b'{"event":"test"}'
    old = NOW - timedelta(minutes=6)
    headers = get_scheme("hmac-sha256").sign(body, SECRETS["hmac-sha256"], now=old)
    with pytest.raises(VerificationError) as caught:
        receiver.receive("my-hmac-sha256", headers, body)
    assert caught.value.reason == "expired"


def test_a_secret_that_cannot_be_resolved_is_a_secret_error_naming_the_reference(
    outbox: SqlOutbox, tmp_path: Path
) -> None:
    cfg = WebhooksConfig(
        sources={"cron": SourceConfig(scheme="hmac-sha256", secrets=("env:UNSET_SECRET",))}
    )
    receiver = Receiver(outbox, tmp_path, cfg)
    with pytest.raises(SecretError, match="UNSET_SECRET"):
        receiver.receive("cron", {}, b"{}")


# -- Notion's handshake -----------------------------------------------------------------------


def test_notions_handshake_token_is_kept_in_the_state_folder_for_the_operator_only(
    outbox: SqlOutbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = WebhooksConfig(sources={"notion": SourceConfig(scheme="notion")})  # no token yet
    receiver = Receiver(outbox, tmp_path / ".brain", cfg)
    token = "secret_handshake_token_e2c1d0"
    caplog.set_level(logging.DEBUG)

    receipt = receiver.receive(
        "notion",
        {"Content-Type": "application/json"},
        orjson.dumps({"verification_token": token}),
    )

    assert receipt.to_json() == {"id": None, "status": "verification"}
    saved = tmp_path / ".brain" / "notion-verification-notion.txt"
    assert saved.read_text() == token + "\n"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert token not in caplog.text
    assert str(saved) in caplog.text  # the log says where to look
    assert receiver.events() == []  # a handshake is not a log line
    assert receiver.woken == 0


def test_the_handshake_gets_through_while_the_secret_it_carries_is_not_set_yet(
    outbox: SqlOutbox, tmp_path: Path
) -> None:
    """The secret *is* the handshake's token: an unset reference must not answer it 503."""
    unset = SourceConfig(scheme="notion", secrets=("env:NOTION_TOKEN_NOT_SET_YET",))
    receiver = Receiver(outbox, tmp_path / ".brain", WebhooksConfig(sources={"notion": unset}))
    token = "secret_first_handshake_9a1b"

    receipt = receiver.receive("notion", {}, orjson.dumps({"verification_token": token}))

    assert receipt.to_json() == {"id": None, "status": "verification"}
    assert (tmp_path / ".brain" / "notion-verification-notion.txt").read_text() == token + "\n"
    # a signed event still needs its secret, and an unsigned one is still refused
    event = orjson.dumps({"type": "page.content_updated", "entity": {"id": "p1"}})
    with pytest.raises(SecretError):
        receiver.receive("notion", {"X-Notion-Signature": "sha256=" + "0" * 64}, event)
    with pytest.raises(VerificationError):
        receiver.receive("notion", {}, event)
    assert receiver.events() == []


def test_a_second_handshake_replaces_the_token_and_keeps_the_file_private(
    outbox: SqlOutbox, tmp_path: Path
) -> None:
    cfg = WebhooksConfig(sources={"notion": SourceConfig(scheme="notion")})
    receiver = Receiver(outbox, tmp_path / ".brain", cfg)
    saved = tmp_path / ".brain" / "notion-verification-notion.txt"
    for token in ("first-token", "second"):
        receiver.receive("notion", {}, orjson.dumps({"verification_token": token}))
    assert saved.read_text() == "second\n"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600


def test_without_a_state_folder_the_handshake_token_is_not_written_nor_logged(
    outbox: SqlOutbox, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = WebhooksConfig(sources={"notion": SourceConfig(scheme="notion")})
    receiver = WebhookReceiver(cfg, SecretResolver(environ={}), outbox, state_dir=None)
    caplog.set_level(logging.DEBUG)

    receipt = receiver.receive("notion", {}, b'{"verification_token":"tok-123456"}', now=NOW)

    assert receipt.status == "verification"
    assert "tok-123456" not in caplog.text
    assert "Resend token" in caplog.text


# -- log pages --------------------------------------------------------------------------------


def test_a_monthly_roll_logs_to_the_page_of_the_receive_month(
    outbox: SqlOutbox, tmp_path: Path
) -> None:
    receiver = Receiver(outbox, tmp_path, config(roll="monthly"))
    house = get_scheme("hmac-sha256")
    may = datetime(2026, 5, 31, 23, 59, 59, 999000, tzinfo=UTC)
    june = datetime(2026, 6, 1, 0, 0, 0, tzinfo=UTC)
    for at, n in ((may, 1), (june, 2)):
        body = orjson.dumps({"event": "tick", "n": n})
        receiver.receive("my-hmac-sha256", house.sign(body, SECRETS["hmac-sha256"], now=at),
                         body, now=at)  # fmt: skip

    [in_may] = receiver.events("webhook-log-2026-05", now=june)
    [in_june] = receiver.events("webhook-log-2026-06", now=june)
    assert in_may.line.startswith("🔔 2026-05-31T23:59:59.999Z [my-hmac-sha256:tick]")
    assert in_june.line.startswith("🔔 2026-06-01T00:00:00.000Z [my-hmac-sha256:tick]")
    assert receiver.events("webhook-log", now=june) == []


def test_a_source_may_log_to_its_own_page(outbox: SqlOutbox, tmp_path: Path) -> None:
    cfg = WebhooksConfig(
        sources={
            "cron": SourceConfig(
                scheme="hmac-sha256", secrets=("env:SECRET_HMAC_SHA256",), log_page="cron-log"
            )
        }
    )
    receiver = Receiver(outbox, tmp_path, cfg)
    body = b'{"event":"nightly"}'
    receiver.receive("cron", get_scheme("hmac-sha256").sign(body, "house-secret", now=NOW), body)
    [event] = receiver.events("cron-log")
    assert event.line.endswith('[cron:nightly] {"event":"nightly"}')


def test_a_long_payload_is_persisted_already_cut_to_the_configured_width(
    outbox: SqlOutbox, tmp_path: Path
) -> None:
    receiver = Receiver(outbox, tmp_path, config(max_line_chars=300))
    body = orjson.dumps({"event": "big", "blob": "z" * 5000})
    receiver.receive(
        "my-hmac-sha256", get_scheme("hmac-sha256").sign(body, "house-secret", now=NOW), body
    )
    [event] = receiver.events()
    assert len(event.line) == 300
    assert "[truncated " in event.line


def test_a_line_is_never_stamped_earlier_than_the_line_accepted_before_it_on_its_page(
    receiver: Receiver,
) -> None:
    # Concurrent requests reach the outbox in any order: the one that took its time first may
    # commit second. Its line then carries the previous line's time, so the page reads in
    # receive order by id and by time alike.
    house = get_scheme("hmac-sha256")
    later, earlier = NOW + timedelta(milliseconds=40), NOW
    for at, seq in ((later, 1), (earlier, 2)):
        body = orjson.dumps({"event": "tick", "seq": seq})
        receiver.receive("my-hmac-sha256", house.sign(body, "house-secret", now=at), body, now=at)

    first, second = receiver.events(now=later)
    assert first.id < second.id
    assert first.line.split(" ")[1] == second.line.split(" ")[1] == "2026-05-21T02:54:44.492Z"
    assert second.received_at == later


def test_another_page_keeps_its_own_receive_times(outbox: SqlOutbox, tmp_path: Path) -> None:
    cfg = WebhooksConfig(
        sources={
            "a": SourceConfig(scheme="hmac-sha256", secrets=("env:SECRET_HMAC_SHA256",)),
            "b": SourceConfig(
                scheme="hmac-sha256", secrets=("env:SECRET_HMAC_SHA256",), log_page="b-log"
            ),
        }
    )
    receiver = Receiver(outbox, tmp_path, cfg)
    house = get_scheme("hmac-sha256")
    later = NOW + timedelta(seconds=1)
    body = b'{"event":"x"}'
    receiver.receive("a", house.sign(body, "house-secret", now=later), body, now=later)
    receiver.receive("b", house.sign(body, "house-secret", now=NOW), body, now=NOW)
    [event] = receiver.events("b-log", now=later)
    assert event.line.split(" ")[1] == STAMP
