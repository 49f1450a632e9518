"""Pages and their content: claude_delta headers, sections, tokens, page stores, splitting.

Splitting a monolith and refreshing a header (``shards.split``, ``shards.describe``,
``shards.refresh``) are imported on first use (PEP 562): ``brain split`` and ``brain sync``
need them, a ``brain context`` answered from the saved index does not.
"""

import importlib
from typing import TYPE_CHECKING, Any

from shards.cache import CachedStore, MemoryPageCache, PageCache
from shards.delta import (
    HEADER_SOFT_LIMIT_BYTES,
    MACHINE_FIELDS,
    SCHEMA_VERSION,
    ClaudeDelta,
    format_timestamp,
    header_problems,
    header_size,
    parse_header_text,
    render_header,
)
from shards.errors import (
    BrainError,
    HeaderError,
    PageError,
    PageNotFound,
    SplitError,
    StoreError,
    StoreRejected,
    StoreUnavailable,
    WorkspaceError,
)
from shards.local import LocalFolderStore
from shards.page import (
    Page,
    Section,
    content_hash,
    hash_matches,
    parse_page,
    render_page,
    slugify,
)
from shards.store import (
    INCOMPLETE_PAGE,
    PageRef,
    PageStore,
    ReportsUnusable,
    StoredPage,
    UnusableFile,
)
from shards.tokens import (
    SummingTokenizer,
    TiktokenCounter,
    Tokenizer,
    TokenOptions,
    quicktok_problem,
)

if TYPE_CHECKING:  # imported on first use: see the module docstring
    from shards.refresh import refreshed_header
    from shards.split import (
        ShardPlan,
        SplitOptions,
        SplitPlan,
        SplitResult,
        apply_split,
        describe_page,
        merge_operator_fields,
        plan_split,
    )

__all__ = [
    "HEADER_SOFT_LIMIT_BYTES",
    "INCOMPLETE_PAGE",
    "MACHINE_FIELDS",
    "SCHEMA_VERSION",
    "BrainError",
    "CachedStore",
    "ClaudeDelta",
    "HeaderError",
    "LocalFolderStore",
    "MemoryPageCache",
    "Page",
    "PageCache",
    "PageError",
    "PageNotFound",
    "PageRef",
    "PageStore",
    "ReportsUnusable",
    "Section",
    "ShardPlan",
    "SplitError",
    "SplitOptions",
    "SplitPlan",
    "SplitResult",
    "StoreError",
    "StoreRejected",
    "StoreUnavailable",
    "StoredPage",
    "SummingTokenizer",
    "TiktokenCounter",
    "TokenOptions",
    "Tokenizer",
    "UnusableFile",
    "WorkspaceError",
    "apply_split",
    "content_hash",
    "describe_page",
    "format_timestamp",
    "hash_matches",
    "header_problems",
    "header_size",
    "merge_operator_fields",
    "parse_header_text",
    "parse_page",
    "plan_split",
    "quicktok_problem",
    "refreshed_header",
    "render_header",
    "render_page",
    "slugify",
]

_LAZY = {
    "ShardPlan": "shards.split",
    "SplitOptions": "shards.split",
    "SplitPlan": "shards.split",
    "SplitResult": "shards.split",
    "apply_split": "shards.split",
    "describe_page": "shards.split",
    "merge_operator_fields": "shards.split",
    "plan_split": "shards.split",
    "refreshed_header": "shards.refresh",
}


def __getattr__(name: str) -> Any:
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module 'shards' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
