"""Shared parts of the ``brain`` commands: the Typer app, consoles, options, error exit."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, cast

import orjson
import typer

from functions.config import BrainConfig, load_config
from functions.runtime import Runtime
from shards import BrainError

if TYPE_CHECKING:
    from rich.console import Console

app = typer.Typer(
    name="brain",
    help="Keep a Notion-style Context Index split into shards with claude_delta headers, "
    "serve get_context under a token budget, and log verified webhooks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# Piped output is not wrapped at 80 columns: a script reading `brain shards` gets whole rows.
class _LazyConsole:
    """A rich Console made on first use: ``import functions.cli`` does not load rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    def resolve(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return cast("Console", self._console)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.resolve(), name)


def rich_console(console: Console) -> Console:
    """The real Console behind ``out`` or ``err`` (for rich objects that take one)."""
    return console.resolve() if isinstance(console, _LazyConsole) else console


out = cast("Console", _LazyConsole(width=None if sys.stdout.isatty() else 200))
err = cast("Console", _LazyConsole(stderr=True))


def escape(text: str) -> str:
    """``rich.markup.escape``, imported when a command prints."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


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
