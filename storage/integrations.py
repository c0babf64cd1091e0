"""Integrations and their secrets, written in an order that never loses or orphans anything.

Adding: the row is committed as *pending* (never shown), then the secrets are written, then the
row is made visible. Removing: the row is marked pending, the secrets are deleted, then the row.
A crash at any point leaves a pending row that names its secrets; ``finish_pending`` (run at
start-up) removes those secrets and the row, so nothing half-made is visible and no secret is
left that could never be cleaned up.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from storage.convert import now, to_integration
from storage.errors import DuplicateName, NotFound
from storage.models import IntegrationRow, WorkflowIntegrationRow
from storage.records import Integration, Status
from storage.secrets.base import SecretStore, SecretStoreError, SecretStoreUnavailable

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def secret_key(secret_ref: str, name: str) -> str:
    return f"integration/{secret_ref}/{name}"


class IntegrationRepository:
    def __init__(self, engine: Engine, secrets: SecretStore, *, writers_lock: Path | None = None) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.secrets = secrets
        # Shared while a row is pending on purpose; finish_pending needs it exclusively, so another
        # tether process never cleans up a row this one is still writing.
        self._writers_lock = writers_lock

    # --- reading ------------------------------------------------------------------------

    def _query(self):  # type: ignore[no-untyped-def]
        return (
            select(IntegrationRow)
            .where(IntegrationRow.pending.is_(False))
            .options(selectinload(IntegrationRow.links).selectinload(WorkflowIntegrationRow.workflow))
        )

    def list(self) -> list[Integration]:
        with self._sessions() as session:
            rows = session.scalars(self._query().order_by(IntegrationRow.label_key)).all()
            return [to_integration(row) for row in rows]

    def get(self, integration_id: int) -> Integration:
        with self._sessions() as session:
            row = session.scalars(self._query().where(IntegrationRow.id == integration_id)).first()
            if row is None:
                raise NotFound(f"No integration with id {integration_id}.")
            return to_integration(row)

    def find(self, label: str) -> Integration:
        with self._sessions() as session:
            row = session.scalars(self._query().where(IntegrationRow.label_key == label.strip().casefold())).first()
            if row is None:
                raise NotFound(f"No integration named {label!r}. `tether list` shows their names.")
            return to_integration(row)

    def labels(self) -> set[str]:
        with self._sessions() as session:
            return set(session.scalars(select(IntegrationRow.label).where(IntegrationRow.pending.is_(False))))

    def read_secrets(self, integration: Integration) -> dict[str, str]:
        """Every stored secret of an integration. Raises SecretStoreError when the store is locked or gone."""
        if integration.secret_names and integration.secret_store not in (None, self.secrets.kind):
            raise SecretStoreUnavailable(
                f"The secrets of {integration.label!r} are in the {integration.secret_store}, "
                f"which is not in use now ({self.secrets.kind} is). Re-enter them with edit."
            )
        values: dict[str, str] = {}
        for name in integration.secret_names:
            value = self.secrets.get(secret_key(integration.secret_ref, name))
            if value is not None:
                values[name] = value
        return values

    # --- writing ------------------------------------------------------------------------

    def add(
        self, type_key: str, label: str, settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> Integration:
        label = label.strip()
        ref = uuid.uuid4().hex
        stamp = now()
        row = IntegrationRow(
            label=label,
            label_key=label.casefold(),
            type_key=type_key,
            settings=dict(settings),
            secret_ref=ref,
            secret_store=self.secrets.kind if secrets else None,
            secret_names=sorted(secrets),
            status=Status.NOT_CHECKED,
            status_detail="",
            pending=True,
            created_at=stamp,
            updated_at=stamp,
            check_summary="",
            connector_state={},
        )
        with self._writing():
            with self._sessions() as session:
                session.add(row)
                self._commit(session, label)
                row_id = row.id
            try:
                for name, value in secrets.items():
                    self.secrets.set(secret_key(ref, name), value)
            except BaseException:
                self._discard(row_id, ref, sorted(secrets))
                raise
            with self._sessions.begin() as session:
                session.get_one(IntegrationRow, row_id).pending = False
        return self.get(row_id)

    def update(
        self,
        integration_id: int,
        *,
        label: str | None = None,
        settings: Mapping[str, Any] | None = None,
        secrets: Mapping[str, str] | None = None,
        forget_secrets: tuple[str, ...] = (),
        reset_status: bool = False,
    ) -> Integration:
        """Rename, change settings, replace secrets. Secrets not named are kept as stored."""
        current = self.get(integration_id)
        secrets = dict(secrets or {})
        if secrets and current.secret_names and current.secret_store not in (None, self.secrets.kind):
            raise SecretStoreUnavailable(
                f"The secrets of {current.label!r} are in the {current.secret_store}, which is not in use now."
            )
        # Secrets first: a crash after this keeps the old row pointing at the new secret, never at nothing.
        for name, value in secrets.items():
            self.secrets.set(secret_key(current.secret_ref, name), value)
        with self._sessions() as session:
            row = session.get_one(IntegrationRow, integration_id)
            if label is not None and label.strip() != row.label:
                row.label = label.strip()
                row.label_key = row.label.casefold()
                for link in row.links:
                    link.integration_label = row.label
            if settings is not None:
                row.settings = dict(settings)
            names = (set(row.secret_names or ()) | set(secrets)) - set(forget_secrets)
            row.secret_names = sorted(names)
            if names:
                row.secret_store = self.secrets.kind
            if reset_status or settings is not None or secrets:
                # What was checked is no longer what is configured.
                if row.status != Status.DISABLED:
                    row.status = Status.NOT_CHECKED
                    row.status_detail = ""
                    row.check_summary = ""
            row.updated_at = now()
            self._commit(session, row.label)
        for name in forget_secrets:
            self.secrets.delete(secret_key(current.secret_ref, name))
        return self.get(integration_id)

    def rotate_secret(self, integration_id: int, name: str, value: str) -> None:
        """Store a credential the service itself replaced (a rotated OAuth refresh token).

        Unlike ``update``, the status stays as it is: the configuration did not change,
        and the old value is already void, so this must not wait for anything else.
        """
        current = self.get(integration_id)
        if name not in current.secret_names:
            raise NotFound(f"{current.label!r} has no stored secret {name!r} to replace.")
        self.secrets.set(secret_key(current.secret_ref, name), value)

    def set_status(
        self,
        integration_id: int,
        status: Status,
        detail: str = "",
        *,
        checked_at: datetime | None = None,
        summary: str | None = None,
        state: Mapping[str, Any] | None = None,
        learned_settings: Mapping[str, Any] | None = None,
    ) -> Integration:
        with self._sessions.begin() as session:
            row = session.get(IntegrationRow, integration_id)
            if row is None or row.pending:
                raise NotFound(f"No integration with id {integration_id}.")
            row.status = status
            row.status_detail = detail
            if checked_at is not None:
                row.last_checked_at = checked_at
            if summary is not None:
                row.check_summary = summary
            if state is not None:
                row.connector_state = dict(state)
            if learned_settings:
                row.settings = {**(row.settings or {}), **learned_settings}
        return self.get(integration_id)

    def remove(self, integration_id: int) -> Integration:
        """Delete an integration and its secrets. Workflows keep a link naming the lost label."""
        current = self.get(integration_id)
        with self._writing():
            with self._sessions.begin() as session:
                session.get_one(IntegrationRow, integration_id).pending = True
            self._discard(integration_id, current.secret_ref, list(current.secret_names))
        return current

    def finish_pending(self) -> int:
        """Clean up rows left pending by a crash. Returns how many were finished.

        Skipped (0) while another process is in the middle of adding or removing: its pending
        row is work in progress, not a leftover.
        """
        with self._cleaning() as allowed:
            return self._finish_pending() if allowed else 0

    def reset_interrupted_checks(self) -> int:
        """Rows left "checking" by a crash go back to "not checked"; returns how many."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(IntegrationRow)
                .where(IntegrationRow.status == Status.CHECKING)
                .values(status=Status.NOT_CHECKED, status_detail="The last check was interrupted.")
            )
            return result.rowcount or 0

    def _finish_pending(self) -> int:
        with self._sessions() as session:
            pending = session.scalars(select(IntegrationRow).where(IntegrationRow.pending.is_(True))).all()
            jobs = [(row.id, row.secret_ref, list(row.secret_names or ())) for row in pending]
        finished = 0
        for row_id, ref, names in jobs:
            try:
                self._discard(row_id, ref, names)
                finished += 1
            except SecretStoreError:
                pass  # store locked now; the row stays pending and hidden until the next start
        return finished

    # --- internals ----------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[None]:
        with self._flock(fcntl.LOCK_SH) as _:
            yield

    @contextmanager
    def _cleaning(self) -> Iterator[bool]:
        with self._flock(fcntl.LOCK_EX | fcntl.LOCK_NB) as allowed:
            yield allowed

    @contextmanager
    def _flock(self, mode: int) -> Iterator[bool]:
        if self._writers_lock is None:
            yield True
            return
        fd = os.open(self._writers_lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, mode)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # closing releases the lock

    def _discard(self, row_id: int, ref: str, names: list[str]) -> None:
        for name in names:
            self.secrets.delete(secret_key(ref, name))
        with self._sessions.begin() as session:
            row = session.get(IntegrationRow, row_id)
            if row is not None:
                for link in row.links:
                    link.integration_label = row.label
                session.delete(row)

    @staticmethod
    def _commit(session: Session, label: str) -> None:
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise DuplicateName(f"An integration named {label!r} already exists; choose another name.") from None


