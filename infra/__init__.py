"""Deployment: the Cloud Run services, Secret Manager bindings and Cloud Scheduler job.

``plan(config)`` turns a :class:`config.BrainConfig` into a :class:`DeployPlan`
(pure: no network, no cloud client); ``render_text``, ``render_gcloud`` and ``to_json()``
show it, and ``to_service_protos`` builds ``google.cloud.run_v2.Service`` messages from it.
The container image is ``infra/Dockerfile``; the steps are in ``infra/README.md``.

Modules: ``resources`` (the dataclasses and ``DeployPlan``), ``targets`` (what runs where),
``planner`` (``plan`` and, in ``_checks``, the findings), ``render`` (text and gcloud) and
``protos`` (run_v2 messages). ``infra.plan`` is the function; the module is ``infra.planner``.
"""

from __future__ import annotations

from infra.planner import plan
from infra.protos import to_service_protos
from infra.render import render_gcloud, render_text
from infra.resources import (
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
)
from infra.targets import CONFIG_PATH, TARGETS

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
