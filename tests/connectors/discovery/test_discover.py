"""Discovery against a loopback DNS server and an HTTPS server playing each domain's web server."""

from __future__ import annotations

import time

import pytest

from connectors.discovery.address import AddressError
from connectors.discovery.model import DiscoverySettings, Outcome, Service
from connectors.discovery.run import discover
from tests.servers.autoconfig_server import (
    BILLION_LAUGHS,
    CONFIG_PATH,
    EXTERNAL_ENTITY,
    HTML_PAGE,
    WELL_KNOWN_PATH,
    AutoconfigServer,
    Reply,
    config_xml,
)
from tests.servers.dns_server import DnsServer

pytestmark = pytest.mark.realserver


def report(result, start: str) -> str:  # type: ignore[no-untyped-def]
    [found] = [r for r in result.reports if r.name.startswith(start)]
    return f"{found.outcome}: {found.message}"


def test_custom_domain_with_every_source(dns_server: DnsServer, web: AutoconfigServer, settings) -> None:  # type: ignore[no-untyped-def]
    dns_server.zones.add("example.com")
    dns_server.add("example.com", "MX", "10 mx.example.com.")
    dns_server.add("_imaps._tcp.example.com", "SRV", "0 1 993 imap.example.com.")
    dns_server.add("_imap._tcp.example.com", "SRV", "0 1 143 imap.example.com.")
    dns_server.add("_caldavs._tcp.example.com", "SRV", "0 1 443 dav.example.com.")
    dns_server.add("_caldavs._tcp.example.com", "TXT", '"path=/caldav/"')
    web.publish("autoconfig.example.com", CONFIG_PATH, Reply(body=config_xml(username="%EMAILLOCALPART%")))
    web.publish("example.com", "/.well-known/caldav", Reply(301, headers=(("Location", "/dav.example.com/cal/"),)))

    result = discover("alice@example.com", settings)

    mail = [(c.host, c.port, c.tls_mode, c.source) for c in result.for_service(Service.MAIL)]
    assert mail == [
        ("mail.example.com", 993, "implicit", "autoconfig file at autoconfig.example.com"),
        ("imap.example.com", 993, "implicit", "DNS SRV _imaps._tcp.example.com"),
        ("imap.example.com", 143, "starttls", "DNS SRV _imap._tcp.example.com"),
    ]
    first = result.for_service(Service.MAIL)[0]
    assert first.username == "alice" and "Example Mail" in first.note
    calendars = [(c.url, c.source) for c in result.for_service(Service.CALENDAR)]
    assert calendars == [
        ("https://dav.example.com/caldav/", "DNS SRV _caldavs._tcp.example.com"),
        (f"{web.base_url}/dav.example.com/cal/", "/.well-known/caldav on example.com"),
    ]
    assert web.queries["/autoconfig.example.com" + CONFIG_PATH] == "emailaddress=alice@example.com"
    assert web.hits["GET /example.com" + WELL_KNOWN_PATH] == 1  # asked too, though it has none
    assert report(result, "DNS MX") == "nothing: DNS MX example.com: mx.example.com, not a known provider."
    assert result.problem == "" and result.elapsed < 3


def test_a_server_named_twice_is_one_candidate_with_both_sources(dns_server, web, settings) -> None:  # type: ignore[no-untyped-def]
    dns_server.zones.add("example.org")
    dns_server.add("_imaps._tcp.example.org", "SRV", "0 1 993 mail.example.org.")
    web.publish("example.org", WELL_KNOWN_PATH, Reply(body=config_xml()))

    [candidate] = discover("bob@example.org", settings).candidates

    assert candidate.where == "mail.example.org:993, implicit TLS"
    assert candidate.sources == ("autoconfig file at example.org/.well-known", "DNS SRV _imaps._tcp.example.org")


