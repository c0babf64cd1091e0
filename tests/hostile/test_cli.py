"""`tether add/check/list/status/diagnostics/workflow` against servers whose every word is hostile.

No escape, BEL, C1 or bidi character may reach the terminal, the JSON output or the log; the
readable part of what the server said still shows, with a placeholder where a control was.
"""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack
from pathlib import Path

import pytest

from connectors.outside_text import PLACEHOLDER
from tests.cli_helpers import add_ical
from tests.hostile.imap_server import PASSWORD, USERNAME, HostileScript, hostile_imap
from tests.hostile.payloads import MARKUP, forbidden, hostile
from tests.servers.feeds import FeedServer

pytestmark = pytest.mark.realserver

LABEL = f"Feed {MARKUP}"


def assert_safe(*outputs: str) -> None:
    for output in outputs:
        assert forbidden(output) == [], f"control characters reached the output: {forbidden(output)}"


def add_feed(tether_cli, server: FeedServer, log_dir: Path, label: str = LABEL):  # type: ignore[no-untyped-def]
    url = server.url("/hostile.ics")
    return add_ical(
        tether_cli, label, url, "--set", f"ca_file={server.ca_file}", extra_env={"TETHER_LOG_DIR": str(log_dir)}
    )


@pytest.mark.slow
def test_a_hostile_feed_is_shown_cleaned_by_every_command(
    tether_cli, hostile_feed_server: FeedServer, log_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    env = {"TETHER_LOG_DIR": str(log_dir)}
    added = add_feed(tether_cli, hostile_feed_server, log_dir)
    assert added.returncode == 0, added.output
    # The calendar name, the event's summary and its location are shown, cleaned, markup literal.
    assert f"Calname [/nope]{PLACEHOLDER}]52" in added.stdout and f"Summary{PLACEHOLDER}]52;c;cHduZWQ=" in added.stdout
    assert "Summary" in added.stdout and "Location" in added.stdout and MARKUP in added.stdout
    outputs = [added.output]
    for command in (("check",), ("check", "--json"), ("list",), ("list", "--json"), ("status",), ("diagnostics",)):
        result = tether_cli(*command, extra_env=env)
        assert result.returncode == 0, (command, result.output)
        assert "Feed [/x]" in result.stdout, command
        if command[0] in ("check", "list"):
            assert "Calname" in result.stdout, command
        outputs.append(result.output)
    workflow = tether_cli("workflow", "add", f"Digest {MARKUP}", "--source", LABEL, extra_env=env)
    assert workflow.returncode == 0, workflow.output
    for command in (("workflow", "list"), ("workflow", "show", f"Digest {MARKUP}")):
        result = tether_cli(*command, extra_env=env)
        assert result.returncode == 0, (command, result.output)
        assert MARKUP in result.stdout
        outputs.append(result.output)
    assert_safe(*outputs)
    assert_safe((log_dir / "tether.log").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_a_hostile_imap_server_is_shown_cleaned(tether_cli, log_dir: Path) -> None:  # type: ignore[no-untyped-def]
    env = {"TETHER_LOG_DIR": str(log_dir)}
    scripts = {
        "Greets": HostileScript(hostile("Greeting")),  # greeting and folder names hostile; the check passes
        "Refuses login": HostileScript(hostile("Refusal [/oops]"), refuse_login=True),  # LOGIN answered NO <text>
        "Refuses list": HostileScript(hostile("Refusal [/oops]"), refuse_list=True),  # LIST answered BAD <text>
    }
    outputs = []
    with ExitStack() as stack:
        for name, script in scripts.items():
            port = stack.enter_context(hostile_imap(script))
            command = (
                "add",
                "imap",
                "--label",
                f"{name} {MARKUP}",
                "--set",
                f"username={USERNAME}",
                "--set",
                "host=127.0.0.1",
                "--set",
                f"port={port}",
                "--set",
                "tls_mode=none",
                "--secret-stdin",
                "password",
            )
            added = tether_cli(
                *command, *(("--no-check",) if name == "Refuses list" else ()), input=PASSWORD + "\n", extra_env=env
            )
            outputs.append(added.output)
            if name == "Refuses login":
                assert added.returncode != 0 and "Wrong username or password" in added.stderr, added.output
                assert tether_cli(*command, "--no-check", input=PASSWORD + "\n", extra_env=env).returncode == 0
            else:
                assert added.returncode == 0, added.output
        checked = tether_cli("check", extra_env=env)
        assert checked.returncode == 1
        assert "● Greets" in checked.stdout and "Folders: INBOX, FolderGreeting" in outputs[0]
        assert (
            "✖ Refuses login" in checked.stdout and "✖ Refuses list" in checked.stdout and "[/oops]" in checked.stdout
        )
        outputs.append(checked.output)
        outputs += [
            tether_cli(*command, extra_env=env).output
            for command in (("check", "--json"), ("list",), ("status",), ("diagnostics",))
        ]
    assert_safe(*outputs)
    assert_safe((log_dir / "tether.log").read_text(encoding="utf-8"))


def test_text_stored_by_an_older_version_is_cleaned_on_the_way_out(
    tether_cli, hostile_feed_server: FeedServer, data_dir: Path, log_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    from storage.paths import DATABASE_NAME

    assert add_feed(tether_cli, hostile_feed_server, log_dir, label="Old").returncode == 0
    raw = hostile("Stored")  # as an older tether kept it: nothing cleaned
    with sqlite3.connect(data_dir / DATABASE_NAME) as db:
        db.execute(
            "UPDATE integrations SET label = ?, status = 'error', status_detail = ?, check_summary = ?",
            (f"Old{raw}", raw, raw),
        )
    outputs = [
        tether_cli(*command, extra_env={"TETHER_LOG_DIR": str(log_dir)}).output
        for command in (("list",), ("status",), ("diagnostics",))
    ]
    assert all("Stored" in output for output in outputs)
    assert_safe(*outputs)
