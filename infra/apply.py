"""``apply(plan, clients)``: make the cloud match a :class:`~infra.resources.DeployPlan`.

Every step reads first and writes only what differs, so a second run changes nothing. The
order survives IAM's propagation delays and puts what a person must add in one stop:

1. enable the APIs (Service Usage), 2. the Artifact Registry repository, 3. the service
accounts, 4. the secrets (never their values), 5. who may read each secret, the project
roles (Cloud SQL client), 6. **stop** if a referenced secret has no enabled version or the image
is not pushed, listing the command that adds each, 7. the Cloud Run services (waiting on
each long-running operation), 8. who may invoke them (``allUsers`` for the public ones, the
scheduler's account for sync), 9. the Cloud Scheduler job, pointed at the sync service's URL.

A write that IAM refuses while a new service account propagates (``does not exist``,
``PERMISSION_DENIED``, a concurrent policy change) is retried with exponential backoff
(tenacity); any other failure stops the run at once with a :class:`~infra.errors.DeployError`
naming the resource, Google's message and what to do. What finished before stays done.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import quote

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from infra._failures import is_propagating, message, translate
from infra.clients import Clients
from infra.errors import DeployError, MissingPrerequisites
from infra.protos import to_service_protos
from infra.render import image_build_command, secret_version_command
from infra.resources import (
    ArtifactRepository,
    CloudRunService,
    DeployPlan,
    IamBinding,
    SchedulerJob,
    Secret,
)

if TYPE_CHECKING:
    from google.cloud import run_v2

__all__ = ["ApplyOptions", "ApplyReport", "Change", "apply"]

T = TypeVar("T")
Action = Literal["created", "updated", "enabled", "granted", "revoked", "unchanged"]
#: The annotation on each Cloud Run service holding the hash of the spec it was deployed from:
#: Cloud Run fills in defaults, so comparing fields would see a change on every run.
SPEC_ANNOTATION = "context-index/spec-sha256"
PUBLIC = "allUsers"
RUN_INVOKER = "roles/run.invoker"


@dataclass(frozen=True)
class ApplyOptions:
    """How long to wait for Google, and how to retry while IAM propagates."""

    operation_timeout_s: float = 900.0  # one long-running operation (a Cloud Run revision)
    attempts: int = 8  # per write refused while IAM propagates (about 3 minutes in all)
    wait: Callable[[RetryCallState], float] = field(
        default_factory=lambda: wait_exponential(multiplier=2, min=2, max=60)
    )


@dataclass(frozen=True)
class Change:
    """One step's outcome: what it did to which resource."""

    action: Action
    kind: str
    name: str
    detail: str = ""

    def __str__(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.action:<9} {self.kind} {self.name}{detail}"


@dataclass
class ApplyReport:
    """What a run did, in order, and the URLs of the services."""

    changes: list[Change] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)  # target -> https URL

    @property
    def changed(self) -> list[Change]:
        return [c for c in self.changes if c.action != "unchanged"]


def apply(
    plan: DeployPlan,
    clients: Clients,
    options: ApplyOptions | None = None,
    *,
    progress: Callable[[Change], None] | None = None,
    notice: Callable[[str], None] | None = None,
) -> ApplyReport:
    """Create or update everything in ``plan``; raises DeployError at the first failure.

    ``progress`` hears each finished step; ``notice`` each wait for IAM to propagate.
    """
    if not plan.ok:
        raise DeployError(
            f"the plan has {len(plan.errors)} error(s): {plan.errors[0]}",
            resource=plan.errors[0].key,
            hint="Run brain deploy --dry-run, fix every error it lists, then deploy.",
        )
    run = _Run(plan, clients, options or ApplyOptions(), progress, notice)
    try:
        run.all()
    except DeployError as exc:
        exc.done = tuple(run.report.changes)
        raise
    return run.report


