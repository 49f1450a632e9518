"""The deployment's resources as frozen dataclasses, and the plan that holds them.

Each resource has a ``kind``, a ``name`` and a ``to_json()``; :class:`DeployPlan` collects them
with the :class:`Finding` s about the config (``errors``: would not work in the cloud;
``warnings``: risky). Nothing here reads a config or talks to a cloud: :func:`infra.plan`
builds these, and :mod:`infra.render` and :mod:`infra.protos` show them.

``DeployPlan.to_json()`` is stable: ``{"project", "region", "image", "ok", "resources":
[{"kind", "name", ...}], "warnings": [{"key", "message", "hint"}], "errors": [...]}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

__all__ = [
    "ArtifactRepository",
    "CloudRunService",
    "DeployPlan",
    "EnabledApi",
    "Finding",
    "IamBinding",
    "Resource",
    "SchedulerJob",
    "Secret",
    "SecretRef",
    "ServiceAccount",
    "ServiceSpec",
]

Ingress = Literal["all", "internal", "internal-and-cloud-load-balancing"]
_SM_REF = re.compile(r"^sm:projects/([^/]+)/secrets/([^/]+)/versions/([^/]+)$")


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
class EnabledApi:
    """A Google API the deployment calls or runs on (Service Usage enables it)."""

    kind: ClassVar[str] = "api"
    project: str
    service: str  # e.g. "run.googleapis.com"
    why: str

    @property
    def name(self) -> str:
        return self.service

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "project": self.project, "why": self.why}


@dataclass(frozen=True)
class ArtifactRepository:
    """The Artifact Registry Docker repository the image is pushed to."""

    kind: ClassVar[str] = "artifact_repository"
    project: str
    location: str
    repository_id: str
    image: str  # the full image reference that lives in it
    package: str  # the image's name inside the repository
    tag: str | None  # None: pinned by digest

    @property
    def name(self) -> str:
        return (
            f"projects/{self.project}/locations/{self.location}/repositories/{self.repository_id}"
        )

    @property
    def host(self) -> str:
        return f"{self.location}-docker.pkg.dev"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "project": self.project,
            "location": self.location,
            "repository_id": self.repository_id,
            "format": "DOCKER",
            "image": self.image,
        }


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


Resource = (
    EnabledApi
    | ArtifactRepository
    | ServiceAccount
    | Secret
    | IamBinding
    | CloudRunService
    | SchedulerJob
)


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
    def apis(self) -> list[EnabledApi]:
        return [r for r in self.resources if isinstance(r, EnabledApi)]

    @property
    def repositories(self) -> list[ArtifactRepository]:
        return [r for r in self.resources if isinstance(r, ArtifactRepository)]

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
