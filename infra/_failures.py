"""What a failed call to Google means for ``brain deploy``: retry it, or stop and say what to do.

:func:`is_propagating` tells the errors IAM's eventual consistency causes (retried);
:func:`translate` turns any other failure of a step into a :class:`~infra.errors.DeployError`
with Google's message (without the request line the REST transport puts before it) and a hint.
"""

from __future__ import annotations

import re

from infra.errors import DeployError

__all__ = ["is_propagating", "message", "translate"]

GENERIC_HINT = "Fix the cause, then run brain deploy again: what is done stays done."
_REQUEST_PREFIX = re.compile(r"^(GET|POST|PATCH|PUT|DELETE) \S+: ")
_PROPAGATING = ("does not exist", "not found", "is not ready", "propagat")


def translate(
    exc: Exception, doing: str, resource: str, hint: str | None, timeout_s: float
) -> DeployError | None:
    """The DeployError for ``exc`` raised while ``doing`` ``resource``; None: not Google's.

    ``hint`` is the step's own advice, for what went wrong inside it (a revision that failed);
    a refused permission or an organisation policy has the same fix everywhere.
    """
    from google.api_core import exceptions
    from google.auth.exceptions import GoogleAuthError
    from requests import RequestException

    if isinstance(exc, TimeoutError):  # an operation still running past its timeout
        return DeployError(
            f"{doing} {resource} did not finish within {timeout_s:.0f}s",
            resource=resource,
            hint="It may still finish on its own: run brain deploy again in a few minutes "
            "(it picks up where this run stopped).",
        )
    if isinstance(exc, RequestException | GoogleAuthError):
        return DeployError(
            f"{doing} {resource} failed: cannot reach Google Cloud ({exc})",
            resource=resource,
            hint="Check the network and your credentials ('gcloud auth "
            "application-default login'), then run brain deploy again.",
        )
    if isinstance(exc, exceptions.GoogleAPIError):
        general = _hint(exc)
        return DeployError(
            f"{doing} {resource} failed: {message(exc)}",
            resource=resource,
            hint=hint if hint and general == GENERIC_HINT else general,
        )
    return None


def is_propagating(exc: BaseException) -> bool:
    """An error IAM's eventual consistency causes, which goes away if we wait and retry."""
    from google.api_core import exceptions

    if isinstance(exc, exceptions.Aborted | exceptions.Conflict):  # concurrent policy edit
        return True
    if isinstance(exc, exceptions.Forbidden):  # a role granted moments ago
        return True
    if isinstance(exc, exceptions.BadRequest | exceptions.NotFound):
        text = message(exc).lower()
        return "serviceaccount" in text.replace(" ", "") and any(p in text for p in _PROPAGATING)
    return False


def message(exc: BaseException) -> str:
    """Google's message, without the "POST https://…: " the REST transport puts before it."""
    text = str(getattr(exc, "message", None) or exc)
    return _REQUEST_PREFIX.sub("", text, count=1)


def _hint(exc: Exception) -> str:
    from google.api_core import exceptions

    if isinstance(exc, exceptions.Forbidden):
        return (
            "The account running brain deploy lacks a permission (or a role granted moments "
            "ago has not propagated). It needs Owner, or: roles/serviceusage.serviceUsageAdmin, "
            "roles/artifactregistry.admin, roles/iam.serviceAccountAdmin, "
            "roles/iam.serviceAccountUser, roles/secretmanager.admin, "
            "roles/resourcemanager.projectIamAdmin, roles/run.admin, roles/cloudscheduler.admin. "
            "Then run brain deploy again: what is done stays done."
        )
    if "permitted customer" in message(exc) or "constraints/iam.allowedPolicyMemberDomains" in (
        message(exc)
    ):
        return (
            "An organisation policy (domain restricted sharing) forbids allUsers, so the public "
            "services (webhooks, notion_events, and context/mcp with a bearer token) cannot be "
            "opened. Ask an organisation admin for an exception for this project, then run "
            "brain deploy again."
        )
    if isinstance(exc, exceptions.RetryError | exceptions.DeadlineExceeded):
        return "Google did not answer in time; run brain deploy again: what is done stays done."
    return GENERIC_HINT
