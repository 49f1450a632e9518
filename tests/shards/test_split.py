"""Splitting a monolith: every bad input from the issue, sizing, and re-running in place."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from router import SyncReport, parse_router, sync
from shards import (
    LocalFolderStore,
    SplitError,
    SplitOptions,
    SplitResult,
    TiktokenCounter,
    WorkspaceError,
    apply_split,
    parse_header_text,
    parse_page,
    plan_split,
    render_page,
)
from shards.page import split_sections

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
DEMO = Path(__file__).resolve().parents[2] / "examples" / "context-index.md"
TOKENS = TiktokenCounter()

# -- realistic input, built in memory (also used by the router, sync and CLI tests) --------

PEOPLE = ("Maren Holt", "Jonas Lindqvist", "Kwame Mensah", "Priya Nair", "Hana Sato")
CLIENTS = ("Halden Bakery Group", "Marlow & Finch Solicitors", "Greywater Climbing Centre")
DOMAINS = (
    "Infrastructure",
    "Architecture Decisions",
    "Clients & Relationships",
    "Procedures & Runbooks",
    "Credentials & Access",
    "Finance & Billing",
)


def realistic_section(domain: str, n: int, level: int = 3) -> str:
    """About 2 KB the way an operator writes it in Notion: long paragraphs, a list, a runbook."""
    owner, second, client = PEOPLE[n % 5], PEOPLE[(n + 2) % 5], CLIENTS[n % 3]
    slug = f"{domain.split()[0].lower()}-{n}"
    paragraph = (
        f"{owner} owns this; {second} is second and holds the pager on alternate weeks. "
        f"The service {slug} runs on Cloud Run in europe-west2 behind the shared load balancer, "
        f"and its database is on the Cloud SQL instance wp-mysql-prod. {client} was the first "
        "client moved onto it, after the legacy VM was retired. When the console and Terraform "
        "disagree, Terraform wins and the drift is written up before anyone fixes it by hand."
    )
    return (
        f"{'#' * level} {domain} topic {n}: {client}\n\n"
        f"{paragraph}\n\n"
        "Credentials are references only: the key is the Secret Manager secret "
        f"`projects/kestrel-ops/secrets/{slug.upper().replace('-', '_')}_KEY/versions/latest`, "
        f"rotated every 90 days by {owner}. Stripe and GitHub webhooks reach it through "
        "hook-relay, which checks signatures before anything is written to Notion.\n\n"
        "- Review: quarterly, notes in the infra channel.\n"
        "- Escalation: Better Stack pages whoever is on call.\n\n"
        "```bash\n"
        f"# Deploy {slug} by hand (CI normally does this)\n"
        f'gcloud run deploy {slug} --region europe-west2 --image "$IMAGE"\n'
        "```\n\n"
        f"{paragraph}\n"
    )


def realistic_domain(title: str, sections: int, start: int = 0) -> str:
    lead = (
        f"## {title}\n\n{title}: what we run, why, and who looks after it. "
        "Everything here was current at the last review.\n"
    )
    body = "\n".join(realistic_section(title, start + k) for k in range(sections))
    return f"{lead}\n{body}"


def realistic_monolith(sections: int = 4, domains: tuple[str, ...] = DOMAINS) -> str:
    """A page title, an introduction, then one ``## `` domain per title."""
    head = "# Context Index — Kestrel Lane\n\nRead the router first. Maren owns this page.\n"
    parts = [realistic_domain(t, sections, i * sections) for i, t in enumerate(domains)]
    return "\n".join([head, *parts])


def _ids(text: str, options: SplitOptions | None = None) -> list[str]:
    return [s.header.id for s in plan_split(text, TOKENS, options).shards]


class WordCounter:
    """A fast stand-in tokenizer (one token per word) for the 10 MB inputs."""

    def count(self, text: str) -> int:
        return len(text.split())


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\n\t\n", "\ufeff"])
def test_an_empty_monolith_is_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(SplitError) as caught:
        plan_split(text, TOKENS, source="index.md")
    assert "index.md is empty" in str(caught.value)
    assert caught.value.hint


def test_a_monolith_that_is_only_a_header_is_empty() -> None:
    text = '```json\n{"claude_delta":{"id":"index","title":"Index"}}\n```\n'
    with pytest.raises(SplitError, match="is empty"):
        plan_split(text, TOKENS, source="index.md")


