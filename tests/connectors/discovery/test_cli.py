"""`tether discover` as a person runs it, against the loopback DNS and HTTPS servers."""

from __future__ import annotations

import json
import time

import pytest

from tests.servers.autoconfig_server import CONFIG_PATH, HTML_PAGE, AutoconfigServer, Reply, config_xml
from tests.servers.dns_server import DnsServer

pytestmark = pytest.mark.realserver


def test_discover_lists_candidates_with_their_source_and_the_command_to_use_one(  # type: ignore[no-untyped-def]
    tether_cli, dns_server: DnsServer, web: AutoconfigServer, discovery_env
) -> None:
    dns_server.zones.add("example.com")
    dns_server.add("_imap._tcp.example.com", "SRV", "0 1 143 imap.example.com.")
    dns_server.add("_caldavs._tcp.example.com", "SRV", "0 1 8443 dav.example.com.")
    web.publish("autoconfig.example.com", CONFIG_PATH, Reply(body=config_xml()))

    result = tether_cli("discover", "alice@example.com", extra_env=discovery_env)

    assert result.returncode == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:7] == [
        "Mail for alice@example.com:",
        "  1. mail.example.com:993, implicit TLS",
        "     from: autoconfig file at autoconfig.example.com",
        "     provider: Example Mail.",
        "     use it: tether add imap --set username=alice@example.com --set host=mail.example.com --set port=993 "
        "--set tls_mode=implicit --secret-stdin password",
        "  2. imap.example.com:143, STARTTLS",
        "     from: DNS SRV _imap._tcp.example.com",
    ]
    assert "Calendars for alice@example.com:" in lines
    assert "  1. https://dav.example.com:8443/.well-known/caldav" in lines
    assert lines[-1].startswith("Asked 8 sources in ")


def test_discover_json_and_a_suggested_type(tether_cli, dns_server, discovery_env) -> None:  # type: ignore[no-untyped-def]
    dns_server.zones.add("hotmail.com")

    text = tether_cli("discover", "bob@hotmail.com", extra_env=discovery_env)
    data = json.loads(tether_cli("discover", "bob@hotmail.com", "--json", extra_env=discovery_env).stdout)

    assert data["candidates"][0] | {"note": None} == {
        "service": "mail",
        "type": "outlook",
        "host": "outlook.office365.com",
        "port": 993,
        "tls_mode": "implicit",
        "url": None,
        "username": None,
        "note": None,
        "sources": ["tether's provider table"],
    }
    assert {s["source"] for s in data["sources"]} >= {"tether's provider table", "DNS MX hotmail.com"}
    assert text.returncode == 0
    assert "     Suggested type: Outlook" in text.stdout  # the wording for a missing type: test_describe.py
    assert "use it:" not in text.stdout  # the `tether add imap` line is only for IMAP candidates


@pytest.mark.parametrize(
    ("address", "setup", "code", "line"),
    [
        ("alice", None, 2, "tether: 'alice' has no domain: type the whole address, e.g. alice@example.com."),
        (
            "alice@nowhere.test",
            None,
            1,
            "tether: no settings found for alice@nowhere.test: nowhere.test does not exist (DNS has no such domain).",
        ),
        (
            "alice@slow.test",
            "silent",
            1,
            "tether: no settings found for alice@slow.test: "
            "DNS SRV _imaps._tcp.slow.test: the DNS server did not answer within 3 s.",
        ),
        (
            "alice@html.test",
            "html",
            1,
            "tether: no settings found for alice@html.test: autoconfig file at autoconfig.html.test: "
            "the server sent a web page (HTML), not a mail configuration.",
        ),
    ],
    ids=["no-domain", "no-such-domain", "dns-timeout", "html-autoconfig"],
)
def test_bad_input_is_one_line_within_the_budget(  # type: ignore[no-untyped-def]
    tether_cli, dns_server, web, discovery_env, address, setup, code, line
) -> None:
    if setup == "silent":
        dns_server.silent.add("slow.test")
    if setup == "html":
        dns_server.zones.add("html.test")
        web.publish("autoconfig.html.test", CONFIG_PATH, Reply(body=HTML_PAGE, content_type="text/html"))
    started = time.monotonic()

    result = tether_cli("discover", address, extra_env=discovery_env)

    assert time.monotonic() - started < 8  # interpreter start-up plus the 3 s budget, never a hang
    assert (result.returncode, result.stdout, result.stderr.splitlines()) == (code, "", [line])


def test_a_bad_setting_is_named(tether_cli) -> None:  # type: ignore[no-untyped-def]
    result = tether_cli("discover", "a@example.com", extra_env={"TETHER_DNS_SERVER": "dns.example.com"})

    assert result.returncode == 2
    assert result.stderr.strip() == (
        "tether: TETHER_DNS_SERVER must be an IP address with an optional :port, not 'dns.example.com'."
    )
