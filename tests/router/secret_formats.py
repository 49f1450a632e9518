"""Credential formats an operation like ours holds, each planted in a realistic sentence.

Shared by ``tests/router/test_redact.py`` (0 of them may leak through get_context) and
``bench/redact.py`` (the coverage count and the cost on text dense with secrets).

The shapes come from the vendors' published documentation and examples and from the
gitleaks / detect-secrets rules for each format (prefix, alphabet, length). Every value is
built at import time from a prefix (split so this file holds no literal a secret scanner or a
push protection would flag) and seeded random characters: it looks like a secret, it is not one.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass

__all__ = ["FORMATS", "KEEP", "Planted", "fake", "leaked"]

B62 = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
LOWER_ALNUM = string.ascii_lowercase + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
URLSAFE = B62 + "-_"


def fake(n: int, alphabet: str = B62, seed: object = 0) -> str:
    """``n`` deterministic random characters: looks like a secret, is not one."""
    rng = random.Random(f"{seed}:{n}:{alphabet}")
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b64url(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def _pem(label: str, seed: str) -> str:
    body = "\n".join(fake(64, B62 + "+/", (seed, i)) for i in range(6))
    dashes = "-" * 5
    return (
        f"{dashes}BEGIN {label}PRIVATE KEY{dashes}\n{body}\n{dashes}END {label}PRIVATE KEY{dashes}"
    )


def _wordpress(seed: str) -> str:
    return " ".join(fake(4, B62, (seed, i)) for i in range(6))


@dataclass(frozen=True)
class Planted:
    """A secret in one format and a sentence (markdown) that holds it."""

    name: str
    secret: str
    text: str


def _p(name: str, secret: str, template: str) -> Planted:
    return Planted(name, secret, template.replace("<<S>>", secret))


_JWT = ".".join(
    [
        _b64url({"alg": "HS256", "typ": "JWT"}),
        _b64url({"sub": "wp-sync", "role": "service_role", "iat": 1767225600}),
        fake(43, URLSAFE, "jwt"),
    ]
)
_SA_KEY = _pem("", "sa").replace("\n", "\\n") + "\\n"
_SA_JSON = json.dumps(
    {
        "type": "service_account",
        "project_id": "acme-prod",
        "private_key_id": fake(40, HEX, "sa-id"),
        "private_key": "<<S>>",
        "client_email": "brain@acme-prod.iam.gserviceaccount.com",
    }
)

FORMATS: tuple[Planted, ...] = (
    # -- LLM providers -------------------------------------------------------------------------
    _p("openrouter-key", "sk-" + "or-v1-" + fake(64, HEX, "or"),
       "The summariser calls OpenRouter with <<S>> for every nightly digest."),
    _p("openai-key/legacy-48", "sk-" + fake(48, B62, "oai48"),
       "Old cron scripts on the build box still export <<S>> as the OpenAI key."),
    _p("openai-key/legacy-marker", "sk-" + fake(20, B62, "oaiT") + "T3Blbk" + "FJ"
       + fake(20, B62, "oaiJ"), "Found <<S>> hard-coded in tools/embed.py; revoke it."),
    _p("openai-key/project", "sk-" + "proj-" + fake(156, URLSAFE, "proj"),
       "- Embeddings: `<<S>>` (project key, rotated in March)"),
    _p("openai-key/service-account", "sk-" + "svcacct-" + fake(120, URLSAFE, "svc"),
       "The CI job authenticates as <<S>> against the OpenAI API."),
    _p("anthropic-key", "sk-" + "ant-api03-" + fake(93, URLSAFE, "ant") + "AA",
       "Claude access for the digest worker: <<S>>."),
    _p("anthropic-key/admin", "sk-" + "ant-admin01-" + fake(93, URLSAFE, "adm") + "AA",
       "| Anthropic admin | <<S>> | usage reports only |"),
    _p("huggingface-token", "hf" + "_" + fake(34, string.ascii_letters, "hf"),
       "Pull the embedding model with <<S>> (read-only token)."),
    _p("groq-key", "gs" + "k_" + fake(52, B62, "groq"),
       "Groq fallback for the classifier uses <<S>> since May."),
    _p("replicate-token", "r8" + "_" + fake(37, B62, "r8"),
       "Image thumbnails go through Replicate (<<S>>)."),
    _p("xai-key", "xa" + "i-" + fake(80, B62, "xai"),
       "Grok experiments ran with <<S>> on the sandbox project."),
    # -- WordPress, webhooks, HMAC ---------------------------------------------------------
    _p("wordpress-app-password", _wordpress("wp"),
       "The publisher logs in to halden.example as `deploy` with the application password "
       "<<S>> until we move it to Secret Manager."),
    _p("hmac-secret/prose", fake(64, HEX, "hmac1"),
       "The GitHub webhook signing secret is <<S>>; the logger checks every delivery with it."),
    _p("hmac-secret/table", fake(64, HEX, "hmac2"),
       "| Source | HMAC key | Header |\n|---|---|---|\n| WooCommerce | <<S>> | "
       "X-WC-Webhook-Signature |"),
    _p("hmac-secret/env", fake(64, HEX, "hmac3"), "```env\nNOTION_WEBHOOK_SECRET=<<S>>\n```"),
    _p("stripe-webhook-secret", "wh" + "sec_" + fake(32, B62, "whsec"),
       "Stripe signs billing events with <<S>> (endpoint we_1Nx...)."),
    # -- databases and brokers -------------------------------------------------------------
    _p("postgres-url", "Qv7" + fake(17, B62, "pg"),
       "Reporting reads from postgresql://reporting:<<S>>@10.20.0.5:5432/warehouse nightly."),
    _p("mysql-url", "Mx" + fake(14, B62 + "!#", "my") + "9",
       "WP_DB for Halden: mysql://halden_wp:<<S>>@wp-mysql-prod.internal:3306/halden"),
    _p("mongodb-srv-url", "mG4" + fake(21, B62, "mongo"),
       "Analytics events land in mongodb+srv://events:<<S>>@cluster0.ab1cd.mongodb.net/events"
       "?retryWrites=true&w=majority."),
    _p("redis-url", "rD5" + fake(29, B62, "redis"),
       "Sessions: redis://:<<S>>@10.20.0.9:6379/0 (Memorystore, AUTH enabled)."),
    _p("amqp-url", "aQ2" + fake(19, B62, "amqp"),
       "Order events go to amqps://orders:<<S>>@rabbit.internal:5671/shop for the workers."),
    # -- code hosting -----------------------------------------------------------------------
    _p("github-token/classic", "gh" + "p_" + fake(36, B62, "ghp"),
       "The release script pushes tags with <<S>> (classic PAT, repo scope)."),
    _p("github-token/oauth", "gh" + "o_" + fake(36, B62, "gho"),
       "Cached gh CLI login found on the old laptop: <<S>>."),
    _p("github-token/fine-grained", "github" + "_pat_" + fake(22, B62, "fg1") + "_"
       + fake(59, B62, "fg2"), "Renovate opens PRs with the fine-grained token <<S>>."),
    _p("gitlab-token", "gl" + "pat-" + fake(20, URLSAFE, "gl"),
       "Mirror to the client's GitLab with <<S>>."),
    _p("npm-token", "np" + "m_" + fake(36, B62, "npm"),
       "```ini\n//registry.npmjs.org/:_authToken=<<S>>\n```"),
    # -- Google ----------------------------------------------------------------------------
    _p("google-api-key", "AI" + "za" + "Sy" + fake(33, URLSAFE, "gapi"),
       "Maps on the contact page load with key <<S>> (restricted to halden.example)."),
    _p("google-service-account-key", _SA_KEY,
       "Deploy account key (do not commit):\n\n```json\n" + _SA_JSON + "\n```"),
    _p("google-oauth-secret", "GOC" + "SPX-" + fake(28, URLSAFE, "gocspx"),
       "OAuth client for the Drive import: client secret <<S>>."),
    # -- AWS -------------------------------------------------------------------------------
    _p("aws-access-key-id", "AK" + "IA" + fake(16, UPPER_ALNUM, "akia"),
       "Backups are copied to S3 by the IAM user `backup-bot` (<<S>>)."),
    _p("aws-secret-key/env", fake(40, B62 + "/+", "awssec1"),
       "```env\nAWS_SECRET_ACCESS_KEY=<<S>>\n```"),
    _p("aws-secret-key/prose", fake(40, B62 + "/+", "awssec2"),
       "Its secret access key: <<S>> (rotate with the access key id above)."),
    # -- chat ------------------------------------------------------------------------------
    _p("slack-bot-token", "xo" + "xb-" + fake(12, string.digits, "sb1") + "-"
       + fake(13, string.digits, "sb2") + "-" + fake(24, B62, "sb3"),
       "The alert bot posts to #ops with <<S>>."),
    _p("slack-user-token", "xo" + "xp-" + fake(12, string.digits, "su1") + "-"
       + fake(12, string.digits, "su2") + "-" + fake(13, string.digits, "su3") + "-"
       + fake(32, HEX, "su4"), "My user token for the export was <<S>>."),
    _p("slack-webhook-url", "T" + fake(10, UPPER_ALNUM, "sw1") + "/B" + fake(10, UPPER_ALNUM, "sw2")
       + "/" + fake(24, B62, "sw3"),
       "Budget alerts post to https://hooks.slack.com/services/<<S>> (channel #billing)."),
    _p("discord-webhook-url", fake(68, URLSAFE, "dw2"),
       "Community uptime pings go to https://discord.com/api/webhooks/"
       + fake(18, string.digits, "dw1") + "/<<S>>."),
    _p("telegram-bot-token", fake(10, string.digits, "tg1") + ":AA" + fake(33, URLSAFE, "tg2"),
       "On-call Telegram bot: <<S>>."),
    # -- payments --------------------------------------------------------------------------
    _p("stripe-secret-key", "sk" + "_live_" + "51" + fake(97, B62, "skl"),
       "Charges for Halden go through <<S>> on the live account."),
    _p("stripe-restricted-key", "rk" + "_live_" + "51" + fake(97, B62, "rkl"),
       "The reporting job has a restricted key, <<S>>, with read access to invoices."),
    # -- Notion and productivity -----------------------------------------------------------
    _p("notion-token/secret", "sec" + "ret_" + fake(43, B62, "notion"),
       "The brain talks to Notion with the integration token <<S>>."),
    _p("notion-token/ntn", "nt" + "n_" + fake(11, string.digits, "ntn1") + fake(35, B62, "ntn2"),
       "New internal integration (2024 format): <<S>>."),
    _p("linear-key", "lin" + "_api_" + fake(40, B62, "lin"),
       "Issue sync with Linear uses <<S>>."),
    _p("atlassian-token",
       "ATATT" + "3xFfGF0" + fake(183, URLSAFE, "atl") + "=" + fake(8, HEX, "atl2"),
       "Jira automation token: <<S>> (expires in a year)."),
    # -- other cloud and SaaS --------------------------------------------------------------
    _p("digitalocean-token", "do" + "p_v1_" + fake(64, HEX, "do"),
       "Terraform for the DO droplet reads <<S>>."),
    _p("sendgrid-key", "SG" + "." + fake(22, URLSAFE, "sg1") + "." + fake(43, URLSAFE, "sg2"),
       "Transactional mail uses <<S>> (full access, to narrow)."),
    _p("twilio-key", "SK" + fake(32, HEX, "tw"), "SMS for 2FA: Twilio API key <<S>>."),
    _p("shopify-token", "shp" + "at_" + fake(32, HEX, "shop"),
       "The Marlow & Finch Shopify app uses <<S>> for the admin API."),
    _p("azure-storage-key", fake(86, B62 + "+/", "az") + "==",
       "Legacy blob export: DefaultEndpointsProtocol=https;AccountName=acmeexp;AccountKey=<<S>>;"
       "EndpointSuffix=core.windows.net"),
    _p("vault-token", "hv" + "s." + fake(90, URLSAFE, "vault"),
       "Break-glass Vault token: <<S>>."),
    # -- generic shapes --------------------------------------------------------------------
    _p("jwt", _JWT, "The Supabase service key is <<S>>; never ship it to the browser."),
    _p("pem-rsa-private-key", _pem("RSA ", "rsa"), "Deploy key for the mirror:\n\n```\n<<S>>\n```"),
    _p("pem-openssh-private-key", _pem("OPENSSH ", "ssh"),
       "```\n<<S>>\n```\nThat is the bastion key."),
    _p("bearer-header", fake(40, URLSAFE, "bearer"),
       "Test it with `curl -H 'Authorization: Bearer <<S>>' https://brain.example/context`."),
    _p("basic-auth-url", "Ba" + fake(14, B62, "basic") + "7",
       "The staging site sits behind https://preview:<<S>>@staging.halden.example/ for now."),
    _p("dotenv-password", "Tr0ub4dor" + fake(8, B62, "env") + "&3",
       "```\n# .env on the VM\nDB_HOST=10.20.0.5\nDB_PASSWORD=<<S>>\n```"),
    _p("yaml-password", "pA55-" + fake(18, B62, "yaml"),
       "```yaml\nsmtp:\n  host: smtp.mailgun.org\n  user: postmaster@mg.halden.example\n"
       "  password: <<S>>\n```"),
    _p("high-entropy/api-key-prose", fake(32, LOWER_ALNUM, "mistral"),
       "Mistral API key <<S>> is on the team plan."),
    _p("high-entropy/token-table", fake(40, URLSAFE, "cf"),
       "| Cloudflare | API token | <<S>> | zone edit |"),
)  # fmt: skip

#: Text that looks a little like a secret and must come back unchanged.
KEEP: tuple[str, ...] = (
    '<!-- claude_delta: {"v":"1.0","id":"infra","content_hash":'
    '"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","tokens":9214} -->',
    "Fixed in commit 3f2a9c1b7d4e5f60718293a4b5c6d7e8f9012345 by the on-call.",
    "Reverted 3f2a9c1 and cherry-picked a4b5c6d7e8 onto the release branch.",
    "The deploy key was rotated in 9b1de3f (see PR #412).",
    "Request id 550e8400-e29b-41d4-a716-446655440000 failed with a token error.",
    "Token expired at 2026-05-21T02:54:44.452Z; the next refresh is 2026-05-21 03:00 UTC.",
    "Upgraded WordPress to 6.5.3, PHP to 8.2.18 and Python to 3.12.4 (v1.4.0-rc.2).",
    "Docs: https://docs.stripe.com/keys#obtain-api-keys and https://api.github.com/repos/o/r",
    "Connect with postgresql://reporting@10.20.0.5:5432/warehouse (IAM auth, no password).",
    "Mount it as postgresql://USER:PASSWORD@/DB?host=/cloudsql/PROJECT:REGION:INSTANCE",
    "Set DATABASE_URL=postgres://${DB_USER}:${DB_PASSWORD}@db:5432/app in the unit file.",
    "The webhook signing secret lives in Secret Manager as GITHUB_WEBHOOK_SECRET.",
    "Never paste a password, token, secret or API key into this page; keys rotate quarterly.",
    "Stripe key: `sm:projects/acme/secrets/STRIPE_API_KEY/versions/latest`",
    "Those were long days when they took both keys from that desk.",
    "The backup image digest is "
    "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824.",
    "See https://www.notion.so/Context-Index-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d for the key list.",
    "Risk-averse task-based desk-top planning for sk-learn users.",
    "Etag 0x8DC2A1B9F4E3C21 on the blob; md5 d41d8cd98f00b204e9800998ecf8427e.",
    "| Key | Value |\n|---|---|\n| region | europe-west2 |\n| tier | db-custom-2-7680 |",
    "IPv6 egress 2001:db8:85a3:0:0:8a2e:370:7334 and MAC 00:1A:2B:3C:4D:5E.",
    "Open https://console.cloud.google.com/apis/credentials?project=acme-prod to rotate it.",
    "They read what they need from Secret Manager, with only Care Plus from August on.",
    "Release signing key fingerprint: 3AA5 C343 7156 7E13 F2B8 19A4 6E0D 1C2B 4F5A 9E21.",
    "Call 0800 1234 5678 or 0207 9460 0000 for the data centre.",
    "```\n$ sha256sum brain-1.4.0.tar.gz\n"
    "5f2b8c9e1d3a4b6c7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d  brain-1.4.0.tar.gz\n```",
    "The checksum of the export is "
    "9e107d9d372bb6826bd81d3542a419d6e277d4d731479571562f82e2b5a3c2d1.",
    "Run `ddev wp user update 1 --user_pass=devpass-$(whoami)` after pulling the database.",
    "The agency key map is in the Notes shard; ask Hana for access.",
)


def leaked(secret: str, text: str, window: int = 12) -> bool:
    """Whether ``secret``, or any ``window``-character piece of it, is in ``text``."""
    if len(secret) <= window:
        return secret in text
    return any(secret[i : i + window] in text for i in range(len(secret) - window + 1))
