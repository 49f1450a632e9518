"""``brain``: the command line of the Context Index service.

Every command takes ``--workspace DIR`` and ``--config FILE``; ``--json`` output is stable
(documented in the README). Errors print what went wrong and what to do, and exit 2; a sync
that finds invalid pages exits 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from functions.config import BrainConfig, load_config
from functions.runtime import DEMO_MONOLITH, Runtime, utc_now
from router import scan, status_of, sync
from shards import BrainError, SplitError, SplitOptions, apply_split, plan_split

app = typer.Typer(
    name="brain",
    help="Keep a Notion-style Context Index split into shards with claude_delta headers, "
    "serve get_context under a token budget, and log verified webhooks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output is not wrapped at 80 columns: a script reading `brain shards` gets whole rows.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)

Workspace = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Local workspace folder (one markdown file per page); overrides [store].",
        file_okay=True,
    ),
]
ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (default: ./brain.toml if present, else built-in)."
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output (stable).")]


def _runtime(config: Path | None, workspace: Path | None) -> Runtime:
    return Runtime(_config(config, workspace))


def _config(config: Path | None, workspace: Path | None) -> BrainConfig:
    return load_config(config, workspace=workspace)


def _emit_json(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def fail(exc: BrainError) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
    if exc.hint:
        err.print(f"[dim]{escape(exc.hint)}[/]", highlight=False)
    raise typer.Exit(2)


@app.command()
def split(
    monolith: Annotated[Path, typer.Argument(help="The monolithic Context Index markdown file.")],
    workspace: Workspace = None,
    config: ConfigFile = None,
    level: Annotated[
        int | None,
        typer.Option(min=1, max=6, help="Heading level of the domain sections (default: auto)."),
    ] = None,
    max_shard_tokens: Annotated[
        int, typer.Option(min=100, help="Split a domain larger than this at its next level.")
    ] = 12_000,
    min_shard_tokens: Annotated[
        int, typer.Option(min=0, help="Merge a domain smaller than this into its neighbour.")
    ] = 300,
    json: JsonFlag = False,
) -> None:
    """Split MONOLITH into domain shards plus a router page in the workspace.

    Re-running on an edited monolith updates the shards in place: operator-owned header
    fields and the router's notes survive.
    """
    try:
        rt = _runtime(config, workspace)
        text = _read_monolith(monolith)
        options = SplitOptions(
            level=level,
            max_shard_tokens=max_shard_tokens,
            min_shard_tokens=min_shard_tokens,
            reserved_ids=frozenset({"router"}) | rt.log_pages,
        )
        with Progress(console=err, transient=True, disable=json or len(text) < 1_000_000) as bar:
            task = bar.add_task("Counting tokens", total=None)
            plan = plan_split(
                text,
                rt.tokenizer,
                options,
                source=str(monolith),
                progress=lambda n, total: bar.update(task, completed=n, total=total),
            )
        result = apply_split(plan, rt.store)
        report = sync(
            rt.store, rt.tokenizer, now=utc_now(), options=rt.sync_options, seed_notes=plan.intro
        )
    except BrainError as exc:
        fail(exc)
    if json:
        _emit_json(
            {
                "created": list(result.created),
                "updated": list(result.updated),
                "unchanged": list(result.unchanged),
                "orphaned": list(result.orphaned),
                "blocked": list(result.blocked),
                "warnings": list(plan.warnings),
                "sync": report.to_json(),
            }
        )
        return
    out.print(
        f"Split {monolith.name}: {len(plan.shards)} shards "
        f"({len(result.created)} new, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged) at heading level {plan.level}."
    )
    for warning in plan.warnings:
        out.print(f"  [yellow]note:[/] {escape(warning)}", highlight=False)
    for page in result.orphaned:
        out.print(
            f"  [yellow]note:[/] shard page {escape(repr(page))} is no longer in the monolith; "
            "it was left as is (delete or archive it by hand)",
            highlight=False,
        )
    for page in result.blocked:
        out.print(
            f"  [red]blocked:[/] page {escape(repr(page))} exists but is not a valid shard "
            "(see `brain sync`); it was not overwritten. Fix or move it, then split again.",
            highlight=False,
        )
    out.print(report.roll_call())


def _read_monolith(path: Path) -> str:
    if not path.is_file():
        raise SplitError(f"{str(path)!r} is not a file", hint="Give the monolith's file path.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SplitError(
            f"cannot read {str(path)!r}: {exc.strerror}", hint="Check the path and its permissions."
        ) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SplitError(
            f"{str(path)!r} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line})",
            hint="Convert it, e.g. `iconv -f latin1 -t utf-8 FILE > FILE.utf8`.",
        ) from exc


@app.command("sync")
def sync_command(
    workspace: Workspace = None,
    config: ConfigFile = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report, write nothing.")] = False,
    json: JsonFlag = False,
) -> None:
    """Refresh changed shards' headers (tokens, hash, updated) and regenerate the router.

    Exit status 0 when every page is valid, 1 when some page is invalid (it is reported and
    skipped; the rest of the index is still synced).
    """
    try:
        rt = _runtime(config, workspace)
        report = sync(
            rt.store, rt.tokenizer, now=utc_now(), options=rt.sync_options, dry_run=dry_run
        )
    except BrainError as exc:
        fail(exc)
    if json:
        _emit_json(report.to_json())
    else:
        out.print(report.roll_call(), highlight=False)
        for issue in report.invalid:
            out.print(f"  [red]invalid:[/] {escape(issue.message)}", highlight=False)
        for status in report.shards:
            for problem in status.problems:
                out.print(f"  [yellow]check[/] {status.id}: {escape(problem)}", highlight=False)
    raise typer.Exit(1 if report.invalid else 0)


@app.command()
def shards(workspace: Workspace = None, config: ConfigFile = None, json: JsonFlag = False) -> None:
    """List the shards: id, title, tokens, status, updated, header bytes, problems."""
    try:
        rt = _runtime(config, workspace)
        found = scan(rt.store, rt.sync_options)
    except BrainError as exc:
        fail(exc)
    statuses = status_of(found)
    if json:
        _emit_json(
            {
                "shards": [{**s.to_json(), "stale": s.changed} for s in statuses],
                "invalid": [i.to_json() for i in found.invalid],
            }
        )
        return
    table = Table("id", "title", "tokens", "status", "updated", "header", "problems")
    for s in statuses:
        problems = list(s.problems) + (
            ["edited since last sync: run brain sync"] if s.changed else []
        )
        table.add_row(
            s.id,
            escape(s.title),
            "" if s.tokens is None else f"{s.tokens:,}",
            s.status,
            (s.updated_at or "")[:10],
            f"{s.header_bytes} B",
            escape("; ".join(problems)),
        )
    out.print(table)
    total = sum(s.tokens or 0 for s in statuses)
    out.print(f"{len(statuses)} shards, {total:,} tokens.", highlight=False)
    for issue in found.invalid:
        out.print(f"[red]invalid:[/] {escape(issue.message)}", highlight=False)


@app.command()
def context(
    task: Annotated[str, typer.Argument(help="What you are about to do, in plain words.")],
    budget: Annotated[int, typer.Option("--budget", "-b", help="Token ceiling.")] = 4000,
    shard: Annotated[
        list[str] | None, typer.Option("--shard", "-s", help="Include this shard first (repeat).")
    ] = None,
    workspace: Workspace = None,
    config: ConfigFile = None,
    json: JsonFlag = False,
) -> None:
    """Print the context for TASK: the shards and sections it needs, within --budget tokens."""
    try:
        rt = _runtime(config, workspace)
        result = rt.context_service.get_context(task, budget, shard or [])
    except BrainError as exc:
        fail(exc)
    if json:
        _emit_json(result.to_json())
        return
    sys.stdout.write(result.context.rstrip("\n") + "\n")
    err.print(f"[dim]{result.tokens} of {result.budget} tokens[/]", highlight=False)


@app.command()
def serve(
    workspace: Workspace = None,
    config: ConfigFile = None,
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default [serve] host).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default [serve] port, 8080).")] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Load the demo index into an empty workspace and add a 'demo' webhook source.",
        ),
    ] = False,
) -> None:
    """Serve every HTTP function on one port: /context, /webhooks/{source}, /notion/events,
    /sync, /mcp; the webhook drainer runs in the background."""
    import logging

    import uvicorn

    from functions.app import build_app, check_exposure

    try:
        cfg = _config(config, workspace)
        if demo:
            cfg = _demo_config(cfg)
        rt = Runtime(cfg)
        bind = host or cfg.serve.host
        check_exposure(rt, bind)
        if demo:
            _load_demo(rt)
        report = sync(rt.store, rt.tokenizer, now=utc_now(), options=rt.sync_options)
    except BrainError as exc:
        fail(exc)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    the_port = cfg.serve.port if port is None else port
    out.print(report.roll_call(), highlight=False)
    out.print(
        f"Serving the Context Index from {cfg.store.kind} store "
        f"{cfg.resolve(cfg.store.path) if cfg.store.kind == 'local' else cfg.store.root_page_id}"
        f" on http://{bind}:{the_port} (Ctrl-C to stop)",
        highlight=False,
    )
    out.print(
        f"  try: brain context 'rotate the Stripe webhook secret' --budget 2000"
        f"{' -w ' + str(workspace) if workspace else ''}",
        highlight=False,
    )
    if demo:
        out.print(
            '  webhook: brain webhooks send demo --data \'{"event":"test","message":'
            '"Hello"}\'  (in another shell, same folder)',
            highlight=False,
        )
    try:
        uvicorn.run(build_app(rt, host=bind), host=bind, port=the_port, log_level="info")
    finally:
        rt.close()


DEMO_SECRET_ENV = "BRAIN_DEMO_WEBHOOK_SECRET"  # noqa: S105 - the variable's name, not a secret


def _demo_config(cfg: BrainConfig) -> BrainConfig:
    """The demo adds an hmac-sha256 source 'demo' whose secret is an environment variable."""
    import os

    from functions.config import SourceConfig

    os.environ.setdefault(DEMO_SECRET_ENV, "demo-secret-not-for-production")
    if "demo" in cfg.webhooks.sources:
        return cfg
    sources = dict(cfg.webhooks.sources)
    sources["demo"] = SourceConfig(scheme="hmac-sha256", secrets=(f"env:{DEMO_SECRET_ENV}",))
    hooks = cfg.webhooks.model_copy(update={"sources": sources})
    return cfg.model_copy(update={"webhooks": hooks})


def _load_demo(rt: Runtime) -> None:
    """Split the demo monolith into the workspace unless it already holds an index."""
    if any(ref.id == "router" for ref in rt.store.list_pages()):
        return
    text = _read_monolith(DEMO_MONOLITH)
    options = SplitOptions(reserved_ids=frozenset({"router"}) | rt.log_pages)
    plan = plan_split(text, rt.tokenizer, options, source=str(DEMO_MONOLITH))
    apply_split(plan, rt.store)
    out.print(f"Loaded the demo index: {len(plan.shards)} shards from {DEMO_MONOLITH.name}.")


#: Schemes whose event name travels in a header, and that header.
EVENT_HEADERS = {"github": "X-GitHub-Event", "hmac-sha256": "X-Event"}

webhooks_app = typer.Typer(help="Send test webhooks and look after the webhook outbox.")
app.add_typer(webhooks_app, name="webhooks")


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


@webhooks_app.command("status")
def webhooks_status(
    workspace: Workspace = None, config: ConfigFile = None, json: JsonFlag = False
) -> None:
    """Outbox depth, oldest pending age and dead letters."""
    try:
        rt = _runtime(config, workspace)
        stats = rt.outbox.stats(utc_now())
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
    for e in dead:
        out.print(
            escape(f"  dead #{e.id} [{e.source}] -> {e.log_page}: {e.last_error}"), highlight=False
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


@app.command()
def mcp(workspace: Workspace = None, config: ConfigFile = None) -> None:
    """Serve get_context, list_shards and read_shard over MCP on stdio (Claude Code/Desktop)."""
    from functions.mcp_server import run_stdio

    try:
        rt = _runtime(config, workspace)
    except BrainError as exc:
        fail(exc)
    run_stdio(rt)


@app.command()
def deploy(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; nothing is created (required).")
    ] = False,
    output: Annotated[
        str, typer.Option("--format", help="text, gcloud (the commands) or json.")
    ] = "text",
    workspace: Workspace = None,
    config: ConfigFile = None,
) -> None:
    """Print the cloud resources: Cloud Run services, secrets and bindings, the scheduler job.

    Exit status 1 when the config cannot work in the cloud (the plan says why).
    """
    from infra import plan, render_gcloud, render_text

    if not dry_run:
        err.print(
            "brain deploy only plans: run it with --dry-run, then apply the printed gcloud "
            "commands (--format gcloud) or see infra/README.md.",
            highlight=False,
        )
        raise typer.Exit(2)
    if output not in {"text", "gcloud", "json"}:
        err.print(
            f"[bold red]error:[/] --format must be text, gcloud or json, not {escape(repr(output))}"
        )
        raise typer.Exit(2)
    try:
        the_plan = plan(_config(config, workspace))
    except BrainError as exc:
        fail(exc)
    if output == "json":
        _emit_json(the_plan.to_json())
    else:
        text = render_gcloud(the_plan) if output == "gcloud" else render_text(the_plan)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    raise typer.Exit(0 if the_plan.ok else 1)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
