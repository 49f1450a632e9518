"""Shared pytest fixtures."""

from __future__ import annotations

# --- PostgreSQL ------------------------------------------------------------------------------
# Tests marked ``postgres`` take ``postgres_url``: a URL whose search_path is a fresh schema,
# dropped afterwards, so tests never see each other's tables. The server comes from
# BRAIN_TEST_POSTGRES_URL (default below). Unreachable: skip locally, fail when CI=true.
import os
import re
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql

from tests.env import SEMANTIC_ENV

POSTGRES_URL_ENV = "BRAIN_TEST_POSTGRES_URL"
POSTGRES_URL_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The test server's URL, checked once per session."""
    url = os.environ.get(POSTGRES_URL_ENV, POSTGRES_URL_DEFAULT)
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        shown = re.sub(r"(://[^:/@?]*):[^@/?]*@", r"\1:***@", url)
        reason = f"PostgreSQL not reachable at {shown} (set {POSTGRES_URL_ENV}): {exc}".strip()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires PostgreSQL: {reason}")
        pytest.skip(reason)
    return url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A URL on the test server whose search_path is a fresh, private schema."""
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    joiner = "&" if "?" in postgres_server_url else "?"
    yield f"{postgres_server_url}{joiner}options={quote(f'-c search_path={schema}')}"
    with psycopg.connect(postgres_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


# --- Notion ----------------------------------------------------------------------------------
from tests.notion_fake import notion_fake  # noqa: E402, F401  (the fake Notion API fixture)

# --- The user's cache folder ---------------------------------------------------------------------
# The tokenizer keeps its parsed ranks in $XDG_CACHE_HOME/context-index/ (shards.tokens): the
# suite, and every process it starts, uses a folder of its own, never the developer's ~/.cache.


@pytest.fixture(scope="session", autouse=True)
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


# --- The semantic signal -------------------------------------------------------------------------
# Embedding a corpus takes seconds (about 27 s for the demo on this 2-core machine), so every
# test runs with ``[context] semantic = "off"`` (through the environment, which subprocesses
# inherit) unless it is marked ``semantic``; those take ``minilm`` and use the real model.
# Missing model: skip locally, fail when CI=true (``make install`` installs it).


@pytest.fixture(autouse=True)
def _semantic_off_unless_marked(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if request.node.get_closest_marker("semantic") is None:
        monkeypatch.setenv(SEMANTIC_ENV, "off")


@pytest.fixture(scope="session")
def minilm() -> object:
    """The real embedding model (router.semantic.MiniLM), loaded once per session."""
    from router.semantic import MiniLM, find_model, unavailable_reason

    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires the embedding model: {reason}")
        pytest.skip(reason)
    folder = find_model()
    assert folder is not None
    return MiniLM(folder)
