"""Operations: structured logs for Cloud Logging, secrets resolved at start (and never told to a
sender), rotated secrets picked up, and a graceful SIGTERM on a real ``brain serve``."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from config import load_config
from functions.app import build_app
from functions.cli import app as cli
from functions.errors import SecretError
from functions.gcp_secrets import SecretManagerFetcher
from functions.logs import CloudFormatter, configure_logging, trace_from_headers
from functions.runtime import Runtime
from functions.secrets import RETRY_AFTER_FAILURE_S, SecretResolver
from functions.webhooks.outbox import open_outbox
from functions.webhooks.schemes import get_scheme
from shards import TiktokenCounter
from tests.env import clean_environ, foreign
from tests.gcp_fake import SecretManagerFake
from tests.router.helpers import build_store

ROOT = Path(__file__).resolve().parents[2]
SECRET = "ops-secret-0123456789abcdef"
TRACE = "105445aa7843bc8bf206b12000100000"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if foreign(name) or name in ("K_SERVICE", "TARGET"):
            monkeypatch.delenv(name)


def brain_toml(folder: Path, secret_ref: str = "env:OPS_SECRET", extra: str = "") -> Path:
    path = folder / "brain.toml"
    path.write_text(
        '[store]\nkind = "local"\npath = "workspace"\n'
        f'[webhooks.sources.ops]\nscheme = "hmac-sha256"\nsecrets = ["{secret_ref}"]\n'
        f'[deploy]\nproject = "ops-project"\n{extra}'
    )
    return path


# -- structured logs ------------------------------------------------------------------------


def test_in_the_cloud_logs_are_json_lines_cloud_logging_reads() -> None:
    handler = configure_logging(environ={"K_SERVICE": "brain-webhooks", "TARGET": "webhooks"})
    try:
        assert isinstance(handler.formatter, CloudFormatter)
        record = logging.LogRecord(
            "functions.http", logging.WARNING, __file__, 7, "hi %s", ("x",), None
        )
        entry = json.loads(handler.formatter.format(record))
    finally:
        configure_logging(environ={})
    assert entry["severity"] == "WARNING"
    assert entry["message"] == "hi x"
    assert entry["logging.googleapis.com/labels"] == {"function": "webhooks"}
    assert "logging.googleapis.com/trace" not in entry  # outside a request


def test_locally_logs_are_readable_text() -> None:
    handler = configure_logging(environ={})
    record = logging.LogRecord("functions.http", logging.ERROR, __file__, 7, "broken", (), None)
    assert handler.format(record) == "ERROR functions.http: broken"
    assert [h for h in logging.getLogger().handlers if h.get_name() == "brain"] == [handler]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"{TRACE}/1;o=1", f"projects/p/traces/{TRACE}"),
        (TRACE, f"projects/p/traces/{TRACE}"),
        ("not-a-trace/1", None),
        ("", None),
    ],
)
def test_the_trace_comes_from_x_cloud_trace_context(header: str, expected: str | None) -> None:
    assert trace_from_headers({"x-cloud-trace-context": header}, "p") == expected


def test_a_request_s_log_lines_carry_its_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "workspace").mkdir()
    rt = Runtime(load_config(brain_toml(tmp_path)))  # OPS_SECRET unset: the request logs why
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(CloudFormatter("webhooks"))
    logging.getLogger("functions.http").addHandler(capture)
    try:

        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=build_app(rt, drain=False))
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.post(
                    "/webhooks/ops",
                    content=b"{}",
                    headers={"X-Cloud-Trace-Context": f"{TRACE}/7;o=1"},
                )

        answer = asyncio.run(go())
    finally:
        logging.getLogger("functions.http").removeHandler(capture)
        rt.close()
    assert answer.status_code == 503
    (line,) = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["logging.googleapis.com/trace"] == f"projects/ops-project/traces/{TRACE}"
    assert entry["severity"] == "WARNING" and "env:OPS_SECRET" in entry["message"]
    assert "export OPS_SECRET" in entry["message"]  # the fix is in the log, not the answer


# -- secrets at start, and never to a sender ------------------------------------------------


def test_a_secret_that_cannot_be_read_is_never_described_to_the_sender(tmp_path: Path) -> None:
    (tmp_path / "workspace").mkdir()
    rt = Runtime(load_config(brain_toml(tmp_path, "env:OPS_UNSET_SECRET")))

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=build_app(rt, drain=False))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post("/webhooks/ops", content=b"{}")

    try:
        answer = asyncio.run(go())
    finally:
        rt.close()
    assert answer.status_code == 503
    assert "OPS_UNSET_SECRET" not in answer.text and "env:" not in answer.text
    assert "hint" not in answer.json()["error"]
    assert answer.json()["error"]["code"] == "secret_unavailable"


def test_brain_serve_will_not_start_without_a_secret_and_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "workspace").mkdir()
    config = brain_toml(tmp_path, "env:OPS_UNSET_SECRET")
    result = CliRunner().invoke(cli, ["serve", "-c", str(config), "--port", "0"])
    assert result.exit_code == 2
    assert "webhooks.sources.ops.secrets" in result.stderr
    assert "env:OPS_UNSET_SECRET" in result.stderr and "export OPS_UNSET_SECRET" in result.stderr


def run_main_in_the_cloud(
    config: Path, target: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Import main.py as Cloud Run would: K_SERVICE set, the target named."""
    return subprocess.run(
        [sys.executable, "-c", "import main"],
        cwd=ROOT,
        env={
            **clean_environ(),
            "PYTHONPATH": str(ROOT),
            "BRAIN_CONFIG": str(config),
            "K_SERVICE": f"brain-{target}",
            "TARGET": target,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_cloud_function_that_cannot_read_its_secret_fails_to_start_naming_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "workspace").mkdir()
    config = brain_toml(tmp_path, "env:OPS_UNSET_SECRET")

    result = run_main_in_the_cloud(config, "webhooks", {})

    assert result.returncode == 3
    (entry,) = [json.loads(line) for line in result.stdout.splitlines() if '"CRITICAL"' in line]
    assert entry["severity"] == "CRITICAL"
    assert "webhooks.sources.ops.secrets" in entry["message"]
    assert "env:OPS_UNSET_SECRET" in entry["message"]
    assert entry["logging.googleapis.com/labels"] == {"function": "webhooks"}


def test_a_cloud_function_starts_when_the_secrets_it_reads_resolve(tmp_path: Path) -> None:
    (tmp_path / "workspace").mkdir()
    config = brain_toml(tmp_path, "env:OPS_UNSET_SECRET")
    # the context function does not read webhook secrets: it starts
    assert run_main_in_the_cloud(config, "context", {}).returncode == 0
    started = run_main_in_the_cloud(config, "webhooks", {"OPS_UNSET_SECRET": "set-now"})
    assert started.returncode == 0, started.stdout + started.stderr
    assert any('"webhooks started"' in line for line in started.stdout.splitlines())


def test_a_guessable_index_key_stops_the_services_that_read_it_and_only_those(
    tmp_path: Path,
) -> None:
    (tmp_path / "workspace").mkdir()
    extra = '[context]\nindex_key = "env:OPS_INDEX_KEY"\n'
    config = brain_toml(tmp_path, extra=extra)
    secrets = {"OPS_SECRET": "set", "OPS_INDEX_KEY": "pending"}  # a placeholder left in
    refused = run_main_in_the_cloud(config, "context", secrets)
    assert refused.returncode == 3
    (entry,) = [json.loads(line) for line in refused.stdout.splitlines() if '"CRITICAL"' in line]
    assert "context.index_key: its value has 7 characters" in entry["message"]
    assert run_main_in_the_cloud(config, "webhooks", secrets).returncode == 0  # not a reader
    strong = {**secrets, "OPS_INDEX_KEY": "q2X9v7Lr0sT4mWc8bN1e"}
    started = run_main_in_the_cloud(config, "context", strong)
    assert started.returncode == 0, started.stdout + started.stderr


# -- rotation -------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def secret_manager() -> Iterator[tuple[SecretManagerFake, SecretManagerFetcher]]:
    with SecretManagerFake() as fake:
        fetcher = SecretManagerFetcher(endpoint=fake.url)
        yield fake, fetcher
        fetcher.close()


def test_a_rotated_latest_version_is_picked_up_after_the_refresh_interval(
    secret_manager: tuple[SecretManagerFake, SecretManagerFetcher],
) -> None:
    fake, fetcher = secret_manager
    fake.add("p", "hook", "first")
    clock = Clock()
    resolver = SecretResolver(environ={}, sm_fetch=fetcher, refresh_s=300, clock=clock)
    latest = "sm:projects/p/secrets/hook/versions/latest"
    pinned = "sm:projects/p/secrets/hook/versions/1"

    assert resolver.resolve(latest) == "first"
    assert resolver.resolve(pinned) == "first"
    fake.add("p", "hook", "second")  # rotated
    clock.now += 299
    assert resolver.resolve(latest) == "first"  # cached within the interval
    clock.now += 2
    assert resolver.resolve(latest) == "second"
    assert resolver.resolve(pinned) == "first"  # a pinned version never changes


def test_a_failed_refresh_keeps_the_current_value_and_retries_later() -> None:
    clock = Clock()
    answers: list[Callable[[], str]] = [lambda: "v1"]

    def fetch(name: str) -> str:
        return answers[-1]()

    def down() -> str:
        raise SecretError("Secret Manager is unreachable")

    resolver = SecretResolver(environ={}, sm_fetch=fetch, refresh_s=10, clock=clock)
    ref = "sm:projects/p/secrets/s/versions/latest"
    assert resolver.resolve(ref) == "v1"
    answers.append(down)
    clock.now += 11
    assert resolver.resolve(ref) == "v1"  # kept
    answers.append(lambda: "v2")
    clock.now += RETRY_AFTER_FAILURE_S / 2
    assert resolver.resolve(ref) == "v1"  # resting after the failure
    clock.now += RETRY_AFTER_FAILURE_S
    assert resolver.resolve(ref) == "v2"


def test_the_refresh_interval_is_configurable(tmp_path: Path) -> None:
    (tmp_path / "brain.toml").write_text("[secrets]\nrefresh_s = 42\n")
    rt = Runtime(load_config(tmp_path / "brain.toml"))
    assert rt.secrets._refresh_s == 42


# -- SIGTERM --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], what: str, deadline_s: float = 30.0) -> None:
    end = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)


