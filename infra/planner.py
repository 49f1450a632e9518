"""The cloud deployment as data: ``plan(config) -> DeployPlan``.

:func:`plan` is pure: it reads a :class:`~config.BrainConfig` and returns the
resources a deployment consists of, with no network and no cloud client. One container image
runs every functions-framework target of ``main.py``; each target is its own Cloud Run
service with its own service account, so a secret is readable only by the services that use
it. A Cloud Scheduler job POSTs ``/sync`` with an OIDC token. The plan also says what would not
work in the cloud (``errors``) and what is risky (``warnings``), each naming the config key.

The module is ``infra.planner`` so that ``infra.plan`` is only ever the function.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from config import BEARER_TARGETS, CONFIG_ENV, INDEX_TARGETS, NOTION_EVENTS_SOURCE, BrainConfig
from infra._checks import check_deploy_section, check_functions, check_state
from infra.resources import (
    ArtifactRepository,
    CloudRunService,
    DeployPlan,
    EnabledApi,
    Finding,
    IamBinding,
    SchedulerJob,
    Secret,
    SecretRef,
    ServiceAccount,
)
from infra.targets import (
    APIS,
    CLOUDSQL_API,
    CONFIG_PATH,
    SPECS,
    STATE_URL_ENV,
    TARGETS,
)

__all__ = ["plan"]

SCHEDULER_TIME_ZONE = "Etc/UTC"
SECRET_ACCESSOR = "roles/secretmanager.secretAccessor"  # noqa: S105 (a role, not a password)
RUN_INVOKER = "roles/run.invoker"
CLOUDSQL_CLIENT = "roles/cloudsql.client"
_SERVICE_NAME_MAX = 49  # Cloud Run service names: fewer than 50 characters
_ACCOUNT_ID_LEN = (6, 30)  # IAM service account ids
#: REGION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE[:TAG|@sha256:DIGEST]
_AR_IMAGE = re.compile(
    r"^(?P<location>[a-z0-9-]+)-docker\.pkg\.dev/(?P<project>[^/]+)/(?P<repository>[^/]+)/"
    r"(?P<package>[^:@]+)(?::(?P<tag>[^@]+))?(?:@(?P<digest>sha256:[0-9a-f]+))?$"
)


def plan(config: BrainConfig) -> DeployPlan:
    """The resources ``config`` deploys to, and what would not work there. No I/O."""
    d = config.deploy
    result = DeployPlan(project=d.project, region=d.region, image=d.image)
    errors, warnings = result.errors, result.warnings
    check_deploy_section(d, errors, warnings)
    cloudsql = check_state(config, errors, warnings)
    apis = dict(APIS) | ({CLOUDSQL_API: "the Cloud SQL socket"} if cloudsql else {})
    result.resources.extend(EnabledApi(d.project, api, why) for api, why in apis.items())
    repository = _repository(d.image, warnings)
    if repository is not None:
        result.resources.append(repository)

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
    use("serve.auth_token", config.serve.auth_token, BEARER_TARGETS)
    if config.context.persist_index:  # (else no index is saved, and the key is never read)
        use("context.index_key", config.context.index_key, INDEX_TARGETS)
    if config.context.persist_index and config.context.index_key is None:
        warnings.append(
            Finding(
                "context.index_key",
                "the saved index in the state database will be unsigned: who can write the "
                "database could make the services load a file of theirs (it is a pickle)",
                f"Set [context] index_key = 'sm:projects/{d.project}/secrets/BRAIN_INDEX_KEY/"
                "versions/latest' and give it a random value (infra/README.md, step 5).",
            )
        )
    state_users = [t for t in TARGETS if SPECS[t].uses_state]
    use("deploy.state_url_secret", d.state_url_secret, state_users)

    secrets, bindings = _secrets(readers, accounts, names, warnings)
    result.resources.extend(secrets)
    result.resources.extend(bindings)

    state_ref = SecretRef.parse(d.state_url_secret) if d.state_url_secret else None
    bearer = config.serve.auth_token is not None
    for target in TARGETS:
        spec = SPECS[target]
        if target in d.warm:  # one instance kept (billed while idle): no cold start
            spec = replace(spec, min_instances=max(1, spec.min_instances))
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
                env=((CONFIG_ENV, CONFIG_PATH), ("TARGET", target)),
                secret_env=((STATE_URL_ENV, state_ref),) if state_ref and spec.uses_state else (),
                service_account=accounts[target].email,
                ingress="all",
                # webhooks and notion_events authenticate by signature; context, mcp and status
                # by the bearer token (else Cloud Run IAM); sync only by IAM (the scheduler's OIDC).
                public=target in ("webhooks", "notion_events")
                or (target in BEARER_TARGETS and bearer),
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
    check_functions(config, bearer, errors, warnings)
    return result


def _repository(image: str, warnings: list[Finding]) -> ArtifactRepository | None:
    match = _AR_IMAGE.match(image)
    if match is None:
        warnings.append(
            Finding(
                "deploy.image",
                f"{image!r} is not an Artifact Registry image, so brain deploy creates no "
                "repository for it and cannot check that it was pushed",
                "Use REGION-docker.pkg.dev/PROJECT/REPOSITORY/brain:VERSION.",
            )
        )
        return None
    return ArtifactRepository(
        project=match["project"],
        location=match["location"],
        repository_id=match["repository"],
        image=image,
        package=match["package"],
        tag=None if match["digest"] else (match["tag"] or "latest"),
    )


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
