"""``brain doctor``: check config, secrets, workspace or Notion root, database, port, clock."""

from __future__ import annotations

from typing import Annotated

import typer

from functions.cli._common import ConfigFile, JsonFlag, Workspace, _emit_json, app, escape, out


@app.command(rich_help_panel="Service")
def doctor(
    workspace: Workspace = None,
    config: ConfigFile = None,
    port: Annotated[int | None, typer.Option(help="Port to check (default [serve] port).")] = None,
    json: JsonFlag = False,
) -> None:
    """Check that this machine can serve: config, secrets, workspace or Notion root, state
    database, port, clock, the embedding model and the fast token counter; each failed check
    says what to do.

    Exit status 0 when nothing failed, 1 otherwise. Secret values are never printed.
    """
    from functions.doctor import run_checks

    checks = list(run_checks(config, workspace, port=port))
    failed = [c for c in checks if c.ok is False]
    if json:
        _emit_json({"ok": not failed, "checks": [c.to_json() for c in checks]})
    else:
        for c in checks:
            mark = {True: "[green]ok  [/]", False: "[red]FAIL[/]", None: "[dim]skip[/]"}[c.ok]
            out.print(f"{mark} {c.name:<9} {escape(c.detail)}", highlight=False, soft_wrap=True)
            if c.fix and c.ok is False:
                out.print(f"     [bold]fix:[/] {escape(c.fix)}", highlight=False, soft_wrap=True)
        verdict = "All checks passed." if not failed else f"{len(failed)} check(s) failed."
        out.print(verdict, highlight=False)
    raise typer.Exit(1 if failed else 0)
