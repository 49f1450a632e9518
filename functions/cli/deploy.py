"""``brain deploy``: plan the cloud resources a config asks for, and apply them.

The one place ``functions`` imports ``infra``: this command is the deployment's entry point
(it decodes options, calls ``infra.plan`` / ``infra.apply``, encodes the outcome); ``infra``
never imports ``functions``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

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
    out,
)
from shards import BrainError

if TYPE_CHECKING:
    from infra import Change, DeployPlan

MCP_ADD = (
    "claude mcp add --transport http brain {url}/mcp "
    "--header 'Authorization: Bearer ${{BRAIN_AUTH_TOKEN}}'"
)


@app.command(rich_help_panel="Service")
def deploy(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; nothing is created.")
    ] = False,
    output: Annotated[
        str, typer.Option("--format", help="With --dry-run: text, gcloud (the commands) or json.")
    ] = "text",
    as_json: Annotated[
        bool, typer.Option("--json", help="With --dry-run: the plan as JSON (= --format json).")
    ] = False,
    api_endpoint: Annotated[
        str | None,
        typer.Option(
            "--api-endpoint",
            hidden=True,
            help="Send every Google API call to this URL (an emulator or a test fake).",
        ),
    ] = None,
    workspace: Workspace = None,
    config: ConfigFile = None,
) -> None:
    """Create or update the cloud deployment (Cloud Run, secrets, IAM, scheduler); --dry-run plans.

    Idempotent: a second run changes nothing and says so.
    It stops before any service while a secret has no value or the image is not pushed,
    listing the command that adds each, and at the first failure with what to do.
    Exit status 1 when the config cannot work in the cloud or a step fails.
    """
    from infra import plan as make_plan
    from infra import render_gcloud, render_text

    if as_json:
        output = "json"
    if output not in {"text", "gcloud", "json"}:
        err.print(
            f"[bold red]error:[/] --format must be text, gcloud or json, not {escape(repr(output))}"
        )
        raise typer.Exit(2)
    try:
        the_plan = make_plan(_config(config, workspace))
    except BrainError as exc:
        fail(exc)
    if dry_run:
        if output == "json":
            _emit_json(the_plan.to_json())
        else:
            text = render_gcloud(the_plan) if output == "gcloud" else render_text(the_plan)
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        raise typer.Exit(0 if the_plan.ok else 1)
    if not the_plan.ok:
        sys.stdout.write(render_text(the_plan))
        err.print("[bold red]error:[/] the plan has errors; nothing was deployed.")
        raise typer.Exit(1)
    _apply(the_plan, api_endpoint)


def _apply(the_plan: DeployPlan, api_endpoint: str | None) -> None:
    from infra import Clients, DeployError, apply

    def show(change: Change) -> None:
        style = "dim" if change.action == "unchanged" else "green"
        out.print(f"  [{style}]{escape(str(change))}[/]", highlight=False)

    out.print(f"Deploying to project {the_plan.project}, region {the_plan.region}", highlight=False)
    try:
        clients = Clients.connect(api_endpoint=api_endpoint)
        try:
            report = apply(
                the_plan,
                clients,
                progress=show,
                notice=lambda text: err.print(f"  [dim]{escape(text)}[/]", highlight=False),
            )
        finally:
            clients.close()
    except DeployError as exc:
        # soft_wrap: the commands in the message must stay one line each, to copy and paste
        err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)
        if exc.hint:
            err.print(escape(exc.hint), highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    changed = report.changed
    if changed:
        out.print(
            f"Deployed: {len(changed)} change(s), {len(report.changes) - len(changed)} "
            "resource(s) already as planned.",
            highlight=False,
        )
    else:
        out.print(
            f"No changes: all {len(report.changes)} resources are already as planned.",
            highlight=False,
        )
    for target, url in sorted(report.urls.items()):
        out.print(f"  {target:<14} {url}", highlight=False)
    if "mcp" in report.urls and any(s.public for s in the_plan.services if s.target == "mcp"):
        out.print("Claude Code:", highlight=False)
        command = MCP_ADD.format(url=report.urls["mcp"])
        out.print("  " + escape(command), highlight=False, soft_wrap=True)
