"""A fake of the Google Cloud REST APIs ``brain deploy`` calls, over real HTTP on loopback.

Driven by the real client libraries (``transport="rest"``, ``api_endpoint`` = :attr:`url`,
anonymous credentials), so request building, JSON (de)serialisation, long-running operation
polling and error mapping all run for real. One server answers every API, as their paths do
not collide:

- Service Usage v1: ``GET /v1/projects/P/services:batchGet``, ``POST …/services:batchEnable``,
  operations at ``/v1/operations/*``;
- Artifact Registry v1: ``GET|POST /v1/projects/P/locations/L/repositories[/R]``, tags and
  versions under ``…/packages/PKG/``, operations at ``/v1/projects/P/locations/L/operations/*``;
- IAM Admin v1: ``GET /v1/projects/P/serviceAccounts/EMAIL``, ``POST …/serviceAccounts``;
- Secret Manager v1: secrets, their versions, ``:getIamPolicy`` / ``:setIamPolicy``;
- Resource Manager v3: ``POST /v3/projects/P:getIamPolicy`` / ``:setIamPolicy``;
- Cloud Run v2: ``GET|POST|PATCH`` services, their IAM policy, operations at
  ``/v2/projects/P/locations/L/operations/*``;
- Cloud Scheduler v1: ``GET|POST|PATCH`` jobs.

A long-running operation answers ``done: false`` when started and ``done: true`` (with the
response, or the error :meth:`fail` injected) on the first poll, so the client's polling runs
without the test sleeping. :attr:`propagation` makes each new service account unknown to IAM
policy writes for that many attempts (``400 … does not exist``), as IAM's eventual consistency
does. Errors use Google's shape, ``{"error": {"code", "message", "status"}}``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.gcp_fake import GoogleApiServer
from tests.loopback import LoopbackFake

_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    500: "INTERNAL",
}
_GRPC_CODE = {
    "INVALID_ARGUMENT": 3,
    "NOT_FOUND": 5,
    "PERMISSION_DENIED": 7,
    "FAILED_PRECONDITION": 9,
}
_RUN_SERVICE = "type.googleapis.com/google.cloud.run.v2.Service"
_REPOSITORY = "type.googleapis.com/google.devtools.artifactregistry.v1.Repository"
_BATCH_ENABLE = "type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse"
_SA_MEMBER = re.compile(r"serviceAccount:(\S+)")
#: Verbs that change something (the rest only read); getIamPolicy is a POST in some APIs.
_READ_ONLY_POSTS = (":getIamPolicy", ":batchGet")


@dataclass
class Seen:
    """One request as the fake saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int

    @property
    def writes(self) -> bool:
        if self.method == "GET":
            return False
        return not (self.method == "POST" and self.path.endswith(_READ_ONLY_POSTS))


