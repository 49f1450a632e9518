"""The sync's notices: shards that left the store are named; router rows are not shards."""

from __future__ import annotations

from pathlib import Path

from router import sync
from shards import LocalFolderStore
from tests.router.helpers import LARGE, T0, T1, TOKENS, RecordingStore, write_index


def test_a_two_level_router_gives_no_notices_and_a_deleted_shard_one(tmp_path: Path) -> None:
    write_index(tmp_path / "ws", LARGE)
    store = RecordingStore(LocalFolderStore(tmp_path / "ws"))
    sync(store, TOKENS, now=T0)
    again = sync(store, TOKENS, now=T1)
    assert again.notices == ()
    victim = next(s.page_id for s in again.shards)
    (tmp_path / "ws" / f"{victim}.md").unlink()
    after = sync(store, TOKENS, now=T1)
    assert len(after.notices) == 1 and repr(victim) in after.notices[0]
    assert "Move it back under the root page" in after.notices[0]
