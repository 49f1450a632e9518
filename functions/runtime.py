"""The wiring: build the store, tokenizer, services and outbox a config asks for, lazily.

Entry points (CLI, HTTP functions, MCP server) hold one :class:`Runtime` and take what they
need from it; nothing is built at import time, and nothing the command does not use is built.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from config import CHECK_INTERVAL_S, BrainConfig
from functions.marks import MarkFeed, utc_now
from functions.secrets import SecretResolver, check_at_start, index_key_bytes
from functions.webhooks.errors import OutboxError
from router import SyncOptions, SyncReport, sync
from shards import LocalFolderStore, PageStore, TiktokenCounter, TokenOptions

if TYPE_CHECKING:  # imported where used: a command loads only what it needs
    from functions.notion_events import NotionEvents
    from functions.webhooks.background import BackgroundDrainer
    from functions.webhooks.drain import Drainer
    from functions.webhooks.ledger import Ledger, Tally
    from functions.webhooks.outbox import Outbox
    from functions.webhooks.receive import WebhookReceiver
    from router import BackgroundEmbedder, ContextService, IndexPlace, Semantic

__all__ = [
    "DEMO_MONOLITH",
    "EXAMPLES",
    "Runtime",
    "utc_now",
]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DEMO_MONOLITH = EXAMPLES / "context-index.md"
#: After the state database could not be opened, uses fail fast this long before trying again
#: (webhooks answer 503 with Retry-After meanwhile; the drainer waits and tries again).
OUTBOX_RETRY_S = 5.0


log = logging.getLogger(__name__)


class Runtime:
    """Everything a command or a function needs, built from one config on first use."""

    def __init__(self, config: BrainConfig, *, secrets: SecretResolver | None = None) -> None:
        self.config = config
        self.secrets = secrets or SecretResolver(refresh_s=config.secrets.refresh_s)
        #: Start the background drainer when an event is accepted (off for tests that drain
        #: by hand). brain serve starts it at startup; a Cloud Run instance on first accept.
        self.auto_drain = True
        self._outbox_down: tuple[float, OutboxError] | None = None
        #: Keep the index snapshot current from a background thread (a long-running server:
        #: ``brain serve``, a Cloud Run instance); a one-shot command checks on its request.
        self.background_refresh = False
        #: Keeps passage vectors complete beside the refresher (``[context] semantic``).
        self.embedder: BackgroundEmbedder | None = None

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
        notion = NotionStore(
            NotionOptions(
                token=self.secrets.resolve(cfg.token),
                root_page_id=cfg.root_page_id,
                base_url=cfg.api_url,
                requests_per_second=cfg.requests_per_second,
                on_rate_limited=lambda: self.tally.count("notion:429"),
            )
        )
        # Page copies remembered in the state database: unchanged pages cost no reads.
        from functions.page_copies import StatePageCache
        from shards.cache import CachedStore

        return CachedStore(notion, StatePageCache(lambda: self.outbox), key=notion.root_page_id)

    def check_secrets(self, target: str | None = None) -> None:
        """Resolve every secret the config names (or the cloud function ``target`` reads);
        services call it at start (:func:`functions.secrets.check_at_start`)."""
        check_at_start(self.secrets, self.config, target)

    @cached_property
    def tokenizer(self) -> TiktokenCounter:
        tokens = self.config.tokens
        return TiktokenCounter(TokenOptions(margin=tokens.margin, engine=tokens.engine))

    @property
    def log_pages(self) -> frozenset[str]:
        """Pages the webhook logger writes: never shards."""
        hooks = self.config.webhooks
        pages = {hooks.log_page} | {s.log_page for s in hooks.sources.values() if s.log_page}
        return frozenset(pages)

    @cached_property
    def sync_options(self) -> SyncOptions:
        return SyncOptions(skip=self.log_pages)

    # -- webhook logger --------------------------------------------------------------------

    @cached_property
    def state_dir(self) -> Path:
        return self.config.resolve(self.config.store.path).parent / ".brain"

    @cached_property
    def outbox(self) -> Outbox:
        """The state database, opened on first use. While it cannot be opened each use raises
        OutboxError (webhooks: 503 + Retry-After) and one every OUTBOX_RETRY_S tries again,
        so the service starts and serves what does not need it without its database."""
        down = self._outbox_down
        if down is not None and time.monotonic() < down[0]:
            raise OutboxError(down[1].message, hint=down[1].hint)
        url = self.config.state_url
        try:
            if url.startswith("sqlite:"):
                self.state_dir.mkdir(parents=True, exist_ok=True)
            from functions.webhooks.outbox import open_outbox

            outbox = open_outbox(url)
        except OutboxError as exc:
            self._outbox_down = (time.monotonic() + OUTBOX_RETRY_S, exc)
            raise
        self._outbox_down = None
        return outbox

    @cached_property
    def ledger(self) -> Ledger:
        """Sync summaries and counters for the status page, beside the outbox."""
        from functions.webhooks.ledger import Ledger

        return Ledger(self.outbox)

    @cached_property
    def tally(self) -> Tally:
        from functions.webhooks.ledger import Tally

        return Tally(lambda: self.ledger, now=utc_now)

    def record_sync(self, report: SyncReport) -> None:
        """Keep a sync's roll-call line for the status page (a dry run is not kept).

        Never fails the sync: a state database that does not answer is logged.
        """
        if report.dry_run:
            return
        try:
            self.ledger.record_sync(utc_now(), ok=not report.anomalies, summary=report.roll_call())
        except (OutboxError, OSError) as exc:
            log.warning("could not record the sync for the status page: %s", exc)

    @cached_property
    def drainer(self) -> Drainer:
        hooks = self.config.webhooks
        from functions.webhooks.drain import DrainOptions
        from functions.webhooks.ledger import CountingDrainer

        return CountingDrainer(
            self.outbox,
            self.store,
            DrainOptions(
                batch=hooks.drain_batch,
                lines_per_block=hooks.lines_per_block,
                dedup_window=timedelta(days=hooks.dedup_days),
                lease_ttl_s=hooks.lease_ttl_s,
            ),
            tally=self.tally,
        )

    @cached_property
    def webhook_receiver(self) -> WebhookReceiver:
        from functions.webhooks.receive import WebhookReceiver

        return WebhookReceiver(
            self.config.webhooks,
            self.secrets,
            self.outbox,
            state_dir=self.state_dir if self.config.store.kind == "local" else None,
            on_accept=self._accepted,
        )

    @cached_property
    def _background(self) -> BackgroundDrainer:
        from functions.webhooks.background import BackgroundDrainer

        return BackgroundDrainer(lambda: self.drainer, retry_s=OUTBOX_RETRY_S)

    def start_drainer(self) -> None:
        """Run the drainer in a background thread of this process (idempotent)."""
        self._background.start()

    def stop_drainer(self, timeout_s: float = 10.0) -> None:
        if "_background" in self.__dict__:
            self._background.stop(timeout_s)

    def _accepted(self) -> None:
        if self.auto_drain:
            self.start_drainer()
        self.drainer.wake()

    def shutdown(self) -> None:
        """A server is stopping (SIGTERM): stop the drainer between batches, write counters.
        Connections stay open for whoever still holds the runtime; :meth:`close` frees them."""
        self.stop_drainer()
        if "tally" in self.__dict__:
            self.tally.flush()

    def close(self) -> None:
        """Stop the drainer and release what was built: the outbox, the store's connections."""
        self.shutdown()
        cache = getattr(self.__dict__.get("context_service"), "cache", None)
        if cache is not None:
            cache.stop_refresher()
        if self.embedder is not None:
            self.embedder.stop()
        if "outbox" in self.__dict__:
            self.outbox.close()
        close_store = getattr(self.__dict__.get("store"), "close", None)
        if callable(close_store):
            close_store()

    # -- get_context -----------------------------------------------------------------------

    @cached_property
    def context_service(self) -> ContextService:
        from router import ContextService, Redactor, ServiceOptions, SnapshotOptions

        ctx = self.config.context
        service = ContextService(
            self.store,
            self.tokenizer,
            options=ServiceOptions(
                default_budget=ctx.default_budget,
                max_budget=ctx.max_budget,
                snapshot=SnapshotOptions(
                    check_interval_s=self.check_interval_s,
                    sync=self.sync_options,
                    persist=self.index_place,
                    persist_key=self.index_key,
                    workspace=self.workspace_id,
                    freeze_gc=True,
                ),
            ),
            redactor=Redactor(),
            changes=MarkFeed(lambda: self.outbox),
            semantic=self.semantic,
        )
        if self.background_refresh:
            service.cache.start_refresher()
            if service.semantic is not None and not self._shared_vectors:
                from router import BackgroundEmbedder

                self.embedder = BackgroundEmbedder(
                    lambda stop: service.embed(stop=stop), max(self.check_interval_s, 5.0)
                )
                self.embedder.start()
        return service

    @cached_property
    def semantic(self) -> Semantic | None:
        """The semantic signal (``[context] semantic``); None when off or when the model is
        not installed. Its vectors live in a file beside the saved index, or, on Cloud Run,
        in the state database (:class:`functions.vectors.StateVectors`): an instance's disk
        dies with it and its CPU is throttled between requests, so there the scheduled sync
        job computes them (:meth:`scheduled_sync`) and every instance reads them."""
        if self.config.context.semantic == "off":
            return None
        from router import open_semantic

        if self._shared_vectors:
            from functions.vectors import StateVectors

            return open_semantic(StateVectors(lambda: self.outbox))
        path = self.index_path.with_suffix(".vectors.npz") if self.persists_index else None
        return open_semantic(path)

    @property
    def _shared_vectors(self) -> bool:
        from functions.logs import in_the_cloud

        return in_the_cloud()

    def _index_for_instances(self) -> dict[str, int] | None:
        """On Cloud Run, the saved index in the state database brought up to the pages just
        synced, so a new instance starts from it: the job is its one writer (the cache saves
        what it rebuilds); its shard count. The page versions are listed now, not when the
        cache's check interval next falls due (300 s on Notion): a warm job instance would
        otherwise save what it saw a run ago. None where the index is not shared (a local
        process saves its own)."""
        from functions.saved_index import StateIndexPlace

        place = self.index_place
        if not isinstance(place, StateIndexPlace):
            return None
        place.read_only = False
        return {"shards": len(self.context_service.cache.refresh().shards)}

    def _embed_for(self, seconds: float) -> dict[str, int] | None:
        """Compute missing passage vectors for at most ``seconds`` (the next run goes on
        where this one stopped); None without the semantic signal."""
        import threading

        if self.semantic is None:
            return None
        stop = threading.Event()
        timer = threading.Timer(seconds, stop.set)
        timer.start()
        try:
            cover = self.context_service.embed(stop=stop)
        finally:
            timer.cancel()
        return None if cover is None else {"passages": cover.passages, "embedded": cover.embedded}

    @property
    def persists_index(self) -> bool:
        """``[context] persist_index``, to a file in the state directory: not on Cloud Run,
        where an instance's filesystem is held in its memory and dies with it (there the
        index goes to the state database: :attr:`index_place`)."""
        from functions.logs import in_the_cloud

        return self.config.context.persist_index and not in_the_cloud()

    @cached_property
    def index_place(self) -> IndexPlace | Path | None:
        """Where the built index is saved and a new process starts from (``[context]
        persist_index``): a file in the state directory, or on Cloud Run the state database
        (:class:`functions.saved_index.StateIndexPlace`), where each new instance finds what
        the scheduled sync job saved (an instance only reads it: see
        :meth:`_index_for_instances`). None when persisting is off."""
        if not self.config.context.persist_index:
            return None
        if self.persists_index:
            return self.index_path
        from functions.saved_index import StateIndexPlace

        if self.config.context.index_key is None:
            log.warning(
                "the saved index in the state database is not signed: who can write the"
                " database could make this service load a file of theirs. Set [context]"
                " index_key to a Secret Manager reference (see infra/README.md)."
            )

        return StateIndexPlace(lambda: self.outbox, read_only=True)

    @property
    def index_key(self) -> Callable[[], bytes] | None:
        """What signs the saved index (``[context] index_key``): the secret's value, read
        when the cache loads or saves (a rotated secret is picked up) and hashed into a key;
        None when unset. Unset on Cloud Run, the saved index in the state database is
        unsigned, and the service says so when it starts (``brain doctor`` too)."""
        ref = self.config.context.index_key
        if ref is None or not self.config.context.persist_index:
            return None
        secrets = self.secrets
        return lambda: index_key_bytes(secrets.resolve(ref))

    @property
    def workspace_id(self) -> str:
        """What the index is of: the folder, or the Notion root page."""
        cfg = self.config.store
        if cfg.kind == "local":
            return f"local:{self.config.resolve(cfg.path).resolve()}"
        return f"notion:{cfg.root_page_id}"

    @property
    def index_path(self) -> Path:
        """Where the built index is saved (``[context] persist_index``), in the state dir."""
        import hashlib

        key = hashlib.blake2b(self.workspace_id.encode(), digest_size=4).hexdigest()
        return self.state_dir / f"index-{self.config.store.kind}-{key}.bin"

    @property
    def check_interval_s(self) -> float:
        """``[context] check_interval_s``, or the store kind's default when unset."""
        configured = self.config.context.check_interval_s
        return CHECK_INTERVAL_S[self.config.store.kind] if configured is None else configured

    # -- Notion events and the scheduled job -----------------------------------------------

    @cached_property
    def notion_events(self) -> NotionEvents:
        """POST /notion/events: verify Notion's events, mark the pages they name stale."""

        def mark_local(page_id: str) -> None:
            if "context_service" in self.__dict__:  # this process serves get_context too
                self.context_service.cache.mark_stale(page_id)

        from functions.notion_events import NotionEvents

        return NotionEvents(
            self.config.webhooks,
            self.secrets,
            outbox=lambda: self.outbox,
            receiver=lambda: self.webhook_receiver,
            mark_local=mark_local,
            written_at=self._written_at,
        )

    def _written_at(self, page_id: str) -> datetime | None:
        """When this service last wrote ``page_id`` (page_copies.written_at), or None."""
        key = getattr(self.store, "key", None)
        return self.outbox.written_at(key, page_id) if isinstance(key, str) else None

    def scheduled_sync(self) -> dict[str, object]:
        """The Cloud Scheduler job: sync the index, then drain the webhook outbox once."""
        report = sync(self.store, self.tokenizer, now=utc_now(), options=self.sync_options)
        self.record_sync(report)
        drained = self.drainer.drain()  # every page the outbox has work for
        return {
            "sync": report.to_json(),
            "index": self._index_for_instances(),
            # on Cloud Run the job is where vectors are computed; a local server's background
            # embedder does it there
            "vectors": (
                self._embed_for(self.config.context.embed_budget_s)
                if self._shared_vectors
                else None
            ),
            "drain": {
                "appended": sum(r.appended for r in drained),
                "reconciled": sum(r.reconciled for r in drained),
                "dead": sum(r.dead for r in drained),
                "errors": [r.error for r in drained if r.error],
            },
        }
