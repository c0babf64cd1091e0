"""The workflows screen shows, per workflow, how an assistant's MCP client starts `tether mcp` for it."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.core.mcp_config import launch_for
from app.tui.tether_app import TetherApp
from storage.records import Access, LinkSpec, Role


@pytest.fixture
def app(isolated_environment: Path, tmp_path: Path, memory_keyring, monkeypatch: pytest.MonkeyPatch) -> TetherApp:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TETHER_SECRET_STORE", "keyring")
    app = TetherApp(
        data_dir=tmp_path / "data",
        clock=lambda: datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        keymap_path=tmp_path / "none.toml",
    )
    app.animation_level = "none"
    return app


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def test_m_shows_the_command_line_and_client_config_for_the_selected_workflow(
    app: TetherApp, tmp_path: Path
) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        storage = app.context.storage
        feed = storage.integrations.add("ical", "Team", {}, {"url": "https://cal.example.com/team.ics"})
        storage.workflows.add("Morning digest", links=[LinkSpec(feed.id, Role.SOURCE, Access.READ)])
        await pilot.press("w")
        await settle(pilot)
        assert type(app.screen).__name__ == "WorkflowsScreen"
        await pilot.press("m")
        await settle(pilot)
        assert type(app.screen).__name__ == "McpSetupScreen"
        expected = launch_for("Morning digest", tmp_path / "data", uses_vault=False)
        command = str(app.screen.query_one("#mcp-command").render())
        assert shlex.split(command)[-5:] == [
            "mcp",
            "--workflow",
            "Morning digest",
            "--data-dir",
            str((tmp_path / "data").resolve()),
        ]
        shown = json.loads(str(app.screen.query_one("#mcp-json").render()))
        assert shown == expected.client_config()
        assert "tether-morning-digest" in shown["mcpServers"]
        assert "TETHER_PASSPHRASE_COMMAND" not in command  # the keyring needs no passphrase
        await pilot.press("j")
        assert json.loads(app.clipboard) == expected.client_config()
        await pilot.press("c")
        assert app.clipboard == expected.command_line
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "WorkflowsScreen"


async def test_no_workflow_no_mcp_action(app: TetherApp) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert app.screen.check_action("mcp", ()) is None
        await pilot.press("m")
        await settle(pilot)
        assert type(app.screen).__name__ == "WorkflowsScreen"
