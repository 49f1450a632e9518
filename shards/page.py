"""Pages and sections: a page is a claude_delta header plus a markdown body.

The body splits into sections at headings, and only at real headings: markdown-it-py parses
the body, so a ``# comment`` line inside a fenced shell snippet stays in its section. Every
section gets an anchor id (GitHub-style slug, ``-1``/``-2`` suffixes for repeats) that is
stable as long as the headings before it keep their titles.
"""

from __future__ import annotations

import gc
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from shards.delta import HEADER_KEY, ClaudeDelta, parse_header_text, render_header
from shards.errors import HeaderError

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # Imported here: a process serving from the saved index parses no markdown.
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    # Only block tokens are read (headings, fences; a heading's title is its raw inline
    # content), so skip inline parsing: it was 40% of the time for a large page.
    md.core.ruler.disable(["inline", "text_join"])
    return md


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while markdown-it builds its token list.

    A 10 MB page makes hundreds of thousands of tokens (none in cycles), and the collector's
    repeated passes over them cost a third of the parse and grow faster than the page (CPU
    time for 11 MB: 3.3 s with, 2.3 s without). Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class Section:
    """A heading and the text under it, up to the next heading of any level."""

    id: str
    title: str
    level: int  # 0 for the text before the first heading
    path: tuple[str, ...]  # titles from the top-level ancestor down to this section
    text: str  # markdown, including the heading line
    start_line: int  # 0-based line in the page body


@dataclass(frozen=True)
class Page:
    """A parsed page. ``header`` is None when missing or broken; ``error`` then says why."""

    id: str
    header: ClaudeDelta | None
    body: str
    error: HeaderError | None = None
    problems: tuple[str, ...] = field(default=())
    #: True when the page has no header block at all (not a broken one): a page an operator
    #: wrote by hand, which ``brain sync --adopt`` may give a generated header.
    header_missing: bool = False

    @cached_property
    def sections(self) -> tuple[Section, ...]:
        return split_sections(self.body)

    @cached_property
    def content_hash(self) -> str:
        return content_hash(self.body)

    def render(self) -> str:
        if self.header is None:
            return self.body
        return render_page(self.header, self.body)


