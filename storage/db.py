"""Open the database: pragmas for safe sharing, migrations, and refusal of files that are not ours."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from storage.errors import StorageError
from storage.paths import shared_directory_message, writable_by_others

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# Every revision this tether knows, oldest first. A test checks it against Alembic's scripts,
# so that start-up can compare the stored revision without importing Alembic.
KNOWN_REVISIONS: tuple[str, ...] = ("0001", "0002", "0003", "0004")
HEAD_REVISION = KNOWN_REVISIONS[-1]
BUSY_TIMEOUT_MS = 10_000
_SQLITE_MAGIC = b"SQLite format 3\x00"
_DISK_TROUBLE = ("disk is full", "disk i/o error", "file too large")


class DatabaseError(StorageError):
    """A database tether cannot use; the message says what to do and the file is left as it was."""


def inspect_revision(path: Path) -> str | None:
    """The stored Alembic revision, None for a new or empty file; raise if the file is not ours."""
    if path.is_dir():
        raise DatabaseError(
            f"{path} is a directory, not tether's database file. Move it away or choose another --data-dir."
        )
    if not path.exists() or path.stat().st_size == 0:
        return None
    # Even a read-only open creates journal files beside the database: not in a shared directory.
    if writable_by_others(mode := path.parent.stat().st_mode):
        raise DatabaseError(shared_directory_message(path.parent, mode))
    try:
        with path.open("rb") as handle:
            magic = handle.read(16)
    except OSError as exc:
        raise DatabaseError(f"{path} cannot be opened ({exc.strerror or exc}); it was not changed.") from None
    if magic != _SQLITE_MAGIC:
        raise DatabaseError(
            f"{path} is not a tether database (not an SQLite file). "
            "Move it away or choose another --data-dir; it was not changed."
        )
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not tables:
                return None
            if "alembic_version" not in tables or "integrations" not in tables:
                raise DatabaseError(
                    f"{path} is an SQLite database but not a tether one. "
                    "Move it away or choose another --data-dir; it was not changed."
                )
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        # Opening needs room for the shared-memory and journal files: a full disk or a failing
        # one shows up here, and must not be mistaken for a damaged file.
        if any(words in str(exc).lower() for words in _DISK_TROUBLE):
            raise DatabaseError(
                f"{path} could not be opened: the disk is full or failing ({exc}). "
                "Free some space and try again; nothing was changed."
            ) from None
        if "unable to open" in str(exc).lower():
            raise DatabaseError(
                f"{path} could not be opened ({exc}): the data directory is read-only or not yours. "
                "Nothing was changed."
            ) from None
        raise DatabaseError(f"{path} cannot be read as a database ({exc}); it was not changed.") from None
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} cannot be read as a database ({exc}); it was not changed.") from None
    return row[0] if row else None


def _configure_connection(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine_for(path: Path) -> Engine:
    from sqlalchemy import create_engine, event

    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )
    event.listen(engine, "connect", _configure_connection)
    return engine


def upgrade(engine: Engine, target: str = "head") -> None:
    """Run Alembic's upgrade on this engine's database."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        # pysqlite commits before each DDL statement on its own; a migration interrupted by a full
        # disk or a kill would leave a half-made schema that no later start can open. Take over
        # the transaction so the whole upgrade commits or rolls back as one.
        driver = connection.connection.driver_connection
        previous = driver.isolation_level  # type: ignore[union-attr]
        driver.isolation_level = None  # type: ignore[union-attr]
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            config.attributes["connection"] = connection
            command.upgrade(config, target)
        except BaseException:
            if driver.in_transaction:  # type: ignore[union-attr]
                driver.rollback()  # type: ignore[union-attr]
            raise
        else:
            driver.commit()  # type: ignore[union-attr]
        finally:
            driver.isolation_level = previous  # type: ignore[union-attr]


def open_database(path: Path) -> Engine:
    """Open (creating or upgrading as needed) tether's database at ``path``."""
    revision = inspect_revision(path)
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise DatabaseError(
            f"{path} was made by a newer tether (schema {revision}; this one knows up to {HEAD_REVISION}). "
            "Upgrade tether; the database was not changed."
        )
    if revision is not None and revision != HEAD_REVISION:
        # Keep a copy of the old file: a user who goes back to the older tether can restore it.
        backup = path.with_name(f"{path.name}.before-{HEAD_REVISION}")
        shutil.copy2(path, backup)
        engine = create_engine_for(path)
        upgrade(engine)
        return engine
    engine = create_engine_for(path)
    if revision is None:
        upgrade(engine)
        path.chmod(0o600)
    return engine
