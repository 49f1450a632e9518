"""The configuration model: ``brain.toml`` (or ``--config FILE``), overridable by environment.

Environment variables are ``BRAIN_`` + the key path in upper case, sections joined by ``__``:
``BRAIN_STORE__KIND=notion``, ``BRAIN_WEBHOOKS__LOG_PAGE=ops-log``. Secrets are references,
never values: ``env:NAME`` (an environment variable) or
``sm:projects/P/secrets/S/versions/V`` (Google Secret Manager). With no file at all the
embedded default applies: a local ``workspace`` folder and a SQLite state file beside it, so
``brain serve`` works on a fresh machine with no Notion and no cloud.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "BEARER_TARGETS",
    "CHECK_INTERVAL_S",
    "CONFIG_ENV",
    "DEFAULT_CONFIG_FILE",
    "ENV_PREFIX",
    "FUNCTION_TARGETS",
    "INDEX_TARGETS",
    "NOTION_EVENTS_SOURCE",
    "SCHEMES",
    "BrainConfig",
    "ContextConfig",
    "DeployConfig",
    "ServeConfig",
    "SourceConfig",
    "StateConfig",
    "StoreConfig",
    "TokensConfig",
    "WebhooksConfig",
    "env_name",
]

DEFAULT_CONFIG_FILE = "brain.toml"
#: The variable naming the config file where no ``--config`` is given (set in the image).
CONFIG_ENV = "BRAIN_CONFIG"
#: Every key's environment override is this prefix + the key path, sections joined by ``__``.
ENV_PREFIX = "BRAIN_"
ENV_NESTED = "__"
#: The webhook source whose secret verifies Notion integration events (``POST /notion/events``).
NOTION_EVENTS_SOURCE = "notion"
#: The functions-framework targets of ``main.py``; in the cloud each is a Cloud Run service.
FUNCTION_TARGETS = ("context", "webhooks", "notion_events", "sync", "mcp", "status")
#: The targets the bearer token (``[serve] auth_token``) opens to callers without Google IAM.
BEARER_TARGETS = ("context", "mcp", "status")
#: The targets that load the saved index (and ``sync``, which saves it): the readers of
#: ``[context] index_key``.
INDEX_TARGETS = ("context", "mcp", "status", "sync")
Scheme = Literal["github", "stripe", "standard", "slack", "notion", "hmac-sha256"]
SCHEMES: tuple[str, ...] = get_args(Scheme)
_SECRET_REF = re.compile(
    r"^(env:[A-Za-z_][A-Za-z0-9_]*|sm:projects/[^/]+/secrets/[^/]+/versions/[^/]+)$"
)


def _check_ref(value: str) -> str:
    if not _SECRET_REF.match(value):
        raise ValueError(
            "must be a secret reference, 'env:NAME' or "
            "'sm:projects/P/secrets/S/versions/V', never the secret itself"
        )
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreConfig(_Section):
    """Where pages live."""

    kind: Literal["local", "notion"] = "local"
    path: str = "workspace"  # local store: one markdown file per page
    root_page_id: str | None = None  # notion: the page whose child pages are the index
    token: str | None = None  # notion: secret reference to the integration token
    requests_per_second: float = 3.0  # notion: client-side limit (Notion allows ~3 rps)
    api_url: str = "https://api.notion.com"  # notion: change only for a proxy or a test fake

    @field_validator("token")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        return None if value is None else _check_ref(value)


class SourceConfig(_Section):
    """One webhook sender."""

    scheme: Scheme
    secrets: tuple[str, ...] = ()  # several while rotating
    log_page: str | None = None  # overrides [webhooks] log_page for this source

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_ref(v) for v in value)


class WebhooksConfig(_Section):
    """The webhook logger."""

    log_page: str = "webhook-log"
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    dedup_days: float = Field(default=7.0, gt=0)
    max_line_chars: int = Field(default=2000, ge=200)
    roll: Literal["none", "monthly"] = "none"  # monthly: log to "<log_page>-YYYY-MM"
    lines_per_block: int = Field(default=1, ge=1, le=50)  # >1 packs lines into one block
    drain_batch: int = Field(default=100, ge=1, le=100)
    lease_ttl_s: float = Field(default=60.0, gt=0)  # a killed drainer blocks its page this long


class StateConfig(_Section):
    """Shared state: the webhook outbox and dedup keys."""

    url: str = ""  # "" -> sqlite file .brain/state.sqlite3 beside the workspace


class TokensConfig(_Section):
    margin: float = Field(default=0.15, ge=0, le=2)
    # What counts (shards.TokenOptions.engine): "auto" switches from tiktoken to quicktok (the
    # same counts, 5x as fast) once a process has counted ~1 MB; "tiktoken" never does.
    engine: Literal["auto", "tiktoken", "quicktok"] = "auto"


#: ``[context] check_interval_s`` when unset, per store kind. Listing a local folder is a
#: directory scan; listing Notion costs a request per page out of ~3 requests/s, so a Notion
#: index relies on POST /notion/events (page marks in the state database) to notice edits
#: sooner and only checks versions every five minutes as a fallback.
CHECK_INTERVAL_S = {"local": 2.0, "notion": 300.0}


class ContextConfig(_Section):
    """get_context.

    ``check_interval_s`` is how often a warm service lists the store's page versions to
    notice edits; None (the default) means 2 s for the local store, 300 s for Notion
    (:data:`CHECK_INTERVAL_S`). Pages named by Notion events are re-read within about a
    second either way. ``persist_index`` saves the built index in the state directory (on
    Cloud Run, in the state database) so a new process starts from it (checked against the
    page versions, rebuilt when stale). ``index_key`` (a secret reference) signs it: set, a
    saved index is loaded only when signed with that key, so who can write the state
    database cannot make the service unpickle a file of theirs (see :mod:`router.persist`).
    ``semantic``: ``auto`` ranks by meaning as well as by words wherever the embedding model
    is installed (``make install`` installs it) and every passage has its vector (``brain
    sync`` computes them, ``brain serve`` in the background; on Cloud Run the scheduled sync
    job, for at most ``embed_budget_s`` a run, into the state database); ``off`` ranks by
    words only.
    """

    default_budget: int = Field(default=4000, gt=0)
    max_budget: int = Field(default=200_000, gt=0)
    check_interval_s: float | None = Field(default=None, ge=0)
    persist_index: bool = True
    index_key: str | None = None  # secret reference; signs the saved index
    semantic: Literal["auto", "off"] = "auto"
    embed_budget_s: float = Field(default=120.0, gt=0)

    @field_validator("index_key")
    @classmethod
    def _index_key(cls, value: str | None) -> str | None:
        return None if value is None else _check_ref(value)


class ServeConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    auth_token: str | None = None  # secret reference; required unless bound to loopback

    @field_validator("auth_token")
    @classmethod
    def _auth(cls, value: str | None) -> str | None:
        return None if value is None else _check_ref(value)


class SecretsConfig(_Section):
    """Resolving secret references.

    ``refresh_s``: a Secret Manager reference to ``versions/latest`` is read again when its
    value is older than this, so a rotated secret is picked up without a restart (a failed
    re-read keeps the old value and tries again a minute later). Pinned versions and
    ``env:`` references never change while the process runs.
    """

    refresh_s: float = Field(default=300.0, ge=1)


class DeployConfig(_Section):
    """The cloud deployment (read by ``infra.plan``; see ``brain deploy --dry-run``)."""

    project: str = "my-project"
    region: str = "us-central1"
    image: str = "us-docker.pkg.dev/my-project/brain/brain:latest"
    service_prefix: str = "brain"
    sync_schedule: str = "*/15 * * * *"
    # sm: reference to a secret holding the PostgreSQL URL (it carries the database password,
    # so it stays out of brain.toml and the image): Cloud Run injects it as BRAIN_STATE__URL.
    state_url_secret: str | None = None
    # Cloud SQL connection name "PROJECT:REGION:INSTANCE", mounted at /cloudsql/<name>; the
    # state URL then uses host=/cloudsql/<name>. Read from [state] url when left unset.
    cloudsql_instance: str | None = None
    # Targets kept warm: one instance each that never scales to zero (billed while idle), so
    # a call after a quiet hour meets no cold start (a new container and the saved index).
    warm: tuple[str, ...] = ()

    @field_validator("warm")
    @classmethod
    def _warm(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [t for t in value if t not in FUNCTION_TARGETS]
        if unknown:
            raise ValueError(
                f"{', '.join(map(repr, unknown))}: not a target; the targets are "
                f"{', '.join(FUNCTION_TARGETS)}"
            )
        return tuple(dict.fromkeys(value))

    @field_validator("state_url_secret")
    @classmethod
    def _state_url_secret(cls, value: str | None) -> str | None:
        if value is not None and not _check_ref(value).startswith("sm:"):
            raise ValueError("must be an 'sm:projects/P/secrets/S/versions/V' reference")
        return value

    @field_validator("cloudsql_instance")
    @classmethod
    def _cloudsql(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^/\s]+:[a-z0-9-]+:[a-z0-9-]+", value):
            raise ValueError("must be a Cloud SQL connection name 'PROJECT:REGION:INSTANCE'")
        return value


class BrainConfig(BaseModel):
    """The whole configuration; sections mirror brain.toml. ``load_config`` reads it, the
    environment on top (:mod:`config.env`)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # A pasted secret is exactly what validation rejects: keep it out of the error text
        # (and so out of any logged traceback of the ConfigError's cause).
        hide_input_in_errors=True,
    )

    store: StoreConfig = Field(default_factory=StoreConfig)
    webhooks: WebhooksConfig = Field(default_factory=WebhooksConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    tokens: TokensConfig = Field(default_factory=TokensConfig)
    context: ContextConfig = Field(default_factory=ContextConfig)
    serve: ServeConfig = Field(default_factory=ServeConfig)
    secrets: SecretsConfig = Field(default_factory=SecretsConfig)
    deploy: DeployConfig = Field(default_factory=DeployConfig)
    # Where the file was read from (None: embedded default); relative paths resolve against it.
    base_dir: str = "."

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        p = Path(path)
        return p if p.is_absolute() else Path(self.base_dir) / p

    @property
    def state_url(self) -> str:
        if self.state.url:
            return self.state.url
        workspace = self.resolve(self.store.path)
        return f"sqlite:///{workspace.parent / '.brain' / 'state.sqlite3'}"


def env_name(key: str) -> str:
    """The environment variable that overrides ``key``: ``"state.url"`` -> ``BRAIN_STATE__URL``."""
    return ENV_PREFIX + key.upper().replace(".", ENV_NESTED)
