"""Pages and sections: headings outside code fences only, unique anchors, header problems."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shards import ClaudeDelta, content_hash, parse_page, render_page
from shards.page import split_sections

HEADER = '```json\n{"claude_delta":{"v":"1.0","id":"infra","title":"Infrastructure"}}\n```'

RUNBOOK = """\
# Deploying

Deploy from the ops project.

```bash
# Build and push the image (CI normally does this)
## not a heading either
gcloud builds submit --tag "$IMAGE"
```

~~~sh
# Roll back to the previous revision
gcloud run services update-traffic wp-halden --to-revisions=PREV=100
~~~

````markdown
```
# still inside the outer fence
```
````

    # an indented code block is not a heading

## Rolling back

Use the revision list.
"""


def test_headings_inside_backtick_and_tilde_fences_are_not_headings() -> None:
    sections = split_sections(RUNBOOK)
    assert [s.title for s in sections] == ["Deploying", "Rolling back"]
    deploying = sections[0]
    assert "# Build and push the image" in deploying.text
    assert "# Roll back to the previous revision" in deploying.text
    assert "# still inside the outer fence" in deploying.text
    assert "# an indented code block" in deploying.text


def test_sections_know_their_level_path_and_starting_line() -> None:
    body = "Lead-in.\n\n# Infra\n\n## DNS\n\n### Records\n\n## Cloud Run\n"
    sections = split_sections(body)
    assert [(s.id, s.level, s.path, s.start_line) for s in sections] == [
        ("intro", 0, (), 0),
        ("infra", 1, ("Infra",), 2),
        ("dns", 2, ("Infra", "DNS"), 4),
        ("records", 3, ("Infra", "DNS", "Records"), 6),
        ("cloud-run", 2, ("Infra", "Cloud Run"), 8),
    ]
    assert sections[2].text == "## DNS"
    assert sections[-1].text == "## Cloud Run"


def test_repeated_titles_get_numbered_anchors() -> None:
    body = "## Backups\n\na\n\n## Backups\n\nb\n\n## Backups\n\nc\n\n## Backups 1\n"
    assert [s.id for s in split_sections(body)] == [
        "backups",
        "backups-1",
        "backups-2",
        "backups-1-1",
    ]


def test_setext_headings_and_unicode_titles_make_ascii_anchors() -> None:
    sections = split_sections(
        "Crédits & Accès\n===============\n\ntext\n\n## ADR-017: Secrets, 1Password\n"
    )
    assert [s.id for s in sections] == ["credits-acces", "adr-017-secrets-1password"]
    assert sections[0].level == 1


TITLES = st.text(string.ascii_letters + string.digits + " -_&é#", min_size=1, max_size=12).map(
    lambda t: t.strip(" #") or "x"
)


@settings(max_examples=60, deadline=None)
@given(st.lists(TITLES, min_size=1, max_size=12))
def test_section_anchors_are_always_unique(titles: list[str]) -> None:
    body = "\n\n".join(f"## {t}\n\ntext" for t in titles)
    ids = [s.id for s in split_sections(body)]
    assert len(ids) == len(set(ids))
    assert all(i and all(c in string.ascii_lowercase + string.digits + "-" for c in i) for i in ids)


def test_a_page_with_a_header_has_no_error_and_keeps_its_body() -> None:
    page = parse_page(f"{HEADER}\n\n# Infra\n\ntext\n", page_id="infra")
    assert page.error is None
    assert page.header is not None and page.header.id == "infra"
    assert page.body == "# Infra\n\ntext"
    assert [s.title for s in page.sections] == ["Infra"]


def test_a_page_with_two_headers_says_so_and_keeps_a_usable_body() -> None:
    page = parse_page(f"{HEADER}\n\n# Infra\n\ntext\n\n{HEADER}\n", page_id="infra")
    assert page.header is None
    assert page.error is not None
    assert "two claude_delta headers" in str(page.error)
    assert "page 'infra'" in str(page.error)
    assert page.body.startswith("# Infra\n\ntext")


def test_a_header_that_is_not_first_is_reported_and_the_body_kept() -> None:
    page = parse_page(f"Some intro.\n\n{HEADER}\n\n# Infra\n", page_id="infra")
    assert page.header is None
    assert page.error is not None
    assert "not the first block" in str(page.error)
    assert page.body.startswith("Some intro.")
    assert "# Infra" in page.body


def test_an_unclosed_header_fence_is_reported_and_the_whole_text_kept() -> None:
    text = '```json\n{"claude_delta":{"id":"infra","title":"Infrastructure"}}\n\n# Infra\n\ntext\n'
    page = parse_page(text, page_id="infra")
    assert page.header is None
    assert page.error is not None
    assert "never closed" in str(page.error)
    assert "# Infra\n\ntext" in page.body


def test_a_page_without_a_header_is_reported_and_still_has_sections() -> None:
    page = parse_page("# Infra\n\ntext\n\n## DNS\n", page_id="infra")
    assert page.header is None
    assert page.error is not None
    assert "no claude_delta header" in str(page.error)
    assert page.error.hint
    assert [s.title for s in page.sections] == ["Infra", "DNS"]


def test_a_broken_header_is_reported_with_its_field_and_the_body_kept() -> None:
    text = (
        '```json\n{"claude_delta":{"id":"infra","title":"Infra","tokens":"many"}}\n```\n\n# Infra\n'
    )
    page = parse_page(text, page_id="infra")
    assert page.header is None
    assert page.error is not None and page.error.field == "tokens"
    assert page.body == "# Infra"


def test_a_tilde_header_fence_a_bom_and_crlf_line_ends_are_read() -> None:
    text = (
        '\ufeff~~~json\r\n{"claude_delta":{"id":"infra","title":"Infra"}}\r\n~~~\r\n\r\n# Infra\r\n'
    )
    page = parse_page(text, page_id="infra")
    assert page.error is None
    assert page.body == "# Infra"


def test_content_hash_ignores_the_header_and_trailing_whitespace_and_crlf() -> None:
    body = "# Infra\n\nCloud Run hosts the sites.\n\n- one\n- two"
    first = ClaudeDelta(id="infra", title="Infrastructure")
    second = first.model_copy(update={"tokens": 10, "summary": "changed"})
    assert parse_page(render_page(first, body), page_id="infra").content_hash == content_hash(body)
    assert parse_page(render_page(second, body), page_id="infra").content_hash == content_hash(body)
    messy = "\r\n\r\n" + body.replace("\n", "  \r\n") + "\r\n\r\n\r\n"
    assert content_hash(messy) == content_hash(body)
    assert content_hash(body + " more") != content_hash(body)
    assert content_hash(body).startswith("sha256:") and len(content_hash(body)) == 71


def test_render_page_puts_the_header_first_and_ends_with_one_newline() -> None:
    text = render_page(ClaudeDelta(id="infra", title="Infra"), "\n\n# Infra  \n\n\n")
    assert text.startswith("```json\n{")
    assert text.endswith("```\n\n# Infra\n")
    assert parse_page(text, page_id="infra").render() == text


# -- the line scan for headings agrees with markdown-it wherever it is sure ------------------

from pathlib import Path  # noqa: E402

from shards.page import _heading_tokens, _headings, _markdown, _plain_scan  # noqa: E402


def _parsed_headings(body: str) -> list[tuple[int, int, str]]:
    """The reference: every heading markdown-it finds parsing the whole page."""
    return _heading_tokens(_markdown().parse(body))


def _plain_headings(lines: list[str]) -> list[tuple[int, int, str]] | None:
    """The line scan's headings when it is sure of the whole page, else None."""
    heads, stuck, _ = _plain_scan(lines, 0)
    return heads if stuck < 0 else None


