"""`tether status`, `diagnostics`, `disable`/`enable` and metrics in `list --json`, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import add_ical
from tests.connectors.calendar_fixtures import feed_server  # noqa: F401 - fixture
from tests.servers.feeds import SECRET_TOKEN, FeedServer

pytestmark = pytest.mark.realserver


def add_feed(tether_cli, server: FeedServer, label: str, path: str = "team.ics") -> None:  # type: ignore[no-untyped-def]
    url = server.url(f"/private/{SECRET_TOKEN}/{path}")
    result = add_ical(tether_cli, label, url, "--set", f"ca_file={server.ca_file}", "--no-check")
    assert result.returncode == 0, result.output


@pytest.mark.slow
def test_status_and_list_show_metrics_and_the_breaker(tether_cli, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    add_feed(tether_cli, feed_server, "Good")
    add_feed(tether_cli, feed_server, "Gone", "missing.ics")
    for _ in range(3):
        tether_cli("check")
    status = tether_cli("status", "--json")
    assert status.returncode == 1  # one is failing
    by_label = {item["label"]: item for item in json.loads(status.stdout)["integrations"]}
    good, gone = by_label["Good"]["health"], by_label["Gone"]["health"]
    assert (good["requests"], good["errors"], good["breaker"]["state"]) == (3, 0, "closed")
    assert good["last_success"] and good["p95_latency_ms"] > 0 and good["last_latency_ms"] > 0
    assert (gone["requests"], gone["errors"], gone["error_rate"]) == (3, 3, 1.0)
    assert gone["breaker"]["state"] == "open" and gone["breaker"]["since"] and gone["breaker"]["failures"] == 3
    assert "revoked" in gone["last_error"]
    listed = {item["label"]: item for item in json.loads(tether_cli("list", "--json").stdout)}
    assert listed["Gone"]["health"] == gone
    text = tether_cli("status")
    assert "Gone (iCal feed): error" in text.stdout
    assert "3 requests, 3 errors (100%)" in text.stdout
    assert "Circuit open (calls fail fast) since just now, after 3 failures" in text.stdout
    assert SECRET_TOKEN not in status.output + text.output


def test_disable_stops_checks_and_workflows_then_enable_restores(tether_cli, feed_server: FeedServer) -> None:  # type: ignore[no-untyped-def]
    add_feed(tether_cli, feed_server, "Team")
    assert tether_cli("workflow", "add", "Digest", "--source", "Team").returncode == 0
    disabled = tether_cli("disable", "team")
    assert disabled.returncode == 0
    assert "Disabled 'Team'" in disabled.stdout and "Digest cannot run until you enable it again" in disabled.stdout
    checked = tether_cli("check", "Team")
    assert "○ Team: not checked (disabled)" in checked.stdout
    assert feed_server.hits["/team.ics"] == 0
    refused = tether_cli("workflow", "add", "Other", "--source", "Team")
    assert refused.returncode != 0 and "is disabled; enable it first" in refused.stderr
    workflows = tether_cli("workflow", "list")
    assert "Team  [disabled - cannot run until enabled]" in workflows.stdout
    enabled = tether_cli("enable", "Team")
    assert enabled.returncode == 0 and "Enabled 'Team'" in enabled.stdout
    assert tether_cli("check", "Team").returncode == 0
    assert feed_server.hits["/team.ics"] == 1
    assert tether_cli("enable", "Team").stdout.strip() == "'Team' is not disabled."
    assert tether_cli("disable", "Nope").returncode != 0


def test_diagnostics_names_everything_but_secrets(tether_cli, feed_server: FeedServer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    add_feed(tether_cli, feed_server, "Team")
    add_feed(tether_cli, feed_server, "Gone", "missing.ics")
    tether_cli("check")
    out = tmp_path / "diag.json"
    written = tether_cli("diagnostics", "--output", str(out))
    assert written.returncode == 0 and "no secrets in it" in written.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    report = json.loads(out.read_text())
    assert report["python"].count(".") == 2 and report["platform"] and report["tether"]
    assert report["secret_store"]["kind"] == "vault"
    assert {item["label"]: item["status"] for item in report["integrations"]} == {"Gone": "error", "Team": "connected"}
    gone = next(item for item in report["integrations"] if item["label"] == "Gone")
    assert gone["secrets_stored"] == ["url"] and "revoked" in gone["health"]["last_error"]
    printed = tether_cli("diagnostics")
    assert json.loads(printed.stdout)["integrations"][0]["label"] == "Gone"
    for text in (out.read_text(), printed.output):
        assert SECRET_TOKEN not in text and "correct horse battery" not in text


def test_building_the_command_line_does_not_load_the_database_layer() -> None:
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT

    code = "import sys, app.cli.main; app.cli.main.build_parser(); print('sqlalchemy' in sys.modules, 'textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert out.stdout.split() == ["False", "False"]