def test_a_monolith_without_headings_is_refused_with_a_hint() -> None:
    with pytest.raises(SplitError) as caught:
        plan_split("Just prose.\n\nMore prose, no headings.\n", TOKENS, source="index.md")
    assert "no markdown headings" in str(caught.value)
    assert "## Infrastructure" in (caught.value.hint or "")


def test_headings_only_inside_code_fences_count_as_no_headings() -> None:
    text = "Notes.\n\n```bash\n# not a heading\n## nor this\n```\n"
    with pytest.raises(SplitError, match="no markdown headings"):
        plan_split(text, TOKENS, source="index.md")


def test_headings_inside_code_fences_are_not_split_points() -> None:
    shell = "```bash\n## Backups\n# restore the latest dump\n```\n\n~~~\n## Finance\n~~~\n"
    text = realistic_monolith(domains=("Infrastructure", "Procedures")) + "\n" + shell
    plan = plan_split(text, TOKENS, SplitOptions(min_shard_tokens=0))
    assert [s.header.id for s in plan.shards] == ["infrastructure", "procedures"]
    assert plan.shards[-1].body.endswith(shell.strip())


def test_duplicate_domain_titles_get_distinct_ids_and_a_warning() -> None:
    text = realistic_monolith(domains=("Clients", "Finance", "Clients"))
    plan = plan_split(text, TOKENS, SplitOptions(min_shard_tokens=0))
    assert [s.header.id for s in plan.shards] == ["clients", "finance", "clients-2"]
    assert [s.header.title for s in plan.shards] == ["Clients", "Finance", "Clients"]
    assert any("two sections are titled 'Clients'" in w for w in plan.warnings)


def test_a_domain_titled_router_does_not_take_the_router_page_id() -> None:
    text = realistic_monolith(domains=("Router", "Finance"))
    assert _ids(text, SplitOptions(min_shard_tokens=0)) == ["router-2", "finance"]


def test_a_monolith_over_max_bytes_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    text = realistic_monolith(sections=10)
    with pytest.raises(SplitError) as caught:
        plan_split(text, TOKENS, SplitOptions(max_bytes=10_000), source="big.md")
    assert "big.md" in str(caught.value)
    assert "over the" in str(caught.value)
    assert "Split it by hand" in (caught.value.hint or "")


def test_a_10_mb_monolith_splits_into_parts_that_fit_when_subsections_allow() -> None:
    # 12 domains of ~830 KB each: every one is far over the maximum and must be cut into parts.
    domain = realistic_domain("Domain", 580)
    text = "\n".join(
        ["# Context Index\n\nThe big one.\n"]
        + [domain.replace("## Domain", f"## Domain {d}", 1) for d in range(12)]
    )
    assert len(text.encode()) >= 10_000_000
    counter = WordCounter()
    maximum = 12_000
    plan = plan_split(text, counter, SplitOptions(max_shard_tokens=maximum))
    assert len(plan.shards) > 12
    assert sum(1 for w in plan.warnings if "split into" in w) == 12
    ids = [s.header.id for s in plan.shards]
    assert len(ids) == len(set(ids))
    assert ids[:2] == ["domain-0", "domain-0-2"]
    for shard in plan.shards:
        assert (
            counter.count(parse_page(render_page(shard.header, shard.body), page_id="x").body)
            <= maximum
        )
    # Nothing is lost: every subsection lands in exactly one shard.
    assert sum(s.body.count("\n### Domain topic") for s in plan.shards) == 12 * 580


@pytest.mark.skipif(not DEMO.exists(), reason="examples/context-index.md (the demo) is missing")
def test_parts_of_the_demo_index_stay_under_the_maximum_unless_one_subsection_is_bigger() -> None:
    for maximum in (800, 1500, 4000):
        plan = plan_split(DEMO.read_text(), TOKENS, SplitOptions(max_shard_tokens=maximum))
        for shard in plan.shards:
            body = parse_page(render_page(shard.header, shard.body), page_id="x").body
            if TOKENS.count(body) > maximum:
                # allowed only when the part is one subsection that cannot be cut further
                subsections = [s for s in split_sections(body) if s.level == plan.level + 1]
                assert len(subsections) <= 1, (maximum, shard.header.id)


