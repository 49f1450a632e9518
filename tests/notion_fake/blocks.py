"""Block and rich text objects of the fake Notion API, and the size limits Notion enforces.

Kept apart from ``shards.notion`` on purpose: the fake must not share the store's chunking
code, or a bug in it would pass its own test. Lengths are counted the way Notion counts them
(JavaScript string length, i.e. UTF-16 code units), so an emoji costs two.

Documented limits (https://developers.notion.com/reference/request-limits):
``rich_text.text.content`` 2,000 characters, any array of rich text 100 elements, any array
of blocks (``children``) 100 elements, a request payload 500 KB.
"""

from __future__ import annotations

import re
from typing import Any

MAX_TEXT = 2000
MAX_RICH_TEXT = 100
MAX_CHILDREN = 100
MAX_PAGE_SIZE = 100
MAX_PAYLOAD_BYTES = 500_000

_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
USER = {"object": "user", "id": "6b3a0c51-7e0a-4c35-9a3f-0d6f3b2b9a11"}


class ValidationFailed(Exception):
    """A request body breaks one of Notion's documented rules (answered 400)."""


def normalize_id(value: str) -> str | None:
    """The dashed lower-case form of a Notion id, or None when it is not one."""
    if not _UUID.match(value):
        return None
    h = value.replace("-", "").lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def js_length(text: str) -> int:
    """Length as JavaScript (and so Notion) counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def rich_text(content: str) -> dict[str, Any]:
    """A full (response-shaped) text rich text object."""
    return {
        "type": "text",
        "text": {"content": content, "link": None},
        "annotations": {
            "bold": False,
            "italic": False,
            "strikethrough": False,
            "underline": False,
            "code": False,
            "color": "default",
        },
        "plain_text": content,
        "href": None,
    }


def split_rich_text(text: str) -> list[dict[str, Any]]:
    """Text as rich text objects of at most MAX_TEXT units each (how Notion stores a long line)."""
    parts: list[dict[str, Any]] = []
    start, units = 0, 0
    for i, ch in enumerate(text):
        width = 2 if ord(ch) > 0xFFFF else 1
        if units + width > MAX_TEXT:
            parts.append(rich_text(text[start:i]))
            start, units = i, 0
        units += width
    if start < len(text):
        parts.append(rich_text(text[start:]))
    return parts


def plain_text(items: list[dict[str, Any]]) -> str:
    return "".join(item["plain_text"] for item in items)


def parse_rich_text(value: Any, where: str) -> list[dict[str, Any]]:
    """Validate a request's rich text array and return it in response shape."""
    if not isinstance(value, list):
        raise ValidationFailed(f"{where} should be an array, instead was `{value!r}`.")
    if len(value) > MAX_RICH_TEXT:
        raise ValidationFailed(
            f"{where}.length should be ≤ `{MAX_RICH_TEXT}`, instead was `{len(value)}`."
        )
    out = []
    for i, item in enumerate(value):
        text = item.get("text") if isinstance(item, dict) else None
        if not isinstance(text, dict) or item.get("type", "text") != "text":
            raise ValidationFailed(f"{where}[{i}].text should be defined, instead was `undefined`.")
        content = text.get("content")
        if not isinstance(content, str):
            raise ValidationFailed(
                f"{where}[{i}].text.content should be a string, instead was `{content!r}`."
            )
        if js_length(content) > MAX_TEXT:
            raise ValidationFailed(
                f"{where}[{i}].text.content.length should be ≤ `{MAX_TEXT}`, "
                f"instead was `{js_length(content)}`."
            )
        out.append(rich_text(content))
    return out


def parse_children(value: Any) -> list[list[dict[str, Any]]]:
    """Validate ``body.children`` (paragraph blocks only) and return each block's rich text."""
    if not isinstance(value, list):
        raise ValidationFailed(f"body.children should be an array, instead was `{value!r}`.")
    if len(value) > MAX_CHILDREN:
        raise ValidationFailed(
            f"body.children.length should be ≤ `{MAX_CHILDREN}`, instead was `{len(value)}`."
        )
    out = []
    for i, block in enumerate(value):
        where = f"body.children[{i}]"
        if not isinstance(block, dict):
            raise ValidationFailed(f"{where} should be an object, instead was `{block!r}`.")
        kind = block.get("type", "paragraph" if "paragraph" in block else None)
        if kind != "paragraph" or not isinstance(block.get("paragraph"), dict):
            raise ValidationFailed(
                f"{where}.paragraph should be defined, instead was `undefined`. "
                "(The fake Notion API accepts paragraph blocks only.)"
            )
        out.append(
            parse_rich_text(block["paragraph"].get("rich_text"), f"{where}.paragraph.rich_text")
        )
    return out
