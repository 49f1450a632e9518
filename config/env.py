"""Environment overrides: ``BRAIN_*`` variables as nested config values.

What ``pydantic-settings`` did for the config, for the one model it was used for, without
its import: ``pydantic_settings`` (asyncio, dotenv and its cloud sources come with it) was
15 % of a cold ``brain context`` (~75 ms here), every command, to read a few variables. The
rules are the ones it applied to :class:`~config.model.BrainConfig`:

- a variable is ``BRAIN_`` + a key path in any case, sections joined by ``__``
  (``BRAIN_STORE__KIND``, ``brain_serve__port``); one whose first part names no section or
  top-level key (``BRAIN_CONFIG``, the config file's path) is not a key;
- a value for a model, a table or a list (``BRAIN_STORE``, ``BRAIN_WEBHOOKS__SOURCES``,
  ``BRAIN_WEBHOOKS__SOURCES__GITHUB__SECRETS``) is JSON; any other is the string itself,
  which validation then converts (``"9090"`` to a port number);
- the environment outranks the file: tables are merged key by key, values replaced.

Unknown keys under a section are passed on, so validation names them.
"""

from __future__ import annotations

import json
import types
from collections.abc import Mapping
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

__all__ = ["VariableError", "environment_values", "merged"]

_COMPLEX = (dict, list, tuple, set, frozenset)


class VariableError(ValueError):
    """A variable whose value is not the JSON its key needs (``name`` says which)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def environment_values(
    model: type[BaseModel], environ: Mapping[str, str], *, prefix: str, delimiter: str
) -> dict[str, Any]:
    """The values the ``prefix`` variables of ``environ`` give ``model``'s keys, nested."""
    found: dict[str, Any] = {}
    start = prefix.lower()
    for name in sorted(environ):
        key = name.lower()
        if not key.startswith(start):
            continue
        path = key[len(start) :].split(delimiter)
        if path[0] not in model.model_fields:
            continue
        value: Any = environ[name]
        if value and _is_complex(_annotation(model, path)):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise VariableError(name, f"{name} is not valid JSON: {exc}") from exc
        at = found
        for part in path[:-1]:
            nested = at.setdefault(part, {})
            if not isinstance(nested, dict):  # a whole section given as a value already
                break
            at = nested
        else:
            last = path[-1]
            if isinstance(at.get(last), dict) and isinstance(value, dict):
                at[last] = merged(value, at[last])
            else:
                at[last] = value
    return found


def merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``over`` on top: tables merged key by key, other values replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def _annotation(model: type[BaseModel], path: list[str]) -> Any:
    """The type the key ``path`` holds in ``model`` (None when it names no key)."""
    annotation: Any = model
    for part in path:
        annotation = _strip_optional(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part)
            if field is None:
                return None
            annotation = field.annotation
        elif get_origin(annotation) is dict:  # a table of named entries: the part is a name
            annotation = get_args(annotation)[1] if get_args(annotation) else Any
        else:
            return None
    return annotation


def _strip_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _is_complex(annotation: Any) -> bool:
    """Whether a value of this type comes as JSON (a model, a table, a list)."""
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_complex(a) for a in get_args(annotation) if a is not type(None))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    origin = get_origin(annotation) or annotation
    return isinstance(origin, type) and issubclass(origin, _COMPLEX)
