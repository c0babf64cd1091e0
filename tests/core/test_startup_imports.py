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


@pytest.mark.parametrize(
    "argv",
    [[], ["--data-dir", "/srv/tether"], ["--data-dir=/srv/tether", "--verbose"], ["--verbose"], ["--data", "list"]],
)
def test_options_alone_start_the_terminal_ui_read_as_the_full_parser_reads_them(argv: list[str]) -> None:
    from app.cli.main import _terminal_ui_arguments, build_parser

    quick = _terminal_ui_arguments(argv)
    full = build_parser().parse_args(argv)
    assert quick is not None and getattr(full, "handler", None) is None
    assert vars(quick) == {key: value for key, value in vars(full).items() if key != "command"}


@pytest.mark.parametrize(
    "argv", [["list"], ["--data-dir", "/x", "check"], ["--help"], ["-h"], ["--data-dir"], ["--bogus"], ["--", "x"]]
)
def test_anything_but_options_goes_to_the_full_parser(argv: list[str]) -> None:
    from app.cli.main import _terminal_ui_arguments

    assert _terminal_ui_arguments(argv) is None


def test_a_mistake_is_answered_by_the_full_parser(capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli.main import main

    with pytest.raises(SystemExit) as exited:
        main(["--data-dir"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "usage: tether [-h] [--data-dir PATH] [--verbose] COMMAND" in err
    assert "argument --data-dir: expected one argument" in err


def test_the_terminal_ui_starts_without_building_the_commands_parsers(tmp_path: Path) -> None:
    loaded = loaded_after(
        "import os\n"
        f"os.environ['TETHER_LOG_DIR'] = {str(tmp_path)!r}\n"
        "import app.cli.main as main\n"
        "def refuse(): raise AssertionError('built every command parser')\n"
        "main.build_parser = refuse\n"
        "main.commands.run_tui = lambda args: 0 if args.data_dir == '/srv/tether' else 1\n"
        "assert main.main(['--data-dir', '/srv/tether']) == 0"
    )
    assert not loaded & {"app.cli.health_commands", "app.cli.discover_command"}
