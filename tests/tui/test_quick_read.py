"""The start-up first look reads the same list as storage, with the standard library only."""

from __future__ import annotations

import sqlite3

from storage.quick_read import quick_integrations
from storage.records import Access, LinkSpec, Role, Status
from tests.tui.conftest import minutes_ago


def test_quick_look_matches_the_full_read(context, tui_data):
    repo = context.storage.integrations
    mail = repo.add(
        "imap",
        "Work mail",
        {"username": "ann@example.com", "host": "imap.example.com", "port": 993},
        {"password": "pw"},
    )
    repo.add("ical", "Team", {}, {"url": "https://cal.example.com/a.ics"})
    repo.set_status(mail.id, Status.ERROR, "Sign-in failed.", checked_at=minutes_ago(5), summary="x")
    context.storage.workflows.add("Digest", schedule="daily", links=[LinkSpec(mail.id, Role.SOURCE, Access.READ)])
    full = repo.list()
    quick = quick_integrations(tui_data)
    assert quick is not None
    fields = (
        "id",
        "label",
        "type_key",
        "settings",
        "secret_names",
        "status",
        "status_detail",
        "last_checked_at",
        "used_by",
    )
    assert [[getattr(i, f) for f in fields] for i in quick] == [[getattr(i, f) for f in fields] for i in full]


def test_quick_look_gives_way_when_unsure(tmp_path, context, tui_data):
    assert quick_integrations(tmp_path / "nothing-here") is None
    connection = sqlite3.connect(tui_data / "tether.db")
    connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.commit()
    connection.close()
    assert quick_integrations(tui_data) is None
