"""The database: creation, upgrade from the first revision, and refusals that leave files untouched."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from storage.db import HEAD_REVISION, KNOWN_REVISIONS, DatabaseError, inspect_revision, open_database
from storage.paths import DATABASE_NAME
from storage.records import Status
from storage.service import open_storage
from tests.conftest import MemoryKeyring
from storage.secrets.keyring_store import KeyringStore

FIXTURE = Path(__file__).parent.parent / "fixtures" / "tether-0001.db"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_known_revisions_match_the_migration_scripts() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path("storage/migrations").resolve()))
    scripts = ScriptDirectory.from_config(config)
    chain = [rev.revision for rev in reversed(list(scripts.walk_revisions()))]
    assert tuple(chain) == KNOWN_REVISIONS
    assert scripts.get_current_head() == HEAD_REVISION


def test_new_database_is_created_private_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / DATABASE_NAME
    engine = open_database(path)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    assert inspect_revision(path) == HEAD_REVISION
    assert path.stat().st_mode & 0o777 == 0o600


def test_first_revision_database_is_upgraded_without_loss(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = data_dir / DATABASE_NAME
    shutil.copy(FIXTURE, db)
    assert inspect_revision(db) == "0001"

    storage = open_storage(data_dir, KeyringStore(MemoryKeyring()))

    assert inspect_revision(db) == HEAD_REVISION
    work = storage.integrations.find("work mail")
    assert work.settings == {
        "host": "imap.example.com",
        "port": 993,
        "tls_mode": "implicit",
        "username": "me@example.com",
    }
    assert work.status is Status.CONNECTED
    assert work.secret_names == ("password",)
    assert work.check_summary == ""  # the column revision 0002 added
    assert [use.workflow_name for use in work.used_by] == ["Morning digest"]
    digest_wf = storage.workflows.find("Morning digest")
    assert digest_wf.schedule == "daily 07:00"
    assert sorted(link.integration_label for link in digest_wf.links) == ["Holidays", "Work mail"]
    # The file as it was is kept beside it.
    backups = list(data_dir.glob(f"{DATABASE_NAME}.before-*"))
    assert len(backups) == 1 and inspect_revision(backups[0]) == "0001"


def test_database_from_a_newer_tether_is_refused_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / DATABASE_NAME
    open_database(db).dispose()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    before = digest(db)
    with pytest.raises(DatabaseError, match="newer tether"):
        open_database(db)
    assert digest(db) == before


@pytest.mark.parametrize(
    "content",
    [b"just some notes\n" * 10, b"\x00\x01binary garbage" * 50],
    ids=["text", "binary"],
)
def test_file_that_is_not_a_database_is_refused_and_left_untouched(tmp_path: Path, content: bytes) -> None:
    db = tmp_path / DATABASE_NAME
    db.write_bytes(content)
    with pytest.raises(DatabaseError, match="not a tether database"):
        open_database(db)
    assert db.read_bytes() == content


def test_other_sqlite_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / DATABASE_NAME
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
        conn.execute("INSERT INTO recipes VALUES ('soup')")
    before = digest(db)
    with pytest.raises(DatabaseError, match="not a tether one"):
        open_database(db)
    assert digest(db) == before
