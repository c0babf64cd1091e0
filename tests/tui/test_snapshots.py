"""What each screen looks like, at 80x24 (and the list at 120x40). Review the SVGs before updating them.

Every moving part is pinned: the data dir (under the temporary HOME), the clock, no animation.
"""

from __future__ import annotations

from textual.widgets import Button

from storage.records import Access, LinkSpec, Role, Status
from tests.tui.conftest import minutes_ago, settle
from tests.tui.helpers import open_new, type_into
from tests.tui.plugins import GOOD_PASSWORD

SMALL = (80, 24)
LARGE = (120, 40)

IMAP_SETTINGS = {"username": "ann@example.com", "host": "imap.example.com", "tls_mode": "implicit", "port": 993}


def seed_few(context) -> None:  # type: ignore[no-untyped-def]
    repo = context.storage.integrations
    work = repo.add("imap", "Work mail", IMAP_SETTINGS, {"password": "pw-not-shown"})
    repo.set_status(work.id, Status.CONNECTED, "", checked_at=minutes_ago(3), summary="INBOX 12 messages, 3 unread")
    feed = repo.add("ical", "Team calendar", {}, {"url": "https://cal.example.com/team.ics?token=hidden"})
    repo.set_status(feed.id, Status.ERROR, "Not found: the feed URL answered 404.", checked_at=minutes_ago(125))
    repo.add(
        "gmail", "Personal Gmail", {"client_id": "1234-abc.apps.googleusercontent.com"}, {"client_secret": "cs-hidden"}
    )
    context.storage.workflows.add(
        "Morning briefing",
        schedule="daily 07:00",
        links=[LinkSpec(work.id, Role.SOURCE, Access.READ), LinkSpec(feed.id, Role.SOURCE, Access.READ)],
    )


def seed_many(context) -> None:  # type: ignore[no-untyped-def]
    repo = context.storage.integrations
    statuses = [
        Status.CONNECTED,
        Status.ERROR,
        Status.NEEDS_REAUTH,
        Status.CHECKING,
        Status.NOT_CHECKED,
        Status.DISABLED,
    ]
    kinds = [("imap", "Mail"), ("ical", "Feed"), ("caldav", "Calendar"), ("gmail", "Gmail")]
    first = None
    for number in range(36):
        key, word = kinds[number % len(kinds)]
        item = repo.add(key, f"{word} {number:02d}", IMAP_SETTINGS if key == "imap" else {}, {})
        first = first or item
        status = statuses[number % len(statuses)]
        detail = {
            Status.ERROR: "Sign-in failed: wrong password.",
            Status.NEEDS_REAUTH: "The sign-in was revoked; press ctrl+r to sign in again.",
        }.get(status, "")
        checked = minutes_ago(number * 7) if status not in (Status.NOT_CHECKED, Status.CHECKING) else None
        summary = f"{number} events in the next 30 days" if status is Status.CONNECTED else None
        repo.set_status(item.id, status, detail, checked_at=checked, summary=summary)
    context.storage.workflows.add("Digest", links=[LinkSpec(first.id, Role.SOURCE, Access.READ)])


def test_list_empty(snap_compare, app):
    assert snap_compare(app, terminal_size=SMALL, run_before=settle)


def test_list_with_detail(snap_compare, app, context):
    seed_few(context)
    assert snap_compare(app, terminal_size=SMALL, run_before=settle)


def test_list_many_rows_large(snap_compare, app, context):
    seed_many(context)
    assert snap_compare(app, terminal_size=LARGE, run_before=settle)


def test_list_filtered(snap_compare, app, context):
    seed_many(context)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("slash")
        await type_into(pilot, "#filter", "error")

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_type_picker(snap_compare, app):
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_form_new_with_inline_error(snap_compare, app):
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await type_into(pilot, "#field-username", "ann@example.com")
        await type_into(pilot, "#field-password", "secret-typed")
        await type_into(pilot, "#field-host", "imap.example.com:993")

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_form_edit_shows_stored_secret(snap_compare, app, context):
    seed_few(context)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("down", "down", "e")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_form_after_a_successful_check(snap_compare, app, checkable_imap):
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await type_into(pilot, "#field-username", "ann@example.com")
        await type_into(pilot, "#field-password", GOOD_PASSWORD)
        await type_into(pilot, "#field-host", "imap.example.com")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.pause()
        pilot.app.screen.query_one("#form").scroll_end(animate=False, immediate=True)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_delete_confirmation_with_workflows(snap_compare, app, context):
    seed_few(context)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("down", "d")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_options_picker(snap_compare, app, caldav_with_options):
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await open_new(pilot, "caldav")
        await type_into(pilot, "#field-url", "dav.example.com")
        await type_into(pilot, "#field-username", "ann")
        await type_into(pilot, "#field-password", GOOD_PASSWORD)
        pilot.app.screen.query_one("#field-calendars", Button).focus()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("space")

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_workflows_with_a_lost_integration(snap_compare, app, context):
    seed_few(context)
    repo = context.storage.integrations
    repo.remove(repo.find("Team calendar").id)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_workflow_form(snap_compare, app, context):
    seed_few(context)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_attach_picker(snap_compare, app, context):
    seed_few(context)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("a")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_help(snap_compare, app):
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)


def test_passphrase_create(snap_compare, tui_data, tmp_path, monkeypatch, offline_types):
    from tests.tui.conftest import make_app

    monkeypatch.setenv("TETHER_SECRET_STORE", "vault")
    app = make_app(tui_data, tmp_path)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await open_new(pilot, "ical")
        await type_into(pilot, "#field-url", "https://cal.example.com/team.ics")
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SMALL, run_before=run_before)
