"""What the tests of ``bench``'s generated index shapes share: each shape at 300 KB, and the
titles of its domains."""

from __future__ import annotations

from collections.abc import Callable

from bench.notes import notes
from bench.wiki import wiki

TARGET = 300_000
DOMAINS = 40
#: Each shape's generator (target bytes, domains=, seed=).
SHAPES: dict[str, Callable[..., str]] = {"notes": notes, "wiki": wiki}


def outside_fences(text: str) -> list[str]:
    """The lines no code fence holds (fences indented under a list item included)."""
    out: list[str] = []
    fence = ""
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        if fence:
            if stripped.startswith(fence) and not stripped.rstrip().strip(fence[0]):
                fence = ""
            continue
        if stripped.startswith(("```", "~~~")):
            marker = stripped[0]
            fence = marker * (len(stripped) - len(stripped.lstrip(marker)))
            continue
        out.append(line)
    return out


def domain_titles(text: str) -> list[str]:
    return [line[3:] for line in outside_fences(text) if line.startswith("## ")]
