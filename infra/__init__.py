"""Deployment: the Cloud Run services, Secret Manager bindings and Cloud Scheduler job.

``plan(config)`` turns a :class:`functions.config.BrainConfig` into a :class:`DeployPlan`
(pure: no network, no cloud client); ``render_text``, ``render_gcloud`` and ``to_json()``
show it, and ``to_service_protos`` builds ``google.cloud.run_v2.Service`` messages from it.
The container image is ``infra/Dockerfile``; the steps are in ``infra/README.md``.
"""

from __future__ import annotations

from infra.plan import (
    CONFIG_PATH,
    TARGETS,
    CloudRunService,
    DeployPlan,
    Finding,
    IamBinding,
    Resource,
    SchedulerJob,
    Secret,
    SecretRef,
    ServiceAccount,
    ServiceSpec,
    plan,
    render_gcloud,
    render_text,
    to_service_protos,
)

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
