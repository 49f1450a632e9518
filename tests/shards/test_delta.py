"""The claude_delta header: render -> parse is identity, errors say page, field and expectation."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shards import (
    HEADER_SOFT_LIMIT_BYTES,
    ClaudeDelta,
    HeaderError,
    header_problems,
    header_size,
    parse_header_text,
    parse_page,
    render_header,
    render_page,
)
from shards.delta import _FIELD_ORDER, PAGE_TYPES, STATUSES, render_header_json

# -- generators ---------------------------------------------------------------------------

# Any unicode except lone surrogates (not encodable as UTF-8, so never in a page).
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
TITLE = TEXT.filter(lambda t: t.strip() != "")
SLUG = st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,63}\Z")
TERMS = st.lists(TEXT, max_size=4).map(tuple)
TIMES = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=0))
HASHES = st.text("0123456789abcdef", min_size=64, max_size=64).map(lambda h: f"sha256:{h}")
# JSON values as a header written by another tool may carry them. Integers stay inside the
# 64-bit range orjson reads exactly (larger ones come back as floats).
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=8,
)
EXTRA_NAMES = st.text(string.ascii_lowercase + "_", min_size=1, max_size=12).filter(
    lambda n: n not in _FIELD_ORDER and not n.startswith("_") and not n.startswith("model_")
)


@st.composite
def deltas(draw: st.DrawFn) -> ClaudeDelta:
    fields: dict[str, Any] = {
        "v": draw(st.sampled_from(["1.0", "1.1", "1.12"])),
        "page_type": draw(st.sampled_from(PAGE_TYPES)),
        "id": draw(SLUG),
        "title": draw(TITLE),
        "summary": draw(TEXT),
        "fetch_when": draw(TERMS),
        "related_entities": draw(TERMS),
        "schema_refs": draw(TERMS),
        "source_posts": draw(TERMS),
        "status": draw(st.sampled_from(STATUSES)),
        "tokens": draw(st.none() | st.integers(min_value=0, max_value=10**9)),
        "content_hash": draw(st.none() | HASHES),
        "updated_at": draw(st.none() | TIMES),
    }
    fields.update(draw(st.dictionaries(EXTRA_NAMES, JSON_VALUES, max_size=3)))
    return ClaudeDelta(**fields)


def _header(**inner: Any) -> str:
    return orjson.dumps(
        {"claude_delta": {"id": "infra", "title": "Infrastructure", **inner}}
    ).decode()


def _error(text: str, page_id: str = "infra") -> HeaderError:
    with pytest.raises(HeaderError) as caught:
        parse_header_text(text, page_id=page_id)
    return caught.value


# -- round trip ---------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(deltas())
def test_render_then_parse_gives_back_the_same_header(delta: ClaudeDelta) -> None:
    assert parse_header_text(render_header(delta), page_id="p") == delta
    # and the bare JSON object (no fence) parses too
    assert parse_header_text(render_header_json(delta), page_id="p") == delta


@settings(max_examples=50, deadline=None)
@given(deltas(), st.text(string.ascii_letters + " \n#-`", max_size=200))
def test_a_header_survives_a_whole_page_round_trip(delta: ClaudeDelta, body: str) -> None:
    page = parse_page(render_page(delta, f"Body text\n\n{body}"), page_id="p")
    assert page.error is None
    assert page.header == delta


def test_unknown_fields_survive_a_rewrite_of_the_machine_fields() -> None:
    text = _header(
        v="1.3",
        review={"by": "Maren", "every_days": 90, "tags": ["ops", None, 1.5]},
        owner="Jonas",
    )
    delta = parse_header_text(text, page_id="infra")
    rewritten = delta.model_copy(
        update={"tokens": 120, "updated_at": datetime(2026, 11, 21, 10, tzinfo=UTC)}
    )
    again = orjson.loads(render_header_json(rewritten))["claude_delta"]
    assert again["review"] == {"by": "Maren", "every_days": 90, "tags": ["ops", None, 1.5]}
    assert again["owner"] == "Jonas"
    assert again["v"] == "1.3"
    assert again["tokens"] == 120
    # unknown fields are written after the known ones
    assert list(again)[-2:] == ["review", "owner"]


def test_rendering_is_compact_json_in_a_json_code_block() -> None:
    delta = ClaudeDelta(
        id="infra",
        title="Infrastructure",
        summary="GCP, Cloud Run",
        fetch_when=("deploying", "DNS"),
        tokens=9214,
        updated_at=datetime(2026, 11, 21, 10, 0, 0, 123456, tzinfo=UTC),
    )
    text = render_header(delta)
    first, json_line, last = text.split("\n")
    assert (first, last) == ("```json", "```")
    assert ", " not in json_line.replace("GCP, Cloud", "")
    assert '": ' not in json_line
    assert json_line == orjson.dumps(orjson.loads(json_line)).decode()
    assert '"updated_at":"2026-11-21T10:00:00Z"' in json_line
    assert '"content_hash"' not in json_line  # None fields are left out
    assert header_size(delta) == len(json_line.encode())


# -- errors: page, field, what was expected -----------------------------------------------


def test_a_header_that_is_not_json_names_the_page_and_the_expected_shape() -> None:
    error = _error("```json\n{claude_delta: nope}\n```", page_id="finance")
    assert error.page_id == "finance"
    assert "page 'finance'" in str(error)
    assert "not valid JSON" in str(error)
    assert '{"claude_delta": {...}}' in str(error)


@pytest.mark.parametrize("text", ["[1, 2]", '"claude_delta"', "42"])
def test_a_header_that_is_not_an_object_says_an_object_was_expected(text: str) -> None:
    error = _error(text)
    assert "page 'infra'" in str(error)
    assert 'JSON object with one key "claude_delta"' in str(error)


def test_a_header_without_the_claude_delta_key_says_which_key_was_expected() -> None:
    error = _error('{"claude-delta": {"id": "infra", "title": "Infrastructure"}}')
    assert "page 'infra'" in str(error)
    assert '"claude_delta"' in error.message


def test_a_claude_delta_that_is_not_an_object_names_the_field() -> None:
    error = _error('{"claude_delta": ["infra"]}')
    assert error.field == "claude_delta"
    assert "must be a JSON object" in str(error)


@pytest.mark.parametrize(
    ("inner", "field", "expected"),
    [
        ({"fetch_when": "deploying"}, "fetch_when", "valid array"),
        ({"tokens": "9214"}, "tokens", "valid integer"),
        ({"tokens": 12.5}, "tokens", "valid integer"),
        ({"tokens": True}, "tokens", "valid integer"),
        ({"tokens": -1}, "tokens", "greater than or equal to 0"),
        ({"title": 7}, "title", "valid string"),
        ({"title": "  "}, "title", "must not be empty"),
        ({"id": "Infra Stuff"}, "id", "must be a slug"),
        ({"id": "-infra"}, "id", "must be a slug"),
        ({"id": "x" * 65}, "id", "must be a slug"),
        ({"v": "2.0"}, "v", "1.x"),
        ({"v": 1.0}, "v", "valid string"),
        ({"updated_at": "yesterday"}, "updated_at", "ISO 8601"),
        ({"updated_at": "2026-11-21T10:00:00"}, "updated_at", "time zone"),
        ({"content_hash": "md5:abc"}, "content_hash", "'sha256:' followed by 64"),
        ({"content_hash": "sha256:" + "A" * 64}, "content_hash", "lowercase hex"),
        ({"status": "done"}, "status", "one of active"),
        ({"page_type": "note"}, "page_type", "one of shard"),
        ({"fetch_when": ["ok", 3]}, "fetch_when.1", "valid string"),
    ],
)
def test_a_header_with_a_bad_field_names_the_page_the_field_and_what_was_expected(
    inner: dict[str, Any], field: str, expected: str
) -> None:
    error = _error(_header(**inner), page_id="infra")
    assert error.page_id == "infra"
    assert error.field == field
    assert f"page 'infra', field '{field}'" in str(error)
    assert expected in str(error)


def test_a_header_missing_a_required_field_says_to_add_it() -> None:
    error = _error('{"claude_delta": {"id": "infra"}}')
    assert error.field == "title"
    assert error.hint is not None and "Add the field" in error.hint


def test_several_bad_fields_are_counted_in_the_message() -> None:
    error = _error(_header(tokens="x", title=3))
    assert "and 1 more problem" in str(error)


def test_an_unclosed_header_fence_is_a_header_error() -> None:
    error = _error('```json\n{"claude_delta": {"id": "a", "title": "A"}}')
    assert "not closed" in str(error)


# -- size and other non-fatal findings ----------------------------------------------------


def test_a_header_over_512_bytes_is_reported_with_its_size() -> None:
    big = ClaudeDelta(
        id="infra", title="Infrastructure", summary="s" * 600, fetch_when=("deploying",)
    )
    problems = header_problems(big)
    assert len(problems) == 1
    assert f"{header_size(big)} bytes" in problems[0]
    assert f"{HEADER_SOFT_LIMIT_BYTES}-byte" in problems[0]


def test_a_header_at_the_limit_is_not_reported() -> None:
    base = ClaudeDelta(id="infra", title="Infrastructure", fetch_when=("deploying",))
    room = HEADER_SOFT_LIMIT_BYTES - header_size(base)
    exact = base.model_copy(update={"summary": "s" * room})
    assert header_size(exact) == HEADER_SOFT_LIMIT_BYTES
    assert header_problems(exact) == []


def test_a_shard_without_fetch_when_is_reported_but_a_router_is_not() -> None:
    assert any("fetch_when is empty" in p for p in header_problems(ClaudeDelta(id="a", title="A")))
    assert header_problems(ClaudeDelta(id="a", title="A", page_type="router")) == []
