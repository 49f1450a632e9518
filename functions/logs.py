"""Logging: JSON lines Cloud Logging understands in the cloud, readable text on a laptop.

On Cloud Run (``K_SERVICE`` is set) each record is one JSON object on stdout with the fields
Cloud Logging reads from a container's output: ``severity``, ``message`` (the traceback
appended, if any), ``logging.googleapis.com/trace`` (from the request's
``X-Cloud-Trace-Context``, so every line of a request groups under its trace) and
``logging.googleapis.com/labels`` with the function's name. Elsewhere the format is
``LEVEL logger: message``.

The trace of the request being served is a context variable set by the HTTP entry points
(:func:`trace_from_headers`); Starlette copies it into the threads a request runs work in.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime

__all__ = [
    "CloudFormatter",
    "configure_logging",
    "current_trace",
    "in_the_cloud",
    "trace_from_headers",
]

#: ``projects/P/traces/T`` of the request being served, or None.
current_trace: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "brain_trace", default=None
)

TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"
#: Python's level names as Cloud Logging's severities.
_SEVERITY = {"WARNING": "WARNING", "CRITICAL": "CRITICAL", "FATAL": "CRITICAL", "WARN": "WARNING"}


def in_the_cloud(environ: Mapping[str, str] | None = None) -> bool:
    """On Cloud Run (and Cloud Functions gen2): ``K_SERVICE`` names the service."""
    return bool((environ if environ is not None else os.environ).get("K_SERVICE"))


def trace_from_headers(headers: Mapping[str, str], project: str | None) -> str | None:
    """``projects/P/traces/T`` from ``X-Cloud-Trace-Context: T/SPAN;o=1`` (None without one)."""
    raw = headers.get("x-cloud-trace-context") or headers.get("X-Cloud-Trace-Context")
    if not raw or not project:
        return None
    trace = raw.split("/", 1)[0].split(";", 1)[0].strip()
    if not trace or not all(c in "0123456789abcdefABCDEF" for c in trace) or len(trace) > 64:
        return None
    return f"projects/{project}/traces/{trace}"


class CloudFormatter(logging.Formatter):
    """One JSON object per record, in Cloud Logging's structured-logging fields."""

    def __init__(self, function: str | None) -> None:
        super().__init__()
        self.function = function

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        entry: dict[str, object] = {
            "severity": _SEVERITY.get(record.levelname, record.levelname),
            "message": message,
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        if self.function:
            entry["logging.googleapis.com/labels"] = {"function": self.function}
        trace = current_trace.get()
        if trace:
            entry["logging.googleapis.com/trace"] = trace
        entry["logging.googleapis.com/sourceLocation"] = {
            "file": record.pathname,
            "line": str(record.lineno),
            "function": record.funcName,
        }
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(
    level: int = logging.INFO, *, environ: Mapping[str, str] | None = None
) -> logging.Handler:
    """Send the root logger's records to one handler: JSON on stdout in the cloud, text on
    stderr elsewhere. Idempotent: a handler installed before is replaced, not doubled."""
    env = environ if environ is not None else os.environ
    handler: logging.Handler
    if in_the_cloud(env):
        handler = logging.StreamHandler(sys.stdout)
        function = env.get("TARGET") or env.get("FUNCTION_TARGET") or env.get("K_SERVICE")
        handler.setFormatter(CloudFormatter(function))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.set_name("brain")
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if h.get_name() != "brain"]
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's own loggers print through their handlers; in the cloud they go through ours.
    if in_the_cloud(env):
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).handlers[:] = []
            logging.getLogger(name).propagate = True
    return handler
