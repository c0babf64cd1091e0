"""The checks every outside value passes, and the settings that point discovery elsewhere."""

from __future__ import annotations

import pytest

from connectors.discovery.model import DiscoverySettings, tls_mode_for, valid_host, valid_port


@pytest.mark.parametrize(
    ("text", "host"),
    [
        ("IMAP.Example.COM.", "imap.example.com"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("imap example.com", None),
        ("imap.example.com\r\nX-Injected: 1", None),
        ("-imap.example.com", None),
        ("imap.example.com/path", None),
        ("imap_server.example.com", None),
        ("localhost", "localhost"),
        ("intranet", None),
        ("10.0.0", None),
        ("a" * 64 + ".example.com", None),
        ("", None),
    ],
)
def test_hosts_must_be_plain_host_names_or_addresses(text: str, host: str | None) -> None:
    assert valid_host(text) == host


@pytest.mark.parametrize(
    ("text", "port"), [("993", 993), (" 143 ", 143), ("0", None), ("65536", None), ("99x", None), ("-1", None)]
)
def test_ports_are_1_to_65535(text: str, port: int | None) -> None:
    assert valid_port(text) == port


@pytest.mark.parametrize(
    ("socket_type", "mode"),
    [("SSL", "implicit"), ("tls", "implicit"), ("STARTTLS", "starttls"), ("plain", None), ("", None)],
)
def test_socket_types_map_to_tls_modes_and_plain_text_to_nothing(socket_type: str, mode: str | None) -> None:
    assert tls_mode_for(socket_type) == mode


def test_settings_from_the_environment() -> None:
    settings = DiscoverySettings.from_environ(
        {
            "TETHER_DNS_SERVER": "[::1]:5353",
            "TETHER_AUTOCONFIG_URL": "https://127.0.0.1:8443/{host}/",
            "TETHER_DISCOVERY_CA_FILE": "/etc/ca.pem",
        }
    )
    assert settings == DiscoverySettings(("::1", 5353), "https://127.0.0.1:8443/{host}", "/etc/ca.pem")
    assert DiscoverySettings.from_environ({}) == DiscoverySettings()
    assert DiscoverySettings.from_environ({"TETHER_DNS_SERVER": "192.0.2.1"}).dns_server == ("192.0.2.1", 53)


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("TETHER_DNS_SERVER", "192.0.2.1:99999", "TETHER_DNS_SERVER has a port out of range: '99999'."),
        (
            "TETHER_AUTOCONFIG_URL",
            "http://{host}",
            "TETHER_AUTOCONFIG_URL must start with https:// and contain {host}.",
        ),
        (
            "TETHER_AUTOCONFIG_URL",
            "https://example.com",
            "TETHER_AUTOCONFIG_URL must start with https:// and contain {host}.",
        ),
    ],
)
def test_bad_settings_are_named(variable: str, value: str, says: str) -> None:
    with pytest.raises(ValueError) as raised:
        DiscoverySettings.from_environ({variable: value})
    assert str(raised.value) == says
