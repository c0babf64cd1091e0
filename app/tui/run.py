"""Start the terminal UI."""

from __future__ import annotations

from pathlib import Path


def run(data_dir: str | Path | None = None) -> int:
    from app.tui.tether_app import TetherApp

    TetherApp(data_dir=data_dir).run()
    return 0
