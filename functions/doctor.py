"""``brain doctor``: is this machine (or container) ready to serve? One check per concern.

Checks, in order: the config loads; every secret it references resolves; the workspace folder
(local store) or the Notion root page (Notion store) answers; the state database opens; the
port ``brain serve`` would bind is free (or already serving us); the clock agrees with a
reference (the PostgreSQL server, else Notion's ``Date`` header; none for a laptop on SQLite);
the embedding model behind get_context's semantic signal is installed (``[context] semantic``);
the fast token counter large builds use is installed with its pinned data (``[tokens] engine``);
where the built index is saved for a new process to start from (``[context] persist_index``).
Each failed check says what to do. Nothing is written; secret values are never shown.
"""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from config import BrainConfig, load_config
from functions.secrets import SecretResolver, references
from shards import BrainError

__all__ = ["MAX_CLOCK_SKEW_S", "Check", "run_checks"]

#: Signed webhooks carry timestamps checked with a 5-minute tolerance; a clock this far off
#: refuses good deliveries (or accepts replays), so it fails the check.
MAX_CLOCK_SKEW_S = 60.0


@dataclass(frozen=True)
class Check:
    """One check's verdict: ``ok`` None means skipped (nothing to check here)."""

    name: str
    ok: bool | None
    detail: str
    fix: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix}


def run_checks(
    config_path: Path | None,
    workspace: Path | None,
    *,
    secrets: SecretResolver | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    port: int | None = None,
) -> Iterator[Check]:
    """Every check, in order; after a config that does not load, nothing else is checked."""
    try:
        config = load_config(config_path, workspace=workspace)
    except BrainError as exc:
        yield Check("config", False, exc.message, exc.hint or "Fix the config file.")
        return
    where = str(config_path) if config_path else "brain.toml or the embedded default"
    yield Check("config", True, f"{where}: {config.store.kind} store, state {_state_kind(config)}")
    resolver = secrets or SecretResolver(refresh_s=config.secrets.refresh_s)
    yield _secrets(config, resolver)
    reference: list[datetime] = []  # a reference clock reading, if a check got one
    yield from _store(config, resolver, reference)
    yield _database(config, reference)
    yield _port(config, port)
    yield _clock(now, reference)
    yield _semantic(config)
    yield _tokens(config)
    yield _saved_index(config)


def _saved_index(config: BrainConfig) -> Check:
    """Where a new process finds the built index: informational, never a failure (without a
    saved index a process builds from the pages, and saves what it built)."""
    from functions.logs import in_the_cloud
    from functions.runtime import Runtime

    if not config.context.persist_index:
        return Check(
            "index", None, "[context] persist_index = false: each new process builds from the pages"
        )
    runtime = Runtime(config)
    if in_the_cloud():
        return _saved_in_the_database(config, runtime.workspace_id)
    from router import header_problem

    path = runtime.index_path
    if not path.is_file():
        return Check(
            "index", None, f"not saved yet: the first get_context builds it and saves {path}"
        )
    then = "the next process builds from the pages and saves it again"
    signed = config.context.index_key is not None
    problem = header_problem(path, workspace=runtime.workspace_id, then=then, signed=signed)
    if problem:
        return Check("index", None, problem)
    size = path.stat().st_size / 1e6
    return Check(
        "index",
        True,
        f"saved at {path} ({size:.1f} MB): a new process starts from it, checked against the"
        " page versions",
    )


def _saved_in_the_database(config: BrainConfig, workspace: str) -> Check:
    """Cloud Run: the saved index the scheduled sync job wrote to the state database."""
    import time

    from functions.saved_index import StateIndexPlace
    from functions.webhooks.outbox import open_outbox
    from router import header_problem

    then = "each new instance builds from the pages until the scheduled sync job saves it again"
    signed = config.context.index_key is not None
    try:
        with open_outbox(config.state_url) as outbox:
            place = StateIndexPlace(lambda: outbox, read_only=True)
            found = place.saved("index")
            problem = (
                header_problem(place, workspace=workspace, then=then, signed=signed)
                if found
                else ""
            )
    except (BrainError, OSError) as exc:
        message = exc.message if isinstance(exc, BrainError) else str(exc)
        return Check("index", None, f"cannot read the saved index: {message}")
    if problem:
        return Check("index", None, problem)
    if found is None:
        return Check(
            "index",
            None,
            "none in the state database yet: the scheduled sync job (POST /sync) writes it;"
            " until then each new instance builds from the pages",
        )
    size, written = found
    minutes = max(0.0, time.time() - written) / 60
    return Check(
        "index",
        True,
        f"saved in the state database ({size / 1e6:.1f} MB, written {minutes:.0f} min ago by"
        " the scheduled sync job): a new instance starts from it"
        + (
            ", signed with [context] index_key"
            if signed
            else "; unsigned: who can write the database could make the services load a file"
            " of theirs (set [context] index_key)"
        ),
    )


