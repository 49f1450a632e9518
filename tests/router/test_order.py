"""Order statistics without a whole partition (router._order): the numbers numpy gives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router import _order
from router.select import dense_relevance


def _values(seed: int, size: int, kind: str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "uniform":
        return rng.uniform(-1, 1, size)
    if kind == "ties":  # many passages with the same similarity
        return rng.integers(-3, 4, size) / 4
    if kind == "sorted":  # the sample is strided: an ordered array must not fool it
        return np.sort(rng.standard_normal(size))
    return np.concatenate(
        [rng.normal(0.1, 0.05, size - size // 50), rng.normal(0.7, 0.05, size // 50)]
    )


kinds = st.sampled_from(["uniform", "ties", "sorted", "two humps"])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 40_000), kind=kinds)
def test_ranked_values_and_the_median_are_numpys(seed: int, size: int, kind: str) -> None:
    values = _values(seed, size, kind)
    ranks = sorted({0, size // 2, size - 1, max(0, size - 512)})
    part = np.partition(values, ranks)
    for rank in ranks:
        assert _order.ranked(values, [rank]) == [part[rank]]
    assert _order.median(values) == np.median(values)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(1, 3_000), kind=kinds)
def test_the_bracket_finds_the_same_values_on_any_array(seed: int, size: int, kind: str) -> None:
    values = _values(seed, size, kind)
    middle = [size // 2 - 1, size // 2] if size % 2 == 0 else [size // 2]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_order, "WHOLE", 0)  # the sampled path, even on small arrays
        patch.setattr(_order, "SAMPLE", 64)
        patch.setattr(_order, "MARGIN", 2)  # narrow: misses happen, and must not matter
        assert _order.median(values) == np.median(values)
        expected = [float(v) for v in np.partition(values, middle)[middle]]
        assert _order.ranked(values, middle) == expected


def test_nan_gives_numpys_nan_median() -> None:
    values = np.linspace(0, 1, 20_000)
    values[7] = np.nan
    assert np.isnan(_order.median(values)) and np.isnan(np.median(values))
    with pytest.raises(IndexError):
        _order.ranked(values, [20_000])


def _reference_relevance(sims: np.ndarray, power: float, top: int) -> np.ndarray:
    """dense_relevance as first written, whole-array: the numbers an answer must keep."""
    wide = sims.astype(np.float64)
    if not len(wide):
        return wide
    median = float(np.median(wide))
    spread = float(wide.max()) - median
    if spread <= 1e-6:
        return np.zeros_like(wide)
    if len(wide) > top:
        floor = max(median, float(np.partition(wide, len(wide) - top)[len(wide) - top]))
        wide = np.where(wide >= floor, wide, median)
    out: np.ndarray = np.clip((wide - median) / spread, 0.0, None) ** power
    return out


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(0, 70_000),
    kind=kinds,
    power=st.sampled_from([2.0, 1.0, 0.5, 3.0, 0.0]),
    top=st.sampled_from([1, 100, 512, 100_000]),
)
def test_dense_relevance_keeps_its_numbers_to_the_bit(
    seed: int, size: int, kind: str, power: float, top: int
) -> None:
    sims = _values(seed, size, kind).astype(np.float32) if size else np.zeros(0, np.float32)
    fast, slow = dense_relevance(sims, power, top), _reference_relevance(sims, power, top)
    assert fast.dtype == slow.dtype and fast.tobytes() == slow.tobytes()
