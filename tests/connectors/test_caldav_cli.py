"""`tether add caldav`, choosing calendars and `tether check`, against a real Radicale."""

from __future__ import annotations

import json

import pytest

from tests.connectors.calendar_fixtures import radicale, seeded_radicale  # noqa: F401 - fixtures
from tests.servers.radicale import PASSWORD, USER, RadicaleServer

pytestmark = pytest.mark.realserver


def test_add_choose_calendars_and_check(tether_cli, seeded_radicale: tuple[RadicaleServer, dict[str, str]]) -> None:  # type: ignore[no-untyped-def]
    server, urls = seeded_radicale
    host = server.url.removeprefix("https://")
    added = tether_cli(
        "add",
        "caldav",
        "--label",
        "Radicale",
        "--set",
        f"url={host}",
        "--set",
        f"username={USER}",
        "--set",
        f"ca_file={server.ca_file}",
        "--secret-stdin",
        "password",
        input=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.output
    assert "Signed in; found 2 calendars, none chosen yet" in added.stdout
    assert "Found: Holidays (read-only)" in added.stdout and "Found: Work" in added.stdout

    edited = tether_cli("edit", "Radicale", "--set", "calendars=Work,Holidays")
    assert edited.returncode == 0, edited.output
    checked = tether_cli("check", "Radicale")
    assert checked.returncode == 0, checked.output
    assert "● Radicale: 2 calendars, 3 events in the next 30 days" in checked.stdout
    assert "Holidays (read-only): 1 event" in checked.stdout

    item = json.loads(tether_cli("list", "--json").stdout)[0]
    assert item["status"] == "connected" and item["settings"]["calendars"] == ["Work", "Holidays"]
    assert PASSWORD not in json.dumps(item) + added.output + checked.output


def test_wrong_password_is_not_saved(tether_cli, radicale: RadicaleServer) -> None:  # type: ignore[no-untyped-def]
    refused = tether_cli(
        "add",
        "caldav",
        "--set",
        f"url={radicale.url}",
        "--set",
        f"username={USER}",
        "--set",
        f"ca_file={radicale.ca_file}",
        "--secret-stdin",
        "password",
        input="wrong-password\n",
    )
    assert refused.returncode != 0
    assert "did not accept the username or password" in refused.stderr
    assert "wrong-password" not in refused.output
