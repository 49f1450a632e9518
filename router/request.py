"""One get_context request, validated the same way for HTTP, the CLI and MCP.

:class:`ContextRequest` is the request as every entry point sends it: a task, a token
budget, shard ids to read first and optional extra phrasings (``hints``). Entry points hand
:meth:`ContextRequest.parse` whatever they decoded (a JSON body, query parameters, command
line options, MCP tool arguments) with their defaults and limits; a bad request becomes one
:class:`~router.errors.RequestError` naming the field and what to send instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic import model_validator as _model_validator

from router.errors import RequestError

#: Defaults of the limits (the service passes its own, from config).
MAX_BUDGET = 200_000
MAX_TASK_CHARS = 10_000
DEFAULT_BUDGET = 4_000
#: Extra phrasings: a few short ones, in the words the notes likely use.
MAX_HINTS = 8
MAX_HINT_CHARS = 300
#: Shard ids a request may name (the index's own size is the real bound).
MAX_SHARDS = 100

EXAMPLE = '{"task": "rotate the Stripe webhook secret", "budget": 4000}'


class _Invalid(ValueError):
    """A field's problem, with what to send instead (pydantic keeps it in the error)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def _limit(info: ValidationInfo, name: str, default: int) -> int:
    context = info.context if isinstance(info.context, Mapping) else {}
    value = context.get(name, default)
    return value if isinstance(value, int) else default


def _strings(value: object, field: str, hint: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise _Invalid(f"{field} must be a list of strings, got {type(value).__name__}", hint)
    if not all(isinstance(item, str) for item in value):
        raise _Invalid(f"{field} must be a list of strings", hint)
    return list(value)


class ContextRequest(BaseModel):
    """A validated get_context request (see the module docstring).

    task: what the caller is about to do (stripped; may be empty when shards are named).
    budget: the most tokens the answer may take, 1 to the service's ``max_budget``.
    shards: shard ids to read first, in order (duplicates dropped).
    hints: up to 8 extra phrasings of the task, at most 300 characters each, weighed
        below the task itself.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: str = ""
    budget: int = DEFAULT_BUDGET
    shards: list[str] = Field(default_factory=list)
    hints: list[str] = Field(default_factory=list)

    @field_validator("task", mode="before")
    @classmethod
    def _task(cls, value: object, info: ValidationInfo) -> str:
        hint = "Describe the task in a sentence or a paragraph, not the material itself."
        if value is None:
            return ""
        if not isinstance(value, str):
            raise _Invalid(f"task must be a string, got {type(value).__name__}", hint)
        task = value.strip()
        limit = _limit(info, "max_task_chars", MAX_TASK_CHARS)
        if len(task) > limit:
            raise _Invalid(
                f"the task is {len(task):,} characters, over the {limit:,}-character limit", hint
            )
        return task

    @field_validator("budget", mode="before")
    @classmethod
    def _budget(cls, value: object, info: ValidationInfo) -> int:
        limit = _limit(info, "max_budget", MAX_BUDGET)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)  # query parameters and command lines send text
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            value = int(value)  # 4000.0 from a client that has only floats
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(
                f"budget must be a whole number of tokens, got {value!r}"[:200],
                "Send e.g. 4000.",
            )
        if value <= 0:
            raise _Invalid(
                f"budget must be at least 1 token, got {value:,}",
                "Send the most tokens the context may take, e.g. 4000.",
            )
        if value > limit:
            shown = f"{value:,}" if value < 10**15 else f"{value:.3g}"
            raise _Invalid(
                f"budget {shown} is over the limit of {limit:,} tokens",
                f"Send at most {limit:,}; a whole index rarely needs more.",
            )
        return value

    @field_validator("shards", mode="before")
    @classmethod
    def _shards(cls, value: object) -> list[str]:
        hint = 'Send shard ids from the digest or list_shards, e.g. ["infra"].'
        try:
            ids = _strings(value, "shards", hint)
        except _Invalid as exc:
            raise _Invalid("shards must be a list of shard ids", hint) from exc
        ids = list(dict.fromkeys(s.strip() for s in ids if s.strip()))
        if len(ids) > MAX_SHARDS:
            raise _Invalid(f"{len(ids)} shard ids; a request may name {MAX_SHARDS}", hint)
        return ids

    @field_validator("hints", mode="before")
    @classmethod
    def _hints(cls, value: object) -> list[str]:
        hint = (
            f"Send up to {MAX_HINTS} short phrasings of the task (at most {MAX_HINT_CHARS} "
            "characters each), in the words the notes likely use."
        )
        hints = [h.strip() for h in _strings(value, "hints", hint)]
        if len(hints) > MAX_HINTS:
            raise _Invalid(f"{len(hints)} hints; at most {MAX_HINTS} are accepted", hint)
        for n, text in enumerate(hints, 1):
            if len(text) > MAX_HINT_CHARS:
                raise _Invalid(
                    f"hint {n} is {len(text):,} characters, over the "
                    f"{MAX_HINT_CHARS}-character limit",
                    hint,
                )
        return [h for h in hints if h]

    @_model_validator(mode="after")
    def _something_to_do(self) -> ContextRequest:
        if not self.task and not self.shards:
            raise _Invalid("send a task, a list of shard ids, or both", f"For example {EXAMPLE}.")
        return self

    @classmethod
    def parse(
        cls,
        payload: object,
        *,
        default_budget: int = DEFAULT_BUDGET,
        max_budget: int = MAX_BUDGET,
        max_task_chars: int = MAX_TASK_CHARS,
    ) -> ContextRequest:
        """The request in ``payload`` (a mapping of field -> value; a missing or null budget
        is ``default_budget``), or a :class:`RequestError` naming the first bad field."""
        if not isinstance(payload, Mapping):
            raise RequestError(
                "the request must be a JSON object",
                hint='Send {"task": "...", "budget": 4000, "shards": ["infra"]}.',
            )
        data: dict[str, Any] = {str(k): v for k, v in payload.items()}
        if data.get("budget") is None:
            data["budget"] = default_budget
        context = {"max_budget": max_budget, "max_task_chars": max_task_chars}
        try:
            return cls.model_validate(data, context=context)
        except ValidationError as exc:
            raise _request_error(exc) from None


def _request_error(exc: ValidationError) -> RequestError:
    first = exc.errors(include_url=False)[0]
    field = str(first["loc"][0]) if first["loc"] else None
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, _Invalid):
        return RequestError(str(cause), field=field if field else "task", hint=cause.hint)
    if first["type"] == "extra_forbidden":
        return RequestError(
            f"unknown field {field!r}",
            field=field,
            hint="Send task, budget, shards and hints only.",
        )
    return RequestError(f"{field or 'request'}: {first['msg']}", field=field)
