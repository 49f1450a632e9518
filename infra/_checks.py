"""What in a config would not work in the cloud (errors) or is risky there (warnings).

Each check appends :class:`~infra.resources.Finding` s naming the config key, what is wrong
and what to do; :func:`infra.plan` runs them. No I/O.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from config import NOTION_EVENTS_SOURCE, BrainConfig, DeployConfig
from infra.resources import Finding
from infra.targets import STATE_URL_ENV

_NAME_OK = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def check_deploy_section(d: DeployConfig, errors: list[Finding], warnings: list[Finding]) -> None:
    placeholder = DeployConfig()
    if d.project == placeholder.project:
        errors.append(
            Finding(
                "deploy.project",
                f"is the placeholder {d.project!r}",
                "Set [deploy] project to your Google Cloud project id.",
            )
        )
    if d.image == placeholder.image:
        errors.append(
            Finding(
                "deploy.image",
                f"is the placeholder {d.image!r}",
                "Set [deploy] image to your Artifact Registry image, "
                "REGION-docker.pkg.dev/PROJECT/REPOSITORY/brain:VERSION.",
            )
        )
    elif "@sha256:" not in d.image and (
        ":" not in d.image.rsplit("/", 1)[-1] or d.image.endswith(":latest")
    ):
        warnings.append(
            Finding(
                "deploy.image",
                f"{d.image!r} has no version tag (or is 'latest')",
                "Pin a version tag or digest, so a redeploy or a new instance runs the image "
                "you reviewed.",
            )
        )
    if not _NAME_OK.match(d.service_prefix):
        errors.append(
            Finding(
                "deploy.service_prefix",
                f"{d.service_prefix!r} cannot start a Cloud Run service name",
                "Use lower-case letters, digits and hyphens, starting with a letter.",
            )
        )
    if len(d.sync_schedule.split()) != 5:
        errors.append(
            Finding(
                "deploy.sync_schedule",
                f"{d.sync_schedule!r} is not a five-field cron schedule",
                "Use unix-cron syntax, for example '*/15 * * * *' (every 15 minutes).",
            )
        )


def check_state(config: BrainConfig, errors: list[Finding], warnings: list[Finding]) -> str | None:
    """Problems with shared state; returns the Cloud SQL connection name to attach, if any."""
    d, url = config.deploy, config.state.url
    found = re.search(r"/cloudsql/([^/?&#\s]+)", unquote(url))
    cloudsql = d.cloudsql_instance or (found.group(1) if found else None)
    if d.state_url_secret is not None:  # the URL comes from Secret Manager at run time
        if cloudsql is None:
            warnings.append(
                Finding(
                    "deploy.cloudsql_instance",
                    "is not set, so no Cloud SQL instance is attached to the services",
                    "Set it to PROJECT:REGION:INSTANCE when the URL in "
                    f"{d.state_url_secret!r} uses host=/cloudsql/...; a server on a private "
                    "IP needs a VPC connector instead.",
                )
            )
        return cloudsql
    if not url or url.startswith("sqlite:"):
        errors.append(
            Finding(
                "state.url",
                "is SQLite (the default when empty): a file inside one container, not shared "
                "between instances or services and lost when the instance stops",
                "Use PostgreSQL (Cloud SQL): set [deploy] state_url_secret to an sm: reference "
                "holding 'postgresql://USER:PASSWORD@/DB?host=/cloudsql/PROJECT:REGION:INSTANCE' "
                "and [deploy] cloudsql_instance to PROJECT:REGION:INSTANCE.",
            )
        )
        return cloudsql
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        errors.append(
            Finding(
                "state.url",
                f"scheme {parts.scheme!r} is not PostgreSQL",
                "Use a postgresql:// URL (Cloud SQL for PostgreSQL).",
            )
        )
    if parts.password or "password=" in parts.query:
        warnings.append(
            Finding(
                "state.url",
                "holds a database password, which then lives in brain.toml and in the image",
                "Move the URL into Secret Manager and set [deploy] state_url_secret to its sm: "
                f"reference (Cloud Run injects it as {STATE_URL_ENV}); leave [state] url empty.",
            )
        )
    if cloudsql is None:
        warnings.append(
            Finding(
                "state.url",
                "names no Cloud SQL instance, so no instance is attached to the services",
                "For Cloud SQL use host=/cloudsql/PROJECT:REGION:INSTANCE in the URL (or set "
                "[deploy] cloudsql_instance); a server on a private IP needs a VPC connector.",
            )
        )
    return cloudsql


def check_functions(
    config: BrainConfig, bearer: bool, errors: list[Finding], warnings: list[Finding]
) -> None:
    store = config.store
    if store.kind == "local":
        errors.append(
            Finding(
                "store.kind",
                "is 'local': pages would live in the container's ephemeral filesystem, "
                "separate in every instance and lost when it stops",
                "Use [store] kind = 'notion' with root_page_id and token = "
                "'sm:projects/P/secrets/NOTION_API_TOKEN/versions/latest'.",
            )
        )
    elif not store.token or not store.root_page_id:
        errors.append(
            Finding(
                "store.token" if not store.token else "store.root_page_id",
                "[store] kind = 'notion' needs root_page_id and token",
                "Set root_page_id to the Context Index page id and token to an sm: reference "
                "to the Notion integration token.",
            )
        )
    if not bearer:
        warnings.append(
            Finding(
                "serve.auth_token",
                "is not set, so the context, mcp and status services are deployed private "
                "(Cloud Run IAM), which Claude Code cannot authenticate to, and mcp refuses "
                "every request",
                "Set [serve] auth_token = "
                "'sm:projects/P/secrets/BRAIN_AUTH_TOKEN/versions/latest' (a long random "
                "token); otherwise callers need roles/run.invoker and a Google ID token.",
            )
        )
    notion = config.webhooks.sources.get(NOTION_EVENTS_SOURCE)
    if notion is None or notion.scheme != "notion":
        warnings.append(
            Finding(
                f"webhooks.sources.{NOTION_EVENTS_SOURCE}",
                "is not a 'notion' source, so POST /notion/events will answer 404",
                f"Add [webhooks.sources.{NOTION_EVENTS_SOURCE}] scheme = 'notion' with the "
                "integration's verification token as its secret, or ignore the service.",
            )
        )
        return
    if not notion.secrets:
        warnings.append(
            Finding(
                f"webhooks.sources.{NOTION_EVENTS_SOURCE}.secrets",
                "is empty, and in the cloud Notion's one-time verification token is not kept "
                "anywhere (there is no local state folder)",
                "Verify the webhook against 'brain serve' with a local store first, then store "
                "the token in Secret Manager and reference it here.",
            )
        )
