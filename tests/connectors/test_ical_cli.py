"""`tether add ical` and `tether check` end to end, against the loopback feed server."""

from __future__ import annotations

import json

import pytest

from tests.cli_helpers import add_ical
from tests.connectors.calendar_fixtures import feed_server  # noqa: F401 - fixture
from tests.servers.feeds import SECRET_TOKEN, FeedServer

pytestmark = pytest.mark.realserver


def test_add_and_check_a_feed_then_repeat_costs_a_304(tether_cli, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.url(f"/private/{SECRET_TOKEN}/team.ics")
    added = add_ical(tether_cli, "Team", url, "--set", f"ca_file={feed_server.ca_file}")
    assert added.returncode == 0, added.output
    assert "● Team: 4 events" in added.stdout
    assert "Next:" in added.stdout and "Planning" in added.stdout

    again = tether_cli("check", "Team")
    assert again.returncode == 0, again.output
    assert "Team: 4 events (unchanged)" in again.stdout
    assert [status for _, status in feed_server.statuses] == [200, 304]

    listed = tether_cli("list", "--json")
    item = json.loads(listed.stdout)[0]
    assert item["status"] == "connected"
    assert item["settings"]["url_display"] == f"{feed_server.base_url}/…"
    for output in (added.output, again.output, listed.output):
        assert SECRET_TOKEN not in output


def test_revoked_link_is_reported_without_the_token(tether_cli, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    url = feed_server.url(f"/private/{SECRET_TOKEN}/missing.ics")
    command = ("add", "ical", "--label", "Old", "--secret-stdin", "url", "--set", f"ca_file={feed_server.ca_file}")
    refused = tether_cli(*command, input=url + "\n")
    assert refused.returncode != 0
    assert "Not saved: The feed URL is wrong or was revoked" in refused.stderr
    assert tether_cli(*command, "--no-check", input=url + "\n").returncode == 0
    checked = tether_cli("check")
    assert checked.returncode == 1
    assert "✖ Old: The feed URL is wrong or was revoked" in checked.stdout
    for output in (refused.output, checked.output):
        assert SECRET_TOKEN not in output
    listed = json.loads(tether_cli("list", "--json").stdout)[0]
    assert listed["status"] == "error" and "revoked" in listed["detail"]
    assert SECRET_TOKEN not in json.dumps(listed)
