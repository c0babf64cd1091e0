"""Notice changes other tether processes (the CLI, another TUI, tether mcp) made to the database.

SQLite's ``PRAGMA data_version`` changes, on one connection, whenever another connection commits:
a read of one integer, cheap enough to ask every second. The standard library is enough for it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.paths import DATABASE_NAME

WATCH_SECONDS = 1.0


class DataWatcher:
    """Keep one read-only connection open; ``changed()`` says whether anyone committed since the last call."""

    def __init__(self, data_dir: Path) -> None:
        path = (data_dir / DATABASE_NAME).resolve()
        # timeout=0: asked from the UI thread, so a locked database is "no news", never a wait.
        self._connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=0, check_same_thread=False)
        self._version = self._read()

    def _read(self) -> int:
        return int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        try:
            version = self._read()
        except sqlite3.Error:  # a locked or vanished file: look again next time
            return False
        changed, self._version = version != self._version, version
        return changed

    def close(self) -> None:
        self._connection.close()