@pytest.mark.parametrize(
    ("mx", "type_key", "host", "provider"),
    [
        ("1 aspmx.l.google.com.", "gmail", "imap.gmail.com", "Google"),
        ("0 corp-test.mail.protection.outlook.com.", "outlook", "outlook.office365.com", "Microsoft"),
    ],
)
def test_custom_domain_hosted_at_google_or_microsoft_gets_the_oauth_type(  # type: ignore[no-untyped-def]
    dns_server, settings, mx, type_key, host, provider
) -> None:
    dns_server.zones.add("corp.test")
    dns_server.add("corp.test", "MX", mx)

    [candidate] = discover("ceo@corp.test", settings).candidates

    assert (candidate.type_key, candidate.host, candidate.port, candidate.tls_mode) == (type_key, host, 993, "implicit")
    assert candidate.source == f"DNS MX corp.test (mail hosted by {provider})"


def test_big_providers_come_from_the_shipped_table(dns_server, settings) -> None:  # type: ignore[no-untyped-def]
    dns_server.zones.update({"gmail.com", "proton.me", "icloud.com"})

    gmail = discover("someone@gmail.com", settings).candidates[0]
    proton = discover("someone@proton.me", settings).candidates[0]
    icloud = discover("someone@icloud.com", settings)

    assert (gmail.type_key, gmail.host, gmail.source) == ("gmail", "imap.gmail.com", "tether's provider table")
    assert proton.where == "127.0.0.1:1143, STARTTLS" and "Bridge" in proton.note
    assert "app password" in icloud.candidates[0].note
    assert [c.url for c in icloud.for_service(Service.CALENDAR)] == ["https://caldav.icloud.com/"]


def test_a_domain_that_does_not_exist_is_one_line(dns_server, settings) -> None:  # type: ignore[no-untyped-def]
    result = discover("alice@no-such-domain.test", settings)

    assert result.candidates == ()
    assert result.problem == "no-such-domain.test does not exist (DNS has no such domain)."
    assert result.elapsed < 3


def test_dns_that_never_answers_costs_at_most_the_budget(dns_server, settings) -> None:  # type: ignore[no-untyped-def]
    dns_server.silent.add("slow.test")
    started = time.monotonic()

    result = discover("alice@slow.test", settings)

    assert time.monotonic() - started < 3.3
    assert result.problem == "DNS SRV _imaps._tcp.slow.test: the DNS server did not answer within 3 s."
    assert report(result, "DNS MX").startswith("timed out:")


def test_an_autoconfig_server_that_hangs_costs_at_most_the_budget(dns_server, web, settings) -> None:  # type: ignore[no-untyped-def]
    dns_server.zones.add("hang.test")
    web.publish("autoconfig.hang.test", CONFIG_PATH, Reply(body=config_xml(), delay=10))
    started = time.monotonic()

    result = discover("alice@hang.test", settings)

    assert time.monotonic() - started < 3.3
    assert report(result, "autoconfig file at autoconfig.").startswith(
        "timed out: autoconfig file at autoconfig.hang.test: "
    )
    assert report(result, "autoconfig file at hang.test").startswith("nothing: ")  # the other source still counts


@pytest.mark.parametrize(
    ("reply", "says"),
    [
        (
            Reply(body=HTML_PAGE, content_type="text/html"),
            "the server sent a web page (HTML), not a mail configuration.",
        ),
        (Reply(body=HTML_PAGE, content_type="application/xml"), "the server sent a web page (HTML)"),
        (Reply(body=BILLION_LAUGHS), "the file declares a DTD or entities, which tether refuses to read."),
        (Reply(body=EXTERNAL_ENTITY), "the file declares a DTD or entities, which tether refuses to read."),
        (Reply(body=b"<clientConfig><emailProvider>"), "the file is not well-formed XML"),
        (Reply(body=b"<rss version='2.0'/>"), "the file is XML but not a mail configuration (<rss>)."),
        (Reply(body=b"<x>" + b"a" * 10_000_000 + b"</x>"), "is larger than the 128 KB limit (10 MB)."),
        (Reply(body=config_xml(host="mail example.com")), "not a valid host name ('mail example.com')."),
        (Reply(body=config_xml(host="mail.\u202emoc.elpmaxe")), "not a valid host name ('mail. moc.elpmaxe')."),
        (Reply(body=config_xml(port=70000)), "it names a port out of range for mail.bad.test."),
        (Reply(body=config_xml(socket_type="plain")), "it offers mail.bad.test only without encryption (plain)."),
        (Reply(500, b"oops", "text/plain"), "the server answered HTTP 500."),
    ],
    ids=[
        "html",
        "html-as-xml",
        "billion-laughs",
        "external-entity",
        "broken",
        "not-autoconfig",
        "huge",
        "space-in-host",
        "direction-override-in-host",
        "port",
        "plain-text",
        "server-error",
    ],
)
def test_bad_autoconfig_files_are_refused_in_one_line(dns_server, web, settings, reply, says) -> None:  # type: ignore[no-untyped-def]
    dns_server.zones.add("bad.test")
    web.publish("autoconfig.bad.test", CONFIG_PATH, reply)

    result = discover("alice@bad.test", settings)

    line = report(result, "autoconfig file at autoconfig.")
    assert line.startswith("failed: autoconfig file at autoconfig.bad.test: ") and says in line
    assert "\n" not in line and "\u202e" not in line
    assert result.candidates == ()


