"""Section documents summed shard by shard equal the sums over the whole index at once."""

from __future__ import annotations

import random

import numpy as np

from router.lexicon import _sum_by_section
from router.select import DocTerms


def _shard(rng: random.Random, sections: int) -> tuple[DocTerms, list[int]]:
    counts = [rng.randint(0, 4) for _ in range(sections)]
    bags = []
    for _ in range(sum(counts)):
        ids = rng.sample(range(60), rng.randint(0, 8))
        bags.append((ids, [rng.randint(1, 5) for _ in ids], rng.randint(0, 40)))
    return DocTerms.of(bags), counts


def test_summing_by_shard_gives_the_arrays_of_one_sum_over_every_shard() -> None:
    rng = random.Random(3)
    shards = [_shard(rng, rng.randint(0, 6)) for _ in range(25)]
    whole = _sum_by_section(
        DocTerms.concat([p for p, _ in shards]), [c for _, counts in shards for c in counts]
    )
    parts = DocTerms.concat([_sum_by_section(p, counts) for p, counts in shards])
    assert whole.size == sum(len(counts) for _, counts in shards) > 50
    for name in ("ptr", "terms", "counts", "lengths"):
        ours, theirs = getattr(parts, name), getattr(whole, name)
        assert ours.dtype == theirs.dtype
        assert np.array_equal(ours, theirs), name
