"""How the fake turns written markdown into blocks and renders them the way Notion does.

Kept apart from ``shards._notion_markdown`` on purpose (the fake must not share the code it
checks). Modelled on Notion's enhanced-markdown reference
(https://developers.notion.com/guides/data-apis/enhanced-markdown) and the markdown guide:

- a written page becomes blocks: headings (levels 5 and 6 become 4), paragraphs (one per
  line), bulleted/numbered/to-do list items, quotes, dividers, fenced code blocks (content
  literal) and pipe tables; blank lines only separate blocks and are not kept;
- the markdown endpoint renders one line per block with a single ``\\n`` between blocks,
  tables as ``<table header-row="true">`` with tab-indented ``<tr>``/``<td>`` rows, and
  backslash-escapes ``\\ * ~ ` $ [ ] < > { } | ^`` in text (not inside code, not in the
  markdown syntax it keeps: ``**bold**``, ``*italic*``, `` `code` ``, ``[text](url)``).

A simplification, stated: inline formatting is recognised by a few regular expressions, not
a full CommonMark inline parser; what they miss is escaped as literal text, as Notion would
for a character it stored literally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SPECIAL = "\\*~`$[]<>{}|^"
_FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST = re.compile(r"^(\s*)([-*+]|\d+\.)\s+(\[[ xX]\]\s+)?(.*)$")
_TABLE_SEP = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
# Formatting Notion keeps as markdown: code spans, links, bold, italic, strikethrough.
_INLINE = re.compile(
    r"(`+)(.+?)\1"  # code span
    r"|\[([^\]\n]+)\]\(([^)\s]+)\)"  # link
    r"|\*\*(?=\S)(.+?)(?<=\S)\*\*"  # bold
    r"|(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\w*])"  # italic
    r"|~~(?=\S)(.+?)(?<=\S)~~"  # strikethrough
)
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


@dataclass
class MdBlock:
    """One block: ``kind`` is a Notion block type; ``text`` the line as Notion renders it."""

    kind: str
    text: str


def escape(text: str) -> str:
    """Literal text as Notion renders it: special characters backslash-escaped."""
    return "".join("\\" + ch if ch in SPECIAL else ch for ch in text)


def rich(text: str) -> str:
    """Written inline markdown -> Notion's rendering of the rich text it became."""
    out: list[str] = []
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(escape(_literal(text[pos : m.start()])))
        code, _code_text, link_text, url, bold, italic, strike = m.groups()
        if code is not None:
            out.append(m.group(0))
        elif link_text is not None:
            out.append(f"[{escape(_literal(link_text))}]({url})")
        elif bold is not None:
            out.append(f"**{rich(bold)}**")
        elif italic is not None:
            out.append(f"*{rich(italic)}*")
        else:
            out.append(f"~~{rich(strike or '')}~~")
        pos = m.end()
    out.append(escape(_literal(text[pos:])))
    return "".join(out)


def _literal(text: str) -> str:
    """A markdown escape in written text stands for the character itself."""
    return _UNESCAPE.sub(r"\1", text)


def parse(markdown: str) -> list[MdBlock]:
    """Written markdown -> the blocks Notion would make of it."""
    blocks: list[MdBlock] = []
    lines = markdown.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            continue
        fence = _FENCE.match(line.strip())
        if fence:
            body = [line.strip()]
            while i < len(lines):
                body.append(lines[i])
                i += 1
                if lines[i - 1].strip() == fence.group(1):
                    break
            blocks.append(MdBlock("code", "\n".join(body)))
            continue
        if line.lstrip().startswith("|") and i < len(lines) and _TABLE_SEP.match(lines[i]):
            rows = [_cells(line)]
            i += 1
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            blocks.append(MdBlock("table", _table(rows)))
            continue
        heading = _HEADING.match(line)
        if heading:
            level = min(len(heading.group(1)), 4)
            kind = f"heading_{min(level, 3)}"
            blocks.append(MdBlock(kind, f"{'#' * level} {rich(heading.group(2))}"))
            continue
        if re.fullmatch(r"\s*(-{3,}|\*{3,}|_{3,})\s*", line):
            blocks.append(MdBlock("divider", "---"))
            continue
        item = _LIST.match(line)
        if item:
            indent, marker, todo, rest = item.groups()
            tabs = "\t" * (len(indent.expandtabs(4)) // 2)
            kind = "to_do" if todo else "numbered_list_item" if marker[0].isdigit() else "bulleted"
            check = f"[{todo.strip()[1]}] " if todo else ""
            bullet = marker if marker[0].isdigit() else "-"
            blocks.append(MdBlock(kind, f"{tabs}{bullet} {check}{rich(rest)}"))
            continue
        if line.startswith(">"):
            blocks.append(MdBlock("quote", "> " + rich(line[1:].strip())))
            continue
        blocks.append(MdBlock("paragraph", rich(line.strip())))
    return blocks


def _cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def _table(rows: list[list[str]]) -> str:
    out = ['<table header-row="true">']
    for row in rows:
        out.append("\t<tr>")
        out += [f"\t\t<td>{rich(cell)}</td>" for cell in row]
        out.append("\t</tr>")
    out.append("</table>")
    return "\n".join(out)
