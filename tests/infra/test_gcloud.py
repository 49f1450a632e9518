"""Every gcloud command the product prints is one the real gcloud CLI accepts.

Where gcloud is installed, each distinct command (by group, flags and word count) is parsed by
it with no account and no network: a command whose arguments parse stops at "no active
account" (exit 1), an argument error exits 2. Where it is not, the test says so and skips;
the structural checks below run everywhere.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config import load_config
from infra import image_build_command, plan, render_gcloud, secret_version_command
from tests.infra.gcloud_commands import (
    INTERACTIVE,
    bash_blocks,
    gcloud_argvs,
    gcloud_parse,
    installed_cli_tree,
    tree_problems,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "infra" / "cloud.example.toml"

#: command group -> the flags the product uses with it (gcloud 528's reference); a new flag or
#: command must be added here on purpose, after checking it against gcloud's reference.
KNOWN: dict[tuple[str, ...], set[str]] = {
    ("services", "enable"): {"--project"},
    ("artifacts", "repositories", "describe"): {"--project", "--location"},
    ("artifacts", "repositories", "create"): {"--project", "--location", "--repository-format"},
    ("auth", "configure-docker"): {"--quiet"},
    ("auth", "login"): set(),
    ("auth", "application-default", "login"): set(),
    ("config", "set"): set(),
    ("builds", "submit"): {"--project", "--region", "--config", "--substitutions"},
    ("iam", "service-accounts", "describe"): {"--project"},
    ("iam", "service-accounts", "create"): {"--project", "--display-name"},
    ("secrets", "describe"): {"--project"},
    ("secrets", "create"): {"--project", "--replication-policy"},
    ("secrets", "add-iam-policy-binding"): {"--project", "--member", "--role"},
    ("secrets", "versions", "add"): {"--project", "--data-file"},
    ("secrets", "versions", "list"): {"--project", "--filter", "--limit", "--format"},
    ("secrets", "versions", "access"): {"--secret", "--project"},
    ("projects", "add-iam-policy-binding"): {"--member", "--role", "--condition"},
    ("run", "deploy"): {
        "--project",
        "--region",
        "--image",
        "--service-account",
        "--command",
        "--args",
        "--set-env-vars",
        "--set-secrets",
        "--set-cloudsql-instances",
        "--min-instances",
        "--max-instances",
        "--concurrency",
        "--cpu",
        "--memory",
        "--timeout",
        "--cpu-throttling",
        "--no-cpu-throttling",
        "--ingress",
        "--allow-unauthenticated",
        "--no-allow-unauthenticated",
    },
    ("run", "services", "add-iam-policy-binding"): {"--project", "--region", "--member", "--role"},
    ("run", "services", "describe"): {"--project", "--region", "--format"},
    ("scheduler", "jobs", "describe"): {"--project", "--location"},
    ("scheduler", "jobs", "update", "http"): {
        "--project",
        "--location",
        "--schedule",
        "--time-zone",
        "--uri",
        "--http-method",
        "--oidc-service-account-email",
        "--oidc-token-audience",
        "--attempt-deadline",
    },
    ("scheduler", "jobs", "create", "http"): {
        "--project",
        "--location",
        "--schedule",
        "--time-zone",
        "--uri",
        "--http-method",
        "--oidc-service-account-email",
        "--oidc-token-audience",
        "--attempt-deadline",
    },
    ("sql", "instances", "create"): {
        "--project",
        "--region",
        "--database-version",
        "--edition",
        "--tier",
    },
    ("sql", "databases", "create"): {"--instance", "--project"},
    ("sql", "users", "create"): {"--instance", "--project", "--password"},
}


def product_commands() -> list[list[str]]:
    """Every gcloud command the product prints: script, stop messages and both READMEs."""
    the_plan = plan(load_config(EXAMPLE))
    texts = [
        render_gcloud(the_plan),
        "\n".join(secret_version_command(s) for s in the_plan.secrets),
        "\n".join(image_build_command(r) for r in the_plan.repositories),
        bash_blocks((ROOT / "infra" / "README.md").read_text()),
        bash_blocks((ROOT / "README.md").read_text()),
    ]
    argvs = [argv for text in texts for argv in gcloud_argvs(text)]
    # the script's scheduler command as "update" too (it runs "$VERB" = create or update)
    argvs += [
        [*a[:3], "update", *a[4:]] for a in argvs if a[1:4] == ["scheduler", "jobs", "create"]
    ]
    return argvs


def group(argv: list[str]) -> tuple[str, ...]:
    words = [t for t in argv[1:] if not t.startswith("-")]
    for size in (4, 3, 2):
        if tuple(words[:size]) in KNOWN:
            return tuple(words[:size])
    return tuple(words[:3])


def test_the_product_prints_the_commands_a_deploy_needs() -> None:
    groups = {group(a) for a in product_commands()}
    for needed in [
        ("sql", "instances", "create"),
        ("builds", "submit"),
        ("secrets", "versions", "add"),
        ("run", "deploy"),
        ("scheduler", "jobs", "create", "http"),
    ]:
        assert needed in groups, needed


def test_the_cloud_sql_instance_is_created_in_the_enterprise_edition() -> None:
    (create,) = [a for a in product_commands() if group(a) == ("sql", "instances", "create")]
    assert "--edition=enterprise" in create  # db-g1-small is shared-core: Enterprise only
    assert "--tier=db-g1-small" in create and "--database-version=POSTGRES_16" in create


def test_every_command_uses_only_known_groups_and_flags() -> None:
    """Structural check: runs without gcloud, so a typo in a flag fails everywhere."""
    for argv in product_commands():
        key = group(argv)
        assert key in KNOWN, f"unknown gcloud command {' '.join(argv)[:120]}"
        flags = {t.split("=", 1)[0] for t in argv if t.startswith("--")}
        assert flags <= KNOWN[key], f"{' '.join(key)}: unknown flags {flags - KNOWN[key]}"


def test_the_structural_check_catches_a_misspelt_flag() -> None:
    argv = ["gcloud", "secrets", "create", "X", "--replication-polcy=automatic"]
    flags = {t.split("=", 1)[0] for t in argv if t.startswith("--")}
    assert not flags <= KNOWN[group(argv)]


TREE = installed_cli_tree()


@pytest.mark.skipif(TREE is None, reason="no gcloud CLI (and so no CLI tree) is installed")
def test_every_command_flag_and_choice_is_in_the_installed_gcloud_tree() -> None:
    """Every command, not one per shape: the tree is read once, no process per command."""
    assert TREE is not None
    problems = {
        " ".join(argv)[:120]: found
        for argv in product_commands()
        if (found := tree_problems(argv, TREE))
    }
    assert not problems, problems
    bad = ["gcloud", "run", "deploy", "x", "--ingress=everywhere", "--cpu-throtling"]
    assert len(tree_problems(bad, TREE)) == 2  # the check can fail


@pytest.mark.skipif(shutil.which("gcloud") is None, reason="the gcloud CLI is not installed")
def test_the_real_gcloud_accepts_every_command(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    shutil.copy(ROOT / "infra" / "cloudbuild.yaml", tmp_path / "infra" / "cloudbuild.yaml")
    # the login commands open a browser flow: the tree check above covers them
    commands = [a for a in product_commands() if group(a) not in INTERACTIVE]
    wrong = ["gcloud", "secrets", "create", "X", "--project=p", "--replication-polcy=automatic"]
    *results, (wrong_accepted, wrong_detail) = gcloud_parse([*commands, wrong], tmp_path)
    refused = [
        f"{' '.join(argv)[:160]}\n    {detail}"
        for argv, (accepted, detail) in zip(commands, results, strict=True)
        if not accepted
    ]
    assert not refused, "gcloud refused:\n" + "\n".join(refused)
    # the check can fail: a misspelt flag is refused as an argument error
    assert not wrong_accepted and "unrecognized arguments" in wrong_detail
