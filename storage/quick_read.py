"""A read-only first look at the database, with the standard library only.

Start-up paints the list from this while SQLAlchemy loads, the secret store is chosen and the
database is opened properly; the full records replace these a moment later. Anything unexpected
(no database yet, a revision this tether does not know, a damaged file) returns None and the
list simply waits for the full read. `tether mcp` asks the same way whether it may answer its
client before opening storage, and how a workflow's name is stored.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from storage.db import HEAD_REVISION, DatabaseError, inspect_revision
from storage.names import name_key
from storage.paths import DATABASE_NAME, writable_by_others
from storage.records import Access, Integration, Role, Status, WorkflowUse

_INTEGRATIONS = (
    "SELECT id, label, type_key, settings, secret_store, secret_names, status, status_detail, last_checked_at, "
    "created_at, updated_at, check_summary, secret_ref, version FROM integrations WHERE pending = 0 ORDER BY label_key"
)
_USES = (
    "SELECT wi.integration_id, w.id, w.name, wi.role, wi.access, w.schedule, w.enabled "
    "FROM workflow_integrations wi JOIN workflows w ON w.id = wi.workflow_id WHERE wi.integration_id IS NOT NULL"
)


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def quick_integrations(data_dir: Path) -> list[Integration] | None:
    """The visible integrations with their workflow uses, or None when only the full read can tell."""
    path = data_dir / DATABASE_NAME
    try:
        # Even a read-only open may create journal files; the full open refuses such a directory.
        if writable_by_others(data_dir.stat().st_mode):
            return None
        if inspect_revision(path) != HEAD_REVISION:
            return None
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            rows = connection.execute(_INTEGRATIONS).fetchall()
            uses: dict[int, list[WorkflowUse]] = {}
            for integration_id, workflow_id, name, role, access, schedule, enabled in connection.execute(_USES):
                uses.setdefault(integration_id, []).append(
                    WorkflowUse(workflow_id, name, Role(role), Access(access), schedule or "", bool(enabled))
                )
        finally:
            connection.close()
        return [
            Integration(
                id=row[0],
                label=row[1],
                type_key=row[2],
                settings=json.loads(row[3] or "{}"),
                secret_store=row[4],
                secret_names=tuple(json.loads(row[5] or "[]")),
                status=Status(row[6]),
                status_detail=row[7] or "",
                last_checked_at=_when(row[8]),
                created_at=_when(row[9]),  # type: ignore[arg-type]
                updated_at=_when(row[10]),  # type: ignore[arg-type]
                check_summary=row[11] or "",
                used_by=tuple(sorted(uses.get(row[0], ()), key=lambda use: use.workflow_name.casefold())),
                secret_ref=row[12],
                version=row[13],
            )
            for row in rows
        ]
    except (sqlite3.Error, DatabaseError, ValueError, TypeError, OSError):
        return None


def database_is_current(data_dir: Path) -> bool:
    """True when the database exists at this tether's newest schema: opening it creates and migrates nothing.

    False for a directory others can write, as in quick_integrations: the full open refuses it.
    """
    try:
        if writable_by_others(data_dir.stat().st_mode):
            return False
        return inspect_revision(data_dir / DATABASE_NAME) == HEAD_REVISION
    except (DatabaseError, OSError):
        return False


def quick_workflow_name(data_dir: Path, name: str) -> str | None:
    """The stored spelling of workflow ``name`` (compared as storage compares names), or None."""
    path = data_dir / DATABASE_NAME
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            row = connection.execute("SELECT name FROM workflows WHERE name_key = ?", (name_key(name),)).fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None
