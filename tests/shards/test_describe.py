"""Generated header fields: summary, fetch_when and related_entities, drawn from the text alone."""

from __future__ import annotations

from shards.describe import DescribeOptions, entities, fetch_terms, plain, summarize
from shards.page import split_sections

SHARD = """\
## Infrastructure

Everything we host runs on **Google Cloud** under one organisation. Jonas owns it.

### GCP Projects

Cloud Run serves the sites; Cloud Run jobs do the nightly work. Secret Manager holds
references, and Secret Manager rotates them. Monday is patch day.

#### Egress

### DNS and Domains

We use Cloudflare only where a client already uses Cloudflare. The Cloud Run domain mappings
stay.

### GCP projects
"""


def test_the_summary_is_the_first_prose_sentence_without_markup() -> None:
    assert summarize(list(split_sections(SHARD))) == (
        "Everything we host runs on Google Cloud under one organisation."
    )


def test_without_prose_the_summary_lists_the_subsections() -> None:
    sections = list(split_sections("## Infra\n\n- a list first\n\n### Cloud Run\n\n### DNS\n"))
    assert summarize(sections) == "Covers: Cloud Run, DNS"


def test_a_long_summary_is_clipped_at_a_word_with_an_ellipsis() -> None:
    text = "## Infra\n\n" + "Cloud Run hosts every client site and more " * 10 + "end."
    summary = summarize(list(split_sections(text)), DescribeOptions(summary_max=50))
    assert len(summary) <= 50
    assert summary.endswith("…")
    assert not summary[:-1].endswith(" ")
    assert "Cloud Run hosts every client".startswith(summary[:20])


def test_an_empty_shard_has_an_empty_summary_and_no_terms() -> None:
    assert summarize([]) == ""
    assert fetch_terms([]) == ()
    assert entities("") == ()


def test_fetch_when_is_the_subsection_titles_shallowest_first_without_duplicates() -> None:
    terms = fetch_terms(list(split_sections(SHARD)))
    assert terms == ("GCP Projects", "DNS and Domains", "Egress")


def test_fetch_when_is_capped() -> None:
    body = "## Area\n\n" + "\n\n".join(f"### Topic {n}\n\ntext" for n in range(20))
    terms = fetch_terms(list(split_sections(body)), DescribeOptions(fetch_when_max=4))
    assert terms == ("Topic 0", "Topic 1", "Topic 2", "Topic 3")


def test_entities_are_recurring_names_most_frequent_first() -> None:
    found = entities(SHARD)
    assert found[:3] == ("Cloud Run", "Cloudflare", "Secret Manager")
    # once-only names, stop words, weekdays and headings do not count
    assert "Google Cloud" not in found
    assert "Monday" not in found
    assert "GCP Projects" not in found
    # a sentence's first word is not glued to the name that follows it
    assert "The Cloud Run" not in found


def test_entities_are_capped_and_ties_are_alphabetical() -> None:
    text = "We use Zeta and Alpha. Then Zeta and Alpha again, with Beta and Beta.\n"
    assert entities(text) == ("Alpha", "Beta", "Zeta")
    assert entities(text, DescribeOptions(entities_max=1)) == ("Alpha",)


def test_describing_is_deterministic() -> None:
    sections = list(split_sections(SHARD))
    first = (summarize(sections), fetch_terms(sections), entities(SHARD))
    assert first == (summarize(sections), fetch_terms(sections), entities(SHARD))


def test_plain_strips_inline_markup_and_folds_whitespace() -> None:
    text = "Use `gcloud`  and **bold**,\n*em* and [the runbook](https://example.com/x)."
    assert plain(text) == "Use gcloud and bold, em and the runbook."
