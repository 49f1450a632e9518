"""Refreshing a shard's machine-maintained header fields: tokens, content_hash, updated_at."""

from __future__ import annotations

from datetime import datetime

from shards.delta import ClaudeDelta
from shards.page import Page, hash_matches
from shards.tokens import Tokenizer


def refreshed_header(page: Page, tokenizer: Tokenizer, now: datetime) -> ClaudeDelta | None:
    """The header with current machine fields, or None when they are already current.

    ``content_hash`` covers the body only, so writing a refreshed header never makes the page
    look changed on the next sync. ``updated_at`` moves only when the body did.
    """
    header = page.header
    if header is None:
        return None
    digest = page.content_hash
    if hash_matches(header.content_hash, page.body) and header.tokens is not None:
        return None
    return header.model_copy(
        update={
            "tokens": tokenizer.count(page.body),
            "content_hash": digest,
            "updated_at": now.replace(microsecond=0),
        }
    )