def test_an_oversize_domain_of_one_block_is_kept_whole_with_a_warning() -> None:
    text = (
        "## Notes\n\n"
        + ("A long paragraph with no subheadings at all. " * 400)
        + "\n\n## Finance\n\nx\n"
    )
    plan = plan_split(text, TOKENS, SplitOptions(max_shard_tokens=500, min_shard_tokens=0))
    assert [s.header.id for s in plan.shards] == ["notes", "finance"]
    assert any("no heading or blank line to split at: kept whole" in w for w in plan.warnings)


def _meeting_notes(entries: int) -> str:
    """A long page with no sub-headings, as operators keep them: dated entries, lists, a
    code block nested in a list item with a blank line and a '#' comment in it, a toggle."""
    out = ["## Meeting notes", "", "Weekly operations sync, newest last."]
    for n in range(entries):
        out += [
            "",
            f"**2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}** with @Ana and @Bo: invoice INV-{n} was "
            "late again, so we agreed to move the Stripe retry window and to page on-call.",
            "",
            "- [ ] rotate the webhook secret",
            "- [x] check the retry queue:",
            "",
            "  ```bash",
            "  # drain first",
            "",
            "  brain webhooks drain",
            "  ```",
            "",
            "<details><summary>Raw log</summary>",
            "",
            f"worker-{n} restarted after 3 retries",
            "</details>",
        ]
    return "\n".join(out)


@pytest.mark.parametrize("maximum", [120, 150, 200, 333, 800])
def test_an_oversize_domain_without_headings_splits_between_blocks_and_loses_nothing(
    maximum: int,
) -> None:
    text = _meeting_notes(60) + "\n\n## Finance\n\nInvoices are due in 14 days.\n"
    plan = plan_split(text, TOKENS, SplitOptions(max_shard_tokens=maximum, min_shard_tokens=0))
    ids = [s.header.id for s in plan.shards]
    assert ids[0] == "meeting-notes" and ids[-1] == "finance" and len(ids) > 4
    assert any("between blocks" in w for w in plan.warnings)
    parts = plan.shards[:-1]
    for shard in parts:
        body = parse_page(render_page(shard.header, shard.body), page_id="x").body
        assert TOKENS.count(body) <= maximum, shard.header.id
        # No cut inside a fence or a toggle: each part opens and closes its own.
        assert body.count("```") % 2 == 0 and body.count("<details>") == body.count("</details>")
    # Nothing is lost: every line of the domain is in exactly one part, in order.
    kept = [
        line
        for shard in parts
        for line in shard.body.split("\n")
        if line.strip() and not line.startswith("## Meeting notes (")
    ]
    source = [line for line in _meeting_notes(60).split("\n") if line.strip()]
    assert kept == source


def test_a_subsection_over_the_maximum_is_cut_at_its_own_headings_then_its_blocks() -> None:
    sub = _meeting_notes(30).replace("## Meeting notes", "### Q3")
    deep = "\n\n".join(
        ["## Ops", "Lead-in.", sub, "#### Detail A", "a " * 300, "#### Detail B", "b " * 300]
    )
    plan = plan_split(
        deep + "\n\n## Finance\n\nx\n",
        TOKENS,
        SplitOptions(max_shard_tokens=600, min_shard_tokens=0),
    )
    bodies = [s.body for s in plan.shards if s.header.id.startswith("ops")]
    assert len(bodies) > 3
    assert sum(b.count("#### Detail A") for b in bodies) == 1
    assert all(TOKENS.count(b) <= 600 for b in bodies)
    assert any("split into" in w and "between blocks" in w for w in plan.warnings)
    # Deeper headings alone, when they are enough: the warning says so.
    deep_only = "\n\n".join(
        ["## Ops", "### Q3"] + [f"#### Item {n}\n\n" + "word " * 150 for n in range(6)]
    )
    plan = plan_split(
        deep_only + "\n\n## Finance\n\nx\n",
        TOKENS,
        SplitOptions(max_shard_tokens=600, min_shard_tokens=0),
    )
    assert any("deeper ones where a subsection is over" in w for w in plan.warnings), plan.warnings


