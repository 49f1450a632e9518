"""Secret Manager through the real client library, over real loopback HTTP to a fake API."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from functions.errors import SecretError
from functions.gcp_secrets import SecretManagerFetcher, crc32c
from functions.secrets import SecretResolver
from tests.gcp_fake import SecretManagerFake
from tests.gcp_fake import crc32c as reference_crc32c

VALUE = "xoxb-very-secret-token-VALUE-4711"


@pytest.fixture
def fake() -> Iterator[SecretManagerFake]:
    with SecretManagerFake() as running:
        yield running
    assert not running.errors, f"the fake Secret Manager hit a bug of its own: {running.errors!r}"


@pytest.fixture
def fetcher(fake: SecretManagerFake) -> Iterator[SecretManagerFetcher]:
    fetch = SecretManagerFetcher(endpoint=fake.url)
    yield fetch
    fetch.close()


def test_an_sm_reference_resolves_through_the_real_client_over_http(
    fake: SecretManagerFake, fetcher: SecretManagerFetcher
) -> None:
    name = fake.add("proj-1", "NOTION_API_TOKEN", VALUE)
    resolver = SecretResolver(environ={}, sm_fetch=fetcher)

    assert resolver.resolve(f"sm:{name}") == VALUE
    (seen,) = fake.requests
    assert seen.method == "GET"
    assert seen.path == "/v1/projects/proj-1/secrets/NOTION_API_TOKEN/versions/1:access"
    assert "authorization" not in seen.headers  # anonymous credentials: nothing to leak
    assert seen.headers["x-goog-request-params"] == f"name={name}"


def test_latest_is_the_newest_version_and_the_resolver_caches_it(
    fake: SecretManagerFake, fetcher: SecretManagerFetcher
) -> None:
    fake.add("proj-1", "hook", "old")
    fake.add("proj-1", "hook", "new ü")
    resolver = SecretResolver(environ={}, sm_fetch=fetcher)
    ref = "sm:projects/proj-1/secrets/hook/versions/latest"

    assert resolver.resolve(ref) == "new ü"
    assert resolver.resolve(ref) == "new ü"
    assert len(fake.requests) == 1


def test_a_missing_secret_is_a_secret_error_naming_it_with_the_create_command(
    fake: SecretManagerFake, fetcher: SecretManagerFetcher
) -> None:
    fake.add("proj-1", "OTHER", VALUE)
    resolver = SecretResolver(environ={}, sm_fetch=fetcher)

    with pytest.raises(SecretError) as caught:
        resolver.resolve("sm:projects/proj-1/secrets/MISSING/versions/3")

    err = caught.value
    assert "projects/proj-1/secrets/MISSING/versions/3" in err.message
    assert "404" in err.message
    assert err.hint is not None and "gcloud secrets create MISSING --project=proj-1" in err.hint
    assert VALUE not in str(err)
    assert type(err.__cause__).__name__ == "NotFound"


def test_a_denied_secret_is_a_secret_error_with_the_iam_binding_to_add(
    fake: SecretManagerFake, fetcher: SecretManagerFetcher
) -> None:
    fake.add("proj-1", "STRIPE_WEBHOOK_SECRET", VALUE)
    fake.deny("proj-1", "STRIPE_WEBHOOK_SECRET")
    resolver = SecretResolver(environ={}, sm_fetch=fetcher)

    with pytest.raises(SecretError) as caught:
        resolver.resolve("sm:projects/proj-1/secrets/STRIPE_WEBHOOK_SECRET/versions/latest")

    err = caught.value
    assert "projects/proj-1/secrets/STRIPE_WEBHOOK_SECRET/versions/latest" in err.message
    assert "not allowed" in err.message and "403" in err.message
    assert err.hint is not None
    assert "roles/secretmanager.secretAccessor" in err.hint
    assert "gcloud secrets add-iam-policy-binding STRIPE_WEBHOOK_SECRET" in err.hint
    assert VALUE not in str(err) and VALUE not in repr(err.__cause__)


def test_a_disabled_version_is_a_secret_error(
    fake: SecretManagerFake, fetcher: SecretManagerFetcher
) -> None:
    fake.add("proj-1", "hook", VALUE)
    fake.disable("proj-1", "hook", 1)

    with pytest.raises(SecretError, match="disabled or destroyed") as caught:
        fetcher("projects/proj-1/secrets/hook/versions/1")
    assert VALUE not in str(caught.value)


def test_a_payload_failing_its_crc32c_is_refused(
    fake: SecretManagerFake, fetcher: SecretManagerFetcher
) -> None:
    name = fake.add("proj-1", "hook", VALUE)
    fake.corrupt_crc = True

    with pytest.raises(SecretError, match="CRC32C") as caught:
        fetcher(name)
    assert VALUE not in str(caught.value)


def test_a_payload_that_is_not_text_is_refused(
    fake: SecretManagerFake, fetcher: SecretManagerFetcher
) -> None:
    name = fake.add("proj-1", "blob", b"\xff\xfe\x00binary")

    with pytest.raises(SecretError, match="not UTF-8"):
        fetcher(name)


def test_the_client_is_built_on_first_use_and_an_unreachable_endpoint_is_a_secret_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fetch = SecretManagerFetcher(endpoint=f"http://127.0.0.1:{port}", timeout=2)
    assert fetch._client is None  # constructing it did no work

    with pytest.raises(SecretError, match="cannot read secret") as caught:
        fetch("projects/p/secrets/s/versions/1")
    assert caught.value.hint is not None
    fetch.close()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", 0x00000000),
        (b"123456789", 0xE3069283),  # the CRC catalogue's check value for CRC-32C
        (bytes(32), 0x8A9136AA),  # RFC 3720 B.4: 32 bytes of zeros
        (b"\xff" * 32, 0x62A8AB43),  # RFC 3720 B.4: 32 bytes of ones
        (bytes(range(32)), 0x46DD794E),  # RFC 3720 B.4: incrementing
    ],
)
def test_crc32c_known_answers(data: bytes, expected: int) -> None:
    assert crc32c(data) == expected
    assert reference_crc32c(data) == expected


def test_crc32c_agrees_with_the_fakes_bitwise_version() -> None:
    for size in (1, 7, 64, 1000):
        data = os.urandom(size)
        assert crc32c(data) == reference_crc32c(data)
