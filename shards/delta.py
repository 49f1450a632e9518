"""The claude_delta header: the first block of every managed page.

A header is a fenced code block, language ``json``, holding one object
``{"claude_delta": {...}}``. It tells a model in about 300 bytes whether the page is worth
fetching. Operators own most fields; the index sync owns ``tokens``, ``content_hash`` and
``updated_at``. Unknown fields are preserved on rewrite, so a newer minor version written by
another tool survives a round trip through this one.

    >>> d = ClaudeDelta(page_type="shard", id="infra", title="Infrastructure")
    >>> parse_header_text(render_header(d), page_id="infra") == d
    True
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_serializer,
    field_validator,
)

from shards.errors import HeaderError

SCHEMA_VERSION = "1.0"
HEADER_KEY = "claude_delta"
#: A header larger than this is reported: the router is meant to be read in hundreds of bytes.
HEADER_SOFT_LIMIT_BYTES = 512

PAGE_TYPES = ("shard", "router", "log", "index")
STATUSES = ("active", "draft", "stale", "deprecated", "archived")
MACHINE_FIELDS = ("tokens", "content_hash", "updated_at")

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
_VERSION = re.compile(r"^1\.\d+$")

# The order fields are written in: routing fields first, machine fields last, unknown fields after.
_FIELD_ORDER = (
    "v",
    "page_type",
    "id",
    "title",
    "summary",
    "fetch_when",
    "related_entities",
    "schema_refs",
    "source_posts",
    "status",
    "domain",
    "tokens",
    "content_hash",
    "updated_at",
)


class ClaudeDelta(BaseModel):
    """One page's header (schema version 1.x); unknown fields are kept in ``model_extra``."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)

    v: StrictStr = SCHEMA_VERSION
    page_type: StrictStr = "shard"
    id: StrictStr
    title: StrictStr
    summary: StrictStr = ""
    fetch_when: tuple[StrictStr, ...] = ()
    related_entities: tuple[StrictStr, ...] = ()
    schema_refs: tuple[StrictStr, ...] = ()
    source_posts: tuple[StrictStr, ...] = ()
    status: StrictStr = "active"
    #: Operator-owned: the domain this shard is listed under when the router has two levels
    #: (see :mod:`router.domains`); unset, the domain is derived from the id.
    domain: StrictStr | None = None
    tokens: StrictInt | None = Field(default=None, ge=0)
    content_hash: StrictStr | None = None
    updated_at: datetime | None = None

    @field_validator("v")
    @classmethod
    def _version(cls, value: str) -> str:
        if not _VERSION.match(value):
            raise ValueError("schema version must be 1.x (this service reads 1.x)")
        return value

    @field_validator("page_type")
    @classmethod
    def _page_type(cls, value: str) -> str:
        if value not in PAGE_TYPES:
            raise ValueError(f"must be one of {', '.join(PAGE_TYPES)}")
        return value

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError(
                "must be a slug: lowercase letters, digits and '-', starting with a letter or "
                "digit, at most 64 characters (e.g. 'infra')"
            )
        return value

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is not None and not _SLUG.match(value):
            raise ValueError(
                "must be a slug like an id: lowercase letters, digits and '-' (e.g. 'clients')"
            )
        return value

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        if value not in STATUSES:
            raise ValueError(f"must be one of {', '.join(STATUSES)}")
        return value

    @field_validator("content_hash")
    @classmethod
    def _hash(cls, value: str | None) -> str | None:
        if value is not None and not _HASH.match(value):
            raise ValueError("must be 'sha256:' followed by 64 lowercase hex digits")
        return value

    @field_validator("updated_at", mode="before")
    @classmethod
    def _timestamp(cls, value: Any) -> Any:
        # strict mode refuses strings for datetimes; the header carries ISO 8601 text.
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(
                    "must be an ISO 8601 UTC time such as 2026-11-21T10:00:00Z"
                ) from None
            if parsed.tzinfo is None:
                raise ValueError("must carry a time zone, e.g. 2026-11-21T10:00:00Z")
            return parsed.astimezone(UTC)
        return value

    @field_serializer("updated_at")
    def _dump_timestamp(self, value: datetime | None) -> str | None:
        return None if value is None else format_timestamp(value)

    def to_json_dict(self) -> dict[str, Any]:
        """The header object in canonical field order, unknown fields last, ``None`` omitted."""
        data = self.model_dump(mode="json")
        ordered = {k: data[k] for k in _FIELD_ORDER if data.get(k) is not None}
        for key, value in (self.model_extra or {}).items():
            ordered[key] = value
        return ordered


