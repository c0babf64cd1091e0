"""The OAuth client's transport: the shared CA-file check, one wall-clock deadline, the loopback rule."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from connectors.errors import ConnectorError, ErrorKind
from connectors.gmail.spec import GOOGLE
from connectors.oauth.exchange import refresh
from connectors.oauth.provider import check_endpoint
from tests.health.fault_servers import trickle_server, trickled_headers

SETTINGS = {"client_id": "tether-test"}
SECRETS = {"client_secret": "not-a-real-secret"}


def test_a_ca_file_that_is_not_pem_is_named_before_any_request(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("this is not a certificate\n")
    client = GOOGLE.client({**SETTINGS, "token_url": "https://127.0.0.1:9/token", "ca_file": str(bad)}, SECRETS)
    with pytest.raises(ConnectorError) as caught:
        refresh(client, "a-refresh-token")
    assert caught.value.kind is ErrorKind.CONFIG and caught.value.field == "ca_file"
    assert f"The CA file {bad} could not be read as PEM certificates." == caught.value.message


def test_a_token_endpoint_that_trickles_headers_ends_at_the_deadline() -> None:
    """Each header line arrives well inside the read timeout; only a deadline on the whole exchange stops it."""
    with trickle_server(trickled_headers, every=0.2) as port:
        client = GOOGLE.client({**SETTINGS, "token_url": f"http://127.0.0.1:{port}/token"}, SECRETS, timeout=1.5)
        started = time.monotonic()
        with pytest.raises(ConnectorError) as caught:
            refresh(client, "a-refresh-token")
        elapsed = time.monotonic() - started
    assert caught.value.kind is ErrorKind.TIMEOUT
    assert caught.value.message == "Google's sign-in server did not answer within 1.5 s."
    assert elapsed < 4


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/token", "http://[::1]:8080/token", "http://127.5.6.7/token"])
def test_plain_http_is_accepted_for_this_machine(url: str) -> None:
    check_endpoint(url, "token_url")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1.example.com/token", "http://10.0.0.1/token", "http://example.com/token"]
)
def test_plain_http_elsewhere_is_refused(url: str) -> None:
    with pytest.raises(ConnectorError) as caught:
        check_endpoint(url, "token_url")
    assert caught.value.kind is ErrorKind.CONFIG and caught.value.field == "token_url"
