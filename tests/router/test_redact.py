"""Tests for router.redact: secrets in markdown become ``[redacted:<kind>]``.

Every fake secret is built at run time (prefix + seeded random characters, base64 of JSON for
JWTs) so this file holds no string a secret scanner would flag.
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import re
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from router import sync
from router.redact import Redacted, RedactionOptions, Redactor
from router.service import ContextService
from shards import LocalFolderStore, SplitOptions, TiktokenCounter, apply_split, plan_split
from tests.router.secret_formats import FORMATS, KEEP, Planted, leaked

B62 = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
LOWER_ALNUM = string.ascii_lowercase + string.digits


def fake(n: int, alphabet: str = B62, seed: object = 0) -> str:
    """``n`` deterministic random characters: looks like a secret, is not one."""
    rng = random.Random(f"{seed}:{n}:{alphabet}")
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def fake_jwt(seed: object = 0) -> str:
    header = b64url({"alg": "HS256", "typ": "JWT"})
    payload = b64url({"sub": "ops", "iat": 1700000000, "n": fake(6, seed=seed)})
    return f"{header}.{payload}.{fake(43, B62 + '-_', seed)}"


def fake_pem(label: str = "RSA ", seed: object = 0) -> str:
    body = "\n".join(fake(64, B62 + "+/", (seed, i)) for i in range(4))
    dashes = "-" * 5
    return (
        f"{dashes}BEGIN {label}PRIVATE KEY{dashes}\n{body}\n{dashes}END {label}PRIVATE KEY{dashes}"
    )


# kind -> a fake value in that format
KNOWN = {
    "aws-access-key": "AKIA" + fake(16, string.ascii_uppercase + string.digits),
    "github-token": "ghp_" + fake(36),
    "github-token/fine-grained": "github_" + "pat_" + fake(22) + "_" + fake(59),
    "gitlab-token": "glpat-" + fake(20),
    "stripe-key": "sk_live_" + fake(24),
    "stripe-key/long": "sk_live_" + fake(99),
    "stripe-key/restricted-test": "rk_test_" + fake(40),
    "slack-token": "xoxb-" + fake(11, string.digits) + "-" + fake(24, LOWER_ALNUM),
    "slack-webhook": "https://hooks.slack.com/services/T"
    + fake(8, string.ascii_uppercase)
    + "/B"
    + fake(8, string.ascii_uppercase)
    + "/"
    + fake(24),
    "twilio-key": "SK" + fake(32, HEX),
    "sendgrid-key": "SG." + fake(22) + "." + fake(43),
    "mailchimp-key": fake(32, HEX) + "-us" + "14",
    "telegram-token": fake(9, string.digits) + ":" + fake(35),
    "square-secret": "sq0csp-" + fake(43),
    "pypi-token": "pypi-" + "AgEIcHlwaS5vcmc" + fake(80),
    "azure-storage-key": "AccountKey=" + fake(86, B62 + "+/") + "==",
    "openai-key": "sk-proj-" + fake(48, B62 + "-_"),
    "openai-key/legacy": "sk-" + fake(20) + "T3Blbk" + "FJ" + fake(20),
    "anthropic-key": "sk-" + "ant-api03-" + fake(93, B62 + "-_") + "AA",
    "google-api-key": "AI" + "za" + fake(35, B62 + "-_"),
    "google-oauth": "GOCSPX-" + fake(28),
    "notion-token": "secret_" + fake(43),
    "notion-token/ntn": "ntn_" + fake(46),
    "webhook-secret": "whsec_" + fake(32, B62 + "+/"),
    "npm-token": "npm_" + fake(36),
    "jwt": fake_jwt(),
    "openrouter-key": "sk-" + "or-v1-" + fake(64, HEX),
    "openai-key/legacy-48": "sk-" + fake(48),
    "huggingface-token": "hf" + "_" + fake(34, string.ascii_letters),
    "groq-key": "gs" + "k_" + fake(52),
    "perplexity-key": "pp" + "lx-" + fake(48),
    "replicate-token": "r8" + "_" + fake(37),
    "xai-key": "xa" + "i-" + fake(80),
    "hex-secret": fake(64, HEX, "hmac"),
    "digitalocean-token": "do" + "p_v1_" + fake(64, HEX),
    "shopify-token": "shp" + "at_" + fake(32, HEX),
    "linear-key": "lin" + "_api_" + fake(40),
    "vault-token": "hv" + "s." + fake(90, B62 + "-_"),
    "sentry-token": "sntry" + "u_" + fake(64, HEX),
    "supabase-key": "sb" + "_secret_" + fake(32),
}

CONTEXTS = {
    "prose": "We rotated it yesterday; the old value was SECRET until Monday.",
    "code fence": "Deploy:\n\n```bash\ncurl -d x=1 SECRET\n```\n\nDone.",
    "table cell": "| service | value |\n|---|---|\n| prod | SECRET |\n",
    "json": '{"service": "prod", "value": "SECRET"}',
    "yaml": "service:\n  name: prod\n  value: SECRET\n",
    "env": "export SERVICE_VALUE=SECRET\n",
}


def kind_of(label: str) -> str:
    return label.split("/")[0]


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("label", KNOWN)
def test_a_known_format_is_redacted_in_every_context(
    redactor: Redactor, label: str, context: str
) -> None:
    secret = KNOWN[label]
    text = CONTEXTS[context].replace("SECRET", secret)
    out = redactor.redact(text)
    assert secret not in out.text
    assert dict(out.counts) == {kind_of(label): 1}
    assert f"[redacted:{kind_of(label)}]" in out.text


@pytest.mark.parametrize(
    ("text", "kind", "kept"),
    [
        ("password = hunter2", "password-assignment", "password = "),
        ('DB_PASSWORD: "xyz"', "password-assignment", 'DB_PASSWORD: "'),
        ("api_key=abc123", "password-assignment", "api_key="),
        ('{"client_secret": "s3cr3t-value"}', "password-assignment", '{"client_secret": "'),
        ("token: tok-4f9a-prod", "password-assignment", "token: "),
        ("password: changeme", "password-assignment", "password: "),
        ("DB_PASSWORD='p@ss w0rd'", "password-assignment", "DB_PASSWORD='"),
        ("**Password:** hunter2", "password-assignment", "**Password:** "),
        ("- API key: abc123def", "password-assignment", "- API key: "),
        ("clientSecret => 'abc'", "password-assignment", "clientSecret => '"),
        ("--token=abc123", "password-assignment", "--token="),
        ("Server=db;Password=Pa55word;Database=x", "password-assignment", "Server=db;Password="),
        ("STRIPE_KEY=hunter2", "password-assignment", "STRIPE_KEY="),
        ("| prod | password=hunter2 |", "password-assignment", "| prod | password="),
        ("https://admin:hunter2@db.example.com/x", "basic-auth", "https://admin:"),
        ("postgres://app:hunter2@10.0.0.3:5432/db", "basic-auth", "postgres://app:"),
        ("Authorization: Bearer " + fake(32), "bearer-token", "Authorization: Bearer "),
        ("Authorization: Basic " + fake(16, B62 + "+/"), "basic-auth", "Authorization: Basic "),
        ("| STRIPE_KEY | " + fake(24) + " |", "high-entropy", "| STRIPE_KEY | "),
        ("auth token " + fake(32, HEX), "high-entropy", "auth token "),
        ("signature: " + fake(43, B62 + "+/") + "=", "high-entropy", "signature: "),
        ("`MAILGUN_SECRET`: `" + fake(32, HEX) + "`", "password-assignment", "`MAILGUN_SECRET`: `"),
        ("redis://:" + fake(24) + "@10.0.0.9:6379/0", "basic-auth", "redis://:"),
        ("mysql://wp:p@ss!" + fake(8) + "@db.internal:3306/wp", "basic-auth", "mysql://wp:"),
        (
            "postgresql://brain:" + fake(16) + "@/brain?host=/cloudsql/p:r:i",
            "basic-auth",
            "postgresql://brain:",
        ),
        (
            "The shared signing secret is " + fake(64, HEX) + ".",
            "hex-secret",
            "The shared signing secret is ",
        ),
        (
            "| halden | deploy | " + " ".join(fake(4, seed=i) for i in range(6)) + " |",
            "wordpress-app-password",
            "| halden | deploy | ",
        ),
    ],
)
def test_the_value_is_redacted_and_the_name_is_kept(
    redactor: Redactor, text: str, kind: str, kept: str
) -> None:
    out = redactor.redact(text)
    assert dict(out.counts) == {kind: 1}
    assert out.text.startswith(kept + f"[redacted:{kind}]")


def test_a_url_keeps_its_user_and_host(redactor: Redactor) -> None:
    out = redactor.redact("Connect to https://admin:hunter2@db.example.com:5432/app now.")
    assert out.text == "Connect to https://admin:[redacted:basic-auth]@db.example.com:5432/app now."


@pytest.mark.parametrize("label", ["RSA ", "EC ", "OPENSSH ", "", "ENCRYPTED "])
def test_a_private_key_block_is_redacted_whole_inside_its_code_fence(
    redactor: Redactor, label: str
) -> None:
    pem = fake_pem(label)
    text = f"Deploy key:\n\n```\n{pem}\n```\n\nAfter the fence."
    out = redactor.redact(text)
    assert out.text == "Deploy key:\n\n```\n[redacted:private-key]\n```\n\nAfter the fence."


def test_an_unterminated_private_key_stops_at_the_closing_fence(redactor: Redactor) -> None:
    pem = fake_pem().rsplit("\n", 2)[0]  # pasted without its last line and END marker
    out = redactor.redact(f"```\n{pem}\n```\nNext paragraph.")
    assert out.text == "```\n[redacted:private-key]\n```\nNext paragraph."


def test_a_service_account_private_key_in_json_is_redacted_inside_its_quotes(
    redactor: Redactor,
) -> None:
    pem = fake_pem("").replace("\n", "\\n") + "\\n"
    doc = json.dumps({"type": "service_account", "private_key": "PK", "client_email": "x@y"})
    out = redactor.redact(doc.replace("PK", pem))
    assert json.loads(out.text)["private_key"] == "[redacted:private-key]"
    assert json.loads(out.text)["client_email"] == "x@y"


NEGATIVES = [
    "Stripe key: `sm:projects/acme/secrets/STRIPE_API_KEY/versions/latest`",
    "api_key: projects/acme/secrets/STRIPE_API_KEY/versions/latest",
    'secrets = ["env:GITHUB_WEBHOOK_SECRET"]',
    "token: env:NOTION_API_TOKEN",
    "password: op://Ops/Stripe/api key",
    "The Stripe key lives in op://Ops/Stripe/api key (1Password).",
    "Fixed in commit 3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345 by the on-call.",
    "Rotated the signing key in 3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345 last week.",
    '"content_hash": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"',
    "The key sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 matched.",
    "key: 550e8400-e29b-41d4-a716-446655440000",
    "Request id 550e8400-e29b-41d4-a716-446655440000 failed with a token error.",
    "Internationalization and counterrevolutionaries are ordinary long words.",
    "The password is stored in Secret Manager and rotated quarterly.",
    "Password: stored in Secret Manager under the billing project.",
    "Never paste a password, token, secret or API key into this page.",
    "See https://www.notion.so/Context-Index-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d for the key list.",
    "Docs: https://docs.stripe.com/keys#obtain-api-keys and https://api.github.com/repos/o/r",
    "image = us-docker.pkg.dev/my-project/brain/brain:1.0",
    "password: ${DB_PASSWORD}",
    "token: $GITHUB_TOKEN",
    "api_key: <your-api-key>",
    "password: ***",
    "password: None",
    "secret: null",
    'password = ""',
    "token = token",
    'password = os.environ["DB_PASSWORD"]',
    "api_key = settings.stripe_api_key",
    "token: ${{ secrets.GITHUB_TOKEN }}",
    "primary_key: id",
    "sort_key: created_at",
    '{"claude_delta":{"v":"1.0","id":"infra","tokens":9214,"status":"active"}}',
    "max_tokens: 4096",
    "token_url: https://oauth2.googleapis.com/token",
    "git clone git@github.com:acme/brain.git",
    "Bearer token auth is required for POST /context.",
    "secret_name: STRIPE_WEBHOOK_SECRET",
    "The API key is GITHUB_APP_PRIVATE_KEY_REFERENCE in the env file.",
    '🔔 2026-05-21T02:54:44.452Z [claude-test:test] {"event":"test","message":"Hello"}',
    "| id | title | tokens |\n|---|---|---|\n| infra | Infrastructure | 9214 |",
    "def verify(body: bytes, secret: str, *, token: str | None = None) -> bool:",
    "permissions:\n  id-token: write\n  contents: read",
    'HEADER_KEY = "claude_delta"',
    'DEDUP_GET = "SELECT id FROM dedup WHERE source = ? AND delivery_key = ?"',
    "Blocks are shortened if the two together would pass :data:`RESULT_TOKEN_CAP`.",
    "Mount it as postgresql://USER:PASSWORD@/DB?host=/cloudsql/PROJECT:REGION:INSTANCE",
    "secret: answer 403 when the caller lacks access",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_references_hashes_and_prose_are_left_alone(redactor: Redactor, text: str) -> None:
    assert redactor.find(text) == []
    assert redactor.redact(text).text == text


def test_offsets_hold_when_a_character_lowercases_to_two(redactor: Redactor) -> None:
    text = "İİ office: password = hunter2 and " + "ghp_" + fake(36)
    out = redactor.redact(text)
    assert (
        out.text
        == "İİ office: password = [redacted:password-assignment] and [redacted:github-token]"
    )


def test_counts_are_per_kind_and_total_adds_them_up(redactor: Redactor) -> None:
    text = "\n".join(
        [
            "# Billing",
            "Live: " + "sk_live_" + fake(24, seed=1) + " and old " + "sk_live_" + fake(24, seed=2),
            "Session: " + fake_jwt(3),
            "password = hunter2",
            "DB: https://app:pw0rd@db.internal/app",
        ]
    )
    out = redactor.redact(text)
    assert dict(out.counts) == {
        "basic-auth": 1,
        "jwt": 1,
        "password-assignment": 1,
        "stripe-key": 2,
    }
    assert out.total == 5


def test_text_without_secrets_reports_nothing(redactor: Redactor) -> None:
    out = redactor.redact("Nothing to see here.")
    assert out == Redacted("Nothing to see here.", {})
    assert out.total == 0


def test_find_returns_sorted_non_overlapping_spans_of_the_original_text(
    redactor: Redactor,
) -> None:
    stripe, jwt = "sk_live_" + fake(24), fake_jwt()
    text = f'STRIPE_KEY="{stripe}"\nsession: {jwt}\npassword = hunter2\n'
    found = redactor.find(text)
    assert [text[r.start : r.end] for r in found] == [stripe, jwt, "hunter2"]
    assert [r.kind for r in found] == ["stripe-key", "jwt", "password-assignment"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


def test_markdown_structure_survives_redaction(redactor: Redactor) -> None:
    text = (
        "## Keys\n\n| name | value |\n|---|---|\n"
        f"| stripe | {'sk_live_' + fake(24)} |\n| db | password={fake(12)} |\n\n"
        f"```env\nGITHUB_TOKEN={'ghp_' + fake(36)}\n```\n"
    )
    out = redactor.redact(text).text
    assert out.count("|") == text.count("|")
    assert out.count("```") == 2
    assert out.splitlines()[0] == "## Keys"
    assert len(out.splitlines()) == len(text.splitlines())


def test_an_allow_pattern_keeps_a_matching_finding() -> None:
    test_key = "sk_test_" + fake(24)
    plain = Redactor()
    allowing = Redactor(RedactionOptions(allow=(r"sk_test_\w+",)))
    assert plain.redact(test_key).total == 1
    assert allowing.redact(test_key).text == test_key


def test_a_bad_allow_pattern_is_refused_with_the_pattern_named() -> None:
    with pytest.raises(ValueError, match=r"allow pattern '\(' is not a valid regex"):
        RedactionOptions(allow=("(",))


def test_a_higher_entropy_threshold_lets_a_token_through() -> None:
    text = "| STRIPE_KEY | " + fake(24) + " |"
    assert Redactor().redact(text).total == 1
    strict = Redactor(RedactionOptions(base64_entropy=6.0, entropy_margin=-2.0))
    assert strict.redact(text).total == 0


def test_redacted_text_is_found_clean_on_a_second_pass(redactor: Redactor) -> None:
    text = "\n".join(f"{label}: {value}" for label, value in KNOWN.items())
    once = redactor.redact(text + "\n" + fake_pem() + "\npassword = hunter2\n")
    assert once.total == len(KNOWN) + 2
    assert redactor.find(once.text) == []


# -- properties ------------------------------------------------------------------------------

WORDS = (
    "the operator deploys Cloud Run services and keeps credential references in Secret "
    "Manager so no password token secret or API key ever lands in this page shard router "
    "budget webhook logger verified events Notion summary procedure rotate quarterly GitHub "
    "Stripe invoices customers review branch protection architecture decision DNS WordPress "
    "internationalization responsibilities key keys tokens passwords secrets signature auth"
).split()
REFERENCES = [
    "`sm:projects/acme/secrets/STRIPE_API_KEY/versions/latest`",
    "`env:GITHUB_WEBHOOK_SECRET`",
    "op://Ops/Stripe/api key",
    "3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "550e8400-e29b-41d4-a716-446655440000",
    "https://www.notion.so/Context-Index-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d",
    "STRIPE_API_KEY",
    "9214",
]
word = st.sampled_from(WORDS) | st.sampled_from(REFERENCES)
sentence = st.lists(word, min_size=1, max_size=14).map(lambda ws: " ".join(ws).capitalize() + ".")
block = st.one_of(
    sentence,
    sentence.map(lambda s: "## " + s.rstrip(".")),
    sentence.map(lambda s: "- " + s),
    st.tuples(sentence, sentence).map(lambda p: f"| {p[0]} | {p[1]} |"),
    sentence.map(lambda s: f"```\n{s}\n```"),
)
prose = st.lists(block, max_size=12).map("\n\n".join)

secret_chars = st.text(alphabet=B62, min_size=50, max_size=60)
planted = st.one_of(
    secret_chars.map(lambda s: "sk_live_" + s[:30]),
    secret_chars.map(lambda s: "ghp_" + s[:36]),
    secret_chars.map(lambda s: "AKIA" + s.upper()[:16]),
    secret_chars.map(lambda s: "sk-" + "ant-api03-" + s),
    secret_chars.map(lambda s: "AI" + "za" + s[:35]),
    secret_chars.map(lambda s: "secret_" + s[:43]),
    secret_chars.map(lambda s: "whsec_" + s[:32]),
    secret_chars.map(lambda s: "xoxb-123456789012-" + s.lower()[:24]),
    st.integers(0, 10_000).map(fake_jwt),
    st.text(alphabet=HEX, min_size=64, max_size=64)
    .filter(lambda s: len(set(s)) > 8)
    .map(lambda s: "sk-" + "or-v1-" + s),
    secret_chars.map(lambda s: "hf" + "_" + s[:34]),
    secret_chars.map(lambda s: "sk-" + s[:48]),
)
PLANTINGS = [
    "{}",
    "value: {}",
    "| prod | {} |",
    '"key": "{}"',
    "export SECRET_VALUE={}",
    "```\n{}\n```",
]


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(prose, planted, st.sampled_from(PLANTINGS)), min_size=1, max_size=4),
    prose,
)
def test_planted_secrets_never_survive(chunks: list[tuple[str, str, str]], tail: str) -> None:
    redactor = Redactor()
    text = "\n\n".join(f"{p}\n\n{where.format(s)}" for p, s, where in chunks) + "\n\n" + tail
    out = redactor.redact(text)
    for _, secret, _ in chunks:
        assert secret not in out.text
    assert out.total >= len({s for _, s, _ in chunks})


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    prose,
    st.lists(st.tuples(planted, st.sampled_from(PLANTINGS)), max_size=3),
    st.sampled_from(["password = {}", "api_key: '{}'", "Bearer {}", "https://u:{}@h/x"]),
    st.text(alphabet=B62 + "!@#%^*", min_size=1, max_size=20),
)
def test_redacting_twice_changes_nothing_more(
    text: str, plants: list[tuple[str, str]], assignment: str, value: str
) -> None:
    redactor = Redactor()
    text += "".join("\n" + where.format(s) for s, where in plants)
    text += "\n" + assignment.format(value) + "\n"
    once = redactor.redact(text)
    twice = redactor.redact(once.text)
    assert twice.text == once.text
    assert twice.total == 0


@settings(max_examples=100)
@given(prose)
def test_ordinary_prose_comes_back_unchanged(text: str) -> None:
    out = Redactor().redact(text)
    assert out.text == text
    assert out.total == 0


# -- the formats an operation holds, through get_context ------------------------------------

DEMO = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def _planted_index() -> str:
    """A context index whose Credentials and Notes sections hold every format and keep case."""
    planted = "\n\n".join(f"### {p.name}\n\n{p.text}" for p in FORMATS)
    kept = "\n\n".join(f"### Note {n}\n\n{text}" for n, text in enumerate(KEEP, 1))
    return (
        "# Context Index — Kestrel Lane\n\nThe agency's index; every session starts here.\n\n"
        f"## Credentials\n\nWhat was pasted here by mistake over the years.\n\n{planted}\n\n"
        f"## Notes\n\nThings that look a little like secrets and are not.\n\n{kept}\n"
    )


@pytest.fixture(scope="module")
def planted_service(
    tmp_path_factory: pytest.TempPathFactory, tokenizer: TiktokenCounter
) -> ContextService:
    store = LocalFolderStore(tmp_path_factory.mktemp("planted"))
    plan = plan_split(_planted_index(), tokenizer, SplitOptions(min_shard_tokens=10))
    apply_split(plan, store)
    sync(store, tokenizer, now=NOW)
    return ContextService(store, tokenizer)


def _around(planted: Planted) -> list[str]:
    """The sentence's start and end: proof that it was served (with its secret replaced)."""
    before, _, after = planted.text.partition(planted.secret)
    return [piece for piece in (before[:12].strip(), after[-12:].strip()) if len(piece) >= 4]


