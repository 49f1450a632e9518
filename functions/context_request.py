"""A get_context request from the wire: a JSON body or query parameters, checked (400).

The HTTP function hands the decoded payload here; the answer is what
:meth:`router.service.ContextService.get_context` takes. A bad shape is a
:class:`~router.errors.RequestError` naming the field and what to send instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from router.errors import RequestError

__all__ = ["ContextRequest", "parse_context_request"]


@dataclass(frozen=True)
class ContextRequest:
    """The task, its token budget, the shards to read first and extra phrasings (hints)."""

    task: str
    budget: int
    shards: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()


def parse_context_request(payload: object, *, default_budget: int) -> ContextRequest:
    """``payload`` (a decoded JSON object or the query parameters) as a request.

    A missing or null budget is ``default_budget`` (``[context] default_budget``); a budget
    given as digits (a query parameter) is a number.
    """
    if not isinstance(payload, dict):
        raise RequestError(
            "the request must be a JSON object",
            hint='Send {"task": "...", "budget": 4000, "shards": ["infra"], "hints": ["..."]}.',
        )
    task = payload.get("task") or ""
    if not isinstance(task, str):
        raise RequestError("task must be a string", field="task")
    budget = payload.get("budget", default_budget)
    if isinstance(budget, str) and budget.strip().lstrip("-").isdigit():
        budget = int(budget)
    if budget is None:
        budget = default_budget
    if not isinstance(budget, int) or isinstance(budget, bool):
        raise RequestError("budget must be a whole number of tokens", field="budget")
    shards = payload.get("shards") or []
    if not isinstance(shards, list) or not all(isinstance(s, str) for s in shards):
        raise RequestError("shards must be a list of shard ids", field="shards")
    hints = payload.get("hints") or []
    if isinstance(hints, str):  # one query parameter, or a caller that sent a single phrase
        hints = [hints]
    if not isinstance(hints, list) or not all(isinstance(h, str) for h in hints):
        raise RequestError(
            "hints must be a list of strings",
            field="hints",
            hint='e.g. "hints": ["rotate webhook secret", "Stripe signing key"].',
        )
    return ContextRequest(task, budget, tuple(shards), tuple(hints))
