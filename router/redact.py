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
   Azure storage, OpenAI, JWT (with the plugin's own ``is_formally_valid`` check) and basic-auth
   URLs (its capture group: only the password). Each is anchored on the left so it cannot start
   inside a longer token, and the variable-length ones are extended to the end of the token
   (the Stripe and OpenAI regexes stop after a fixed length; today's keys are longer). Not
   reused: Artifactory (its ``AP[0-9A-F]`` rule hits ordinary words), public IPs (hosts are
   context here, not secrets), NPM (its regex runs to the end of the line; ``npm_`` tokens are
   matched here and ``_authToken=`` values by layer 2), and the keyword/entropy plugins (layers 2
   and 3 replace them). Added here: Anthropic, newer OpenAI, Google API key and OAuth, Notion,
   ``whsec_`` webhook secrets, fine-grained GitHub PATs, Stripe test keys, Slack app tokens, whole
   PEM/PGP/SSH2/PuTTY private-key blocks, GCP service-account ``"private_key"`` values, and
   ``Authorization: Bearer``/``Basic`` credentials. ``detect-secrets`` is imported on the first
   :class:`Redactor` (it pulls in ``requests``, about 0.1 s), not when this module is imported.
2. **Assignments** (kind ``password-assignment``): ``password = x``, ``DB_PASSWORD: "x"``,
   ``"client_secret": "x"``, ``api_key=x``, ``token: x`` in env/YAML/JSON/shell. Only the value
   is replaced. References, placeholders and code stay (``env:X``, ``${X}``, ``<yours>``,
   ``***``, ``None``, type annotations, ``os.environ[...]``: see :func:`_is_reference`); prose
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
instead of ``(?i)``, and the few that start with a character class wait for a cheap hint.
Python runs only on matches. No per-line scanning through detect-secrets' own machinery.
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
    hint: str | re.Pattern[str] | None = None  # cheap pre-check on the lowercased text
    lowered: bool = False  # scan the lowercased text: a literal prefix is much faster than (?i)
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
    return len(value) < 2 or _REFERENCE.match(value) is not None or "op://" in value


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

_PRIVATE_KEY_BLOCK = re.compile(
    r"-{4,5} ?BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)? ?-{4,5}"
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


def _reused_rules() -> list[_Rule]:
    """Rules built from detect-secrets' plugin regexes (see the module docstring)."""
    from detect_secrets.plugins.aws import AWSKeyDetector
    from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
    from detect_secrets.plugins.basic_auth import BasicAuthDetector
    from detect_secrets.plugins.discord import DiscordBotTokenDetector
    from detect_secrets.plugins.github_token import GitHubTokenDetector
    from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
    from detect_secrets.plugins.jwt import JwtTokenDetector
    from detect_secrets.plugins.mailchimp import MailchimpDetector
    from detect_secrets.plugins.openai import OpenAIDetector
    from detect_secrets.plugins.pypi_token import PypiTokenDetector
    from detect_secrets.plugins.sendgrid import SendGridDetector
    from detect_secrets.plugins.slack import SlackDetector
    from detect_secrets.plugins.square_oauth import SquareOAuthDetector
    from detect_secrets.plugins.stripe import StripeDetector
    from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
    from detect_secrets.plugins.twilio import TwilioKeyDetector

    def bounded(p: re.Pattern[str]) -> re.Pattern[str]:  # fixed length: no longer token
        return re.compile(p.pattern + r"(?![A-Za-z0-9])", p.flags)

    def cased(p: re.Pattern[str]) -> re.Pattern[str]:  # for the lowercased text: drop (?i)
        return re.compile(p.pattern, p.flags & ~re.IGNORECASE)

    def first(detector: type) -> re.Pattern[str]:
        patterns: list[re.Pattern[str]] = list(detector.denylist)  # type: ignore[attr-defined]
        return patterns[0]

    aws = list(AWSKeyDetector.denylist)
    slack = list(SlackDetector.denylist)
    rules = [
        _Rule("aws-access-key", bounded(aws[0])),
        _Rule("aws-secret-key", cased(aws[1]), group=1, left=False, lowered=True),
        _Rule("slack-token", cased(slack[0]), lowered=True),
        _Rule("slack-webhook", slack[1], extend=_TOKEN_TAIL, hint="hooks.slack.com"),
        _Rule("jwt", first(JwtTokenDetector), extend=_JWT_TAIL,
              accept=JwtTokenDetector.is_formally_valid),
        _Rule("basic-auth", first(BasicAuthDetector), group=1, left=False,
              accept=lambda v: not _is_reference(v)),
        _Rule("azure-storage-key", first(AzureStorageKeyDetector)),
        _Rule("twilio-key", bounded(TwilioKeyDetector.denylist[0])),
        _Rule("twilio-key", bounded(TwilioKeyDetector.denylist[1])),
        _Rule("mailchimp-key", bounded(first(MailchimpDetector)), hint=re.compile(r"-us[0-9]")),
        _Rule("telegram-token", bounded(first(TelegramBotTokenDetector)),
              hint=re.compile(r":(?<=[0-9]{8}:)[0-9A-Za-z_\-]{35}")),
        _Rule("discord-token", bounded(first(DiscordBotTokenDetector)),
              hint=re.compile(r"\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27}")),
    ]  # fmt: skip
    for kind, detector, tail, hint in (
        ("github-token", GitHubTokenDetector, _TOKEN_TAIL, None),
        ("gitlab-token", GitLabTokenDetector, None, None),
        ("stripe-key", StripeDetector, _TOKEN_TAIL, "k_live_"),
        ("sendgrid-key", SendGridDetector, _TOKEN_TAIL, None),
        ("square-secret", SquareOAuthDetector, _TOKEN_TAIL, None),
        ("pypi-token", PypiTokenDetector, None, None),
        ("openai-key", OpenAIDetector, _TOKEN_TAIL, None),
    ):
        rules += [_Rule(kind, p, extend=tail, hint=hint) for p in detector.denylist]
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
                if rule.left and start and text[start - 1] in _TOKEN_CHARS:
                    continue
                if rule.extend is not None and (tail := rule.extend.match(text, end)):
                    end = tail.end()
                    while end > start + 1 and text[end - 1] == ".":
                        end -= 1
                if rule.accept is not None and not rule.accept(text[start:end]):
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
