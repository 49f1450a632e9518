"""Two ways to show a :class:`~infra.resources.DeployPlan`: for a person, and as gcloud.

:func:`render_text` lists the plan for a person; :func:`render_gcloud` prints the equivalent
``gcloud`` commands (a bash script that refuses to run while the plan has errors).
"""

from __future__ import annotations

import shlex

from infra.resources import ArtifactRepository, CloudRunService, DeployPlan, Secret

__all__ = ["image_build_command", "render_gcloud", "render_text", "secret_version_command"]


def secret_version_command(secret: Secret) -> str:
    """The command that adds a secret's value as a new version (read from ``$VALUE``)."""
    return (
        f"printf '%s' \"$VALUE\" | gcloud secrets versions add {shlex.quote(secret.secret_id)} "
        f"--project={shlex.quote(secret.project)} --data-file=-"
    )


def image_build_command(repo: ArtifactRepository) -> str:
    """The command that builds the image for linux/amd64 with Cloud Build and pushes it."""
    q = shlex.quote
    return (
        f"gcloud builds submit --project={q(repo.project)} --region={q(repo.location)} "
        f"--config=infra/cloudbuild.yaml --substitutions={q('_IMAGE=' + repo.image)} ."
    )


def render_text(plan: DeployPlan) -> str:
    """A readable listing of the plan: services, accounts, secrets, bindings, job, findings."""
    out = [f"Deploy plan: project {plan.project}, region {plan.region}", f"Image: {plan.image}"]
    out.append(f"\nAPIs ({len(plan.apis)}): {', '.join(a.service for a in plan.apis)}")
    for repo in plan.repositories:
        out.append(f"\nArtifact Registry repository: {repo.name} (Docker)")
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
    out.append("\n# 1. APIs")
    out.append(f"gcloud services enable {' '.join(q(a.service) for a in plan.apis)} --project={p}")
    out.append("\n# 2. The image (one for every service), built by Cloud Build for linux/amd64")
    for repo in plan.repositories:
        out.append(
            f"gcloud artifacts repositories describe {q(repo.repository_id)} "
            f"--project={q(repo.project)} --location={q(repo.location)} >/dev/null 2>&1 || \\\n"
            f"  gcloud artifacts repositories create {q(repo.repository_id)} "
            f"--project={q(repo.project)} --location={q(repo.location)} "
            "--repository-format=docker"
        )
    for repo in plan.repositories:
        out.append(
            f"gcloud auth configure-docker {q(repo.host)} --quiet  # only for docker buildx/push"
        )
        out.append(image_build_command(repo))
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
        out.append(f"#   then: {secret_version_command(s)}")
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
    if plan.secrets:
        out.append("\n# Stop here until every secret has an enabled version (services would 503)")
        out.append("missing=0")
        for s in plan.secrets:
            sid, sp = q(s.secret_id), q(s.project)
            add = secret_version_command(s).replace('"', '\\"').replace("$", "\\$")
            out.append(
                f'[ -n "$(gcloud secrets versions list {sid} --project={sp} '
                "--filter=state:ENABLED --limit=1 --format='value(name)')\" ] || "
                f'{{ echo "secret {s.secret_id} has no value: {add}" >&2; missing=1; }}'
            )
        out.append('[ "$missing" = 0 ] || exit 1')
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
