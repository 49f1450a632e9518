"""The router page: render -> parse is identity, notes are kept, broken pages say why."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from router import RouterPage, RouterRow, parse_router, render_router, router_header, sync
from router.router_page import domain_router_header, with_kind
from shards import (
    ClaudeDelta,
    HeaderError,
    LocalFolderStore,
    PageError,
    SplitOptions,
    TiktokenCounter,
    apply_split,
    plan_split,
    render_page,
)
from tests.shards.test_split import realistic_monolith

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
DEMO = Path(__file__).resolve().parents[2] / "examples" / "context-index.md"
#: The demo's router as the sync wrote it before routers had two levels (commit 933bff6).
GOLDEN_DEMO_ROUTER = Path(__file__).resolve().parent / "golden" / "demo-router.md"
ROUTER_BUDGET_BYTES = 6_656  # 6.5 KB, the reference router for six shards

# -- generators ---------------------------------------------------------------------------

_AWKWARD = "|;\\[]()`*_#<>&\"' "
# Cell text as the sync writes it: whitespace folded to single spaces, no ends to trim.
CELL = st.text(
    st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from(_AWKWARD), max_size=30
).map(lambda t: " ".join(t.split()))
TERM = CELL.filter(bool)
URL = st.builds(
    lambda host, path: f"https://{host}.example/{path}",
    st.text(string.ascii_lowercase, min_size=1, max_size=8),
    st.text(string.ascii_letters + string.digits + "-_./%~?=&#", max_size=20),
)


@st.composite
def rows(draw: st.DrawFn) -> RouterRow:
    return RouterRow(
        id=draw(CELL),
        title=draw(CELL),
        holds=draw(CELL),
        fetch_when=tuple(draw(st.lists(TERM, max_size=4))),
        tokens=draw(st.none() | st.integers(min_value=0, max_value=10**7)),
        updated=draw(st.just("") | st.dates().map(str)),
        page=draw(CELL),
        url=draw(URL),
    )


NOTES_LINES = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40).map(str.rstrip)


@st.composite
def notes(draw: st.DrawFn) -> str:
    lines = draw(st.lists(NOTES_LINES, max_size=6))
    return "\n".join(lines).strip("\n")


@st.composite
def routers(draw: st.DrawFn) -> RouterPage:
    header = router_header(
        tokens=draw(st.none() | st.integers(min_value=0, max_value=10**6)),
        content_hash=draw(
            st.none() | st.text("0123456789abcdef", min_size=64, max_size=64).map("sha256:".__add__)
        ),
    )
    return RouterPage(header, tuple(draw(st.lists(rows(), max_size=8))), draw(notes()))


@settings(max_examples=150, deadline=None)
@given(routers())
def test_a_router_page_parses_back_into_the_model_it_was_rendered_from(router: RouterPage) -> None:
    assert parse_router(render_router(router)) == router


@st.composite
def two_level_routers(draw: st.DrawFn) -> RouterPage:
    """A top router of domains, a domain's page (or part), or a retired domain page."""
    kind = draw(st.sampled_from(["top", "domain", "part", "retired"]))
    domain = draw(st.from_regex(r"[a-z][a-z0-9]{0,10}(-[a-z0-9]{1,6})?", fullmatch=True))
    if kind == "top":
        header = with_kind(router_header(), lists="domains", parent=None)
    else:
        page_id = f"router-{domain}" + ("--2" if kind == "part" else "")
        parent = "router-" + domain if kind == "part" else "router"
        lists = draw(st.sampled_from(["shards", "domains"]))
        header = domain_router_header(
            page_id, draw(TERM), parent=parent, domain=domain, lists=lists
        )
        if kind == "retired":
            header = header.model_copy(update={"status": "archived"})
    header = header.model_copy(
        update={"tokens": draw(st.none() | st.integers(min_value=0, max_value=10**6))}
    )
    return RouterPage(header, tuple(draw(st.lists(rows(), max_size=8))), draw(notes()))


@settings(max_examples=150, deadline=None)
@given(two_level_routers())
def test_every_page_of_a_two_level_router_parses_back_into_its_model(router: RouterPage) -> None:
    text = render_router(router)
    parsed = parse_router(text, page_id=router.header.id)
    assert parsed == router
    assert (parsed.lists, parsed.parent, parsed.retired) == (
        router.lists,
        router.parent,
        router.retired,
    )
    assert router.lead in text


def test_a_top_router_of_domains_says_so_and_a_domain_page_names_its_parent() -> None:
    top = RouterPage(with_kind(router_header(), lists="domains", parent=None), (), "")
    assert '"lists":"domains"' in render_router(top)
    assert "each row is a domain" in render_router(top)
    page = RouterPage(
        domain_router_header("router-clients", "Clients", parent="router", domain="clients"),
        (),
        "",
    )
    assert page.lists == "shards" and page.parent == "router"
    assert "The page above this one is `router`." in render_router(page)
    assert with_kind(top.header, lists="shards", parent=None) == router_header()


