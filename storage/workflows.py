"""Workflows: the assistant's jobs, and which integrations each uses as source or sink."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload, sessionmaker

from storage.convert import now, to_workflow
from storage.errors import DuplicateName, NotFound, StorageError
from storage.models import IntegrationRow, WorkflowIntegrationRow, WorkflowRow
from storage.records import Access, LinkSpec, Role, Workflow

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class WorkflowRepository:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def _query(self):  # type: ignore[no-untyped-def]
        return select(WorkflowRow).options(
            selectinload(WorkflowRow.links).selectinload(WorkflowIntegrationRow.integration)
        )

    def list(self) -> list[Workflow]:
        with self._sessions() as session:
            rows = session.scalars(self._query().order_by(WorkflowRow.name_key)).all()
            return [to_workflow(row) for row in rows]

    def get(self, workflow_id: int) -> Workflow:
        with self._sessions() as session:
            row = session.scalars(self._query().where(WorkflowRow.id == workflow_id)).first()
            if row is None:
                raise NotFound(f"No workflow with id {workflow_id}.")
            return to_workflow(row)

    def find(self, name: str) -> Workflow:
        with self._sessions() as session:
            row = session.scalars(self._query().where(WorkflowRow.name_key == name.strip().casefold())).first()
            if row is None:
                raise NotFound(f"No workflow named {name!r}. `tether workflow list` shows their names.")
            return to_workflow(row)

    def add(
        self,
        name: str,
        *,
        description: str = "",
        schedule: str = "",
        enabled: bool = True,
        links: Iterable[LinkSpec] = (),
    ) -> Workflow:
        name = _check_name(name)
        stamp = now()
        with self._sessions() as session:
            row = WorkflowRow(
                name=name,
                name_key=name.casefold(),
                description=description.strip(),
                schedule=schedule.strip(),
                enabled=enabled,
                created_at=stamp,
                updated_at=stamp,
            )
            session.add(row)
            for spec in links:
                row.links.append(_link_row(session, spec))
            _commit(session, name)
            return self.get(row.id)

    def update(
        self,
        workflow_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        schedule: str | None = None,
        enabled: bool | None = None,
    ) -> Workflow:
        with self._sessions() as session:
            row = session.get(WorkflowRow, workflow_id)
            if row is None:
                raise NotFound(f"No workflow with id {workflow_id}.")
            if name is not None:
                row.name = _check_name(name)
                row.name_key = row.name.casefold()
            if description is not None:
                row.description = description.strip()
            if schedule is not None:
                row.schedule = schedule.strip()
            if enabled is not None:
                row.enabled = enabled
            row.updated_at = now()
            _commit(session, row.name)
        return self.get(workflow_id)

    def attach(self, workflow_id: int, spec: LinkSpec) -> Workflow:
        with self._sessions() as session:
            row = session.get(WorkflowRow, workflow_id)
            if row is None:
                raise NotFound(f"No workflow with id {workflow_id}.")
            for link in row.links:
                if link.integration_id == spec.integration_id and link.role == spec.role:
                    link.access = spec.access  # attaching again changes the access
                    break
            else:
                row.links.append(_link_row(session, spec))
            row.updated_at = now()
            session.commit()
        return self.get(workflow_id)

    def detach(self, workflow_id: int, link_id: int) -> Workflow:
        with self._sessions.begin() as session:
            link = session.get(WorkflowIntegrationRow, link_id)
            if link is None or link.workflow_id != workflow_id:
                raise NotFound("That integration is not attached to this workflow.")
            session.delete(link)
        return self.get(workflow_id)

    def remove(self, workflow_id: int) -> Workflow:
        current = self.get(workflow_id)
        with self._sessions.begin() as session:
            row = session.get(WorkflowRow, workflow_id)
            if row is not None:
                session.delete(row)
        return current


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise StorageError("Give the workflow a name.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise StorageError("The workflow name contains control characters.")
    return name


def _link_row(session, spec: LinkSpec) -> WorkflowIntegrationRow:  # type: ignore[no-untyped-def]
    integration = session.get(IntegrationRow, spec.integration_id)
    if integration is None or integration.pending:
        raise NotFound(f"No integration with id {spec.integration_id}.")
    role, access = Role(spec.role), Access(spec.access)
    return WorkflowIntegrationRow(
        integration_id=integration.id, integration_label=integration.label, role=role, access=access
    )


def _commit(session, name: str) -> None:  # type: ignore[no-untyped-def]
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise DuplicateName(f"A workflow named {name!r} already exists; choose another name.") from None
