"""Names in NFC with NFC case-folded keys, and a version on every integration and workflow.

Before this revision "Café" typed in NFC and in NFD were two names that look the same. Stored
names become NFC and their keys are recomputed; when two old names now share a key, the later
one is renamed "Name (2)" (nothing is dropped). The version column counts configuration changes,
so a write made from an old reading can be detected instead of silently undoing another one.

Revision ID: 0004
Revises: 0003
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _key(name: str) -> str:
    # Frozen copy of storage.names.name_key as of this revision.
    return _nfc(_nfc(name).strip().casefold())


def _rekey(bind: sa.engine.Connection, table: str, name_column: str, key_column: str) -> dict[int, str]:
    """Normalise every name of ``table``; returns the new name of each row id."""
    rows = bind.execute(sa.text(f"SELECT id, {name_column} FROM {table} ORDER BY id")).all()
    # Park every key on a value no name can have, so reassigning never collides halfway.
    bind.execute(sa.text(f"UPDATE {table} SET {key_column} = char(0) || id"))
    taken: set[str] = set()
    names: dict[int, str] = {}
    for row_id, old in rows:
        base = _nfc(old).strip() or f"Unnamed {row_id}"
        name, number = base, 1
        while _key(name) in taken:
            number += 1
            name = f"{base} ({number})"
        taken.add(_key(name))
        names[row_id] = name
        bind.execute(
            sa.text(f"UPDATE {table} SET {name_column} = :name, {key_column} = :key WHERE id = :id"),
            {"name": name, "key": _key(name), "id": row_id},
        )
    return names


def upgrade() -> None:
    bind = op.get_bind()
    labels = _rekey(bind, "integrations", "label", "label_key")
    _rekey(bind, "workflows", "name", "name_key")
    for row_id, label in labels.items():
        bind.execute(
            sa.text("UPDATE workflow_integrations SET integration_label = :label WHERE integration_id = :id"),
            {"label": label, "id": row_id},
        )
    for table in ("integrations", "workflows"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    for table in ("workflows", "integrations"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