def test_at_least_thirty_formats_are_planted() -> None:
    assert len(FORMATS) >= 30
    assert len({p.name.split("/")[0] for p in FORMATS}) >= 30
    assert all(p.secret in p.text for p in FORMATS)


def test_no_planted_secret_leaks_through_get_context(planted_service: ContextService) -> None:
    ids = {s.title: s.id for s in planted_service.list_shards()}
    result = planted_service.get_context(
        "Which API keys, tokens and passwords were pasted into the index?",
        60_000,
        [ids["Credentials"]],
    )
    served = result.context
    assert [p.name for p in FORMATS if leaked(p.secret, served)] == []
    missing = [p.name for p in FORMATS if not all(w in served for w in _around(p))]
    assert missing == []  # every sentence was served, with its secret replaced
    assert served.count("[redacted:") >= len(FORMATS)
    assert sum(result.redactions.values()) >= len(FORMATS)


def test_hashes_commit_ids_dates_versions_and_plain_urls_come_back_whole(
    planted_service: ContextService,
) -> None:
    ids = {s.title: s.id for s in planted_service.list_shards()}
    result = planted_service.get_context("notes", 60_000, [ids["Notes"]])
    assert [text for text in KEEP if text not in result.context] == []
    assert "[redacted:" not in result.context
    assert dict(result.redactions) == {}


