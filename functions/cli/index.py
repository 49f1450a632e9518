"""``brain split``, ``brain sync``, ``brain shards``: keeping the index current."""

from __future__ import annotations

import os
from pathlib import Path
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
    escape,
    fail,
    out,
    rich_console,
)
from functions.runtime import Runtime, utc_now
from router import scan, status_of, sync
from shards import BrainError, SplitError


@app.command(rich_help_panel="Index")
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
    from shards import SplitOptions, apply_split, plan_split  # split's own: loaded for it

    try:
        rt = _runtime(config, workspace, create=True)
        text = _read_monolith(monolith)
        options = SplitOptions(
            level=level,
            max_shard_tokens=max_shard_tokens,
            min_shard_tokens=min_shard_tokens,
            reserved_ids=frozenset({"router"}) | rt.log_pages,
        )
        from rich.progress import Progress

        with Progress(
            console=rich_console(err), transient=True, disable=json or len(text) < 1_000_000
        ) as bar:
            task = bar.add_task("Counting tokens", total=None)
            plan = plan_split(
                text,
                rt.tokenizer,
                options,
                source=str(monolith),
                progress=lambda n, total: bar.update(task, completed=n, total=total),
            )
        with Progress(console=rich_console(err), transient=True, disable=json) as bar:
            publishing = bar.add_task("Writing shards", total=len(plan.shards))

            def wrote(shard: str, done: int, total: int) -> None:
                bar.update(publishing, completed=done, description=f"Wrote {shard}")
                if not json and not err.is_terminal:  # a log, not a bar: one line a shard
                    err.print(f"shard {done}/{total}: {shard}", highlight=False)

            result = apply_split(
                plan, rt.store, tokenizer=rt.tokenizer, now=utc_now(), progress=wrote
            )
        report = sync(
            rt.store, rt.tokenizer, now=utc_now(), options=rt.sync_options, seed_notes=plan.intro
        )
        rt.record_sync(report)
        _embed(rt, quiet=json)
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


def _embed(rt: Runtime, *, quiet: bool) -> None:
    """Give every passage its meaning vector (get_context's semantic signal), showing
    progress on stderr; a failure is a note, never the command's: words still rank."""
    from rich.progress import Progress

    if rt.semantic is None:
        return
    service = rt.context_service
    try:
        with Progress(console=rich_console(err), transient=True, disable=quiet) as bar:
            task = bar.add_task("Embedding passages", total=None)
            cover = service.embed(  # a foreground command: every core
                progress=lambda n, total: bar.update(task, completed=n, total=total),
                threads=os.cpu_count() or 1,
            )
    except (OSError, ValueError, RuntimeError) as exc:
        err.print(
            f"[yellow]note:[/] passage vectors not computed ({escape(str(exc))}); get_context "
            "ranks by words until a later `brain sync` computes them",
            highlight=False,
        )
        return
    if cover is not None and not quiet:
        err.print(f"[dim]{cover.passages} passages embedded for meaning search[/]", highlight=False)


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


@app.command("sync", rich_help_panel="Index")
def sync_command(
    workspace: Workspace = None,
    config: ConfigFile = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report, write nothing.")] = False,
    adopt: Annotated[
        bool,
        typer.Option(
            "--adopt",
            help="Give pages that have no header at all a generated shard header "
            "(pages with a broken header are only reported).",
        ),
    ] = False,
    json: JsonFlag = False,
) -> None:
    """Refresh changed shards' headers (tokens, hash, updated) and regenerate the router.

    Exit status 0 when every page is valid, 1 when some page is invalid or some file in the
    workspace cannot be a page (each is reported and skipped; the rest is still synced).
    """
    try:
        rt = _runtime(config, workspace)
        report = sync(
            rt.store,
            rt.tokenizer,
            now=utc_now(),
            options=rt.sync_options,
            dry_run=dry_run,
            adopt=adopt,
        )
        rt.record_sync(report)
        if not dry_run:
            _embed(rt, quiet=json)
    except BrainError as exc:
        fail(exc)
    if json:
        _emit_json(report.to_json())
    else:
        out.print(report.roll_call(), highlight=False)
        for page in report.adopted:
            shard = next(st.id for st in report.shards if st.page_id == page)
            out.print(
                f"  [green]adopted:[/] page {escape(repr(page))} is now shard {shard!r} with a "
                "generated header; edit its summary and fetch_when to taste",
                highlight=False,
            )
        for issue in report.invalid:
            out.print(f"  [red]invalid:[/] {escape(issue.message)}", highlight=False)
        for notice in report.notices:
            out.print(f"  [yellow]note:[/] {escape(notice)}", highlight=False)
        for u in report.unusable:
            out.print(
                f"  [red]unusable:[/] {escape(u.file)}: {escape(u.reason)}. {escape(u.hint)}",
                highlight=False,
            )
        for status in report.shards:
            for problem in status.problems:
                out.print(f"  [yellow]check[/] {status.id}: {escape(problem)}", highlight=False)
    raise typer.Exit(1 if report.invalid or report.unusable else 0)


@app.command(rich_help_panel="Index")
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
    from rich.table import Table

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
