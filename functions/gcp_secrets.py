"""Reading ``sm:`` secret references from Google Secret Manager, with an endpoint seam.

:class:`SecretManagerFetcher` is a :data:`functions.secrets.SecretFetcher`: give it to
``SecretResolver(sm_fetch=...)``. In the cloud it uses the client library's defaults (gRPC,
Application Default Credentials). Given an ``endpoint`` it speaks the REST transport with
anonymous credentials instead, so tests drive the real client over real loopback HTTP against
``tests/gcp_fake.py``: the REST transports of google-api-core generated clients keep an
``http://`` scheme written in ``api_endpoint`` (otherwise they prepend ``https://``).

The client is built on the first fetch, never at import or construction, and reused after.
Secret values never appear in an error: the message names the secret version and says what to
do, and the client's exception stays as ``__cause__``.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Any

from functions.errors import SecretError

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

__all__ = ["DEFAULT_TIMEOUT_S", "SecretManagerFetcher", "crc32c"]

#: Seconds one access call may take, retries included.
DEFAULT_TIMEOUT_S = 10.0
_NAME = re.compile(r"^projects/(?P<project>[^/]+)/secrets/(?P<secret>[^/]+)/versions/(?P<v>[^/]+)$")


class SecretManagerFetcher:
    """Fetch one secret version's payload as text; ``name`` is ``projects/P/secrets/S/versions/V``.

    ``endpoint``: ``None`` for Google's own (gRPC); else a base URL such as
    ``http://127.0.0.1:8123`` reached with the REST transport and, unless ``credentials`` are
    given, anonymous credentials. ``credentials``: ``None`` for Application Default Credentials.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        credentials: Credentials | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.endpoint = endpoint
        self._credentials = credentials
        self._timeout = timeout
        self._client: Any = None
        self._lock = threading.Lock()

    def __call__(self, name: str) -> str:
        client = self._get_client()
        try:
            response = client.access_secret_version(request={"name": name}, timeout=self._timeout)
        except Exception as exc:  # google-api-core, auth and transport errors alike
            raise _translate(name, exc) from exc
        payload = response.payload
        data = bytes(payload.data)
        # The service stores a CRC32C with every version and returns it; the client library
        # does not check it, so we do (as Google's access-secret samples do).
        if "data_crc32c" in payload and payload.data_crc32c != crc32c(data):
            raise SecretError(
                f"secret {name!r}: the payload from Secret Manager failed its CRC32C check",
                hint="The data was corrupted in transit; retry. If it persists, add a new "
                "version of the secret.",
            )
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SecretError(
                f"secret {name!r} is not UTF-8 text",
                hint="Store the secret as text (a token or key string), not binary data.",
            ) from exc

    def close(self) -> None:
        """Close the client's transport (its HTTP session or gRPC channel), if one was built."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.transport.close()

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._build_client()
            return self._client

    def _build_client(self) -> Any:
        try:
            from google.cloud import secretmanager

            if self.endpoint is None:
                return secretmanager.SecretManagerServiceClient(credentials=self._credentials)
            from google.auth.credentials import AnonymousCredentials

            return secretmanager.SecretManagerServiceClient(
                credentials=self._credentials or AnonymousCredentials(),  # type: ignore[no-untyped-call]
                transport="rest",
                client_options={"api_endpoint": self.endpoint},
            )
        except Exception as exc:  # missing library, no default credentials, bad endpoint
            raise SecretError(
                f"cannot create a Secret Manager client ({type(exc).__name__})",
                hint="Install google-cloud-secret-manager and provide credentials "
                "(on Cloud Run: the service account; locally: "
                "'gcloud auth application-default login').",
            ) from exc


def _translate(name: str, exc: Exception) -> SecretError:
    """The client's exception as a SecretError naming the version and the fix."""
    from google.api_core import exceptions as gexc

    match = _NAME.match(name)
    secret = match["secret"] if match else name
    project = match["project"] if match else "PROJECT"
    status = getattr(exc, "code", None)
    reason = f"{status} {type(exc).__name__}" if isinstance(status, int) else type(exc).__name__
    if isinstance(exc, gexc.NotFound):
        return SecretError(
            f"secret {name!r} does not exist in Secret Manager ({reason})",
            hint=f"Check the project, secret id and version in the sm: reference, or create "
            f"it: 'gcloud secrets create {secret} --project={project}' then "
            f"'gcloud secrets versions add {secret} --project={project} --data-file=-'.",
        )
    # The REST transport maps by HTTP status (Forbidden, BadRequest, Unauthorized), gRPC by
    # status code (PermissionDenied, FailedPrecondition, Unauthenticated: their subclasses).
    if isinstance(exc, gexc.Forbidden):
        return SecretError(
            f"not allowed to read secret {name!r} from Secret Manager ({reason})",
            hint=f"Grant the service account roles/secretmanager.secretAccessor on it: "
            f"'gcloud secrets add-iam-policy-binding {secret} --project={project} "
            f"--member=serviceAccount:SA_EMAIL --role=roles/secretmanager.secretAccessor' "
            f"('brain deploy --dry-run --format gcloud' prints the bindings).",
        )
    if isinstance(exc, gexc.BadRequest):
        return SecretError(
            f"Secret Manager refused to read {name!r} ({reason}): the version is disabled or "
            "destroyed, or the name is malformed",
            hint=f"Check the reference, then enable the version ('gcloud secrets versions "
            f"enable VERSION --secret={secret} --project={project}') or point the reference "
            "at an enabled version.",
        )
    if isinstance(exc, gexc.Unauthorized):
        return SecretError(
            f"Secret Manager refused the credentials while reading {name!r} ({reason})",
            hint="Locally run 'gcloud auth application-default login'; on Cloud Run check the "
            "service's service account.",
        )
    return SecretError(
        f"cannot read secret {name!r} from Secret Manager ({reason})",
        hint="Secret Manager is unreachable or failing; retry later, and check the network "
        "and the service's service account.",
    )


def _crc32c_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC32C_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), as Secret Manager's ``data_crc32c``.

    Our own (table-driven, pure Python) because ``google-crc32c`` is not a dependency of the
    Secret Manager client; payloads are at most 64 KiB, so speed does not matter here.
    """
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF
