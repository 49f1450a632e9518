"""Choosing context: the router page, selection and packing, the index sync, get_context."""

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

__all__ = [
    "ROUTER_ID",
    "Issue",
    "RouterPage",
    "RouterRow",
    "RouterStatus",
    "Scan",
    "ShardStatus",
    "SyncOptions",
    "SyncReport",
    "parse_router",
    "render_router",
    "router_header",
    "scan",
    "status_of",
    "sync",
]
