"""The notes shape of a large index (``bench.notes``), beyond what every shape is checked for
(``test_shapes``): code fences that hold "## " comment lines, which are not domains."""

from __future__ import annotations

from bench.notes import notes
from tests.bench.shapes import DOMAINS, TARGET, domain_titles


def test_its_code_fences_hold_lines_that_look_like_domains() -> None:
    text = notes(TARGET, domains=DOMAINS)
    # The parser passes over them (test_shapes compares the titles with its sections), so
    # this text exercises the difference.
    assert sum(line.startswith("## ") for line in text.split("\n")) > len(domain_titles(text))
