"""Notion-flavoured markdown reads as the plain markdown the local store holds.

Unit cases for each construct of Notion's enhanced markdown, then the contract: the demo
monolith written through both stores gives the same sections, tokens within 1% and the same
needle recall (examples/tasks.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from router.service import ContextService
from shards import (
    LocalFolderStore,
    PageStore,
    TiktokenCounter,
    apply_split,
    parse_page,
    plan_split,
)
from shards._notion_markdown import to_plain, unknown_tag
from tests.notion_fake import NotionFake
from tests.shards.test_store_contract import notion_store

ROOT = Path(__file__).resolve().parents[2]
MONOLITH = (ROOT / "examples" / "context-index.md").read_text(encoding="utf-8")
TASKS = json.loads((ROOT / "examples" / "tasks.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("notion", "plain"),
    [
        ("Budget \\$60K \\| 2 \\* 3", "Budget $60K | 2 * 3"),
        ("Use `a\\$b` as is", "Use `a\\$b` as is"),
        ('# Title {color="blue"}\nText', "# Title\n\nText"),
        ("- one\n- two\nAfter", "- one\n- two\n\nAfter"),
        ("- parent\n\t- child", "- parent\n  - child"),
        (
            '<table header-row="true">\n\t<tr>\n\t\t<td>a</td>\n\t\t<td>b</td>\n\t</tr>\n'
            "\t<tr>\n\t\t<td>\\$1</td>\n\t\t<td>x \\| y</td>\n\t</tr>\n</table>",
            "| a | b |\n|---|---|\n| $1 | x \\| y |",
        ),
        ("<details>\n<summary>More</summary>\n\tHidden text\n</details>", "More\n\nHidden text"),
        ('<callout icon="💡" color="gray_bg">\n\tCareful here\n</callout>', "Careful here"),
        ('See <span color="red">this</span> now', "See this now"),
        (
            '<page url="https://www.notion.so/abc">Infra</page>',
            "[Infra](https://www.notion.so/abc)",
        ),
        (
            'Ask <mention-page url="https://www.notion.so/x">Ops</mention-page> on '
            '<mention-date start="2026-01-02"/>',
            "Ask [Ops](https://www.notion.so/x) on 2026-01-02",
        ),
        ("Line one<br>line two", "Line one\nline two"),
        ("```bash\necho \\$HOME | tr\n```", "```bash\necho \\$HOME | tr\n```"),
        ("Text\n<empty-block/>\nMore", "Text\n\nMore"),
    ],
)
def test_notion_markdown_becomes_plain_markdown(notion: str, plain: str) -> None:
    assert to_plain(notion) == plain


def test_an_unknown_block_line_names_its_block() -> None:
    line = '<unknown url="https://www.notion.so/p#0123456789abcdef0123456789abcdef" alt="x"/>'
    assert unknown_tag(line) == "0123456789abcdef0123456789abcdef"
    assert unknown_tag("plain text") is None


def test_the_demo_index_reads_the_same_from_notion_as_from_the_folder(
    notion_fake: NotionFake, tmp_path: Path
) -> None:
    tokenizer = TiktokenCounter()
    plan = plan_split(MONOLITH, tokenizer)
    local = LocalFolderStore(tmp_path / "ws")
    apply_split(plan, local)
    with notion_store(notion_fake) as notion:
        apply_split(plan, notion)
        # Notion answers in its own dialect: escapes and HTML tables reach the fake's answer
        raw = "\n".join(notion_fake.page_text(r.id) for r in notion.list_pages())
        assert "\\$" in raw and "<table" in raw

        def shards(store: PageStore) -> dict[str, tuple[list[str], int]]:
            out = {}
            for ref in store.list_pages():
                page = parse_page(store.read(ref.id).text, page_id=ref.id)
                assert page.header is not None
                out[page.header.id] = ([s.title for s in page.sections], tokenizer.count(page.body))
            return out

        here, there = shards(local), shards(notion)
        assert here.keys() == there.keys()
        for shard_id, (titles, tokens) in here.items():
            assert there[shard_id][0] == titles, shard_id
            assert abs(there[shard_id][1] - tokens) <= 0.01 * tokens, shard_id
        assert "$60K" not in raw or "\\$60K" in raw

        def recall(store: PageStore) -> int:
            service = ContextService(store, tokenizer)
            found = 0
            for task in TASKS:
                context = service.get_context(task["task"], 3000).context
                found += " ".join(task["needle"].split()) in " ".join(context.split())
            return found

        local_recall, notion_recall = recall(local), recall(notion)
    assert notion_recall == local_recall
    assert local_recall >= len(TASKS) // 2
