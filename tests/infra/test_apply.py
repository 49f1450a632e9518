"""brain deploy applies the plan: the real Google clients (REST) against the loopback fake."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials, Credentials
from tenacity import wait_none

from infra import DeployPlan, plan
from infra.apply import ApplyOptions, ApplyReport, apply
from infra.clients import Clients
from infra.errors import DeployError, MissingPrerequisites
from tests.gcp_cloud_fake import GoogleCloudFake
from tests.infra.test_plan import P, cloud_config, sm

IMAGE = "europe-west1-docker.pkg.dev/acme-prod/brain/brain:1.0"
FAST = ApplyOptions(operation_timeout_s=30, wait=wait_none())


def anonymous() -> Credentials:
    """No credentials: the fake checks none."""
    return AnonymousCredentials()  # type: ignore[no-untyped-call]  # its __init__ has no hints


@pytest.fixture
def fake() -> Iterator[GoogleCloudFake]:
    with GoogleCloudFake() as running:
        yield running
    assert not running.errors, running.errors


@pytest.fixture
def clients(fake: GoogleCloudFake) -> Iterator[Clients]:
    made = Clients.connect(credentials=anonymous(), api_endpoint=fake.url)
    yield made
    made.close()


@pytest.fixture
def the_plan() -> DeployPlan:
    result = plan(cloud_config(serve={"auth_token": sm("BRAIN_AUTH_TOKEN")}))
    assert result.ok, result.errors
    return result


def ready(fake: GoogleCloudFake, the_plan: DeployPlan) -> None:
    """What a person adds by hand: a value for every secret, and the pushed image."""
    for secret in the_plan.secrets:
        for version in secret.versions:
            wanted = 1 if version == "latest" else int(version)
            while len(fake.versions.get(secret.name, {})) < wanted:
                fake.add_version(secret.name)
    fake.push_image(IMAGE)


def deploy(the_plan: DeployPlan, clients: Clients, **options: Any) -> ApplyReport:
    return apply(the_plan, clients, ApplyOptions(**{**FAST.__dict__, **options}))


def test_a_first_deploy_creates_every_resource_of_the_plan(
    fake: GoogleCloudFake, clients: Clients, the_plan: DeployPlan
) -> None:
    ready(fake, the_plan)
    report = deploy(the_plan, clients)
    assert all(fake.api_enabled(P, a.service) for a in the_plan.apis)
    assert ("acme-prod", "run.googleapis.com") in fake.enabled  # enabled by this run
    assert set(fake.repositories) == {r.name for r in the_plan.repositories}
    assert set(fake.accounts) == {a.email for a in the_plan.service_accounts}
    assert {s.name for s in the_plan.secrets} <= set(fake.secrets)
    assert sorted(fake.services) == sorted(
        f"projects/{P}/locations/europe-west1/services/{s.name}" for s in the_plan.services
    )
    # every binding of the plan is in the policy of its resource
    for b in the_plan.bindings:
        resource = {
            "secret": b.resource,
            "project": f"projects/{b.resource}",
            "run_service": f"projects/{P}/locations/europe-west1/services/{b.resource}",
        }[b.resource_type]
        members = {
            m
            for x in fake.policies[resource]["bindings"]
            if x["role"] == b.role
            for m in x["members"]
        }
        assert b.member in members, b.name
    # public services: allUsers may invoke them, and only them
    for s in the_plan.services:
        policy = fake.policies.get(f"projects/{P}/locations/europe-west1/services/{s.name}", {})
        invokers = {
            m
            for x in policy.get("bindings", [])
            if x["role"] == "roles/run.invoker"
            for m in x["members"]
        }
        assert ("allUsers" in invokers) == s.public, s.name
    # the scheduler job POSTs the sync service's URL with an OIDC token for that audience
    (job,) = fake.jobs.values()
    sync_url = report.urls["sync"]
    assert sync_url == "https://brain-sync-abc123-ew.a.run.app"
    assert job["httpTarget"]["uri"] == f"{sync_url}/sync"
    assert job["httpTarget"]["oidcToken"]["audience"] == sync_url
    assert job["schedule"] == "*/15 * * * *"
    assert set(report.urls) == {"context", "webhooks", "notion_events", "sync", "mcp", "status"}
    created = {(c.kind, c.action) for c in report.changed}
    assert ("cloud_run_service", "created") in created and ("scheduler_job", "created") in created
    # a long-running operation was polled (done: false when started), not assumed
    assert any(r.path.startswith("/v2/") and "/operations/" in r.path for r in fake.requests)


def test_the_deployed_services_carry_the_plans_container(
    fake: GoogleCloudFake, clients: Clients, the_plan: DeployPlan
) -> None:
    ready(fake, the_plan)
    deploy(the_plan, clients)
    webhooks = fake.services[f"projects/{P}/locations/europe-west1/services/brain-webhooks"]
    (container,) = webhooks["template"]["containers"]
    assert container["image"] == IMAGE
    assert container["args"] == ["--asgi", "--source=main.py", "--target=webhooks"]
    assert container["resources"].get("cpuIdle", False) is False
    assert webhooks["template"]["serviceAccount"] == f"brain-webhooks@{P}.iam.gserviceaccount.com"
    mcp = fake.services[f"projects/{P}/locations/europe-west1/services/brain-mcp"]
    env = {e["name"]: e for e in mcp["template"]["containers"][0]["env"]}
    assert env["BRAIN_STATE__URL"]["valueSource"]["secretKeyRef"]["secret"] == "BRAIN_STATE_URL"


def test_a_second_run_changes_nothing_and_says_so(
    fake: GoogleCloudFake, clients: Clients, the_plan: DeployPlan
) -> None:
    ready(fake, the_plan)
    deploy(the_plan, clients)
    before = len(fake.requests)
    again = deploy(the_plan, clients)
    assert again.changed == []
    assert [r for r in fake.requests[before:] if r.writes] == []
    assert len(again.changes) >= len(the_plan.resources) - len(the_plan.bindings)
    assert again.urls["mcp"] == "https://brain-mcp-abc123-ew.a.run.app"


def test_a_changed_plan_updates_only_what_changed(
    fake: GoogleCloudFake, clients: Clients, the_plan: DeployPlan
) -> None:
    ready(fake, the_plan)
    deploy(the_plan, clients)
    changed = plan(
        cloud_config(
            serve={"auth_token": sm("BRAIN_AUTH_TOKEN")}, deploy={"sync_schedule": "*/5 * * * *"}
        )
    )
    report = deploy(changed, clients)
    assert [(c.action, c.kind, c.name) for c in report.changed] == [
        ("updated", "scheduler_job", "brain-sync")
    ]
    assert next(iter(fake.jobs.values()))["schedule"] == "*/5 * * * *"
    # a private context service loses allUsers
    private = plan(cloud_config())
    report = deploy(private, clients)
    revoked = [c for c in report.changed if c.action == "revoked"]
    assert {c.name.split(" for ")[0].rsplit("/", 1)[-1] for c in revoked} == {
        "brain-context",
        "brain-mcp",
        "brain-status",
    }


def test_missing_secret_values_and_image_stop_before_any_service_with_the_commands(
    fake: GoogleCloudFake, clients: Clients, the_plan: DeployPlan
) -> None:
    with pytest.raises(MissingPrerequisites) as caught:
        deploy(the_plan, clients)
    error = caught.value
    assert not fake.services and not fake.jobs
    text = str(error)
    for secret in the_plan.secrets:
        assert f"gcloud secrets versions add {secret.secret_id} --project={P} --data-file=-" in text
    assert "gcloud builds submit" in text and IMAGE in text
    # what could be done was done: accounts and (empty) secrets exist, readers are granted
    assert set(fake.accounts) == {a.email for a in the_plan.service_accounts}
    assert {c.kind for c in error.done} >= {"api", "service_account", "secret", "iam_binding"}


def test_a_disabled_pinned_version_is_missing(
    fake: GoogleCloudFake, clients: Clients, the_plan: DeployPlan
) -> None:
    ready(fake, the_plan)
    github = f"projects/{P}/secrets/GITHUB_WEBHOOK_SECRET"
    fake.versions[github][2] = "DISABLED"
    with pytest.raises(MissingPrerequisites) as caught:
        deploy(the_plan, clients)
    assert [what for what, _ in caught.value.missing] == [
        "secret GITHUB_WEBHOOK_SECRET has no version 2 (webhooks.sources.github.secrets)"
    ]


def test_a_failed_operation_stops_with_a_clear_message_and_a_rerun_finishes(
    fake: GoogleCloudFake, clients: Clients, the_plan: DeployPlan
) -> None:
    ready(fake, the_plan)
    sync = f"projects/{P}/locations/europe-west1/services/brain-sync"
    fake.fail(
        "create", sync, "Revision 'brain-sync-00001' is not ready: the container failed to start."
    )
    with pytest.raises(DeployError) as caught:
        deploy(the_plan, clients)
    error = caught.value
    assert "brain-sync" in error.message and "failed to start" in error.message
    assert error.hint and "gcloud run services logs read brain-sync" in error.hint
    assert "run brain deploy again" in error.hint
    # it stopped there: no later service, no job
    assert sync not in fake.services and not fake.jobs
    assert f"projects/{P}/locations/europe-west1/services/brain-mcp" not in fake.services
    done_services = [c.name for c in error.done if c.kind == "cloud_run_service"]
    assert done_services == ["brain-context", "brain-webhooks", "brain-notion-events"]
    # the rerun after the partial deploy creates only what is missing
    report = deploy(the_plan, clients)
    assert {c.name for c in report.changed if c.kind == "cloud_run_service"} == {
        "brain-sync",
        "brain-mcp",
        "brain-status",
    }
    assert len(fake.services) == 6 and len(fake.jobs) == 1


def test_writes_refused_while_a_new_account_propagates_are_retried(
    fake: GoogleCloudFake, clients: Clients, the_plan: DeployPlan
) -> None:
    ready(fake, the_plan)
    fake.propagation = 2  # each new account is unknown to the first two policy writes naming it
    notices: list[str] = []
    apply(the_plan, clients, FAST, notice=notices.append)
    assert notices and "waiting" in notices[0] and "does not exist" in notices[0]
    assert "attempt 1 of 8" in notices[0]
    refused = [r for r in fake.requests if r.status == 400 and r.path.endswith(":setIamPolicy")]
    assert refused  # propagation really happened, and was waited out
    assert len(fake.services) == 6


def test_propagation_that_outlasts_the_attempts_stops_with_the_error(
    fake: GoogleCloudFake, clients: Clients, the_plan: DeployPlan
) -> None:
    ready(fake, the_plan)
    fake.propagation = 50
    with pytest.raises(DeployError) as caught:
        deploy(the_plan, clients, attempts=3)
    assert "does not exist" in caught.value.message
    assert "granting roles/secretmanager.secretAccessor" in caught.value.message


def test_a_permission_the_deployer_lacks_names_the_roles_it_needs(
    fake: GoogleCloudFake, clients: Clients, the_plan: DeployPlan
) -> None:
    ready(fake, the_plan)
    fake.deny("POST", f"/v1/projects/{P}/serviceAccounts")
    with pytest.raises(DeployError) as caught:
        deploy(the_plan, clients, attempts=2)
    assert "creating the service account" in caught.value.message
    assert caught.value.hint and "roles/iam.serviceAccountAdmin" in caught.value.hint


def test_an_organisation_policy_against_all_users_is_named_with_what_to_do(
    fake: GoogleCloudFake, clients: Clients, the_plan: DeployPlan
) -> None:
    ready(fake, the_plan)
    context = f"projects/{P}/locations/europe-west1/services/brain-context"  # the first public
    fake.refuse_member(
        "allUsers",
        "One or more users named in the policy do not belong to a permitted customer.",
    )
    with pytest.raises(DeployError) as caught:
        deploy(the_plan, clients)
    assert f"roles/run.invoker on {context} for allUsers" in caught.value.message
    assert caught.value.hint and "organisation policy" in caught.value.hint


def test_a_refused_deploy_names_the_roles_not_the_revision_logs(
    fake: GoogleCloudFake, clients: Clients, the_plan: DeployPlan
) -> None:
    ready(fake, the_plan)
    fake.deny("POST", f"/v2/projects/{P}/locations/europe-west1/services")
    with pytest.raises(DeployError) as caught:
        deploy(the_plan, clients, attempts=2)
    assert "deploying the Cloud Run service brain-context" in caught.value.message
    assert caught.value.hint and "roles/run.admin" in caught.value.hint
    assert "logs read" not in caught.value.hint
    denied = [r for r in fake.requests if r.status == 403]
    assert len(denied) == 2  # retried once (a role granted moments ago), then stopped


def test_an_unreachable_api_stops_with_what_to_check(the_plan: DeployPlan) -> None:
    with GoogleCloudFake() as gone:
        url = gone.url  # a port that nothing listens on once the fake stops
    clients = Clients.connect(credentials=anonymous(), api_endpoint=url)
    try:
        with pytest.raises(DeployError) as caught:
            deploy(the_plan, clients)
    finally:
        clients.close()
    assert "cannot reach Google Cloud" in caught.value.message
    assert caught.value.hint and "application-default login" in caught.value.hint


def test_a_plan_with_errors_is_not_applied(fake: GoogleCloudFake, clients: Clients) -> None:
    from config import BrainConfig

    with pytest.raises(DeployError, match="the plan has"):
        deploy(plan(BrainConfig()), clients)
    assert fake.requests == []
