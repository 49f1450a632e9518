"""Google's client libraries for the APIs a deployment calls, all over their REST transport.

:meth:`Clients.connect` builds one client per API with ``transport="rest"``; ``api_endpoint``
points every one of them at another server (the loopback fakes in the tests, an emulator).
The IAM Admin API (service accounts) has no REST transport in ``google-cloud-iam`` (its
``iam_admin_v1`` is gRPC only), so :class:`ServiceAccounts` calls its two REST methods with
google-auth's ``AuthorizedSession`` and maps errors with ``google.api_core.exceptions``, the
same exception classes the other clients raise.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from infra.errors import DeployError

if TYPE_CHECKING:
    from google.auth.credentials import Credentials
    from google.auth.transport.requests import AuthorizedSession
    from google.cloud import (
        artifactregistry_v1,
        resourcemanager_v3,
        run_v2,
        scheduler_v1,
        secretmanager_v1,
        service_usage_v1,
    )

__all__ = ["Clients", "ServiceAccounts"]

IAM_ENDPOINT = "https://iam.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)


class ServiceAccounts:
    """``projects.serviceAccounts.get`` and ``.create`` of the IAM Admin REST API (v1)."""

    def __init__(self, session: AuthorizedSession, endpoint: str = IAM_ENDPOINT) -> None:
        self._session = session
        self._endpoint = endpoint.rstrip("/")

    def get(self, project: str, email: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/projects/{project}/serviceAccounts/{email}")

    def create(self, project: str, account_id: str, display_name: str) -> dict[str, Any]:
        body = {"accountId": account_id, "serviceAccount": {"displayName": display_name}}
        return self._call("POST", f"/v1/projects/{project}/serviceAccounts", body)

    def close(self) -> None:
        self._session.close()  # type: ignore[no-untyped-call]

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        from google.api_core import exceptions

        response = self._session.request(  # type: ignore[no-untyped-call]
            method, self._endpoint + path, json=body, timeout=60
        )
        if response.status_code >= 400:
            raise exceptions.from_http_response(response)  # type: ignore[no-untyped-call]
        result: dict[str, Any] = response.json()
        return result


@dataclass
class Clients:
    """One client per API the deployment calls."""

    service_usage: service_usage_v1.ServiceUsageClient
    artifacts: artifactregistry_v1.ArtifactRegistryClient
    accounts: ServiceAccounts
    secrets: secretmanager_v1.SecretManagerServiceClient
    projects: resourcemanager_v3.ProjectsClient
    run: run_v2.ServicesClient
    scheduler: scheduler_v1.CloudSchedulerClient

    @classmethod
    def connect(
        cls, *, credentials: Credentials | None = None, api_endpoint: str | None = None
    ) -> Clients:
        """Clients for every API; Application Default Credentials unless ``credentials``.

        ``api_endpoint`` (``http://127.0.0.1:PORT``) sends every call there instead of Google;
        a loopback endpoint with no credentials given uses anonymous ones.
        """
        from google.api_core.client_options import ClientOptions
        from google.auth.transport.requests import AuthorizedSession
        from google.cloud import (
            artifactregistry_v1,
            resourcemanager_v3,
            run_v2,
            scheduler_v1,
            secretmanager_v1,
            service_usage_v1,
        )

        if credentials is None:
            credentials = _default_credentials(api_endpoint)
        options = ClientOptions(api_endpoint=api_endpoint) if api_endpoint else None
        common: dict[str, Any] = {
            "credentials": credentials,
            "transport": "rest",
            "client_options": options,
        }
        session = AuthorizedSession(credentials)  # type: ignore[no-untyped-call]
        return cls(
            service_usage=service_usage_v1.ServiceUsageClient(**common),
            artifacts=artifactregistry_v1.ArtifactRegistryClient(**common),
            accounts=ServiceAccounts(session, api_endpoint or IAM_ENDPOINT),
            secrets=secretmanager_v1.SecretManagerServiceClient(**common),
            projects=resourcemanager_v3.ProjectsClient(**common),
            run=run_v2.ServicesClient(**common),
            scheduler=scheduler_v1.CloudSchedulerClient(**common),
        )

    def close(self) -> None:
        for client in (
            self.service_usage,
            self.artifacts,
            self.secrets,
            self.projects,
            self.run,
            self.scheduler,
        ):
            client.transport.close()  # type: ignore[no-untyped-call]
        self.accounts.close()


def _default_credentials(api_endpoint: str | None) -> Credentials:
    import google.auth
    from google.auth.credentials import AnonymousCredentials
    from google.auth.exceptions import DefaultCredentialsError

    if api_endpoint and _is_loopback(api_endpoint):
        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    try:
        credentials, _ = google.auth.default(scopes=SCOPES)
    except DefaultCredentialsError as exc:
        raise DeployError(
            "no Google credentials found",
            resource="credentials",
            hint="Run 'gcloud auth application-default login' (or set "
            "GOOGLE_APPLICATION_CREDENTIALS), then brain deploy again.",
        ) from exc
    result: Credentials = credentials
    return result


def _is_loopback(url: str) -> bool:
    host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
