"""``brain deploy --dry-run``: the cloud resources a config asks for."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from functions.cli._common import (
    ConfigFile,
    Workspace,
    _config,
    _emit_json,
    app,
    err,
    escape,
    fail,
)
from shards import BrainError


@app.command(rich_help_panel="Service")
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
