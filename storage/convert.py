"""ORM rows to plain records."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from storage.models import IntegrationRow, WorkflowIntegrationRow, WorkflowRow
from storage.records import Access, Integration, Role, Status, Workflow, WorkflowLink, WorkflowUse


def utc(value: datetime | None) -> datetime | None:
    """SQLite drops the zone; every stored time is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def to_uses(links: Iterable[tuple[int, str, str, str, str, bool]]) -> tuple[WorkflowUse, ...]:
    """(workflow id, workflow name, role, access, schedule, enabled) per link, by workflow name."""
    uses = (
        WorkflowUse(
            workflow_id=workflow_id,
            workflow_name=name,
            role=Role(role),
            access=Access(access),
            schedule=schedule,
            enabled=enabled,
        )
        for workflow_id, name, role, access, schedule, enabled in links
    )
    return tuple(sorted(uses, key=lambda use: use.workflow_name.casefold()))


def to_integration(row: IntegrationRow) -> Integration:
    uses = to_uses(
        (link.workflow.id, link.workflow.name, link.role, link.access, link.workflow.schedule, link.workflow.enabled)
        for link in row.links
    )
    return Integration(
        id=row.id,
        label=row.label,
        type_key=row.type_key,
        settings=dict(row.settings or {}),
        secret_store=row.secret_store,
        secret_names=tuple(row.secret_names or ()),
        status=Status(row.status),
        status_detail=row.status_detail or "",
        last_checked_at=utc(row.last_checked_at),
        created_at=utc(row.created_at),  # type: ignore[arg-type]
        updated_at=utc(row.updated_at),  # type: ignore[arg-type]
        check_summary=row.check_summary or "",
        connector_state=dict(row.connector_state or {}),
        used_by=uses,
        secret_ref=row.secret_ref,
        version=row.version or 0,
    )


def to_link(link: WorkflowIntegrationRow) -> WorkflowLink:
    return WorkflowLink(
        id=link.id,
        integration_id=link.integration_id,
        integration_label=link.integration.label if link.integration else link.integration_label,
        role=Role(link.role),
        access=Access(link.access),
        integration_status=Status(link.integration.status) if link.integration else None,
    )


def to_workflow(row: WorkflowRow) -> Workflow:
    return Workflow(
        id=row.id,
        name=row.name,
        description=row.description or "",
        schedule=row.schedule or "",
        enabled=bool(row.enabled),
        links=tuple(to_link(link) for link in row.links),
        version=row.version or 0,
    )


def now() -> datetime:
    return datetime.now(UTC)
