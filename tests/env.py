"""The environment tests run in: no BRAIN_* variables from the machine running them, except
the one the suite sets itself (``[context] semantic = "off"`` unless a test is marked
``semantic``; see tests/conftest.py)."""

from __future__ import annotations

import os

import pytest

SEMANTIC_ENV = "BRAIN_CONTEXT__SEMANTIC"


def foreign(name: str) -> bool:
    """A variable that would leak the machine's configuration into a test."""
    return name.startswith("BRAIN_") and name != SEMANTIC_ENV


def clean_environ() -> dict[str, str]:
    """``os.environ`` without foreign variables (for a subprocess)."""
    return {k: v for k, v in os.environ.items() if not foreign(k)}


def clear_foreign(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset every foreign variable for one test."""
    for name in list(os.environ):
        if foreign(name):
            monkeypatch.delenv(name)
