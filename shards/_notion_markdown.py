"""Notion-flavoured ("enhanced") markdown -> the plain markdown the local store holds.

Notion's markdown endpoint answers in its own dialect
(https://developers.notion.com/guides/data-apis/enhanced-markdown): one line per top-level
block with a single ``\\n`` between blocks (a line break inside a block is ``<br>``), child
blocks indented by tabs, the characters ``\\ * ~ ` $ [ ] < > { } | ^`` backslash-escaped
outside code, tables as ``<table>``/``<tr>``/``<td>`` HTML, and XML-like tags for what
markdown has no syntax for: ``<details>``/``<summary>`` toggles, ``<callout>``,
``<columns>``, ``<page>``/``<database>`` links, ``<mention-*>`` mentions, ``<span>`` colour
and underline, ``{color="..."}`` block attributes, ``<empty-block/>``.

:func:`to_plain` turns that into the markdown a person would have written: escapes removed
(``\\$60K`` -> ``$60K``), tables as pipe tables, toggles and callouts as their text, links
and mentions as ``[title](url)``, attributes dropped, blocks separated by a blank line
(list items and quote lines stay together). What it cannot express is dropped, never
guessed: colours, icons, column layout. The point is that the same index reads the same on
both stores (same sections, tokens within 1%, same recall), not a byte-exact round trip:
the content hash ignores blank lines for that reason (:func:`shards.page.content_hash`).
"""

from __future__ import annotations

import html
import re

__all__ = ["to_plain", "unknown_tag"]

