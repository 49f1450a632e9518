"""The cloud deployment as data: ``plan(config) -> DeployPlan``, and three ways to show it.

:func:`plan` is pure: it reads a :class:`~functions.config.BrainConfig` and returns the
resources a deployment consists of, with no network and no cloud client. One container image
runs every functions-framework target of ``main.py``; each target is its own Cloud Run
service with its own service account, so a secret is readable only by the services that use
it. A Cloud Scheduler job POSTs ``/sync`` with an OIDC token. The plan also says what would not
work in the cloud (``errors``) and what is risky (``warnings``), each naming the config key.

:func:`render_text` lists the plan for a person, :func:`render_gcloud` prints the equivalent
``gcloud`` commands (a bash script that refuses to run while the plan has errors), and
:func:`to_service_protos` builds ``google.cloud.run_v2.Service`` messages from it, so the field
names are checked against the real client library (no network).

``DeployPlan.to_json()`` is stable: ``{"project", "region", "image", "ok", "resources":
[{"kind", "name", ...}], "warnings": [{"key", "message", "hint"}], "errors": [...]}``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import unquote, urlsplit

from functions.config import BrainConfig, DeployConfig

if TYPE_CHECKING:
    from google.cloud import run_v2

__all__ = [
    "CONFIG_PATH",
    "TARGETS",
    "CloudRunService",
    "DeployPlan",
    "Finding",
    "IamBinding",
    "Resource",
    "SchedulerJob",
    "Secret",
    "SecretRef",
    "ServiceAccount",
    "ServiceSpec",
    "plan",
    "render_gcloud",
    "render_text",
    "to_service_protos",
]

#: The functions-framework targets in ``main.py``, one Cloud Run service each.
TARGETS = ("context", "webhooks", "notion_events", "sync")
#: Where ``infra/Dockerfile`` puts brain.toml in the image; services get ``BRAIN_CONFIG`` = this.
CONFIG_PATH = "/app/brain.toml"
#: The webhook source whose secret verifies ``POST /notion/events`` (functions.runtime's
#: ``NOTION_EVENTS_SOURCE``; infra may import config only, so the name is repeated here).
NOTION_EVENTS_SOURCE = "notion"
SCHEDULER_TIME_ZONE = "Etc/UTC"
SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"  # noqa: S105 (a role, not a password)
RUN_INVOKER = "roles/run.invoker"
CLOUDSQL_CLIENT = "roles/cloudsql.client"
CLOUDSQL_MOUNT = "/cloudsql"
STATE_URL_ENV = "BRAIN_STATE__URL"  # the env override of [state] url (functions.config)

Ingress = Literal["all", "internal", "internal-and-cloud-load-balancing"]
_NAME_OK = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_SM_REF = re.compile(r"^sm:projects/([^/]+)/secrets/([^/]+)/versions/([^/]+)$")
_SERVICE_NAME_MAX = 49  # Cloud Run service names: fewer than 50 characters
_ACCOUNT_ID_LEN = (6, 30)  # IAM service account ids


@dataclass(frozen=True)
class ServiceSpec:
    """Sizing and exposure of one target's Cloud Run service."""

    min_instances: int  # 0: scale to zero when idle
    max_instances: int
    concurrency: int  # requests one instance serves at once
    cpu: str
    memory: str
    timeout_s: int  # request timeout; the scheduler's attempt deadline matches it for /sync
    cpu_always_allocated: bool  # --no-cpu-throttling: CPU also between requests
    uses_state: bool  # reads/writes the webhook outbox (PostgreSQL)


SPECS: Mapping[str, ServiceSpec] = MappingProxyType(
    {
        # Reads shards from Notion and packs context: the most memory (tokenizer, BM25 index).
        "context": ServiceSpec(0, 10, 40, "1", "1Gi", 60, False, False),
        # CPU always allocated: an accepted event is answered 202 as soon as it is in the
        # outbox, and the drainer thread appends it to the log page *after* the response.
        # With Cloud Run's default request-based CPU the instance is throttled to almost
        # nothing once the response is sent, so the thread would stall until the next request
        # (or the next scheduled /sync). Nothing is lost either way: the outbox is durable and
        # /sync drains it, but log lines would lag by up to the sync interval.
        "webhooks": ServiceSpec(0, 10, 80, "1", "512Mi", 60, True, True),
        # Notion events: verification handshakes go through the webhook receiver (outbox).
        "notion_events": ServiceSpec(0, 3, 80, "1", "512Mi", 60, False, True),
        # One sync at a time: concurrent syncs would race to rewrite the router page.
        "sync": ServiceSpec(0, 1, 1, "1", "1Gi", 600, False, True),
    }
)


