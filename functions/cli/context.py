"""``brain context`` and ``brain mcp``: get_context from the command line and over MCP stdio."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from functions.cli._common import (
    ConfigFile,
    JsonFlag,
    Workspace,
    _emit_json,
    _runtime,
    app,
    err,
    fail,
    say,
)
from shards import BrainError

if TYPE_CHECKING:
    from router import ContextResult


@app.command(rich_help_panel="Context")
def context(
    task: Annotated[str, typer.Argument(help="What you are about to do, in plain words.")],
    budget: Annotated[
        int | None,
        typer.Option(
            "--budget", "-b", help="Token ceiling (default: [context] default_budget, 4000)."
        ),
    ] = None,
    shard: Annotated[
        list[str] | None, typer.Option("--shard", "-s", help="Include this shard first (repeat).")
    ] = None,
    hint: Annotated[
        list[str] | None,
        typer.Option(
            "--hint",
            help="Another phrasing or a few keywords in the notes' own words (repeat); "
            "weighed below TASK.",
        ),
    ] = None,
    workspace: Workspace = None,
    config: ConfigFile = None,
    json: JsonFlag = False,
) -> None:
    """Print the context for TASK: the shards and sections it needs, within --budget tokens."""
    try:
        rt = _runtime(config, workspace)
        service = rt.context_service
        request = {"task": task, "budget": budget, "shards": shard or [], "hints": hint or []}
        with service.saves_deferred():  # the answer first, then the index it built is saved
            result = service.answer(service.parse_request(request))
            _show(result, json)
    except BrainError as exc:
        fail(exc)
    if result.incomplete:
        raise typer.Exit(1)


def _show(result: ContextResult, json: bool) -> None:
    if json:
        _emit_json(result.to_json())
        sys.stdout.flush()
        return
    sys.stdout.write(result.context.rstrip("\n") + "\n")
    sys.stdout.flush()
    say(err, f"{result.tokens} of {result.budget} tokens", style="dim")
    for note in result.notes:
        say(err, note, style="yellow", label="note:")
    if result.incomplete:
        say(
            err,
            f"{len(result.incomplete)} page(s) could not be read whole and were left out: "
            f"{', '.join(result.incomplete)}. Split them into smaller pages, then run "
            "`brain sync`.",
            style="red",
            label="incomplete:",
        )


@app.command(rich_help_panel="Context")
def mcp(workspace: Workspace = None, config: ConfigFile = None) -> None:
    """Serve get_context, list_shards and read_shard over MCP on stdio (Claude Code/Desktop)."""
    from functions.mcp_server import run_stdio

    try:
        rt = _runtime(config, workspace)
    except BrainError as exc:
        fail(exc)
    run_stdio(rt)
