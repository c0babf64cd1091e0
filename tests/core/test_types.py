"""The type registry and the validation the form and the CLI share."""

from __future__ import annotations

import pytest

from connectors.registry import builtin_types, get_type
from connectors.types import validate_label

TYPES = builtin_types()
search_types = TYPES.search


def test_the_product_types_are_registered() -> None:
    assert [t.key for t in TYPES] == ["imap", "gmail", "outlook", "ical", "caldav"]
    for t in TYPES:
        assert t.name and t.description and t.fields and t.category in ("mail", "calendar")


@pytest.mark.parametrize(
    "query, expected",
    [("google", "gmail"), ("webcal", "ical"), ("ics", "ical"), ("nextcloud", "caldav"), ("dovecot", "imap")],
)
def test_search_finds_types_by_alias(query: str, expected: str) -> None:
    assert expected in [t.key for t in search_types(query)]


def test_search_filters_by_category() -> None:
    assert {t.key for t in search_types("", "calendar")} == {"ical", "caldav"}


def imap_values(**overrides: str) -> dict[str, str]:
    values = {"username": "me", "password": "pw", "host": "imap.example.com", "tls_mode": "implicit", "port": "993"}
    values.update(overrides)
    return values


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("port", "0", "out of range"),
        ("port", "65536", "out of range"),
        ("port", "abc", "must be a number"),
        ("host", "imaps://imap.example.com", "without a scheme"),
        ("host", "imap example.com", "spaces"),
        ("host", "imap.example.com:993", "Port field"),
        ("username", "", "required"),
        ("password", "", "required"),
        ("username", "me\x07", "control characters"),
    ],
)
def test_imap_validation_messages(field: str, value: str, message: str) -> None:
    errors = get_type("imap").validate(imap_values(**{field: value}))
    assert message in errors.by_field[field]


def test_valid_imap_values_pass() -> None:
    assert not get_type("imap").validate(imap_values())


def test_no_tls_only_for_localhost() -> None:
    imap = get_type("imap")
    assert "localhost" in imap.validate(imap_values(tls_mode="none")).by_field["tls_mode"]
    assert not imap.validate(imap_values(tls_mode="none", host="localhost", port="143"))


def test_port_follows_the_tls_mode() -> None:
    port = get_type("imap").field("port")
    assert port.default_for({"tls_mode": "implicit"}) == "993"
    assert port.default_for({"tls_mode": "starttls"}) == "143"


@pytest.mark.parametrize("url", ["ftp://example.com/cal.ics", "example.com/cal.ics", "https://"])
def test_feed_urls_need_a_web_scheme(url: str) -> None:
    assert "url" in get_type("ical").validate({"url": url}).by_field


def test_webcal_urls_are_accepted() -> None:
    assert not get_type("ical").validate({"url": "webcal://example.com/cal.ics"})


def test_editing_keeps_a_stored_secret_when_left_empty() -> None:
    imap = get_type("imap")
    assert "password" in imap.validate(imap_values(password="")).by_field
    assert not imap.validate(imap_values(password=""), editing=True, stored_secrets=frozenset({"password"}))


@pytest.mark.parametrize(
    "label, message",
    [("", "Give this integration a name"), ("work", "already exists"), ("a\nb", "control characters")],
)
def test_label_validation(label: str, message: str) -> None:
    assert message in (validate_label(label, {"Work"}) or "")


def test_a_feed_url_is_shown_only_as_its_server() -> None:
    ical = get_type("ical")
    settings = ical.settings_from({"url": "webcal://calendar.example.com/private/s3cr3t-token/basic.ics"})
    assert settings == {"url_display": "https://calendar.example.com/…"}
    assert "s3cr3t" not in str(settings)


def test_editing_keeps_what_checks_learned_unless_derived_afresh() -> None:
    ical = get_type("ical")
    current = {"url_display": "https://old.example.com/…", "calendar_name": "Team"}
    kept = ical.settings_for_edit(current, {"url": "", "username": "me"})
    assert kept == {"url_display": "https://old.example.com/…", "calendar_name": "Team", "username": "me"}
    replaced = ical.settings_for_edit(current, {"url": "https://new.example.com/x.ics"})
    assert replaced["url_display"] == "https://new.example.com/…"