@pytest.mark.skipif(not DEMO.exists(), reason="examples/context-index.md (the demo) is missing")
def test_the_demo_router_is_byte_for_byte_what_it_was_before_two_level_routers(
    tmp_path: Path,
) -> None:
    """The one-page router of the demo (7 shards) did not change at all: same header fields,
    same lead, same rows. Only the workspace path and the machine fields that depend on it
    (tokens and hash of a body holding file:// links) are masked."""
    store = LocalFolderStore(tmp_path / "ws")
    plan = plan_split(DEMO.read_text(encoding="utf-8"), TiktokenCounter(), SplitOptions())
    apply_split(plan, store)
    report = sync(store, TiktokenCounter(), now=NOW, seed_notes=plan.intro)
    assert [r.page_id for r in report.routers] == ["router"]
    text = store.read("router").text.replace(store.url("router").rsplit("/", 1)[0], "WORKSPACE")
    masked = re.sub(
        r'"tokens":\d+,"content_hash":"sha256:[0-9a-f]{64}"', '"tokens":N,"content_hash":"H"', text
    )
    assert masked == GOLDEN_DEMO_ROUTER.read_text(encoding="utf-8")


def test_pipes_semicolons_backslashes_and_brackets_survive_in_every_cell() -> None:
    row = RouterRow(
        id="ops",
        title="A | B ; C \\ D [E] (F)",
        holds="uses `a|b`; then \\| and ]( and \\\\",
        fetch_when=("deploy; rollback", "a|b", "back\\slash", "[x](y)"),
        tokens=12,
        updated="2026-11-21",
        page="ops [old]",
        url="file:///tmp/ws/ops.md",
    )
    router = RouterPage(router_header(), (row,), "")
    assert parse_router(render_router(router)).rows == (row,)


def test_notes_are_kept_byte_for_byte() -> None:
    notes = (
        "Ask **Maren** before deleting a shard.\n\n"
        "| mine | table |\n|---|---|\n| a | b |\n\n"
        "```bash\n# not a heading\nbrain sync --json\n```\n\n"
        "## Notes\n\n### Sub-heading — ünïcode ✓\n- keep `finance` in draft"
    )
    router = RouterPage(router_header(), (), notes)
    assert parse_router(render_router(router)).notes == notes


def test_a_router_without_notes_parses_with_empty_notes() -> None:
    router = RouterPage(router_header(), (), "")
    text = render_router(router)
    assert text.rstrip().endswith("## Notes")
    assert parse_router(text).notes == ""


def test_a_broken_table_row_is_a_page_error_saying_which_row() -> None:
    row = RouterRow("ops", "Ops", "", (), 1, "", "ops", "file:///ops.md")
    text = render_router(RouterPage(router_header(), (row, row), ""))
    broken = text.replace("| ops | Ops |", "| ops |", 1)
    with pytest.raises(PageError) as caught:
        parse_router(broken)
    assert "row 1 has 6 cells, expected 7" in str(caught.value)
    assert caught.value.page_id == "router"


def test_a_row_whose_page_cell_is_not_a_link_is_a_page_error() -> None:
    row = RouterRow("ops", "Ops", "", (), 1, "", "ops", "file:///ops.md")
    text = render_router(RouterPage(router_header(), (row,), ""))
    with pytest.raises(PageError, match="page cell is not a link"):
        parse_router(text.replace("[ops](file:///ops.md)", "ops"))


def test_non_numeric_tokens_are_a_page_error() -> None:
    row = RouterRow("ops", "Ops", "", (), 123, "", "ops", "file:///ops.md")
    text = render_router(RouterPage(router_header(), (row,), ""))
    with pytest.raises(PageError, match="tokens 'lots' is not a number"):
        parse_router(text.replace("| 123 |", "| lots |"))


def test_a_router_without_a_table_is_a_page_error_with_a_hint() -> None:
    text = render_page(router_header(), "# Router\n\nThe table was deleted.\n\n## Notes\n\nmine")
    with pytest.raises(PageError) as caught:
        parse_router(text)
    assert "no shard table" in str(caught.value)
    assert "brain sync" in (caught.value.hint or "")


def test_a_page_that_is_not_a_router_is_a_header_error_on_page_type() -> None:
    shard = ClaudeDelta(page_type="shard", id="infra", title="Infrastructure")
    with pytest.raises(HeaderError) as caught:
        parse_router(render_page(shard, "| a |\n|---|"))
    assert caught.value.field == "page_type"
    assert "expected page_type 'router'" in str(caught.value)


def test_a_router_without_a_header_raises_the_header_error() -> None:
    with pytest.raises(HeaderError, match="no claude_delta header"):
        parse_router("# Router\n\n| id |\n|---|\n")


def _router_size(monolith: str, tmp_path: Path) -> tuple[int, int]:
    store = LocalFolderStore(tmp_path / "ws")
    tokens = TiktokenCounter()
    plan = plan_split(monolith, tokens, SplitOptions())
    apply_split(plan, store)
    report = sync(store, tokens, now=NOW, seed_notes=plan.intro)
    assert report.router_bytes == len(store.read("router").text.encode())
    return len(report.shards), report.router_bytes


def test_the_router_of_a_realistic_six_shard_index_is_at_most_6_5_kb(tmp_path: Path) -> None:
    shards, size = _router_size(realistic_monolith(sections=8), tmp_path)
    assert shards == 6
    assert size <= ROUTER_BUDGET_BYTES


@pytest.mark.skipif(not DEMO.exists(), reason="examples/context-index.md (the demo) is missing")
def test_the_router_of_the_demo_index_is_at_most_6_5_kb(tmp_path: Path) -> None:
    shards, size = _router_size(DEMO.read_text(encoding="utf-8"), tmp_path)
    assert shards >= 6
    assert size <= ROUTER_BUDGET_BYTES