# -- resources -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretRef:
    """A parsed ``sm:projects/P/secrets/S/versions/V`` reference."""

    project: str
    secret: str
    version: str

    @classmethod
    def parse(cls, ref: str) -> SecretRef | None:
        match = _SM_REF.match(ref)
        return cls(*match.groups()) if match else None

    @property
    def resource(self) -> str:
        return f"projects/{self.project}/secrets/{self.secret}"


@dataclass(frozen=True)
class ServiceAccount:
    """An IAM service account a service runs as (or the scheduler calls /sync as)."""

    kind: ClassVar[str] = "service_account"
    project: str
    account_id: str
    display_name: str

    @property
    def name(self) -> str:
        return self.email

    @property
    def email(self) -> str:
        return f"{self.account_id}@{self.project}.iam.gserviceaccount.com"

    @property
    def member(self) -> str:
        return f"serviceAccount:{self.email}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "project": self.project,
            "account_id": self.account_id,
            "display_name": self.display_name,
        }


@dataclass(frozen=True)
class Secret:
    """A Secret Manager secret the config references; values are never part of a plan."""

    kind: ClassVar[str] = "secret"
    project: str
    secret_id: str
    versions: tuple[str, ...]  # as referenced: numbers or "latest"
    config_keys: tuple[str, ...]  # where the config references it
    used_by: tuple[str, ...]  # Cloud Run service names that read it

    @property
    def name(self) -> str:
        return f"projects/{self.project}/secrets/{self.secret_id}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "project": self.project,
            "secret_id": self.secret_id,
            "versions": list(self.versions),
            "config_keys": list(self.config_keys),
            "used_by": list(self.used_by),
        }


@dataclass(frozen=True)
class IamBinding:
    """One role for one member on a secret, a Cloud Run service or a project."""

    kind: ClassVar[str] = "iam_binding"
    resource_type: Literal["secret", "run_service", "project"]
    resource: str  # "projects/P/secrets/S", a service name, or a project id
    project: str
    role: str
    member: str
    region: str | None = None  # run_service bindings only
    reason: str = ""

    @property
    def name(self) -> str:
        return f"{self.role} on {self.resource} for {self.member}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "resource_type": self.resource_type,
            "resource": self.resource,
            "project": self.project,
            "region": self.region,
            "role": self.role,
            "member": self.member,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class CloudRunService:
    """One functions-framework target as a Cloud Run service."""

    kind: ClassVar[str] = "cloud_run_service"
    name: str
    target: str
    project: str
    region: str
    image: str
    command: tuple[str, ...]
    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    secret_env: tuple[tuple[str, SecretRef], ...]  # env var <- secret version (--set-secrets)
    service_account: str  # email
    ingress: Ingress
    public: bool  # --allow-unauthenticated (else callers need roles/run.invoker)
    spec: ServiceSpec
    cloudsql_instances: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "target": self.target,
            "project": self.project,
            "region": self.region,
            "image": self.image,
            "command": list(self.command),
            "args": list(self.args),
            "env": dict(self.env),
            "secret_env": {k: f"{r.resource}/versions/{r.version}" for k, r in self.secret_env},
            "service_account": self.service_account,
            "ingress": self.ingress,
            "public": self.public,
            "min_instances": self.spec.min_instances,
            "max_instances": self.spec.max_instances,
            "concurrency": self.spec.concurrency,
            "cpu": self.spec.cpu,
            "memory": self.spec.memory,
            "timeout_s": self.spec.timeout_s,
            "cpu_always_allocated": self.spec.cpu_always_allocated,
            "cloudsql_instances": list(self.cloudsql_instances),
        }


