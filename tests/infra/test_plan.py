"""The deploy plan: resources, findings, and the gcloud/text/proto renderings of it."""

from __future__ import annotations

import ast
import importlib
import json
import re
import shlex
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
from google.cloud import run_v2
from pydantic import ValidationError

import infra
from config import BrainConfig
from infra import (
    CONFIG_PATH,
    TARGETS,
    DeployPlan,
    plan,
    render_gcloud,
    render_text,
    to_service_protos,
)

ROOT = Path(__file__).resolve().parents[2]
P = "acme-prod"
SA = "iam.gserviceaccount.com"
ALL_SERVICES = {
    "brain-context",
    "brain-webhooks",
    "brain-notion-events",
    "brain-sync",
    "brain-mcp",
    "brain-status",
}


def sm(secret: str, version: str = "latest", project: str = P) -> str:
    return f"sm:projects/{project}/secrets/{secret}/versions/{version}"


def cloud_config(**sections: Any) -> BrainConfig:
    """A config meant for the cloud: Notion store, PostgreSQL via a secret, Cloud SQL."""
    data: dict[str, Any] = {
        "store": {"kind": "notion", "root_page_id": "root", "token": sm("NOTION_API_TOKEN")},
        "webhooks": {
            "sources": {
                "github": {"scheme": "github", "secrets": [sm("GITHUB_WEBHOOK_SECRET", "2")]},
                "notion": {"scheme": "notion", "secrets": [sm("NOTION_VERIFICATION", "1")]},
            }
        },
        "deploy": {
            "project": P,
            "region": "europe-west1",
            "image": "europe-west1-docker.pkg.dev/acme-prod/brain/brain:1.0",
            "state_url_secret": sm("BRAIN_STATE_URL", "3"),
            "cloudsql_instance": f"{P}:europe-west1:brain",
        },
    }
    for name, section in sections.items():
        data[name] = {**data.get(name, {}), **section}
    return BrainConfig(**data)


@pytest.fixture
def cloud() -> DeployPlan:
    return plan(cloud_config())


def keys(findings: list[infra.Finding]) -> set[str]:
    return {f.key for f in findings}


