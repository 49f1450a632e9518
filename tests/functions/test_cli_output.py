"""How ``brain`` prints its message lines: styled by rich to a terminal, plain when piped."""

from __future__ import annotations

import pytest

from functions.cli._common import _LazyConsole, say

LONG = "the [budget] was reached " + "and more " * 20


@pytest.fixture(autouse=True)
def no_forced_color(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


def test_piped_lines_are_written_whole_and_literal(capsys: pytest.CaptureFixture[str]) -> None:
    console = _LazyConsole(stderr=True)
    say(console, LONG, style="yellow", label="note:")  # type: ignore[arg-type]
    say(console, "12 of 40 tokens", style="dim")  # type: ignore[arg-type]
    captured = capsys.readouterr()
    assert captured.err == f"note: {LONG}\n12 of 40 tokens\n"  # one line each, not wrapped
    assert captured.out == ""
    assert console._console is None  # rich was never asked for a console


def test_forced_color_goes_through_rich_with_the_text_escaped(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    console = _LazyConsole(stderr=True)
    say(console, "keep [red]this[/] as written", style="yellow", label="note:")  # type: ignore[arg-type]
    err = capsys.readouterr().err
    assert "\x1b[" in err  # styled by rich
    assert "keep [red]this[/] as written" in err  # markup in the text is printed, not applied


def test_stdout_consoles_follow_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    say(_LazyConsole(), "listed", label="ok:")  # type: ignore[arg-type]
    captured = capsys.readouterr()
    assert captured.out == "ok: listed\n"
    assert captured.err == ""