@dataclass(frozen=True)
class SchedulerJob:
    """The Cloud Scheduler job that POSTs the sync service's ``/sync`` with an OIDC token."""

    kind: ClassVar[str] = "scheduler_job"
    name: str
    project: str
    region: str
    schedule: str
    time_zone: str
    target_service: str  # its URL is known once deployed; the audience is that URL
    path: str
    http_method: str
    oidc_service_account: str
    attempt_deadline_s: int

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "project": self.project,
            "region": self.region,
            "schedule": self.schedule,
            "time_zone": self.time_zone,
            "target_service": self.target_service,
            "path": self.path,
            "http_method": self.http_method,
            "oidc_service_account": self.oidc_service_account,
            "oidc_audience": f"<URL of {self.target_service}>",
            "attempt_deadline_s": self.attempt_deadline_s,
        }


Resource = ServiceAccount | Secret | IamBinding | CloudRunService | SchedulerJob


@dataclass(frozen=True)
class Finding:
    """Something about the config that fails (error) or is risky (warning) in the cloud."""

    key: str  # the config key it is about, e.g. "store.kind"
    message: str
    hint: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message} {self.hint}"

    def to_json(self) -> dict[str, str]:
        return {"key": self.key, "message": self.message, "hint": self.hint}


@dataclass(frozen=True)
class DeployPlan:
    """Everything a deployment consists of, plus what would not work (``errors``)."""

    project: str
    region: str
    image: str
    resources: list[Resource] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def services(self) -> list[CloudRunService]:
        return [r for r in self.resources if isinstance(r, CloudRunService)]

    @property
    def service_accounts(self) -> list[ServiceAccount]:
        return [r for r in self.resources if isinstance(r, ServiceAccount)]

    @property
    def secrets(self) -> list[Secret]:
        return [r for r in self.resources if isinstance(r, Secret)]

    @property
    def bindings(self) -> list[IamBinding]:
        return [r for r in self.resources if isinstance(r, IamBinding)]

    @property
    def jobs(self) -> list[SchedulerJob]:
        return [r for r in self.resources if isinstance(r, SchedulerJob)]

    def service(self, target: str) -> CloudRunService:
        return next(s for s in self.services if s.target == target)

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "region": self.region,
            "image": self.image,
            "ok": self.ok,
            "resources": [r.to_json() for r in self.resources],
            "warnings": [w.to_json() for w in self.warnings],
            "errors": [e.to_json() for e in self.errors],
        }


# -- planning --------------------------------------------------------------------------------


