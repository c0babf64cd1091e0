"""Plain data handed out by storage: no ORM objects cross into screens or threads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    NOT_CHECKED = "not_checked"
    CHECKING = "checking"
    CONNECTED = "connected"
    ERROR = "error"
    NEEDS_REAUTH = "needs_reauth"
    DISABLED = "disabled"


class Role(StrEnum):
    SOURCE = "source"
    SINK = "sink"


class Access(StrEnum):
    READ = "read"
    WRITE = "write"


@dataclass(frozen=True)
class WorkflowUse:
    """One workflow's use of an integration, seen from the integration."""

    workflow_id: int
    workflow_name: str
    role: Role
    access: Access
    schedule: str
    enabled: bool


@dataclass(frozen=True)
class Integration:
    id: int
    label: str
    type_key: str
    settings: dict[str, Any]
    secret_store: str | None
    secret_names: tuple[str, ...]
    status: Status
    status_detail: str
    last_checked_at: datetime | None
    created_at: datetime
    updated_at: datetime
    check_summary: str = ""
    connector_state: dict[str, Any] = field(default_factory=dict)
    used_by: tuple[WorkflowUse, ...] = ()
    secret_ref: str = ""
    version: int = 0  # of the stored row when this was read; 0 when unknown

    def has_secret(self, name: str) -> bool:
        return name in self.secret_names


@dataclass(frozen=True)
class WorkflowLink:
    """One integration used by a workflow. ``integration_id`` is None once it was deleted."""

    id: int
    integration_id: int | None
    integration_label: str
    role: Role
    access: Access
    integration_status: Status | None = None

    @property
    def missing(self) -> bool:
        return self.integration_id is None


@dataclass(frozen=True)
class Workflow:
    id: int
    name: str
    description: str
    schedule: str
    enabled: bool
    links: tuple[WorkflowLink, ...] = ()
    version: int = 0

    @property
    def missing_labels(self) -> list[str]:
        return [link.integration_label for link in self.links if link.missing]


@dataclass(frozen=True)
class LinkSpec:
    """A link to create: which integration, in which role, with which access."""

    integration_id: int
    role: Role
    access: Access = Access.READ
