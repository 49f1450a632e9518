"""Choosing context: the router page, selection and packing, the index sync, get_context.

The front door for entry points: the index sync and router page (imported at once, they are
light), and the get_context service with its request model, options, results and errors
(imported on first use, PEP 562: they bring numpy and the redactor, which ``brain sync`` or
``brain --help`` never need). Entry points import nothing else of ``router``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from router.errors import RequestError, UnknownShard
from router.router_page import (
    ROUTER_ID,
    RouterPage,
    RouterRow,
    parse_router,
    render_router,
    router_header,
)
from router.sync import (
    Issue,
    RouterStatus,
    Scan,
    ShardStatus,
    SyncOptions,
    SyncReport,
    scan,
    status_of,
    sync,
)

if TYPE_CHECKING:
    from router.persist import IndexFile, IndexPlace, IndexWriter, header_problem
    from router.redact import Redactor
    from router.request import ContextRequest
    from router.semantic import (
        BackgroundEmbedder,
        Coverage,
        Semantic,
        VectorStore,
        open_semantic,
        unavailable_reason,
    )
    from router.service import ContextResult, ContextService, ServiceOptions, ShardInfo
    from router.snapshot import SnapshotOptions

__all__ = [
    "ROUTER_ID",
    "BackgroundEmbedder",
    "ContextRequest",
    "ContextResult",
    "ContextService",
    "Coverage",
    "IndexFile",
    "IndexPlace",
    "IndexWriter",
    "Issue",
    "Redactor",
    "RequestError",
    "RouterPage",
    "RouterRow",
    "RouterStatus",
    "Scan",
    "Semantic",
    "ServiceOptions",
    "ShardInfo",
    "ShardStatus",
    "SnapshotOptions",
    "SyncOptions",
    "SyncReport",
    "UnknownShard",
    "VectorStore",
    "header_problem",
    "open_semantic",
    "parse_router",
    "render_router",
    "router_header",
    "scan",
    "status_of",
    "sync",
    "unavailable_reason",
]

_LAZY = {
    "header_problem": "router.persist",
    "IndexFile": "router.persist",
    "IndexPlace": "router.persist",
    "IndexWriter": "router.persist",
    "BackgroundEmbedder": "router.semantic",
    "Coverage": "router.semantic",
    "Semantic": "router.semantic",
    "VectorStore": "router.semantic",
    "open_semantic": "router.semantic",
    "unavailable_reason": "router.semantic",
    "ContextRequest": "router.request",
    "ContextResult": "router.service",
    "ContextService": "router.service",
    "Redactor": "router.redact",
    "ServiceOptions": "router.service",
    "ShardInfo": "router.service",
    "SnapshotOptions": "router.snapshot",
}


def __getattr__(name: str) -> Any:
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module 'router' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
