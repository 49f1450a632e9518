"""``brain context`` and ``brain mcp``: get_context from the command line and over MCP stdio."""

from __future__ import annotations

import sys
from typing import Annotated

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
        result = service.answer(service.parse_request(request))
    except BrainError as exc:
        fail(exc)
    if json:
        _emit_json(result.to_json())
        raise typer.Exit(1 if result.incomplete else 0)
    sys.stdout.write(result.context.rstrip("\n") + "\n")
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
        raise typer.Exit(1)


@app.command(rich_help_panel="Context")
def mcp(workspace: Workspace = None, config: ConfigFile = None) -> None:
    """Serve get_context, list_shards and read_shard over MCP on stdio (Claude Code/Desktop)."""
    from functions.mcp_server import run_stdio

    try:
        rt = _runtime(config, workspace)
    except BrainError as exc:
        fail(exc)
    run_stdio(rt)
