"""Deployment: the Cloud Run services, Secret Manager bindings and Cloud Scheduler job.

``plan(config)`` turns a :class:`config.BrainConfig` into a :class:`DeployPlan`
(pure: no network, no cloud client); ``render_text``, ``render_gcloud`` and ``to_json()``
show it, and ``to_service_protos`` builds ``google.cloud.run_v2.Service`` messages from it.
``apply(plan, Clients.connect())`` makes the cloud match it with Google's client libraries
(REST), idempotently. The image is ``infra/Dockerfile``; the steps are in ``infra/README.md``.

Modules: ``resources`` (the dataclasses and ``DeployPlan``), ``targets`` (what runs where),
``planner`` (``plan`` and, in ``_checks``, the findings), ``render`` (text and gcloud),
``protos`` (run_v2 messages), ``clients`` (one Google client per API), ``apply`` (and, in
``_failures``, what a failed call means) and ``errors``. Reads :mod:`config`; never imports
``functions``. ``infra.plan`` is the function; the module is ``infra.planner``.
"""

from __future__ import annotations

from infra.apply import ApplyOptions, ApplyReport, Change, apply
from infra.clients import Clients, ServiceAccounts
from infra.errors import DeployError, MissingPrerequisites
from infra.planner import plan
from infra.protos import to_service_protos
from infra.render import (
    image_build_command,
    render_gcloud,
    render_text,
    secret_version_command,
)
from infra.resources import (
    ArtifactRepository,
    CloudRunService,
    DeployPlan,
    EnabledApi,
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
    "ApplyOptions",
    "ApplyReport",
    "ArtifactRepository",
    "Change",
    "Clients",
    "CloudRunService",
    "DeployError",
    "DeployPlan",
    "EnabledApi",
    "Finding",
    "IamBinding",
    "MissingPrerequisites",
    "Resource",
    "SchedulerJob",
    "Secret",
    "SecretRef",
    "ServiceAccount",
    "ServiceAccounts",
    "ServiceSpec",
    "apply",
    "image_build_command",
    "plan",
    "render_gcloud",
    "render_text",
    "secret_version_command",
    "to_service_protos",
]
