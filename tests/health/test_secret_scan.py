"""Every flow run with known secret values, then every place tether writes searched for them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import add_ical
from tests.conftest import REPO_ROOT, TEST_PASSPHRASE
from tests.connectors.calendar_fixtures import feed_server  # noqa: F401 - fixture
from tests.connectors.imap.conftest import dovecot, dovecot_cert  # noqa: F401 - fixtures
from tests.servers.dovecot import DovecotServer
from tests.servers.feeds import FEED_PASSWORD, FEED_USER, SECRET_TOKEN, FeedServer

pytestmark = pytest.mark.realserver
IMAP_PASSWORD = "alice-secret-1"
ROTATED_TOKEN = "r0tated-t0ken-5e6f7a"


def files_under(*roots: Path) -> list[Path]:
    return [path for root in roots if root.exists() for path in root.rglob("*") if path.is_file()]


@pytest.mark.slow
def test_no_secret_reaches_data_logs_output_or_snapshots(
    tether_cli,
    feed_server: FeedServer,
    dovecot: DovecotServer,
    test_ca,
    data_dir: Path,
    tmp_path: Path,  # type: ignore[no-untyped-def] # noqa: F811
) -> None:
    logs = tmp_path / "logs"
    env = {"TETHER_LOG_DIR": str(logs)}
    outputs: list[str] = []

    def run(*args: str, input: str = "") -> None:
        result = tether_cli("--verbose", *args, input=input, extra_env=env)
        outputs.append(result.stdout + result.stderr)

    private = feed_server.url(f"/private/{SECRET_TOKEN}/team.ics")
    add_ical(run, "Team", private, "--set", f"ca_file={feed_server.ca_file}")
    run(
        "add",
        "ical",
        "--label",
        "Basic",
        "--set",
        f"ca_file={feed_server.ca_file}",
        "--set",
        f"username={FEED_USER}",
        "--secret-stdin",
        "url",
        "--secret-stdin",
        "password",
        input=f"{feed_server.url('/basic.ics')}\n{FEED_PASSWORD}\n",
    )
    run(
        "add",
        "imap",
        "--label",
        "Mail",
        "--set",
        "username=alice",
        "--set",
        "host=127.0.0.1",
        "--set",
        f"port={dovecot.imaps_port}",
        "--set",
        "tls_mode=implicit",
        "--set",
        f"ca_file={test_ca.ca_file}",
        "--secret-stdin",
        "password",
        input=IMAP_PASSWORD + "\n",
    )
    run("edit", "Team", "--secret-stdin", "url", input=feed_server.url(f"/private/{ROTATED_TOKEN}/missing.ics") + "\n")
    run("edit", "Mail", "--secret-stdin", "password", input="wrong-" + IMAP_PASSWORD + "\n")
    run("check")
    run("check", "--json")
    run("list")
    run("list", "--json")
    run("status")
    run("status", "--json")
    run("diagnostics")
    run("diagnostics", "--output", str(tmp_path / "diagnostics.json"))
    run("workflow", "add", "Digest", "--source", "Team", "--source", "Mail")
    run("disable", "Mail")
    run("workflow", "list")
    run("remove", "Basic", "--yes")

    secrets = [SECRET_TOKEN, ROTATED_TOKEN, FEED_PASSWORD, IMAP_PASSWORD, TEST_PASSPHRASE]
    assert any("Sign-in failed" in text or "Wrong username or password" in text for text in outputs)  # the flows ran
    log_text = (logs / "tether.log").read_text()
    assert "DEBUG" in log_text and "GET ***" in log_text  # verbose HTTP logging ran, with the URL masked
    snapshots = files_under(REPO_ROOT / "tests" / "tui" / "__snapshots__")
    places = {
        str(path): path.read_bytes() for path in files_under(data_dir, logs, tmp_path / "diagnostics.json", *snapshots)
    }
    places.update({f"output of command {n}": text.encode() for n, text in enumerate(outputs)})
    assert len(places) > len(outputs) + 3
    leaks = [(where, secret) for where, content in places.items() for secret in secrets if secret.encode() in content]
    assert leaks == []
