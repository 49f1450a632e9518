"""What entry points import: the router's front door only, and nothing heavy up front.

A cold ``brain context`` pays for every module ``import functions.cli`` loads, so the
modules only some commands need (database drivers, the secret detector, rich, the Notion and
Google clients, the MCP SDK, the HTTP server, numpy) are imported where they are used.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Top-level modules a command imports only when it uses them.
HEAVY = (
    "psycopg",
    "psycopg_pool",
    "detect_secrets",
    "rich",
    "notion_client",
    "mcp",
    "starlette",
    "uvicorn",
    "httpx",
    "numpy",
    "tiktoken",
    "functions_framework",
)
#: ``google`` and ``google.cloud`` are namespace packages site-packages' .pth files load at
#: interpreter start; anything under them is a real import.
NAMESPACES = frozenset({"google", "google.cloud"})


def _loaded_after(statement: str) -> list[str]:
    probe = f"{statement}; import sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return list(json.loads(out.stdout))


def _heavy(modules: list[str]) -> list[str]:
    found = {m.split(".")[0] for m in modules if m.split(".")[0] in HEAVY}
    found |= {m for m in modules if m.startswith("google.") and m not in NAMESPACES}
    return sorted(found)


def test_importing_the_cli_loads_nothing_heavy() -> None:
    assert _heavy(_loaded_after("import functions.cli")) == []


def test_the_probe_sees_a_heavy_import_when_there_is_one() -> None:
    assert "numpy" in _heavy(_loaded_after("import functions.cli; import router.select"))


#: Records which entry-point groups are looked up (pydantic binds ``entry_points`` when it is
#: imported, so the spy is in place first), then loads the CLI and validates a config.
_PLUGIN_PROBE = """
import importlib.metadata, json
groups = []
real = importlib.metadata.entry_points
def spy(*args, **kwargs):
    groups.append(kwargs.get("group"))
    return real(*args, **kwargs)
importlib.metadata.entry_points = spy
import functions.cli
from config import load_config
load_config()
print(json.dumps(groups))
"""


def _entry_point_groups(**env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    out = subprocess.run(
        [sys.executable, "-c", _PLUGIN_PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**clean, **env},
    )
    return list(json.loads(out.stdout))


def test_the_cli_skips_pydantics_plugin_scan() -> None:
    # The scan reads the entry points of every installed distribution: tens of ms a command.
    assert "pydantic" not in _entry_point_groups()


def test_the_plugin_scan_still_runs_when_the_environment_asks_for_plugins() -> None:
    assert "pydantic" in _entry_point_groups(PYDANTIC_DISABLE_PLUGINS="")


@pytest.mark.parametrize(
    ("statement", "allowed"),
    [
        ("import router", ()),
        ("import functions", ()),
        ("import functions.webhooks", ()),
    ],
)
def test_front_doors_load_their_heavy_parts_on_first_use(
    statement: str, allowed: tuple[str, ...]
) -> None:
    assert [m for m in _heavy(_loaded_after(statement)) if m not in allowed] == []


def _router_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("router."):
                found.append(f"{name}:{node.lineno}: from {node.module}")
        elif isinstance(node, ast.Import):
            found += [
                f"{name}:{node.lineno}: import {alias.name}"
                for alias in node.names
                if alias.name.startswith("router.")
            ]
    return found


def test_entry_points_import_the_router_through_its_front_door_only() -> None:
    files = [*sorted((ROOT / "functions").rglob("*.py")), ROOT / "main.py"]
    assert len(files) > 20
    behind = [hit for f in files for hit in _router_imports(f)]
    assert behind == [], "import these from `router` (add them to its __all__):\n" + "\n".join(
        behind
    )


def test_the_scan_finds_an_import_behind_the_front_door(tmp_path: Path) -> None:
    sample = tmp_path / "probe.py"
    sample.write_text("import router\n\ndef f():\n    from router.service import X\n")
    assert _router_imports(sample) == ["probe.py:4: from router.service"]


#: What a ``brain context`` answered from the saved index never needs: the markdown parser
#: (nothing is parsed), the secret detector and ``requests`` (redaction keeps detect-secrets'
#: regexes itself and imports it only for a JWT-shaped match), database drivers and clients,
#: pydantic-settings with the asyncio it brings (config.env reads the environment), rich
#: (piped, the footer lines are written plain: ``functions.cli._common.say``), tiktoken (the
#: answer's count is summed from counts the saved index keeps) and multiprocessing (only a
#: large first build forks a helper: router._apart).
NOT_FOR_A_SAVED_INDEX = (
    "multiprocessing",
    "pydantic_settings",
    "rich",
    "tiktoken",
    "asyncio",
    "dotenv",
    "markdown_it",
    "detect_secrets",
    "requests",
    "psycopg",
    "psycopg_pool",
    "notion_client",
    "mcp",
    "httpx",
    "functions_framework",
)


#: Our own modules a ``brain context`` answered from the saved index never needs: splitting a
#: monolith and refreshing headers (``brain split``, ``brain sync``).
OURS_NOT_FOR_A_SAVED_INDEX = ("shards.split", "shards.describe", "shards.refresh")


def test_brain_context_from_the_saved_index_loads_no_parser_or_secret_detector(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    cli = [sys.executable, "-m", "functions.cli"]
    example = str(ROOT / "examples" / "context-index.md")
    task = "rotate the Stripe webhook signing secret"
    # split writes the workspace; the first context builds the index from it and saves it.
    for args in (["split", example], ["sync"], ["context", task]):
        subprocess.run(
            [*cli, *args, "--workspace", str(ws)], cwd=ROOT, capture_output=True, check=True
        )
    assert list((tmp_path / ".brain").glob("index-*.bin")), "the first context saves the index"
    seen = tmp_path / "modules.json"
    probe = (
        "import json, sys\n"
        "from functions.cli import main\n"
        f"sys.argv = ['brain', 'context', {task!r}, '--budget', '2000', '--workspace', "
        f"{str(ws)!r}]\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        f"open({str(seen)!r}, 'w').write(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "whsec" in out.stdout.lower() or "webhook" in out.stdout.lower()  # it answered
    modules = set(json.loads(seen.read_text()))
    loaded = {m.split(".")[0] for m in modules}
    assert sorted(loaded & set(NOT_FOR_A_SAVED_INDEX)) == []
    assert sorted(modules & set(OURS_NOT_FOR_A_SAVED_INDEX)) == []
