"""The operator's status: every part of the service at a glance, in the operation's voice.

:func:`collect` reads what there is to report — the shards (scanned from the store), the last
syncs and the counters (the ledger in the state database), the outbox — and
:class:`Status` holds it, as JSON (``GET /status.json``) or as the HTML page
(:mod:`functions.status_page`). Each part is read on its own: a store or a database that does
not answer turns that part into a line saying so, and the rest of the page still shows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from shards import BrainError

if TYPE_CHECKING:
    from functions.runtime import Runtime

__all__ = ["OLDEST_PENDING_WARN_S", "Status", "collect"]

#: An event waiting longer than this to reach its log page is an anomaly.
OLDEST_PENDING_WARN_S = 300.0
#: Webhook counters cover this window; the drain rate the last hour of it.
WINDOW = timedelta(hours=24)
RATE_WINDOW = timedelta(hours=1)
#: Dead letters listed on the page (the count is always whole).
DEAD_LETTERS_SHOWN = 10

log = logging.getLogger(__name__)
_T = TypeVar("_T")


@dataclass
class Status:
    """Everything the page shows. ``errors`` names the parts that could not be read."""

    generated_at: datetime
    store: str
    shards: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[dict[str, str]] = field(default_factory=list)
    syncs: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    outbox: dict[str, Any] = field(default_factory=dict)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    drain: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    anomalies: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    @property
    def headline(self) -> str:
        count = len(self.anomalies) + len(self.errors)
        if not count:
            return "No anomalies."
        return f"{count} anomal{'y' if count == 1 else 'ies'}."

    def to_json(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at.isoformat(),
            "headline": self.headline,
            "lines": self.lines,
            "anomalies": self.anomalies,
            "errors": self.errors,
            "store": self.store,
            "shards": self.shards,
            "invalid": self.invalid,
            "syncs": self.syncs,
            "webhooks": {"window_hours": WINDOW.total_seconds() / 3600, "sources": self.sources},
            "outbox": self.outbox,
            "dead_letters": self.dead_letters,
            "drain": self.drain,
        }


def collect(rt: Runtime, now: datetime) -> Status:
    """Read every part; a part that fails is recorded in ``errors`` and the rest goes on."""
    cfg = rt.config
    where = str(cfg.resolve(cfg.store.path)) if cfg.store.kind == "local" else "Notion"
    status = Status(generated_at=now, store=f"{cfg.store.kind} ({where})")
    _part(status, "shards", lambda: _shards(rt, status))
    _part(status, "syncs", lambda: _syncs(rt, status))
    _part(status, "webhooks", lambda: _webhooks(rt, status, now))
    _part(status, "outbox", lambda: _outbox(rt, status, now))
    status.lines = _lines(status, now)
    return status


def _part(status: Status, name: str, read: Callable[[], None]) -> None:
    try:
        read()
    except BrainError as exc:
        log.warning("status: cannot read %s: %s", name, exc)
        status.errors[name] = exc.message + (f" {exc.hint}" if exc.hint else "")


def _shards(rt: Runtime, status: Status) -> None:
    """From the context service's snapshot: cached, so on Notion a page view costs no more
    requests than get_context does (version checks every ``[context] check_interval_s``)."""
    service = rt.context_service
    for s in service.list_shards():
        status.shards.append(
            {
                "id": s.id,
                "title": s.title,
                "status": s.status,
                "tokens": s.tokens,
                "updated_at": s.updated or None,
                "stale": bool(s.stale),
                "problems": list(s.stale),
            }
        )
        if s.stale:
            status.anomalies.append(f"shard {s.id}: {s.stale[0]}")
    for issue in service.cache.get().invalid:
        status.invalid.append({"page": issue.page_id, "message": issue.message})
        status.anomalies.append(f"page {issue.page_id}: {issue.message}")


def _syncs(rt: Runtime, status: Status) -> None:
    status.syncs = [e.to_json() for e in rt.ledger.recent_syncs(5)]


def _webhooks(rt: Runtime, status: Status, now: datetime) -> None:
    rt.tally.flush()  # this process's own recent counts first
    counts = rt.ledger.counts_since(now - WINDOW)
    names = sorted(rt.config.webhooks.sources)
    names += sorted(
        {k.split(":")[1] for k in counts if k.startswith("webhook:")} - set(names)
    )  # sources since removed from the config still had traffic today
    for source in names:
        row: dict[str, Any] = {"source": source}
        for outcome in ("accepted", "duplicate", "refused"):
            row[outcome] = counts.get(f"webhook:{source}:{outcome}", 0)
        status.sources.append(row)
    appended_hour = rt.ledger.counts_since(now - RATE_WINDOW).get("drain:appended", 0)
    status.drain = {
        "appended_24h": counts.get("drain:appended", 0),
        "appended_last_hour": appended_hour,
        "per_minute": round(appended_hour / 60, 2),
        "notion_429_24h": counts.get("notion:429", 0),
    }


def _outbox(rt: Runtime, status: Status, now: datetime) -> None:
    stats = rt.outbox.stats(now)
    status.outbox = {
        "pending": stats.pending,
        "sending": stats.sending,
        "sent": stats.sent,
        "dead": stats.dead,
        "oldest_pending_age_s": stats.oldest_pending_age_s,
    }
    for e in rt.outbox.dead_letters()[:DEAD_LETTERS_SHOWN]:
        status.dead_letters.append(
            {"id": e.id, "source": e.source, "log_page": e.log_page, "error": e.last_error}
        )
    if stats.dead:
        status.anomalies.append(
            f"{stats.dead} dead letter{'s' if stats.dead != 1 else ''}: fix the cause, then "
            "brain webhooks retry-dead"
        )
    age = stats.oldest_pending_age_s
    if age is not None and age > OLDEST_PENDING_WARN_S:
        status.anomalies.append(
            f"the oldest pending event has waited {_ago(age)}: is the drainer running "
            "(brain serve, or the scheduled /sync)?"
        )


def _lines(status: Status, now: datetime) -> list[str]:
    """One sentence per part, in the operation's voice."""
    lines = []
    if "shards" in status.errors:
        lines.append(f"Index: cannot read the store. {status.errors['shards']}")
    else:
        tokens = sum(s["tokens"] or 0 for s in status.shards)
        stale = [s["id"] for s in status.shards if s["stale"]]
        bad = len(status.invalid) + sum(
            1 for s in status.shards if s["problems"] and not s["stale"]
        )
        tail = []
        if stale:
            tail.append(f"{len(stale)} stale ({', '.join(stale)}): run brain sync")
        if bad:
            tail.append(f"{bad} with problems")
        lines.append(
            f"Index: {len(status.shards)} shards, {tokens:,} tokens. "
            + (("; ".join(tail) + ".") if tail else "No anomalies.")
        )
    if "syncs" in status.errors:
        lines.append(f"Sync: cannot read the sync history. {status.errors['syncs']}")
    elif status.syncs:
        last = status.syncs[0]
        at = datetime.fromisoformat(last["at"])
        lines.append(f"Last sync {_ago((now - at).total_seconds())} ago: {last['summary']}")
    else:
        lines.append("Sync: none recorded yet (brain sync, brain serve or the scheduled /sync).")
    if "webhooks" in status.errors or "outbox" in status.errors:
        reason = status.errors.get("outbox") or status.errors.get("webhooks")
        lines.append(f"Webhook logger: the state database does not answer. {reason}")
    else:
        accepted = sum(s["accepted"] for s in status.sources)
        refused = sum(s["refused"] for s in status.sources)
        dead = status.outbox.get("dead", 0)
        issues = [a for a in status.anomalies if "dead letter" in a or "pending event" in a]
        text = (
            f"Webhook logger: {accepted} event{'s' if accepted != 1 else ''} logged, "
            f"{dead} dead letter{'s' if dead != 1 else ''}"
        )
        if refused:
            text += f", {refused} refused"
        lines.append(text + (". No anomalies." if not issues else f". {issues[0]}."))
    return lines


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{max(seconds, 0):.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