def test_sigterm_lets_the_request_in_flight_finish_and_stops_the_drainer_cleanly(
    tmp_path: Path,
) -> None:
    build_store(tmp_path / "workspace", TiktokenCounter())
    config = brain_toml(tmp_path)
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "functions.cli",
                "serve",
                "-c",
                str(config),
                "--port",
                str(port),
            ],
            cwd=tmp_path,
            env={**os.environ, "OPS_SECRET": SECRET, "PYTHONPATH": str(ROOT)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def healthy() -> bool:
        assert server.poll() is None, log_path.read_text()
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(healthy, "brain serve answers")
        body = b'{"event":"deploy","message":"in flight during SIGTERM"}'
        headers = get_scheme("hmac-sha256").sign(body, SECRET, now=datetime.now(UTC))
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
            conn.sendall(
                (
                    f"POST /webhooks/ops HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                    "Expect: 100-continue\r\n\r\n"
                ).encode()
            )
            # 100 Continue: the handler is running and reading the body. Now stop the server.
            assert conn.recv(1024).startswith(b"HTTP/1.1 100")
            server.send_signal(signal.SIGTERM)
            conn.sendall(body)
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                chunk = conn.recv(4096)
                if not chunk:
                    break
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 202"), answer
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    logs = log_path.read_text()
    # uvicorn re-raises the signal once shut down, so the status is SIGTERM's own
    assert server.returncode in (0, -signal.SIGTERM), logs
    assert "drainer stopped" in logs and "Traceback" not in logs
    with open_outbox(f"sqlite:///{tmp_path / '.brain' / 'state.sqlite3'}") as outbox:
        stats = outbox.stats(datetime.now(UTC))
    assert stats.pending + stats.sending + stats.sent == 1 and stats.dead == 0  # not lost


def test_a_missing_notion_verification_secret_warns_but_lets_the_function_start(
    tmp_path: Path,
) -> None:
    """Notion sends that secret in a handshake only a running function can receive."""
    (tmp_path / "workspace").mkdir()
    config = brain_toml(
        tmp_path,
        extra='[webhooks.sources.notion]\nscheme = "notion"\nsecrets = ["env:OPS_NOTION_UNSET"]\n',
    )
    started = run_main_in_the_cloud(config, "notion_events", {})
    assert started.returncode == 0, started.stdout + started.stderr
    warnings = [json.loads(x) for x in started.stdout.splitlines() if '"WARNING"' in x]
    assert any("env:OPS_NOTION_UNSET" in w["message"] for w in warnings)


def test_a_cloud_function_stops_its_drainer_cleanly_on_sigterm(tmp_path: Path) -> None:
    """functions-framework as Cloud Run runs it (gunicorn and its uvicorn worker), SIGTERM to
    the process Cloud Run started: the worker exits through its normal path, so the runtime
    is closed (the drainer stops between batches) instead of dying by the signal."""
    build_store(tmp_path / "workspace", TiktokenCounter())
    config = brain_toml(tmp_path)
    port = free_port()
    log_path = tmp_path / "function.log"
    env = {
        **clean_environ(),
        "PYTHONPATH": str(ROOT),
        "BRAIN_CONFIG": str(config),
        "K_SERVICE": "brain-webhooks",
        "TARGET": "webhooks",
        "OPS_SECRET": SECRET,
    }
    command = [
        str(Path(sys.executable).with_name("functions-framework")),
        "--asgi",
        f"--source={ROOT / 'main.py'}",
        "--target=webhooks",
        f"--port={port}",
    ]
    with log_path.open("wb") as log:
        function = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log)
    try:
        body = b'{"event":"test","message":"before SIGTERM"}'

        def accepted() -> bool:
            assert function.poll() is None, log_path.read_text()
            headers = get_scheme("hmac-sha256").sign(body, SECRET, now=datetime.now(UTC))
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/webhooks/ops", content=body, headers=headers
                )
            except httpx.HTTPError:
                return False
            return answer.status_code == 202

        wait_for(accepted, "the webhooks function accepts an event")
        function.send_signal(signal.SIGTERM)
        function.wait(timeout=30)
    finally:
        if function.poll() is None:
            function.kill()
            function.wait()
    entries = [json.loads(x) for x in log_path.read_text().splitlines() if x.startswith("{")]
    messages = [e["message"] for e in entries]
    assert "drainer stopped" in messages, log_path.read_text()
    assert all(e["severity"] != "ERROR" for e in entries)
