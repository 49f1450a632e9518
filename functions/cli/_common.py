"""Shared parts of the ``brain`` commands: the Typer app, consoles, options, error exit."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from config import BrainConfig, load_config
from functions.runtime import Runtime
from shards import BrainError

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


_opened: list[Runtime] = []


@app.callback()
def _each_command(ctx: typer.Context) -> None:
    """Close what a command opened (store connections, the outbox) when it ends."""
    ctx.call_on_close(_close_runtimes)


def _close_runtimes() -> None:
    while _opened:
        _opened.pop().close()


def _runtime(config: Path | None, workspace: Path | None) -> Runtime:
    """The command's runtime, closed when the command ends."""
    runtime = Runtime(_config(config, workspace))
    _opened.append(runtime)
    return runtime


def _config(config: Path | None, workspace: Path | None) -> BrainConfig:
    return load_config(config, workspace=workspace)


def _emit_json(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def fail(exc: BrainError) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
    if exc.hint:
        err.print(f"[dim]{escape(exc.hint)}[/]", highlight=False)
    raise typer.Exit(2)
