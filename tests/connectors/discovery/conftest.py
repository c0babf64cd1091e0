"""A loopback DNS server and an HTTPS server standing in for the mail domains' web servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.discovery.model import DiscoverySettings
from tests.servers.autoconfig_server import AutoconfigServer, start_autoconfig_server
from tests.servers.dns_server import DnsServer, start_dns_server
from tests.servers.tls import TestCA


@pytest.fixture
def dns_server() -> Iterator[DnsServer]:
    server = start_dns_server()
    yield server
    server.stop()


@pytest.fixture
def web(test_ca: TestCA) -> Iterator[AutoconfigServer]:
    server = start_autoconfig_server(test_ca.issue("autoconfig"))
    yield server
    server.stop()


@pytest.fixture
def discovery_env(dns_server: DnsServer, web: AutoconfigServer, test_ca: TestCA) -> dict[str, str]:
    """The settings a user (or a test) sets to make tether ask these servers."""
    return {
        "TETHER_DNS_SERVER": dns_server.address,
        "TETHER_AUTOCONFIG_URL": web.template,
        "TETHER_DISCOVERY_CA_FILE": str(test_ca.ca_file),
    }


@pytest.fixture
def settings(discovery_env: dict[str, str]) -> DiscoverySettings:
    return DiscoverySettings.from_environ(discovery_env)
