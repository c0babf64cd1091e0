"""`tether status` while another tether process is checking an integration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT
from tests.core.test_cli import add_work
from tests.tui.test_list_writers import HOLD


def test_status_says_checking_in_another_tether_and_leaves_the_check_alone(tether_cli, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from storage.integrations import CHECKING_LOCK_NAME
    from storage.paths import DATABASE_NAME

    add_work(tether_cli)
    with sqlite3.connect(data_dir / DATABASE_NAME) as db:  # what the other process's check wrote
        db.execute("UPDATE integrations SET status = 'checking'")
    other = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir / CHECKING_LOCK_NAME), "1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "checking"
        out = tether_cli("status").stdout
        assert "Work (IMAP mail): checking (in another tether)" in out and "interrupted" not in out
    finally:
        other.communicate("")
    out = tether_cli("status").stdout
    assert "Work (IMAP mail): not checked" in out and "The last check was interrupted." in out