class _Run:
    def __init__(
        self,
        plan: DeployPlan,
        clients: Clients,
        options: ApplyOptions,
        progress: Callable[[Change], None] | None,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self.plan, self.c, self.options = plan, clients, options
        self.progress, self.notice = progress, notice
        self.report = ApplyReport()

    def all(self) -> None:
        self.apis()
        for repo in self.plan.repositories:
            self.repository(repo)
        for account in self.plan.service_accounts:
            self.account(account.project, account.account_id, account.display_name, account.email)
        for secret in self.plan.secrets:
            self.secret(secret)
        for binding in self.plan.bindings:
            if binding.resource_type in ("secret", "project"):
                self.binding(binding)
        self.prerequisites()
        protos = {p.name: p for p in to_service_protos(self.plan)}
        for service in self.plan.services:
            self.service(service, protos[_service_name(service)])
        for service in self.plan.services:
            self.exposure(service)
        for binding in self.plan.bindings:
            if binding.resource_type == "run_service":
                self.binding(binding)
        for job in self.plan.jobs:
            self.job(job)

    # -- bookkeeping -------------------------------------------------------------------------

    def done(self, action: Action, kind: str, name: str, detail: str = "") -> None:
        change = Change(action, kind, name, detail)
        self.report.changes.append(change)
        if self.progress is not None:
            self.progress(change)

    @contextmanager
    def step(self, doing: str, resource: str, hint: str | None = None) -> Iterator[None]:
        """Turn an error inside into a DeployError naming the step and the fix."""
        try:
            yield
        except DeployError:
            raise
        except Exception as exc:
            failure = translate(exc, doing, resource, hint, self.options.operation_timeout_s)
            if failure is None:
                raise
            raise failure from exc

    def retrying(self, call: Callable[[], T]) -> T:
        """``call()``, retried while IAM propagates a new account or a policy changes."""

        def waiting(state: RetryCallState) -> None:
            if self.notice is not None and state.outcome is not None:
                error = state.outcome.exception()
                pause = state.next_action.sleep if state.next_action else 0.0
                self.notice(
                    f"waiting {pause:.0f}s for IAM to propagate (attempt {state.attempt_number}"
                    f" of {self.options.attempts}): {message(error) if error else ''}"
                )

        for attempt in Retrying(
            retry=retry_if_exception(is_propagating),
            stop=stop_after_attempt(self.options.attempts),
            wait=self.options.wait,
            before_sleep=waiting,
            reraise=True,
        ):
            with attempt:
                return call()
        raise AssertionError("unreachable: tenacity either returns or reraises")

    def wait(self, operation: Any) -> Any:
        return operation.result(timeout=self.options.operation_timeout_s)

    # -- the steps ---------------------------------------------------------------------------

    def apis(self) -> None:
        from google.cloud import service_usage_v1

        project = self.plan.project
        wanted = [a.service for a in self.plan.apis]
        with self.step("checking the APIs of project", project):
            found = self.c.service_usage.batch_get_services(
                request={
                    "parent": f"projects/{project}",
                    "names": [f"projects/{project}/services/{api}" for api in wanted],
                }
            )
        enabled = {
            s.name.rsplit("/", 1)[-1]
            for s in found.services
            if s.state == service_usage_v1.State.ENABLED
        }
        missing = [api for api in wanted if api not in enabled]
        for api in wanted:
            if api in enabled:
                self.done("unchanged", "api", api)
        for start in range(0, len(missing), 20):  # batchEnable takes at most 20
            batch = missing[start : start + 20]
            with self.step("enabling APIs", ", ".join(batch)):
                self.wait(
                    self.c.service_usage.batch_enable_services(
                        request={"parent": f"projects/{project}", "service_ids": batch}
                    )
                )
            for api in batch:
                self.done("enabled", "api", api)

    def repository(self, repo: ArtifactRepository) -> None:
        from google.api_core import exceptions
        from google.cloud import artifactregistry_v1

        with self.step("creating the Artifact Registry repository", repo.name):
            try:
                self.c.artifacts.get_repository(name=repo.name)
            except exceptions.NotFound:
                self.wait(
                    self.c.artifacts.create_repository(
                        parent=f"projects/{repo.project}/locations/{repo.location}",
                        repository_id=repo.repository_id,
                        repository=artifactregistry_v1.Repository(
                            format_=artifactregistry_v1.Repository.Format.DOCKER,
                            description="Context Index images (brain deploy)",
                        ),
                    )
                )
                self.done("created", repo.kind, repo.name)
                return
        self.done("unchanged", repo.kind, repo.name)

    def account(self, project: str, account_id: str, display_name: str, email: str) -> None:
        from google.api_core import exceptions

        with self.step("creating the service account", email):
            try:
                self.c.accounts.get(project, email)
            except exceptions.NotFound:
                self.c.accounts.create(project, account_id, display_name)
                self.done("created", "service_account", email)
                return
        self.done("unchanged", "service_account", email)

    def secret(self, secret: Secret) -> None:
        from google.api_core import exceptions

        with self.step("creating the secret", secret.name):
            try:
                self.c.secrets.get_secret(name=secret.name)
            except exceptions.NotFound:
                self.c.secrets.create_secret(
                    request={
                        "parent": f"projects/{secret.project}",
                        "secret_id": secret.secret_id,
                        "secret": {
                            "replication": {"automatic": {}},
                            "labels": {"app": "context-index"},
                        },
                    }
                )
                self.done("created", secret.kind, secret.name, "add its value: see below")
                return
        self.done("unchanged", secret.kind, secret.name)

    def binding(self, binding: IamBinding) -> None:
        resource, client = self._iam_target(binding.resource_type, binding.resource, binding)
        self._ensure_member(client, resource, binding.role, binding.member, present=True)

    def exposure(self, service: CloudRunService) -> None:
        """``allUsers`` may invoke exactly the public services (it is removed from others)."""
        self._ensure_member(
            self.c.run, _service_name(service), RUN_INVOKER, PUBLIC, present=service.public
        )

    def prerequisites(self) -> None:
        """Stop before any service while a secret has no enabled version or no image exists."""
        from google.api_core import exceptions
        from google.cloud import secretmanager_v1

        missing: list[tuple[str, str]] = []
        enabled = secretmanager_v1.SecretVersion.State.ENABLED
        for secret in self.plan.secrets:
            for version in secret.versions:
                with self.step("checking the versions of secret", secret.name):
                    if version == "latest":
                        found = self.c.secrets.list_secret_versions(
                            request={"parent": secret.name, "filter": "state:ENABLED"}
                        )
                        ok = any(v.state == enabled for v in found)
                    else:
                        try:
                            got = self.c.secrets.get_secret_version(
                                name=f"{secret.name}/versions/{version}"
                            )
                            ok = got.state == enabled
                        except exceptions.NotFound:
                            ok = False
                if not ok:
                    which = "enabled version" if version == "latest" else f"version {version}"
                    missing.append(
                        (
                            f"secret {secret.secret_id} has no {which} "
                            f"({', '.join(secret.config_keys)})",
                            secret_version_command(secret),
                        )
                    )
        for repo in self.plan.repositories:
            # a package "team/brain" is "team%2Fbrain" in a resource name
            package = f"{repo.name}/packages/{quote(repo.package, safe='')}"
            with self.step("checking the image", repo.image):
                try:
                    if repo.tag is None:  # pinned by digest: that version must exist
                        digest = repo.image.rsplit("@", 1)[1]
                        self.c.artifacts.get_version(name=f"{package}/versions/{digest}")
                    else:
                        self.c.artifacts.get_tag(name=f"{package}/tags/{repo.tag}")
                except exceptions.NotFound:
                    missing.append(
                        (
                            f"image {repo.image} is not in Artifact Registry",
                            image_build_command(repo),
                        )
                    )
        if missing:
            raise MissingPrerequisites(missing)

    def service(self, service: CloudRunService, desired: run_v2.Service) -> None:
        from google.api_core import exceptions

        spec = _spec_hash(desired)
        desired.annotations[SPEC_ANNOTATION] = spec
        name = desired.name
        hint = (
            f"Read why: gcloud run services logs read {service.name} "
            f"--project={service.project} --region={service.region}. Fix it, then run brain "
            "deploy again: what is done stays done."
        )
        with self.step("deploying the Cloud Run service", service.name, hint):
            try:
                current = self.c.run.get_service(name=name)
            except exceptions.NotFound:
                current = None
            if current is not None and current.annotations.get(SPEC_ANNOTATION) == spec:
                self.report.urls[service.target] = current.uri
                self.done("unchanged", service.kind, service.name)
                return
            if current is None:
                desired.name = ""  # create_service takes the short name as service_id
                operation = self.retrying(
                    lambda: self.c.run.create_service(
                        parent=f"projects/{service.project}/locations/{service.region}",
                        service=desired,
                        service_id=service.name,
                    )
                )
            else:
                operation = self.retrying(lambda: self.c.run.update_service(service=desired))
            deployed = self.wait(operation)
        self.report.urls[service.target] = deployed.uri
        self.done("created" if current is None else "updated", service.kind, service.name)

    def job(self, job: SchedulerJob) -> None:
        from google.api_core import exceptions
        from google.cloud import scheduler_v1

        url = self.report.urls.get(_target_of(self.plan, job.target_service), "")
        name = f"projects/{job.project}/locations/{job.region}/jobs/{job.name}"
        desired = scheduler_v1.Job(
            name=name,
            description="Context Index: index sync and webhook outbox drain (brain deploy)",
            schedule=job.schedule,
            time_zone=job.time_zone,
            attempt_deadline=timedelta(seconds=job.attempt_deadline_s),
            http_target=scheduler_v1.HttpTarget(
                uri=url + job.path,
                http_method=getattr(scheduler_v1.HttpMethod, job.http_method),
                oidc_token=scheduler_v1.OidcToken(
                    service_account_email=job.oidc_service_account, audience=url
                ),
            ),
        )
        with self.step("scheduling the sync job", name):
            try:
                current = self.c.scheduler.get_job(name=name)
            except exceptions.NotFound:
                self.retrying(
                    lambda: self.c.scheduler.create_job(
                        parent=f"projects/{job.project}/locations/{job.region}", job=desired
                    )
                )
                self.done("created", job.kind, job.name, f"{job.schedule}: POST {url}{job.path}")
                return
            if _job_fields(current) == _job_fields(desired):
                self.done("unchanged", job.kind, job.name)
                return
            self.retrying(lambda: self.c.scheduler.update_job(job=desired))
        self.done("updated", job.kind, job.name, f"{job.schedule}: POST {url}{job.path}")

    # -- IAM policies ------------------------------------------------------------------------

    def _iam_target(
        self, resource_type: str, resource: str, binding: IamBinding
    ) -> tuple[str, Any]:
        if resource_type == "secret":
            return resource, self.c.secrets
        if resource_type == "project":
            return f"projects/{resource}", self.c.projects
        region = binding.region or self.plan.region
        return f"projects/{binding.project}/locations/{region}/services/{resource}", self.c.run

    def _ensure_member(
        self, client: Any, resource: str, role: str, member: str, *, present: bool
    ) -> None:
        what = f"{role} on {resource} for {member}"
        with self.step("granting" if present else "revoking", what):

            def change() -> bool:
                policy = client.get_iam_policy(request={"resource": resource})
                binding = next((b for b in policy.bindings if b.role == role), None)
                has = binding is not None and member in binding.members
                if has == present:
                    return False
                if present:
                    if binding is None:
                        binding = policy.bindings.add(role=role)
                    binding.members.append(member)
                else:
                    assert binding is not None
                    binding.members.remove(member)
                    if not binding.members:
                        policy.bindings.remove(binding)
                # The policy's etag makes a concurrent change fail (ABORTED): read and retry.
                client.set_iam_policy(request={"resource": resource, "policy": policy})
                return True

            changed = self.retrying(change)
        if changed:
            self.done("granted" if present else "revoked", "iam_binding", what)
        elif present:
            self.done("unchanged", "iam_binding", what)


def _service_name(service: CloudRunService) -> str:
    return f"projects/{service.project}/locations/{service.region}/services/{service.name}"


def _target_of(plan: DeployPlan, service_name: str) -> str:
    return next(s.target for s in plan.services if s.name == service_name)


def _spec_hash(service: run_v2.Service) -> str:
    from google.cloud import run_v2

    data = json.loads(run_v2.Service.to_json(service))
    data.get("annotations", {}).pop(SPEC_ANNOTATION, None)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _job_fields(job: Any) -> tuple[object, ...]:
    target = job.http_target
    return (
        job.schedule,
        job.time_zone,
        job.attempt_deadline,
        target.uri,
        target.http_method,
        target.oidc_token.service_account_email,
        target.oidc_token.audience,
    )