class ApiError(Exception):
    def __init__(self, code: int, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message = code, message
        self.status = status or _STATUS.get(code, "UNKNOWN")


class GoogleCloudFake(LoopbackFake):
    """In-memory Google Cloud behind one loopback HTTP server."""

    label = "the fake Google Cloud APIs"

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Seen] = []
        self.errors: list[BaseException] = []  # bugs in the fake itself (answered 500)
        self.enabled: set[tuple[str, str]] = {("*", "serviceusage.googleapis.com")}
        self.repositories: dict[str, dict[str, Any]] = {}
        self.images: set[str] = set()  # "projects/P/locations/L/repositories/R/packages/X/tags/T"
        self.accounts: dict[str, dict[str, Any]] = {}
        self.secrets: dict[str, dict[str, Any]] = {}
        self.versions: dict[str, dict[int, str]] = {}  # secret name -> number -> state
        self.policies: dict[str, dict[str, Any]] = {}
        self.services: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.operations: dict[str, dict[str, Any]] = {}
        self.propagation = 0  # policy writes naming a new account refused this many times
        self._unpropagated: dict[str, int] = {}
        self._failures: dict[tuple[str, str], str] = {}  # (verb, resource) -> error message
        self._denied: set[tuple[str, str]] = set()  # (method, path)
        self._refused_members: dict[str, str] = {}
        self._lock = threading.RLock()

    # -- test controls ---------------------------------------------------------------------

    def push_image(self, image: str) -> None:
        """``REGION-docker.pkg.dev/P/R/PKG:TAG`` now exists (as ``docker push`` would do)."""
        host, project, repo, rest = image.split("/", 3)
        package, tag = rest.split(":", 1)
        location = host.removesuffix("-docker.pkg.dev")
        self.images.add(
            f"projects/{project}/locations/{location}/repositories/{repo}"
            f"/packages/{package}/tags/{tag}"
        )

    def add_version(self, secret: str, *, state: str = "ENABLED") -> int:
        """Add a version to ``projects/P/secrets/S`` (creating the secret if need be)."""
        with self._lock:
            self.secrets.setdefault(secret, {"name": secret, "replication": {"automatic": {}}})
            versions = self.versions.setdefault(secret, {})
            number = max(versions, default=0) + 1
            versions[number] = state
            return number

    def fail(self, verb: str, resource: str, message: str) -> None:
        """The next long-running ``verb`` ("create"/"update") of ``resource`` ends in error."""
        self._failures[(verb, resource)] = message

    def deny(self, method: str, path: str) -> None:
        """Answer 403 to ``method path`` (the caller lacks the permission), every time."""
        self._denied.add((method, path))

    def refuse_member(self, member: str, message: str) -> None:
        """Policy writes granting ``member`` fail with ``message`` (an organisation policy)."""
        self._refused_members[member] = message

    def writes(self) -> list[Seen]:
        return [r for r in self.requests if r.writes]

    # -- lifecycle -------------------------------------------------------------------------

    def _make_server(self) -> ThreadingHTTPServer:
        return GoogleApiServer(self)

    # -- dispatch --------------------------------------------------------------------------

    def _dispatch(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any]:
        parts = urlsplit(target)
        path = unquote(parts.path)
        query = parse_qs(parts.query)
        body = json.loads(raw) if raw else None
        try:
            if (method, path) in self._denied:
                raise ApiError(
                    403, f"Permission denied on resource '{path}' (or it may not exist)."
                )
            with self._lock:
                status, answer = 200, self._route(method, path, query, body)
        except ApiError as exc:
            status = exc.code
            answer = {"error": {"code": exc.code, "message": exc.message, "status": exc.status}}
        except Exception as exc:  # a bug in the fake: surface it to the test
            self.errors.append(exc)
            status = 500
            answer = {"error": {"code": 500, "message": f"fake bug: {exc!r}", "status": "INTERNAL"}}
        with self._lock:
            self.requests.append(Seen(method, path, query, body, status))
        return status, answer

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Any:
        for pattern, verb, handler in self._routes():
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                return handler(match, query, body or {})
        raise ApiError(404, f"The requested URL {path} was not found on the fake.")

    def _routes(self) -> list[tuple[str, str, Callable[..., Any]]]:
        name = r"[^/:]+"
        loc = rf"projects/{name}/locations/{name}"
        return [
            # Service Usage
            (rf"/v1/(projects/{name})/services:batchGet", "GET", self._batch_get),
            (rf"/v1/(projects/{name})/services:batchEnable", "POST", self._batch_enable),
            (r"/v1/(operations/[^/]+)", "GET", self._operation),
            # Artifact Registry
            (rf"/v1/({loc}/repositories/{name})", "GET", self._get_repository),
            (rf"/v1/({loc})/repositories", "POST", self._create_repository),
            (rf"/v1/({loc}/repositories/{name}/packages/{name}/tags/{name})", "GET", self._tag),
            (rf"/v1/({loc}/operations/{name})", "GET", self._operation),
            # IAM Admin
            (rf"/v1/projects/({name})/serviceAccounts/({name})", "GET", self._get_account),
            (rf"/v1/projects/({name})/serviceAccounts", "POST", self._create_account),
            # Secret Manager
            (rf"/v1/(projects/{name}/secrets/{name}):getIamPolicy", "GET", self._get_policy),
            (rf"/v1/(projects/{name}/secrets/{name}):setIamPolicy", "POST", self._set_policy),
            (rf"/v1/(projects/{name}/secrets/{name})/versions", "GET", self._list_versions),
            (rf"/v1/(projects/{name}/secrets/{name})/versions/({name})", "GET", self._version),
            (rf"/v1/(projects/{name}/secrets/{name})", "GET", self._get_secret),
            (rf"/v1/(projects/{name})/secrets", "POST", self._create_secret),
            # Resource Manager
            (rf"/v3/(projects/{name}):getIamPolicy", "POST", self._get_policy),
            (rf"/v3/(projects/{name}):setIamPolicy", "POST", self._set_policy),
            # Cloud Run
            (rf"/v2/({loc}/services/{name}):getIamPolicy", "GET", self._get_policy),
            (rf"/v2/({loc}/services/{name}):setIamPolicy", "POST", self._set_policy),
            (rf"/v2/({loc}/services/{name})", "GET", self._get_service),
            (rf"/v2/({loc})/services", "POST", self._create_service),
            (rf"/v2/({loc}/services/{name})", "PATCH", self._update_service),
            (rf"/v2/({loc}/operations/{name})", "GET", self._operation),
            # Cloud Scheduler
            (rf"/v1/({loc}/jobs/{name})", "GET", self._get_job),
            (rf"/v1/({loc})/jobs", "POST", self._create_job),
            (rf"/v1/({loc}/jobs/{name})", "PATCH", self._update_job),
        ]

    # -- long-running operations -------------------------------------------------------------

    def _start(self, prefix: str, verb: str, resource: str, type_url: str, result: Any) -> Any:
        """An operation that is done at its first poll: ``result`` (dict, or a callable
        applied then) or the failure injected for ``(verb, resource)``."""
        name = f"{prefix}/operations/{uuid.uuid4().hex[:12]}".removeprefix("/")
        failure = self._failures.pop((verb, resource), None)
        self.operations[name] = {
            "name": name,
            "done": False,
            "_finish": (failure, type_url, result),
        }
        return {"name": name, "done": False}

    def _operation(self, match: re.Match[str], query: Any, body: Any) -> Any:
        op = self.operations.get(match[1])
        if op is None:
            raise ApiError(404, f"Operation {match[1]} not found.")
        if not op["done"]:
            failure, type_url, result = op.pop("_finish")
            op["done"] = True
            if failure is not None:
                op["error"] = {"code": _GRPC_CODE["FAILED_PRECONDITION"], "message": failure}
            else:
                value = result() if callable(result) else result
                op["response"] = {"@type": type_url, **value}
        return op

    # -- Service Usage -----------------------------------------------------------------------

    def api_enabled(self, project: str, api: str) -> bool:
        return (project, api) in self.enabled or ("*", api) in self.enabled

    def _batch_get(self, match: re.Match[str], query: dict[str, list[str]], body: Any) -> Any:
        project = match[1].split("/")[1]
        services = []
        for full in query.get("names", []):
            api = full.rsplit("/", 1)[-1]
            state = "ENABLED" if self.api_enabled(project, api) else "DISABLED"
            services.append({"name": f"projects/123456/services/{api}", "state": state})
        return {"services": services}

    def _batch_enable(self, match: re.Match[str], query: Any, body: Any) -> Any:
        project = match[1].split("/")[1]

        def finish() -> dict[str, Any]:
            for api in body.get("serviceIds", []):
                self.enabled.add((project, api))
            return {"services": [{"name": s, "state": "ENABLED"} for s in body["serviceIds"]]}

        return self._start("", "enable", match[1], _BATCH_ENABLE, finish)

    # -- Artifact Registry -------------------------------------------------------------------

    def _get_repository(self, match: re.Match[str], query: Any, body: Any) -> Any:
        if match[1] not in self.repositories:
            raise ApiError(404, f"Requested entity was not found: {match[1]}")
        return self.repositories[match[1]]

    def _create_repository(self, match: re.Match[str], query: Any, body: Any) -> Any:
        name = f"{match[1]}/repositories/{query['repositoryId'][0]}"
        if name in self.repositories:
            raise ApiError(409, f"the repository already exists: {name}")
        repo = {**body, "name": name}

        def finish() -> dict[str, Any]:
            self.repositories[name] = repo
            return repo

        return self._start(match[1], "create", name, _REPOSITORY, finish)

    def _tag(self, match: re.Match[str], query: Any, body: Any) -> Any:
        if match[1] not in self.images:
            raise ApiError(404, f"Requested entity was not found: {match[1]}")
        return {"name": match[1], "version": f"{match[1].rsplit('/tags/', 1)[0]}/versions/x"}

    # -- IAM Admin ---------------------------------------------------------------------------

    def _get_account(self, match: re.Match[str], query: Any, body: Any) -> Any:
        if match[2] not in self.accounts:
            raise ApiError(404, f"Unknown service account {match[2]}", "NOT_FOUND")
        return self.accounts[match[2]]

    def _create_account(self, match: re.Match[str], query: Any, body: Any) -> Any:
        email = f"{body['accountId']}@{match[1]}.iam.gserviceaccount.com"
        if email in self.accounts:
            raise ApiError(409, f"Service account {body['accountId']} already exists.")
        self.accounts[email] = {
            "name": f"projects/{match[1]}/serviceAccounts/{email}",
            "email": email,
            "displayName": body["serviceAccount"].get("displayName", ""),
        }
        self._unpropagated[email] = self.propagation
        return self.accounts[email]

    # -- IAM policies (Secret Manager, Resource Manager, Cloud Run) ---------------------------

    def _get_policy(self, match: re.Match[str], query: Any, body: Any) -> Any:
        self._exists(match[1])
        return self.policies.get(match[1], {"etag": "BwAAAA=="})

    def _set_policy(self, match: re.Match[str], query: Any, body: Any) -> Any:
        self._exists(match[1])
        policy = body["policy"]
        current = self.policies.get(match[1], {"etag": "BwAAAA=="})
        if policy.get("etag", current["etag"]) != current["etag"]:
            raise ApiError(409, "There were concurrent policy changes.", "ABORTED")
        for binding in policy.get("bindings", []):
            for member in binding.get("members", []):
                if member in self._refused_members:
                    raise ApiError(400, self._refused_members[member], "FAILED_PRECONDITION")
                found = _SA_MEMBER.fullmatch(member)
                if found and self._unpropagated.get(found[1], 0) > 0:
                    self._unpropagated[found[1]] -= 1
                    raise ApiError(400, f"Service account {found[1]} does not exist.")
                if found and found[1] not in self.accounts:
                    raise ApiError(400, f"Service account {found[1]} does not exist.")
        stored = {
            "bindings": [b for b in policy.get("bindings", []) if b.get("members")],
            "etag": base64.b64encode(uuid.uuid4().bytes[:6]).decode(),
        }
        self.policies[match[1]] = stored
        return stored

    def _exists(self, resource: str) -> None:
        if resource.startswith("projects/") and resource.count("/") == 1:
            return  # a project
        if resource in self.secrets or resource in self.services:
            return
        raise ApiError(404, f"Resource {resource} not found.")

    # -- Secret Manager ----------------------------------------------------------------------

    def _get_secret(self, match: re.Match[str], query: Any, body: Any) -> Any:
        if match[1] not in self.secrets:
            raise ApiError(404, f"Secret [{match[1]}] not found.")
        return self.secrets[match[1]]

    def _create_secret(self, match: re.Match[str], query: Any, body: Any) -> Any:
        name = f"{match[1]}/secrets/{query['secretId'][0]}"
        if name in self.secrets:
            raise ApiError(409, f"Secret [{name}] already exists.")
        self.secrets[name] = {**body, "name": name}
        return self.secrets[name]

    def _list_versions(self, match: re.Match[str], query: dict[str, list[str]], body: Any) -> Any:
        if match[1] not in self.secrets:
            raise ApiError(404, f"Secret [{match[1]}] not found.")
        wanted = query.get("filter", [""])[0].removeprefix("state:")
        versions = [
            {"name": f"{match[1]}/versions/{n}", "state": state}
            for n, state in sorted(self.versions.get(match[1], {}).items(), reverse=True)
            if not wanted or state == wanted
        ]
        return {"versions": versions, "totalSize": len(versions)}

    def _version(self, match: re.Match[str], query: Any, body: Any) -> Any:
        versions = self.versions.get(match[1], {})
        number = int(match[2]) if match[2].isdigit() else -1
        if number not in versions:
            raise ApiError(404, f"Secret Version [{match[1]}/versions/{match[2]}] not found.")
        return {"name": f"{match[1]}/versions/{number}", "state": versions[number]}

    # -- Cloud Run ---------------------------------------------------------------------------

    def _get_service(self, match: re.Match[str], query: Any, body: Any) -> Any:
        if match[1] not in self.services:
            raise ApiError(404, f"Resource '{match[1].rsplit('/', 1)[-1]}' of kind 'SERVICE' ...")
        return self.services[match[1]]

    def _create_service(self, match: re.Match[str], query: Any, body: Any) -> Any:
        name = f"{match[1]}/services/{query['serviceId'][0]}"
        if name in self.services:
            raise ApiError(409, f"Resource '{name}' already exists.")
        self._check_account(body)
        return self._deploy(match[1], "create", name, body)

    def _update_service(self, match: re.Match[str], query: Any, body: Any) -> Any:
        if match[1] not in self.services:
            raise ApiError(404, f"Resource '{match[1]}' of kind 'SERVICE' does not exist.")
        self._check_account(body)
        return self._deploy(match[1].rsplit("/services/", 1)[0], "update", match[1], body)

    def _check_account(self, body: dict[str, Any]) -> None:
        account = body.get("template", {}).get("serviceAccount", "")
        if account and account not in self.accounts:
            raise ApiError(400, f"Service account {account} does not exist.")

    def _deploy(self, parent: str, verb: str, name: str, body: dict[str, Any]) -> Any:
        short = name.rsplit("/", 1)[-1]

        def finish() -> dict[str, Any]:
            previous = self.services.get(name, {})
            generation = int(previous.get("generation", "0")) + 1
            self.services[name] = {
                **body,
                "name": name,
                "uri": f"https://{short}-abc123-ew.a.run.app",
                "generation": str(generation),
            }
            return self.services[name]

        return self._start(parent, verb, name, _RUN_SERVICE, finish)

    # -- Cloud Scheduler ---------------------------------------------------------------------

    def _get_job(self, match: re.Match[str], query: Any, body: Any) -> Any:
        if match[1] not in self.jobs:
            raise ApiError(404, f"Job not found: {match[1]}")
        return self.jobs[match[1]]

    def _create_job(self, match: re.Match[str], query: Any, body: Any) -> Any:
        if body["name"] in self.jobs:
            raise ApiError(409, f"Job {body['name']} already exists.")
        account = body["httpTarget"]["oidcToken"]["serviceAccountEmail"]
        if self._unpropagated.get(account, 0) > 0:
            self._unpropagated[account] -= 1
            raise ApiError(400, f"Service account {account} does not exist.")
        self.jobs[body["name"]] = {**body, "state": "ENABLED"}
        return self.jobs[body["name"]]

    def _update_job(self, match: re.Match[str], query: Any, body: Any) -> Any:
        if match[1] not in self.jobs:
            raise ApiError(404, f"Job not found: {match[1]}")
        self.jobs[match[1]] = {**self.jobs[match[1]], **body}
        return self.jobs[match[1]]