@pytest.mark.parametrize("planted", FORMATS, ids=lambda p: p.name)
def test_each_format_is_redacted_and_its_sentence_kept(
    redactor: Redactor, planted: Planted
) -> None:
    out = redactor.redact(planted.text)
    assert not leaked(planted.secret, out.text)
    assert out.total >= 1
    assert all(w in out.text for w in _around(planted))


@pytest.mark.parametrize("text", KEEP)
def test_a_known_keep_case_is_left_alone(redactor: Redactor, text: str) -> None:
    assert redactor.find(text) == []


def _tasks(path: Path) -> list[str]:
    """The task texts of a task set: a list of tasks, or ``{"tasks": [...]}``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [t["task"] for t in (data["tasks"] if isinstance(data, dict) else data)]


def _answers(index: Path, tasks: Path, tmp_path: Path, tokenizer: TiktokenCounter) -> list[str]:
    """Every redaction marker in the answers to every task, with what came before it."""
    store = LocalFolderStore(tmp_path)
    apply_split(plan_split(index.read_text(encoding="utf-8"), tokenizer), store)
    sync(store, tokenizer, now=NOW)
    service = ContextService(store, tokenizer)
    return [
        f"{task[:40]} @ {budget}: {marked}"
        for task in _tasks(tasks)
        for budget in (2_000, 8_000)
        for marked in re.findall(
            r".{0,60}\[redacted:[^\]]*\]", service.get_context(task, budget).context
        )
    ]


EVALUATION_SETS = {
    "demo": (DEMO / "context-index.md", DEMO / "tasks.json"),
    "eval-ops": (DEMO / "eval-ops" / "index.md", DEMO / "eval-ops" / "tasks.json"),
}


@pytest.mark.parametrize("name", EVALUATION_SETS)
def test_the_evaluation_indexes_answers_carry_no_redaction_marker(
    name: str, tmp_path: Path, tokenizer: TiktokenCounter
) -> None:
    index, tasks = EVALUATION_SETS[name]
    if not index.exists():
        pytest.skip(f"{index.relative_to(DEMO.parent)} is not in this tree")
    assert len(_tasks(tasks)) >= 40
    assert _answers(index, tasks, tmp_path, tokenizer) == []
    assert Redactor().find(index.read_text(encoding="utf-8")) == []
