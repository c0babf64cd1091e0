"""Workflows: the assistant's jobs, and which integrations each uses as source or sink."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload, sessionmaker

from storage import statements
from storage.convert import now, to_workflow
from storage.errors import ChangedElsewhere, DuplicateName, NotFound
from storage.merge import MergeConflict, merge_value
from storage.models import IntegrationRow, WorkflowIntegrationRow, WorkflowRow
from storage.names import name_key, normalise_name
from storage.records import Access, LinkSpec, Role, Workflow

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class WorkflowRepository:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def _query(self):
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
            row = session.scalars(self._query().where(WorkflowRow.name_key == name_key(name))).first()
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
                name_key=name_key(name),
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
        opened: Workflow | None = None,
    ) -> Workflow:
        """Change fields given; with ``opened`` (what the change was made from), fields changed
        elsewhere since merge, and one changed both here and elsewhere raises ChangedElsewhere."""
        base = opened if opened is not None else self.get(workflow_id)
        mine = {
            "name": base.name if name is None or _same_name(name, base.name) else _check_name(name),
            "description": base.description if description is None else description.strip(),
            "schedule": base.schedule if schedule is None else schedule.strip(),
            "enabled": base.enabled if enabled is None else enabled,
        }
        for _ in range(WRITE_ATTEMPTS):
            current = self.get(workflow_id)
            try:
                values = {
                    field: merge_value(field, getattr(base, field), want, getattr(current, field))
                    for field, want in mine.items()
                }
            except MergeConflict as conflict:
                raise _changed_elsewhere(base.name, conflict.field) from None
            values.update(name_key=name_key(values["name"]), version=current.version + 1, updated_at=now())
            if self._swap(workflow_id, current.version, values):
                return self.get(workflow_id)
        raise _changed_elsewhere(base.name)

    def _swap(self, workflow_id: int, version: int, values: dict[str, object]) -> bool:
        """Write if the row is still at ``version`` (the write opens the transaction, so it waits its turn)."""
        try:
            with self._sessions.begin() as session:
                return statements.swap(session, WorkflowRow, workflow_id, version, values)
        except IntegrityError:
            raise DuplicateName(f"A workflow named {values['name']!r} already exists; choose another name.") from None

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
            row.version = (row.version or 0) + 1
            session.commit()
        return self.get(workflow_id)

    def detach(self, workflow_id: int, link_id: int) -> Workflow:
        with self._sessions.begin() as session:
            link = session.get(WorkflowIntegrationRow, link_id)
            if link is None or link.workflow_id != workflow_id:
                raise NotFound("That integration is not attached to this workflow.")
            session.delete(link)
            session.execute(
                update(WorkflowRow).where(WorkflowRow.id == workflow_id).values(version=WorkflowRow.version + 1)
            )
        return self.get(workflow_id)

    def remove(self, workflow_id: int) -> Workflow:
        current = self.get(workflow_id)
        with self._sessions.begin() as session:
            row = session.get(WorkflowRow, workflow_id)
            if row is not None:
                session.delete(row)
        return current


WRITE_ATTEMPTS = 20


def _check_name(name: str) -> str:
    return normalise_name(name, what="workflow name")


def _same_name(typed: str, stored: str) -> bool:
    return unicodedata.normalize("NFC", typed).strip() == stored


def _changed_elsewhere(name: str, field: str | None = None) -> ChangedElsewhere:
    what = f" (its {field})" if field else ""
    return ChangedElsewhere(
        f"Workflow {name!r} was changed elsewhere since you opened it{what} — reload it and make your change again."
    )


def _link_row(session, spec: LinkSpec) -> WorkflowIntegrationRow:
    integration = session.get(IntegrationRow, spec.integration_id)
    if integration is None or integration.pending:
        raise NotFound(f"No integration with id {spec.integration_id}.")
    role, access = Role(spec.role), Access(spec.access)
    return WorkflowIntegrationRow(
        integration_id=integration.id, integration_label=integration.label, role=role, access=access
    )


def _commit(session, name: str) -> None:
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise DuplicateName(f"A workflow named {name!r} already exists; choose another name.") from None