_REPO = Path(__file__).resolve().parents[2]
#: Line shapes that decide where headings are: ATX forms, fences, tables, lists, quotes,
#: HTML, setext underlines, indentation, tabs, non-breaking spaces.
_SHAPES = [
    "", "", "# A", "## B #", "### C ##  ", "#no", "####### seven", "# ", "#", "text line",
    "more text", "```", "```py", "~~~", "````", "``` a`b", "| a | b |", "|---|---|", "| x | y |",
    "a | b", "--- | ---", "- item", "- # in list", "1. one", "  continued", "    code",
    "> quote", "<div>", "---", "===", "***", "  # indented", "#\tTab", "# title \\#",
    "# x\xa0#", "[ref]: /url", "- - nested", "  ```", "- ``x``", "  `y`", "  ``` z", "- ~~~",
    "\t# t", "text #", "## trailing ## x", "> # in quote", "> \U0001f4a1 callout text", ">",
    "> > nested", "> ```", "> ---", ">  - # x", "<details>", "</details>",
    "<details><summary>More</summary>", "<pre>", "<!-- note -->", "<3 plain",
    "- #channel", "#1234 text", "  #tag", "1. Step one", "   ```bash", "    # comment",
    "   ```", "  - ```", "  ~~~", "</pre>", "-->", "  - nested item", "   > quoted in item",
]  # fmt: skip


@given(st.lists(st.sampled_from(_SHAPES), min_size=1, max_size=14))
@settings(max_examples=400, deadline=None)
def test_the_heading_scan_finds_what_markdown_it_finds_when_it_is_sure(lines: list[str]) -> None:
    body = "\n".join(lines)
    found = _plain_headings(body.split("\n"))
    if found is not None:
        assert found == _parsed_headings(body)


@given(st.lists(st.sampled_from(_SHAPES), min_size=1, max_size=24))
@settings(max_examples=1500, deadline=None)
def test_the_headings_are_markdown_its_with_the_scan_and_parsed_stretches_mixed(
    lines: list[str],
) -> None:
    body = "\n".join(lines)
    assert _headings(body.split("\n")) == _parsed_headings(body)


