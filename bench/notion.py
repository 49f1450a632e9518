"""Notion costs: API calls and wall time per command, ours beside the naive path (issue 7).

The fake Notion API (tests/notion_fake) with 250 ms of latency per call, the real
notion-client, no client-side rate limit (latency is the cost measured). "Ours" is the
service's store: one listing for versions, page copies remembered in a SQLite state
database (shards.cache.CachedStore). "Naive" is the same NotionStore with nothing
remembered: one listing plus one markdown read per page, what every command paid before
(the code before this change also retrieved each page: 3N+1 calls for a sync).

Measured: a cold get_context (a new process, state database present), an idle sync, a sync
after 1 of 6 and 1 of 60 pages changed, publishing the demo (brain split's path). The
60-page index is the demo's shards repeated (10 copies, small pages) to keep the naive run
short. Setup runs with no latency; the fake's clock is an hour behind, so every version is
settled (the steady state; the re-read after a same-minute write is tested, not benched).

    python -m bench notion
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from functions.page_copies import StatePageCache
from functions.webhooks.outbox import open_outbox
from router import sync
from router.service import ContextService
from shards import CachedStore, TiktokenCounter, apply_split, plan_split, render_page
from shards.notion import NotionOptions, NotionStore

ROOT = Path(__file__).resolve().parent.parent
MONOLITH = ROOT / "examples" / "context-index.md"
LATENCY_S = 0.25
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _store(fake: Any) -> NotionStore:
    return NotionStore(
        NotionOptions(
            token=fake.token,
            root_page_id=fake.root_id,
            base_url=fake.url,
            requests_per_second=None,
        )
    )


def _measure(fake: Any, fn: Callable[[], object]) -> dict[str, float]:
    before = len(fake.requests)
    started = time.perf_counter()
    fn()
    return {"calls": len(fake.requests) - before, "seconds": time.perf_counter() - started}


def _scenario(pages: int) -> dict[str, Any]:
    from tests.notion_fake import NotionFake

    tokenizer = TiktokenCounter()
    text = MONOLITH.read_text(encoding="utf-8")
    plan = plan_split(text, tokenizer)
    fake = NotionFake().start()
    fake.clock = (lambda base: lambda: base)(time.time() - 3600)
    out: dict[str, Any] = {"pages": pages}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            outbox = open_outbox(f"sqlite:///{Path(tmp) / 'state.sqlite3'}")

            def ours() -> CachedStore:
                return CachedStore(_store(fake), StatePageCache(lambda: outbox), key=fake.root_id)

            # publishing: ours (split's path) and naive (create, replace, retrieve per page)
            if pages <= len(plan.shards) + 1:
                fake.latency_s = LATENCY_S
                out["publish"] = _measure(
                    fake, lambda: apply_split(plan, ours(), tokenizer=tokenizer, now=NOW)
                )
                fake.latency_s = 0.0
                naive_root = fake.add_page("naive root")
                fake.latency_s = LATENCY_S

                def naive_publish() -> None:
                    store = NotionStore(
                        NotionOptions(
                            token=fake.token,
                            root_page_id=naive_root,
                            base_url=fake.url,
                            requests_per_second=None,
                        )
                    )
                    for shard in plan.shards:  # what publishing cost before: 3 calls + reads
                        ref = store._create_named(shard.header.id)
                        assert ref is not None
                        store.write(ref.id, shard.body)
                    store.close()

                out["publish_naive"] = _measure(fake, naive_publish)
                fake.latency_s = 0.0
                fake.trash_page(naive_root)
            else:
                copies = -(-pages // len(plan.shards))
                for n in range(copies):
                    for shard in plan.shards:
                        if len(fake.blocks(fake.root_id)) >= pages - len(plan.shards) - 1:
                            break
                        body = "\n".join(shard.body.splitlines()[:40])
                        name = f"{shard.header.id}-{n}"
                        header = shard.header.model_copy(update={"id": name})
                        fake.add_page(name, render_page(header, body), parent=fake.root_id)
                apply_split(plan_split(text, tokenizer), ours(), tokenizer=tokenizer, now=NOW)
            sync(ours(), tokenizer, now=NOW, options=None)  # settle: every copy remembered
            sync(ours(), tokenizer, now=NOW)

            fake.latency_s = LATENCY_S
            out["idle_sync"] = _measure(fake, lambda: sync(ours(), tokenizer, now=NOW))
            out["idle_sync_naive"] = _measure(fake, lambda: sync(_store(fake), tokenizer, now=NOW))
            out["cold_context"] = _measure(
                fake, lambda: ContextService(ours(), tokenizer).get_context("egress IPs", 3000)
            )
            out["cold_context_naive"] = _measure(
                fake, lambda: ContextService(_store(fake), tokenizer).get_context("egress", 3000)
            )
            # one page changed by hand, a minute later
            fake.latency_s = 0.0
            fake.clock = (lambda base: lambda: base)(time.time() - 3000)
            victim = next(
                b["id"]
                for b in fake.blocks(fake.root_id)
                if b["type"] == "child_page" and fake.title(b["id"]) != "router"
            )
            fake.edit_page(victim, fake.page_text(victim) + "\nAn operator's new line.")
            fake.latency_s = LATENCY_S
            out["changed_sync"] = _measure(fake, lambda: sync(ours(), tokenizer, now=NOW))
            fake.latency_s = 0.0
            fake.edit_page(victim, fake.page_text(victim) + "\nAnother line.")
            fake.latency_s = LATENCY_S
            out["changed_sync_naive"] = _measure(
                fake, lambda: sync(_store(fake), tokenizer, now=NOW)
            )
            out["pages"] = sum(1 for b in fake.blocks(fake.root_id) if b["type"] == "child_page")
            outbox.close()
    finally:
        fake.stop()
    return out


def run() -> dict[str, Any]:
    return {"six": _scenario(7), "sixty": _scenario(60)}


def table(result: dict[str, Any]) -> str:
    rows = [
        f"Fake Notion API, {LATENCY_S * 1000:.0f} ms per call, real notion-client; naive = "
        "no remembered pages (a listing plus one read per page). 8 pages: the demo's 7 shards "
        "and the router (the issue's '1 of 6'); 67 pages: 59 shards (the demo's 7 and 52 "
        "smaller ones made from it) and the routers of a two-level router. Ours: a sync after "
        "a change is 2 reads plus 2 calls per page written (the shard's header, its router "
        "pages; an update and a retrieve each). Naive publish: create, "
        "replace, retrieve per shard (the code before this change also read every page "
        "first). Every version is settled here; the first sync after a write re-reads what "
        "it wrote once (README, Notion section).",
        "",
        "| command | pages | ours: calls | ours: time | naive: calls | naive: time | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    names = [
        ("cold get_context", "cold_context"),
        ("idle sync", "idle_sync"),
        ("sync after 1 page changed", "changed_sync"),
        ("publish the demo (brain split)", "publish"),
    ]
    for label, key in names:
        for scenario in ("six", "sixty"):
            r = result[scenario]
            if key not in r:
                continue
            ours, naive = r[key], r[f"{key}_naive"]
            ratio = naive["seconds"] / ours["seconds"] if ours["seconds"] else float("inf")
            rows.append(
                f"| {label} | {r['pages']} | {ours['calls']} | {ours['seconds']:.2f} s | "
                f"{naive['calls']} | {naive['seconds']:.2f} s | {ratio:.1f}x |"
            )
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(run()))
