"""Integrations and their secrets, written in an order that never loses or orphans anything.

Adding: the row is committed as *pending* (never shown), then the secrets are written, then the
row is made visible. Removing: the row is marked pending, the secrets are deleted, then the row.
A crash at any point leaves a pending row that names its secrets; ``finish_pending`` (run at
start-up) removes those secrets and the row, so nothing half-made is visible and no secret is
left that could never be cleaned up.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import unicodedata
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from storage import statements
from storage.check_marks import CheckMarks
from storage.convert import now, to_integration, to_uses, utc
from storage.errors import ChangedElsewhere, DuplicateName, NotFound, StorageError, Superseded
from storage.merge import MergeConflict, merge_mapping, merge_value
from storage.models import IntegrationRow, WorkflowIntegrationRow
from storage.names import name_key, normalise_name
from storage.records import Integration, Status
from storage.secrets.base import SecretStore, SecretStoreError, SecretStoreUnavailable

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


# Compare-and-swap rounds before a write gives up; each lost round means another write landed.
WRITE_ATTEMPTS = 20
CHECKING_LOCK_NAME = "checking.lock"


def secret_key(secret_ref: str, name: str) -> str:
    return f"integration/{secret_ref}/{name}"


def changed_elsewhere(label: str, field: str | None = None) -> ChangedElsewhere:
    what = f" (its {field})" if field else ""
    return ChangedElsewhere(
        f"{label!r} was changed elsewhere since you opened it{what} — reload it and make your change again."
    )


def superseded(label: str) -> Superseded:
    return Superseded(f"{label!r} was changed while it was being checked; that check's result was discarded.")


class IntegrationRepository:
    def __init__(self, engine: Engine, secrets: SecretStore, *, writers_lock: Path | None = None) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.secrets = secrets
        # Shared while a row is pending on purpose; finish_pending needs it exclusively, so another
        # tether process never cleans up a row this one is still writing.
        self._writers_lock = writers_lock
        # Checks running in other tether processes (a lock per integration, beside the writers' lock).
        self.check_marks = CheckMarks(writers_lock.with_name(CHECKING_LOCK_NAME) if writers_lock else None)

    # --- reading ------------------------------------------------------------------------

    def _query(self):
        return (
            select(IntegrationRow)
            .where(IntegrationRow.pending.is_(False))
            .options(selectinload(IntegrationRow.links).selectinload(WorkflowIntegrationRow.workflow))
        )

    def list(self) -> list[Integration]:
        with self._sessions() as session:
            rows = session.scalars(self._query().order_by(IntegrationRow.label_key)).all()
            return [to_integration(row) for row in rows]

    def get(self, integration_id: int, *, session: Session | None = None) -> Integration:
        """The integration as stored; in ``session``'s transaction when one is given (its own writes too)."""
        if session is None:
            with self._sessions() as own:
                return self.get(integration_id, session=own)
        row = session.scalars(self._query().where(IntegrationRow.id == integration_id)).first()
        if row is None:
            raise NotFound(f"No integration with id {integration_id}.")
        return to_integration(row)

    def get_many(self, integration_ids: Collection[int]) -> dict[int, Integration]:
        """Several integrations in one read, by id; ids not found (or being removed) are left out."""
        with self._sessions() as session:
            rows = session.scalars(self._query().where(IntegrationRow.id.in_(list(integration_ids)))).all()
            return {row.id: to_integration(row) for row in rows}

    def find(self, label: str) -> Integration:
        with self._sessions() as session:
            row = session.scalars(self._query().where(IntegrationRow.label_key == name_key(label))).first()
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

    def add(self, type_key: str, label: str, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> Integration:
        label = normalise_name(label, what="label")
        ref = uuid.uuid4().hex
        stamp = now()
        row = IntegrationRow(
            label=label,
            label_key=name_key(label),
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
        opened: Integration | None = None,
    ) -> Integration:
        """Rename, change settings, replace secrets. Secrets not named are kept as stored.

        ``opened`` is the record the change was made from (a form opened minutes ago, the reading
        of `tether edit`). Only what differs from it is written, onto what is stored now: changes
        to different fields merge; a field changed here and elsewhere raises ChangedElsewhere.
        """
        base = opened if opened is not None else self.get(integration_id)
        if label is not None:
            label = base.label if _same_name(label, base.label) else normalise_name(label, what="label")
        secrets = dict(secrets or {})
        if secrets and base.secret_names and base.secret_store not in (None, self.secrets.kind):
            raise SecretStoreUnavailable(
                f"The secrets of {base.label!r} are in the {base.secret_store}, which is not in use now."
            )
        # A conflict known now is refused before any secret is replaced.
        _merged(base, label, settings, self.get(integration_id))
        # Secrets first: a crash after this keeps the old row pointing at the new secret, never at nothing.
        for name, value in secrets.items():
            self.secrets.set(secret_key(base.secret_ref, name), value)
        for _ in range(WRITE_ATTEMPTS):
            current = self.get(integration_id)
            new_label, new_settings = _merged(base, label, settings, current)
            names = (set(current.secret_names) | set(secrets)) - set(forget_secrets)
            values: dict[str, Any] = {
                "label": new_label,
                "label_key": name_key(new_label),
                "settings": new_settings,
                "secret_names": sorted(names),
                "secret_store": self.secrets.kind if names else current.secret_store,
                "version": current.version + 1,
                "updated_at": now(),
            }
            changed = reset_status or new_settings != current.settings or bool(secrets)
            # What was checked is no longer what is configured; a check running now will be discarded.
            if (changed and current.status != Status.DISABLED) or current.status == Status.CHECKING:
                values.update(status=Status.NOT_CHECKED, status_detail="", check_summary="")
            if self._swap(integration_id, current.version, values, relabel=new_label != current.label):
                break
        else:
            raise changed_elsewhere(base.label)
        for name in forget_secrets:
            self.secrets.delete(secret_key(base.secret_ref, name))
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
        expected_version: int | None = None,
        known: Integration | None = None,
        along: Callable[[Session], object] | None = None,
        session: Session | None = None,
    ) -> Integration:
        """Record a status. With ``expected_version`` (the version a check started from), raise
        Superseded instead when label, settings or secrets changed meanwhile: that outcome is
        about settings that are no longer stored. ``known``, the row as read at that version,
        saves reading it again, before the write and after it: the write itself still refuses
        any other version. ``along`` makes more writes in the first write's transaction (a
        check's health sample), once, whether or not the status is still wanted. Given a ``session``,
        the writes join its transaction (check all records many outcomes in one) and commit with it."""
        for attempt in range(WRITE_ATTEMPTS):
            reuse = (
                attempt == 0 and known is not None and known.id == integration_id and known.version == expected_version
            )
            current = known if reuse and known is not None else self.get(integration_id)
            if expected_version is not None and current.version != expected_version:
                raise superseded(current.label)
            values: dict[str, Any] = {"status": status, "status_detail": detail}
            if checked_at is not None:
                values["last_checked_at"] = checked_at
            if summary is not None:
                values["check_summary"] = summary
            if state is not None:
                values["connector_state"] = dict(state)
            if learned_settings and (merged := {**current.settings, **learned_settings}) != current.settings:
                values.update(settings=merged, version=current.version + 1)
            with self._sessions.begin() if session is None else nullcontext(session) as writing:
                # The versioned write first: the transaction waits its turn instead of failing on a
                # snapshot another process has moved past.
                swapped = statements.swap(writing, IntegrationRow, integration_id, current.version, values)
                if along is not None:
                    along(writing)
                    along = None
                stored = _after_write(writing, current) if swapped and reuse else None
            if swapped:
                if stored is None:
                    # Raises NotFound when it is being removed, as reading it would.
                    return self.get(integration_id, session=session)
                return stored
        raise StorageError(f"Could not record the status of {current.label!r}: it keeps changing. Try again.")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction for several writes (``set_status(session=...)``): committed at the end,
        rolled back as a whole when anything in it raises."""
        with self._sessions.begin() as session:
            yield session

    def mark_statuses(self, versions: Mapping[int, int], status: Status) -> set[int]:
        """``status`` on every integration still at its version in ``versions`` (id -> version), in one
        transaction (check all starting); the ids written. The others changed meanwhile or are gone."""
        written: set[int] = set()
        with self._sessions.begin() as session:
            for integration_id, version in versions.items():
                if statements.swap(session, IntegrationRow, integration_id, version, {"status": status}):
                    written.add(integration_id)
        return written

    def mark_status(self, integration_id: int, status: Status, *, expected_version: int) -> None:
        """Only the status, in one write that reads nothing back (a check starting: it runs for each).

        Raises Superseded when label, settings or secrets changed since ``expected_version``,
        NotFound when the integration is gone.
        """
        if self._swap(integration_id, expected_version, {"status": status}):
            return
        raise superseded(self.get(integration_id).label)

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
        """Rows left "checking" by a crash go back to "not checked"; returns how many. A row another
        tether process is checking right now is left alone: that check is alive, not interrupted."""
        with self._sessions.begin() as session:
            checking = session.scalars(select(IntegrationRow.id).where(IntegrationRow.status == Status.CHECKING)).all()
            stale = [row_id for row_id in checking if not self.check_marks.elsewhere(row_id)]
            if not stale:
                return 0
            result = session.execute(
                update(IntegrationRow)
                .where(IntegrationRow.id.in_(stale), IntegrationRow.status == Status.CHECKING)
                .values(status=Status.NOT_CHECKED, status_detail="The last check was interrupted.")
            )
            return statements.rowcount(result)

    def checking_elsewhere(self, integration: Integration) -> bool:
        return integration.status is Status.CHECKING and self.check_marks.elsewhere(integration.id)

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

    def _discard(self, row_id: int, ref: str, names: Sequence[str]) -> None:
        for name in names:
            self.secrets.delete(secret_key(ref, name))
        with self._sessions.begin() as session:
            row = session.get(IntegrationRow, row_id)
            if row is not None:
                for link in row.links:
                    link.integration_label = row.label
                session.delete(row)

    def _swap(self, integration_id: int, version: int, values: dict[str, Any], *, relabel: bool = False) -> bool:
        """Write ``values`` if the row is still at ``version``; False when another write came first.

        The transaction starts with the write itself, so it waits its turn (busy timeout) instead
        of failing on a snapshot another process has moved past.
        """
        try:
            with self._sessions.begin() as session:
                if not statements.swap(session, IntegrationRow, integration_id, version, values):
                    return False
                if relabel:
                    session.execute(
                        update(WorkflowIntegrationRow)
                        .where(WorkflowIntegrationRow.integration_id == integration_id)
                        .values(integration_label=values["label"])
                        .execution_options(synchronize_session=False)
                    )
        except IntegrityError:
            raise DuplicateName(
                f"An integration named {values['label']!r} already exists; choose another name."
            ) from None
        return True

    @staticmethod
    def _commit(session: Session, label: str) -> None:
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise DuplicateName(f"An integration named {label!r} already exists; choose another name.") from None


def _after_write(session: Session, written: Integration) -> Integration | None:
    """The record as stored after a status write onto ``written``'s version, without reading it all again.

    Label, type and secrets are as in ``written``: the write matched its version, and any change
    to them moves the version on. The rest is read back in the write's transaction, in one
    statement: what the version does not count (status and check columns another tether may
    write, the workflows using it) and the values just written (learned settings too), as the
    database returns them. None when the row is being removed: reading it would not find it.
    """
    rows = statements.after_write_rows(session, written.id)
    if not rows or rows[0].pending:
        return None
    row = rows[0]
    return dataclasses.replace(
        written,
        settings=dict(row.settings or {}),
        status=Status(row.status),
        status_detail=row.status_detail or "",
        last_checked_at=utc(row.last_checked_at),
        check_summary=row.check_summary or "",
        connector_state=dict(row.connector_state or {}),
        used_by=to_uses(link[-6:] for link in rows if link[-6] is not None),  # the workflow columns
        version=row.version or 0,
    )


def _same_name(typed: str, stored: str) -> bool:
    """The stored name typed again (perhaps in another normal form): not a rename to check."""
    return unicodedata.normalize("NFC", typed).strip() == stored


def _merged(
    base: Integration, label: str | None, settings: Mapping[str, Any] | None, current: Integration
) -> tuple[str, dict[str, Any]]:
    """Label and settings: this change (made from ``base``) applied onto ``current``."""
    try:
        new_label = merge_value("label", base.label, base.label if label is None else label, current.label)
        new_settings = merge_mapping(base.settings, base.settings if settings is None else settings, current.settings)
    except MergeConflict as conflict:
        raise changed_elsewhere(base.label, conflict.field) from None
    return new_label, new_settings