def test_a_workspace_path_that_is_a_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    file = tmp_path / "workspace"
    file.write_text("my notes")
    plan = plan_split(realistic_monolith(), TOKENS)
    with pytest.raises(WorkspaceError, match="is a file"):
        apply_split(plan, LocalFolderStore(file))
    assert file.read_text() == "my notes"


# -- choosing the domains -----------------------------------------------------------------


def test_a_single_h1_title_makes_the_h2_sections_the_domains() -> None:
    plan = plan_split(realistic_monolith(), TOKENS)
    assert plan.level == 2
    assert plan.title == "Context Index — Kestrel Lane"
    assert plan.intro == "Read the router first. Maren owns this page."
    assert [s.header.title for s in plan.shards] == list(DOMAINS)
    assert [s.header.id for s in plan.shards] == [
        "infrastructure",
        "architecture-decisions",
        "clients",
        "procedures",
        "credentials",
        "finance",
    ]


def test_several_h1_sections_are_the_domains() -> None:
    text = realistic_monolith().replace("\n## ", "\n# ").replace("# Context Index", "Index", 1)
    plan = plan_split(text, TOKENS)
    assert plan.level == 1
    assert len(plan.shards) == 6


def test_the_level_option_picks_the_domain_level() -> None:
    # One "## Everything" wrapper: auto-detection picks level 2 (one shard), --level 3 the topics.
    topics = "\n".join(realistic_section("Area", n) for n in range(4))
    text = f"# Index\n\nIntro.\n\n## Everything\n\n{topics}"
    assert len(plan_split(text, TOKENS).shards) == 1
    plan = plan_split(text, TOKENS, SplitOptions(level=3, min_shard_tokens=0))
    assert plan.level == 3
    assert [s.header.id for s in plan.shards] == [
        "area-topic-0-halden-bakery-group",
        "area-topic-1-marlow",  # the id stops at " & " (it is meant for merged titles)
        "area-topic-2-greywater-climbing-centre",
        "area-topic-3-halden-bakery-group",
    ]


def test_a_level_with_no_headings_is_refused_naming_the_levels_used() -> None:
    with pytest.raises(SplitError) as caught:
        plan_split(realistic_monolith(), TOKENS, SplitOptions(level=5), source="index.md")
    assert "no level-5 headings" in str(caught.value)
    assert "[1, 2, 3]" in str(caught.value)


def test_tiny_domains_merge_into_their_neighbours_with_a_warning() -> None:
    text = (
        "# Index\n\n## Tiny first\n\nOne line.\n\n"
        + realistic_domain("Infrastructure", 2)
        + "\n## Tiny middle\n\nOne line.\n\n"
        + realistic_domain("Finance", 2, 10)
    )
    plan = plan_split(text, TOKENS, SplitOptions(min_shard_tokens=300))
    assert [s.header.title for s in plan.shards] == [
        "Tiny first & Infrastructure & Tiny middle",
        "Finance",
    ]
    assert [s.header.id for s in plan.shards] == ["tiny-first", "finance"]
    assert any("'Tiny first'" in w and "merged into the next section" in w for w in plan.warnings)
    assert any("'Tiny middle'" in w and "merged into" in w for w in plan.warnings)
    assert "One line." in plan.shards[0].body and "## Tiny middle" in plan.shards[0].body


def test_a_crlf_monolith_splits_like_the_same_text_with_lf() -> None:
    text = realistic_monolith(sections=2)
    lf = plan_split(text, TOKENS)
    crlf = plan_split(text.replace("\n", "\r\n"), TOKENS)
    assert [s.header for s in crlf.shards] == [s.header for s in lf.shards]
    for a, b in zip(crlf.shards, lf.shards, strict=True):
        assert render_page(a.header, a.body) == render_page(b.header, b.body)


def test_generated_headers_are_deterministic_and_leave_room_for_machine_fields() -> None:
    first = plan_split(realistic_monolith(), TOKENS)
    second = plan_split(realistic_monolith(), TOKENS)
    assert [s.header for s in first.shards] == [s.header for s in second.shards]
    infra = first.shards[0].header
    assert infra.summary.startswith("Infrastructure: what we run")
    assert infra.fetch_when[0].startswith("Infrastructure topic 0: Halden")
    for shard in first.shards:
        synced = shard.header.model_copy(
            update={"tokens": 99_999, "content_hash": "sha256:" + "0" * 64, "updated_at": NOW}
        )
        assert len(render_page(synced, "").split("\n")[1].encode()) <= 512


