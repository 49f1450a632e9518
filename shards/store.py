"""The page store protocol: where pages live (a local folder, Notion).

Both backends pass the same contract tests (``tests/shards/test_store_contract.py``). Ids are
the store's own: a file name without ``.md`` locally, a page id in Notion. A ``version`` is an
opaque change token (a content hash locally, ``last_edited_time`` in Notion): equal versions
mean the page has not changed, so a reader can skip re-reading it, as long as the copy it
holds is *settled* (:attr:`StoredPage.settled`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from shards.errors import PageError

#: What the message of a page that cannot be read whole says (a truncated Notion page whose
#: left-out blocks could not be read): entry points exit non-zero on it.
INCOMPLETE_PAGE = "the page is too large to read whole"


@dataclass(frozen=True)
class PageRef:
    """A page's identity and change token, as cheap to list as the backend allows.

    ``name`` is what config may call the page by when that differs from ``id``: a Notion child
    page's title (``webhook-log``), so a config written for the local store means the same page.
    """

    id: str
    version: str
    url: str
    name: str = ""

    def named(self, names: frozenset[str]) -> bool:
        """True when the page's id or name is one of ``names``."""
        return self.id in names or (bool(self.name) and self.name in names)


@dataclass(frozen=True)
class StoredPage:
    """A page's whole markdown text with the version it was read at.

    ``settled`` is False when a later edit could leave ``version`` as it is (Notion's
    ``last_edited_time`` is rounded to the minute, and this copy was read within that
    minute): equal versions then do not prove the text is current, and a cache re-reads the
    page (comparing the text) before trusting it again. A content-hash version is always
    settled.
    """

    id: str
    text: str
    version: str
    url: str
    settled: bool = True


@dataclass(frozen=True)
class UnusableFile:
    """A file in the store's folder that cannot be a page: which, why, and what to do.

    ``file`` is the name as found in the folder (undecodable bytes shown as ``\\xNN``).
    """

    file: str
    reason: str
    hint: str

    def to_json(self) -> dict[str, str]:
        return {"file": self.file, "reason": self.reason, "hint": self.hint}


@runtime_checkable
class ReportsUnusable(Protocol):
    """A store that can name the files it skips (the local folder; Notion has no such files)."""

    def unusable_files(self) -> list[UnusableFile]:
        """Every file that looks meant as a page but cannot be one, sorted by name."""
        ...


@runtime_checkable
class PageStore(Protocol):
    """Reading and writing pages. Errors are :class:`shards.errors.StoreError` subclasses."""

    def list_pages(self) -> list[PageRef]:
        """Every page in the store (log pages included), sorted by id."""
        ...

    def read(self, page_id: str) -> StoredPage:
        """The page's text; :class:`PageNotFound` when there is none."""
        ...

    def write(self, page_id: str, text: str) -> PageRef:
        """Create or replace the whole page, atomically where the backend allows."""
        ...

    def append(self, page_id: str, lines: Sequence[str]) -> None:
        """Append lines (one block each) to a page, creating it when missing."""
        ...

    def tail(self, page_id: str, count: int) -> list[str]:
        """The last ``count`` lines (blocks) of a page, oldest first; [] for a missing page."""
        ...

    def url(self, page_id: str) -> str:
        """A link a person can open: ``file://`` locally, ``https://www.notion.so/...``."""
        ...


def check_blocks(page_id: str, blocks: Sequence[str]) -> None:
    """What every store's ``append`` accepts: blocks of one or more ``\n``-joined lines.

    A block may hold several lines (packed log lines) but no carriage return and no trailing
    line break, so a store can keep it as one unit and :meth:`PageStore.tail` reads it back.
    """
    for block in blocks:
        if "\r" in block or block.endswith("\n"):
            raise PageError(
                "a log block must not contain carriage returns or end with a line break",
                page_id=page_id,
            )