def plan(config: BrainConfig) -> DeployPlan:
    """The resources ``config`` deploys to, and what would not work there. No I/O."""
    d = config.deploy
    result = DeployPlan(project=d.project, region=d.region, image=d.image)
    errors, warnings = result.errors, result.warnings
    _check_deploy_section(d, errors, warnings)

    def slug(target: str) -> str:
        return f"{d.service_prefix}-{target.replace('_', '-')}"

    accounts = {
        t: ServiceAccount(d.project, slug(t), f"Context Index: {t} service") for t in TARGETS
    }
    scheduler = ServiceAccount(d.project, slug("scheduler"), "Context Index: calls /sync")
    result.resources.extend([*accounts.values(), scheduler])
    names = {t: slug(t) for t in TARGETS}
    longest_name = max(names.values(), key=len)
    if len(longest_name) > _SERVICE_NAME_MAX:
        errors.append(
            Finding(
                "deploy.service_prefix",
                f"service name {longest_name!r} is longer than {_SERVICE_NAME_MAX} characters",
                "Shorten [deploy] service_prefix.",
            )
        )
    longest = max([*accounts.values(), scheduler], key=lambda a: len(a.account_id))
    low, high = _ACCOUNT_ID_LEN
    if not low <= len(longest.account_id) <= high:
        errors.append(
            Finding(
                "deploy.service_prefix",
                f"service account id {longest.account_id!r} must be {low} to {high} characters",
                f"Use a [deploy] service_prefix of at most {high - len('-notion-events')} "
                "characters.",
            )
        )

    # Secret references, and the services that read each one.
    readers: dict[str, list[tuple[str, tuple[str, ...]]]] = {}  # ref -> [(key, targets)]

    def use(key: str, ref: str | None, targets: Iterable[str]) -> None:
        if ref is not None:
            readers.setdefault(ref, []).append((key, tuple(targets)))

    store = config.store
    if store.kind == "notion":
        use("store.token", store.token, TARGETS)  # every function reads or writes pages
    for source_name, source in sorted(config.webhooks.sources.items()):
        users = ["webhooks"] + (["notion_events"] if source_name == NOTION_EVENTS_SOURCE else [])
        for ref in source.secrets:
            use(f"webhooks.sources.{source_name}.secrets", ref, users)
    use("serve.auth_token", config.serve.auth_token, ["context"])
    state_users = [t for t in TARGETS if SPECS[t].uses_state]
    use("deploy.state_url_secret", d.state_url_secret, state_users)

    secrets, bindings = _secrets(readers, accounts, names, warnings)
    result.resources.extend(secrets)
    result.resources.extend(bindings)

    cloudsql = _check_state(config, errors, warnings)
    state_ref = SecretRef.parse(d.state_url_secret) if d.state_url_secret else None
    public_context = config.serve.auth_token is not None
    for target in TARGETS:
        spec = SPECS[target]
        result.resources.append(
            CloudRunService(
                name=names[target],
                target=target,
                project=d.project,
                region=d.region,
                image=d.image,
                # No "--port $PORT": Cloud Run runs command/args without a shell, so "$PORT"
                # would arrive literally; functions-framework reads PORT from the environment.
                command=("functions-framework",),
                args=("--asgi", "--source=main.py", f"--target={target}"),
                env=(("BRAIN_CONFIG", CONFIG_PATH), ("TARGET", target)),
                secret_env=((STATE_URL_ENV, state_ref),) if state_ref and spec.uses_state else (),
                service_account=accounts[target].email,
                ingress="all",
                # webhooks and notion_events authenticate by signature; context by its bearer
                # token (else Cloud Run IAM); sync only by IAM (the scheduler's OIDC token).
                public=target in ("webhooks", "notion_events")
                or (target == "context" and public_context),
                spec=spec,
                cloudsql_instances=(cloudsql,) if cloudsql and spec.uses_state else (),
            )
        )
    if cloudsql:
        instance_project = cloudsql.rsplit(":", 2)[0]
        for target in state_users:
            result.resources.append(
                IamBinding(
                    "project",
                    instance_project,
                    instance_project,
                    CLOUDSQL_CLIENT,
                    f"serviceAccount:{accounts[target].email}",
                    reason=f"{names[target]} connects to Cloud SQL {cloudsql}",
                )
            )
    result.resources.append(
        IamBinding(
            "run_service",
            names["sync"],
            d.project,
            RUN_INVOKER,
            scheduler.member,
            region=d.region,
            reason="Cloud Scheduler calls POST /sync with this account's OIDC token",
        )
    )
    result.resources.append(
        SchedulerJob(
            name=names["sync"],
            project=d.project,
            region=d.region,
            schedule=d.sync_schedule,
            time_zone=SCHEDULER_TIME_ZONE,
            target_service=names["sync"],
            path="/sync",
            http_method="POST",
            oidc_service_account=scheduler.email,
            attempt_deadline_s=SPECS["sync"].timeout_s,
        )
    )
    _check_functions(config, public_context, errors, warnings)
    return result


def _secrets(
    readers: dict[str, list[tuple[str, tuple[str, ...]]]],
    accounts: Mapping[str, ServiceAccount],
    names: Mapping[str, str],
    warnings: list[Finding],
) -> tuple[list[Secret], list[IamBinding]]:
    grouped: dict[tuple[str, str], dict[str, set[str]]] = {}
    for ref, uses in readers.items():
        parsed = SecretRef.parse(ref)
        if parsed is None:  # env:NAME
            for key, targets in uses:
                name = ref.removeprefix("env:")
                warnings.append(
                    Finding(
                        key,
                        f"{ref!r} reads an environment variable the deployment does not set "
                        f"(services: {', '.join(names[t] for t in targets)})",
                        f"Prefer Secret Manager: store it as a secret and reference it as "
                        f"'sm:projects/P/secrets/{name}/versions/latest'; or keep env: and add "
                        f"'--set-secrets={name}=SECRET:VERSION' to those services.",
                    )
                )
            continue
        entry = grouped.setdefault(
            (parsed.project, parsed.secret), {"versions": set(), "keys": set(), "targets": set()}
        )
        entry["versions"].add(parsed.version)
        for key, targets in uses:
            entry["keys"].add(key)
            entry["targets"].update(targets)
    secrets: list[Secret] = []
    bindings: list[IamBinding] = []
    for (project, secret_id), entry in sorted(grouped.items()):
        users = [t for t in TARGETS if t in entry["targets"]]
        secret = Secret(
            project,
            secret_id,
            tuple(sorted(entry["versions"])),
            tuple(sorted(entry["keys"])),
            tuple(names[t] for t in users),
        )
        secrets.append(secret)
        for target in users:
            bindings.append(
                IamBinding(
                    "secret",
                    secret.name,
                    project,
                    SECRET_ACCESSOR,
                    accounts[target].member,
                    reason=f"{names[target]} reads {', '.join(secret.config_keys)}",
                )
            )
    return secrets, bindings


