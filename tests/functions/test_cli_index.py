"""`brain split`, `brain sync`, `brain shards`: the index commands end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from functions.cli import app
from router import parse_router
from shards import parse_page
from tests.env import clean_environ, foreign
from tests.shards.test_split import realistic_monolith

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "context-index.md"
BRAIN = Path(sys.executable).with_name("brain")
ROUTER_BUDGET_BYTES = 6_656  # 6.5 KB
SHARD_IDS = [
    "architecture-decisions",
    "clients",
    "credentials",
    "finance",
    "infrastructure",
    "procedures",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No BRAIN_* variables and no brain.toml from the machine running the tests."""
    for name in list(os.environ):
        if foreign(name):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def monolith(tmp_path: Path) -> Path:
    path = tmp_path / "context-index.md"
    path.write_text(realistic_monolith(), encoding="utf-8")
    return path


def brain(*args: str | Path) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def brain_json(*args: str | Path, code: int = 0) -> Any:
    result = brain(*args, "--json")
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def flat(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


def test_split_then_shards_lists_every_shard_with_its_tokens(
    monolith: Path, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    result = brain("split", monolith, "-w", ws)
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert (
        "Split context-index.md: 6 shards (6 new, 0 updated, 0 unchanged) at heading level 2."
        in out
    )
    assert "Index sync: 6 shards, 0 changed, 0 invalid. No anomalies." in out

    listing = brain_json("shards", "-w", ws)
    assert [s["id"] for s in sorted(listing["shards"], key=lambda s: s["id"])] == SHARD_IDS
    for shard in listing["shards"]:
        assert isinstance(shard["tokens"], int) and shard["tokens"] > 100
        assert shard["status"] == "active"
        assert shard["stale"] is False
        assert shard["header_bytes"] <= 512
        assert shard["problems"] == []
    assert listing["invalid"] == []

    table = brain("shards", "-w", ws)
    assert table.exit_code == 0
    total = sum(s["tokens"] for s in listing["shards"])
    assert f"6 shards, {total:,} tokens." in flat(table.stdout)


def test_split_json_reports_created_then_unchanged_on_a_rerun(
    monolith: Path, tmp_path: Path
) -> None:
    first = brain_json("split", monolith, "-w", tmp_path / "ws")
    assert sorted(first["created"]) == SHARD_IDS
    assert first["sync"]["summary"] == "Index sync: 6 shards, 0 changed, 0 invalid. No anomalies."
    again = brain_json("split", monolith, "-w", tmp_path / "ws")
    assert again["created"] == [] and again["updated"] == []
    assert sorted(again["unchanged"]) == SHARD_IDS
    assert again["sync"]["changed"] == []
    assert again["sync"]["router"]["changed"] is False


def test_editing_one_shard_then_sync_changes_only_that_shard(
    monolith: Path, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    brain_json("split", monolith, "-w", ws)
    file = ws / "credentials.md"
    file.write_text(file.read_text() + "\nNew: the Postmark token moved to Secret Manager.\n")
    others = {
        p.name: p.read_bytes()
        for p in ws.iterdir()
        if p.name not in ("credentials.md", "router.md")
    }

    stale = brain_json("shards", "-w", ws)
    assert [s["id"] for s in stale["shards"] if s["stale"]] == ["credentials"]

    report = brain_json("sync", "-w", ws)
    assert report["changed"] == ["credentials"]
    assert report["router"]["changed"] is True
    assert report["summary"] == "Index sync: 6 shards, 1 changed, 0 invalid. No anomalies."
    assert {p.name: p.read_bytes() for p in ws.iterdir() if p.name in others} == others
    page = parse_page(file.read_text(), page_id="credentials")
    assert page.header is not None and page.header.content_hash == page.content_hash

    plain = brain("sync", "-w", ws)
    assert plain.exit_code == 0
    assert plain.stdout.strip() == "Index sync: 6 shards, 0 changed, 0 invalid. No anomalies."


def test_sync_exits_1_and_names_the_page_when_a_page_is_invalid(
    monolith: Path, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    brain_json("split", monolith, "-w", ws)
    file = ws / "finance.md"
    file.write_text(file.read_text().replace('"title":"Finance & Billing"', '"title":42', 1))

    report = brain_json("sync", "-w", ws, code=1)
    assert [(i["page"], i["field"]) for i in report["invalid"]] == [("finance", "title")]
    assert report["summary"] == "Index sync: 5 shards, 0 changed, 1 invalid. 1 anomaly."

    result = brain("sync", "-w", ws)
    assert result.exit_code == 1
    out = flat(result.stdout)
    assert "Index sync: 5 shards, 0 changed, 1 invalid. 1 anomaly." in out
    assert "invalid: page 'finance', field 'title'" in out

    listing = brain_json("shards", "-w", ws)
    assert [i["page"] for i in listing["invalid"]] == ["finance"]


def test_sync_names_every_file_it_cannot_use_with_what_to_do(
    monolith: Path, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    brain_json("split", monolith, "-w", ws)
    secret = tmp_path / "private.md"
    secret.write_text("# Private\n\nThe NAS root password is in the blue binder.\n")
    (ws / "private.md").symlink_to(secret)
    (ws / "Client notes.md").write_text("# Notes\n")

    report = brain_json("sync", "-w", ws, "--adopt", code=1)
    unusable = {u["file"]: u for u in report["unusable"]}
    assert list(unusable) == ["Client notes.md", "private.md"]
    assert set(unusable["private.md"]) == {"file", "reason", "hint"}
    assert "outside the workspace" in unusable["private.md"]["reason"]
    assert "Rename it to Client-notes.md" in unusable["Client notes.md"]["hint"]
    assert report["adopted"] == [] and len(report["shards"]) == 6
    assert report["summary"].endswith("0 invalid, 2 unusable files. 2 anomalies.")

    result = brain("sync", "-w", ws)
    assert result.exit_code == 1
    out = flat(result.stdout)
    assert "unusable: private.md: a symbolic link to" in out
    assert "outside the workspace: refused, never read, served or adopted" in out
    assert "unusable: Client notes.md: the name is not a page id (it holds ' ')." in out
    assert "blue binder" not in out


def nothing_written(workspace: Path) -> bool:
    return not workspace.exists() or not any(workspace.iterdir())


def test_a_missing_monolith_exits_2_with_a_message(tmp_path: Path) -> None:
    result = brain("split", tmp_path / "nope.md", "-w", tmp_path / "ws")
    assert result.exit_code == 2
    assert "is not a file" in flat(result.stderr)
    assert "nope.md" in result.stderr
    assert nothing_written(tmp_path / "ws")


def test_an_empty_monolith_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.md"
    empty.write_text("\n\n")
    result = brain("split", empty, "-w", tmp_path / "ws")
    assert result.exit_code == 2
    assert "is empty" in flat(result.stderr)
    assert nothing_written(tmp_path / "ws")


def test_a_non_utf8_monolith_exits_2_naming_the_byte_and_line(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.md"
    latin1.write_bytes("# Index\n\n## Café\n\nmenu\n".encode("latin-1"))
    result = brain("split", latin1, "-w", tmp_path / "ws")
    assert result.exit_code == 2
    message = flat(result.stderr)
    assert "is not UTF-8 text (byte 0xe9 on line 3)" in message
    assert "iconv" in message
    assert nothing_written(tmp_path / "ws")


def test_a_monolith_without_headings_exits_2_with_a_hint(tmp_path: Path) -> None:
    prose = tmp_path / "prose.md"
    prose.write_text("Only prose here.\n")
    result = brain("split", prose, "-w", tmp_path / "ws")
    assert result.exit_code == 2
    assert "no markdown headings" in flat(result.stderr)


@pytest.mark.parametrize("command", ["split", "sync", "shards"])
def test_a_workspace_that_is_a_file_exits_2_and_the_file_is_untouched(
    command: str, monolith: Path, tmp_path: Path
) -> None:
    file = tmp_path / "ws"
    file.write_text("my notes")
    args = ["split", monolith] if command == "split" else [command]
    result = brain(*args, "-w", file)
    assert result.exit_code == 2
    assert "is a file, not a folder" in flat(result.stderr)
    assert file.read_text() == "my notes"


def test_the_level_and_size_options_reach_the_splitter(monolith: Path, tmp_path: Path) -> None:
    result = brain("split", monolith, "-w", tmp_path / "ws", "--level", "3")
    assert result.exit_code == 0, result.output
    assert "at heading level 3." in flat(result.stdout)
    assert "architecture-decisions-topic-4-marlow.md" in os.listdir(tmp_path / "ws")
    parts = brain_json("split", monolith, "-w", tmp_path / "ws2", "--max-shard-tokens", "800")
    assert any("split into" in w for w in parts["warnings"])
    assert "infrastructure-2" in parts["created"]


def test_the_workspace_can_come_from_a_config_file(monolith: Path, tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "brain.toml").write_text('[store]\npath = "pages"\n')
    brain_json("split", monolith, "--config", conf / "brain.toml")
    assert (conf / "pages" / "router.md").is_file()
    assert len(brain_json("shards", "-c", conf / "brain.toml")["shards"]) == 6


def test_a_bad_config_file_exits_2_naming_it(monolith: Path, tmp_path: Path) -> None:
    bad = tmp_path / "brain.toml"
    bad.write_text("[store\n")
    result = brain("shards", "--config", bad)
    assert result.exit_code == 2
    assert "is not valid TOML" in flat(result.stderr)


@pytest.mark.skipif(not DEMO.exists(), reason="examples/context-index.md (the demo) is missing")
def test_splitting_the_demo_index_gives_six_or_more_shards_and_a_small_router(
    tmp_path: Path,
) -> None:
    ws = tmp_path / "ws"
    report = brain_json("split", DEMO, "-w", ws)
    assert len(report["created"]) >= 6
    assert report["sync"]["invalid"] == []
    assert report["sync"]["anomalies"] == []
    assert report["sync"]["router"]["bytes"] <= ROUTER_BUDGET_BYTES
    router = (ws / "router.md").read_text(encoding="utf-8")
    assert len(router.encode()) <= ROUTER_BUDGET_BYTES
    assert len(parse_router(router).rows) == len(report["created"])


@pytest.mark.skipif(not BRAIN.exists(), reason=f"{BRAIN} is not installed (pip install -e .)")
def test_the_installed_brain_command_splits_and_lists(monolith: Path, tmp_path: Path) -> None:
    env = clean_environ()
    ws = tmp_path / "smoke"
    split = subprocess.run(
        [BRAIN, "split", monolith, "--workspace", ws],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert split.returncode == 0, split.stderr
    assert "Index sync: 6 shards, 0 changed, 0 invalid. No anomalies." in split.stdout
    listing = subprocess.run(
        [BRAIN, "shards", "--workspace", ws, "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert listing.returncode == 0, listing.stderr
    assert len(json.loads(listing.stdout)["shards"]) == 6


def test_titles_with_square_brackets_are_listed_as_written(tmp_path: Path) -> None:
    text = realistic_monolith(domains=("Clients [draft]", "Finance [/old]"))
    (tmp_path / "m.md").write_text(text, encoding="utf-8")
    brain_json("split", tmp_path / "m.md", "-w", tmp_path / "ws")
    result = brain("shards", "-w", tmp_path / "ws")
    assert result.exit_code == 0
    assert "Clients [draft]" in flat(result.stdout)


def test_context_uses_the_configured_default_budget_and_takes_hints(
    monolith: Path, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    assert brain("split", monolith, "-w", ws).exit_code == 0
    config = tmp_path / "brain.toml"
    config.write_text("[context]\ndefault_budget = 350\n", encoding="utf-8")
    answer = brain_json("context", "rotate the webhook secret", "-w", ws, "--config", config)
    assert answer["budget"] == 350 and answer["tokens"] <= 350
    explicit = brain_json("context", "rotate the webhook secret", "-w", ws, "-b", "900")
    assert explicit["budget"] == 900
    hinted = brain_json(
        "context", "rotate it", "-w", ws, "--hint", "webhook signing secret", "--hint", "stripe"
    )
    assert hinted["tokens"] <= 4000
    refused = brain("context", "x", "-w", ws, *[a for n in range(9) for a in ("--hint", str(n))])
    assert refused.exit_code == 2
    assert "9 hints; at most 8" in flat(refused.output)


@pytest.mark.parametrize("as_json", [False, True])
def test_context_prints_its_answer_before_it_saves_the_index_it_built(
    monolith: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    import io
    import sys
    from typing import cast

    from router.persist import save as real

    ws = tmp_path / "ws"
    assert brain("split", monolith, "-w", ws).exit_code == 0
    printed_before_save: list[str] = []

    def save(*args: Any, **kwargs: Any) -> str:
        out = cast(io.BytesIO, sys.stdout.buffer)  # (CliRunner's)
        printed_before_save.append(out.getvalue().decode())
        return real(*args, **kwargs)

    monkeypatch.setattr("router.snapshot.save", save)
    args: list[str | Path] = ["context", "rotate the webhook secret", "-w", ws]
    args += ["--json"] if as_json else []
    result = brain(*args)
    assert result.exit_code == 0, result.output
    (before,) = printed_before_save  # saved once, after the whole answer was out
    assert before == result.stdout and "webhook" in before.lower()
    assert list((tmp_path / ".brain").glob("index-*.bin"))
    printed_before_save.clear()
    assert brain(*args).exit_code == 0 and printed_before_save == []  # loaded: nothing to save
