"""brain deploy on the command line: --dry-run prints the plan, without it the plan is applied
(the real Google clients over REST against the loopback fake, via --api-endpoint)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from functions.cli import app
from tests.gcp_cloud_fake import GoogleCloudFake

P = "acme-prod"
SECRETS = ("NOTION_API_TOKEN", "BRAIN_AUTH_TOKEN", "NOTION_VERIFICATION", "BRAIN_STATE_URL")
IMAGE = "europe-west1-docker.pkg.dev/acme-prod/brain/brain:1.0"
CLOUD_TOML = f"""
[store]
kind = "notion"
root_page_id = "root"
token = "sm:projects/{P}/secrets/NOTION_API_TOKEN/versions/latest"

[serve]
auth_token = "sm:projects/{P}/secrets/BRAIN_AUTH_TOKEN/versions/latest"

[webhooks.sources.notion]
scheme = "notion"
secrets = ["sm:projects/{P}/secrets/NOTION_VERIFICATION/versions/1"]

[deploy]
project = "{P}"
region = "europe-west1"
image = "{IMAGE}"
state_url_secret = "sm:projects/{P}/secrets/BRAIN_STATE_URL/versions/latest"
cloudsql_instance = "{P}:europe-west1:brain"
"""


def brain(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def toml(tmp_path: Path) -> Path:
    path = tmp_path / "brain.toml"
    path.write_text(CLOUD_TOML)
    return path


@pytest.fixture
def fake() -> Iterator[GoogleCloudFake]:
    with GoogleCloudFake() as running:
        yield running
    assert not running.errors, running.errors


def test_dry_run_json_describes_every_service_including_mcp(toml: Path) -> None:
    result = brain("deploy", "--dry-run", "--json", "--config", toml)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    services = {r["target"]: r for r in data["resources"] if r["kind"] == "cloud_run_service"}
    assert set(services) == {"context", "webhooks", "notion_events", "sync", "mcp", "status"}
    assert services["mcp"]["public"] is True
    (token,) = [r for r in data["resources"] if r.get("secret_id") == "BRAIN_AUTH_TOKEN"]
    assert token["used_by"] == ["brain-context", "brain-mcp", "brain-status"]
    same = brain("deploy", "--dry-run", "--format", "json", "--config", toml)
    assert same.stdout == result.stdout


def test_deploy_stops_for_the_secret_values_then_deploys_then_changes_nothing(
    toml: Path, fake: GoogleCloudFake
) -> None:
    first = brain("deploy", "--config", toml, "--api-endpoint", fake.url)
    assert first.exit_code == 1
    assert "gcloud secrets versions add BRAIN_AUTH_TOKEN --project=acme-prod" in first.stderr
    assert "gcloud builds submit" in first.stderr
    for secret in SECRETS:
        fake.add_version(f"projects/{P}/secrets/{secret}")
    fake.push_image(IMAGE)
    second = brain("deploy", "--config", toml, "--api-endpoint", fake.url)
    assert second.exit_code == 0, second.stderr
    assert "Deployed:" in second.stdout
    assert (
        "claude mcp add --transport http brain https://brain-mcp-abc123-ew.a.run.app/mcp "
        "--header 'Authorization: Bearer ${BRAIN_AUTH_TOKEN}'" in second.stdout
    )
    third = brain("deploy", "--config", toml, "--api-endpoint", fake.url)
    assert third.exit_code == 0, third.stderr
    assert "No changes: all" in third.stdout


def test_deploy_refuses_a_plan_with_errors_and_touches_nothing(
    tmp_path: Path, fake: GoogleCloudFake
) -> None:
    result = brain("deploy", "--workspace", tmp_path, "--api-endpoint", fake.url)
    assert result.exit_code == 1
    assert "NOT deployable" in result.stdout
    assert fake.requests == []
