"""The webhook log line, exactly as the operation reads it::

    🔔 2026-05-21T02:54:44.452Z [claude-test:test] {"event":"test","message":"Hello"}

Receive time in UTC with milliseconds, ``[source:event]``, then the payload as compact JSON;
a body that is not JSON is logged as a JSON string. A line longer than ``max_chars`` is cut
and ends with a visible marker, never silently.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

BELL = "🔔"
DEFAULT_EVENT = "event"
# Line boundaries (str.splitlines) that JSON may hold raw inside a string: as \uXXXX escapes.
_JSON_LINE_BREAKS = str.maketrans({c: f"\\u{ord(c):04x}" for c in "\x85\u2028\u2029"})


def format_time(at: datetime) -> str:
    """``2026-05-21T02:54:44.452Z``: UTC, milliseconds, Z."""
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def decode_payload(body: bytes) -> Any:
    """The body as JSON when it is JSON, else as text (undecodable bytes replaced)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace")


def event_name(verified_event: str | None, payload: Any) -> str:
    """The scheme's event field, else the payload's ``"event"``, else ``event``."""
    if verified_event:
        return verified_event
    if isinstance(payload, dict) and isinstance(payload.get("event"), str) and payload["event"]:
        return str(payload["event"])
    return DEFAULT_EVENT


def format_line(
    received_at: datetime, source: str, event: str, payload: Any, *, max_chars: int = 2000
) -> str:
    """One log line; never contains a line break, never longer than ``max_chars``."""
    tag = f"[{_flat(source)}:{_flat(event)}]"
    # Compact; orjson escapes "\n", "\r" and the other C0 controls but writes U+0085,
    # U+2028 and U+2029 raw (valid JSON), and editors break lines there: escape them too.
    text = orjson.dumps(payload).decode().translate(_JSON_LINE_BREAKS)
    line = f"{BELL} {format_time(received_at)} {tag} {text}"
    if len(line) <= max_chars:
        return line
    dropped = len(line) - max_chars
    while True:  # the marker's own length depends on the number it shows: settle it
        marker = f" … [truncated {dropped} chars]"
        keep = max_chars - len(marker)
        if len(line) - keep == dropped:
            return line[:keep] + marker
        dropped = len(line) - keep


def _flat(text: str) -> str:
    return " ".join(text.split()).replace("[", "(").replace("]", ")")
