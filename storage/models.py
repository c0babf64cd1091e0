"""SQLAlchemy 2 typed models. Only the storage package touches these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class IntegrationRow(Base):
    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    label: Mapped[str] = mapped_column(String(200))
    # Case-folded label: the unique index makes "Work" and "work" the same name.
    label_key: Mapped[str] = mapped_column(String(200), unique=True)
    type_key: Mapped[str] = mapped_column(String(40))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Which store holds this integration's secrets and under which names; never the values.
    secret_ref: Mapped[str] = mapped_column(String(64), unique=True)
    secret_store: Mapped[str | None] = mapped_column(String(20), nullable=True)
    secret_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="not_checked")
    status_detail: Mapped[str] = mapped_column(Text, default="")
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # A row is pending while its secrets are being written or removed; it is never shown.
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Added in revision 0002.
    check_summary: Mapped[str] = mapped_column(Text, default="")
    connector_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Added in revision 0003: the circuit breaker and the last outcome of any call.
    breaker_state: Mapped[str] = mapped_column(String(10), default="closed")
    breaker_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    breaker_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Added in revision 0004: counts changes of label, settings and secrets (not of status), so a
    # write based on an older reading is merged or refused instead of undoing another one.
    version: Mapped[int] = mapped_column(Integer, default=1)

    links: Mapped[list[WorkflowIntegrationRow]] = relationship(back_populates="integration")


class WorkflowRow(Base):
    __tablename__ = "workflows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    schedule: Mapped[str] = mapped_column(String(200), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)  # revision 0004

    links: Mapped[list[WorkflowIntegrationRow]] = relationship(
        back_populates="workflow", cascade="all, delete-orphan", order_by="WorkflowIntegrationRow.id"
    )


class WorkflowIntegrationRow(Base):
    __tablename__ = "workflow_integrations"
    __table_args__ = (UniqueConstraint("workflow_id", "integration_id", "role", name="uq_workflow_link"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"))
    # NULL once the integration was deleted; the label it had is kept to say what was lost.
    integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL"), nullable=True
    )
    integration_label: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))  # source | sink
    access: Mapped[str] = mapped_column(String(10))  # read | write

    workflow: Mapped[WorkflowRow] = relationship(back_populates="links")
    integration: Mapped[IntegrationRow | None] = relationship(back_populates="links")


class CallSampleRow(Base):
    """One check or connector call: kept for a recent window to compute error rate and latency."""

    __tablename__ = "call_samples"
    __table_args__ = (Index("ix_call_samples_integration_at", "integration_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)
    latency_ms: Mapped[float] = mapped_column(Float)
    error_kind: Mapped[str] = mapped_column(String(20), default="")
    source: Mapped[str] = mapped_column(String(10), default="check")  # check | call
