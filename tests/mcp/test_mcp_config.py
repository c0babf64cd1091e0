"""The command line and client config snippets shown per workflow really start a server scoped to it."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from app.core.mcp_config import PASSPHRASE_PLACEHOLDER, McpLaunch, launch_for
from tests.cli_helpers import add_ical
from tests.conftest import TEST_PASSPHRASE
from tests.mcp.harness import PASSPHRASE_COMMAND, McpClient


def test_names_and_command_line_survive_quoting(tmp_path: Path) -> None:
    launch = launch_for("Mail & calendar: daily!", tmp_path / "data dir", uses_vault=True)
    assert launch.server_name == "tether-mail-calendar-daily"
    words = shlex.split(launch.command_line)
    assert words[-5:] == [
        "mcp",
        "--workflow",
        "Mail & calendar: daily!",
        "--data-dir",
        str((tmp_path / "data dir").resolve()),
    ]
    assert f"TETHER_PASSPHRASE_COMMAND={PASSPHRASE_PLACEHOLDER}" in words
    assert Path(launch.command).is_absolute()
    entry = launch.client_config()["mcpServers"]["tether-mail-calendar-daily"]
    assert entry["args"] == list(launch.args) and entry["command"] == launch.command
    assert launch.vscode_config()["servers"]["tether-mail-calendar-daily"]["type"] == "stdio"
    assert "TETHER_PASSPHRASE_COMMAND" not in launch_for("x", tmp_path, uses_vault=False).env


def test_the_snippet_from_workflow_show_starts_the_scoped_server(tether_cli, data_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {"TETHER_SECRET_STORE": "vault"}
    for label in ("Team", "Private"):
        added = add_ical(tether_cli, label, "https://127.0.0.1:9/x.ics", "--no-check", extra_env=env)
        assert added.returncode == 0, added.output
    assert tether_cli("workflow", "add", "Morning digest", "--source", "Team", extra_env=env).returncode == 0
    shown = tether_cli("workflow", "show", "morning digest", "--json", extra_env=env)
    assert shown.returncode == 0, shown.output
    details = json.loads(shown.stdout)
    assert details["integrations"] == [{"label": "Team", "role": "source", "access": "read"}]
    launch = McpLaunch("Morning digest", **_entry(details))
    assert launch.env["TETHER_PASSPHRASE_COMMAND"] == PASSPHRASE_PLACEHOLDER
    # What the person does: paste the snippet and fill in the passphrase command.
    server_env = {
        **launch.env,
        "TETHER_PASSPHRASE_COMMAND": PASSPHRASE_COMMAND,
        "TETHER_SECRET_STORE": "vault",
        "HOME": str(tmp_path),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    client = McpClient(list(launch.args), server_env, stderr_path=tmp_path / "stderr", command=launch.command)
    try:
        listed = client.ok("list_integrations")
    finally:
        client.close()
    assert listed["workflow"] == "Morning digest"
    assert [item["label"] for item in listed["integrations"]] == ["Team"]
    assert TEST_PASSPHRASE not in shown.stdout


def _entry(details: dict) -> dict:
    entry = details["mcp"]["client_config"]["mcpServers"]["tether-morning-digest"]
    return {"command": entry["command"], "args": tuple(entry["args"]), "env": entry.get("env", {})}
