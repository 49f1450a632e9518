"""Every ``gcloud`` command the product prints, as argv lists, and a check of each by gcloud.

Sources: the gcloud script (``render_gcloud``), the commands ``brain deploy`` prints when it
stops (``secret_version_command``, ``image_build_command``) and the bash blocks of
``infra/README.md`` and README.md. Shell around a command (``||``, ``|``, redirections,
``$(...)``) is cut away; variables get sample values.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SAMPLES = {
    "$VERB": "create",
    "${SYNC_URL}": "https://brain-sync-abc123-ew.a.run.app",
    "$DB_PASSWORD": "pw",
    "$VALUE": "value",
    "${BRAIN_AUTH_TOKEN}": "token",
    "$BRAIN_AUTH_TOKEN": "token",
}
_STOP = {"||", "|", "&&", ";", "then", "fi", "]", "}", "else"}
_SUBSHELL = re.compile(r"\$\((gcloud [^()]*(?:\([^()]*\)[^()]*)*)\)")


def gcloud_argvs(script: str) -> list[list[str]]:
    """Each gcloud command in a bash text, as argv (starting with "gcloud")."""
    text = script.replace("\\\n", " ")
    for name, value in SAMPLES.items():
        text = text.replace(f'"{name}"', value).replace(name, value)
    found: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "gcloud " not in line:
            continue
        line = re.sub(r"\s+#[^'\"]*$", "", line)  # a trailing comment
        for inner in _SUBSHELL.findall(line):
            found.append(_cut(shlex.split(inner)))
        line = _SUBSHELL.sub("X", line)
        tokens = shlex.split(line.replace("{ ", " ").replace("; ", " ; "))
        for i, token in enumerate(tokens):
            if token == "gcloud":
                found.append(_cut(tokens[i:]))
    return found


def _cut(tokens: list[str]) -> list[str]:
    argv: list[str] = []
    for token in tokens:
        if token in _STOP or token.startswith((">", "2>", "<")):
            break
        argv.append(token.removesuffix(";"))
        if token.endswith(";"):
            break
    return argv


def bash_blocks(markdown: str) -> str:
    return "\n".join(re.findall(r"```bash\n(.*?)```", markdown, flags=re.S))


def shape(argv: list[str]) -> tuple[str, ...]:
    """The command group, its flag names and how many words: what parsing depends on."""
    words = [t for t in argv if not t.startswith("-")]
    flags = sorted({t.split("=", 1)[0] for t in argv if t.startswith("--")})
    return (*words[:4], *flags)


def distinct(argvs: Iterable[list[str]]) -> list[list[str]]:
    seen: dict[tuple[str, ...], list[str]] = {}
    for argv in argvs:
        seen.setdefault(shape(argv), argv)
    return list(seen.values())


INTERACTIVE = (("auth", "login"), ("auth", "application-default", "login"))


def _environment(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOME": str(home),  # configure-docker writes ~/.docker/config.json: keep it here
        "CLOUDSDK_CONFIG": str(home / "gcloud"),
        "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
        "CLOUDSDK_CORE_CHECK_GCE_METADATA": "false",
        "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK": "true",
        "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING": "true",
        # belt and braces: a request would go to a closed port, never out
        "CLOUDSDK_PROXY_TYPE": "http",
        "CLOUDSDK_PROXY_ADDRESS": "127.0.0.1",
        "CLOUDSDK_PROXY_PORT": "9",
    }


def gcloud_parse(argvs: list[list[str]], home: Path) -> list[tuple[bool, str]]:
    """Whether the real gcloud accepts each argv's arguments, with no account and no network.

    All commands run in one gcloud process (``gcloud_driver.py`` with gcloud's own Python),
    in ``home`` (an empty folder: ``builds submit .`` would read it). With no account
    configured, a command whose arguments parse stops with "You do not currently have an
    active account selected" (exit 1) before any request; an argument error exits 2.
    """
    gcloud = shutil.which("gcloud")
    assert gcloud is not None
    sdk = Path(gcloud).resolve().parent.parent
    bundled = sdk / "platform" / "bundledpythonunix" / "bin" / "python3"
    python = os.environ.get("CLOUDSDK_PYTHON") or (str(bundled) if bundled.exists() else "python3")
    done = subprocess.run(
        [python, str(Path(__file__).with_name("gcloud_driver.py")), str(sdk)],
        input=json.dumps(argvs),
        capture_output=True,
        text=True,
        env=_environment(home),
        check=False,
        timeout=300,
        cwd=home,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = []
    for status, stderr in json.loads(done.stdout):
        accepted = status == 0 or (status != 2 and "active account" in stderr)
        results.append((accepted, f"exit {status}: {stderr.strip()[:600]}"))
    return results


def installed_cli_tree() -> dict[str, Any] | None:
    """The installed gcloud's own command tree (commands, flags, choices), or None.

    The Cloud SDK ships it for shell completion as ``data/cli/gcloud_completions.py``.
    """
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        return None
    path = Path(gcloud).resolve().parent.parent / "data" / "cli" / "gcloud_completions.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("gcloud_completions", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tree: dict[str, Any] = module.STATIC_COMPLETION_CLI_TREE
    return tree


def tree_problems(argv: list[str], tree: dict[str, Any]) -> list[str]:
    """What the CLI tree says is wrong with ``argv``: unknown command, flag or choice."""
    node, depth = tree, 1
    while depth < len(argv) and argv[depth] in node["commands"]:
        node = node["commands"][argv[depth]]
        depth += 1
    if node["commands"]:  # a group, not a command
        return [f"{' '.join(argv[:depth])} is a group: no command {argv[depth : depth + 1]}"]
    known = {**tree["flags"], **node["flags"]}
    problems = []
    for token in argv[depth:]:
        if not token.startswith("--"):
            continue
        name, _, value = token.partition("=")
        kind = known.get(name)
        if kind is None and name.startswith("--no-"):
            kind = known.get("--" + name.removeprefix("--no-"))
        if kind is None:
            problems.append(f"unknown flag {name}")
        elif isinstance(kind, list) and value.lower() not in {c.lower() for c in kind}:
            problems.append(f"{name}={value} is not one of {kind}")
    return problems
