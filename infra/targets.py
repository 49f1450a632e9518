"""What runs where: the functions-framework targets, each its own Cloud Run service.

One container image runs every target of ``main.py``; ``SPECS`` sizes each target's service
and says which ones keep state (the webhook outbox in PostgreSQL). ``APIS`` are the Google APIs
a deployment needs, enabled first.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from config import FUNCTION_TARGETS, env_name
from infra.resources import ServiceSpec

__all__ = ["CONFIG_PATH", "TARGETS"]

#: The functions-framework targets in ``main.py``, one Cloud Run service each (defined in
#: :mod:`config`, beside the bearer-token targets, so ``functions`` and ``infra`` agree).
TARGETS = FUNCTION_TARGETS
#: Where ``infra/Dockerfile`` puts brain.toml in the image; services get ``BRAIN_CONFIG`` = this.
CONFIG_PATH = "/app/brain.toml"
#: The environment override of ``[state] url``: Cloud Run sets it from the state URL secret.
STATE_URL_ENV = env_name("state.url")


#: The Google APIs a deployment uses, and why (Cloud SQL Admin only with a Cloud SQL instance).
APIS: Mapping[str, str] = MappingProxyType(
    {
        "serviceusage.googleapis.com": "enables the others",
        "iam.googleapis.com": "service accounts",
        "cloudresourcemanager.googleapis.com": "project IAM bindings",
        "artifactregistry.googleapis.com": "the image repository",
        "cloudbuild.googleapis.com": "builds the image (gcloud builds submit)",
        "secretmanager.googleapis.com": "secrets",
        "run.googleapis.com": "the services",
        "cloudscheduler.googleapis.com": "the scheduled sync",
    }
)
CLOUDSQL_API = "sqladmin.googleapis.com"

SPECS: Mapping[str, ServiceSpec] = MappingProxyType(
    {
        # Reads shards from Notion and packs context: the most memory (tokenizer, BM25 index).
        # Uses the state database for the page marks /notion/events records (change feed),
        # and starts from the saved index the sync job keeps there.
        "context": ServiceSpec(0, 10, 40, "1", "1Gi", 60, False, True),
        # CPU always allocated: an accepted event is answered 202 as soon as it is in the
        # outbox, and the drainer thread appends it to the log page *after* the response.
        # With Cloud Run's default request-based CPU the instance is throttled to almost
        # nothing once the response is sent, so the thread would stall until the next request
        # (or the next scheduled /sync). Nothing is lost either way: the outbox is durable and
        # /sync drains it, but log lines would lag by up to the sync interval.
        "webhooks": ServiceSpec(0, 10, 80, "1", "512Mi", 60, True, True),
        # Notion events: verification handshakes go through the webhook receiver (outbox).
        "notion_events": ServiceSpec(0, 3, 80, "1", "512Mi", 60, False, True),
        # One sync at a time: concurrent syncs would race to rewrite the router page. The
        # saved index's one writer: each run brings it up to the pages it synced.
        "sync": ServiceSpec(0, 1, 1, "1", "1Gi", 600, False, True),
        # The MCP tools over streamable HTTP, stateless (any instance answers any request):
        # get_context for Claude Code and Claude on a phone, behind the bearer token.
        "mcp": ServiceSpec(0, 5, 40, "1", "1Gi", 60, False, True),
        # The operator's status page: the shards (from the same snapshot as get_context) and
        # the outbox, sync and webhook counts in the state database; behind the bearer token.
        "status": ServiceSpec(0, 2, 20, "1", "1Gi", 60, False, True),
    }
)
