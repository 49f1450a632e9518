"""Each package has a front door: a sorted ``__all__`` whose names all import."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = ["config", "shards", "router", "functions", "functions.webhooks", "infra"]


@pytest.mark.parametrize("name", PACKAGES)
def test_the_front_door_lists_its_names_sorted_and_each_one_imports(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions, each alphabetical.
    isort_style = sorted(
        exported, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)
    )
    assert exported == isort_style, f"{name}.__all__ is not sorted"
    assert len(exported) == len(set(exported)), f"{name}.__all__ repeats a name"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it does not have: {missing}"


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_name_defined_in_the_package_init_is_exported(name: str) -> None:
    module = importlib.import_module(name)
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and getattr(v, "__module__", "").startswith(name.split(".")[0])
        and not isinstance(v, type(importlib))
    }
    assert public <= set(module.__all__), (
        f"{name} exports without listing: {public - set(module.__all__)}"
    )
