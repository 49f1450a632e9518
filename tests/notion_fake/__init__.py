"""A fake Notion API over real loopback HTTP, and the ``notion_fake`` pytest fixture.

Use it with the real SDK::

    client = notion_client.Client(auth=notion_fake.token, base_url=notion_fake.url)

``tests/conftest.py`` imports the fixture, so every test can ask for ``notion_fake``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notion_fake.server import NotionFake, Request

__all__ = ["NotionFake", "Request", "notion_fake"]


@pytest.fixture
def notion_fake() -> Iterator[NotionFake]:
    """A running fake with an empty root page (``notion_fake.root_id``), no rate limit."""
    fake = NotionFake().start()
    try:
        yield fake
    finally:
        fake.stop()
    assert not fake.errors, f"the fake Notion API hit a bug of its own: {fake.errors!r}"
