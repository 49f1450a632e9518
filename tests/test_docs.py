"""The docs are part of the product: every CLI command and HTTP route is in the README."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main
from starlette.routing import Route

from config import load_config
from functions.app import build_app
from functions.cli import app as cli_app
from functions.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    group = typer.main.get_command(cli_app)
    names: list[str] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        if subcommands:
            names += [f"{name} {sub}" for sub in subcommands]
        else:
            names.append(name)
    return sorted(names)


def test_the_cli_has_the_commands_the_design_names() -> None:
    expected = {"serve", "context", "shards", "split", "sync", "mcp", "deploy"}
    assert expected <= set(_commands())


def test_every_cli_command_is_documented_in_the_readme() -> None:
    missing = [c for c in _commands() if f"`brain {c}" not in README]
    assert not missing, f"README has no `brain ...` entry for: {missing}"


def test_every_http_route_is_documented_in_the_readme(tmp_path: Path) -> None:
    app = build_app(Runtime(load_config(workspace=tmp_path)), drain=False)
    paths = sorted({r.path for r in app.routes if isinstance(r, Route)})
    assert "/webhooks/{source}" in paths
    missing = [p for p in paths if not re.search(rf"`(GET |POST |){re.escape(p)}`", README)]
    assert not missing, f"README documents no route: {missing}"


def test_the_readme_gives_the_two_set_up_commands_and_ci_runs_the_test_one() -> None:
    assert "make run" in README and "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_command_has_help_text() -> None:
    group = typer.main.get_command(cli_app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert (command.help or "").strip(), f"brain {name} has no --help text"
