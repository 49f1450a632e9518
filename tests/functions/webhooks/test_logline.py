"""The webhook log line: DESIGN.md's exact format, one line always, cut visibly."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.webhooks.logline import decode_payload, event_name, format_line, format_time

AT = datetime(2026, 5, 21, 2, 54, 44, 452000, tzinfo=UTC)
DESIGN_EXAMPLE = (
    '🔔 2026-05-21T02:54:44.452Z [claude-test:test] {"event":"test","message":"Hello",'
    '"sender":"claude-code"}'
)
MARKER = re.compile(r" … \[truncated (\d+) chars\]$")


def test_a_line_matches_the_example_in_design_md_byte_for_byte() -> None:
    body = b'{"event":"test","message":"Hello","sender":"claude-code"}'
    payload = decode_payload(body)

    line = format_line(AT, "claude-test", event_name(None, payload), payload)

    assert line == DESIGN_EXAMPLE


def test_a_pretty_printed_body_is_logged_as_compact_json_in_its_key_order() -> None:
    body = b'{\n  "sender": "cron",\n  "event": "backup",\n  "ok": true,\n  "n": [1, 2]\n}'
    line = format_line(AT, "cron", "backup", decode_payload(body))
    assert line.endswith(' [cron:backup] {"sender":"cron","event":"backup","ok":true,"n":[1,2]}')


def test_the_time_is_utc_with_milliseconds_whatever_zone_it_was_taken_in() -> None:
    tokyo = AT.astimezone(timezone(timedelta(hours=9)))
    assert format_time(tokyo) == "2026-05-21T02:54:44.452Z"
    assert format_time(AT.replace(microsecond=999999)) == "2026-05-21T02:54:44.999Z"
    assert format_time(AT.replace(microsecond=0)) == "2026-05-21T02:54:44.000Z"


@pytest.mark.parametrize(
    ("body", "logged"),
    [
        (b"hello world", '"hello world"'),
        (b"", '""'),
        (b'say "hi"', '"say \\"hi\\""'),
        (b"\xff\xfebroken", '"\ufffd\ufffdbroken"'),
        (b"a=1&b=2", '"a=1&b=2"'),
    ],
)
def test_a_body_that_is_not_json_is_logged_as_a_json_string(body: bytes, logged: str) -> None:
    line = format_line(AT, "cron", "event", decode_payload(body))
    assert line == f"🔔 2026-05-21T02:54:44.452Z [cron:event] {logged}"


def test_a_json_scalar_body_is_logged_as_that_scalar() -> None:
    assert format_line(AT, "s", "e", decode_payload(b"42")).endswith("[s:e] 42")
    assert format_line(AT, "s", "e", decode_payload(b'"text"')).endswith('[s:e] "text"')


def test_line_breaks_inside_the_payload_are_escaped_not_written() -> None:
    payload = decode_payload(b'{"message":"one\\ntwo\\r\\nthree"}')
    line = format_line(AT, "s", "e", payload)
    assert line.endswith('{"message":"one\\ntwo\\r\\nthree"}')
    assert len(line.splitlines()) == 1


def test_line_breaks_in_the_source_or_event_name_are_flattened() -> None:
    line = format_line(AT, "my\nsource", "push\r\n[forced]", {})
    assert "[my source:push (forced)]" in line
    assert len(line.splitlines()) == 1


BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
TEXT = st.text(st.characters() | st.sampled_from(BREAKS), max_size=300)


@given(
    source=st.text(st.characters() | st.sampled_from(BREAKS), min_size=1, max_size=30),
    event=st.text(st.characters() | st.sampled_from(BREAKS), min_size=1, max_size=30),
    body=st.binary(max_size=300)
    | TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))
    | TEXT.map(lambda t: orjson.dumps({"message": t.encode("utf-8", "replace").decode()})),
    max_chars=st.integers(min_value=200, max_value=600),
)
def test_a_line_never_holds_a_line_break_nor_exceeds_max_chars(
    source: str, event: str, body: bytes, max_chars: int
) -> None:
    line = format_line(AT, source, event, decode_payload(body), max_chars=max_chars)
    assert len(line) <= max_chars
    assert line.splitlines() == [line]  # every Unicode line boundary, not just "\n"
    assert line.startswith("🔔 2026-05-21T02:54:44.452Z [")


def test_unicode_line_separators_in_the_payload_are_escaped() -> None:
    # Valid raw in JSON, but U+2028/U+2029 and NEL break the line for editors and splitlines().
    payload = {"message": "a\u2028b\u2029c\x85d"}
    line = format_line(AT, "s", "e", payload)
    assert line.splitlines() == [line]
    assert orjson.loads(line.split("] ", 1)[1]) == payload


def test_a_line_that_fits_exactly_is_not_cut() -> None:
    full = format_line(AT, "s", "e", {"m": "x" * 100})
    assert format_line(AT, "s", "e", {"m": "x" * 100}, max_chars=len(full)) == full


@pytest.mark.parametrize("over", [1, 5, 9, 10, 11, 99, 100, 1000, 100_000])
def test_a_long_payload_is_cut_to_exactly_max_chars_with_a_visible_marker(over: int) -> None:
    max_chars = 2000
    payload = {"message": "y" * 2000}
    full = format_line(AT, "github", "push", payload, max_chars=10**9)
    payload = {"message": "y" * (2000 - len(full) + max_chars + over)}
    full = format_line(AT, "github", "push", payload, max_chars=10**9)
    assert len(full) == max_chars + over

    line = format_line(AT, "github", "push", payload, max_chars=max_chars)

    assert len(line) == max_chars
    marker = MARKER.search(line)
    assert marker is not None, line[-60:]
    kept = line[: marker.start()]
    assert full.startswith(kept)
    assert int(marker.group(1)) == len(full) - len(kept)  # the count it shows is the truth
    assert line.startswith("🔔 2026-05-21T02:54:44.452Z [github:push] {")


@pytest.mark.parametrize(
    ("verified", "payload", "expected"),
    [
        ("push", {"event": "ignored"}, "push"),  # the scheme's own field wins
        (None, {"event": "deploy"}, "deploy"),  # else the payload's "event"
        ("", {"event": "deploy"}, "deploy"),  # an empty scheme field counts as none
        (None, {"event": ""}, "event"),  # else the default
        (None, {"event": 7}, "event"),  # only a string names an event
        (None, {"type": "charge.succeeded"}, "event"),  # "type" is the scheme's business
        (None, ["event"], "event"),
        (None, "not json", "event"),
        (None, None, "event"),
    ],
)
def test_the_event_name_falls_back_from_the_scheme_to_the_payload_to_a_default(
    verified: str | None, payload: object, expected: str
) -> None:
    assert event_name(verified, payload) == expected
