"""The vocabulary: every term of a cache's indexes and its id.

A term is a word (a stem) or a phrase pair of two words, ``"a b"``. Ids are given in order of
first use and never change; the vocabulary only grows. On a large index of varied notes nine
terms in ten are pairs (416,000 of 463,000 at 20 MB), and as dict keys they cost about 130
bytes each (the string, a dict slot, an int object): 53 MB. So words stay in a dict and pairs
are arrays: each pair's key (its words' ids, ``a << 32 | b``), sorted, beside its id, 12
bytes a pair.

It reads like a ``dict[str, int]`` (``get``, ``[]``, ``in``, ``len``, iteration and ``items``
in id order), adds one term with ``setdefault`` (text analyzed one piece at a time) and many
with :meth:`Vocabulary.assign` (a batch's terms, as arrays).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import TypeVar, overload

import numpy as np
import numpy.typing as npt

__all__ = ["Terms", "Vocabulary"]

Ids = npt.NDArray[np.int64]
_T = TypeVar("_T")

#: Pairs added one at a time are kept in a dict until there are this many, then merged.
_RECENT = 4096


@dataclass(frozen=True)
class Terms:
    """Terms in an order, as arrays: term ``t`` is the word ``words[index[t]]`` when
    ``is_word[t]``, else the pair ``words[left[k]] words[right[k]]`` with ``k = index[t]``.
    A pair's words are among ``words``."""

    words: Sequence[str]
    is_word: npt.NDArray[np.bool_]
    index: Ids
    left: Ids
    right: Ids


