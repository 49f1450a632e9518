"""Domains: how shards are grouped when the router page needs two levels.

A shard's domain is its header's ``domain`` field when the operator set one; otherwise the
first word of its id (``clients-halden`` -> ``clients``, the split's numbered parts
``infrastructure-2`` stay with ``infrastructure``). The id is the fallback because it is the
one routing field every shard has, operators already name related pages with a common
prefix, and it does not move when a title or summary is edited: grouping by title, or into
balanced groups, would shuffle shards between domain pages whenever one is added.

Derived domains with fewer than ``min_shards`` shards are merged with each other in
alphabetical order (``billing`` + ``brand`` + ``budget`` -> one domain ``billing-to-budget``),
in runs of about the square root of the shard count (45 at 2,000 shards), so a top router is
not a list of one-shard pages and stays short however many odd pages there are; a domain the
operator named is never merged.

    >>> [d.id for d in group_domains([_h("clients-a"), _h("clients-b"), _h("clients-c")])]
    ['clients']
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from shards import ClaudeDelta

#: Derived domains smaller than this merge with their neighbours.
MIN_DOMAIN_SHARDS = 3
#: A domain id is at most this long, so ``router-<domain>--<n>`` is still a valid page id.
MAX_DOMAIN_ID = 48
_PART_SUFFIX = re.compile(r"\s*\(\d+/\d+\)$")


@dataclass(frozen=True)
class Domain:
    """One group of shards: its id (a slug), a title for people and its shards' ids."""

    id: str
    title: str
    shards: tuple[str, ...]  # sorted shard ids
    named: bool = False  # True when the operator set it in the shards' headers


def domain_key(header: ClaudeDelta) -> tuple[str, bool]:
    """The shard's domain id and whether the operator named it (else derived from the id)."""
    if header.domain:
        return _clip(header.domain), True
    return _clip(header.id.split("-", 1)[0]), False


def group_domains(
    headers: Iterable[ClaudeDelta], min_shards: int = MIN_DOMAIN_SHARDS
) -> tuple[Domain, ...]:
    """The shards' domains, sorted by id; every shard is in exactly one."""
    members: dict[str, list[ClaudeDelta]] = {}
    named: dict[str, bool] = {}
    for header in sorted(headers, key=lambda h: h.id):
        key, explicit = domain_key(header)
        members.setdefault(key, []).append(header)
        named[key] = named.get(key, False) or explicit
    out = [_domain(k, g, named[k]) for k, g in members.items() if named[k] or len(g) >= min_shards]
    small = [(k, g) for k, g in sorted(members.items()) if not named[k] and len(g) < min_shards]
    run_size = max(min_shards, math.isqrt(sum(len(g) for g in members.values())))
    runs: list[list[tuple[str, list[ClaudeDelta]]]] = []
    current: list[tuple[str, list[ClaudeDelta]]] = []
    for item in small:
        current.append(item)
        if sum(len(g) for _, g in current) >= run_size:
            runs.append(current)
            current = []
    if current:  # a short tail joins the run before it
        if runs:
            runs[-1].extend(current)
        else:
            runs.append(current)
    out += [_merged(run) for run in runs]
    return tuple(sorted(out, key=lambda d: d.id))


def _domain(key: str, headers: list[ClaudeDelta], named: bool) -> Domain:
    title = _readable(key) if named else _title(key, headers)
    return Domain(key, title, tuple(h.id for h in headers), named)


def _merged(groups: list[tuple[str, list[ClaudeDelta]]]) -> Domain:
    if len(groups) == 1:
        key, headers = groups[0]
        return _domain(key, headers, False)
    first, last = groups[0][0], groups[-1][0]
    key = _clip(f"{first}-to-{last}")
    title = f"{_title(first, groups[0][1])} … {_title(last, groups[-1][1])}"
    shards = tuple(h.id for _, hs in groups for h in hs)
    return Domain(key, title, shards, False)


def _title(key: str, headers: list[ClaudeDelta]) -> str:
    """A derived domain's title: the words every shard title starts with ("Clients (2/3)",
    "Clients" -> "Clients"), else the domain id made readable (a named domain's title)."""
    titles = [_PART_SUFFIX.sub("", " ".join(h.title.split())).split(" ") for h in headers]
    common: list[str] = []
    for words in zip(*titles, strict=False):
        if any(w != words[0] for w in words):
            break
        common.append(words[0])
    while common and not common[-1].strip("&—-–:,;(").strip():
        common.pop()
    text = " ".join(common).strip(" &—-–:,;(")
    return text or _readable(key)


def _readable(key: str) -> str:
    return key.replace("-", " ").capitalize()


def _clip(key: str) -> str:
    key = re.sub(r"-{2,}", "-", key)  # "--" separates a router page's parts
    return key[:MAX_DOMAIN_ID].rstrip("-") or "misc"


def _h(shard_id: str) -> ClaudeDelta:  # for the doctest
    return ClaudeDelta(id=shard_id, title=shard_id)
