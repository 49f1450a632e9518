"""The error tree drawn in ``shards/errors.py`` is the tree of the classes, both ways, across
every package's ``errors`` module."""

from __future__ import annotations

import importlib
import re

import shards.errors
from shards.errors import BrainError, StoreError, StoreRejected, StoreUnavailable

#: The modules whose errors the drawing covers (one tree across the three packages).
ERROR_MODULES = (
    "shards.errors",
    "router.errors",
    "config.errors",
    "functions.errors",
    "functions.webhooks.errors",
)
_LINE = re.compile(r"^(?P<indent>[ │├└─]*)(?P<name>[A-Z]\w+)\s+(?:(?P<module>[\w.]*errors): )?")


def drawn_tree() -> dict[str, tuple[str | None, str]]:
    """``{class name: (parent name, module)}`` as drawn in the docstring."""
    doc = shards.errors.__doc__ or ""
    drawing = doc.split("::", 1)[1].split("\n\n")[1]
    tree: dict[str, tuple[str | None, str]] = {}
    stack: list[tuple[int, str]] = []  # (column of the name, name)
    for line in drawing.splitlines():
        match = _LINE.match(line.strip("\n")[4:])  # the drawing is indented by four spaces
        assert match, f"cannot read this line of the drawing: {line!r}"
        column, name = len(match["indent"]), match["name"]
        while stack and stack[-1][0] >= column:
            stack.pop()
        parent = stack[-1][1] if stack else None
        tree[name] = (parent, match["module"] or "shards.errors")
        stack.append((column, name))
    return tree


def actual_tree() -> dict[str, tuple[str | None, str]]:
    """The same for every BrainError subclass defined in one of ``ERROR_MODULES``."""
    for module in ERROR_MODULES:
        importlib.import_module(module)
    tree: dict[str, tuple[str | None, str]] = {"BrainError": (None, "shards.errors")}
    todo = [BrainError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__ in ERROR_MODULES:
                tree[sub.__name__] = (cls.__name__, sub.__module__)
    return tree


def test_the_drawn_tree_is_the_tree_of_the_classes() -> None:
    drawn, actual = drawn_tree(), actual_tree()
    assert len(drawn) > 10, "the drawing was not read"
    missing = sorted(set(actual) - set(drawn))
    extra = sorted(set(drawn) - set(actual))
    assert not missing, f"classes not drawn in shards/errors.py: {missing}"
    assert not extra, f"drawn but no such class in {ERROR_MODULES}: {extra}"
    wrong = {n: (drawn[n], actual[n]) for n in drawn if drawn[n] != actual[n]}
    assert not wrong, f"(drawn parent, module) vs actual: {wrong}"


def test_the_reader_sees_a_wrong_parent() -> None:
    """The check can fail: a drawing with StoreRejected under StoreUnavailable is caught."""
    original = shards.errors.__doc__ or ""
    wrong = original.replace("    │   └── StoreRejected", "    │       └── StoreRejected")
    assert wrong != original
    shards.errors.__doc__ = wrong
    try:
        assert drawn_tree()["StoreRejected"][0] == "StoreUnavailable"
    finally:
        shards.errors.__doc__ = original


def test_a_permanent_store_error_is_not_a_transient_one() -> None:
    permanent: StoreError = StoreRejected("token revoked", status=401)
    assert isinstance(permanent, StoreError)
    assert not isinstance(permanent, StoreUnavailable)
    assert not issubclass(StoreUnavailable, StoreRejected)
