"""The status page as HTML: one self-contained document, readable on a phone.

No build step and nothing fetched: the CSS is inline (allowed by its hash in the
Content-Security-Policy, which also forbids every other source), there is no script, and the
page refreshes itself once a minute. Every value is escaped.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from html import escape
from typing import Any

from functions.status import Status

__all__ = ["CONTENT_SECURITY_POLICY", "REFRESH_S", "render"]

#: The page reloads itself this often (seconds).
REFRESH_S = 60

STYLE = """
:root{color-scheme:light dark;--ok:#1a7f37;--bad:#cf222e;--dim:#6e7781}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:60rem;padding:1rem}
h1{font-size:1.3rem;margin:0 0 .25rem}
h2{font-size:1.05rem;margin:1.5rem 0 .5rem}
p,li{overflow-wrap:anywhere}
.headline{font-size:1.15rem;font-weight:600;margin:.5rem 0}
.ok{color:var(--ok)}.bad{color:var(--bad)}.dim{color:var(--dim)}
ul.lines{padding-left:1.1rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:.3rem .45rem;border-bottom:1px solid #8884;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr.fix td{color:var(--bad);padding-top:0}
td.d{white-space:nowrap}
footer{margin-top:2rem;font-size:.85rem}
""".strip()

_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
#: Nothing but this page's own inline style may load; no scripts, frames, forms or images.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def render(status: Status) -> str:
    """The whole page."""
    ok = not status.anomalies and not status.errors
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="refresh" content="{REFRESH_S}">',
        '<meta name="robots" content="noindex">',
        "<title>Context Index status</title>",
        f"<style>{STYLE}</style></head><body>",
        "<header><h1>Context Index status</h1>",
        f'<p class="headline {"ok" if ok else "bad"}" id="headline">{escape(status.headline)}</p>',
        '<ul class="lines" id="lines">',
        *(f"<li>{escape(line)}</li>" for line in status.lines),
        "</ul></header>",
    ]
    if status.anomalies or status.errors:
        parts.append('<section id="anomalies"><h2>Anomalies and what to do</h2><ul>')
        parts += [f"<li>{escape(a)}</li>" for a in status.anomalies]
        parts += [
            f"<li>{escape(part)}: {escape(message)}</li>" for part, message in status.errors.items()
        ]
        parts.append("</ul></section>")
    parts += _shards(status)
    parts += _syncs(status)
    parts += _webhooks(status)
    parts += _outbox(status)
    parts.append(
        f'<footer class="dim">Store: {escape(status.store)}. Generated '
        f"{escape(_when(status.generated_at))}; refreshes every {REFRESH_S} s. Data: "
        '<a href="status.json">status.json</a>.</footer></body></html>'
    )
    return "\n".join(parts) + "\n"


def _table(section: str, head: list[str], rows: list[list[Any]], numeric: set[int]) -> list[str]:
    cells = "".join(
        f"<th{' class=n' if i in numeric else ''}>{escape(h)}</th>" for i, h in enumerate(head)
    )
    out = [
        f'<div class="scroll"><table id="{section}-table"><thead><tr>{cells}</tr></thead><tbody>'
    ]
    for row in rows:
        out.append(
            "<tr>"
            + "".join(
                f"<td{' class=n' if i in numeric else ''}>{escape(_text(v))}</td>"
                for i, v in enumerate(row)
            )
            + "</tr>"
        )
    out.append("</tbody></table></div>")
    return out


def _shards(status: Status) -> list[str]:
    """Four narrow columns (a phone's width); what to fix in a full-width row beneath."""
    out = ['<section id="shards"><h2>Shards</h2>']
    if "shards" in status.errors:
        return [*out, f'<p class="bad">{escape(status.errors["shards"])}</p></section>']
    out.append(
        '<div class="scroll"><table id="shards-table"><thead><tr><th>shard</th><th>status</th>'
        '<th class="n">tokens</th><th>updated</th></tr></thead><tbody>'
    )
    for s in status.shards:
        state = escape(s["status"]) + (' <span class="bad">stale</span>' if s["stale"] else "")
        out.append(
            f'<tr><td>{escape(s["id"])}<br><span class="dim">{escape(s["title"])}</span></td>'
            f'<td>{state}</td><td class="n">{escape(_text(s["tokens"]))}</td>'
            f'<td class="d">{escape((s["updated_at"] or "—")[:10])}</td></tr>'
        )
        if s["problems"]:
            fix = "; ".join(s["problems"])
            out.append(f'<tr class="fix"><td colspan="4">To fix: {escape(fix)}</td></tr>')
    out.append("</tbody></table></div>")
    for page in status.invalid:
        out.append(
            f'<p class="bad">Invalid page {escape(page["page"])}: {escape(page["message"])}</p>'
        )
    return [*out, "</section>"]


def _syncs(status: Status) -> list[str]:
    out = ['<section id="syncs"><h2>Last syncs</h2>']
    if "syncs" in status.errors:
        return [*out, f'<p class="bad">{escape(status.errors["syncs"])}</p></section>']
    if not status.syncs:
        return [*out, '<p class="dim">None recorded yet.</p></section>']
    out.append("<ul>")
    for entry in status.syncs:
        at = _when(datetime.fromisoformat(entry["at"]))
        mark = "ok" if entry["ok"] else "bad"
        out.append(
            f'<li><span class="dim">{escape(at)}</span> <span class="{mark}">'
            f"{escape(entry['summary'])}</span></li>"
        )
    return [*out, "</ul></section>"]


def _webhooks(status: Status) -> list[str]:
    out = ['<section id="webhooks"><h2>Webhook sources, last 24 h</h2>']
    if "webhooks" in status.errors:
        return [*out, f'<p class="bad">{escape(status.errors["webhooks"])}</p></section>']
    if not status.sources:
        out.append('<p class="dim">No webhook sources configured.</p>')
    else:
        rows = [[s["source"], s["accepted"], s["duplicate"], s["refused"]] for s in status.sources]
        out += _table("webhooks", ["source", "accepted", "duplicate", "refused"], rows, {1, 2, 3})
    d = status.drain
    out.append(
        f"<p>Drained to the log: {d['appended_last_hour']} in the last hour "
        f"({d['per_minute']} a minute), {d['appended_24h']} in 24 h. "
        f"Notion 429s in 24 h: {d['notion_429_24h']}.</p>"
    )
    return [*out, "</section>"]


def _outbox(status: Status) -> list[str]:
    out = ['<section id="outbox"><h2>Outbox</h2>']
    if "outbox" in status.errors:
        return [*out, f'<p class="bad">{escape(status.errors["outbox"])}</p></section>']
    o = status.outbox
    age = o["oldest_pending_age_s"]
    oldest = "nothing waiting" if age is None else f"oldest waiting {age:.0f} s"
    out.append(
        f"<p>{o['pending']} pending, {o['sending']} sending, {o['sent']} sent, "
        f"{o['dead']} dead; {oldest}.</p>"
    )
    if status.dead_letters:
        rows = [[d["id"], d["source"], d["log_page"], d["error"]] for d in status.dead_letters]
        out += _table("dead", ["dead letter", "source", "log page", "error"], rows, {0})
        out.append("<p>Fix the cause, then <code>brain webhooks retry-dead</code>.</p>")
    return [*out, "</section>"]


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")