def normalize_body(body: str) -> str:
    """Line endings to ``\\n``, trailing blanks trimmed: what hashing and counting see."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def content_hash(body: str) -> str:
    """``sha256:<hex>`` of the normalized body without its blank lines (the header is not
    part of it). Blank lines are left out because Notion does not keep them: a body written
    to Notion and read back has the same hash, so the sync does not see a change that is
    not there (``shards._notion_markdown``)."""
    lines = [line for line in normalize_body(body).split("\n") if line]
    return "sha256:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()


def hash_matches(recorded: str | None, body: str) -> bool:
    """Whether a header's ``content_hash`` is the body's, in today's form or the one before
    blank lines were left out (so an index hashed by an older version is not all "changed")."""
    if recorded is None:
        return False
    if recorded == content_hash(body):
        return True
    return recorded == "sha256:" + hashlib.sha256(normalize_body(body).encode()).hexdigest()


def render_page(header: ClaudeDelta, body: str) -> str:
    """The page text: header block, a blank line, the body, a final newline."""
    text = normalize_body(body)
    return f"{render_header(header)}\n\n{text}\n" if text else f"{render_header(header)}\n"


_FENCE_OPEN = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")


def parse_page(text: str, *, page_id: str) -> Page:
    """Split a page into header and body; header problems are recorded, never raised.

    A missing, broken or doubled header leaves the page readable (its body still routes) and
    puts the reason in ``Page.error``, naming the page and field.
    """
    stripped = text.lstrip("\ufeff").lstrip()
    match = _FENCE_OPEN.match(stripped)
    if not match and re.match(r'^\{\s*"' + HEADER_KEY + '"', stripped):
        # The header's text is there but not in a code block: in Notion, the code block
        # was turned into a paragraph (or pasted as text). Never adopted: it has a header.
        return Page(
            id=page_id,
            header=None,
            body=normalize_body(stripped),
            error=HeaderError(
                "the claude_delta header is plain text, not a ```json code block (was the "
                "code block turned into a paragraph?)",
                page_id=page_id,
                hint="Turn the first block back into a code block with language JSON (in "
                "Notion: the block menu, Turn into, Code), then run `brain sync`.",
            ),
        )
    if not match or match.group(2).lower() != "json":
        misplaced = _later_header(stripped)
        return Page(
            id=page_id,
            header=None,
            body=normalize_body(stripped),
            error=HeaderError(
                "the claude_delta header is not the first block of the page",
                page_id=page_id,
                hint="Move the ```json header block to the very top of the page.",
            )
            if misplaced
            else HeaderError(
                "no claude_delta header: the first block must be a ```json code block",
                page_id=page_id,
                hint="Run `brain sync --adopt` to give it a generated header, or add a first "
                'block ```json {"claude_delta": {"v": "1.0", "id": "...", "title": "..."}} ```.',
            ),
            header_missing=not misplaced,
        )
    fence = match.group(1)
    lines = stripped.split("\n")
    close = next(
        (
            i
            for i in range(1, len(lines))
            if lines[i].strip().startswith(fence[0] * len(fence))
            and not lines[i].strip().strip(fence[0])
        ),
        None,
    )
    if close is None:
        return Page(
            id=page_id,
            header=None,
            body=normalize_body(stripped),
            error=HeaderError(
                "the header code block is never closed",
                page_id=page_id,
                hint=f"End the ```json block with a line holding only {fence}.",
            ),
        )
    header_text = "\n".join(lines[1:close])
    body = normalize_body("\n".join(lines[close + 1 :]))
    try:
        header = parse_header_text(header_text, page_id=page_id)
    except HeaderError as exc:
        return Page(id=page_id, header=None, body=body, error=exc)
    if _later_header(body):
        return Page(
            id=page_id,
            header=None,
            body=body,
            error=HeaderError(
                "the page has two claude_delta headers",
                page_id=page_id,
                hint="Keep the first ```json header block and delete the other.",
            ),
        )
    return Page(id=page_id, header=header, body=body)


def _later_header(body: str) -> bool:
    """True when a ```json block holding a claude_delta object appears in the body."""
    if f'"{HEADER_KEY}"' not in body:  # what the check below needs in a fence's content
        return False
    return any(
        token.type == "fence"
        and token.info.strip().lower() == "json"
        and f'"{HEADER_KEY}"' in token.content
        for token in _markdown().parse(body)
    )


def split_sections(body: str) -> tuple[Section, ...]:
    """Sections of a body, in order; text before the first heading is a level-0 section."""
    # markdown-it counts lines after turning "\r\n" and a lone "\r" into "\n": do the same,
    # or its line numbers do not index ``lines`` (a CR-only file was cut in the wrong places).
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    lines = body.split("\n")
    heads = _headings(lines)
    sections: list[Section] = []
    slugs = _SlugCounter()
    if not heads or heads[0][0] > 0:
        end = heads[0][0] if heads else len(lines)
        intro = "\n".join(lines[:end]).strip("\n")
        if intro.strip():
            sections.append(Section(slugs.take("intro"), "", 0, (), intro, 0))
    stack: list[tuple[int, str]] = []
    for n, (start, level, title) in enumerate(heads):
        end = heads[n + 1][0] if n + 1 < len(heads) else len(lines)
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        text = "\n".join(lines[start:end]).strip("\n")
        sections.append(
            Section(
                slugs.take(slugify(title)), title, level, tuple(t for _, t in stack), text, start
            )
        )
    return tuple(sections)


def _heading_tokens(tokens: list[Token]) -> list[tuple[int, int, str]]:
    """(line, level, title) of every heading markdown-it (CommonMark + tables) found."""
    heads: list[tuple[int, int, str]] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.map is not None:
            title = tokens[i + 1].content.strip() if i + 1 < len(tokens) else ""
            heads.append((token.map[0], int(token.tag[1]), title))
    return heads


def _headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """What markdown-it finds parsing the lines joined: the line scan (:func:`_plain_scan`)
    wherever it is sure, markdown-it on only the stretches where it is not.

    A stretch starts at a line where nothing can be open: the page's start, or a line at
    column 0 after a blank line the scan reached outside a fence (a blank line ends every
    paragraph, table and quote, and a line at column 0 after one ends every list item and
    indented code block). It ends before the next such line after the unsure one, once
    markdown-it, given that line too, opens a top-level block there: then nothing (a fence
    or an HTML block a blank line does not end) ran on into it. A Notion export's code
    blocks nested in list items used to send the whole page to markdown-it.
    """
    heads: list[tuple[int, int, str]] = []
    at = 0
    while True:
        found, stuck, start = _plain_scan(lines, at)
        heads += found
        if stuck < 0:
            return heads
        end = _next_start(lines, stuck + 1)
        region = None
        for _ in range(_TRIES):
            if end >= len(lines):
                break
            region = _region_headings(lines, start, end)
            if region is not None:
                break
            end = _next_start(lines, end + 1)
        if region is None:  # still open (an unclosed fence, a <pre>): the rest of the page
            return heads + (_region_headings(lines, start, len(lines)) or [])
        heads += region
        at = end


#: Stretches tried, each to the next line where nothing may be open, before the rest of the
#: page is parsed at once (each try parses the stretch again: an unclosed fence near the top
#: of a long page would otherwise be parsed once per block after it).
_TRIES = 3


def _next_start(lines: list[str], n: int) -> int:
    """The first line at or after ``n`` that is not blank, starts at column 0 and follows a
    blank line (``len(lines)`` when none does)."""
    while n < len(lines):
        line = lines[n]
        if line.strip(" \t") and line[0] not in " \t" and not lines[n - 1].strip(" \t"):
            return n
        n += 1
    return n


def _region_headings(lines: list[str], start: int, end: int) -> list[tuple[int, int, str]] | None:
    """The headings of ``lines[start:end]`` (numbered in the page), parsed by markdown-it, or
    None when, given line ``end`` too, no top-level block opens there (something open runs on
    into it). At the page's end there is no such line to ask about."""
    last = end < len(lines)
    with _gc_paused():
        tokens = _markdown().parse("\n".join(lines[start : end + 1 if last else end]))
    if last and not any(
        t.level == 0 and t.nesting >= 0 and t.map is not None and t.map[0] == end - start
        for t in tokens
        if t.block
    ):
        return None
    return [
        (start + n, level, title) for n, level, title in _heading_tokens(tokens) if n < end - start
    ]


_ATX = re.compile(r"(#{1,6})(?:[ \t]|$)")
_FENCE_START = re.compile(r"(`{3,}|~{3,})(.*)")
_SETEXT = re.compile(r"[ \t]*(?:=+|-+)[ \t]*$")
#: Lines that may put a heading, a fence or a container where the line scan does not look:
#: indented or nested markers, block quotes, HTML blocks, list items opening with one.
#: (A "#" opens a heading only as 1-6 of them before a space, a tab or the line's end:
#: "- #channel" and "#1234" are text.)
_UNSURE = re.compile(
    r"[ \t]+(?:#{1,6}(?:[ \t]|$)|[><]|```|~~~)|[><]"
    r"|[ \t]*(?:(?:[-+*]|\d{1,9}[.)])[ \t]+)+(?:#{1,6}(?:[ \t]|$)|[><]|```|~~~)"
)
#: The HTML blocks that a blank line does not end (CommonMark's kinds 1 to 5).
_RAW_HTML = re.compile(
    r"<(?:script|pre|style|textarea)(?:[ \t>]|$)|<!--|<\?|<![A-Za-z]|<!\[CDATA\[", re.I
)


