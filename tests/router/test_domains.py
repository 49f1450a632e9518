"""Domains: the operator's ``domain`` field wins, else the id's first word; small ones merge."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from router.domains import MIN_DOMAIN_SHARDS, domain_key, group_domains
from shards import ClaudeDelta, HeaderError, parse_header_text, render_header


def _h(shard_id: str, title: str = "", domain: str | None = None) -> ClaudeDelta:
    return ClaudeDelta(id=shard_id, title=title or shard_id, domain=domain)


def test_a_shard_without_a_domain_field_is_grouped_by_the_first_word_of_its_id() -> None:
    assert domain_key(_h("clients-halden")) == ("clients", False)
    assert domain_key(_h("infrastructure-2")) == ("infrastructure", False)
    assert domain_key(_h("finance")) == ("finance", False)


def test_the_operators_domain_field_wins_over_the_id() -> None:
    assert domain_key(_h("halden-bakery", domain="clients")) == ("clients", True)


def test_the_split_s_numbered_parts_share_their_domain_and_its_title() -> None:
    headers = [
        _h("infrastructure", "Infrastructure (1/3)"),
        _h("infrastructure-2", "Infrastructure (2/3)"),
        _h("infrastructure-3", "Infrastructure (3/3)"),
    ]
    (domain,) = group_domains(headers)
    assert (domain.id, domain.title) == ("infrastructure", "Infrastructure")
    assert domain.shards == ("infrastructure", "infrastructure-2", "infrastructure-3")


def test_small_derived_domains_merge_in_alphabetical_runs_named_by_their_ends() -> None:
    headers = [_h(i, i.capitalize()) for i in ("billing", "brand", "budget", "zeta")]
    headers += [_h(f"clients-{n}") for n in range(3)]
    domains = group_domains(headers)
    assert [d.id for d in domains] == ["billing-to-zeta", "clients"]
    assert domains[0].title == "Billing … Zeta"
    assert domains[0].shards == ("billing", "brand", "budget", "zeta")


def test_a_domain_the_operator_named_is_never_merged_however_small() -> None:
    headers = [_h("acme", domain="vip-clients"), *(_h(f"ops-{n}") for n in range(3))]
    domains = group_domains(headers)
    assert [(d.id, d.title, d.named) for d in domains] == [
        ("ops", "Ops", False),
        ("vip-clients", "Vip clients", True),
    ]


def test_the_domain_field_is_validated_as_a_slug_and_survives_a_header_round_trip() -> None:
    header = _h("acme", domain="vip-clients")
    assert parse_header_text(render_header(header), page_id="acme") == header
    assert '"domain":"vip-clients"' in render_header(header)
    bad = render_header(header).replace("vip-clients", "VIP Clients")
    try:
        parse_header_text(bad, page_id="acme")
    except HeaderError as exc:
        assert exc.field == "domain"
        assert "slug" in exc.message
    else:
        raise AssertionError("a domain that is not a slug must be refused")


def test_a_header_without_a_domain_renders_exactly_as_before() -> None:
    assert "domain" not in render_header(_h("acme"))


IDS = st.lists(
    st.from_regex(r"[a-z]{1,6}(-[a-z0-9]{1,4}){0,2}", fullmatch=True), unique=True, max_size=60
)


@settings(max_examples=100, deadline=None)
@given(IDS, st.data())
def test_every_shard_lands_in_exactly_one_domain(ids: list[str], data: st.DataObject) -> None:
    named = data.draw(st.sets(st.sampled_from(ids))) if ids else set()
    headers = [_h(i, domain="picked" if i in named else None) for i in ids]
    domains = group_domains(headers)
    placed = [s for d in domains for s in d.shards]
    assert sorted(placed) == sorted(ids)
    assert len({d.id for d in domains}) == len(domains)
    words = Counter(domain_key(h)[0] for h in headers if not h.domain)
    small = sum(n for n in words.values() if n < MIN_DOMAIN_SHARDS)
    for d in domains:
        # only when all the small ones together are too few can a derived domain stay small
        assert d.named or len(d.shards) >= MIN_DOMAIN_SHARDS or small < MIN_DOMAIN_SHARDS
        assert ClaudeDelta(id=f"router-{d.id}--99", title="x")  # a valid page id
    assert group_domains(reversed(headers)) == domains  # order of the scan does not matter