def test_code_nested_in_list_items_is_parsed_alone_and_the_rest_scanned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import shards.page

    body = "\n".join(
        [
            "# Runbook", "", "1. Restart the worker:", "", "   ```bash", "   # drain first",
            "   systemctl restart worker", "   ```", "", "2. Check it:", "   - #ops channel",
            "", "## After", "", "Done. <pre>", "", "```", "<pre>", "", "# in a fence", "```",
            "", "### Last",
        ]
    )  # fmt: skip
    parsed: list[str] = []
    real = shards.page._region_headings

    def spy(lines: list[str], start: int, end: int) -> object:
        parsed.append("\n".join(lines[start:end]))
        return real(lines, start, end)

    monkeypatch.setattr(shards.page, "_region_headings", spy)
    assert _headings(body.split("\n")) == _parsed_headings(body)
    assert _headings(body.split("\n")) == [(0, 1, "Runbook"), (12, 2, "After"), (22, 3, "Last")]
    assert parsed and all("Runbook" not in p and "After" not in p for p in parsed)


def test_an_unclosed_fence_near_the_top_parses_the_rest_once_not_per_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import shards.page

    # A fence indented by two spaces (unsure to the scan) that is never closed: CommonMark
    # runs it to the page's end, so every heading after it is code.
    lines = ["# Top", "", "  ```", "# in the fence"]
    for n in range(300):
        lines += ["", f"Paragraph {n} at column 0.", "", f"## Not a heading {n}"]
    body = "\n".join(lines)
    calls: list[int] = []
    real = shards.page._region_headings

    def spy(lines: list[str], start: int, end: int) -> object:
        calls.append(end)
        return real(lines, start, end)

    monkeypatch.setattr(shards.page, "_region_headings", spy)
    assert _headings(body.split("\n")) == _parsed_headings(body) == [(0, 1, "Top")]
    assert len(calls) <= 4  # three tries, then the rest of the page at once


def test_the_heading_scan_agrees_on_every_markdown_file_of_the_project() -> None:
    from bench.index import synthetic, varied
    from bench.notes import notes
    from bench.wiki import wiki

    files = [p for p in sorted(_REPO.glob("**/*.md")) if not {".venv", ".git"} & set(p.parts)]
    texts = {str(p): p.read_text(encoding="utf-8") for p in files}
    # The scale bench's synthetic index, one text per top-level domain.
    texts |= {f"synthetic {n}": t for n, t in enumerate(synthetic(400_000).split("\n# "))}
    # And the varied one: sections drawn from every example index, callouts and toggles too.
    texts |= {f"varied {n}": t for n, t in enumerate(varied(400_000).split("\n## "))}
    # And operators' Notion pages (bench.notes, no example text): long pages, tables, email
    # threads, runbooks with code nested in list items, "- #channel" items, pasted JSON.
    texts |= {f"notes {n}": t for n, t in enumerate(notes(400_000).split("\n## "))}
    # And a multilingual company wiki (bench.wiki, by another hand): many small ### pages,
    # Q/A pairs, glossary tables, SKU bullet lists, "> Note:" quotes, <br> and <sub> inline.
    texts |= {f"wiki {n}": t for n, t in enumerate(wiki(400_000).split("\n## "))}
    assert len(texts) > 10
    sure = 0
    for name, text in texts.items():
        body = text.replace("\r\n", "\n").replace("\r", "\n")
        found = _plain_headings(body.split("\n"))
        parsed = _parsed_headings(body)
        if found is not None:
            sure += 1
            assert found == parsed, name
        assert _headings(body.split("\n")) == parsed, name
    assert sure > len(texts) // 2  # the fast path is the common one


def test_the_heading_scan_steps_aside_where_a_container_could_hold_a_heading() -> None:
    for body in (
        "> # quoted",
        "- # in a list",
        "para\n===",
        "| a |\n|---|\n# after a table row",
        "<pre>\n\n# inside pre\n</pre>",
        "> ```\n> # a comment in a quoted fence\n> ```",
        "> > # nested",
        "- item\n\n  # in the item",
    ):
        assert _plain_headings(body.split("\n")) is None, body
    assert _plain_headings("```\n# not a heading\n```\n\n# one".split("\n")) == [(4, 1, "one")]


def test_the_heading_scan_reads_callouts_and_toggles_itself() -> None:
    for body in (
        "> \U0001f4a1 Callout text\n> more of it\n\n# After",
        "<details><summary>Open</summary>\n\nHidden text\n</details>\n\n## Next",
        "<div>\n\n# after the html block ends\n</div>",
        "para\n> quote\n\n### Three",
    ):
        found = _plain_headings(body.split("\n"))
        assert found is not None and found == _parsed_headings(body), body
        assert found
