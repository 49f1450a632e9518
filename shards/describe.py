"""Deterministic header fields drawn from a shard's text: summary, fetch_when, related_entities.

No model and no network: the same text always yields the same header, so re-running a split
is reviewable as a diff. The heuristics are deliberately plain:

- ``summary``: the first prose sentence under the shard's top heading, else "Covers: ..." built
  from its subsection titles;
- ``fetch_when``: subsection titles (the operator's own vocabulary for what is in the shard);
- ``related_entities``: capitalised names and product terms that recur in the text (``Cloud
  Run``, ``Stripe``), ranked by frequency, ties broken alphabetically.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from shards.page import Section

SUMMARY_MAX = 140


@dataclass(frozen=True)
class DescribeOptions:
    """Caps that keep a generated header near 300 bytes."""

    summary_max: int = SUMMARY_MAX
    fetch_when_max: int = 6
    entities_max: int = 6
    term_max: int = 40


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`*\"(])")
_MARKUP = re.compile(r"`([^`]*)`|\*\*([^*]*)\*\*|\*([^*]*)\*|\[([^\]]*)\]\([^)]*\)")
# A run of capitalised words ("Cloud Run", "Secret Manager") or a CamelCase/ALLCAPS product term.
_ENTITY = re.compile(
    r"\b(?:[A-Z][a-zA-Z0-9]+(?:[ -](?:[A-Z][a-zA-Z0-9]+|[0-9]+))*|[A-Z]{2,}[a-z0-9]*)\b"
)
_STOP_ENTITIES = frozenset(
    """A An And As At Be But By Do For From He If In It Its No Not Of On Or Our She So The Then
    There These They This To Up We What When Where Which Who Why With You Your Yes All Any Each
    Every New Note Notes See Use Used Also After Before During Until Once Only One Two Three
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June
    July August September October November December Q1 Q2 Q3 Q4 TODO OK ID IDs URL API""".split()
)


def plain(text: str) -> str:
    """Markdown inline markup removed, whitespace folded."""
    text = _MARKUP.sub(lambda m: next(g for g in m.groups() if g is not None), text)
    return " ".join(text.split())


def summarize(sections: list[Section], options: DescribeOptions | None = None) -> str:
    """One sentence: the first prose line under the top heading, else the subsection titles."""
    opts = options or DescribeOptions()
    if sections:
        first = sections[0]
        for para in first.text.split("\n\n")[1 if first.level else 0 :]:
            para = para.strip()
            if para and not para.startswith(("#", "|", "```", "~~~", "-", "*", ">", "1.")):
                sentence = _SENTENCE_END.split(plain(para), maxsplit=1)[0]
                return _clip(sentence, opts.summary_max)
    titles = [s.title for s in sections[1:] if s.title][:5]
    if not titles:
        return ""
    return _clip("Covers: " + ", ".join(titles), opts.summary_max)


def fetch_terms(sections: list[Section], options: DescribeOptions | None = None) -> tuple[str, ...]:
    """The shard's subsection titles (shallowest first), deduplicated, capped."""
    opts = options or DescribeOptions()
    if not sections:
        return ()
    top = min((s.level for s in sections[1:] if s.level), default=0)
    ordered = [s for s in sections[1:] if s.level == top] + [
        s for s in sections[1:] if s.level != top
    ]
    seen: set[str] = set()
    terms: list[str] = []
    for section in ordered:
        term = _clip(plain(section.title), opts.term_max)
        if term and term.lower() not in seen:
            seen.add(term.lower())
            terms.append(term)
        if len(terms) == opts.fetch_when_max:
            break
    return tuple(terms)


def entities(text: str, options: DescribeOptions | None = None) -> tuple[str, ...]:
    """Recurring capitalised names in the text, most frequent first (ties alphabetical)."""
    opts = options or DescribeOptions()
    counts: Counter[str] = Counter()
    for line in text.split("\n"):
        if line.lstrip().startswith("#"):
            continue
        text_line = plain(line)
        for match in _ENTITY.finditer(text_line):
            name, start = match.group(0), match.start()
            # A run of capitalised words may open with a sentence's first word ("The Cloud
            # Run", "Then Stripe"): drop leading stop words so it counts as the name itself.
            while " " in name and name.split(" ", 1)[0] in _STOP_ENTITIES:
                first, name = name.split(" ", 1)
                start += len(first) + 1
            if name in _STOP_ENTITIES or len(name) < 3:
                continue
            # Sentence-initial single words are usually not names.
            if " " not in name and (start == 0 or text_line[max(0, start - 2) : start] == ". "):
                continue
            counts[name] += 1
    ranked = sorted((n for n, c in counts.items() if c >= 2), key=lambda n: (-counts[n], n))
    return tuple(_clip(n, opts.term_max) for n in ranked[: opts.entities_max])


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