_ESCAPABLE = set("\\*~`$[]<>{}|^")
_FENCE = re.compile(r"^(`{3,}|~{3,})")
_ATTRS = re.compile(r'\s*\{(?:[a-z-]+="[^"]*"\s*)+\}\s*$')
_LIST = re.compile(r"^(?:[-*+]|\d+[.)])(?: \[[ xX]\])? ")
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)((?:\s+[\w-]+(?:=\"[^\"]*\")?)*)\s*(/?)>")
_ATTR = re.compile(r'([\w-]+)="([^"]*)"')
_UNKNOWN = re.compile(r'^\s*<unknown\s+url="([^"]*)"[^>]*/>\s*$')
#: Block-level tags whose own line is dropped; their children are kept, de-indented.
_WRAPPERS = frozenset(
    {"details", "callout", "columns", "column", "synced_block", "synced_block_reference"}
)
#: Self-closing block tags with nothing to say in plain markdown.
_DROPPED = frozenset({"table_of_contents", "empty-block", "unknown", "meeting-notes"})


def unknown_tag(line: str) -> str | None:
    """The block id of an ``<unknown url="...#<id>"/>`` line (a block left out), else None."""
    m = _UNKNOWN.match(line)
    if m is None:
        return None
    fragment = m.group(1).rpartition("#")[2]
    return fragment or None


def to_plain(markdown: str) -> str:
    """Plain markdown for a page's Notion-flavoured markdown (see the module docstring)."""
    blocks: list[tuple[str, str]] = []  # (kind, text): kind decides the separator
    lines = markdown.replace("\r\n", "\n").split("\n")
    widths: list[int] = []  # indent (spaces) that children at each depth get
    strip_depth = 0  # tabs of wrappers (callout, toggle) removed from children
    wrappers: list[int] = []  # depth of each open wrapper tag
    i = 0
    while i < len(lines):
        raw = lines[i]
        i += 1
        depth = len(raw) - len(raw.lstrip("\t"))
        line = raw[depth:]
        stripped = line.strip()
        if not stripped:
            continue
        # A wrapper closes: its children are no longer de-indented.
        tag = _TAG.fullmatch(stripped)
        if tag and tag.group(1) == "/" and tag.group(2) in _WRAPPERS:
            if wrappers:
                wrappers.pop()
            strip_depth = len(wrappers)
            continue
        level = max(0, depth - strip_depth)
        if _FENCE.match(stripped):
            fence = _FENCE.match(stripped)
            assert fence is not None
            body = [stripped]
            while i < len(lines):
                inner = lines[i]
                i += 1
                inner = inner[min(depth, len(inner) - len(inner.lstrip("\t"))) :]
                body.append(inner)
                if inner.strip().startswith(fence.group(1)) and inner.strip().strip("`~") == "":
                    break
            blocks.append(("code", _indent(level, widths) + "\n".join(body)))
            continue
        if tag and tag.group(1) == "" and tag.group(2) == "table":
            rows: list[str] = [stripped]
            while i < len(lines) and "</table>" not in rows[-1]:
                rows.append(lines[i].strip())
                i += 1
            blocks.append(("table", _table("\n".join(rows))))
            continue
        if tag and tag.group(2) in _WRAPPERS and tag.group(1) == "" and not tag.group(4):
            wrappers.append(depth)
            strip_depth = len(wrappers)
            attrs = dict(_ATTR.findall(tag.group(3)))
            if tag.group(2) == "callout" and attrs.get("icon"):
                pass  # the icon is decoration: dropped
            continue
        if tag and tag.group(2) in _DROPPED:
            continue
        summary = re.fullmatch(r"<summary>(.*)</summary>", stripped)
        if summary:
            blocks.append(("para", _indent(level, widths) + _inline(summary.group(1))))
            continue
        text = _ATTRS.sub("", line)
        text = _inline(text)
        marker = _LIST.match(text)
        del widths[level:]
        if marker:
            widths.append(len(marker.group(0)))
            kind = "list"
        elif text.startswith(">"):
            kind = "quote"
        elif re.match(r"^#{1,6} ", text):
            kind = "heading"
        else:
            kind = "para"
        if level:
            kind = "child"
        blocks.append((kind, _indent(level, widths) + text))
    out: list[str] = []
    previous = ""
    for kind, text in blocks:
        if out:
            together = (
                kind == "child"
                or (kind == previous == "list")
                or (kind == previous == "quote")
                or (kind == "list" and previous == "child")
            )
            out.append("\n" if together else "\n\n")
        out.append(text)
        previous = kind
    return "".join(out)


def _indent(level: int, widths: list[int]) -> str:
    return " " * sum(widths[:level]) if level else ""


def _inline(text: str, *, in_table: bool = False) -> str:
    """Rich text: escapes removed, tags turned into markdown (code spans left as they are)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in _ESCAPABLE:
            literal = text[i + 1]
            out.append("\\|" if in_table and literal == "|" else literal)
            i += 2
            continue
        if ch == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            close = text.find("`" * run, i + run)
            if close != -1:
                out.append(text[i : close + run])
                i = close + run
                continue
            out.append(text[i : i + run])
            i += run
            continue
        if ch == "<":
            converted, end = _tag(text, i, in_table=in_table)
            if end > i:
                out.append(converted)
                i = end
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _tag(text: str, start: int, *, in_table: bool) -> tuple[str, int]:
    """(markdown, end) for an inline tag at ``start``; end == start when it is not one."""
    m = _TAG.match(text, start)
    if m is None:
        return "", start
    closing, name, attrs_text, self_closing = m.groups()
    attrs = dict(_ATTR.findall(attrs_text))
    if name == "br":
        return ("<br>" if in_table else "\n"), m.end()
    if closing:
        return "", m.end()  # a stray closing tag (its opening one was handled)
    if self_closing:
        if name == "mention-date":
            start_date, end_date = attrs.get("start", ""), attrs.get("end")
            return (f"{start_date} → {end_date}" if end_date else start_date), m.end()
        return "", m.end()
    close = text.find(f"</{name}>", m.end())
    if close == -1:
        return "", start
    inner = _inline(text[m.end() : close], in_table=in_table)
    end = close + len(name) + 3
    url = html.unescape(attrs.get("url", ""))
    if name in {"page", "database", "mention-page", "mention-database", "mention-link"} and url:
        return f"[{inner or url}]({url})", end
    return inner, end  # span (colour, underline), mention-user, anything else: its text


def _table(block: str) -> str:
    """A ``<table>`` block as a pipe table; the first row is the header row."""
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", block, flags=re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)
        rows.append([_inline(c.strip(), in_table=True).replace("\n", "<br>") for c in cells])
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join(["---"] * width) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)
