"""``brain webhooks send|status|retry-dead``: sending signed test events, minding the outbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.markup import escape

from functions.cli._common import (
    ConfigFile,
    JsonFlag,
    Workspace,
    _config,
    _emit_json,
    _runtime,
    app,
    err,
    fail,
    out,
)
from functions.cli.serve import _demo_config
from functions.runtime import Runtime, utc_now
from shards import BrainError

EVENT_HEADERS = {"github": "X-GitHub-Event", "hmac-sha256": "X-Event"}

webhooks_app = typer.Typer(help="Send test webhooks and look after the webhook outbox.")
app.add_typer(webhooks_app, name="webhooks", rich_help_panel="Service")


@webhooks_app.command("send")
def webhooks_send(
    source: Annotated[str, typer.Argument(help="A configured source name.")],
    data: Annotated[str, typer.Option("--data", "-d", help="The body to send (JSON text).")],
    url: Annotated[
        str | None, typer.Option(help="Service base URL (default: http://[serve] host:port).")
    ] = None,
    event: Annotated[
        str | None, typer.Option(help="Event name header, where the scheme has one.")
    ] = None,
    delivery_id: Annotated[
        str | None,
        typer.Option(
            "--delivery-id",
            help="The delivery's id: a retry with the same id is logged once (deduplicated).",
        ),
    ] = None,
    workspace: Workspace = None,
    config: ConfigFile = None,
    json: JsonFlag = False,
) -> None:
    """Sign DATA with SOURCE's scheme and first secret, and POST it to /webhooks/SOURCE.

    This is how cron jobs and Claude Code sessions send, and the self-test ping.
    """
    import httpx

    from functions.webhooks.schemes import get_scheme

    try:
        cfg = _config(config, workspace)
        if source == "demo":
            cfg = _demo_config(cfg)
        src = cfg.webhooks.sources.get(source)
        if src is None or not src.secrets:
            raise BrainError(
                f"no webhook source {source!r} with a secret in the config",
                hint="Add [webhooks.sources.NAME] with scheme and secrets to brain.toml.",
            )
        secret = Runtime(cfg).secrets.resolve(src.secrets[0])
        body = data.encode()
        now = utc_now()
        headers = get_scheme(src.scheme).sign(body, secret, now=now, delivery_id=delivery_id)
        headers["Content-Type"] = "application/json"
        if event:
            if src.scheme not in EVENT_HEADERS:
                raise BrainError(
                    f"scheme {src.scheme!r} takes the event name from the payload, not a header",
                    hint='Put it in the body (Stripe/Standard/Notion: "type"), drop --event.',
                )
            headers[EVENT_HEADERS[src.scheme]] = event
        base = url or f"http://{cfg.serve.host}:{cfg.serve.port}"
        response = httpx.post(
            f"{base.rstrip('/')}/webhooks/{source}", content=body, headers=headers
        )
    except httpx.HTTPError as exc:
        err.print(
            f"[bold red]error:[/] cannot reach {escape(base)}: {escape(str(exc))}", highlight=False
        )
        raise typer.Exit(2) from None
    except BrainError as exc:
        fail(exc)
    try:
        answer: Any = response.json()
    except ValueError:  # a proxy's HTML error page, say
        answer = response.text
    if json:
        _emit_json({"status": response.status_code, "body": answer})
    else:
        out.print(f"{response.status_code} {escape(response.text)}", highlight=False)
    raise typer.Exit(0 if response.status_code < 300 else 1)


#: Unsent events older than this are reported as stranded: a working drainer is long done.
STRANDED_AFTER = timedelta(minutes=10)


@webhooks_app.command("status")
def webhooks_status(
    workspace: Workspace = None, config: ConfigFile = None, json: JsonFlag = False
) -> None:
    """Outbox depth, oldest pending age, and per log page: unsent, stranded and dead events.

    Stranded: unsent for more than 10 minutes (the drainer is failing or not running). Dead:
    refused for good (the reason is listed); replay with 'brain webhooks retry-dead'.
    """
    try:
        rt = _runtime(config, workspace)
        now = utc_now()
        stats = rt.outbox.stats(now)
        pages = rt.outbox.page_stats(now, STRANDED_AFTER)
        dead = rt.outbox.dead_letters()
    except BrainError as exc:
        fail(exc)
    if json:
        _emit_json(
            {
                "pending": stats.pending,
                "sending": stats.sending,
                "sent": stats.sent,
                "dead": stats.dead,
                "oldest_pending_age_s": stats.oldest_pending_age_s,
                "stranded_after_s": STRANDED_AFTER.total_seconds(),
                "pages": [
                    {
                        "page": p.page,
                        "unsent": p.unsent,
                        "stranded": p.stranded,
                        "dead": p.dead,
                        "oldest_unsent_age_s": p.oldest_unsent_age_s,
                    }
                    for p in pages
                ],
                "dead_letters": [
                    {"id": e.id, "source": e.source, "log_page": e.log_page, "error": e.last_error}
                    for e in dead
                ],
            }
        )
        return
    age = "-" if stats.oldest_pending_age_s is None else f"{stats.oldest_pending_age_s:.1f}s"
    out.print(
        f"Webhook outbox: {stats.pending} pending, {stats.sending} sending, {stats.sent} sent, "
        f"{stats.dead} dead. Oldest pending: {age}.",
        highlight=False,
    )
    for p in pages:
        oldest = "" if p.oldest_unsent_age_s is None else f", oldest {p.oldest_unsent_age_s:.0f}s"
        out.print(
            escape(
                f"  page {p.page}: {p.unsent} unsent ({p.stranded} stranded{oldest}), {p.dead} dead"
            ),
            highlight=False,
        )
    if any(p.stranded for p in pages):
        out.print(
            "  Stranded events wait more than "
            f"{STRANDED_AFTER.total_seconds() / 60:.0f} min: is 'brain serve' (or the /sync job) "
            "running, and can it reach the store? Its log says why.",
            highlight=False,
        )
    for e in dead:
        out.print(
            escape(f"  dead #{e.id} [{e.source}] -> {e.log_page}: {e.last_error}"), highlight=False
        )
    if dead:
        out.print(
            "  Fix the cause named above, then: brain webhooks retry-dead [ID...]", highlight=False
        )


@webhooks_app.command("retry-dead")
def webhooks_retry_dead(
    ids: Annotated[list[int] | None, typer.Argument(help="Dead-letter ids (default: all).")] = None,
    workspace: Workspace = None,
    config: ConfigFile = None,
) -> None:
    """Put dead letters back in the queue; the drainer appends them on its next round."""
    try:
        rt = _runtime(config, workspace)
        count = rt.outbox.retry_dead(ids or None)
    except BrainError as exc:
        fail(exc)
    out.print(f"{count} dead letter(s) queued again.", highlight=False)
