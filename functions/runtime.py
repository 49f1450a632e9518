"""The wiring: build the store, tokenizer, services and outbox a config asks for, lazily.

Entry points (CLI, HTTP functions, MCP server) hold one :class:`Runtime` and take what they
need from it; nothing is built at import time, and nothing the command does not use is built.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from functions.config import BrainConfig
from functions.secrets import SecretResolver
from router import SyncOptions
from shards import LocalFolderStore, PageStore, TiktokenCounter, TokenOptions

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DEMO_MONOLITH = EXAMPLES / "context-index.md"


def utc_now() -> datetime:
    return datetime.now(UTC)


class Runtime:
    """Everything a command or a function needs, built from one config on first use."""

    def __init__(self, config: BrainConfig, *, secrets: SecretResolver | None = None) -> None:
        self.config = config
        self.secrets = secrets or SecretResolver()
        self._lock = threading.Lock()

    @cached_property
    def store(self) -> PageStore:
        cfg = self.config.store
        if cfg.kind == "local":
            return LocalFolderStore(self.config.resolve(cfg.path))
        from shards.notion import NotionOptions, NotionStore

        if not cfg.token or not cfg.root_page_id:
            from functions.errors import ConfigError

            raise ConfigError(
                "[store] kind = 'notion' needs root_page_id and token",
                hint="Set root_page_id to the Context Index page id and token to "
                "'sm:projects/P/secrets/NOTION_API_TOKEN/versions/latest' (or env:NAME).",
            )
        return NotionStore(
            NotionOptions(
                token=self.secrets.resolve(cfg.token),
                root_page_id=cfg.root_page_id,
                requests_per_second=cfg.requests_per_second,
            )
        )

    @cached_property
    def tokenizer(self) -> TiktokenCounter:
        return TiktokenCounter(TokenOptions(margin=self.config.tokens.margin))

    @property
    def log_pages(self) -> frozenset[str]:
        """Pages the webhook logger writes: never shards."""
        hooks = self.config.webhooks
        pages = {hooks.log_page} | {s.log_page for s in hooks.sources.values() if s.log_page}
        return frozenset(pages)

    @cached_property
    def sync_options(self) -> SyncOptions:
        return SyncOptions(skip=self.log_pages)
