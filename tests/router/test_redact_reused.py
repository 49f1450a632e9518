"""The detect-secrets regexes kept in router.redact are the installed plugins' own.

router.redact copies them so a process serving context does not import detect-secrets; this
test is what notices when an upgrade of detect-secrets changes a plugin's ``denylist``.
"""

from __future__ import annotations

import re
from importlib import import_module

import pytest

from router.redact import REUSED_PATTERNS, Redactor

#: detector class -> its module under detect_secrets.plugins
_MODULES = {
    "AWSKeyDetector": "aws",
    "AzureStorageKeyDetector": "azure_storage_key",
    "DiscordBotTokenDetector": "discord",
    "GitHubTokenDetector": "github_token",
    "GitLabTokenDetector": "gitlab_token",
    "JwtTokenDetector": "jwt",
    "MailchimpDetector": "mailchimp",
    "OpenAIDetector": "openai",
    "PypiTokenDetector": "pypi_token",
    "SendGridDetector": "sendgrid",
    "SlackDetector": "slack",
    "SquareOAuthDetector": "square_oauth",
    "StripeDetector": "stripe",
    "TelegramBotTokenDetector": "telegram_token",
    "TwilioKeyDetector": "twilio",
}


def test_every_reused_detector_is_checked() -> None:
    assert sorted(REUSED_PATTERNS) == sorted(_MODULES)


@pytest.mark.parametrize("detector", sorted(_MODULES))
def test_kept_patterns_equal_the_plugins_denylist(detector: str) -> None:
    plugin = getattr(import_module(f"detect_secrets.plugins.{_MODULES[detector]}"), detector)
    theirs = [(p.pattern, p.flags) for p in plugin.denylist]
    ours = [(c.pattern, c.flags) for c in (re.compile(p, f) for p, f in REUSED_PATTERNS[detector])]
    assert ours == theirs


def test_a_jwt_is_still_checked_by_the_plugins_validator() -> None:
    redactor = Redactor()
    valid = (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0"
        ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    )
    not_json = "eyJhbGciOiJIUzI1NiJ9x.eyJzdWIiOiIxMjM0.abc"  # header is not base64 JSON
    assert [r.kind for r in redactor.find(f"token {valid} here")] == ["jwt"]
    assert "jwt" not in [r.kind for r in redactor.find(f"see {not_json} here")]