def commands(script: str) -> list[list[str]]:
    """Each command line of a rendered script as argv (continuations joined, comments out)."""
    joined = script.replace("\\\n", " ")
    return [
        shlex.split(line)
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def deploy_argv(script: str, service: str) -> list[str]:
    (argv,) = [c for c in commands(script) if c[:4] == ["gcloud", "run", "deploy", service]]
    return argv


# -- resources -------------------------------------------------------------------------------


def test_a_cloud_config_plans_one_cloud_run_service_per_target(cloud: DeployPlan) -> None:
    assert cloud.ok, [str(e) for e in cloud.errors]
    assert [s.target for s in cloud.services] == list(TARGETS)
    assert [s.name for s in cloud.services] == [
        "brain-context",
        "brain-webhooks",
        "brain-notion-events",
        "brain-sync",
        "brain-mcp",
        "brain-status",
    ]
    for s in cloud.services:
        assert s.image == "europe-west1-docker.pkg.dev/acme-prod/brain/brain:1.0"
        assert s.region == "europe-west1"
        assert s.command == ("functions-framework",)
        assert s.args == ("--asgi", "--source=main.py", f"--target={s.target}")
        assert dict(s.env)["BRAIN_CONFIG"] == CONFIG_PATH
        assert s.service_account == f"{s.name}@{P}.{SA}"
        assert s.ingress == "all"


def test_only_the_webhooks_service_keeps_its_cpu_after_the_response(cloud: DeployPlan) -> None:
    assert {s.target for s in cloud.services if s.spec.cpu_always_allocated} == {"webhooks"}


def test_the_sync_service_is_private_single_and_serial(cloud: DeployPlan) -> None:
    sync = cloud.service("sync")
    assert not sync.public
    assert (sync.spec.max_instances, sync.spec.concurrency) == (1, 1)
    assert cloud.service("webhooks").public and cloud.service("notion_events").public


def test_each_sm_reference_is_a_secret_readable_by_exactly_the_services_that_use_it(
    cloud: DeployPlan,
) -> None:
    readers = {s.secret_id: set(s.used_by) for s in cloud.secrets}
    assert readers == {
        "NOTION_API_TOKEN": ALL_SERVICES,
        "GITHUB_WEBHOOK_SECRET": {"brain-webhooks"},
        "NOTION_VERIFICATION": {"brain-webhooks", "brain-notion-events"},
        "BRAIN_STATE_URL": ALL_SERVICES,
    }
    granted = {
        (b.resource.rsplit("/", 1)[-1], b.member.split(":")[1].split("@")[0])
        for b in cloud.bindings
        if b.role == "roles/secretmanager.secretAccessor"
    }
    assert granted == {(secret, user) for secret, users in readers.items() for user in users}
    assert all(b.resource_type == "secret" for b in cloud.bindings if "secretmanager" in b.role)
    github = next(s for s in cloud.secrets if s.secret_id == "GITHUB_WEBHOOK_SECRET")
    assert github.versions == ("2",)
    assert github.config_keys == ("webhooks.sources.github.secrets",)


def test_the_serve_token_is_read_by_the_context_mcp_and_status_services_only() -> None:
    config = cloud_config(serve={"auth_token": sm("BRAIN_AUTH_TOKEN")})
    result = plan(config)
    (secret,) = [s for s in result.secrets if s.secret_id == "BRAIN_AUTH_TOKEN"]
    assert secret.used_by == ("brain-context", "brain-mcp", "brain-status")
    assert result.service("context").public and result.service("mcp").public
    assert result.service("status").public
    mcp = result.service("mcp")
    assert mcp.args == ("--asgi", "--source=main.py", "--target=mcp")
    assert mcp.spec.min_instances == 0  # scale to zero: a phone's occasional call pays per use


def test_the_index_key_is_read_by_the_services_that_load_or_save_the_saved_index() -> None:
    result = plan(cloud_config(context={"index_key": sm("BRAIN_INDEX_KEY")}))
    (secret,) = [s for s in result.secrets if s.secret_id == "BRAIN_INDEX_KEY"]
    assert sorted(secret.used_by) == ["brain-context", "brain-mcp", "brain-status", "brain-sync"]
    assert secret.config_keys == ("context.index_key",)
    assert not [w for w in result.warnings if w.key == "context.index_key"]


def test_an_unsigned_saved_index_is_a_warning_naming_the_secret_to_add(cloud: DeployPlan) -> None:
    (warning,) = [w for w in cloud.warnings if w.key == "context.index_key"]
    assert "unsigned" in warning.message
    assert f"sm:projects/{P}/secrets/BRAIN_INDEX_KEY/versions/latest" in warning.hint
    off = plan(cloud_config(context={"persist_index": False, "index_key": sm("BRAIN_INDEX_KEY")}))
    assert not [w for w in off.warnings if w.key == "context.index_key"]
    assert not [s for s in off.secrets if s.secret_id == "BRAIN_INDEX_KEY"]  # never read


def test_warm_targets_keep_one_instance_and_the_others_scale_to_zero(cloud: DeployPlan) -> None:
    assert all(s.spec.min_instances == 0 for s in cloud.services)
    warm = plan(cloud_config(deploy={"warm": ["mcp", "context", "mcp"]}))
    kept = {s.target: s.spec.min_instances for s in warm.services}
    assert kept == {t: int(t in ("context", "mcp")) for t in kept}
    assert "--min-instances=1" in deploy_argv(render_gcloud(warm), "brain-mcp")
    assert "--min-instances=0" in deploy_argv(render_gcloud(warm), "brain-status")
    with pytest.raises(ValidationError, match="'contxt': not a target"):
        cloud_config(deploy={"warm": ["contxt"]})


def test_the_scheduler_posts_sync_with_an_oidc_token_of_an_account_allowed_to_invoke_it(
    cloud: DeployPlan,
) -> None:
    (job,) = cloud.jobs
    assert (job.schedule, job.http_method, job.path) == ("*/15 * * * *", "POST", "/sync")
    assert job.target_service == "brain-sync"
    assert job.oidc_service_account == f"brain-scheduler@{P}.{SA}"
    (invoker,) = [b for b in cloud.bindings if b.role == "roles/run.invoker"]
    assert (invoker.resource_type, invoker.resource) == ("run_service", "brain-sync")
    assert invoker.member == f"serviceAccount:{job.oidc_service_account}"
    assert job.attempt_deadline_s == cloud.service("sync").spec.timeout_s


def test_the_state_url_secret_and_cloud_sql_reach_the_services_that_keep_state(
    cloud: DeployPlan,
) -> None:
    # Every service keeps state: the outbox (webhooks, notion_events, sync) or the page marks
    # that /notion/events records and the context service follows (its change feed).
    for s in cloud.services:
        assert s.secret_env
        assert s.cloudsql_instances == (f"{P}:europe-west1:brain",)
    clients = {b.member for b in cloud.bindings if b.role == "roles/cloudsql.client"}
    assert clients == {
        f"serviceAccount:brain-{t}@{P}.{SA}"
        for t in ("context", "webhooks", "notion-events", "sync", "mcp", "status")
    }


def test_planning_touches_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("plan() opened a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert plan(cloud_config()).ok


def test_to_json_is_plain_json_with_a_kind_and_name_on_every_resource(cloud: DeployPlan) -> None:
    data = json.loads(json.dumps(cloud.to_json()))
    assert set(data) == {"project", "region", "image", "ok", "resources", "warnings", "errors"}
    assert data["ok"] is True
    assert {r["kind"] for r in data["resources"]} == {
        "api",
        "artifact_repository",
        "service_account",
        "secret",
        "iam_binding",
        "cloud_run_service",
        "scheduler_job",
    }
    assert all(r["name"] for r in data["resources"])
    webhooks = next(r for r in data["resources"] if r.get("target") == "webhooks")
    assert webhooks["cpu_always_allocated"] is True
    assert webhooks["secret_env"] == {
        "BRAIN_STATE__URL": f"projects/{P}/secrets/BRAIN_STATE_URL/versions/3"
    }


# -- findings --------------------------------------------------------------------------------


def test_the_embedded_default_cannot_be_deployed() -> None:
    result = plan(BrainConfig())
    assert not result.ok
    assert {"store.kind", "state.url", "deploy.project", "deploy.image"} <= keys(result.errors)


def test_a_local_store_is_an_error_naming_the_ephemeral_container() -> None:
    result = plan(cloud_config(store={"kind": "local", "token": None}))
    (error,) = [e for e in result.errors if e.key == "store.kind"]
    assert "ephemeral" in error.message
    assert "notion" in error.hint


@pytest.mark.parametrize("url", ["", "sqlite:////var/brain/state.sqlite3"])
def test_sqlite_state_is_an_error_because_instances_do_not_share_it(url: str) -> None:
    result = plan(cloud_config(state={"url": url}, deploy={"state_url_secret": None}))
    (error,) = [e for e in result.errors if e.key == "state.url"]
    assert "not shared" in error.message
    assert "state_url_secret" in error.hint


def test_a_postgres_url_in_the_file_works_but_its_password_is_a_warning() -> None:
    url = "postgresql://brain:hunter2@/brain?host=/cloudsql/acme-prod:europe-west1:db"
    result = plan(
        cloud_config(
            state={"url": url}, deploy={"state_url_secret": None, "cloudsql_instance": None}
        )
    )
    assert result.ok
    assert "state.url" in keys(result.warnings)
    assert all("hunter2" not in str(f) for f in result.warnings)
    # the Cloud SQL instance is read from the URL
    assert result.service("sync").cloudsql_instances == ("acme-prod:europe-west1:db",)
    assert result.service("sync").secret_env == ()


def test_env_references_are_warnings_that_point_to_secret_manager() -> None:
    result = plan(
        cloud_config(
            webhooks={"sources": {"cron": {"scheme": "hmac-sha256", "secrets": ["env:CRON_KEY"]}}}
        )
    )
    assert result.ok
    (warning,) = [w for w in result.warnings if w.key == "webhooks.sources.cron.secrets"]
    assert "brain-webhooks" in warning.message
    assert "sm:projects/P/secrets/CRON_KEY/versions/latest" in warning.hint
    assert "--set-secrets" in warning.hint
    assert "CRON_KEY" not in {s.secret_id for s in result.secrets}


def test_a_bearer_token_leaves_the_scheduled_sync_working_through_iam() -> None:
    # The sync target trusts Cloud Run IAM (the scheduler's OIDC token), not the bearer token.
    result = plan(cloud_config(serve={"auth_token": sm("BRAIN_AUTH_TOKEN")}))
    assert result.ok, result.errors
    assert not result.service("sync").public


def test_without_a_serve_token_context_and_mcp_are_private_with_a_warning(
    cloud: DeployPlan,
) -> None:
    assert not cloud.service("context").public and not cloud.service("mcp").public
    (warning,) = [w for w in cloud.warnings if w.key == "serve.auth_token"]
    assert "Claude Code" in warning.message and "BRAIN_AUTH_TOKEN" in warning.hint


def test_the_plan_enables_the_apis_and_creates_the_image_repository(cloud: DeployPlan) -> None:
    apis = {a.service for a in cloud.apis}
    assert {"run.googleapis.com", "artifactregistry.googleapis.com", "iam.googleapis.com"} <= apis
    assert "sqladmin.googleapis.com" in apis  # a Cloud SQL instance is attached
    (repo,) = cloud.repositories
    assert repo.name == f"projects/{P}/locations/europe-west1/repositories/brain"
    assert (repo.package, repo.tag, repo.host) == ("brain", "1.0", "europe-west1-docker.pkg.dev")
    without_sql = plan(
        cloud_config(
            state={"url": "postgresql://u@10.0.0.2/brain"},
            deploy={"state_url_secret": None, "cloudsql_instance": None},
        )
    )
    assert "sqladmin.googleapis.com" not in {a.service for a in without_sql.apis}


def test_an_image_outside_artifact_registry_is_a_warning_and_no_repository() -> None:
    result = plan(cloud_config(deploy={"image": "ghcr.io/acme/brain:1.0"}))
    assert result.ok and not result.repositories
    assert any("Artifact Registry" in w.message for w in result.warnings)


def test_an_unpinned_image_and_an_overlong_prefix_are_reported() -> None:
    result = plan(
        cloud_config(
            deploy={
                "image": "europe-west1-docker.pkg.dev/acme-prod/brain/brain:latest",
                "service_prefix": "a-very-long-brain-prefix",
            }
        )
    )
    assert "deploy.image" in keys(result.warnings)
    assert "deploy.service_prefix" in keys(result.errors)


def test_a_missing_notion_events_source_is_a_warning() -> None:
    config = cloud_config()
    config = config.model_copy(
        update={"webhooks": config.webhooks.model_copy(update={"sources": {}})}
    )
    result = plan(config)
    assert result.ok
    assert any("404" in w.message for w in result.warnings)


# -- renderings ------------------------------------------------------------------------------


def test_gcloud_deploys_each_service_with_the_right_flags(cloud: DeployPlan) -> None:
    script = render_gcloud(cloud)
    webhooks = deploy_argv(script, "brain-webhooks")
    assert "--no-cpu-throttling" in webhooks
    assert "--allow-unauthenticated" in webhooks
    assert "--args=--asgi,--source=main.py,--target=webhooks" in webhooks
    assert "--command=functions-framework" in webhooks
    assert f"--service-account=brain-webhooks@{P}.{SA}" in webhooks
    assert "--set-env-vars=BRAIN_CONFIG=/app/brain.toml,TARGET=webhooks" in webhooks
    assert "--set-secrets=BRAIN_STATE__URL=BRAIN_STATE_URL:3" in webhooks
    assert f"--set-cloudsql-instances={P}:europe-west1:brain" in webhooks
    assert "--ingress=all" in webhooks
    sync = deploy_argv(script, "brain-sync")
    assert "--cpu-throttling" in sync and "--no-cpu-throttling" not in sync
    assert "--no-allow-unauthenticated" in sync
    assert "--max-instances=1" in sync and "--concurrency=1" in sync
    assert "--timeout=600s" in sync
    context = deploy_argv(script, "brain-context")
    assert any(a.startswith("--set-secrets=BRAIN_STATE__URL=") for a in context)
    assert any(a.startswith("--set-cloudsql-instances=") for a in context)


def test_gcloud_creates_secrets_and_grants_access_per_service(cloud: DeployPlan) -> None:
    argvs = commands(render_gcloud(cloud))
    grants = [c for c in argvs if c[:3] == ["gcloud", "secrets", "add-iam-policy-binding"]]
    assert [
        "gcloud",
        "secrets",
        "add-iam-policy-binding",
        "GITHUB_WEBHOOK_SECRET",
        f"--project={P}",
        f"--member=serviceAccount:brain-webhooks@{P}.{SA}",
        "--role=roles/secretmanager.secretAccessor",
    ] in grants
    assert len(grants) == sum(len(s.used_by) for s in cloud.secrets)
    script = render_gcloud(cloud)
    assert "gcloud secrets create NOTION_API_TOKEN --project=acme-prod" in script
    assert "--replication-policy=automatic" in script
    assert "--data-file=-" in script


def test_gcloud_schedules_sync_with_oidc(cloud: DeployPlan) -> None:
    (job,) = [
        c
        for c in commands(render_gcloud(cloud))
        if c[:3] == ["gcloud", "scheduler", "jobs"] and "http" in c
    ]
    assert job[3] == "$VERB" and job[4:6] == ["http", "brain-sync"]
    assert "--schedule=*/15 * * * *" in job
    assert "--uri=${SYNC_URL}/sync" in job
    assert "--http-method=POST" in job
    assert f"--oidc-service-account-email=brain-scheduler@{P}.{SA}" in job
    assert "--oidc-token-audience=${SYNC_URL}" in job
    assert "--location=europe-west1" in job
    assert "--attempt-deadline=600s" in job


def test_the_gcloud_script_stops_before_the_services_while_a_secret_has_no_version(
    cloud: DeployPlan,
) -> None:
    script = render_gcloud(cloud)
    check = script.index("gcloud secrets versions list NOTION_API_TOKEN --project=acme-prod")
    assert check < script.index("gcloud run deploy")
    assert script.index('[ "$missing" = 0 ] || exit 1') < script.index("gcloud run deploy")
    assert "gcloud secrets versions add NOTION_API_TOKEN --project=acme-prod" in script
    # the image is built for amd64 by Cloud Build, into the repository created just before
    repo = script.index("gcloud artifacts repositories create brain")
    assert repo < script.index("gcloud builds submit") < script.index("gcloud run deploy")
    assert "--config=infra/cloudbuild.yaml" in script


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_gcloud_script_is_valid_bash(cloud: DeployPlan) -> None:
    checked = subprocess.run(
        ["bash", "-n"], input=render_gcloud(cloud), text=True, capture_output=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


def test_a_plan_with_errors_renders_a_script_that_stops_before_any_command() -> None:
    script = render_gcloud(plan(BrainConfig()))
    argvs = commands(script)
    first_gcloud = next(i for i, c in enumerate(argvs) if c[0] in ("gcloud", "docker"))
    assert ["exit", "1"] in argvs[:first_gcloud]
    assert "store.kind" in script


def test_text_lists_services_secrets_job_and_findings() -> None:
    text = render_text(plan(cloud_config(store={"kind": "local", "token": None})))
    for expected in (
        "brain-context",
        "brain-notion-events",
        "always allocated",
        "projects/acme-prod/secrets/GITHUB_WEBHOOK_SECRET",
        "Cloud Scheduler job",
        "APIs (9): serviceusage.googleapis.com",
        "Artifact Registry repository: projects/acme-prod/locations/europe-west1/repositories/",
        "brain-mcp",
        "Errors (1)",
        "store.kind",
        "NOT deployable",
    ):
        assert expected in text


# -- the real client library's shapes ------------------------------------------------------


def test_the_services_build_as_run_v2_protos(cloud: DeployPlan) -> None:
    protos = to_service_protos(cloud)
    assert [p.name.rsplit("/", 1)[-1] for p in protos] == [s.name for s in cloud.services]
    by_target = {p.labels["target"]: p for p in protos}
    webhooks = by_target["webhooks"]
    assert webhooks.name == f"projects/{P}/locations/europe-west1/services/brain-webhooks"
    assert webhooks.ingress == run_v2.IngressTraffic.INGRESS_TRAFFIC_ALL
    (container,) = webhooks.template.containers
    assert container.resources.cpu_idle is False
    assert list(container.args) == ["--asgi", "--source=main.py", "--target=webhooks"]
    env = {e.name: e for e in container.env}
    assert env["BRAIN_CONFIG"].value == CONFIG_PATH
    assert env["BRAIN_STATE__URL"].value_source.secret_key_ref.secret == "BRAIN_STATE_URL"
    assert env["BRAIN_STATE__URL"].value_source.secret_key_ref.version == "3"
    assert list(webhooks.template.volumes[0].cloud_sql_instance.instances) == [
        f"{P}:europe-west1:brain"
    ]
    assert container.volume_mounts[0].mount_path == "/cloudsql"
    assert webhooks.template.scaling.max_instance_count == 10
    assert by_target["context"].template.containers[0].resources.cpu_idle is True
    assert by_target["sync"].template.timeout.seconds == 600
    # proto -> JSON -> proto: every field is one the API knows
    for proto in protos:
        again = run_v2.Service.from_json(run_v2.Service.to_json(proto))
        assert again == proto


# -- the image and the front door ----------------------------------------------------------


def test_the_dockerfile_copies_what_exists_and_matches_the_plan() -> None:
    dockerfile = (ROOT / "infra" / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    for line in dockerfile.splitlines():
        if line.startswith("COPY") and "${" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source
    assert f"ENV BRAIN_CONFIG={CONFIG_PATH}" in dockerfile
    assert re.search(r'--target "\$\{TARGET', dockerfile)
    assert "--asgi" in dockerfile and "pip install ." in dockerfile


def test_every_target_is_a_function_in_main_py() -> None:
    tree = ast.parse((ROOT / "main.py").read_text())
    functions = {n.name for n in tree.body if isinstance(n, ast.AsyncFunctionDef)}
    assert set(TARGETS) <= functions


def test_the_front_door_exports_a_sorted_complete_all() -> None:
    def isort_style(name: str) -> tuple[int, str]:  # constants, classes, functions (RUF022)
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert infra.__all__ == sorted(infra.__all__, key=isort_style)
    # every public module's __all__ (infra/_*.py are private), each name from one module
    names = sorted(p.stem for p in (ROOT / "infra").glob("*.py") if not p.stem.startswith("_"))
    assert "plan" not in names  # infra.plan is the function; the module is infra.planner
    public = [importlib.import_module(f"infra.{name}") for name in names]
    exported = [name for module in public for name in module.__all__]
    assert sorted(infra.__all__) == sorted(exported)
    assert all(hasattr(infra, name) for name in infra.__all__)


def test_infra_plan_is_the_function_and_the_module_is_the_planner() -> None:
    assert infra.plan is plan and callable(plan)
    assert importlib.import_module("infra.planner").plan is plan
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("infra.plan")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("state_url_secret", "env:BRAIN_STATE_URL"),
        ("state_url_secret", "postgresql://brain:pw@/brain"),
        ("cloudsql_instance", "brain"),
        ("cloudsql_instance", "acme-prod/europe-west1/brain"),
    ],
)
def test_the_deploy_keys_this_plan_added_refuse_bad_values(key: str, value: str) -> None:
    with pytest.raises(ValidationError):
        cloud_config(deploy={key: value})
