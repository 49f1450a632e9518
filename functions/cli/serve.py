"""``brain serve``: every HTTP function on one port, and the demo set-up behind ``--demo``."""

from __future__ import annotations

import errno
import socket
from typing import Annotated

import typer

from config import BrainConfig, ConfigError
from functions.cli._common import (
    ConfigFile,
    Workspace,
    _config,
    app,
    fail,
    out,
    require_workspace,
)
from functions.cli.index import _read_monolith
from functions.runtime import DEMO_MONOLITH, Runtime, utc_now
from router import sync
from shards import BrainError


@app.command(rich_help_panel="Service")
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
    """Serve every HTTP function on one port, with the webhook drainer in the background.

    Routes: /context, /webhooks/{source}, /notion/events, /sync, /healthz, /status
    (and /status.json) and /mcp.
    """
    import logging

    import uvicorn

    from functions.app import build_app, check_exposure
    from functions.logs import configure_logging

    try:
        cfg = _config(config, workspace)
        if demo:
            cfg = _demo_config(cfg)
        else:
            require_workspace(cfg)
        rt = Runtime(cfg)
        address = host or cfg.serve.host
        the_port = cfg.serve.port if port is None else port
        check_exposure(rt, address)
        rt.check_secrets()  # every one now, naming the one that fails; not a caller's 503 later
        sock = listen(address, the_port)  # before the sync: a busy port fails at once
    except BrainError as exc:
        fail(exc)
    try:
        if demo:
            _load_demo(rt)
        report = sync(rt.store, rt.tokenizer, now=utc_now(), options=rt.sync_options)
        rt.record_sync(report)
    except BrainError as exc:
        sock.close()
        rt.close()
        fail(exc)
    configure_logging(logging.INFO)  # text here; JSON for Cloud Logging when K_SERVICE is set
    out.print(report.roll_call(), highlight=False)
    out.print(
        f"Serving the Context Index from {cfg.store.kind} store "
        f"{cfg.resolve(cfg.store.path) if cfg.store.kind == 'local' else cfg.store.root_page_id}"
        f" on http://{address}:{the_port} (Ctrl-C to stop)",
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
    if rt.semantic is not None:
        out.print(
            "  ranking by meaning once every passage has its vector (embedded in the "
            "background; answers say when they are ranked by words only)",
            highlight=False,
        )
    server = uvicorn.Server(uvicorn.Config(build_app(rt, host=address), log_level="info"))
    try:
        # uvicorn handles SIGINT/SIGTERM: it stops accepting, lets in-flight requests finish,
        # then runs the app's shutdown (the drainer stops between batches).
        server.run(sockets=[sock])
    finally:
        sock.close()
        rt.close()


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or a ConfigError that says how to pick another."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    try:
        sock = socket.create_server((host.strip("[]"), port), family=family, backlog=2048)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            problem = f"port {port} on {host} is already in use"
        elif exc.errno == errno.EACCES:
            problem = f"not allowed to listen on port {port} on {host}"
        else:
            problem = f"cannot listen on {host}:{port} ({exc.strerror or exc})"
        other = port + 1 if 0 < port < 65535 else 8081
        # One line, the fix included: this is the first thing a newcomer's second server says.
        raise ConfigError(
            f"{problem}: stop the other server or choose another port with --port {other} "
            f"(or BRAIN_SERVE__PORT={other})"
        ) from exc
    # Accepted connections inherit this on Linux. Without it a socket handed to uvicorn (which
    # sets no-delay only on sockets it binds itself) answers every request ~40 ms late: Nagle's
    # algorithm holds the response's last segment until the client's delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


DEMO_SECRET_ENV = "BRAIN_DEMO_WEBHOOK_SECRET"  # noqa: S105 - the variable's name, not a secret


def _demo_config(cfg: BrainConfig) -> BrainConfig:
    """The demo adds an hmac-sha256 source 'demo' whose secret is an environment variable."""
    import os

    from config import SourceConfig

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
    from shards import SplitOptions, apply_split, plan_split  # the demo's split only

    options = SplitOptions(reserved_ids=frozenset({"router"}) | rt.log_pages)
    plan = plan_split(text, rt.tokenizer, options, source=str(DEMO_MONOLITH))
    apply_split(plan, rt.store)
    out.print(f"Loaded the demo index: {len(plan.shards)} shards from {DEMO_MONOLITH.name}.")