def test_progress_is_reported_once_per_domain() -> None:
    seen: list[tuple[int, int]] = []
    plan_split(realistic_monolith(), TOKENS, progress=lambda n, total: seen.append((n, total)))
    assert seen == [(n, 6) for n in range(1, 7)]


# -- writing and re-running in place -------------------------------------------------------


def _split(text: str, store: LocalFolderStore) -> tuple[SplitResult, SyncReport]:
    plan = plan_split(text, TOKENS)
    result = apply_split(plan, store)
    report = sync(store, TOKENS, now=NOW, seed_notes=plan.intro)
    return result, report


def test_a_first_split_writes_every_shard_and_a_router_with_the_intro_as_notes(
    tmp_path: Path,
) -> None:
    store = LocalFolderStore(tmp_path / "ws")
    result, report = _split(realistic_monolith(), store)
    assert result.created == (
        "infrastructure",
        "architecture-decisions",
        "clients",
        "procedures",
        "credentials",
        "finance",
    )
    assert sorted(p.name for p in store.path.iterdir()) == sorted(
        f"{i}.md" for i in [*result.created, "router"]
    )
    assert report.roll_call() == "Index sync: 6 shards, 6 changed, 0 invalid. No anomalies."
    router = parse_router(store.read("router").text)
    assert router.notes == "Read the router first. Maren owns this page."
    assert [r.id for r in router.rows] == sorted(result.created)


def test_re_splitting_an_edited_monolith_updates_in_place_and_keeps_operator_edits(
    tmp_path: Path,
) -> None:
    store = LocalFolderStore(tmp_path / "ws")
    monolith = realistic_monolith()
    _split(monolith, store)

    # The operator edits one shard's header by hand and writes their own router notes.
    page = parse_page(store.read("finance").text, page_id="finance")
    assert page.header is not None
    fields = {
        **page.header.to_json_dict(),
        "summary": "Money: care plans, Stripe, Xero, invoices",
        "fetch_when": ["invoice", "refund", "Stripe"],
        "status": "draft",
        "review_by": "Hana",
    }
    edited = parse_header_text(orjson.dumps({"claude_delta": fields}).decode(), page_id="finance")
    store.write("finance", render_page(edited, page.body))
    router_text = store.read("router").text
    head, _ = router_text.split("## Notes")
    notes = "Ask Maren before deleting a shard.\n\n- keep `finance` in draft until April"
    store.write("router", f"{head}## Notes\n\n{notes}\n")
    sync(store, TOKENS, now=NOW)
    before = {ref.id: ref.version for ref in store.list_pages()}

    # The monolith changes: new text in Finance and in Infrastructure.
    changed = monolith.replace(
        "## Finance & Billing\n\nFinance & Billing: what we run",
        "## Finance & Billing\n\nFinance & Billing (revised): what we run",
    ).replace("Infrastructure: what we run", "Infrastructure (revised): what we run")
    result, report = _split(changed, store)

    assert result.updated == ("infrastructure", "finance")
    assert result.unchanged == (
        "architecture-decisions",
        "clients",
        "procedures",
        "credentials",
    )
    assert result.created == () and result.orphaned == ()
    after = {ref.id: ref.version for ref in store.list_pages()}
    for page_id in result.unchanged:
        assert after[page_id] == before[page_id], page_id
    finance = parse_page(store.read("finance").text, page_id="finance")
    assert finance.header is not None
    assert finance.header.summary == "Money: care plans, Stripe, Xero, invoices"
    assert finance.header.fetch_when == ("invoice", "refund", "Stripe")
    assert finance.header.status == "draft"
    assert (finance.header.model_extra or {}).get("review_by") == "Hana"
    assert "Finance & Billing (revised)" in finance.body
    assert finance.header.content_hash == finance.content_hash
    assert parse_router(store.read("router").text).notes == notes
    assert report.changed == ("finance", "infrastructure")


