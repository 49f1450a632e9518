"""Shared parts of the ``brain`` commands: the Typer app, consoles, options, error exit."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, cast

import orjson
import typer

from config import BrainConfig, ConfigError, load_config
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
    rich_markup_mode=None,
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

    @property
    def stderr(self) -> bool:
        return bool(self._options.get("stderr"))

    def plain(self, stream: Any) -> bool:
        """Whether rich would print to ``stream`` without styles: not a terminal, no color
        forced (the environment variables rich itself reads), no console made yet."""
        if self._console is not None:
            return False
        forced = any(os.environ.get(v) for v in ("FORCE_COLOR", "TTY_COMPATIBLE"))
        isatty = getattr(stream, "isatty", None)
        return not forced and not (isatty is not None and isatty())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.resolve(), name)


def rich_console(console: Console) -> Console:
    """The real Console behind ``out`` or ``err`` (for rich objects that take one)."""
    return console.resolve() if isinstance(console, _LazyConsole) else console


out = cast("Console", _LazyConsole(width=None if sys.stdout.isatty() else 200))
err = cast("Console", _LazyConsole(stderr=True))


def say(console: Console, text: str, *, style: str = "", label: str = "") -> None:
    """Print one message line: ``label`` (styled) then ``text`` (taken literally).

    To a terminal, or with ``FORCE_COLOR`` set, rich styles it. Piped, where rich would only
    strip the styles and wrap the line at 80 columns, it is written as it is: one unwrapped
    line a log or a script can read, and a one-shot ``brain context`` does not load rich.
    """
    stream = sys.stderr if getattr(console, "stderr", False) else sys.stdout
    if isinstance(console, _LazyConsole) and console.plain(stream):
        stream.write(f"{label} {text}\n" if label else f"{text}\n")
        return
    body = escape(text)
    if label:
        line = f"[{style}]{escape(label)}[/] {body}" if style else f"{escape(label)} {body}"
    else:
        line = f"[{style}]{body}[/]" if style else body
    console.print(line, highlight=False, soft_wrap=True)


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


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"brain {package_version()}\n")
        raise typer.Exit(0)


def package_version() -> str:
    """The installed version of the ``context-index`` distribution."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("context-index")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


@app.callback()
def _each_command(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Close what a command opened (store connections, the outbox) when it ends."""
    ctx.call_on_close(_close_runtimes)


def _close_runtimes() -> None:
    while _opened:
        _opened.pop().close()


def _runtime(config: Path | None, workspace: Path | None, *, create: bool = False) -> Runtime:
    """The command's runtime, closed when the command ends.

    The local workspace must exist unless the command creates one (``create``: ``brain
    split``): a mistyped path is an error, not an empty index.
    """
    cfg = _config(config, workspace)
    if not create:
        require_workspace(cfg)
    runtime = Runtime(cfg)
    _opened.append(runtime)
    return runtime


def require_workspace(cfg: BrainConfig) -> None:
    """Refuse a local workspace folder that does not exist (ConfigError naming it)."""
    if cfg.store.kind != "local":
        return
    folder = cfg.resolve(cfg.store.path)
    if folder.is_dir():
        return
    what = "is a file, not a folder" if folder.exists() else "does not exist"
    raise ConfigError(
        f"workspace {str(folder)!r} {what}",
        hint="Check --workspace (or [store] path / BRAIN_STORE__PATH). To create one: "
        "'brain split MONOLITH.md -w DIR' or 'brain serve --demo -w DIR'.",
    )


def _config(config: Path | None, workspace: Path | None) -> BrainConfig:
    return load_config(config, workspace=workspace)


def _emit_json(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def fail(exc: BrainError) -> NoReturn:
    say(err, exc.message, style="bold red", label="error:")
    if exc.hint:
        say(err, exc.hint, style="dim")
    raise typer.Exit(2)
