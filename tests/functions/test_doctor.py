"""``brain doctor``: each check passes on a healthy set-up and fails, with its fix, when broken."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from functions.cli import app
from functions.doctor import Check, run_checks
from shards import TiktokenCounter
from tests.notion_fake import NotionFake
from tests.router.helpers import build_store


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("BRAIN_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock.getsockname()[1]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    build_store(folder, TiktokenCounter())
    return folder


def checks(config: Path | None, workspace: Path | None = None, **kwargs: Any) -> dict[str, Check]:
    return {c.name: c for c in run_checks(config, workspace, **kwargs)}


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "brain.toml"
    path.write_text(text)
    return path


def test_a_healthy_local_set_up_passes_and_says_what_it_checked(
    tmp_path: Path, workspace: Path, free_port: int
) -> None:
    result = CliRunner().invoke(app, ["doctor", "-w", str(workspace), "--port", str(free_port)])
    assert result.exit_code == 0, result.output
    assert "All checks passed." in result.stdout
    for name in ("config", "secrets", "workspace", "database", "port", "clock", "tokens"):
        assert name in result.stdout
    assert not (tmp_path / ".brain").exists()  # the doctor wrote nothing


def test_the_fast_token_counter_is_checked_and_a_changed_one_fails_with_the_fix(
    tmp_path: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shards.tokens

    assert checks(None, workspace)["tokens"].ok is True
    monkeypatch.setitem(shards.tokens._QUICKTOK_DATA, "cl100k.vocab", "0" * 64)
    found = checks(None, workspace)["tokens"]
    assert found.ok is False and "cl100k.vocab is not the cl100k_base data" in found.detail
    assert found.fix is not None and "make install" in found.fix
    pinned = checks(toml(tmp_path, '[tokens]\nengine = "tiktoken"\n'), workspace)["tokens"]
    assert pinned.ok is None and "tiktoken" in pinned.detail


def test_a_config_that_does_not_load_fails_first_and_alone(tmp_path: Path) -> None:
    found = checks(toml(tmp_path, "[store\nkind = 1"))
    assert list(found) == ["config"]
    assert found["config"].ok is False and "not valid TOML" in found["config"].detail


def test_a_secret_that_does_not_resolve_fails_naming_key_and_reference(
    tmp_path: Path, workspace: Path
) -> None:
    config = toml(
        tmp_path,
        f'[store]\npath = "{workspace}"\n[webhooks.sources.github]\nscheme = "github"\n'
        'secrets = ["env:DOCTOR_MISSING_SECRET"]\n',
    )
    result = CliRunner().invoke(app, ["doctor", "-c", str(config), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    secrets = next(c for c in data["checks"] if c["check"] == "secrets")
    assert secrets["ok"] is False
    assert "webhooks.sources.github.secrets" in secrets["detail"]
    assert "env:DOCTOR_MISSING_SECRET" in secrets["detail"]
    assert "export DOCTOR_MISSING_SECRET" in secrets["fix"]


def test_a_resolving_secret_is_never_printed(
    tmp_path: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCTOR_SECRET", "very-secret-value-42")
    config = toml(
        tmp_path,
        f'[store]\npath = "{workspace}"\n[webhooks.sources.github]\nscheme = "github"\n'
        'secrets = ["env:DOCTOR_SECRET"]\n',
    )
    result = CliRunner().invoke(app, ["doctor", "-c", str(config)])
    assert "very-secret-value-42" not in result.output
    assert checks(config)["secrets"].ok is True


@pytest.mark.parametrize("broken", ["missing", "no-router"])
def test_a_workspace_that_cannot_serve_fails_with_how_to_make_one(
    tmp_path: Path, broken: str
) -> None:
    folder = tmp_path / "ws"
    if broken == "no-router":
        folder.mkdir()
        (folder / "notes.md").write_text("# Notes\n")
    check = checks(None, folder)["workspace"]
    assert check.ok is False
    assert "brain split" in (check.fix or "")


@pytest.fixture
def notion_config(tmp_path: Path, notion_fake: NotionFake, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOCTOR_NOTION_TOKEN", notion_fake.token)
    return toml(
        tmp_path,
        f'[store]\nkind = "notion"\nroot_page_id = "{notion_fake.root_id}"\n'
        f'token = "env:DOCTOR_NOTION_TOKEN"\napi_url = "{notion_fake.url}"\n',
    )


def test_a_reachable_notion_root_passes_and_its_clock_is_the_reference(
    notion_config: Path,
) -> None:
    found = checks(notion_config)
    assert found["notion"].ok is True
    assert found["clock"].ok is True


def test_a_notion_token_notion_refuses_fails_with_the_fix(
    notion_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCTOR_NOTION_TOKEN", "secret_wrong")
    check = checks(notion_config)["notion"]
    assert check.ok is False and "401" in check.detail
    assert "integration secret" in (check.fix or "")


def test_a_root_page_not_shared_with_the_integration_fails_with_the_fix(
    tmp_path: Path, notion_fake: NotionFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCTOR_NOTION_TOKEN", notion_fake.token)
    config = toml(
        tmp_path,
        f'[store]\nkind = "notion"\nroot_page_id = "{"0" * 32}"\n'
        f'token = "env:DOCTOR_NOTION_TOKEN"\napi_url = "{notion_fake.url}"\n',
    )
    check = checks(config)["notion"]
    assert check.ok is False and "404" in check.detail
    assert "Connections" in (check.fix or "")


def test_a_clock_far_from_the_reference_fails_with_how_to_sync_it(notion_config: Path) -> None:
    ahead = datetime.now(UTC) + timedelta(minutes=10)
    check = checks(notion_config, now=lambda: ahead)["clock"]
    assert check.ok is False and "ahead of" in check.detail
    assert "set-ntp" in (check.fix or "")


def test_without_a_reference_clock_the_check_is_skipped_not_passed(workspace: Path) -> None:
    assert checks(None, workspace)["clock"].ok is None


def test_a_state_database_that_does_not_open_fails_with_its_hint(
    tmp_path: Path, workspace: Path
) -> None:
    (tmp_path / "state-dir").mkdir()
    (tmp_path / "state-dir" / "state.db").mkdir()  # a folder where the file should be
    config = toml(
        tmp_path,
        f'[store]\npath = "{workspace}"\n[state]\nurl = "sqlite:///{tmp_path}/state-dir/state.db"\n',
    )
    check = checks(config)["database"]
    assert check.ok is False
    assert check.fix


@pytest.mark.postgres
def test_postgresql_is_checked_and_is_the_clock_reference(
    tmp_path: Path, workspace: Path, postgres_url: str
) -> None:
    config = toml(tmp_path, f'[store]\npath = "{workspace}"\n[state]\nurl = "{postgres_url}"\n')
    found = checks(config)
    assert found["database"].ok is True and "PostgreSQL" in found["database"].detail
    assert found["clock"].ok is True
    behind = datetime.now(UTC) - timedelta(minutes=3)
    assert checks(config, now=lambda: behind)["clock"].ok is False


def test_an_unreachable_postgresql_fails_with_its_hint(tmp_path: Path, workspace: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    config = toml(
        tmp_path,
        f'[store]\npath = "{workspace}"\n[state]\n'
        f'url = "postgresql://nobody@127.0.0.1:{port}/none?connect_timeout=2"\n',
    )
    check = checks(config)["database"]
    assert check.ok is False and "PostgreSQL" in check.detail


def test_a_port_in_use_by_another_program_fails_with_the_fix(
    workspace: Path, busy_port: int
) -> None:
    check = checks(None, workspace, port=busy_port)["port"]
    assert check.ok is False
    assert f"--port {busy_port + 1}" in (check.fix or "")
    assert f"BRAIN_SERVE__PORT={busy_port + 1}" in (check.fix or "")


def test_the_saved_index_is_reported_where_a_new_process_finds_it(
    tmp_path: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from config import load_config
    from functions.runtime import Runtime

    before = checks(None, workspace)["index"]
    assert before.ok is None and "not saved yet" in before.detail
    runtime = Runtime(load_config(workspace=workspace))
    runtime.context_service.get_context("stripe webhook secret", 500)
    runtime.close()
    saved = checks(None, workspace)["index"]
    assert saved.ok is True and str(runtime.index_path) in saved.detail and "MB" in saved.detail
    with monkeypatch.context() as cloud_run:
        cloud_run.setenv("K_SERVICE", "context")
        none_yet = checks(None, workspace)["index"]
        assert none_yet.ok is None and "none in the state database yet" in none_yet.detail
        job = Runtime(load_config(workspace=workspace))
        job.scheduled_sync()
        job.close()
        cloud = checks(None, workspace)["index"]
    assert cloud.ok is True and "saved in the state database" in cloud.detail
    assert "written 0 min ago" in cloud.detail and "unsigned" in cloud.detail
    off = checks(toml(tmp_path, "[context]\npersist_index = false\n"), workspace)["index"]
    assert off.ok is None and "builds from the pages" in off.detail


def test_a_saved_index_that_will_not_be_loaded_is_reported_with_why(
    tmp_path: Path, workspace: Path
) -> None:
    """After an upgrade the saved file is from another version: the doctor says the next
    process rebuilds, rather than that it starts from the file."""
    import json as _json

    from config import load_config
    from functions.runtime import Runtime
    from router.persist import HEADER_BYTES, MAGIC

    runtime = Runtime(load_config(workspace=workspace))
    runtime.context_service.get_context("stripe webhook secret", 500)
    runtime.close()
    path = runtime.index_path
    data = path.read_bytes()
    line = data[len(MAGIC) : len(MAGIC) + HEADER_BYTES]
    header = _json.loads(line)
    header["code"] = "0" * 16
    new = _json.dumps(header).encode().ljust(HEADER_BYTES - 1) + b"\n"
    path.write_bytes(data[: len(MAGIC)] + new + data[len(MAGIC) + HEADER_BYTES :])
    found = checks(None, workspace)["index"]
    assert found.ok is None
    assert "was written by another version (format" in found.detail
    assert "code 0000000000000000" in found.detail
    assert found.detail.endswith("the next process builds from the pages and saves it again")


def test_the_doctor_says_whether_the_saved_index_is_signed_as_the_config_asks(
    tmp_path: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from config import load_config
    from functions.runtime import Runtime

    monkeypatch.setenv("BRAIN_TEST_INDEX_KEY", "pending")  # a placeholder, guessable
    (tmp_path / "keyed").mkdir()  # (not ./brain.toml, which every load_config here reads)
    keyed = toml(tmp_path / "keyed", '[context]\nindex_key = "env:BRAIN_TEST_INDEX_KEY"\n')
    weak = checks(keyed, workspace)["secrets"]
    assert weak.ok is False and weak.detail.startswith("context.index_key: its value has 7")
    assert "openssl rand" in (weak.fix or "")
    monkeypatch.setenv("BRAIN_TEST_INDEX_KEY", "a value from the secret store")
    assert checks(keyed, workspace)["secrets"].ok is True
    runtime = Runtime(load_config(workspace=workspace))  # saves it unsigned
    runtime.context_service.get_context("stripe webhook secret", 500)
    runtime.close()
    found = checks(keyed, workspace)["index"]
    assert found.ok is None and "is not signed" in found.detail
    with monkeypatch.context() as cloud_run:
        cloud_run.setenv("K_SERVICE", "context")
        job = Runtime(load_config(keyed, workspace=workspace))
        job.scheduled_sync()
        job.close()
        signed = checks(keyed, workspace)["index"]
        unkeyed = checks(None, workspace)["index"]
    assert signed.ok is True and "signed with [context] index_key" in signed.detail
    assert unkeyed.ok is None and "this process was given no [context] index_key" in unkeyed.detail