def test_re_splitting_the_same_monolith_changes_nothing(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "ws")
    _split(realistic_monolith(), store)
    before = {ref.id: ref.version for ref in store.list_pages()}
    result, report = _split(realistic_monolith(), store)
    assert result.updated == () and len(result.unchanged) == 6
    assert report.changed == () and not report.router_changed
    assert {ref.id: ref.version for ref in store.list_pages()} == before


def test_shards_the_monolith_no_longer_has_are_reported_orphaned_and_left_alone(
    tmp_path: Path,
) -> None:
    store = LocalFolderStore(tmp_path / "ws")
    _split(realistic_monolith(), store)
    kept = store.read("credentials").text
    result, _ = _split(realistic_monolith(domains=DOMAINS[:4] + DOMAINS[5:]), store)
    assert result.orphaned == ("credentials",)
    assert store.read("credentials").text == kept


def test_a_split_does_not_touch_pages_that_are_not_shards(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "ws")
    store.append("webhook-log", ["🔔 2026-05-21T02:54:44.452Z [github:push] {}"])
    store.write("scratch", "no header, just my notes\n")
    _split(realistic_monolith(), store)
    assert store.read("scratch").text == "no header, just my notes\n"
    assert store.tail("webhook-log", 5) == ["🔔 2026-05-21T02:54:44.452Z [github:push] {}"]


def test_re_splitting_never_overwrites_a_page_named_like_a_shard_whose_header_is_broken(
    tmp_path: Path,
) -> None:
    store = LocalFolderStore(tmp_path)
    tokenizer = TiktokenCounter()
    text = "# Index\n\n## Alpha\n\nAlpha facts here.\n\n## Beta\n\nBeta facts here.\n"
    plan = plan_split(text, tokenizer, SplitOptions(min_shard_tokens=1))
    apply_split(plan, store)
    broken = '```json\n{"claude_delta": {"id": "beta", "title": 5}}\n```\n\nMy own notes.\n'
    store.write("beta", broken)
    result = apply_split(plan, store)
    assert result.blocked == ("beta",)
    assert "beta" not in result.created + result.updated
    assert store.read("beta").text == broken


# -- a property: whatever the page, parts lose nothing, stay whole and fit where they can ------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_BLOCKS = st.sampled_from(
    [
        "Plain words about invoices and the Stripe retry window, said at some length here.",
        "Short.",
        "- [ ] rotate the secret\n- [x] drain the queue",
        "1. Step one:\n\n   ```bash\n   # a comment\n\n   brain webhooks drain\n   ```",
        "```python\n# not a heading\n\nprint('x')\n```",
        "<details><summary>Log</summary>\n\nworker restarted\n\n</details>",
        "> 💡 A callout with a note in it.",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "### Sub topic",
        "#### Deeper topic",
        " ".join(["A long pasted paragraph about the warehouse move."] * 12),
    ]
)


@settings(max_examples=120, deadline=None)
@given(
    domains=st.lists(st.lists(_BLOCKS, min_size=1, max_size=25), min_size=1, max_size=3),
    maximum=st.sampled_from([40, 80, 150, 400]),
)
def test_any_page_splits_into_parts_that_lose_nothing_cut_no_fence_and_fit(
    domains: list[list[str]], maximum: int
) -> None:
    text = "# Index\n\n" + "\n\n".join(
        f"## Domain {n}\n\n" + "\n\n".join(blocks) for n, blocks in enumerate(domains)
    )
    plan = plan_split(text, TOKENS, SplitOptions(max_shard_tokens=maximum, min_shard_tokens=0))
    lead = tuple(f"## Domain {n} (" for n in range(len(domains)))
    kept = [
        line
        for shard in plan.shards
        for line in shard.body.split("\n")
        if line.strip() and not line.startswith(lead)
    ]
    assert plan.title == "Index"
    assert kept == [line for line in text.split("\n")[1:] if line.strip()]
    over = " ".join(w for w in plan.warnings if "still over" in w or "kept whole" in w)
    for shard in plan.shards:
        body = shard.body
        assert body.count("```") % 2 == 0, body  # no fence cut in two
        assert body.count("<details>") == body.count("</details>"), body
        if TOKENS.count(body) > maximum:  # only where a single block is over the maximum
            assert shard.header.title.split(" (")[0] in over, (shard.header.id, plan.warnings)
