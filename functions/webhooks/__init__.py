"""The webhook logger: signature schemes, the outbox, receiving and draining.

Names are imported on first use (PEP 562): a command that never touches the outbox never
loads its database drivers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from functions.webhooks.drain import Drainer, DrainOptions, DrainResult
    from functions.webhooks.errors import OutboxError, VerificationError
    from functions.webhooks.logline import format_line, format_time
    from functions.webhooks.outbox import Accepted, Outbox, OutboxEvent, OutboxStats, open_outbox
    from functions.webhooks.receive import Receipt, UnknownSource, WebhookReceiver
    from functions.webhooks.schemes import SCHEMES, Scheme, Verified, get_scheme

__all__ = [
    "SCHEMES",
    "Accepted",
    "DrainOptions",
    "DrainResult",
    "Drainer",
    "Outbox",
    "OutboxError",
    "OutboxEvent",
    "OutboxStats",
    "Receipt",
    "Scheme",
    "UnknownSource",
    "VerificationError",
    "Verified",
    "WebhookReceiver",
    "format_line",
    "format_time",
    "get_scheme",
    "open_outbox",
]

_HOME = {
    "Drainer": "functions.webhooks.drain",
    "DrainOptions": "functions.webhooks.drain",
    "DrainResult": "functions.webhooks.drain",
    "OutboxError": "functions.webhooks.errors",
    "VerificationError": "functions.webhooks.errors",
    "format_line": "functions.webhooks.logline",
    "format_time": "functions.webhooks.logline",
    "Accepted": "functions.webhooks.outbox",
    "Outbox": "functions.webhooks.outbox",
    "OutboxEvent": "functions.webhooks.outbox",
    "OutboxStats": "functions.webhooks.outbox",
    "open_outbox": "functions.webhooks.outbox",
    "Receipt": "functions.webhooks.receive",
    "UnknownSource": "functions.webhooks.receive",
    "WebhookReceiver": "functions.webhooks.receive",
    "SCHEMES": "functions.webhooks.schemes",
    "Scheme": "functions.webhooks.schemes",
    "Verified": "functions.webhooks.schemes",
    "get_scheme": "functions.webhooks.schemes",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'functions.webhooks' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
