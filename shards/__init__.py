"""Pages and their content: claude_delta headers, sections, tokens, page stores, splitting."""

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
from shards.page import Page, Section, content_hash, parse_page, render_page, slugify
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
from shards.store import PageRef, PageStore, ReportsUnusable, StoredPage, UnusableFile
from shards.tokens import TiktokenCounter, Tokenizer, TokenOptions

__all__ = [
    "HEADER_SOFT_LIMIT_BYTES",
    "MACHINE_FIELDS",
    "SCHEMA_VERSION",
    "BrainError",
    "ClaudeDelta",
    "HeaderError",
    "LocalFolderStore",
    "Page",
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
    "TiktokenCounter",
    "TokenOptions",
    "Tokenizer",
    "UnusableFile",
    "WorkspaceError",
    "apply_split",
    "content_hash",
    "describe_page",
    "format_timestamp",
    "header_problems",
    "header_size",
    "merge_operator_fields",
    "parse_header_text",
    "parse_page",
    "plan_split",
    "refreshed_header",
    "render_header",
    "render_page",
    "slugify",
]