def _check_deploy_section(d: DeployConfig, errors: list[Finding], warnings: list[Finding]) -> None:
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


def _check_state(config: BrainConfig, errors: list[Finding], warnings: list[Finding]) -> str | None:
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


def _check_functions(
    config: BrainConfig, public_context: bool, errors: list[Finding], warnings: list[Finding]
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
    if not public_context:
        warnings.append(
            Finding(
                "serve.auth_token",
                "is not set, so the context service is deployed private (Cloud Run IAM)",
                "Callers need roles/run.invoker on it and a Google ID token; for bearer-token "
                "clients set [serve] auth_token to an sm: reference.",
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
    warnings.append(
        Finding(
            f"webhooks.sources.{NOTION_EVENTS_SOURCE}",
            "POST /notion/events marks pages stale in its own service's cache only: the "
            "context service is a separate Cloud Run service",
            "The context service still notices edits through its own freshness check "
            "([context] check_interval_s); the event just does not make it sooner.",
        )
    )


# -- rendering -------------------------------------------------------------------------------


def render_text(plan: DeployPlan) -> str:
    """A readable listing of the plan: services, accounts, secrets, bindings, job, findings."""
    out = [f"Deploy plan: project {plan.project}, region {plan.region}", f"Image: {plan.image}"]
    out.append(f"\nCloud Run services ({len(plan.services)}):")
    for s in plan.services:
        access = "public" if s.public else "IAM only"
        cpu = "always allocated" if s.spec.cpu_always_allocated else "during requests"
        out.append(f"  {s.name}  target {s.target}, {access}, ingress {s.ingress}")
        out.append(
            f"      instances {s.spec.min_instances}-{s.spec.max_instances}, concurrency "
            f"{s.spec.concurrency}, {s.spec.cpu} CPU ({cpu}), {s.spec.memory}, "
            f"timeout {s.spec.timeout_s}s"
        )
        out.append(f"      runs as {s.service_account}")
        out.append(f"      {' '.join([*s.command, *s.args])}")
        for key, ref in s.secret_env:
            out.append(f"      env {key} <- {ref.resource}/versions/{ref.version}")
        if s.cloudsql_instances:
            out.append(f"      Cloud SQL {', '.join(s.cloudsql_instances)}")
    out.append(f"\nService accounts ({len(plan.service_accounts)}):")
    out.extend(f"  {a.email}" for a in plan.service_accounts)
    out.append(f"\nSecrets ({len(plan.secrets)}):")
    for secret in plan.secrets:
        out.append(f"  {secret.name}  versions {', '.join(secret.versions)}")
        out.append(
            f"      for {', '.join(secret.config_keys)}; read by {', '.join(secret.used_by)}"
        )
    if not plan.secrets:
        out.append("  none")
    out.append(f"\nIAM bindings ({len(plan.bindings)}):")
    for b in plan.bindings:
        out.append(f"  {b.role} on {b.resource} -> {b.member}")
    for job in plan.jobs:
        out.append("\nCloud Scheduler job:")
        out.append(
            f"  {job.name}  '{job.schedule}' ({job.time_zone}): {job.http_method} "
            f"<{job.target_service} URL>{job.path}, OIDC as {job.oidc_service_account}"
        )
    for title, findings in (("Errors", plan.errors), ("Warnings", plan.warnings)):
        if findings:
            out.append(f"\n{title} ({len(findings)}):")
            for f in findings:
                out.append(f"  - {f.key}: {f.message}.")
                out.append(f"    {f.hint}")
    verdict = "ready to deploy" if plan.ok else "NOT deployable until the errors are fixed"
    out.append(f"\nPlan: {len(plan.resources)} resources, {verdict}.")
    return "\n".join(out) + "\n"


def render_gcloud(plan: DeployPlan) -> str:
    """The plan as a bash script of ``gcloud`` commands (re-runnable: existing things kept)."""
    q = shlex.quote
    p, r = q(plan.project), q(plan.region)
    out = [
        "#!/usr/bin/env bash",
        "# The Context Index deployment, from `brain deploy --dry-run --format gcloud`.",
        "# Run from the repository root (brain.toml there is baked into the image).",
        "set -euo pipefail",
    ]
    if plan.errors:
        out.append("\n# The plan has errors; these commands would deploy something that fails:")
        out.extend(f"#   - {f.key}: {f.message}. {f.hint}" for f in plan.errors)
        out.append(
            f'echo "brain deploy: the plan has {len(plan.errors)} error(s); '
            'see the top of this script" >&2'
        )
        out.append("exit 1")
    apis = ["run", "secretmanager", "cloudscheduler", "iam"]
    if any(s.cloudsql_instances for s in plan.services):
        apis.append("sqladmin")
    out.append("\n# 1. APIs")
    out.append(
        f"gcloud services enable {' '.join(a + '.googleapis.com' for a in apis)} --project={p}"
    )
    out.append("\n# 2. The image (one for every service)")
    out.append(f"docker build -f infra/Dockerfile -t {q(plan.image)} .")
    out.append(f"docker push {q(plan.image)}")
    out.append("\n# 3. Service accounts: one per service, and the scheduler's caller identity")
    for a in plan.service_accounts:
        out.append(
            f"gcloud iam service-accounts describe {q(a.email)} --project={q(a.project)} "
            f">/dev/null 2>&1 || \\\n  gcloud iam service-accounts create {q(a.account_id)} "
            f"--project={q(a.project)} --display-name={q(a.display_name)}"
        )
    out.append("\n# 4. Secrets (values are never in the plan; add each one as shown)")
    for s in plan.secrets:
        sid, sp = q(s.secret_id), q(s.project)
        out.append(
            f"gcloud secrets describe {sid} --project={sp} >/dev/null 2>&1 || \\\n"
            f"  gcloud secrets create {sid} --project={sp} --replication-policy=automatic"
        )
        out.append(
            f"#   then: printf '%s' \"$VALUE\" | gcloud secrets versions add {sid} "
            f"--project={sp} --data-file=-"
        )
    if not plan.secrets:
        out.append("# (none referenced)")
    out.append("\n# 5. IAM: who may read which secret; Cloud SQL clients")
    for b in plan.bindings:
        if b.resource_type == "secret":
            secret_id = b.resource.rsplit("/", 1)[-1]
            out.append(
                f"gcloud secrets add-iam-policy-binding {q(secret_id)} --project={q(b.project)} "
                f"--member={q(b.member)} --role={b.role}"
            )
        elif b.resource_type == "project":
            out.append(
                f"gcloud projects add-iam-policy-binding {q(b.resource)} "
                f"--member={q(b.member)} --role={b.role} --condition=None"
            )
    out.append("\n# 6. Cloud Run services (one image, one functions-framework target each)")
    out.extend(_gcloud_run_deploy(s) for s in plan.services)
    for job in plan.jobs:
        sync = next(s for s in plan.services if s.name == job.target_service)
        out.append("\n# 7. The scheduled sync: only the scheduler's account may invoke it")
        for b in plan.bindings:
            if b.resource_type == "run_service":
                out.append(
                    f"gcloud run services add-iam-policy-binding {q(b.resource)} --project={p} "
                    f"--region={q(b.region or plan.region)} --member={q(b.member)} "
                    f"--role={b.role}"
                )
        out.append(
            f'SYNC_URL="$(gcloud run services describe {q(sync.name)} --project={p} '
            f"--region={r} --format='value(status.url)')\""
        )
        out.append(
            f"if gcloud scheduler jobs describe {q(job.name)} --project={p} --location={r} "
            ">/dev/null 2>&1; then VERB=update; else VERB=create; fi"
        )
        out.append(
            " \\\n  ".join(
                [
                    f'gcloud scheduler jobs "$VERB" http {q(job.name)}',
                    f"--project={p} --location={r}",
                    f"--schedule={q(job.schedule)} --time-zone={q(job.time_zone)}",
                    f'--uri="${{SYNC_URL}}{job.path}" --http-method={job.http_method}',
                    f"--oidc-service-account-email={q(job.oidc_service_account)}",
                    '--oidc-token-audience="${SYNC_URL}"',
                    f"--attempt-deadline={job.attempt_deadline_s}s",
                ]
            )
        )
    return "\n".join(out) + "\n"


def _gcloud_run_deploy(s: CloudRunService) -> str:
    q = shlex.quote
    env = ",".join(f"{k}={v}" for k, v in s.env)
    lines = [
        f"gcloud run deploy {q(s.name)}",
        f"--project={q(s.project)} --region={q(s.region)} --image={q(s.image)}",
        f"--service-account={q(s.service_account)}",
        f"--command={','.join(s.command)} --args={q(','.join(s.args))}",
        f"--set-env-vars={q(env)}",
    ]
    if s.secret_env:
        pairs = ",".join(
            f"{k}={ref.secret if ref.project == s.project else ref.resource}:{ref.version}"
            for k, ref in s.secret_env
        )
        lines.append(f"--set-secrets={q(pairs)}")
    if s.cloudsql_instances:
        lines.append(f"--set-cloudsql-instances={q(','.join(s.cloudsql_instances))}")
    lines += [
        f"--min-instances={s.spec.min_instances} --max-instances={s.spec.max_instances} "
        f"--concurrency={s.spec.concurrency}",
        f"--cpu={s.spec.cpu} --memory={s.spec.memory} --timeout={s.spec.timeout_s}s",
        "--no-cpu-throttling" if s.spec.cpu_always_allocated else "--cpu-throttling",
        f"--ingress={s.ingress}",
        "--allow-unauthenticated" if s.public else "--no-allow-unauthenticated",
    ]
    return " \\\n  ".join(lines)


def to_service_protos(plan: DeployPlan) -> list[run_v2.Service]:
    """The plan's services as ``run_v2.Service`` messages (for ``ServicesClient``); no I/O.

    ``name`` is the full resource name (what ``update_service`` takes; ``create_service``
    wants it empty and the short name as ``service_id``). Public access is an IAM binding of
    ``allUsers`` to roles/run.invoker, not a field of the service.
    """
    from google.cloud import run_v2

    ingress = {
        "all": run_v2.IngressTraffic.INGRESS_TRAFFIC_ALL,
        "internal": run_v2.IngressTraffic.INGRESS_TRAFFIC_INTERNAL_ONLY,
        "internal-and-cloud-load-balancing": (
            run_v2.IngressTraffic.INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER
        ),
    }
    services = []
    for s in plan.services:
        env = [run_v2.EnvVar(name=k, value=v) for k, v in s.env]
        env += [
            run_v2.EnvVar(
                name=k,
                value_source=run_v2.EnvVarSource(
                    secret_key_ref=run_v2.SecretKeySelector(
                        secret=ref.secret if ref.project == s.project else ref.resource,
                        version=ref.version,
                    )
                ),
            )
            for k, ref in s.secret_env
        ]
        volumes: list[run_v2.Volume] = []
        mounts: list[run_v2.VolumeMount] = []
        if s.cloudsql_instances:
            volumes.append(
                run_v2.Volume(
                    name="cloudsql",
                    cloud_sql_instance=run_v2.CloudSqlInstance(
                        instances=list(s.cloudsql_instances)
                    ),
                )
            )
            mounts.append(run_v2.VolumeMount(name="cloudsql", mount_path=CLOUDSQL_MOUNT))
        container = run_v2.Container(
            name="brain",
            image=s.image,
            command=list(s.command),
            args=list(s.args),
            env=env,
            resources=run_v2.ResourceRequirements(
                limits={"cpu": s.spec.cpu, "memory": s.spec.memory},
                cpu_idle=not s.spec.cpu_always_allocated,
                startup_cpu_boost=True,
            ),
            volume_mounts=mounts,
        )
        services.append(
            run_v2.Service(
                name=f"projects/{s.project}/locations/{s.region}/services/{s.name}",
                labels={"app": "context-index", "target": s.target.replace("_", "-")},
                ingress=ingress[s.ingress],
                template=run_v2.RevisionTemplate(
                    service_account=s.service_account,
                    scaling=run_v2.RevisionScaling(
                        min_instance_count=s.spec.min_instances,
                        max_instance_count=s.spec.max_instances,
                    ),
                    max_instance_request_concurrency=s.spec.concurrency,
                    timeout=timedelta(seconds=s.spec.timeout_s),
                    containers=[container],
                    volumes=volumes,
                ),
            )
        )
    return services
