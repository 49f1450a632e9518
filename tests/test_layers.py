"""The house's import directions, checked on the source (every import, also lazy ones).

``shards`` imports nothing of ours; ``config`` (the configuration model) only the root of the
error tree; ``router`` only ``shards``; ``functions`` anything below it; ``infra`` (the
deployment) only ``config`` and the error tree. ``functions`` reaches ``infra`` in exactly one
place, the ``brain deploy`` command, because that command is the deployment's entry point;
``infra`` never imports ``functions``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("config", "shards", "router", "functions", "infra", "main")
#: package -> the modules of ours it may import (a name allows its submodules too)
ALLOWED: dict[str, tuple[str, ...]] = {
    "shards": (),
    "config": ("shards.errors",),
    "router": ("shards",),
    "functions": ("config", "router", "shards"),
    "infra": ("config", "shards.errors"),
}
#: the one module of a package that may import one more (why: see the module docstring)
EXCEPTIONS = {"functions/cli/deploy.py": ("infra",)}


def imports_of(source: str, module: str) -> set[str]:
    """Every module of ours that ``source`` (the module ``module``) imports, anywhere in it."""
    found: set[str] = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing module's package
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(n for n in names if n.split(".")[0] in OURS)
    return found


def violations(path: str, imported: set[str]) -> list[str]:
    package = path.split("/")[0]
    allowed = ALLOWED[package] + EXCEPTIONS.get(path, ())

    def ok(name: str) -> bool:
        if name.split(".")[0] == package:
            return True
        # "from shards.errors import BrainError" also yields "shards.errors.BrainError"
        return any(name == a or name.startswith(a + ".") for a in allowed)

    # A name allowed through its parent package ("from shards import errors") is fine, and so
    # is the bare parent of an allowed module ("from shards.errors import" yields "shards.errors").
    bad = {n for n in imported if not ok(n)}
    bad -= {n for n in bad if any(a.startswith(n + ".") for a in allowed) and "." in n}
    return sorted(bad)


def sources() -> list[Path]:
    return sorted(p for package in ALLOWED for p in (ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_each_module_imports_only_what_its_layer_may(path: Path) -> None:
    rel = path.relative_to(ROOT).as_posix()
    module = rel.removesuffix(".py").replace("/", ".")
    imported = imports_of(path.read_text(encoding="utf-8"), module)
    assert not violations(rel, imported), f"{rel} imports {violations(rel, imported)}"


def test_infra_and_functions_meet_only_in_the_deploy_command() -> None:
    reaching = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "functions").rglob("*.py")
        if any(n.split(".")[0] == "infra" for n in imports_of(p.read_text(), "functions.x"))
    )
    assert reaching == ["functions/cli/deploy.py"]


@pytest.mark.parametrize(
    ("path", "source", "bad"),
    [
        ("infra/x.py", "from functions.config import BrainConfig", ["functions.config"]),
        ("infra/x.py", "def f():\n    import functions.runtime\n", ["functions.runtime"]),
        ("shards/x.py", "from router import select", ["router"]),
        ("router/x.py", "from config import BrainConfig", ["config"]),
        ("config/x.py", "from shards.store import PageStore", ["shards.store"]),
        ("functions/x.py", "from infra import plan", ["infra"]),
        ("router/deep/x.py", "from ...functions import http", ["functions.http"]),
    ],
)
def test_the_check_catches_an_import_against_the_grain(
    path: str, source: str, bad: list[str]
) -> None:
    module = path.removesuffix(".py").replace("/", ".")
    assert bad[0] in violations(path, imports_of(source, module))


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("config/x.py", "from shards.errors import BrainError"),
        ("infra/x.py", "from config import BrainConfig"),
        ("functions/cli/deploy.py", "from infra import plan"),
        ("router/x.py", "from shards import Page"),
        ("router/x.py", "from . import pack"),
    ],
)
def test_the_check_lets_the_allowed_directions_through(path: str, source: str) -> None:
    module = path.removesuffix(".py").replace("/", ".")
    assert violations(path, imports_of(source, module)) == []
