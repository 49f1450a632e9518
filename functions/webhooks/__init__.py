"""The webhook logger: signature schemes, the outbox, receiving and draining."""

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
