"""Start-up loads only what the first paint, or the first MCP answer, needs.

Each check runs in a fresh interpreter and looks at sys.modules, so an import added anywhere on
the start-up path shows up here (see benchmarks/startup.py and benchmarks/mcp_startup.py for the cost).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

# Each is tens to hundreds of milliseconds, and none is needed to paint the list or answer initialize.
HEAVY = {"sqlalchemy", "alembic", "keyring", "imapclient", "caldav", "icalendar", "authlib", "httpx", "jsonschema"}


def loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_tui_start_up_path_imports_no_heavy_library() -> None:
    loaded = loaded_after("import app.cli.main, app.tui.run, app.tui.tether_app, storage.quick_read, storage.paths")
    assert not loaded & HEAVY
    assert not loaded & {"storage.models", "storage.service", "app.core.diagnostics", "mcp"}


def test_mcp_start_up_path_imports_neither_storage_nor_tools(tmp_path: Path) -> None:
    # Up to the moment it serves: the CLI, the wire module and the read-only look at the database.
    loaded = loaded_after(
        "import app.cli.main, app.cli.workflow_commands, app.mcp.wire\n"
        f"app.mcp.wire.look_ahead({str(tmp_path)!r}, 'Morning brief')"
    )
    assert not loaded & HEAVY
    assert not loaded & {"storage.models", "storage.service", "app.mcp.server", "app.mcp.tools", "app.mcp.calls"}
    # The protocol is tether's own: the MCP SDK and what it brings cost ~0.7 s before the first answer.
    assert "app.mcp.protocol" in loaded
    assert not loaded & {"mcp", "mcp_types", "pydantic", "anyio"}


ROWS_PROBE = """
import asyncio, json, sys
from textual.app import App
from app.tui.tether_app import TetherApp

painted = []  # for each screen update: was SQLAlchemy loaded, and which rows did the table hold
original = App._display

def display(self, screen, renderable):
    original(self, screen, renderable)
    table = self.screen_stack[0].table if self.screen_stack and self.screen_stack[0].is_mounted else None
    if table is not None:
        painted.append(["sqlalchemy" in sys.modules, [item.label for item in table.integrations()]])

App._display = display

async def main():
    app = TetherApp(data_dir=sys.argv[1])
    async with app.run_test() as pilot:
        while app.context is None:
            await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()

asyncio.run(main())
print(json.dumps(painted))
"""


def test_rows_are_painted_before_the_database_layer_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick look paints the rows; SQLAlchemy arrives only afterwards, with the full open."""
    monkeypatch.setenv("TETHER_SECRET_STORE", "vault")  # listing needs no secret, and no keyring is probed
    data = str(tmp_path / "data")
    add = (
        "import sys\nfrom app.core.context import open_context\n"
        "open_context(sys.argv[1]).storage.integrations.add('ical', 'Team feed', {}, {})"
    )
    subprocess.run([sys.executable, "-c", add, data], check=True, cwd=REPO_ROOT, capture_output=True)
    out = subprocess.run(
        [sys.executable, "-c", ROWS_PROBE, data], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    painted = json.loads(out.stdout.strip().splitlines()[-1])
    with_rows = [loaded for loaded, labels in painted if labels == ["Team feed"]]
    assert with_rows, f"the rows were never painted: {painted}"
    assert with_rows[0] is False  # the first paint with the rows came before the database layer loaded
    assert painted[-1] == [True, ["Team feed"]]  # and the full open did happen afterwards
