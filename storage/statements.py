"""The statements a check's outcome is stored with (and every versioned row swap), built once and
run on the session's connection.

Check all stores a hundred outcomes at a time. Built anew and run through the ORM for each, the
few statements an outcome needs cost ~2.5 ms of Python per outcome, far more than SQLite's own
work; built once (their values passed at run time, the SET clause taken from the values' keys)
and run as plain SQL on the session's connection, they cost a fraction of it. The session's
transaction still holds them: they commit or roll back with everything else in it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from storage.models import CallSampleRow, IntegrationRow, WorkflowIntegrationRow, WorkflowRow

_INTEGRATIONS: Any = IntegrationRow.__table__
_WORKFLOWS: Any = WorkflowRow.__table__
_LINKS: Any = WorkflowIntegrationRow.__table__
_SAMPLES: Any = CallSampleRow.__table__

# Parameter names that are no column's, so they never clash with the values being set.
_ID, _VERSION = "where_id", "where_version"


def _by_id_and_version(table: Any) -> Any:
    return update(table).where(table.c.id == bindparam(_ID), table.c.version == bindparam(_VERSION))


_UPDATE_INTEGRATION = update(_INTEGRATIONS).where(_INTEGRATIONS.c.id == bindparam(_ID))
_SWAP = {table: _by_id_and_version(table) for table in (_INTEGRATIONS, _WORKFLOWS)}
_INSERT_SAMPLE = insert(_SAMPLES)
_BREAKER = select(_INTEGRATIONS.c.breaker_state, _INTEGRATIONS.c.breaker_since, _INTEGRATIONS.c.breaker_failures).where(
    _INTEGRATIONS.c.id == bindparam(_ID)
)
# What a status write leaves to read back: columns the version does not count, and the workflows using it.
_AFTER_WRITE = (
    select(
        _INTEGRATIONS.c.pending,
        _INTEGRATIONS.c.settings,
        _INTEGRATIONS.c.status,
        _INTEGRATIONS.c.status_detail,
        _INTEGRATIONS.c.last_checked_at,
        _INTEGRATIONS.c.check_summary,
        _INTEGRATIONS.c.connector_state,
        _INTEGRATIONS.c.version,
        _WORKFLOWS.c.id,
        _WORKFLOWS.c.name,
        _LINKS.c.role,
        _LINKS.c.access,
        _WORKFLOWS.c.schedule,
        _WORKFLOWS.c.enabled,
    )
    .select_from(_INTEGRATIONS)
    .outerjoin(_LINKS, _LINKS.c.integration_id == _INTEGRATIONS.c.id)
    .outerjoin(_WORKFLOWS, _WORKFLOWS.c.id == _LINKS.c.workflow_id)
    .where(_INTEGRATIONS.c.id == bindparam(_ID))
    .order_by(_LINKS.c.id)
)


def swap(session: Session, table: Any, row_id: int, version: int, values: dict[str, Any]) -> bool:
    """UPDATE one row of ``table`` (a mapped class) only while it is still at ``version``; whether it was."""
    result = session.connection().execute(_SWAP[table.__table__], {**values, _ID: row_id, _VERSION: version})
    return rowcount(result) == 1


def update_integration(session: Session, integration_id: int, values: dict[str, Any]) -> None:
    """UPDATE columns of one integration that its version does not count (health, breaker)."""
    session.connection().execute(_UPDATE_INTEGRATION, {**values, _ID: integration_id})


def insert_sample(session: Session, values: dict[str, Any]) -> None:
    session.connection().execute(_INSERT_SAMPLE, values)


def breaker_row(session: Session, integration_id: int) -> Any:
    """(breaker_state, breaker_since, breaker_failures), or None when the row is gone."""
    return session.connection().execute(_BREAKER, {_ID: integration_id}).first()


def after_write_rows(session: Session, integration_id: int) -> list[Any]:
    """The integration's columns a status write leaves to read back, once per workflow using it."""
    return list(session.connection().execute(_AFTER_WRITE, {_ID: integration_id}).all())


def rowcount(result: object) -> int:
    """Rows an UPDATE matched (a CursorResult's count; typed loosely by SQLAlchemy's stubs)."""
    return int(getattr(result, "rowcount", 0) or 0)
