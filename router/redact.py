"""Redact secrets from markdown before it leaves the service.

The index is meant to hold credential *references* (``sm:projects/P/secrets/S/versions/V``,
``env:NAME``, ``op://vault/item/field``, env var names), but operators paste real values by
mistake. :class:`Redactor` replaces anything that looks like a secret with ``[redacted:<kind>]``
and keeps everything around it (key names, URL user and host, code fences, table pipes).

Three layers, strongest first (when spans overlap they are merged and the strongest kind wins):

1. **Known formats.** The compiled ``denylist`` regexes of these ``detect-secrets`` plugins are
   reused as class attributes (no plugin instance, no ``detect_secrets.settings``, no network, no
   warnings): AWS (access key id, ``aws ... key = "<40>"`` secret), GitHub, GitLab, Stripe, Slack
   (token, incoming-webhook URL), Twilio, SendGrid, Mailchimp, Telegram, Discord, Square, PyPI,
   Azure storage, OpenAI and JWT (with the plugin's own ``is_formally_valid`` check). Each is
   anchored on the left so it cannot start inside a longer token, and the variable-length ones
   are extended to the end of the token (the Stripe and OpenAI regexes stop after a fixed
   length; today's keys are longer). Not reused: Artifactory (its ``AP[0-9A-F]`` rule hits
   ordinary words), public IPs (hosts are context here, not secrets), NPM (its regex runs to
   the end of the line; ``npm_`` tokens are matched here and ``_authToken=`` values by layer 2),
   basic-auth URLs (its password may not hold ``!$&*+,;=``, its user may not be empty: replaced
   by :data:`_URL_PASSWORD`), and the keyword/entropy plugins (layers 2 and 3 replace them).
   Added here, with the shapes of the vendors' docs and the gitleaks rules: the LLM providers
   (OpenRouter ``sk-or-v1-`` + 64 hex, legacy and scoped OpenAI ``sk-``, Anthropic, Hugging
   Face ``hf_``/``api_org_``, Groq, Perplexity, Replicate, xAI), Google API key and OAuth,
   Notion ``secret_``/``ntn_``, ``whsec_`` webhook secrets, fine-grained GitHub PATs, Stripe test
   keys, Slack app tokens and workflow webhooks, Discord webhooks, DigitalOcean, Shopify,
   Linear, Atlassian, Vault, Postman, Sentry, Grafana, age, Supabase and Mailgun keys;
   WordPress application passwords (six groups of four, at least four of which mix digits,
   letters or case: six four-letter words and hex fingerprints stay); a bare 64-hex value
   (a 32-byte HMAC or webhook signing secret) unless its line calls it a digest (``sha256``,
   ``checksum``, ``hash``, ``sha256sum`` output); URL passwords for any scheme (postgres,
   mysql, ``mongodb+srv``, redis with an empty user, amqp, Cloud SQL sockets with an empty
   host); whole PEM/PGP/SSH2/PuTTY private-key blocks, GCP service-account ``"private_key"``
   values, and ``Authorization: Bearer``/``Basic`` credentials. The plugins' regexes are kept
   here (:data:`REUSED_PATTERNS`, checked against the installed plugins by a test), so
   ``detect-secrets`` (which pulls in ``requests``, about 0.05 s) is imported only on the first
   JWT-shaped match, for its ``is_formally_valid``.
2. **Assignments** (kind ``password-assignment``): ``password = x``, ``DB_PASSWORD: "x"``,
   ``"client_secret": "x"``, ``api_key=x``, ``token: x`` in env/YAML/JSON/shell. Only the value
   is replaced. References, placeholders and code stay (``env:X``, ``${X}``, ``<yours>``,
   ``***``, ``None``, type annotations, ``os.environ[...]``, values computed by the shell such
   as ``devpass-$(whoami)``: see :func:`_is_reference`); prose
   needs ``key: value`` syntax, and ``Password: stored in Secret Manager`` (a bare word followed
   by more words) reads as prose. ``changeme`` is a password. A ``*_key`` name is weaker
   evidence (``sort_key``, ``HEADER_KEY = "claude_delta"``): its value must not be a plain word.
3. **High entropy** (kind ``high-entropy``): a token of at least ``min_length`` base64/hex
   characters whose Shannon entropy passes the threshold, standing right after a key-like name
   on the same line (``STRIPE_KEY | <token> |``, ``auth token <token>``). Never UUIDs, resource
   names and paths, ``sha256:`` hashes, UPPER_SNAKE env var names, or a bare 40/64-hex hash
   after a plain space (a git SHA in prose).

Speed (get_context calls this on up to ~50 KB): every pass is a regex with a literal prefix,
which the engine skips ahead to; case-insensitive ones run on ``text.lower()`` (same offsets)
instead of ``(?i)``, and the few that start with a character class wait for a cheap hint (or,
like the WordPress rule, start at a literal space and step back). Python runs only on matches.
No per-line scanning through detect-secrets' own machinery. ``python -m bench redact``
measures the cost per 100 KB.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

__all__ = ["Redacted", "Redaction", "RedactionOptions", "Redactor"]

_MARK = "[redacted:"

# Priorities when spans overlap: the lowest number names the merged span.
_P_KNOWN, _P_HEADER, _P_ASSIGNMENT, _P_ENTROPY = 0, 1, 2, 3


@dataclass(frozen=True)
class RedactionOptions:
    """How eager the redactor is."""

    hex_entropy: float = 3.0
    """Bits per character a hex-only token must exceed to count as a secret."""
    base64_entropy: float = 4.2
    """Bits per character any other base64-alphabet token must exceed."""
    entropy_margin: float = 0.6
    """A random n-character string rarely exceeds log2(n) - margin bits, so for short tokens
    the threshold is ``min(threshold, log2(n) - entropy_margin)``."""
    min_length: int = 20
    """Shortest token the high-entropy rule looks at."""
    allow: tuple[str, ...] = ()
    """Extra regexes; a finding whose text fully matches one is kept (e.g. ``r"kv://.*"``)."""

    def __post_init__(self) -> None:
        if self.min_length < 8:
            raise ValueError(f"min_length must be at least 8, got {self.min_length}")
        for pattern in self.allow:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"allow pattern {pattern!r} is not a valid regex: {exc}") from exc


@dataclass(frozen=True)
class Redaction:
    """One secret found: its kind and its span in the original text."""

    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Redacted:
    """The redacted text and how many secrets of each kind were replaced."""

    text: str
    counts: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    group: int = 0
    left: bool = True  # must not start inside a longer token
    extend: re.Pattern[str] | None = None  # grow the end over these characters
    accept: Callable[[str], bool] | None = None  # final say on the matched text
    context: Callable[[str, int, int], bool] | None = None  # final say on (text, start, end)
    hint: str | re.Pattern[str] | None = None  # cheap pre-check on the lowercased text
    lowered: bool = False  # scan the lowercased text: a literal prefix is much faster than (?i)
    back: int = 0  # the secret starts this many characters before the match
    priority: int = _P_KNOWN


_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_NAME_CHARS = _TOKEN_CHARS | {"."}
_TOKEN_TAIL = re.compile(r"[A-Za-z0-9_\-]*")
_JWT_TAIL = re.compile(r"[A-Za-z0-9_\-+/=.]*")

# -- references and placeholders -------------------------------------------------------------

_REFERENCE = re.compile(
    r"""(?x)
    (?i:env|sm|vault|keychain):\S | (?i:op)://               # env:NAME, sm:projects/..., 1Password
    | (?i:arn:aws):                                          # AWS Secrets Manager / SSM ARN
    | [A-Za-z][A-Za-z0-9+.\-]*://(?![^/\s]*:[^/\s]*@)         # a URL without credentials
    | projects/[^/\s]+/secrets/                              # Secret Manager resource name
    | \$\{ | \$\( | \$[A-Za-z_] | \{\{ | %\( | %[A-Za-z_]+%   # ${VAR}, $VAR, {{ x }}, %VAR%
    | [<\[{()\]}>?]                                          # <yours>, [placeholder], an object, ?
    | (?:~|\.{1,2})?/[\w.\-/]+$                              # a file path
    | [A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$ | [A-Z]+$               # STRIPE_API_KEY (env var), PASSWORD
    | [A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$ | [A-Za-z_][\w.]*[(\[]  # settings.token, getpass(
    | [*xX•·.\-_\#]+$                                        # ***, xxxx, ...
    | (?i:none|null|nil|undefined|true|false|yes|no|n/a|tbd|todo|redacted|hidden|~|\d{1,5})$
    | (?:str|bytes|int|bool|float|Any|Optional|SecretStr|string|String|number|boolean)
      (?:$|[\s|\[=,)])                                       # a type: "token: str | None"
    | (?:read|write)$                                         # GitHub Actions: id-token: write
    """
)


def _is_reference(value: str) -> bool:
    """Whether a value is a reference or a placeholder (``env:X``, ``${X}``, ``***``, ...)."""
    value = value.strip()
    return (
        len(value) < 2
        or _REFERENCE.match(value) is not None
        or "op://" in value
        or "$(" in value  # computed when run: --user_pass=devpass-$(whoami)
        or "${" in value
    )


# -- names -----------------------------------------------------------------------------------

_PLAIN_WORD = re.compile(r"[a-z]+(?:[_\-.][a-z]+)*")
_SEGMENTS = re.compile(r"[A-Z]{2,}(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_STRONG_SUFFIXES = ("password", "passwd", "passphrase", "secret", "token", "credential")
_STRONG_WORDS = {"pwd", "pass", "credentials", "creds", "apikey", "secretkey", "privatekey"}
_SPACED_KEY_QUALIFIERS = {"api", "secret", "private", "access", "signing", "encryption", "master"}
_NON_SECRET_KEYS = {
    "primary", "sort", "foreign", "partition", "cache", "idempotency", "public", "pub", "row",
    "hot", "dict", "lookup", "routing", "object", "s3", "hash", "range", "composite", "unique",
    "index", "map", "group", "dedup", "dedupe", "cursor", "order", "join", "natural", "label",
    "message", "field", "column", "table", "registry", "ssh", "gpg", "pgp", "kms", "key",
    "header", "delivery", "event", "request", "item", "entry", "node", "config", "state",
}  # fmt: skip
_KEYLIKE = {
    "key", "keys", "token", "secret", "secrets", "password", "passwd", "pass", "pwd",
    "passphrase", "credential", "credentials", "creds", "auth", "bearer", "signature", "sig",
    "api", "apikey",
}  # fmt: skip


def _segments(name: str) -> list[str]:
    return [s.lower() for s in _SEGMENTS.findall(name)]


def _is_secret_name(name: str, qualifier: str | None, value: str) -> bool:
    """Whether ``name = value`` holds a secret. ``qualifier``: the word before, as in API key.

    A ``*_key`` name is weaker evidence than ``*_password``, so its value must not read as a
    plain identifier (``HEADER_KEY = "claude_delta"``).
    """
    segments = _segments(name)
    if not segments:
        return False
    last = segments[-1]
    if last.endswith(_STRONG_SUFFIXES) or last in _STRONG_WORDS:
        return True
    if last != "key":
        return False
    if len(segments) > 1:  # STRIPE_KEY, apiKey, x-api-key; not primary_key or sort_key
        return segments[-2] not in _NON_SECRET_KEYS and not _PLAIN_WORD.fullmatch(value)
    spaced = qualifier is not None and qualifier.lower() in _SPACED_KEY_QUALIFIERS
    return spaced and not _PLAIN_WORD.fullmatch(value)


def _is_keylike(name: str) -> bool:
    """Whether a high-entropy token right after ``name`` reads as a credential."""
    return any(s in _KEYLIKE or s.endswith(_STRONG_SUFFIXES) for s in _segments(name))


# -- layer 1: known formats ------------------------------------------------------------------

# WordPress application passwords: 24 characters from [A-Za-z0-9], shown as six groups of four
# (wp_generate_password(24, false) + chunk_split). Six four-letter words ("with only Care Plus
# from Augu...") and hex dumps or fingerprints in groups of four are kept by _is_app_password.
# The pattern starts at the first space (a literal: the engine skips ahead to it, 3x faster
# than trying every letter), and the rule steps back over the first group (``back=4``).
_WORDPRESS = re.compile(
    r" (?<=(?<![A-Za-z0-9\-])[A-Za-z0-9]{4} )[A-Za-z0-9]{4}(?: [A-Za-z0-9]{4}){4}(?![A-Za-z0-9\-])"
)
_CASE_CHANGE = re.compile(r"[a-z][A-Z]|[A-Z]{2}[a-z]|[A-Za-z][0-9]|[0-9][A-Za-z]")


def _is_app_password(value: str) -> bool:
    """At least four of the six groups mix classes (digit and letter, or case inside a word)."""
    if all(c in _HEX for c in value.replace(" ", "")):
        return False  # a hex dump or a key fingerprint in groups of four
    return sum(1 for g in value.split(" ") if _CASE_CHANGE.search(g)) >= 4


# 64 hex characters: a 32-byte key (HMAC signing secrets, webhook secrets, Flask/Django keys)
# unless the text says it is a digest (sha256:..., "checksum", sha256sum output).
_HEX64 = re.compile(r"(?<![A-Za-z0-9_\-.:/~])([0-9a-fA-F]{64})(?![A-Za-z0-9_\-])")
# A digit then 20 hex: 3x cheaper to look for than the 64 (fewer starts), and a random 64-hex
# value holds one in its first 44 characters but for odds of 1 in 10^18.
_HEX64_HINT = re.compile(r"[0-9][0-9a-f]{20}")
_DIGEST_WORDS = re.compile(
    r"(?i)\bsha(?:-?\d+)?\b|sha\d|\bdigests?\b|\bhash(?:es|ed)?\b|checksum|\bsums?\b"
    r"|fingerprint|integrity|\betag\b"
)


def _is_hex_secret(text: str, start: int, end: int) -> bool:
    """Not a digest: no digest word earlier on the line, not ``sha256sum`` output."""
    if len(set(text[start:end])) <= 8:
        return False  # a run of zeros or a repeated pattern
    line_start = text.rfind("\n", max(0, start - 120), start) + 1
    if _DIGEST_WORDS.search(text, max(line_start, start - 120), start):
        return False
    return not text.startswith("  ", end)  # "<hash>  file.tar.gz"


# Credentials in a URL (postgres, mysql, mongodb+srv, redis, amqp, https): the password only.
# The user may be empty (redis://:pw@host), so may the host (Cloud SQL sockets: pw@/db?host=),
# and a sloppy password may hold '@', '!' or '$': the last '@' before the host ends it.
_URL_PASSWORD = re.compile(r"://[^\s:/?#@\[\]]*:([^\s/?#]+?)@(?=[^\s@/?#]*(?:[/?#\s)`'\"|,;]|$))")

_PRIVATE_KEY_BLOCK = re.compile(
    r"-----? ?BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)? ?-{4,5}"  # literal prefix: fast
    r"(?:.{0,20000}?-{4,5} ?END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)? ?-{4,5}"
    r"|[^\n]*(?:\n(?![ \t]*(?:\n|$|```|~~~))[^\n]*)*)",  # no END: up to a blank or fence line
    re.DOTALL,
)
_OWN_RULES = (
    _Rule("private-key", _PRIVATE_KEY_BLOCK, left=False, hint="private key"),
    _Rule("private-key", re.compile(r"PuTTY-User-Key-File-\d+:.{0,20000}?Private-MAC:[ \t]*\w+",
                                    re.DOTALL), left=False),
    _Rule("private-key", re.compile(r'"private_key"\s*:\s*"((?:[^"\\]|\\.)+)"'), group=1,
          left=False, accept=lambda v: not _is_reference(v)),
    _Rule("anthropic-key", re.compile(r"sk-ant-[A-Za-z0-9_\-]{20,}")),
    _Rule("openai-key", re.compile(r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{20,}")),
    _Rule("openrouter-key", re.compile(r"sk-or-v1-[0-9a-f]{64}"), hint="sk-or-"),
    # Legacy OpenAI (sk- + 48), DeepSeek (sk- + 32 hex) and other sk- keys without a scope.
    _Rule("openai-key", re.compile(r"sk-[A-Za-z0-9]{32,}(?![A-Za-z0-9_\-])"), hint="sk-"),
    _Rule("huggingface-token", re.compile(r"hf_[A-Za-z0-9]{30,}"), hint="hf_"),
    _Rule("huggingface-token", re.compile(r"api_org_[A-Za-z0-9]{30,}"), hint="api_org_"),
    _Rule("groq-key", re.compile(r"gsk_[A-Za-z0-9]{48,}"), hint="gsk_"),
    _Rule("perplexity-key", re.compile(r"pplx-[A-Za-z0-9]{40,}"), hint="pplx-"),
    _Rule("replicate-token", re.compile(r"r8_[A-Za-z0-9]{37}(?![A-Za-z0-9])"), hint="r8_"),
    _Rule("xai-key", re.compile(r"xai-[A-Za-z0-9]{70,}"), hint="xai-"),
    _Rule("wordpress-app-password", _WORDPRESS, left=False, back=4, accept=_is_app_password),
    _Rule("hex-secret", _HEX64, group=1, left=False, context=_is_hex_secret, hint=_HEX64_HINT),
    _Rule("basic-auth", _URL_PASSWORD, group=1, left=False, hint="://",
          accept=lambda v: not _is_reference(v)),
    _Rule("discord-webhook", re.compile(r"discord(?:app)?\.com/api/webhooks/[0-9]+/"
                                        r"([A-Za-z0-9_\-]{40,})"), group=1, left=False,
          hint="/api/webhooks/"),
    _Rule("slack-webhook", re.compile(r"hooks\.slack\.com/(?:workflows|triggers)/"
                                      r"([A-Za-z0-9+/_\-]{20,})"), group=1, left=False,
          hint="hooks.slack.com"),
    _Rule("digitalocean-token", re.compile(r"do[opr]_v1_[0-9a-f]{64}"), hint="_v1_"),
    _Rule("shopify-token", re.compile(r"shp(?:at|ca|pa|ss)_[0-9a-fA-F]{32}"), hint="shp"),
    _Rule("linear-key", re.compile(r"lin_(?:api|oauth)_[A-Za-z0-9]{40}"), hint="lin_"),
    _Rule("atlassian-token", re.compile(r"ATATT3[A-Za-z0-9_\-=]{150,}"), hint="atatt3"),
    _Rule("vault-token", re.compile(r"hv[sb]\.[A-Za-z0-9_\-]{24,}"), hint="hv"),
    _Rule("postman-key", re.compile(r"PMAK-[0-9a-f]{24}-[0-9a-f]{34}"), hint="pmak-"),
    _Rule("sentry-token", re.compile(r"sntry[su]_[A-Za-z0-9+/=_]{40,}"), hint="sntry"),
    _Rule("grafana-token", re.compile(r"gl(?:sa|c)_[A-Za-z0-9+/_]{32,}={0,3}"), hint="gl"),
    _Rule("age-secret-key", re.compile(r"age-secret-key-1[02-9ac-hj-np-z]{58}"), lowered=True),
    _Rule("supabase-key", re.compile(r"sb_secret_[A-Za-z0-9_\-]{20,}"), hint="sb_secret_"),
    _Rule("mailgun-key", re.compile(r"key-[0-9a-f]{32}(?![A-Za-z0-9])"), hint="key-"),
    _Rule("google-api-key", re.compile(r"AIza[0-9A-Za-z_\-]{35}"), extend=_TOKEN_TAIL),
    _Rule("google-oauth", re.compile(r"GOCSPX-[A-Za-z0-9_\-]{20,}")),
    _Rule("google-oauth", re.compile(r"ya29\.[A-Za-z0-9_\-]{20,}")),
    _Rule("notion-token", re.compile(r"secret_[A-Za-z0-9]{43,}")),
    _Rule("notion-token", re.compile(r"ntn_[A-Za-z0-9]{40,}")),
    _Rule("webhook-secret", re.compile(r"whsec_[A-Za-z0-9+/=]{20,}")),
    _Rule("github-token", re.compile(r"github_pat_[A-Za-z0-9_]{22,}")),
    _Rule("stripe-key", re.compile(r"[rs]k_test_[0-9A-Za-z]{24,}"), hint="k_test_"),
    _Rule("slack-token", re.compile(r"xapp-\d-[A-Za-z0-9\-]{20,}")),
    _Rule("npm-token", re.compile(r"npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])")),
    _Rule("bearer-token", re.compile(r"bearer[ \t]+([a-z0-9\-._~+/]{12,}=*)"), group=1,
          accept=lambda v: any(c.isdigit() for c in v) or (len(v) >= 24 and not v.isalpha()),
          lowered=True, priority=_P_HEADER),
    _Rule("basic-auth", re.compile(r"authorization[\"']?[ \t]*[:=][ \t]*[\"']?basic[ \t]+"
                                   r"([a-z0-9+/]{8,}={0,2})"), group=1, left=False, lowered=True,
          priority=_P_HEADER),
)  # fmt: skip


#: detect-secrets 1.5's plugin ``denylist`` regexes (pattern, flags), copied so that a process
#: that only serves context does not import detect-secrets (and ``requests`` with it: about
#: 0.05 s of a cold ``brain context``). ``tests/router/test_redact_reused.py`` checks every
#: one against the installed plugins, so an upgrade that changes them fails there.
REUSED_PATTERNS: Mapping[str, tuple[tuple[str, int], ...]] = MappingProxyType({
    'AWSKeyDetector': (
        ('(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}', 0),
        ('aws.{0,20}?(?:key|pwd|pw|password|pass|token).{0,20}?[\\\'\\"]'
         '([0-9a-zA-Z/+]{40})[\\\'\\"]', re.IGNORECASE),
    ),
    'AzureStorageKeyDetector': (
        ('AccountKey=[a-zA-Z0-9+\\/=]{88}', 0),
    ),
    'DiscordBotTokenDetector': (
        ('[MNO][a-zA-Z\\d_-]{23,25}\\.[a-zA-Z\\d_-]{6}\\.[a-zA-Z\\d_-]{27}', 0),
    ),
    'GitHubTokenDetector': (
        ('(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9_]{36}', 0),
    ),
    'GitLabTokenDetector': (
        ('(glpat|gldt|glft|glsoat|glrt)-[A-Za-z0-9_\\-]{20,50}(?!\\w)', 0),
        ('GR1348941[A-Za-z0-9_\\-]{20,50}(?!\\w)', 0),
        ('glcbt-([0-9a-fA-F]{2}_)?[A-Za-z0-9_\\-]{20,50}(?!\\w)', 0),
        ('glimt-[A-Za-z0-9_\\-]{25}(?!\\w)', 0),
        ('glptt-[A-Za-z0-9_\\-]{40}(?!\\w)', 0),
        ('glagent-[A-Za-z0-9_\\-]{50,1024}(?!\\w)', 0),
        ('gloas-[A-Za-z0-9_\\-]{64}(?!\\w)', 0),
    ),
    'JwtTokenDetector': (
        ('eyJ[A-Za-z0-9-_=]+\\.[A-Za-z0-9-_=]+\\.?[A-Za-z0-9-_.+/=]*?', 0),
    ),
    'MailchimpDetector': (
        ('[0-9a-z]{32}-us[0-9]{1,2}', 0),
    ),
    'OpenAIDetector': (
        ('sk-[A-Za-z0-9-_]*[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}', 0),
    ),
    'PypiTokenDetector': (
        ('pypi-AgEIcHlwaS5vcmc[A-Za-z0-9-_]{70,}', 0),
        ('pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9-_]{70,}', 0),
    ),
    'SendGridDetector': (
        ('SG\\.[a-zA-Z0-9_-]{22}\\.[a-zA-Z0-9_-]{43}', 0),
    ),
    'SlackDetector': (
        ('xox(?:a|b|p|o|s|r)-(?:\\d+-)+[a-z0-9]+', re.IGNORECASE),
        ('https://hooks\\.slack\\.com/services/T[a-zA-Z0-9_]+/B[a-zA-Z0-9_]+/[a-zA-Z0-9_]+',
         re.IGNORECASE | re.VERBOSE),
    ),
    'SquareOAuthDetector': (
        ('sq0csp-[0-9A-Za-z\\\\\\-_]{43}', 0),
    ),
    'StripeDetector': (
        ('(?:r|s)k_live_[0-9a-zA-Z]{24}', 0),
    ),
    'TelegramBotTokenDetector': (
        ('\\d{8,10}:[0-9A-Za-z_-]{35}', 0),
    ),
    'TwilioKeyDetector': (
        ('AC[a-z0-9]{32}', 0),
        ('SK[a-z0-9]{32}', 0),
    ),
})  # fmt: skip


def _jwt_formally_valid(token: str) -> bool:
    """detect-secrets' own JWT check, imported on the first JWT-shaped match only."""
    from detect_secrets.plugins.jwt import JwtTokenDetector

    return bool(JwtTokenDetector.is_formally_valid(token))


def _reused_rules() -> list[_Rule]:
    """Rules built from detect-secrets' plugin regexes (see the module docstring)."""

    def denylist(detector: str) -> list[re.Pattern[str]]:
        return [re.compile(p, flags) for p, flags in REUSED_PATTERNS[detector]]

    def bounded(p: re.Pattern[str]) -> re.Pattern[str]:  # fixed length: no longer token
        return re.compile(p.pattern + r"(?![A-Za-z0-9])", p.flags)

    def cased(p: re.Pattern[str]) -> re.Pattern[str]:  # for the lowercased text: drop (?i)
        return re.compile(p.pattern, p.flags & ~re.IGNORECASE)

    def first(detector: str) -> re.Pattern[str]:
        return denylist(detector)[0]

    aws = denylist("AWSKeyDetector")
    slack = denylist("SlackDetector")
    twilio = denylist("TwilioKeyDetector")
    rules = [
        _Rule("aws-access-key", bounded(aws[0])),
        _Rule("aws-secret-key", cased(aws[1]), group=1, left=False, lowered=True),
        _Rule("slack-token", cased(slack[0]), lowered=True),
        _Rule("slack-webhook", slack[1], extend=_TOKEN_TAIL, hint="hooks.slack.com"),
        _Rule("jwt", first("JwtTokenDetector"), extend=_JWT_TAIL, accept=_jwt_formally_valid),
        _Rule("azure-storage-key", first("AzureStorageKeyDetector")),
        _Rule("twilio-key", bounded(twilio[0])),
        _Rule("twilio-key", bounded(twilio[1])),
        _Rule("mailchimp-key", bounded(first("MailchimpDetector")), hint=re.compile(r"-us[0-9]")),
        _Rule("telegram-token", bounded(first("TelegramBotTokenDetector")),
              hint=re.compile(r":(?<=[0-9]{8}:)[0-9A-Za-z_\-]{35}")),
        _Rule("discord-token", bounded(first("DiscordBotTokenDetector")),
              hint=re.compile(r"\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27}")),
    ]  # fmt: skip
    for kind, detector, tail, hint in (
        ("github-token", "GitHubTokenDetector", _TOKEN_TAIL, None),
        ("gitlab-token", "GitLabTokenDetector", None, None),
        ("stripe-key", "StripeDetector", _TOKEN_TAIL, "k_live_"),
        ("sendgrid-key", "SendGridDetector", _TOKEN_TAIL, None),
        ("square-secret", "SquareOAuthDetector", _TOKEN_TAIL, None),
        ("pypi-token", "PypiTokenDetector", None, None),
        ("openai-key", "OpenAIDetector", _TOKEN_TAIL, None),
    ):
        rules += [_Rule(kind, p, extend=tail, hint=hint) for p in denylist(detector)]
    return rules


@lru_cache(maxsize=1)
def _known_rules() -> tuple[_Rule, ...]:
    return (*_OWN_RULES, *_reused_rules())


# -- layers 2 and 3: values next to a key-like name ------------------------------------------

# Each keyword is its own pass over the lowercased text: a literal prefix lets the regex engine
# skip ahead, where one alternation (or IGNORECASE) tries every position and is 2-4x slower.
_KEYWORDS = ("pass", "pwd", "secret", "token", "key", "cred", "auth", "sig", "api")
_NAME_RUN = re.compile(r"[A-Za-z0-9_.\-]*")
_ASSIGNED = re.compile(  # "key : v" only when the key is quoted: "would pass :data:" is prose
    r"(?:[\"'`*\]]{0,3}(?::(?!:)|[ \t]*(?::=|=>|=))|[\"'`*\]]{1,3}[ \t]+:(?!:))"
    r"(?:\*\*|__)?[ \t]*"
    r"(?:\"(?P<dq>(?:[^\"\\\n]|\\.)*)\"|'(?P<sq>[^'\n]*)'|`(?P<bq>[^`\n]*)`"
    r"|(?P<bare>[^\s\"'`|,;&]+))"
)
_WORD_BEFORE = re.compile(r"([A-Za-z]+) $")
_PROSE_AFTER = re.compile(r"[ \t]+[^\s#|]")
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}
_HEX = frozenset("0123456789abcdefABCDEF")
_UUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_PATH_SEGMENT = re.compile(
    r"[a-z0-9]+(?:[_\-.][a-z0-9]+)*|[A-Z0-9]+(?:_[A-Z0-9]+)*|(?:[A-Z][a-z]+)+|"
)


@lru_cache(maxsize=8)
def _keyed_patterns(min_length: int) -> tuple[tuple[re.Pattern[str], ...], re.Pattern[str]]:
    """Keyword scanners (on lowercased text) and the token-after-a-name matcher."""
    repeat = "{" + str(min_length - 1) + ",}"
    token = r"[A-Za-z0-9+][A-Za-z0-9+/_\-]" + repeat
    after = (
        r"[\"'`*\])]{0,3}[ \t]*(?:->|[|,(—–])?[ \t]*[\"'`*(<\[]{0,3}[a-z0-9+][a-z0-9+/_\-]" + repeat
    )
    tail = r"[a-z0-9_.\-]*(?:[\"'`*\]]{0,3}[ \t]*(?::=|=>|=|:(?!:))|" + after + ")"
    scanners = tuple(re.compile(k + tail) for k in _KEYWORDS)
    token_after = re.compile(
        r"[\"'`*\])]{0,3}(?P<sep>[ \t]*(?::=|=>|->|[:=|,(—–])?[ \t]*)[\"'`*(<\[]{0,3}"
        r"(?P<tok>" + token + r"={0,2})(?![A-Za-z0-9+/_\-=@])"
    )
    return scanners, token_after


def _trim_bare(value: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets from an unquoted value."""
    while value:
        last = value[-1]
        if last in ".*:;" or (last in _CLOSERS and value.count(_CLOSERS[last]) < value.count(last)):
            value = value[:-1]
        else:
            break
    return value


def _entropy(token: str) -> float:
    n = len(token)
    return -sum(c / n * math.log2(c / n) for c in Counter(token).values())


def _is_path(token: str) -> bool:
    """``projects/acme/secrets/X/versions/latest``: every segment is a word, not noise."""
    parts = token.split("/")
    return len(parts) > 1 and all(_PATH_SEGMENT.fullmatch(p) for p in parts)


# -- the redactor ----------------------------------------------------------------------------

_Span = tuple[int, int, int, str]  # start, end, priority, kind


class Redactor:
    """Find and replace secrets in text. Build one and reuse it: construction compiles."""

    def __init__(self, options: RedactionOptions | None = None) -> None:
        self.options = options or RedactionOptions()
        self._rules = _known_rules()
        self._allow = tuple(re.compile(p) for p in self.options.allow)
        self._scanners, self._token_after = _keyed_patterns(self.options.min_length)

    def find(self, text: str) -> list[Redaction]:
        """The secrets in ``text``: non-overlapping spans, sorted by position."""
        merged: list[Redaction] = []
        best = 0
        for start, end, priority, kind in sorted(self._spans(text)):
            if merged and start < merged[-1].end:  # overlap: one span, the strongest kind
                last = merged[-1]
                if priority < best:
                    best, last_kind = priority, kind
                else:
                    last_kind = last.kind
                merged[-1] = Redaction(last_kind, last.start, max(last.end, end))
            else:
                best = priority
                merged.append(Redaction(kind, start, end))
        return merged

    def redact(self, text: str) -> Redacted:
        """``text`` with every secret replaced by ``[redacted:<kind>]``."""
        found = self.find(text)
        if not found:
            return Redacted(text, MappingProxyType({}))
        pieces: list[str] = []
        pos = 0
        for r in found:
            pieces += [text[pos : r.start], f"{_MARK}{r.kind}]"]
            pos = r.end
        pieces.append(text[pos:])
        counts = dict(sorted(Counter(r.kind for r in found).items()))
        return Redacted("".join(pieces), MappingProxyType(counts))

    # -- scanning ----------------------------------------------------------------------------

    def _spans(self, text: str) -> Iterator[_Span]:
        lowered = text.lower()
        if len(lowered) != len(text):  # a rare character (İ) lowercases to two: keep offsets
            lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        yield from self._known(text, lowered)
        yield from self._keyed(text, lowered)

    def _keep(self, text: str, start: int, end: int) -> bool:
        """Whether a finding must stay: empty, already redacted, or allow-listed."""
        value = text[start:end]
        return (
            not value
            or text.startswith(_MARK, start)
            or text.startswith(_MARK[1:], start)
            or text.endswith(_MARK, 0, start)
            or any(a.fullmatch(value) for a in self._allow)
        )

    def _known(self, text: str, lowered: str) -> Iterator[_Span]:
        for rule in self._rules:
            if isinstance(rule.hint, str) and rule.hint not in lowered:
                continue
            if isinstance(rule.hint, re.Pattern) and not rule.hint.search(lowered):
                continue
            for m in rule.pattern.finditer(lowered if rule.lowered else text):
                start, end = m.span(rule.group)
                start -= rule.back
                if rule.left and start and text[start - 1] in _TOKEN_CHARS:
                    continue
                if rule.extend is not None and (tail := rule.extend.match(text, end)):
                    end = tail.end()
                    while end > start + 1 and text[end - 1] == ".":
                        end -= 1
                if rule.accept is not None and not rule.accept(text[start:end]):
                    continue
                if rule.context is not None and not rule.context(text, start, end):
                    continue
                if not self._keep(text, start, end):
                    yield start, end, rule.priority, rule.kind

    def _keyed(self, text: str, lowered: str) -> Iterator[_Span]:
        seen: set[int] = set()
        for scanner in self._scanners:
            for m in scanner.finditer(lowered):
                name_start = m.start()
                while name_start and text[name_start - 1] in _NAME_CHARS:
                    name_start -= 1
                if name_start in seen or text.endswith(_MARK, 0, name_start):
                    continue
                seen.add(name_start)
                name_end = _NAME_RUN.match(text, m.start()).end()  # type: ignore[union-attr]
                while text[name_end - 1] == "." and name_end > m.start() + 1:
                    name_end -= 1  # "... the API key." ends a sentence, not a name
                yield from self._near_name(text, name_start, name_end)

    def _near_name(self, text: str, name_start: int, name_end: int) -> Iterator[_Span]:
        name = text[name_start:name_end]
        assigned = _ASSIGNED.match(text, name_end)
        if assigned is not None:
            group = next(g for g in ("dq", "sq", "bq", "bare") if assigned.group(g) is not None)
            start, end = assigned.span(group)
            value = assigned.group(group)
            if group == "bare":
                value = _trim_bare(value)
                end = start + len(value)
            if _is_reference(value) or "/secrets/" in value:
                return  # a reference: neither an assignment nor a high-entropy token
            before = _WORD_BEFORE.search(text, max(0, name_start - 24), name_start)
            if _is_secret_name(name, before.group(1) if before else None, value):
                if group == "bare" and value.isalpha() and _PROSE_AFTER.match(text, end):
                    return  # "Password: stored in Secret Manager" is prose
                if value.lower() in (name.lower(), _segments(name)[-1]):
                    return  # token=token: a variable passed along
                if not self._keep(text, start, end):
                    yield start, end, _P_ASSIGNMENT, "password-assignment"
                return
        found = self._token_after.match(text, name_end)
        if found is None or not _is_keylike(name):
            return
        token, start, end = found.group("tok"), found.start("tok"), found.end("tok")
        if _UUID.match(token) or _ENV_NAME.match(token) or _is_path(token):
            return
        is_hex = all(c in _HEX for c in token)
        if is_hex and len(token) in (40, 64) and not found.group("sep").strip():
            return  # "the key in commit 3f2a...": a git SHA or a sha256 in prose
        opts = self.options
        limit = opts.hex_entropy if is_hex else opts.base64_entropy
        limit = min(limit, math.log2(len(token)) - opts.entropy_margin)
        if _entropy(token) > limit and not self._keep(text, start, end):
            yield start, end, _P_ENTROPY, "high-entropy"