class Vocabulary(Mapping[str, int]):
    """Term -> id for every index of a cache (see the module docstring)."""

    def __init__(self) -> None:
        self._words: dict[str, int] = {}
        # Pair keys, ascending, and each one's id: one attribute, replaced whole, so a request
        # reading while a build adds terms sees the old arrays or the new, never a mix.
        self._pairs: tuple[Ids, npt.NDArray[np.int32]] = (
            np.empty(0, dtype=np.int64),
            np.empty(0, dtype=np.int32),
        )
        self._recent: dict[int, int] = {}  # pair key -> id, not yet in the arrays
        self._size = 0

    # -- reading, as a dict -----------------------------------------------------------------

    def __len__(self) -> int:
        return self._size

    @overload
    def get(self, term: str, /) -> int | None: ...
    @overload
    def get(self, term: str, default: int | _T, /) -> int | _T: ...
    def get(self, term: str, default: object = None, /) -> object:
        if " " not in term:
            return self._words.get(term, default)
        key = self._key(term)
        if key is None:
            return default
        found = self._pair(key)
        return default if found is None else found

    def __getitem__(self, term: str) -> int:
        found = self.get(term)
        if found is None:
            raise KeyError(term)
        return found

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self.get(term) is not None

    def __iter__(self) -> Iterator[str]:
        """Every term, in id order (pairs written out: for tests and tools, not requests)."""
        names = list(self.word_table())
        keys, ids = self._pairs
        pairs = [*zip(keys.tolist(), ids.tolist(), strict=True), *self._recent.items()]
        for key, n in pairs:
            names[n] = f"{names[key >> 32]} {names[key & 0xFFFFFFFF]}"
        return iter(names)

    def word_table(self) -> tuple[str, ...]:
        """Term id -> the word, or "" for a pair."""
        names: list[str] = [""] * self._size
        for word, n in self._words.items():
            names[n] = word
        return tuple(names)

    # -- adding -----------------------------------------------------------------------------

    def setdefault(self, term: str, default: int | None = None) -> int:
        """The id of ``term``, added with the next id if new (``default`` is ignored: the
        next id is always ``len(self)``). A new pair's words must be known already."""
        found = self.get(term)
        if found is not None:
            return found
        n = self._size
        if " " in term:
            key = self._key(term)
            if key is None:
                raise ValueError(f"a pair's words come before the pair: {term!r}")
            self._recent[key] = n
            if len(self._recent) >= _RECENT:
                self._merge()
        else:
            self._words[term] = n
        self._size = n + 1
        return n

    def assign(self, terms: Terms) -> Ids:
        """The ids of ``terms``, in their order; those not yet known get the next ids in that
        order, as ``setdefault`` one after the other would give them. Each term at most once."""
        self._merge()
        known = np.fromiter(
            map(self._words.get, terms.words, repeat(-1)), dtype=np.int64, count=len(terms.words)
        )
        out = np.full(len(terms.is_word), -1, dtype=np.int64)
        words = np.flatnonzero(terms.is_word)
        out[words] = known[terms.index[words]]
        pairs = np.flatnonzero(~terms.is_word)
        which = terms.index[pairs]
        left, right = known[terms.left[which]], known[terms.right[which]]
        whole = (left >= 0) & (right >= 0)  # else a word is new, and so is the pair
        keys = (left[whole] << 32) | right[whole]
        have, ids = self._pairs
        at = np.minimum(np.searchsorted(have, keys), max(len(have) - 1, 0))
        hit = have[at] == keys if len(have) else np.zeros(len(keys), dtype=np.bool_)
        found = np.full(len(pairs), -1, dtype=np.int64)
        found[np.flatnonzero(whole)[hit]] = ids[at[hit]]
        out[pairs] = found
        new = out < 0
        count = int(np.count_nonzero(new))
        if not count:
            return out
        if self._size + count > np.iinfo(np.int32).max:  # pragma: no cover - two billion
            raise OverflowError("the vocabulary outgrew 32-bit term ids")
        out[new] = self._size + np.arange(count, dtype=np.int64)
        self._size += count
        fresh_words = words[new[words]]
        for position, n in zip(
            terms.index[fresh_words].tolist(), out[fresh_words].tolist(), strict=True
        ):
            self._words[terms.words[position]] = n
            known[position] = n
        fresh = new[pairs]
        which = terms.index[pairs[fresh]]
        keys = (known[terms.left[which]] << 32) | known[terms.right[which]]
        self._insert(keys, out[pairs[fresh]])
        return out

    def terms(self) -> Terms:
        """Every term in id order, as :meth:`assign` takes them (what a build's helper
        process sends back, see ``router.lexicon.adopt_terms``)."""
        self._merge()
        by_id = sorted(self._words.items(), key=lambda item: item[1])
        words = [w for w, _ in by_id]
        word_ids = np.array([n for _, n in by_id], dtype=np.int64)
        is_word = np.zeros(self._size, dtype=np.bool_)
        is_word[word_ids] = True
        index = np.empty(self._size, dtype=np.int64)
        index[word_ids] = np.arange(len(words), dtype=np.int64)
        keys, ids = self._pairs
        pair_ids = ids.astype(np.int64)
        index[pair_ids] = np.arange(len(pair_ids), dtype=np.int64)
        # a pair's words, as positions in ``words`` (ascending ids: a search finds them)
        left = np.searchsorted(word_ids, keys >> 32)
        right = np.searchsorted(word_ids, keys & 0xFFFFFFFF)
        return Terms(tuple(words), is_word, index, left, right)

    # -- internals --------------------------------------------------------------------------

    def _key(self, term: str) -> int | None:
        first, _, second = term.partition(" ")
        a, b = self._words.get(first), self._words.get(second)
        return None if a is None or b is None else (a << 32) | b

    def _pair(self, key: int) -> int | None:
        found = self._recent.get(key)
        if found is not None:
            return found
        keys, ids = self._pairs
        at = int(np.searchsorted(keys, key))
        if at < len(keys) and int(keys[at]) == key:
            return int(ids[at])
        return None

    def _merge(self) -> None:
        recent = self._recent
        if recent:
            self._insert(
                np.fromiter(recent.keys(), dtype=np.int64, count=len(recent)),
                np.fromiter(recent.values(), dtype=np.int64, count=len(recent)),
            )
            self._recent = {}  # (after the arrays hold them: a reader finds them throughout)

    def _insert(self, keys: Ids, ids: Ids) -> None:
        if not len(keys):
            return
        have, have_ids = self._pairs
        merged = np.concatenate([have, keys])
        order = np.argsort(merged, kind="stable")
        self._pairs = (merged[order], np.concatenate([have_ids, ids.astype(np.int32)])[order])