def _tokens(config: BrainConfig) -> Check:
    from shards import quicktok_problem

    if config.tokens.engine == "tiktoken":
        return Check("tokens", None, '[tokens] engine = "tiktoken": every count by tiktoken')
    problem = quicktok_problem()
    if problem is not None:
        return Check(
            "tokens",
            False,
            f"{problem}: large builds count with tiktoken (the same counts, ~1.3x the time)",
            'Run `make install`, or set [tokens] engine = "tiktoken" to say so on purpose.',
        )
    return Check("tokens", True, "quicktok counts large builds (cl100k_base, pinned data)")


def _semantic(config: BrainConfig) -> Check:
    from functions.logs import in_the_cloud

    if config.context.semantic == "off":
        return Check("semantic", None, '[context] semantic = "off": get_context ranks by words')
    from router import unavailable_reason

    reason = unavailable_reason()
    if reason is not None:
        return Check(
            "semantic",
            False,
            f"get_context ranks by words only: {reason}",
            'Run `make install`, or set [context] semantic = "off" to rank by words.',
        )
    where = (
        "vectors in the state database, computed by the scheduled sync job"
        if in_the_cloud()
        else "vectors in the state directory"
    )
    return Check(
        "semantic", True, f"embedding model installed: get_context ranks by meaning too ({where})"
    )


def _state_kind(config: BrainConfig) -> str:
    return "PostgreSQL" if config.state_url.startswith(("postgresql:", "postgres:")) else "SQLite"


def _secrets(config: BrainConfig, resolver: SecretResolver) -> Check:
    refs = references(config)
    if not refs:
        return Check("secrets", None, "the config references no secrets")
    for key, ref in refs:
        try:
            resolver.value_for(key, ref)
        except BrainError as exc:
            return Check("secrets", False, exc.message, exc.hint)
    return Check("secrets", True, f"{len(refs)} reference(s) resolve")


def _store(
    config: BrainConfig, resolver: SecretResolver, reference: list[datetime]
) -> Iterator[Check]:
    if config.store.kind == "local":
        folder = config.resolve(config.store.path)
        if not folder.is_dir():
            what = "is a file, not a folder" if folder.exists() else "does not exist"
            yield Check(
                "workspace",
                False,
                f"{folder} {what}",
                "Create it with 'brain split MONOLITH.md -w DIR' (or 'brain serve --demo'), or "
                "fix [store] path / --workspace.",
            )
            return
        probe = folder / ".brain-doctor-probe"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            yield Check(
                "workspace",
                False,
                f"{folder} is not writable ({exc.strerror})",
                "brain sync rewrites headers there: give this user write access.",
            )
            return
        names = sorted(p.stem for p in folder.glob("*.md"))
        if "router" not in names:
            yield Check(
                "workspace",
                False,
                f"{folder} has {len(names)} page(s) and no router page",
                "Split your Context Index into it: 'brain split MONOLITH.md -w DIR'.",
            )
            return
        yield Check("workspace", True, f"{folder}: {len(names)} pages, router present")
        return
    from shards.notion import NotionOptions, NotionStore

    if not config.store.root_page_id or not config.store.token:
        yield Check(
            "notion",
            False,
            "[store] kind = 'notion' needs root_page_id and token",
            "Set root_page_id to the Context Index page id and token to a secret reference.",
        )
        return
    try:
        token = resolver.resolve(config.store.token)
    except BrainError as exc:
        yield Check("notion", False, f"no token: {exc.message}", exc.hint)
        return
    import httpx

    # One plain request with the same token, for Notion's Date header (the clock check) and a
    # clear verdict, then the store's own listing for what it will see.
    try:
        answer = httpx.get(
            f"{config.store.api_url.rstrip('/')}/v1/pages/{config.store.root_page_id}",
            headers={"Authorization": f"Bearer {token}", "Notion-Version": "2022-06-28"},
            timeout=10,
        )
    except httpx.HTTPError as exc:
        yield Check(
            "notion",
            False,
            f"cannot reach {config.store.api_url} ({type(exc).__name__})",
            "Check the network (and [store] api_url if you changed it).",
        )
        return
    if "date" in answer.headers:
        with contextlib.suppress(TypeError, ValueError):
            reference.append(parsedate_to_datetime(answer.headers["date"]))
    if answer.status_code == 401:
        yield Check(
            "notion",
            False,
            "Notion refused the integration token (401)",
            "Store a valid internal integration secret in the token's secret reference.",
        )
        return
    if answer.status_code == 404:
        yield Check(
            "notion",
            False,
            f"root page {config.store.root_page_id} not found or not shared (404)",
            "Open the page in Notion, '…' → Connections, and add the integration.",
        )
        return
    try:
        store = NotionStore(
            NotionOptions(
                token=token,
                root_page_id=config.store.root_page_id,
                base_url=config.store.api_url,
                requests_per_second=config.store.requests_per_second,
                max_retries=1,
            )
        )
        try:
            pages = store.list_pages()
        finally:
            store.close()
    except BrainError as exc:
        yield Check("notion", False, exc.message, exc.hint)
        return
    yield Check("notion", True, f"root page answers: {len(pages)} child pages")


