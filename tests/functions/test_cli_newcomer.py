"""The command line a newcomer meets: help that keeps config names, --version, a missing
workspace refused, a busy port explained in one line, a dependency floor that matches."""

from __future__ import annotations

import os
import re
import socket
import tomllib
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import click
import pytest
import typer.main
from packaging.requirements import Requirement
from typer.testing import CliRunner

from functions.cli import app
from tests.env import foreign

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if foreign(name):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def brain(*args: str | Path) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def all_commands() -> Iterator[tuple[list[str], click.Command]]:
    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subs = getattr(command, "commands", None)
        if subs:
            for sub, subcommand in subs.items():
                yield [name, sub], subcommand
        else:
            yield [name], command


# -- --help ---------------------------------------------------------------------------------


def test_help_keeps_every_bracketed_config_name_it_was_given() -> None:
    checked = 0
    for path, command in all_commands():
        texts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
        names = {n for text in texts for n in re.findall(r"\[[a-z_.]+\]", text)}
        if not names:
            continue
        shown = " ".join(brain(*path, "--help").output.split())
        for name in names:
            assert name in shown, f"brain {' '.join(path)} --help lost {name}"
            checked += 1
    assert checked >= 3  # [store], [serve] host, [serve] port at least


def test_serve_help_says_which_config_keys_its_options_override() -> None:
    shown = " ".join(brain("serve", "--help").output.split())
    assert "overrides [store]" in shown
    assert "default [serve] host" in shown and "default [serve] port" in shown
    assert "overrides ." not in shown


# -- --version ------------------------------------------------------------------------------


def test_version_prints_the_installed_version() -> None:
    result = brain("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"brain {version('context-index')}"


# -- a workspace that does not exist --------------------------------------------------------

READING = [
    ["context", "dns"],
    ["shards"],
    ["sync"],
    ["mcp"],
    ["serve"],
    ["webhooks", "status"],
    ["webhooks", "retry-dead"],
]


@pytest.mark.parametrize("command", READING, ids=" ".join)
def test_a_workspace_that_does_not_exist_is_an_error_naming_it(
    command: list[str], tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-workspace"
    result = brain(*command, "-w", missing)

    assert result.exit_code == 2, result.output
    assert "does not exist" in result.stderr and "no-such-workspace" in result.stderr
    assert "brain split" in result.stderr  # how to make one
    assert not missing.exists()  # nothing created behind the operator's back


def test_the_workspace_from_the_config_file_is_checked_too(tmp_path: Path) -> None:
    (tmp_path / "brain.toml").write_text('[store]\npath = "typo-workspace"\n')
    result = brain("shards")
    assert result.exit_code == 2
    assert "typo-workspace" in result.stderr and "does not exist" in result.stderr


def test_split_creates_the_workspace_it_is_given(tmp_path: Path) -> None:
    monolith = tmp_path / "index.md"
    monolith.write_text("# Index\n\n## Infra\n\nCloud Run in us-central1.\n\n## People\n\nAlice.\n")
    result = brain("split", monolith, "-w", tmp_path / "new-ws")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new-ws" / "router.md").is_file()


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock.getsockname()[1]


def test_serve_demo_may_create_its_workspace(tmp_path: Path, busy_port: int) -> None:
    # The busy port stops it before serving: past the workspace check, at the port.
    result = brain("serve", "--demo", "-w", tmp_path / "demo-ws", "--port", str(busy_port))
    assert result.exit_code == 2
    assert "does not exist" not in result.stderr
    assert "already in use" in result.stderr


# -- a port in use --------------------------------------------------------------------------


def test_a_port_in_use_is_one_line_with_the_fix_and_exit_2(tmp_path: Path, busy_port: int) -> None:
    (tmp_path / "ws").mkdir()
    result = brain("serve", "-w", tmp_path / "ws", "--port", str(busy_port))

    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    (line,) = lines
    assert f"port {busy_port} on 127.0.0.1 is already in use" in line
    assert f"--port {busy_port + 1}" in line and f"BRAIN_SERVE__PORT={busy_port + 1}" in line
    assert "Traceback" not in result.output


def test_the_serving_socket_sends_without_delay() -> None:
    """A socket handed to uvicorn keeps Nagle's algorithm unless we turn it off: every answer
    then waits for the client's delayed ACK (measured: 44 ms a request instead of 0.5 ms)."""
    from functions.cli.serve import listen

    with listen("127.0.0.1", 0) as sock:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


# -- the mcp dependency floor ---------------------------------------------------------------


def test_the_mcp_floor_admits_no_release_without_the_api_the_code_imports() -> None:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    reqs = {Requirement(d).name: Requirement(d) for d in deps}
    # functions.mcp_server imports mcp.server.mcpserver.MCPServer and mcp_types: both 2.0+.
    assert not reqs["mcp"].specifier.contains("1.30.0")
    assert reqs["mcp"].specifier.contains("2.0.0")
    assert reqs["mcp"].specifier.contains(version("mcp"))
    assert "mcp-types" in reqs  # imported directly, so declared directly
    assert reqs["mcp-types"].specifier.contains(version("mcp-types"))
    from mcp.server.mcpserver import MCPServer  # noqa: F401 - the API the floor promises
