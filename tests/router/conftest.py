"""Router test fixtures, built from the plain helpers in ``tests/router/helpers.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.snapshot import IndexSnapshot
from shards import TiktokenCounter
from tests.router.helpers import CountingStore, build_snapshot, build_store


@pytest.fixture(scope="module")
def tokenizer() -> TiktokenCounter:
    return TiktokenCounter()


@pytest.fixture
def store(tmp_path: Path, tokenizer: TiktokenCounter) -> CountingStore:
    """``FIXTURE`` split and synced into a fresh folder, behind a call-counting wrapper."""
    return CountingStore(build_store(tmp_path, tokenizer))


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory, tokenizer: TiktokenCounter) -> IndexSnapshot:
    """One snapshot of ``FIXTURE``, shared by a module's read-only tests."""
    return build_snapshot(tmp_path_factory.mktemp("ws"), tokenizer)
