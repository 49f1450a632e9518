"""Webhook signature schemes: vendors' known-answer vectors, a sign/verify property, and one
hostile-input case per failure mode for every scheme where it applies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from functions.webhooks import schemes
from functions.webhooks.errors import VerificationError
from functions.webhooks.schemes import SCHEMES, UnknownScheme, Verified, get_scheme

NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
# Valid "whsec_<base64>" strings, so one secret serves every scheme (Standard Webhooks needs it).
SECRET = "whsec_" + base64.b64encode(b"the signing key these tests configure").decode()
OTHER = "whsec_" + base64.b64encode(b"a different key nobody configured").decode()
BODY = (
    b'{"id":"evt_1","type":"page.content_updated","event":"test",'
    b'"timestamp":"2026-11-21T11:59:00.000Z"}'
)
NOT_UTF8 = b"\xff\xfe\x80 not utf-8 \xc3\x28 \xed\xa0\x80"

ALL = sorted(SCHEMES)
SIGNATURE_HEADER = {
    "github": "X-Hub-Signature-256",
    "hmac-sha256": "X-Signature",
    "notion": "X-Notion-Signature",
    "slack": "X-Slack-Signature",
    "standard": "webhook-signature",
    "stripe": "Stripe-Signature",
}
HEX_PREFIX = {"github": "sha256=", "hmac-sha256": "sha256=", "notion": "sha256=", "slack": "v0="}
TIMESTAMP_HEADER = {
    "hmac-sha256": "X-Timestamp",
    "slack": "X-Slack-Request-Timestamp",
    "standard": "webhook-timestamp",
}
TIMESTAMPED = [*TIMESTAMP_HEADER, "stripe"]  # Stripe's timestamp is the t= of its one header


def hmac_hex(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def test_the_registry_holds_exactly_the_six_documented_schemes() -> None:
    assert set(SCHEMES) == {"github", "stripe", "standard", "slack", "notion", "hmac-sha256"}
    assert all(scheme.name == name for name, scheme in SCHEMES.items())
    assert get_scheme("github") is SCHEMES["github"]


def test_an_unknown_scheme_name_raises_unknown_scheme_listing_the_valid_names() -> None:
    with pytest.raises(UnknownScheme) as caught:
        get_scheme("gitlab")
    assert caught.value.scheme == "gitlab"
    assert "'gitlab'" in str(caught.value)
    assert all(name in str(caught.value) for name in SCHEMES)


# --- known-answer vectors -----------------------------------------------------------------


def test_github_accepts_the_vector_published_in_its_docs() -> None:
    # docs.github.com, "Validating webhook deliveries", "Testing the webhook payload validation".
    signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    github = SCHEMES["github"]
    headers = {
        "X-Hub-Signature-256": signature,
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": "d1",
    }
    verified = github.verify(b"Hello, World!", headers, ["It's a Secret to Everybody"], now=NOW)
    assert verified == Verified(event="ping", delivery_id="d1", timestamp=None)
    signed = github.sign(b"Hello, World!", "It's a Secret to Everybody", now=NOW)
    assert signed["X-Hub-Signature-256"] == signature


SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
    b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
    b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
    b"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
    b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def test_slack_accepts_the_example_from_its_verifying_requests_guide() -> None:
    # api.slack.com/authentication/verifying-requests-from-slack, the worked example.
    sent_at = datetime.fromtimestamp(1531420618, UTC)
    headers = {"X-Slack-Request-Timestamp": "1531420618", "X-Slack-Signature": SLACK_SIGNATURE}
    slack = SCHEMES["slack"]
    verified = slack.verify(SLACK_BODY, headers, [SLACK_SECRET], now=sent_at + timedelta(minutes=4))
    assert verified == Verified(event="/webhook-collect", delivery_id=None, timestamp=sent_at)
    assert slack.sign(SLACK_BODY, SLACK_SECRET, now=sent_at) == headers


def test_slack_rejects_its_own_example_an_hour_later() -> None:
    headers = {"X-Slack-Request-Timestamp": "1531420618", "X-Slack-Signature": SLACK_SIGNATURE}
    later = datetime.fromtimestamp(1531420618 + 3600, UTC)
    with pytest.raises(VerificationError) as caught:
        SCHEMES["slack"].verify(SLACK_BODY, headers, [SLACK_SECRET], now=later)
    assert caught.value.reason == "expired"


STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
STANDARD_HEADERS = {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}
STANDARD_BODY = b'{"test": 2432232314}'
STANDARD_AT = datetime.fromtimestamp(1614265330, UTC)


@pytest.mark.parametrize("secret", [STANDARD_SECRET, STANDARD_SECRET.removeprefix("whsec_")])
def test_standard_webhooks_accepts_the_vector_of_the_spec_test_suite(secret: str) -> None:
    # standard-webhooks/standard-webhooks, libraries/python/tests/test_webhooks.py
    # (test_sign_function); the same vector appears in the other libraries' suites.
    standard = SCHEMES["standard"]
    verified = standard.verify(STANDARD_BODY, STANDARD_HEADERS, [secret], now=STANDARD_AT)
    assert verified == Verified(None, "msg_p5jXN8AQM9LWM0D4loKWxJek", STANDARD_AT)
    signed = standard.sign(
        STANDARD_BODY, secret, now=STANDARD_AT, delivery_id="msg_p5jXN8AQM9LWM0D4loKWxJek"
    )
    assert signed == STANDARD_HEADERS


def test_standard_webhooks_signs_what_the_standardwebhooks_package_signs() -> None:
    library = Webhook(STANDARD_SECRET)
    body = NOW.isoformat().encode() + b" any body"
    ours = SCHEMES["standard"].sign(body, STANDARD_SECRET, now=NOW, delivery_id="msg_x")
    theirs = library.sign(msg_id="msg_x", timestamp=NOW, data=body.decode())
    assert ours["webhook-signature"] == theirs
    headers = {**ours, "webhook-signature": theirs}
    verified = SCHEMES["standard"].verify(body, headers, [STANDARD_SECRET], now=NOW)
    assert verified.delivery_id == "msg_x"


def test_the_standardwebhooks_package_accepts_what_standard_webhooks_signs() -> None:
    # The package reads the clock itself, so this one test signs at the real current time.
    body = b'{"type":"invoice.paid","n":1}'
    headers = SCHEMES["standard"].sign(body, STANDARD_SECRET, now=datetime.now(UTC))
    assert Webhook(STANDARD_SECRET).verify(body, headers) == {"type": "invoice.paid", "n": 1}


def test_stripe_signs_t_dot_body_keyed_by_the_whsec_string_itself() -> None:
    # Stripe publishes no vector; this is its documented recipe computed independently.
    header = SCHEMES["stripe"].sign(BODY, SECRET, now=NOW)["Stripe-Signature"]
    t = int(NOW.timestamp())
    assert header == f"t={t},v1={hmac_hex(SECRET.encode(), f'{t}.'.encode() + BODY)}"
    decoded_key = base64.b64decode(SECRET.removeprefix("whsec_"))
    as_if_base64 = f"t={t},v1={hmac_hex(decoded_key, f'{t}.'.encode() + BODY)}"
    with pytest.raises(VerificationError) as caught:
        SCHEMES["stripe"].verify(BODY, {"Stripe-Signature": as_if_base64}, [SECRET], now=NOW)
    assert caught.value.reason == "bad_signature"


def test_notion_signs_the_raw_body_keyed_by_the_verification_token() -> None:
    token = "secret_tokenFromTheHandshake"
    signed = SCHEMES["notion"].sign(BODY, token, now=NOW)
    assert signed == {"X-Notion-Signature": "sha256=" + hmac_hex(token.encode(), BODY)}


def test_hmac_sha256_signature_matches_the_bash_openssl_recipe_in_the_docstring() -> None:
    if shutil.which("openssl") is None or shutil.which("bash") is None:
        pytest.skip("needs bash and openssl")
    doc = schemes.__doc__ or ""
    (line,) = [text.strip() for text in doc.splitlines() if text.strip().startswith("sig=$(")]
    body = '{"event":"test","message":"Hello","sender":"claude-code"}'
    env = {"PATH": os.environ["PATH"], "SECRET": SECRET, "ts": "1795348800", "body": body}
    done = subprocess.run(
        ["bash", "-c", f'set -eu; {line}; printf %s "$sig"'],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    headers = {
        "X-Timestamp": "1795348800",
        "X-Signature": f"sha256={done.stdout}",
        "X-Event": "test",
    }
    verified = SCHEMES["hmac-sha256"].verify(
        body.encode(), headers, [SECRET], now=datetime.fromtimestamp(1795348800, UTC)
    )
    assert verified.event == "test"


# --- what a verified delivery tells the caller -----------------------------------------------


def test_github_takes_event_and_delivery_id_from_its_headers() -> None:
    headers = {
        **SCHEMES["github"].sign(BODY, SECRET, now=NOW, delivery_id="72d3162e"),
        "x-github-event": "push",
    }
    verified = SCHEMES["github"].verify(BODY, headers, [SECRET], now=NOW)
    assert verified == Verified(event="push", delivery_id="72d3162e", timestamp=None)


def test_stripe_takes_event_type_and_id_from_the_payload_after_verifying() -> None:
    body = b'{"id":"evt_1NG8Du2eZvKYlo2C","object":"event","type":"invoice.paid"}'
    headers = SCHEMES["stripe"].sign(body, SECRET, now=NOW)
    verified = SCHEMES["stripe"].verify(body, headers, [SECRET], now=NOW + timedelta(seconds=5))
    assert verified == Verified("invoice.paid", "evt_1NG8Du2eZvKYlo2C", NOW)


def test_stripe_verifies_a_body_that_is_not_json_without_naming_an_event() -> None:
    headers = SCHEMES["stripe"].sign(b"not json", SECRET, now=NOW)
    assert SCHEMES["stripe"].verify(b"not json", headers, [SECRET], now=NOW) == Verified(
        None, None, NOW
    )


def test_standard_webhooks_takes_type_from_the_payload_and_the_id_from_webhook_id() -> None:
    body = b'{"type":"user.created","data":{}}'
    headers = SCHEMES["standard"].sign(body, SECRET, now=NOW, delivery_id="msg_42")
    verified = SCHEMES["standard"].verify(body, headers, [SECRET], now=NOW)
    assert verified == Verified("user.created", "msg_42", NOW)


@pytest.mark.parametrize(
    ("body", "event", "delivery_id"),
    [
        (
            b'{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention"}}',
            "app_mention",
            "Ev1",
        ),
        (b'{"type":"url_verification","challenge":"3eZbrw1a"}', "url_verification", None),
        (b"command=%2Fdeploy&text=now", "/deploy", None),
        (b"payload=%7B%22type%22%3A%22block_actions%22%7D", "block_actions", None),
        (b"text=no+command+here", None, None),
    ],
)
def test_slack_names_the_event_from_json_type_or_the_form_command(
    body: bytes, event: str | None, delivery_id: str | None
) -> None:
    headers = SCHEMES["slack"].sign(body, SECRET, now=NOW)
    verified = SCHEMES["slack"].verify(body, headers, [SECRET], now=NOW)
    assert (verified.event, verified.delivery_id, verified.timestamp) == (event, delivery_id, NOW)


def test_notion_takes_type_id_and_timestamp_from_the_payload() -> None:
    headers = SCHEMES["notion"].sign(BODY, SECRET, now=NOW)
    verified = SCHEMES["notion"].verify(BODY, headers, [SECRET], now=NOW)
    when = datetime(2026, 11, 21, 11, 59, tzinfo=UTC)
    assert verified == Verified("page.content_updated", "evt_1", when)


def test_notion_ignores_a_payload_timestamp_it_cannot_parse() -> None:
    body = b'{"id":"e","type":"page.created","timestamp":"yesterday"}'
    headers = SCHEMES["notion"].sign(body, SECRET, now=NOW)
    assert SCHEMES["notion"].verify(body, headers, [SECRET], now=NOW).timestamp is None


@pytest.mark.parametrize("secrets", [[], [SECRET]])
def test_notion_returns_the_handshake_token_from_its_unsigned_first_post(
    secrets: list[str],
) -> None:
    body = b'{"verification_token":"secret_abc123"}'
    verified = SCHEMES["notion"].verify(
        body, {"Content-Type": "application/json"}, secrets, now=NOW
    )
    assert verified == Verified("verification", None, None, handshake_token="secret_abc123")


@pytest.mark.parametrize(
    "body",
    [
        b'{"verification_token":"secret_abc123","type":"page.created"}',
        b'{"verification_token":123}',
        b'{"verification_token":""}',
        b'[{"verification_token":"secret_abc123"}]',
        b"verification_token=secret_abc123",
        b"",
        NOT_UTF8,
    ],
)
def test_notion_rejects_any_other_unsigned_body_as_missing_header(body: bytes) -> None:
    with pytest.raises(VerificationError) as caught:
        SCHEMES["notion"].verify(body, {}, [SECRET], now=NOW)
    assert caught.value.reason == "missing_header"


def test_notion_without_a_token_configured_rejects_a_signed_event_with_no_secret() -> None:
    headers = SCHEMES["notion"].sign(BODY, SECRET, now=NOW)
    with pytest.raises(VerificationError) as caught:
        SCHEMES["notion"].verify(BODY, headers, [], now=NOW)
    assert caught.value.reason == "no_secret"


def test_hmac_sha256_takes_event_and_delivery_id_from_its_optional_headers() -> None:
    house = SCHEMES["hmac-sha256"]
    headers = {**house.sign(BODY, SECRET, now=NOW, delivery_id="run-7"), "X-Event": "nightly"}
    assert house.verify(BODY, headers, [SECRET], now=NOW) == Verified("nightly", "run-7", NOW)
    bare = house.sign(BODY, SECRET, now=NOW)
    assert house.verify(BODY, bare, [SECRET], now=NOW) == Verified(None, None, NOW)


# --- sign then verify, as a property --------------------------------------------------------

MOMENTS = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


def secrets_for(scheme: str) -> st.SearchStrategy[str]:
    if scheme == "standard":
        keys = st.binary(min_size=1, max_size=64)
        return keys.map(lambda key: "whsec_" + base64.b64encode(key).decode())
    return st.text(min_size=1, max_size=64)


@pytest.mark.parametrize("name", ALL)
@given(data=st.data(), body=st.binary(max_size=512), now=MOMENTS)
def test_whatever_a_scheme_signs_it_verifies(
    name: str, data: st.DataObject, body: bytes, now: datetime
) -> None:
    secret = data.draw(secrets_for(name))
    headers = SCHEMES[name].sign(body, secret, now=now)
    verified = SCHEMES[name].verify(body, headers, [secret], now=now)
    assert verified.handshake_token is None


@pytest.mark.parametrize("name", ALL)
@given(data=st.data(), body=st.binary(min_size=1, max_size=512), now=MOMENTS)
def test_flipping_any_single_bit_pattern_of_one_body_byte_fails_verification(
    name: str, data: st.DataObject, body: bytes, now: datetime
) -> None:
    secret = data.draw(secrets_for(name))
    headers = SCHEMES[name].sign(body, secret, now=now)
    index = data.draw(st.integers(0, len(body) - 1))
    mask = data.draw(st.integers(1, 255))
    tampered = bytearray(body)
    tampered[index] ^= mask
    with pytest.raises(VerificationError) as caught:
        SCHEMES[name].verify(bytes(tampered), headers, [secret], now=now)
    assert caught.value.reason == "bad_signature"


# --- the hostile-input table ------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    scheme: str
    body: bytes
    headers: dict[str, str]
    secrets: list[str] = field(default_factory=lambda: [SECRET])

    def header(self, name: str, value: str | None) -> Delivery:
        headers = {key: text for key, text in self.headers.items() if key != name}
        return replace(self, headers=headers if value is None else {**headers, name: value})

    @property
    def signature(self) -> str:
        return self.headers[SIGNATURE_HEADER[self.scheme]]

    def with_signature(self, value: str | None) -> Delivery:
        return self.header(SIGNATURE_HEADER[self.scheme], value)

    def with_digest(self, digest: str) -> Delivery:
        """The same header around another digest text (hex, or base64 for Standard)."""
        if self.scheme == "stripe":
            return self.with_signature(re.sub(r"v1=[^,]*", f"v1={digest}", self.signature))
        if self.scheme == "standard":
            return self.with_signature(f"v1,{digest}")
        return self.with_signature(HEX_PREFIX[self.scheme] + digest)

    @property
    def digest(self) -> str:
        if self.scheme == "stripe":
            return self.signature.split(",v1=")[1]
        if self.scheme == "standard":
            return self.signature.removeprefix("v1,")
        return self.signature.removeprefix(HEX_PREFIX[self.scheme])


Build = Callable[[Delivery], Delivery | None]


def signed(scheme: str, *, body: bytes = BODY, at: datetime = NOW) -> Delivery:
    headers = SCHEMES[scheme].sign(body, SECRET, now=at, delivery_id="dlv_1")
    return Delivery(scheme, body, headers)


def odd_case(name: str) -> str:
    return "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(name))


def other_digest(d: Delivery) -> str:
    """A well-formed digest that is not the right one."""
    if d.scheme == "standard":
        return base64.b64encode(bytes(32)).decode()
    return "0" * 64


def wrong_prefix(d: Delivery) -> Delivery:
    if d.scheme == "stripe":
        return d.with_signature(d.signature.replace("v1=", "v0="))
    if d.scheme == "standard":
        return d.with_signature(d.signature.replace("v1,", "v1a,"))
    wrong = {"sha256=": "sha1=", "v0=": "v1="}[HEX_PREFIX[d.scheme]]
    return d.with_signature(wrong + d.digest)


def bad_encoding(d: Delivery) -> Delivery:
    return d.with_digest("!" * 43 + "=" if d.scheme == "standard" else "g" * 64)


def truncated(d: Delivery) -> Delivery:
    if d.scheme == "standard":
        raw = base64.b64decode(d.digest)[:-1]
        return d.with_digest(base64.b64encode(raw).decode())
    return d.with_digest(d.digest[:-1])


def with_timestamp(d: Delivery, value: str) -> Delivery:
    if d.scheme == "stripe":
        return d.with_signature(re.sub(r"t=[^,]*", f"t={value}", d.signature))
    return d.header(TIMESTAMP_HEADER[d.scheme], value)


def several_signatures(d: Delivery) -> Delivery | None:
    if d.scheme == "stripe":
        t, v1 = d.signature.split(",")
        return d.with_signature(f"{t},v1={'0' * 64},{v1},v0={'1' * 64}")
    if d.scheme == "standard":
        wrong = base64.b64encode(bytes(32)).decode()
        return d.with_signature(f"v1,{wrong} v2,{wrong} {d.signature} v1a,xyz")
    return None


def only(*names: str) -> Callable[[Build], Build]:
    """The case applies to these schemes only."""

    def wrap(build: Build) -> Build:
        return lambda d: build(d) if d.scheme in names else None

    return wrap


timestamped = only(*TIMESTAMPED)
standalone_timestamp = only(*TIMESTAMP_HEADER)

REJECTED: list[tuple[str, str, Build]] = [
    ("missing signature header", "missing_header", lambda d: d.with_signature(None)),
    ("empty signature header", "missing_header", lambda d: d.with_signature("")),
    ("blank signature header", "missing_header", lambda d: d.with_signature("   ")),
    ("no headers at all", "missing_header", lambda d: replace(d, headers={})),
    (
        "missing timestamp header",
        "missing_header",
        standalone_timestamp(lambda d: d.header(TIMESTAMP_HEADER[d.scheme], None)),
    ),
    (
        "empty timestamp header",
        "missing_header",
        standalone_timestamp(lambda d: d.header(TIMESTAMP_HEADER[d.scheme], "")),
    ),
    (
        "missing webhook-id",
        "missing_header",
        only("standard")(lambda d: d.header("webhook-id", None)),
    ),
    ("wrong prefix", "malformed_header", wrong_prefix),
    (
        "prefix only",
        "malformed_header",
        lambda d: d.with_signature({"stripe": "t=1", "standard": "v1,"}.get(d.scheme, "sha256=")),
    ),
    ("bad hex or base64", "malformed_header", bad_encoding),
    ("truncated signature", "malformed_header", truncated),
    ("over-long signature", "malformed_header", lambda d: d.with_digest(d.digest + "00")),
    ("signature of another body", "bad_signature", lambda d: d.with_digest(other_digest(d))),
    ("tampered body", "bad_signature", lambda d: replace(d, body=d.body + b" ")),
    ("truncated body", "bad_signature", lambda d: replace(d, body=d.body[:-1])),
    ("wrong secret", "bad_signature", lambda d: replace(d, secrets=[OTHER])),
    (
        "old timestamp",
        "expired",
        timestamped(lambda d: signed(d.scheme, at=NOW - timedelta(seconds=301))),
    ),
    (
        "future timestamp",
        "future_timestamp",
        timestamped(lambda d: signed(d.scheme, at=NOW + timedelta(seconds=301))),
    ),
    ("non-numeric timestamp", "malformed_header", timestamped(lambda d: with_timestamp(d, "12a4"))),
    (
        "negative timestamp",
        "malformed_header",
        timestamped(lambda d: with_timestamp(d, "-1795348800")),
    ),
    (
        "fractional timestamp",
        "malformed_header",
        timestamped(lambda d: with_timestamp(d, "1795348800.5")),
    ),
    ("exponent timestamp", "malformed_header", timestamped(lambda d: with_timestamp(d, "1.8e9"))),
    (
        "5000-digit timestamp",
        "malformed_header",
        timestamped(lambda d: with_timestamp(d, "9" * 5000)),
    ),
    (
        "non-ASCII digits",
        "malformed_header",
        timestamped(lambda d: with_timestamp(d, "١٧٩٥٣٤٨٨٠٠")),
    ),
    (
        "stripe header without t=",
        "malformed_header",
        only("stripe")(lambda d: d.with_signature(d.signature.split(",")[1])),
    ),
    (
        "stripe header with two t=",
        "malformed_header",
        only("stripe")(lambda d: d.with_signature("t=1," + d.signature)),
    ),
    ("no secrets configured", "no_secret", lambda d: replace(d, secrets=[])),
    ("only empty secrets", "no_secret", lambda d: replace(d, secrets=["", ""])),
    (
        "secret that is not whsec_ base64",
        "no_secret",
        only("standard")(lambda d: replace(d, secrets=["whsec_***not base64***"])),
    ),
]

ACCEPTED: list[tuple[str, Build]] = [
    ("as signed", lambda d: d),
    (
        "header names in odd case",
        lambda d: replace(d, headers={odd_case(k): v for k, v in d.headers.items()}),
    ),
    (
        "header names in lower case",
        lambda d: replace(d, headers={k.lower(): v for k, v in d.headers.items()}),
    ),
    (
        "whitespace around header values",
        lambda d: replace(d, headers={k: f" {v} " for k, v in d.headers.items()}),
    ),
    ("several secrets, the second valid", lambda d: replace(d, secrets=[OTHER, SECRET])),
    ("several secrets, one empty", lambda d: replace(d, secrets=["", SECRET])),
    ("several signatures, one valid", several_signatures),
    ("non-UTF-8 body", lambda d: signed(d.scheme, body=NOT_UTF8)),
    ("empty body", lambda d: signed(d.scheme, body=b"")),
    (
        "timestamp exactly 300 s old",
        timestamped(lambda d: signed(d.scheme, at=NOW - timedelta(seconds=300))),
    ),
    (
        "timestamp exactly 300 s ahead",
        timestamped(lambda d: signed(d.scheme, at=NOW + timedelta(seconds=300))),
    ),
    (
        "signed 299.9 s ago",
        timestamped(lambda d: signed(d.scheme, at=NOW - timedelta(seconds=299.9))),
    ),
]


def rejected_cases() -> list[object]:
    return [
        pytest.param(delivery, reason, id=f"{scheme}: {case}")
        for scheme in ALL
        for case, reason, build in REJECTED
        if (delivery := build(signed(scheme))) is not None
    ]


def accepted_cases() -> list[object]:
    return [
        pytest.param(delivery, id=f"{scheme}: {case}")
        for scheme in ALL
        for case, build in ACCEPTED
        if (delivery := build(signed(scheme))) is not None
    ]


@pytest.mark.parametrize(("delivery", "reason"), rejected_cases())
def test_a_hostile_delivery_is_rejected_with_its_reason(delivery: Delivery, reason: str) -> None:
    with pytest.raises(VerificationError) as caught:
        SCHEMES[delivery.scheme].verify(delivery.body, delivery.headers, delivery.secrets, now=NOW)
    assert caught.value.reason == reason, str(caught.value)
    assert type(caught.value) is VerificationError


@pytest.mark.parametrize(("delivery", "reason"), rejected_cases())
def test_a_rejection_message_names_neither_the_secret_nor_the_signature(
    delivery: Delivery, reason: str
) -> None:
    with pytest.raises(VerificationError) as caught:
        SCHEMES[delivery.scheme].verify(delivery.body, delivery.headers, delivery.secrets, now=NOW)
    message = str(caught.value)
    for secret in (SECRET, OTHER, SECRET.removeprefix("whsec_"), OTHER.removeprefix("whsec_")):
        assert secret not in message
    signature = next(
        (v for k, v in delivery.headers.items() if k == SIGNATURE_HEADER[delivery.scheme]), ""
    )
    for token in re.findall(r"[0-9A-Za-z+/]{12,}", signature):
        assert token not in message
    assert message  # and it says something


@pytest.mark.parametrize("delivery", accepted_cases())
def test_a_delivery_that_should_pass_verifies(delivery: Delivery) -> None:
    verified = SCHEMES[delivery.scheme].verify(
        delivery.body, delivery.headers, delivery.secrets, now=NOW
    )
    assert verified.handshake_token is None


@pytest.mark.parametrize("name", ALL)
def test_headers_may_be_any_mapping(name: str) -> None:
    d = signed(name)
    verified = SCHEMES[name].verify(d.body, MappingProxyType(d.headers), (SECRET,), now=NOW)
    assert isinstance(verified, Verified)


@pytest.mark.parametrize("name", ALL)
def test_a_single_secret_passed_as_a_bare_string_is_one_secret_not_its_characters(
    name: str,
) -> None:
    d = signed(name)
    verified = SCHEMES[name].verify(d.body, d.headers, SECRET, now=NOW)
    assert verified == SCHEMES[name].verify(d.body, d.headers, [SECRET], now=NOW)
    # Read as its characters, one of them might be taken for a key; it must not be.
    with pytest.raises(VerificationError) as caught:
        SCHEMES[name].verify(d.body, d.headers, OTHER, now=NOW)
    assert caught.value.reason == "bad_signature"


@pytest.mark.parametrize("name", TIMESTAMPED)
def test_a_naive_now_is_taken_as_utc(name: str) -> None:
    d = signed(name)
    verified = SCHEMES[name].verify(d.body, d.headers, [SECRET], now=NOW.replace(tzinfo=None))
    assert verified.timestamp == NOW
    # Taken as UTC, not as local time or ignored: 301 s later the delivery has expired.
    later = (NOW + timedelta(seconds=301)).replace(tzinfo=None)
    with pytest.raises(VerificationError) as caught:
        SCHEMES[name].verify(d.body, d.headers, [SECRET], now=later)
    assert caught.value.reason == "expired"


@pytest.mark.parametrize("name", ALL)
def test_signing_with_an_empty_secret_is_a_verification_error_not_a_value_error(
    name: str,
) -> None:
    with pytest.raises(VerificationError) as caught:
        SCHEMES[name].sign(BODY, "", now=NOW)
    assert caught.value.reason == "no_secret"
