"""The digest: every shard while the router is one page, the top router's domains beyond."""

from __future__ import annotations

import pytest

from router import parse_router, sync
from router.digest import DIGEST_FORMS, domains_of, render_digest
from router.pack import pack
from router.select import select
from router.snapshot import IndexedShard, IndexSnapshot, SnapshotCache
from shards import ClaudeDelta, LocalFolderStore, TiktokenCounter
from tests.router.helpers import NOW, write_index


def _shards(count: int) -> tuple[IndexedShard, ...]:
    """``count`` indexed shards named like ``write_index``'s, without reading any page."""
    domains = ("clients", "infra", "adr", "finance", "procedures")
    out = []
    for n in range(count):
        shard_id = f"{domains[n % 5]}-{n:04d}" if n % 13 else f"odd{n}-notes"
        header = ClaudeDelta(
            id=shard_id,
            title=f"{shard_id.split('-')[0].capitalize()} note {n}",
            summary="Who to call, what the contract says and when it renews.",
            fetch_when=("renewal", "contract terms", f"note {n}"),
            tokens=900,
        )
        out.append(
            IndexedShard(
                id=shard_id,
                page_id=shard_id,
                url=f"https://www.notion.so/{shard_id}-0123456789abcdef0123456789abcdef",
                version="1",
                header=header,
                body_digest=b"",
                tokens=900,
                sections=(),
                stale=("edited since the last sync",) if n == 7 else (),
            )
        )
    return tuple(sorted(out, key=lambda s: s.id))


def test_a_small_index_s_digest_lists_every_shard() -> None:
    shards = _shards(6)
    assert domains_of(shards) == ()
    full = render_digest(shards, "full")
    assert full.startswith("# Context index: 6 shards\n")
    for shard in shards:
        assert f"- `{shard.id}` {shard.title} — {shard.header.summary} (900 tokens)" in full


@pytest.mark.parametrize("count", [142, 722, 2000])
def test_a_large_index_s_digest_lists_domains_and_stays_small(count: int) -> None:
    tokens = TiktokenCounter()
    shards = _shards(count)
    domains = domains_of(shards)
    assert 2 <= len(domains) <= 12
    full = render_digest(shards, "full")
    lines = full.split("\n")
    assert lines[0] == f"# Context index: {count:,} shards in {len(domains)} domains"
    assert len(lines) == 1 + len(domains)
    for domain, line in zip(domains, lines[1:], strict=True):
        assert line.startswith(f"- {domain.title} — ")
        assert f"`{domain.shards[0]}`" in line
    # about the same size at 2,000 shards as at 142: a line per domain, not per shard
    assert tokens.count(full) <= 500
    assert tokens.count(render_digest(shards, "short")) <= 150
    assert tokens.count(render_digest(shards, "ids")) <= 80
    assert render_digest(shards, "ids").endswith(": " + ", ".join(d.id for d in domains))
    assert sum("1 stale" in line for line in lines) == 1  # shard 7 is stale: its domain says so


def test_each_form_is_computed_once_per_snapshot() -> None:
    shards = _shards(300)
    first = [render_digest(shards, form) for form in DIGEST_FORMS]
    assert [render_digest(shards, form) for form in DIGEST_FORMS] == first
    assert render_digest(list(shards), "full") == first[0]  # a list is not a cache key


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalFolderStore, IndexSnapshot]:
    path = tmp_path_factory.mktemp("large") / "ws"
    write_index(path, 142)
    store = LocalFolderStore(path)
    sync(store, TiktokenCounter(), now=NOW)
    return store, SnapshotCache(store, TiktokenCounter()).get()


def test_the_digest_names_the_same_domains_as_the_top_router(
    large: tuple[LocalFolderStore, IndexSnapshot],
) -> None:
    store, snapshot = large
    top = parse_router(store.read("router").text)
    assert top.lists == "domains"
    listed = [parse_router(store.read(r.page).text, page_id=r.page).header.domain for r in top.rows]
    domains = domains_of(snapshot.shards)
    assert [d.id for d in domains] == list(dict.fromkeys(listed))  # parts of one domain: one line
    lines = snapshot.digest.split("\n")[1:]
    assert [line.split(" — ", 1)[0] for line in lines] == [f"- {d.title}" for d in domains]


def test_get_context_on_a_two_level_index_starts_with_the_domain_digest_within_budget(
    large: tuple[LocalFolderStore, IndexSnapshot],
) -> None:
    _, snapshot = large
    tokens = TiktokenCounter()
    for budget in (60, 400, 4_000):
        packed = pack(snapshot, select(snapshot, "stripe invoice rollback", ()), budget, tokens)
        assert packed.tokens == tokens.count(packed.text) <= budget
    assert packed.digest == "full"
    assert packed.text.startswith(snapshot.digest)
    assert "shards in" in snapshot.digest