def _database(config: BrainConfig, reference: list[datetime]) -> Check:
    from functions.webhooks.outbox import open_outbox

    url = config.state_url
    if url.startswith("sqlite:"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            if path.parent.exists() and not path.parent.is_dir():
                return Check(
                    "database",
                    False,
                    f"{path.parent} is a file; the SQLite state file goes in that folder",
                    "Move the file away, or set [state] url.",
                )
            return Check("database", True, f"no SQLite state file yet; brain serve creates {path}")
    try:
        with open_outbox(url) as outbox:
            stats = outbox.stats(datetime.now(UTC))
            server_now = _database_clock(outbox)
    except BrainError as exc:
        return Check("database", False, exc.message, exc.hint)
    if server_now is not None:
        reference.insert(0, server_now)  # the database's clock is the better reference
    return Check(
        "database",
        True,
        f"{_state_kind(config)} answers: {stats.pending} pending, {stats.dead} dead",
    )


def _database_clock(outbox: object) -> datetime | None:
    """PostgreSQL's ``now()`` (the shared clock of every instance), None for SQLite."""
    from functions.webhooks.outbox import SqlOutbox

    if not isinstance(outbox, SqlOutbox) or outbox._dialect.name != "postgresql":
        return None
    with outbox._tx("reading the server's clock", write=False) as tx:
        (row,) = tx.rows("SELECT now()")
    moment = row[0]
    return moment if isinstance(moment, datetime) else None


def _port(config: BrainConfig, port: int | None) -> Check:
    host, number = config.serve.host, config.serve.port if port is None else port
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    try:
        with socket.create_server((host.strip("[]"), number), family=family):
            pass
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            if _serving_us(host, number):
                return Check("port", True, f"{host}:{number}: brain serve is already running there")
            other = number + 1 if 0 < number < 65535 else 8081
            return Check(
                "port",
                False,
                f"{host}:{number} is in use by another program",
                f"Stop it, or serve elsewhere: --port {other} or BRAIN_SERVE__PORT={other}.",
            )
        return Check(
            "port",
            False,
            f"cannot listen on {host}:{number} ({exc.strerror or exc})",
            "Use a port above 1023 (--port or BRAIN_SERVE__PORT) and an address of this "
            "machine ([serve] host).",
        )
    return Check("port", True, f"{host}:{number} is free for brain serve")


def _serving_us(host: str, port: int) -> bool:
    import httpx

    target = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - a probe target
    try:
        answer = httpx.get(f"http://{target}:{port}/healthz", timeout=2)
        return answer.status_code == 200 and answer.json() == {"status": "ok"}
    except (httpx.HTTPError, ValueError):
        return False


def _clock(now: Callable[[], datetime], reference: list[datetime]) -> Check:
    if not reference:
        return Check(
            "clock",
            None,
            "no reference clock here (local store and SQLite): webhook timestamps are checked "
            "against this machine's clock",
        )
    mine = now()
    skew = (mine - reference[0]).total_seconds()
    if abs(skew) > MAX_CLOCK_SKEW_S:
        return Check(
            "clock",
            False,
            f"this clock is {abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} the "
            "reference (the state database, else Notion)",
            "Turn on time synchronisation (timedatectl set-ntp true, or chrony/ntpd): signed "
            "webhooks allow 5 minutes of skew and the outbox orders events by time.",
        )
    return Check("clock", True, f"within {abs(skew):.1f} s of the reference")