def test_autoconfig_over_https_is_verified_against_the_ca_setting(dns_server, web, settings) -> None:  # type: ignore[no-untyped-def]
    dns_server.zones.add("example.net")
    web.publish("autoconfig.example.net", CONFIG_PATH, Reply(body=config_xml()))
    untrusting = DiscoverySettings(dns_server=settings.dns_server, autoconfig_base=settings.autoconfig_base)

    result = discover("alice@example.net", untrusting)

    assert result.candidates == ()
    assert "has a certificate this computer does not trust" in report(result, "autoconfig file at autoconfig.")
    assert [c.host for c in discover("alice@example.net", settings).candidates] == ["mail.example.net"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("alice", "'alice' has no domain: type the whole address, e.g. alice@example.com."),
        ("alice@", "'alice@' has no domain after the @: type the whole address, e.g. alice@example.com."),
        ("@example.com", "'@example.com' has nothing before the @: type the whole address."),
        (
            "alice@exa mple.com",
            "'alice@exa mple.com' is not an email address: it contains spaces or control characters.",
        ),
        ("alice@-bad-.com", "'-bad-.com' is not a domain name, so 'alice@-bad-.com' cannot be looked up."),
        ("alice@10.0.0.1", "'10.0.0.1' is not a domain name, so 'alice@10.0.0.1' cannot be looked up."),
        (
            "alice@exa\u202emple.com",
            "'alice@exa mple.com' is not an email address: it contains spaces or control characters.",
        ),
    ],
)
def test_addresses_that_cannot_be_looked_up(text: str, says: str) -> None:
    with pytest.raises(AddressError) as raised:
        discover(text, DiscoverySettings(dns_server=("127.0.0.1", 9)))
    assert str(raised.value) == says


def test_the_well_known_caldav_body_is_never_read_and_a_bad_redirect_is_refused(dns_server, web, settings) -> None:  # type: ignore[no-untyped-def]
    dns_server.zones.update({"big.test", "odd.test"})
    web.publish("big.test", "/.well-known/caldav", Reply(401, b"<x/>" * 1000, trickle=True))  # would take minutes
    web.publish("odd.test", "/.well-known/caldav", Reply(301, headers=(("Location", "http://dav.odd.test/"),)))

    big = discover("alice@big.test", settings)
    odd = discover("alice@odd.test", settings)

    assert [c.url for c in big.candidates] == [f"{web.base_url}/big.test/.well-known/caldav"]
    assert report(big, "/.well-known") == "found: /.well-known/caldav on big.test: a CalDAV service answers there."
    assert big.elapsed < 2
    assert report(odd, "/.well-known") == "failed: /.well-known/caldav on odd.test: redirects to an unusable address."
    assert odd.candidates == ()


def test_an_international_domain_is_asked_in_its_ascii_form(dns_server, settings) -> None:  # type: ignore[no-untyped-def]
    dns_server.zones.add("xn--bcher-kva.test")
    dns_server.add("_imaps._tcp.xn--bcher-kva.test", "SRV", "0 1 993 imap.xn--bcher-kva.test.")

    result = discover("leser@bücher.test", settings)

    assert result.domain == "xn--bcher-kva.test"
    assert [c.host for c in result.candidates] == ["imap.xn--bcher-kva.test"]
    assert all(r.outcome is not Outcome.FAILED for r in result.reports if r.name.startswith("DNS"))
