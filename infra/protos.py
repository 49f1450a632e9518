"""A :class:`~infra.resources.DeployPlan`'s services as ``google.cloud.run_v2`` messages.

Building the real client library's messages checks the field names against it (no network);
the library is imported on first use, so planning and rendering do not need it loaded.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from infra.resources import DeployPlan

if TYPE_CHECKING:
    from google.cloud import run_v2

__all__ = ["to_service_protos"]

CLOUDSQL_MOUNT = "/cloudsql"


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
