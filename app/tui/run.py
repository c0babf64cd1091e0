"""Start the terminal UI."""

from __future__ import annotations

from pathlib import Path


def run(data_dir: str | Path | None = None) -> int:
    from app.tui.tether_app import TetherApp

    app = TetherApp(data_dir=data_dir)
    app.run()
    # Textual sets 1 after an unhandled exception; the process must not report success then.
    return app.return_code or 0