def format_timestamp(value: datetime) -> str:
    """UTC, second precision, ``Z`` suffix: ``2026-11-21T10:00:00Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_header_json(delta: ClaudeDelta) -> str:
    """The compact JSON object, ``{"claude_delta":{...}}``, without the code fence."""
    return orjson.dumps({HEADER_KEY: delta.to_json_dict()}).decode()


def render_header(delta: ClaudeDelta) -> str:
    """The header as the markdown code block that opens a page (no trailing newline)."""
    return f"```json\n{render_header_json(delta)}\n```"


def header_size(delta: ClaudeDelta) -> int:
    """Bytes of the compact JSON, the figure compared against the 512-byte soft limit."""
    return len(render_header_json(delta).encode())


def header_problems(delta: ClaudeDelta) -> list[str]:
    """Non-fatal findings about a valid header, each a sentence an operator can act on."""
    problems: list[str] = []
    size = header_size(delta)
    if size > HEADER_SOFT_LIMIT_BYTES:
        problems.append(
            f"header is {size} bytes, over the {HEADER_SOFT_LIMIT_BYTES}-byte guideline: "
            "shorten the summary or trim fetch_when/related_entities"
        )
    if delta.page_type == "shard" and not delta.fetch_when:
        problems.append("fetch_when is empty: add the tasks or terms that should pull this shard")
    return problems


def parse_header_text(text: str, *, page_id: str) -> ClaudeDelta:
    """Parse a header from its JSON text, with or without the surrounding code fence."""
    body = text.strip()
    if body.startswith("```"):
        # Split on "\n" only: str.splitlines() also breaks at U+0085, U+2028 and friends,
        # which orjson writes unescaped inside strings, so it would cut a header in half.
        lines = body.split("\n")
        if len(lines) < 2 or lines[-1].strip() != "```":
            raise HeaderError(
                "header code block is not closed",
                page_id=page_id,
                hint="End the ```json block with a line holding only ```.",
            )
        body = "\n".join(lines[1:-1])
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise HeaderError(
            f"header is not valid JSON ({exc})",
            page_id=page_id,
            hint='The first block must be ```json {"claude_delta": {...}} ```.',
        ) from exc
    return header_from_object(data, page_id=page_id)


def header_from_object(data: Any, *, page_id: str) -> ClaudeDelta:
    """Validate an already-decoded ``{"claude_delta": {...}}`` object."""
    if not isinstance(data, dict) or HEADER_KEY not in data:
        raise HeaderError(
            f'header must be a JSON object with one key "{HEADER_KEY}"',
            page_id=page_id,
            hint='Wrap the fields: {"claude_delta": {"v": "1.0", ...}}.',
        )
    inner = data[HEADER_KEY]
    if not isinstance(inner, dict):
        raise HeaderError(
            f'"{HEADER_KEY}" must be a JSON object', page_id=page_id, field=HEADER_KEY
        )
    try:
        # JSON-mode validation: strict types, but JSON arrays are tuples and times are text.
        return ClaudeDelta.model_validate_json(orjson.dumps(inner))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        message = str(first["msg"]).removeprefix("Value error, ")
        others = len(exc.errors()) - 1
        more = f" (and {others} more problem{'s' if others > 1 else ''})" if others else ""
        raise HeaderError(
            f"{message}; got {_short(first.get('input'))}{more}",
            page_id=page_id,
            field=field,
            hint=_hint_for(first["type"]),
        ) from exc


def _short(value: Any) -> str:
    text = orjson.dumps(value, default=str).decode()
    return text if len(text) <= 60 else text[:57] + "..."


def _hint_for(error_type: str) -> str | None:
    if error_type == "missing":
        return "Add the field to the header (id and title are required)."
    if error_type.endswith("_type") or error_type in {"tuple_type", "list_type"}:
        return 'Check the JSON type: lists are ["a", "b"], tokens is a whole number.'
    return None