def _plain_scan(lines: list[str], at: int) -> tuple[list[tuple[int, int, str]], int, int]:
    """The headings a line scan finds from line ``at`` (where nothing is open), with -1 and
    ``at`` when it is sure to the page's end; else those before the last line where nothing
    was open (see :func:`_headings`), the first line it is unsure of, and that line.

    Sure means: every ATX heading and fence opening starts at column 0 after a blank line,
    a heading or a fence's end (where no paragraph, table, list or quote can hold it); no
    setext underline follows a text line; block quotes hold only text; no HTML block runs
    past a blank line (``<pre>``, ``<script>``, comments do); no line opens an indented or
    nested heading/fence; no NUL. That is how most pages are written, callouts (``> 💡``)
    and ``<details>`` toggles included, and the scan is 20x faster than parsing the page
    (markdown-it was a third of a 20 MB build, and most of one whose pages have callouts).
    ``tests/shards/test_page.py`` compares both on every page shape the tests know.
    """
    heads: list[tuple[int, int, str]] = []
    fence = ""  # the open fence's marker run
    free = True  # the previous line leaves nothing open (blank, heading, fence end, start)
    blank = True  # the previous line is blank (or the start)
    start, known = at, 0  # the last line where nothing was open, and the headings before it
    for n in range(at, len(lines)):
        line = lines[n]
        if fence:
            stripped = line.lstrip(" ")
            if (
                len(line) - len(stripped) <= 3
                and stripped.startswith(fence)
                and not stripped.rstrip(" \t").strip(fence[0])
            ):
                fence, free = "", True
            blank = False
            continue
        if not line.strip(" \t"):
            free = blank = True
            continue
        if blank and line[0] not in " \t":
            start, known = n, len(heads)
        blank = False
        if "\0" in line:
            return heads[:known], n, start
        if line[0] in "><":
            # A quote whose text holds no heading, fence, container or underline, or an HTML
            # block that a blank line ends (a Notion callout, a <details> toggle): text that
            # no heading can follow without a blank line, as a paragraph is.
            if line[0] == ">" and not _plain_quote(line.lstrip("> \t")):
                return heads[:known], n, start
            if line[0] == "<" and _RAW_HTML.match(line):
                return heads[:known], n, start
            free = False
            continue
        if _UNSURE.match(line) or (not free and _SETEXT.match(line)):
            return heads[:known], n, start
        head = _ATX.match(line)
        opening = _FENCE_START.match(line) if line[0] in "`~" else None
        if head or opening:
            if not free:
                return heads[:known], n, start
            if opening:
                if opening.group(1)[0] == "`" and "`" in opening.group(2):
                    return heads[:known], n, start  # not a fence in CommonMark: ask the parser
                fence = opening.group(1)
                continue
            assert head is not None
            level = len(head.group(1))
            end = len(line)
            while end > level and line[end - 1] in " \t":
                end -= 1
            cut = end
            while cut > level and line[cut - 1] == "#":
                cut -= 1
            if cut > level and line[cut - 1] in " \t":
                end = cut
            heads.append((n, level, line[level:end].strip()))
            free = True
            continue
        free = False
    return heads, -1, at


def _plain_quote(inner: str) -> bool:
    """Whether a block quote line's text (after its markers and every space before it: more
    cautious than CommonMark, which keeps indentation past one space) is plain text: no
    heading, fence, setext underline, HTML or list item opening with one of those."""
    return not inner or not (
        _UNSURE.match(inner)
        or _ATX.match(inner)
        or inner.startswith(("```", "~~~"))
        or _SETEXT.match(inner)
    )


def slugify(text: str, *, max_length: int = 64) -> str:
    """GitHub-style anchor: lowercase ASCII letters, digits and '-'; never empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "section"


class _SlugCounter:
    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def take(self, slug: str) -> str:
        count = self._seen.get(slug, 0)
        candidate = slug if count == 0 else f"{slug}-{count}"
        while candidate in self._seen and candidate != slug:
            count += 1
            candidate = f"{slug}-{count}"
        self._seen[slug] = count + 1
        self._seen.setdefault(candidate, 1)
        return candidate
